/*
 * The engine's read side for the control API (loop thread): the status
 * document (GET /api/status), the read-only queries (cameras, layouts,
 * plans, alerts, the journal) and the Prometheus metrics. It reads the
 * engine's state and changes nothing; camera credentials never leave
 * here (URLs are redacted, never put in labels).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "alert/alert.h"
#include "core/engine.h"
#include "core/engine_internal.h"
#include "decode/slots.h"
#include "frame/mailbox.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/tz.h"

/* ---- status document ---- */

json_t *engine_iso_time(const struct vigil_engine *e, int64_t wall_ms)
{
    char ts[48];
    vtz_format_rfc3339(e->cfg->tz, wall_ms, ts, sizeof(ts));
    return json_string(ts);
}

const char *engine_state_name(enum scene_cam_state s)
{
    static const char *const n[] = { "connecting", "live", "stalled",
                                     "down" };
    return n[s];
}

static json_t *until_json(const struct vigil_engine *e, int64_t until)
{
    return until == INT64_MAX ? json_null() : engine_iso_time(e, until);
}

static json_t *overrides_json(const struct vigil_engine *e)
{
    const struct sched_overrides *ov = &e->ov;
    const struct config *cfg = e->cfg;
    json_t *o = json_object();
    if (ov->paused) {
        json_object_set_new(o, "paused",
                            json_pack("{s:o, s:o}", "since",
                                      engine_iso_time(e, ov->paused_at_ms),
                                      "until",
                                      until_json(e, ov->pause_until_ms)));
    }
    if (ov->plan >= 0) {
        json_object_set_new(o, "plan",
                            json_pack("{s:s, s:o, s:o}", "plan",
                                      cfg->plans[ov->plan].name, "since",
                                      engine_iso_time(e, ov->plan_since_ms),
                                      "until",
                                      until_json(e, ov->plan_until_ms)));
    }
    json_t *pages = json_array();
    for (int i = 0; i < cfg->n_screens && i < SCHED_MAX_SCREENS; i++) {
        if (ov->shift_ms[i]) {
            json_array_append_new(
                pages, json_pack("{s:s, s:f, s:o}", "screen",
                                 cfg->screens[i].id, "shift_s",
                                 ov->shift_ms[i] / 1000.0, "until",
                                 until_json(e, ov->shift_until_ms[i])));
        }
    }
    json_object_set_new(o, "pages", pages);
    json_t *layouts = json_array(), *full = json_array();
    for (int i = 0; i < cfg->n_screens && i < SCHED_MAX_SCREENS; i++) {
        if (ov->layout[i] >= 0) {
            json_array_append_new(
                layouts, json_pack("{s:s, s:s, s:o}", "screen",
                                   cfg->screens[i].id, "layout",
                                   cfg->layouts[ov->layout[i]].name, "until",
                                   until_json(e, ov->layout_until_ms[i])));
        }
        if (ov->fullscreen[i] >= 0) {
            json_array_append_new(
                full, json_pack("{s:s, s:s}", "screen", cfg->screens[i].id,
                                "camera",
                                cfg->cameras[ov->fullscreen[i]].id));
        }
    }
    json_object_set_new(o, "layouts", layouts);
    json_object_set_new(o, "fullscreen", full);
    json_t *pins = json_array();
    for (int i = 0; i < ov->n_pins; i++) {
        const struct sched_pin *p = &ov->pins[i];
        json_array_append_new(
            pins, json_pack("{s:s, s:i, s:s, s:o}", "screen",
                            cfg->screens[p->screen].id, "tile", p->tile,
                            "camera", cfg->cameras[p->camera].id, "until",
                            until_json(e, p->until_ms)));
    }
    json_object_set_new(o, "pins", pins);
    return o;
}

json_t *engine_screen_json(const struct vigil_engine *e, int s)
{
    const struct config *cfg = e->cfg;
    const struct sched_view *v = &e->views[s];
    json_t *tiles = json_array();
    for (int t = 0; t < v->n_tiles; t++) {
        json_array_append_new(
            tiles, json_pack("{s:i, s:o}", "tile", t, "camera",
                             v->cams[t] >= 0
                                 ? json_string(cfg->cameras[v->cams[t]].id)
                                 : json_null()));
    }
    json_t *o = json_pack(
        "{s:s, s:i, s:i, s:o, s:i, s:i, s:o, s:o, s:o, s:b}", "id",
        cfg->screens[s].id, "width", cfg->screens[s].width, "height",
        cfg->screens[s].height, "layout",
        v->layout >= 0 ? json_string(cfg->layouts[v->layout].name)
                       : json_null(),
        "page", v->page, "pages", v->n_pages, "page_started",
        engine_iso_time(e, v->page_start_ms), "next_change",
        v->next_change_ms == INT64_MAX ? json_null()
                                       : engine_iso_time(e, v->next_change_ms),
        "tiles", tiles, "fullscreen",
        s < SCHED_MAX_SCREENS && e->ov.fullscreen[s] >= 0);
    int64_t ms[64];
    int n = render_page_switches(e->render, s, ms, 64);
    json_t *sw = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(sw, json_integer(ms[i]));
    }
    json_object_set_new(o, "page_switch_ms", sw);
    return o;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Glass to glass over the camera's last pictures: null without capture
 * stamps (no RTCP sender reports, or not shown). */
static json_t *latency_json(const struct vigil_engine *e, int i)
{
    int64_t ms[128];
    int n = render_camera_latency(e->render, i, ms, 128);
    if (!n) {
        return json_null();
    }
    qsort(ms, (size_t)n, sizeof(ms[0]), cmp_i64);
    return json_pack("{s:i, s:I, s:I, s:I}", "n", n, "p50", (json_int_t)ms[n / 2],
                     "p95", (json_int_t)ms[(n - 1) * 95 / 100], "max",
                     (json_int_t)ms[n - 1]);
}

static json_t *stream_json(const struct source_status *st)
{
    return json_pack("{s:s, s:i, s:i, s:b, s:i, s:I, s:I, s:I}", "state",
                     source_state_name(st->state), "width", st->width,
                     "height", st->height, "decoding", st->decoding,
                     "threads", st->threads, "packets",
                     (json_int_t)st->packets, "frames",
                     (json_int_t)st->frames, "shed_frames",
                     (json_int_t)st->shed_frames);
}

json_t *engine_camera_json(const struct vigil_engine *e, int i, int64_t now)
{
    const struct config *cfg = e->cfg;
    const struct cam_rt *c = &e->cams[i];
    /* picture facts from the stream shown, counters over both */
    const struct source_status *sh = engine_shown_status(c);
    struct cam_counts n = engine_cam_counts(c);
    json_t *age = sh->last_frame_ns
                      ? json_integer((now - sh->last_frame_ns) / VT_MS)
                      : json_null();
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:f, s:o, s:I, s:I, s:I, s:I, s:i, s:i, s:s}",
        "id", cfg->cameras[i].id, "name", cfg->cameras[i].name, "state",
        engine_state_name(c->eff), "reason", c->st.reason, "fps", c->fps_dec,
        "last_frame_age_ms", age, "frames", (json_int_t)n.frames,
        "reconnects", (json_int_t)n.reconnects, "frames_dropped",
        (json_int_t)n.dropped, "decode_errors", (json_int_t)n.decode_errors,
        "width", sh->width, "height", sh->height, "codec", sh->codec);
    json_object_set_new(o, "fps_in", json_real(c->fps_in));
    json_object_set_new(o, "fps_out", json_real(c->fps_out));
    json_object_set_new(o, "decoding", json_boolean(c->st.decoding ||
                                                    c->sub_st.decoding));
    json_object_set_new(o, "stream", json_string(c->stream ? "sub" : "main"));
    json_object_set_new(o, "shed_frames",
                        json_integer((json_int_t)n.shed_frames));
    json_t *streams = json_pack("{s:o}", "main", stream_json(&c->st));
    if (c->sub_src) {
        json_object_set_new(streams, "sub", stream_json(&c->sub_st));
    }
    json_object_set_new(o, "streams", streams);
    json_object_set_new(o, "glass_to_glass_ms", latency_json(e, i));
    json_object_set_new(o, "hwaccel", json_string(c->st.hwaccel));
    json_object_set_new(o, "frames_shown",
                        json_integer((json_int_t)render_camera_shown(
                            e->render, i)));
    json_object_set_new(o, "gop_cache_bytes",
                        json_integer((json_int_t)c->st.gop_cache_bytes));
    json_object_set_new(o, "condition",
                        c->cond[0] && strcmp(c->cond, "?")
                            ? json_string(c->cond)
                            : json_null());
    return o;
}

static json_t *load_json(const struct vigil_engine *e)
{
    uint64_t shed_frames = 0;
    for (int i = 0; i < e->n_cams; i++) {
        shed_frames += engine_cam_counts(&e->cams[i]).shed_frames;
    }
    return json_pack("{s:f, s:f, s:f, s:f, s:i, s:i, s:s, s:o, s:I, s:I, "
                     "s:I}",
                     "decode", e->load, "render", e->load_render, "process",
                     e->load_cpu, "budget", e->cfg->load_budget,
                     "cores", e->n_cores, "decode_slots",
                     decode_slots_size(e->slots), "shed",
                     engine_shed_name(e->shed), "shed_since",
                     e->shed ? engine_iso_time(e, e->shed_since_ms) : json_null(),
                     "shed_events", (json_int_t)e->shed_events,
                     "shed_frames", (json_int_t)shed_frames,
                     "preroll_skipped", (json_int_t)e->preroll_skipped);
}

json_t *engine_status_json(void *ctx)
{
    struct vigil_engine *e = ctx;
    const struct config *cfg = e->cfg;
    int64_t now = vt_mono_ns();
    json_t *cams = json_array();
    for (int i = 0; i < e->n_cams; i++) {
        json_array_append_new(cams, engine_camera_json(e, i, now));
    }
    json_t *screens = json_array();
    for (int s = 0; s < cfg->n_screens; s++) {
        json_array_append_new(screens, engine_screen_json(e, s));
    }
    json_t *doc = json_pack(
        "{s:s, s:o, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I}",
        "wall", cfg->wall_name, "time", engine_iso_time(e, vt_wall_ms()),
        "time_ms",
        (json_int_t)vt_wall_ms(), "plan",
        e->plan >= 0 ? cfg->plans[e->plan].name : "", "plan_since",
        engine_iso_time(e, e->epoch_ms), "rule",
        e->rule >= 0 ? json_integer(e->rule + 1) : json_null(), "overrides",
        overrides_json(e), "cameras", cams, "screens", screens, "alerts",
        alert_bus_open_json(e->alerts), "frames_composed",
        (json_int_t)render_frames_composed(e->render));
    json_object_set_new(doc, "sinks", alert_bus_sinks_json(e->alerts));
    json_object_set_new(doc, "load", load_json(e));
    return doc;
}

json_t *engine_query(void *ctx, const char *name, const char *q,
                     int *status)
{
    struct vigil_engine *e = ctx;
    const struct config *cfg = e->cfg;
    *status = 200;
    if (!strcmp(name, "status")) {
        return engine_status_json(e);
    }
    if (!strcmp(name, "cameras")) {
        json_t *arr = json_array();
        int64_t now = vt_mono_ns();
        for (int i = 0; i < e->n_cams; i++) {
            json_t *o = engine_camera_json(e, i, now);
            json_t *groups = json_array();
            for (int g = 0; g < cfg->cameras[i].n_groups; g++) {
                json_array_append_new(groups,
                                      json_string(cfg->cameras[i].groups[g]));
            }
            json_object_set_new(o, "groups", groups);
            json_object_set_new(o, "has_sub",
                                json_boolean(cfg->cameras[i].sub != NULL));
            json_array_append_new(arr, o);
        }
        return arr;
    }
    if (!strcmp(name, "layouts")) {
        json_t *arr = json_array();
        for (int i = 0; i < cfg->n_layouts; i++) {
            const struct layout *l = &cfg->layouts[i];
            json_t *cells = json_array();
            for (int k = 0; k < l->n_cells; k++) {
                json_array_append_new(cells,
                                      json_pack("[i, i, i, i]", l->cells[k].x,
                                                l->cells[k].y, l->cells[k].w,
                                                l->cells[k].h));
            }
            json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:o}",
                                                 "name", l->name, "grid",
                                                 "", "tiles", l->n_cells,
                                                 "cells", cells));
            char grid[16];
            snprintf(grid, sizeof(grid), "%dx%d", l->cols, l->rows);
            json_object_set_new(json_array_get(arr, json_array_size(arr) - 1),
                                "grid", json_string(grid));
        }
        return arr;
    }
    if (!strcmp(name, "plans")) {
        json_t *arr = json_array();
        for (int p = 0; p < cfg->n_plans; p++) {
            json_t *screens = json_object();
            for (int sc = 0; sc < cfg->n_screens; sc++) {
                struct sched_screen ss;
                sched_screen_build(cfg, p, sc, &ss);
                json_object_set_new(screens, cfg->screens[sc].id,
                                    json_pack("{s:i, s:f}", "pages",
                                              ss.n_pages, "cycle_s",
                                              ss.cycle_ms / 1000.0));
                sched_screen_finish(&ss);
            }
            json_array_append_new(
                arr, json_pack("{s:s, s:f, s:b, s:o}", "name",
                               cfg->plans[p].name, "dwell_s",
                               cfg->plans[p].dwell_ms / 1000.0, "running",
                               p == e->plan, "screens", screens));
        }
        return arr;
    }
    if (!strcmp(name, "alerts")) {
        /* ?since=<RFC 3339 or ms since the epoch>&limit=N */
        const char *since = strstr(q, "since=");
        const char *lim = strstr(q, "limit=");
        int64_t since_ms = 0;
        if (since) {
            char buf[64];
            sscanf(since + 6, "%63[^&]", buf);
            struct tm tm = { 0 };
            int ms = 0;
            char *end = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
            if (end) {
                if (*end == '.') {
                    ms = atoi(end + 1);
                }
                since_ms = (int64_t)timegm(&tm) * 1000 + ms;
            } else {
                since_ms = strtoll(buf, NULL, 10);
            }
        }
        int limit = lim ? atoi(lim + 6) : 1000;
        *status = 200;
        return json_pack("{s:o, s:o}", "events",
                         alert_bus_read(e->alerts, since_ms,
                                        limit > 0 ? limit : 1000),
                         "open", alert_bus_open_json(e->alerts));
    }
    *status = 404;
    return json_pack("{s:s}", "error", "no such route");
}

/* ---- metrics ---- */

struct text {
    char *buf;
    size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
    va_list va;
    for (;;) {
        va_start(va, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, va);
        va_end(va);
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n) * 2;
        t->buf = xrealloc(t->buf, t->cap);
    }
}

static void help(struct text *t, const char *name, const char *type,
                 const char *text)
{
    add(t, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* Prometheus exposition. Camera ids are restricted to [A-Za-z0-9._-], so
 * they go into labels unescaped; URLs never appear. */
char *engine_metrics_text(void *ctx)
{
    struct vigil_engine *e = ctx;
    const struct config *cfg = e->cfg;
    struct text t = { xmalloc(8192), 0, 8192 };
    int64_t now = vt_mono_ns();
    struct cam_counts *counts = xcalloc((size_t)e->n_cams + 1,
                                        sizeof(*counts));
    for (int i = 0; i < e->n_cams; i++) {
        counts[i] = engine_cam_counts(&e->cams[i]);
    }
#define PER_CAM(name, type, text, fmt, expr)                                  \
    do {                                                                      \
        help(&t, name, type, text);                                           \
        for (int i = 0; i < e->n_cams; i++) {                                 \
            const struct cam_rt *c = &e->cams[i];                             \
            const struct cam_counts *n = &counts[i];                          \
            (void)c;                                                          \
            (void)n;                                                          \
            add(&t, "%s{camera=\"%s\"} " fmt "\n", name,                  \
                cfg->cameras[i].id, expr);                                    \
        }                                                                     \
    } while (0)
    help(&t, "vigil_camera_state", "gauge",
         "1 for the camera's current state");
    for (int i = 0; i < e->n_cams; i++) {
        for (int k = 0; k < 4; k++) {
            add(&t, "vigil_camera_state{camera=\"%s\",state=\"%s\"} %d\n",
                cfg->cameras[i].id, engine_state_name(k),
                (int)e->cams[i].eff == k);
        }
    }
    PER_CAM("vigil_camera_up", "gauge", "1 when live", "%d",
            c->eff == SCENE_CAM_LIVE);
    PER_CAM("vigil_camera_fps_in", "gauge",
            "pictures received per second (the stream shown)", "%.2f",
            c->fps_in);
    PER_CAM("vigil_camera_fps_decoded", "gauge",
            "pictures decoded per second", "%.2f", c->fps_dec);
    PER_CAM("vigil_camera_fps_out", "gauge",
            "pictures taken for display per second", "%.2f", c->fps_out);
    PER_CAM("vigil_camera_frames_decoded_total", "counter",
            "frames decoded", "%llu", (unsigned long long)n->frames);
    PER_CAM("vigil_camera_frames_shed_total", "counter",
            "frames not decoded to shed load", "%llu",
            (unsigned long long)n->shed_frames);
    PER_CAM("vigil_camera_substream", "gauge",
            "1 while the substream is the one decoded", "%d", c->stream);
    PER_CAM("vigil_camera_frames_shown_total", "counter",
             "frames taken for display (fps out: rate() of this)", "%llu",
             (unsigned long long)render_camera_shown(e->render, i));
    PER_CAM("vigil_camera_frames_dropped_total", "counter",
            "frames replaced before the wall showed them", "%llu",
            (unsigned long long)n->dropped);
    PER_CAM("vigil_camera_bytes_total", "counter",
            "video bytes received (bitrate: rate() of this)", "%llu",
            (unsigned long long)n->bytes);
    PER_CAM("vigil_camera_decode_seconds_total", "counter",
            "time spent decoding", "%.6f", n->decode_ns / 1e9);
    PER_CAM("vigil_camera_decode_wait_seconds_total", "counter",
            "time waiting for a decode slot (contention)", "%.6f",
            n->decode_wait_ns / 1e9);
    PER_CAM("vigil_camera_decode_errors_total", "counter",
            "packets that failed to decode", "%llu",
            (unsigned long long)n->decode_errors);
    PER_CAM("vigil_camera_reconnects_total", "counter", "reconnects",
            "%llu", (unsigned long long)n->reconnects);
    PER_CAM("vigil_camera_last_frame_age_seconds", "gauge",
            "since the last decoded frame (-1: never)", "%.3f",
            engine_shown_status(c)->last_frame_ns
                ? (now - engine_shown_status(c)->last_frame_ns) / 1e9
                : -1.0);
#undef PER_CAM
    free(counts);
    help(&t, "vigil_decode_load", "gauge",
         "share of all cores spent decoding, last second");
    add(&t, "vigil_decode_load %.4f\n", e->load);
    help(&t, "vigil_render_load", "gauge",
         "share of the render thread spent composing, last second");
    add(&t, "vigil_render_load %.4f\n", e->load_render);
    help(&t, "vigil_shed_level", "gauge",
         "load shed: 0 none, 1 pre-roll, 2 small tiles keyframes only");
    add(&t, "vigil_shed_level %d\n", (int)e->shed);
    help(&t, "vigil_shed_events_total", "counter",
         "times shedding went a level deeper");
    add(&t, "vigil_shed_events_total %llu\n",
        (unsigned long long)e->shed_events);
    help(&t, "vigil_preroll_skipped_total", "counter",
         "page changes not pre-rolled to shed load");
    add(&t, "vigil_preroll_skipped_total %llu\n",
        (unsigned long long)e->preroll_skipped);
    help(&t, "vigil_screen_frames_total", "counter", "compositions");
    help(&t, "vigil_screen_render_seconds_total", "counter",
         "time spent composing");
    for (int s = 0; s < cfg->n_screens; s++) {
        uint64_t frames = 0, ns = 0;
        render_screen_stats(e->render, s, &frames, &ns);
        add(&t, "vigil_screen_frames_total{screen=\"%s\"} %llu\n",
            cfg->screens[s].id, (unsigned long long)frames);
        add(&t, "vigil_screen_render_seconds_total{screen=\"%s\"} %.6f\n",
            cfg->screens[s].id, ns / 1e9);
    }
    help(&t, "vigil_alerts_open", "gauge", "open alerts by condition");
    json_t *open = alert_bus_open_json(e->alerts);
    json_t *by = json_object();
    size_t k;
    json_t *a;
    json_array_foreach(open, k, a)
    {
        const char *cond = json_string_value(json_object_get(a, "condition"));
        json_t *n = json_object_get(by, cond);
        json_object_set_new(by, cond,
                            json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    const char *key;
    json_t *val;
    json_object_foreach(by, key, val)
    {
        add(&t, "vigil_alerts_open{condition=\"%s\"} %lld\n", key,
            (long long)json_integer_value(val));
    }
    json_decref(by);
    json_decref(open);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    help(&t, "process_cpu_seconds_total", "counter", "CPU time");
    add(&t, "process_cpu_seconds_total %.3f\n",
        ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
            (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        long size;
        if (fscanf(f, "%ld %ld", &size, &pages) != 2) {
            pages = 0;
        }
        fclose(f);
    }
    help(&t, "process_resident_memory_bytes", "gauge", "RSS");
    add(&t, "process_resident_memory_bytes %lld\n",
        (long long)pages * sysconf(_SC_PAGESIZE));
    help(&t, "process_max_resident_memory_bytes", "gauge", "peak RSS");
    add(&t, "process_max_resident_memory_bytes %lld\n",
        (long long)ru.ru_maxrss * 1024);
    return t.buf;
}
