/*
 * Alert bus: camera conditions in; alerts with a lifecycle out, written
 * to the journal first (one write(2) and fdatasync per event) and then to
 * the sinks (screen banner via the engine, MQTT, webhook, exec).
 *
 * Thread: the loop thread only (sinks that block run their own threads).
 * On start the journal is read back: alerts that were open are restored
 * with their ids and re-checked as the cameras report in.
 */
#ifndef VIGIL_ALERT_H
#define VIGIL_ALERT_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "alert/lifecycle.h"

struct alert_bus;
struct config;

/* Called on the loop thread after every journal line (alert events and
 * wall events), with the event's name for the live event stream ("alert"
 * for an alert's events, else the wall event's name) and the line's JSON
 * text (both valid during the call). It runs while the bus is emitting:
 * it must not call back into the bus (note the event and act later). */
typedef void (*alert_event_fn)(void *ctx, const char *name,
                               const char *json);

/* Open the journal, restore open alerts, start the configured sinks. The
 * bus holds a reference to cfg. NULL on failure (logged). */
struct alert_bus *alert_bus_create(struct config *cfg, uv_loop_t *loop,
                                   alert_event_fn on_event, void *ctx);
/* Accepts NULL. */
void alert_bus_destroy(struct alert_bus *b);

/* A reloaded config: the rules, the wall's zone and the cameras' names
 * apply from now on, and the exec sink takes its new command. The
 * journal, the MQTT and webhook sinks and the camera list stay (those
 * need a restart). */
void alert_bus_set_config(struct alert_bus *b, struct config *cfg);

/* Camera `cam`'s condition: NULL when healthy, else "stalled", "down",
 * "auth_failed", "not_found", "no_keyframe", "decode_errors", with a human
 * detail (no credentials). */
void alert_bus_condition(struct alert_bus *b, int cam, const char *cond,
                         const char *detail, int64_t wall_ms);

/* Camera online/offline for the sinks' retained status. */
void alert_bus_camera_online(struct alert_bus *b, int cam, bool online);

/* Operator actions; 0, -ENOENT or -EALREADY. */
int alert_bus_ack(struct alert_bus *b, const char *id, const char *by,
                  const char *note, int64_t wall_ms);
int alert_bus_close(struct alert_bus *b, const char *id, const char *by,
                    const char *note, int64_t wall_ms);

/* One field of a wall event. */
struct alert_field {
    const char *key;
    enum { ALERT_FIELD_STR, ALERT_FIELD_INT, ALERT_FIELD_NUM } type;
    const char *str;
    int64_t i;
    double num;
};

/* Append a wall event that is not a camera alert (plan_changed,
 * override, config_reloaded): "ts", "wall" and "event" first, then the
 * fields in order. */
void alert_bus_journal(struct alert_bus *b, const char *event,
                       const struct alert_field *fields, int n,
                       int64_t wall_ms);

/* Open (not closed) alerts, oldest first; *n receives the count. Valid
 * until the next call into the bus. */
const struct alert *alert_bus_open(const struct alert_bus *b, int *n);
int alert_bus_open_count(const struct alert_bus *b);

/* Up to `max` newest open, unacknowledged alerts as one-line texts for
 * the wall's banner ("gate-n down"); returns how many were written. */
int alert_bus_banner(const struct alert_bus *b, char lines[][96], int max);

/* The journal's files as of now, for reading them on another thread
 * (journal_read, alert/journal.h). */
struct journal_layout;
void alert_bus_journal_layout(const struct alert_bus *b,
                              struct journal_layout *out);

/* The sinks: how many, and sink i's name and events waiting in it. */
int alert_bus_sinks(const struct alert_bus *b);
const char *alert_bus_sink_name(const struct alert_bus *b, int i);
int alert_bus_sink_pending(const struct alert_bus *b, int i);
/* Events the sink gave up on (a receiver that refused them). */
unsigned long alert_bus_sink_dropped(const struct alert_bus *b, int i);

#endif
