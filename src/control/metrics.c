/*
 * Prometheus exposition (text format 0.0.4) of a status snapshot. Camera
 * ids are restricted to [A-Za-z0-9._-] by the config, so they go into
 * labels unescaped; URLs never appear. Loop thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "control/internal.h"
#include "util/mem.h"

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
        if (n < 0) {
            return;
        }
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

/* A metric of the wall's with one integer value. */
static void one(struct text *t, const char *name, const char *type,
                const char *text, long long value)
{
    help(t, name, type, text);
    add(t, "%s %lld\n", name, value);
}

/* One line per camera of `name` with the value `expr` (of c, a const
 * struct ctl_camera *) printed with `fmt`. */
#define PER_CAM(t, st, name, type, text, fmt, expr)                          \
    do {                                                                     \
        help(t, name, type, text);                                           \
        for (int i_ = 0; i_ < (st)->n_cameras; i_++) {                       \
            const struct ctl_camera *c = &(st)->cameras[i_];                 \
            add(t, "%s{camera=\"%s\"} " fmt "\n", name, c->id, expr);        \
        }                                                                    \
    } while (0)

static void cameras(struct text *t, const struct ctl_status *st)
{
    help(t, "vigil_camera_state", "gauge", "1 for the camera's current state");
    for (int i = 0; i < st->n_cameras; i++) {
        for (int k = CTL_CAM_CONNECTING; k <= CTL_CAM_DOWN; k++) {
            add(t, "vigil_camera_state{camera=\"%s\",state=\"%s\"} %d\n",
                st->cameras[i].id, api_state_name(k),
                (int)st->cameras[i].state == k);
        }
    }
    PER_CAM(t, st, "vigil_camera_up", "gauge", "1 when live", "%d",
            c->state == CTL_CAM_LIVE);
    PER_CAM(t, st, "vigil_camera_fps_in", "gauge",
            "pictures received per second (the stream shown)", "%.2f",
            c->fps_in);
    PER_CAM(t, st, "vigil_camera_fps_decoded", "gauge",
            "pictures decoded per second", "%.2f", c->fps);
    PER_CAM(t, st, "vigil_camera_fps_out", "gauge",
            "pictures taken for display per second", "%.2f", c->fps_out);
    PER_CAM(t, st, "vigil_camera_frames_decoded_total", "counter",
            "frames decoded", "%llu", (unsigned long long)c->frames);
    PER_CAM(t, st, "vigil_camera_frames_shed_total", "counter",
            "frames not decoded to shed load", "%llu",
            (unsigned long long)c->shed_frames);
    PER_CAM(t, st, "vigil_camera_substream", "gauge",
            "1 while the substream is the one decoded", "%d", c->on_sub);
    PER_CAM(t, st, "vigil_camera_frames_shown_total", "counter",
            "frames taken for display (fps out: rate() of this)", "%llu",
            (unsigned long long)c->frames_shown);
    PER_CAM(t, st, "vigil_camera_frames_dropped_total", "counter",
            "frames replaced before the wall showed them", "%llu",
            (unsigned long long)c->dropped);
    PER_CAM(t, st, "vigil_camera_bytes_total", "counter",
            "video bytes received (bitrate: rate() of this)", "%llu",
            (unsigned long long)c->bytes);
    PER_CAM(t, st, "vigil_camera_decode_seconds_total", "counter",
            "time spent decoding", "%.6f", c->decode_ns / 1e9);
    PER_CAM(t, st, "vigil_camera_decode_wait_seconds_total", "counter",
            "time waiting for a decode slot (contention)", "%.6f",
            c->decode_wait_ns / 1e9);
    PER_CAM(t, st, "vigil_camera_decode_errors_total", "counter",
            "packets that failed to decode", "%llu",
            (unsigned long long)c->decode_errors);
    PER_CAM(t, st, "vigil_camera_reconnects_total", "counter", "reconnects",
            "%llu", (unsigned long long)c->reconnects);
    PER_CAM(t, st, "vigil_camera_lag_seconds", "gauge",
            "reading behind the camera's pace, while decoded", "%.3f",
            c->lag_ms / 1e3);
    PER_CAM(t, st, "vigil_camera_last_frame_age_seconds", "gauge",
            "since the last decoded frame (-1: never)", "%.3f",
            c->last_frame_age_ms >= 0 ? c->last_frame_age_ms / 1e3 : -1.0);
}

static void wall(struct text *t, const struct ctl_status *st)
{
    const struct ctl_load *l = &st->load;
    help(t, "vigil_decode_load", "gauge",
         "share of all cores spent decoding, last second");
    add(t, "vigil_decode_load %.4f\n", l->decode);
    help(t, "vigil_render_load", "gauge",
         "share of the render thread spent composing, last second");
    add(t, "vigil_render_load %.4f\n", l->render);
    one(t, "vigil_shed_level", "gauge",
        "load shed: 0 none, 1 pre-roll, 2 small tiles keyframes only",
        l->shed_level);
    one(t, "vigil_shed_events_total", "counter",
        "times shedding went a level deeper", (long long)l->shed_events);
    help(t, "vigil_cameras_behind", "gauge",
         "cameras decoded over a second behind real time");
    add(t, "vigil_cameras_behind %d\n", l->behind);
    help(t, "vigil_preroll_skipped_total", "counter",
         "page changes not pre-rolled to shed load");
    add(t, "vigil_preroll_skipped_total %llu\n",
        (unsigned long long)l->preroll_skipped);
    help(t, "vigil_screen_frames_total", "counter", "compositions");
    help(t, "vigil_screen_render_seconds_total", "counter",
         "time spent composing");
    for (int s = 0; s < st->n_screens; s++) {
        const struct ctl_screen *sc = &st->screens[s];
        add(t, "vigil_screen_frames_total{screen=\"%s\"} %llu\n", sc->id,
            (unsigned long long)sc->frames);
        add(t, "vigil_screen_render_seconds_total{screen=\"%s\"} %.6f\n",
            sc->id, sc->render_ns / 1e9);
    }
    help(t, "vigil_alerts_open", "gauge", "open alerts by condition");
    for (int i = 0; i < st->n_alerts; i++) {
        const char *cond = st->alerts[i].condition;
        int n = 0, first = 1;
        for (int k = 0; k < st->n_alerts; k++) {
            if (!strcmp(st->alerts[k].condition, cond)) {
                first &= k >= i;
                n++;
            }
        }
        if (first) { /* one line per condition, at its first alert */
            add(t, "vigil_alerts_open{condition=\"%s\"} %d\n", cond, n);
        }
    }
    help(t, "vigil_sink_pending", "gauge", "alert events waiting in a sink");
    help(t, "vigil_sink_dropped_total", "counter",
         "alert events a sink gave up on (a receiver refused them)");
    for (int i = 0; i < st->n_sinks; i++) {
        add(t, "vigil_sink_pending{sink=\"%s\"} %d\n", st->sinks[i].name,
            st->sinks[i].pending);
        add(t, "vigil_sink_dropped_total{sink=\"%s\"} %lu\n",
            st->sinks[i].name, st->sinks[i].dropped);
    }
    help(t, "process_cpu_seconds_total", "counter", "CPU time");
    add(t, "process_cpu_seconds_total %.3f\n", st->cpu_s);
    one(t, "process_resident_memory_bytes", "gauge", "RSS", st->rss_bytes);
    one(t, "process_max_resident_memory_bytes", "gauge", "peak RSS",
        st->max_rss_bytes);
    if (st->heap_bytes >= 0) {
        one(t, "vigil_heap_bytes", "gauge",
            "heap allocated and not freed (a leak grows it)", st->heap_bytes);
        one(t, "vigil_heap_free_bytes", "gauge",
            "heap freed but kept by the allocator (fragmentation)",
            st->heap_free_bytes);
    }
}

char *metrics_text(const struct ctl_status *st)
{
    struct text t = { xmalloc(8192), 0, 8192 };
    t.buf[0] = 0;
    cameras(&t, st);
    wall(&t, st);
    return t.buf;
}
