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

#include <jansson.h>
#include <uv.h>

struct alert_bus;
struct config;

/* Open the journal, restore open alerts, start the configured sinks.
 * on_event (may be NULL) is called on the loop thread after every journal
 * line (alert events and wall events), e.g. to refresh the wall's banner
 * and feed the live event stream. NULL on failure (logged). */
struct alert_bus *alert_bus_create(const struct config *cfg, uv_loop_t *loop,
                                   void (*on_event)(void *ctx, json_t *line),
                                   void *ctx);
void alert_bus_destroy(struct alert_bus *b);

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

/* Append a wall event that is not a camera alert (plan_changed, operator
 * actions); "ts" and "wall" are put first. ev is not consumed. */
void alert_bus_journal(struct alert_bus *b, json_t *ev, int64_t wall_ms);

/* Open (not closed) alerts as a JSON array, newest first (new ref). */
json_t *alert_bus_open_json(const struct alert_bus *b);
int alert_bus_open_count(const struct alert_bus *b);

/* Up to `max` newest open, unacknowledged alerts as one-line texts for
 * the wall's banner ("gate-n down"); returns how many were written. */
int alert_bus_banner(const struct alert_bus *b, char lines[][96], int max);

/* Journal events at or after since_ms (at most limit), oldest first. */
json_t *alert_bus_read(const struct alert_bus *b, int64_t since_ms,
                       int limit);

/* Events waiting in sinks (for status). */
json_t *alert_bus_sinks_json(const struct alert_bus *b);

#endif
