/*
 * The status snapshot the control API reads (loop thread): the wall, its
 * plan and overrides, every camera and screen, the open alerts, the
 * sinks and the load, as plain typed values (src/control turns them into
 * JSON and Prometheus text). It reads the parts and changes nothing; a
 * snapshot holds a reference to the config its strings point into.
 * Camera credentials never get here: URLs are not part of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "alert/alert.h"
#include "core/cameras.h"
#include "core/engine_internal.h"
#include "core/health.h"
#include "core/load.h"
#include "core/patrol.h"
#include "decode/slots.h"
#include "sched/sched.h"
#include "util/mem.h"
#include "util/time.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void stream_fill(const struct source_status *st, struct ctl_stream *o)
{
    *o = (struct ctl_stream){
        .state = source_state_name(st->state),
        .width = st->width,
        .height = st->height,
        .decoding = st->decoding,
        .threads = st->threads,
        .packets = st->packets,
        .frames = st->frames,
        .shed_frames = st->shed_frames,
    };
}

void engine_camera_fill(const struct vigil_engine *e, int i, int64_t now_ns,
                        struct ctl_camera *o)
{
    const struct cfg_camera *cc = &e->cfg->cameras[i];
    const struct source_status *m = cameras_status(e->cams, i, false);
    const struct source_status *sub = cameras_status(e->cams, i, true);
    /* picture facts from the stream shown, counters over both */
    const struct source_status *sh = e->stream[i] ? sub : m;
    struct cam_counts n = cameras_counts(e->cams, i);
    memset(o, 0, sizeof(*o));
    o->id = cc->id;
    o->name = cc->name;
    o->state = (enum ctl_cam_state)health_state(e->health, i);
    snprintf(o->reason, sizeof(o->reason), "%s", m->reason);
    o->condition = health_condition(e->health, i);
    cameras_rates(e->cams, i, &o->fps_in, &o->fps, &o->fps_out);
    o->last_frame_age_ms = sh->last_frame_ns
                               ? (now_ns - sh->last_frame_ns) / VT_MS
                               : -1;
    o->last_packet_age_ms = sh->last_packet_ns
                                ? (now_ns - sh->last_packet_ns) / VT_MS
                                : -1;
    o->frames = n.frames;
    o->reconnects = n.reconnects;
    o->dropped = n.dropped;
    o->decode_errors = n.decode_errors;
    o->shed_frames = n.shed_frames;
    o->bytes = n.bytes;
    o->decode_ns = n.decode_ns;
    o->decode_wait_ns = n.decode_wait_ns;
    o->frames_shown = render_camera_shown(e->render, i);
    o->gop_cache_bytes = m->gop_cache_bytes;
    o->width = sh->width;
    o->height = sh->height;
    snprintf(o->codec, sizeof(o->codec), "%s", sh->codec);
    snprintf(o->hwaccel, sizeof(o->hwaccel), "%s", m->hwaccel);
    o->decoding = m->decoding || sub->decoding;
    /* over the streams decoded, as `behind` is */
    int64_t lag_m = m->decoding ? m->lag_ns : 0;
    int64_t lag_s = sub->decoding ? sub->lag_ns : 0;
    o->lag_ms = (lag_m > lag_s ? lag_m : lag_s) / VT_MS;
    o->behind = engine_camera_behind(e, i);
    o->on_sub = e->stream[i] == 1;
    o->has_sub = cameras_has_sub(e->cams, i);
    stream_fill(m, &o->main);
    stream_fill(sub, &o->sub);
    int64_t ms[128];
    int k = render_camera_latency(e->render, i, ms, 128);
    if (k) {
        qsort(ms, (size_t)k, sizeof(ms[0]), cmp_i64);
        o->latency_n = k;
        o->latency_p50 = ms[k / 2];
        o->latency_p95 = ms[(k - 1) * 95 / 100];
        o->latency_max = ms[k - 1];
    }
    o->groups = (const char *const *)cc->groups;
    o->n_groups = cc->n_groups;
}

void engine_screen_fill(const struct vigil_engine *e, int s,
                        struct ctl_screen *o)
{
    const struct config *cfg = e->cfg;
    const struct sched_view *v = patrol_view(e->patrol, s);
    memset(o, 0, sizeof(*o));
    o->id = cfg->screens[s].id;
    o->width = cfg->screens[s].width;
    o->height = cfg->screens[s].height;
    o->layout = v->layout >= 0 ? cfg->layouts[v->layout].name : NULL;
    o->page = v->page;
    o->pages = v->n_pages;
    o->page_started_ms = v->page_start_ms;
    o->next_change_ms = v->next_change_ms;
    o->n_tiles = v->n_tiles < CTL_MAX_TILES ? v->n_tiles : CTL_MAX_TILES;
    for (int t = 0; t < o->n_tiles; t++) {
        o->tiles[t] = v->cams[t] >= 0 ? cfg->cameras[v->cams[t]].id : NULL;
    }
    o->fullscreen = patrol_overrides(e->patrol)->fullscreen[s] >= 0;
    o->n_switches = render_page_switches(e->render, s, o->switch_ms, 64);
    render_screen_stats(e->render, s, &o->frames, &o->render_ns);
}

static void overrides_fill(const struct vigil_engine *e,
                           struct ctl_overrides *o)
{
    const struct sched_overrides *ov = patrol_overrides(e->patrol);
    const struct config *cfg = e->cfg;
    memset(o, 0, sizeof(*o));
    o->paused = ov->paused;
    o->paused_since_ms = ov->paused_at_ms;
    o->paused_until_ms = ov->pause_until_ms;
    o->plan = ov->plan >= 0 ? cfg->plans[ov->plan].name : NULL;
    o->plan_since_ms = ov->plan_since_ms;
    o->plan_until_ms = ov->plan_until_ms;
    for (int s = 0; s < e->n_screens && s < SCHED_MAX_SCREENS; s++) {
        const char *id = cfg->screens[s].id;
        if (ov->shift_ms[s]) {
            o->shifts[o->n_shifts].screen = id;
            o->shifts[o->n_shifts].shift_ms = ov->shift_ms[s];
            o->shifts[o->n_shifts++].until_ms = ov->shift_until_ms[s];
        }
        if (ov->layout[s] >= 0) {
            o->layouts[o->n_layouts].screen = id;
            o->layouts[o->n_layouts].layout = cfg->layouts[ov->layout[s]].name;
            o->layouts[o->n_layouts++].until_ms = ov->layout_until_ms[s];
        }
        if (ov->fullscreen[s] >= 0) {
            o->full[o->n_full].screen = id;
            o->full[o->n_full++].camera = cfg->cameras[ov->fullscreen[s]].id;
        }
    }
    for (int i = 0; i < ov->n_pins && i < SCHED_MAX_PINS; i++) {
        const struct sched_pin *p = &ov->pins[i];
        o->pins[i].screen = cfg->screens[p->screen].id;
        o->pins[i].tile = p->tile;
        o->pins[i].camera = cfg->cameras[p->camera].id;
        o->pins[i].until_ms = p->until_ms;
        o->n_pins++;
    }
}

static void alerts_fill(const struct vigil_engine *e, struct ctl_status *st)
{
    int n;
    const struct alert *list = alert_bus_open(e->alerts, &n);
    st->alerts = xcalloc((size_t)n + 1, sizeof(*st->alerts));
    st->n_alerts = n;
    for (int i = 0; i < n; i++) {
        const struct alert *a = &list[n - 1 - i]; /* newest first */
        struct ctl_alert *o = &st->alerts[i];
        snprintf(o->id, sizeof(o->id), "%s", a->id);
        o->camera = a->camera >= 0 && a->camera < e->n_cams
                        ? e->cfg->cameras[a->camera].id
                        : NULL;
        snprintf(o->condition, sizeof(o->condition), "%s", a->condition);
        snprintf(o->detail, sizeof(o->detail), "%s", a->detail);
        snprintf(o->severity, sizeof(o->severity), "%s", a->severity);
        o->state = a->cleared ? "cleared"
                   : a->acked ? "acknowledged"
                              : "raised";
        o->flapping = a->flapping;
        o->acked = a->acked;
        o->cleared = a->cleared;
        o->raised_ms = a->raised_ms;
        o->acked_ms = a->acked_ms;
        o->cleared_ms = a->cleared_ms;
        snprintf(o->by, sizeof(o->by), "%s", a->by);
        snprintf(o->note, sizeof(o->note), "%s", a->note);
    }
}

static void load_fill(const struct vigil_engine *e, struct ctl_load *o)
{
    const struct load_state *l = load_get(e->load);
    uint64_t shed_frames = 0;
    for (int i = 0; i < e->n_cams; i++) {
        shed_frames += cameras_counts(e->cams, i).shed_frames;
    }
    *o = (struct ctl_load){
        .decode = l->decode,
        .render = l->render,
        .process = l->process,
        .budget = e->cfg->load_budget,
        .cores = e->n_cores,
        .decode_slots = decode_slots_size(e->slots),
        .shed_level = (int)l->shed,
        .shed = load_shed_name(l->shed),
        .shed_since_ms = l->shed ? l->shed_since_ms : INT64_MIN,
        .shed_events = l->shed_events,
        .shed_frames = shed_frames,
        .preroll_skipped = patrol_preroll_skipped(e->patrol),
        .behind = l->behind,
    };
}

static void process_fill(struct ctl_status *st)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    st->cpu_s = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
                (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    st->max_rss_bytes = (int64_t)ru.ru_maxrss * 1024;
    long pages = 0, size;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &pages) != 2) {
            pages = 0;
        }
        fclose(f);
    }
    st->rss_bytes = (int64_t)pages * sysconf(_SC_PAGESIZE);
    mem_heap(&st->heap_bytes, &st->heap_free_bytes);
}

static void catalog_fill(const struct vigil_engine *e, struct ctl_status *st)
{
    const struct config *cfg = e->cfg;
    int running = patrol_plan(e->patrol, NULL, NULL);
    st->n_layouts = cfg->n_layouts;
    st->layouts = xcalloc((size_t)cfg->n_layouts + 1, sizeof(*st->layouts));
    for (int i = 0; i < cfg->n_layouts; i++) {
        const struct layout *l = &cfg->layouts[i];
        /* struct layout_rect is four ints: x, y, w, h */
        st->layouts[i] = (struct ctl_layout){
            l->name, l->cols, l->rows, l->n_cells,
            (const int(*)[4])(const void *)l->cells };
    }
    st->n_plans = cfg->n_plans;
    st->plans = xcalloc((size_t)cfg->n_plans + 1, sizeof(*st->plans));
    for (int p = 0; p < cfg->n_plans; p++) {
        struct ctl_plan *o = &st->plans[p];
        o->name = cfg->plans[p].name;
        o->dwell_ms = cfg->plans[p].dwell_ms;
        o->running = p == running;
        for (int s = 0; s < e->n_screens && s < 16; s++) {
            struct sched_screen ss;
            sched_screen_build(cfg, p, s, &ss);
            o->screens[s].screen = cfg->screens[s].id;
            o->screens[s].pages = ss.n_pages;
            o->screens[s].cycle_ms = ss.cycle_ms;
            o->n_screens++;
            sched_screen_finish(&ss);
        }
    }
}

int engine_status(void *ctx, unsigned what, struct ctl_status **out)
{
    struct vigil_engine *e = ctx;
    const struct config *cfg = e->cfg;
    struct ctl_status *st = xzalloc(sizeof(*st));
    int64_t now = vt_mono_ns();
    st->hold = config_ref(e->cfg); /* the strings point into it */
    st->tz = cfg->tz;
    st->wall = cfg->wall_name;
    st->time_ms = vt_wall_ms();
    int rule, plan = patrol_plan(e->patrol, &rule, &st->plan_since_ms);
    st->plan = plan >= 0 ? cfg->plans[plan].name : "";
    st->rule = rule + 1;
    overrides_fill(e, &st->ov);
    st->n_cameras = e->n_cams;
    st->cameras = xcalloc((size_t)e->n_cams + 1, sizeof(*st->cameras));
    for (int i = 0; i < e->n_cams; i++) {
        engine_camera_fill(e, i, now, &st->cameras[i]);
    }
    st->n_screens = e->n_screens;
    st->screens = xcalloc((size_t)e->n_screens + 1, sizeof(*st->screens));
    for (int s = 0; s < e->n_screens; s++) {
        engine_screen_fill(e, s, &st->screens[s]);
    }
    alerts_fill(e, st);
    st->n_sinks = alert_bus_sinks(e->alerts);
    st->n_sinks = st->n_sinks < 4 ? st->n_sinks : 4;
    for (int i = 0; i < st->n_sinks; i++) {
        st->sinks[i].name = alert_bus_sink_name(e->alerts, i);
        st->sinks[i].pending = alert_bus_sink_pending(e->alerts, i);
        st->sinks[i].dropped = alert_bus_sink_dropped(e->alerts, i);
    }
    st->frames_composed = render_frames_composed(e->render);
    load_fill(e, &st->load);
    process_fill(st);
    if (what & CTL_STATUS_CATALOG) {
        catalog_fill(e, st);
    }
    *out = st;
    return 0;
}

void engine_status_free(void *ctx, struct ctl_status *st)
{
    (void)ctx;
    if (!st) {
        return;
    }
    free(st->cameras);
    free(st->screens);
    free(st->alerts);
    free(st->layouts);
    free(st->plans);
    config_unref(st->hold); /* the config the snapshot was taken of */
    free(st);
}
