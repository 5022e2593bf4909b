/*
 * Camera health: each camera's state on the wall (connecting, live,
 * stalled, down) and its alert condition, from its source's status and
 * the time. Pure: a step function of (status, now) with a little memory
 * per camera (decode-error sampling, whether an outage is still the same
 * one, what was last reported), so it is tested on a fake clock.
 *
 * Conditions: "stalled" (connected, no decoded picture, or no packet while
 * hidden, for the stall budget), "down", "auth_failed", "not_found",
 * "no_keyframe" (fed but nothing decodes for max(5 s, 3 budgets)),
 * "decode_errors" (more than 1 packet in 5 failing, 3 s running; healthy
 * after 3 good seconds).
 *
 * Thread: the loop thread (or a test).
 */
#ifndef VIGIL_CORE_HEALTH_H
#define VIGIL_CORE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "source/source.h"

enum health_state {
    HEALTH_CONNECTING,
    HEALTH_LIVE,
    HEALTH_STALLED,
    HEALTH_DOWN,
};

struct health_rules {
    /* No decoded picture for this long is a stall; 0: 10 of the stream's
     * frame intervals, at least 500 ms (1 s while the rate is unknown). */
    int64_t stall_after_ms;
};

/* What one step found, and what it changed. */
struct health_report {
    enum health_state state;
    const char *condition;   /* NULL when healthy (or not known yet) */
    char detail[256];        /* a sentence for the alert, no credentials */
    bool state_changed;      /* state differs from the last step's */
    /* the condition to report to the alert bus changed (reported once the
     * state is known, never while a camera first connects: a restored
     * alert neither clears on a guess nor stays open when the camera
     * comes up healthy) */
    bool condition_changed;
    bool online_changed;     /* online/offline for the sinks' status */
    bool online;
};

struct health;

struct health *health_create(int n_cameras, const struct health_rules *r,
                             int64_t now_ns);
/* Accepts NULL. */
void health_destroy(struct health *h);
/* New rules (a reload); they apply from the next step. */
void health_set_rules(struct health *h, const struct health_rules *r);

/* Step camera cam with its main stream's status at monotonic now_ns. */
void health_step(struct health *h, int cam, const struct source_status *st,
                 int64_t now_ns, struct health_report *out);

enum health_state health_state(const struct health *h, int cam);
/* Monotonic ns at which the current state began. */
int64_t health_since(const struct health *h, int cam);
/* The condition last reported; NULL when healthy or not known yet. */
const char *health_condition(const struct health *h, int cam);

/* The stall budget for a stream under the rules. */
int64_t health_stall_budget(const struct health_rules *r,
                            const struct source_status *st);
/* Whether a stream can be shown: live, and its packets come (a GOP
 * catch-up or a wait for a decode slot excused). Judged by packets even
 * while decoded: judged by its pictures, a full-screen main stream on a
 * slow machine (the TSan wall on CI) flapped between main and substream,
 * each switch a new catch-up. The cost: a stream whose decoder yields
 * nothing while its packets flow is kept (its stall is alerted). */
bool health_stream_ok(const struct health *h, const struct source_status *st,
                      int64_t now_ns);

/* "connecting", "live", "stalled", "down" */
const char *health_state_name(enum health_state s);

#endif
