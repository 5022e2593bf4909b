/*
 * Alert bus. Owns the journal file descriptor and the open alert of each
 * camera. Runs on the loop thread; nothing here is shared.
 *
 * Ids continue across restarts: at start the journal is scanned for the
 * highest "A-NNNNNN" so a new alert never reuses an id.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alert/alert.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

struct open_alert {
    int active;
    char id[16];
    char camera[72];
    char condition[32];
    char detail[192];
    int64_t raised_ms;
};

struct alert_bus {
    struct vlog *log;
    char *wall;
    int fd;
    unsigned next_id;
    int n_cams;
    struct open_alert *open; /* per camera */
};

static unsigned scan_last_id(const char *path)
{
    FILE *f = fopen(path, "r");
    unsigned last = 0;
    if (!f) {
        return 0;
    }
    json_error_t err;
    char line[4096];
    while (fgets(line, sizeof(line), f)) {
        json_t *o = json_loads(line, 0, &err);
        const char *id = o ? json_string_value(json_object_get(o, "alert"))
                           : NULL;
        unsigned n;
        if (id && sscanf(id, "A-%u", &n) == 1 && n > last) {
            last = n;
        }
        json_decref(o);
    }
    fclose(f);
    return last;
}

struct alert_bus *alert_bus_create(const char *journal, const char *wall,
                                   int n_cameras)
{
    struct alert_bus *b = xzalloc(sizeof(*b));
    b->log = vlog_create(NULL, "alert");
    b->wall = xstrdup(wall);
    b->n_cams = n_cameras;
    b->open = xcalloc((size_t)n_cameras + 1, sizeof(*b->open));
    b->next_id = scan_last_id(journal) + 1;
    b->fd = open(journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (b->fd < 0) {
        VLOG_ERR(b->log, "cannot open journal %s: %s", journal,
                 strerror(errno));
        alert_bus_destroy(b);
        return NULL;
    }
    VLOG_INFO(b->log, "journal %s (next id A-%06u)", journal, b->next_id);
    return b;
}

void alert_bus_destroy(struct alert_bus *b)
{
    if (!b) {
        return;
    }
    if (b->fd >= 0) {
        close(b->fd);
    }
    free(b->open);
    free(b->wall);
    vlog_destroy(b->log);
    free(b);
}

static void journal_write(struct alert_bus *b, json_t *ev)
{
    char *s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!s) {
        return;
    }
    size_t n = strlen(s);
    s[n] = '\n'; /* json_dumps' terminator becomes the line end */
    ssize_t w = write(b->fd, s, n + 1);
    if (w != (ssize_t)(n + 1)) {
        VLOG_ERR(b->log, "journal write failed: %s",
                 w < 0 ? strerror(errno) : "short write");
    } else if (fdatasync(b->fd) != 0) {
        VLOG_ERR(b->log, "journal sync failed: %s", strerror(errno));
    }
    free(s);
}

static json_t *event_new(struct alert_bus *b, int64_t wall_ms,
                         const struct open_alert *a, const char *camera,
                         const char *event)
{
    char ts[48];
    vt_format_rfc3339(wall_ms, ts, sizeof(ts));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "ts", ts, "wall",
                     b->wall, "alert", a->id, "camera", camera, "event",
                     event, "condition", a->condition);
}

void alert_camera_update(struct alert_bus *b, int cam, const char *camera_id,
                         const char *condition, const char *detail,
                         int64_t wall_ms)
{
    if (cam < 0 || cam >= b->n_cams) {
        return;
    }
    struct open_alert *a = &b->open[cam];
    if (condition && !a->active) {
        a->active = 1;
        snprintf(a->id, sizeof(a->id), "A-%06u", b->next_id++);
        snprintf(a->camera, sizeof(a->camera), "%s", camera_id);
        snprintf(a->condition, sizeof(a->condition), "%s", condition);
        snprintf(a->detail, sizeof(a->detail), "%s", detail);
        a->raised_ms = wall_ms;
        json_t *ev = event_new(b, wall_ms, a, camera_id, "raised");
        json_object_set_new(ev, "detail", json_string(detail));
        json_object_set_new(ev, "severity", json_string("major"));
        journal_write(b, ev);
        json_decref(ev);
        VLOG_WARN(b->log, "%s raised: %s %s: %s", a->id, camera_id,
                  condition, detail);
    } else if (condition && a->active) {
        /* Same alert, the condition moved on (stalled -> down): keep one
         * alert for one outage, remember the latest detail. */
        snprintf(a->condition, sizeof(a->condition), "%s", condition);
        snprintf(a->detail, sizeof(a->detail), "%s", detail);
    } else if (!condition && a->active) {
        json_t *ev = event_new(b, wall_ms, a, camera_id, "cleared");
        json_object_set_new(ev, "detail", json_string(detail));
        json_object_set_new(ev, "duration_s",
                            json_real((double)(wall_ms - a->raised_ms) /
                                      1000.0));
        journal_write(b, ev);
        json_decref(ev);
        VLOG_INFO(b->log, "%s cleared: %s %s", a->id, camera_id, detail);
        a->active = 0;
    }
}

void alert_bus_journal(struct alert_bus *b, json_t *ev, int64_t wall_ms)
{
    char ts[48];
    vt_format_rfc3339(wall_ms, ts, sizeof(ts));
    json_t *line = json_pack("{s:s, s:s}", "ts", ts, "wall", b->wall);
    json_object_update(line, ev);
    journal_write(b, line);
    json_decref(line);
}

json_t *alert_bus_open_json(const struct alert_bus *b)
{
    json_t *arr = json_array();
    for (int i = 0; i < b->n_cams; i++) {
        const struct open_alert *a = &b->open[i];
        if (!a->active) {
            continue;
        }
        char ts[48];
        vt_format_rfc3339(a->raised_ms, ts, sizeof(ts));
        json_array_append_new(
            arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "alert", a->id,
                           "camera", a->camera, "condition", a->condition,
                           "detail", a->detail, "raised", ts, "state",
                           "raised"));
    }
    return arr;
}

int alert_bus_open_count(const struct alert_bus *b)
{
    int n = 0;
    for (int i = 0; i < b->n_cams; i++) {
        n += b->open[i].active;
    }
    return n;
}
