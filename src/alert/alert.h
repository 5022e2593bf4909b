/*
 * Alert bus, first cut: per-camera conditions become alerts with a stable
 * id, appended to the journal (JSON lines, see shared/examples) as
 * `raised` when a condition appears and `cleared` when it goes.
 *
 * Thread: the loop thread only. The journal is written with one write(2)
 * per event and fdatasync'd, so an event reported is on disk.
 */
#ifndef VIGIL_ALERT_H
#define VIGIL_ALERT_H

#include <stdint.h>

#include <jansson.h>

struct alert_bus;
struct vlog;

/* Open (create) the journal for appending. NULL on failure (logged). */
struct alert_bus *alert_bus_create(const char *journal, const char *wall,
                                   int n_cameras);
void alert_bus_destroy(struct alert_bus *b);

/*
 * Report camera `cam`'s condition: NULL when healthy, else a condition
 * name ("stalled", "down") with a human detail (no credentials). Raises,
 * clears, or does nothing if unchanged. Times are wall-clock ms.
 */
void alert_camera_update(struct alert_bus *b, int cam, const char *camera_id,
                         const char *condition, const char *detail,
                         int64_t wall_ms);

/* Append a wall event that is not a camera alert (plan_changed, operator
 * actions) to the journal; "ts" and "wall" are put first. ev is not
 * consumed. */
void alert_bus_journal(struct alert_bus *b, json_t *ev, int64_t wall_ms);

/* Open alerts as a JSON array (new reference). */
json_t *alert_bus_open_json(const struct alert_bus *b);
int alert_bus_open_count(const struct alert_bus *b);

#endif
