/*
 * Alert lifecycle: camera conditions in, alert events out. Pure: time is
 * an argument and events go to a callback, so the rules are tested on a
 * fake clock.
 *
 *   raised -> acknowledged (by, note) -> cleared -> closed
 *   raised -> cleared -> acknowledged -> closed
 *   any    -> closed (by an operator)
 *
 * Rules:
 *   - debounce: a condition must hold raise_after before it is raised, and
 *     be gone clear_after before the alert clears;
 *   - one alert per outage: a condition that changes while the alert is
 *     open (stalled -> down) stays the same alert;
 *   - flapping: the flap_count-th outage of a camera within flap_window
 *     becomes one `flapping` alert that stays open through the drops and
 *     clears after flap_quiet of health;
 *   - systemic: when at least systemic_min cameras and systemic_fraction of
 *     all are failing at once, one wall-wide `systemic` alert is raised
 *     instead of an alert per camera (already open ones stay open).
 */
#ifndef VIGIL_ALERT_LIFECYCLE_H
#define VIGIL_ALERT_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#define ALERT_NO_CAMERA (-1)
/* Restored for a camera the config no longer has: kept open until an
 * operator closes it, never taken for the wall-wide alert. */
#define ALERT_GONE_CAMERA (-2)

struct alert_rules {
    int64_t raise_after_ms;
    int64_t clear_after_ms;
    int flap_count;          /* 0: no flap suppression */
    int64_t flap_window_ms;
    int64_t flap_quiet_ms;
    int systemic_min;        /* 0: no systemic guard */
    double systemic_fraction;
};


struct alert {
    char id[16];
    int camera;              /* ALERT_NO_CAMERA for wall-wide alerts */
    char condition[24];
    char detail[192];
    char severity[12];
    bool acked, cleared, closed, flapping;
    int64_t raised_ms, acked_ms, cleared_ms, closed_ms;
    char by[64];
    char note[256];
};

/* Called for every event, in order: "raised", "acknowledged",
 * "cleared", "closed", "flapping". The alert is valid during the call. */
typedef void (*alert_emit_fn)(void *ctx, const struct alert *a,
                              const char *event, int64_t now_ms);

struct alert_life;

struct alert_life *alert_life_create(const struct alert_rules *rules,
                                     int n_cameras, unsigned first_id,
                                     alert_emit_fn emit, void *ctx);
void alert_life_destroy(struct alert_life *l);
/* New rules from now on (a reload); open alerts and debounce clocks
 * stay. */
void alert_life_set_rules(struct alert_life *l, const struct alert_rules *r);

/* A camera's condition now: NULL when healthy. Takes effect at once for
 * the debounce clocks; events come from alert_life_tick. */
void alert_life_condition(struct alert_life *l, int camera, const char *cond,
                          const char *detail, int64_t now_ms);

/* Apply the rules at now; returns the next instant a rule may fire
 * (INT64_MAX: none pending). */
int64_t alert_life_tick(struct alert_life *l, int64_t now_ms);

/* Operator actions. Return 0, -ENOENT (no such open alert) or -EALREADY. */
int alert_life_ack(struct alert_life *l, const char *id, const char *by,
                   const char *note, int64_t now_ms);
int alert_life_close(struct alert_life *l, const char *id, const char *by,
                     const char *note, int64_t now_ms);

/* Re-create an alert read back from the journal (restart), without
 * emitting anything. Camera conditions are re-checked as they arrive. */
void alert_life_restore(struct alert_life *l, const struct alert *a);
/* The same for n alerts with distinct ids, none open yet (at start): in
 * time linear in n. */
void alert_life_restore_many(struct alert_life *l, const struct alert *list,
                             int n);

/* Alerts not closed, oldest first. *n receives the count; the array is
 * owned by l and valid until the next call into l. */
const struct alert *alert_life_open(const struct alert_life *l, int *n);
/* The most recent alert id number issued. */
unsigned alert_life_last_id(const struct alert_life *l);

#endif
