/*
 * The engine: the only module that knows all the others.
 *
 * Threads:
 *   - main thread: vigil_engine_run() runs the renderer (SDL).
 *   - loop thread: one libuv loop for the control API, the patrol timer,
 *     the health check and the alert bus. Everything in `struct loop_state`
 *     below is touched by it alone.
 *   - one worker per camera (src/source).
 *
 * Cross-thread traffic, all into the loop through one coalescing doorbell
 * (uv_async): camera status changes (read back with source_status_get),
 * finished snapshots (a locked list), and the quit request (an atomic).
 * The loop publishes scenes to the renderer (render_set_scene) and asks it
 * for snapshots (render_request_snapshot).
 */
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libavutil/mem.h>
#include <uv.h>

#include "alert/alert.h"
#include "config/config.h"
#include "control/control.h"
#include "core/demo.h"
#include "core/engine.h"
#include "core/engine_internal.h"
#include "decode/slots.h"
#include "frame/mailbox.h"
#include "render/render.h"
#include "render/scene.h"
#include "sched/sched.h"
#include "sched/schedule.h"
#include "source/source.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/png.h"
#include "util/time.h"
#include "util/tz.h"
#include "vigil/vigil.h"

#ifndef VIGIL_LAYOUTS_DIR
#define VIGIL_LAYOUTS_DIR "layouts"
#endif
#ifndef VIGIL_WEB_DIR
#define VIGIL_WEB_DIR "web"
#endif
#define FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#define VIGIL_MAX_ALLOC (64u << 20)
/* How often camera health is looked at: the stall-detection granularity. */
#define HEALTH_PERIOD_MS 25
/* A substream whose height is not known yet (not connected) is taken to
 * fit tiles up to this many lines. */
#define SUB_HEIGHT_GUESS 480

static int set_decoding(struct vigil_engine *e, int i, int64_t now);

/* ---- settings ---- */

void vigil_settings_default(struct vigil_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->log_level = VIGIL_LOG_INFO;
}

struct config *engine_load_config(const char *path, struct vlog *log)
{
    struct cfg_errors errs = { 0 };
    struct config *c;
    if (path) {
        c = config_load(path, NULL, config_layouts_dir(), &errs);
    } else {
        char *text = demo_config_text(FONT_PATH);
        c = config_load("<demo>", text, config_layouts_dir(), &errs);
        free(text);
    }
    for (size_t i = 0; i < errs.n; i++) {
        VLOG_ERR(log, "%s", errs.msgs[i]);
    }
    cfg_errors_finish(&errs);
    return c;
}

int vigil_config_check(const char *path, const struct vigil_settings *s)
{
    vlog_setup(s->log_level, s->log_cb, s->log_cookie);
    struct vlog *log = vlog_create(NULL, "config");
    if (access(path, R_OK) != 0) {
        int err = -errno;
        VLOG_ERR(log, "%s: %s", path, strerror(errno));
        vlog_destroy(log);
        return err;
    }
    struct config *c = engine_load_config(path, log);
    vlog_destroy(log);
    if (!c) {
        return VIGIL_ECONFIG;
    }
    config_unref(c);
    return 0;
}

/* ---- camera health (loop thread) ---- */

/* No decoded frame for this long is a stall: alerts.stall_after, or by
 * default 10 of the stream's own frame intervals (667 ms at 15 fps), never
 * under 500 ms; 1 s while the frame rate is unknown. */
static int64_t stall_budget_ns(const struct vigil_engine *e,
                               const struct source_status *st)
{
    if (e->cfg->stall_after_ms) {
        return e->cfg->stall_after_ms * VT_MS;
    }
    if (!st->frame_interval_ns) {
        return VT_S;
    }
    int64_t ten = 10 * st->frame_interval_ns;
    return ten > 500 * VT_MS ? ten : 500 * VT_MS;
}

/* Sustained decode errors: more than 1 packet in 5 failing, 3 seconds in a
 * row (and healthy again after 3 good seconds). */
static void sample_errors(struct cam_rt *c, int64_t now)
{
    if (now - c->err_sample_ns < VT_S) {
        return;
    }
    uint64_t de = c->st.decode_errors - c->err_prev;
    uint64_t dp = c->st.packets - c->pkt_prev;
    c->err_prev = c->st.decode_errors;
    c->pkt_prev = c->st.packets;
    c->err_sample_ns = now;
    if (dp && de * 5 > dp) {
        c->err_good = 0;
        c->err_sustained |= ++c->err_bad >= 3;
    } else {
        c->err_bad = 0;
        c->err_sustained &= ++c->err_good < 3;
    }
}

/* The stream the wall shows a camera from: its picture facts. */
const struct source_status *engine_shown_status(const struct cam_rt *c)
{
    return c->stream ? &c->sub_st : &c->st;
}

/* sub_st stays zero without a substream */
struct cam_counts engine_cam_counts(const struct cam_rt *c)
{
    const struct source_status *m = &c->st, *s = &c->sub_st;
    return (struct cam_counts){
        .frames = m->frames + s->frames,
        .shed_frames = m->shed_frames + s->shed_frames,
        .dropped = mailbox_drops(c->mb) +
                   (c->sub_mb ? mailbox_drops(c->sub_mb) : 0),
        .reconnects = m->reconnects + s->reconnects,
        .decode_errors = m->decode_errors + s->decode_errors,
        .bytes = m->bytes + s->bytes,
        .decode_ns = m->decode_ns + s->decode_ns,
        .decode_wait_ns = m->decode_wait_ns + s->decode_wait_ns,
    };
}

/* A hidden stream is watched by its packets, a decoded one by its
 * pictures. */
static bool stream_stalled(const struct source_status *st, int64_t now,
                           int64_t budget)
{
    return now - (st->decoding ? st->last_frame_ns : st->last_packet_ns) >
           budget;
}

/* A camera's state on the wall and its alert condition ("" healthy). */
static enum scene_cam_state effective_state(const struct vigil_engine *e,
                                            struct cam_rt *c, int64_t now,
                                            char *cond, char *detail,
                                            size_t size)
{
    int64_t budget = stall_budget_ns(e, &c->st);
    cond[0] = 0;
    switch (c->st.state) {
    case SOURCE_LIVE:
        c->failed = 0;
        sample_errors(c, now);
        if (stream_stalled(&c->st, now, budget)) {
            strcpy(cond, "stalled");
            snprintf(detail, size, "no %s for %.1f s",
                     c->st.decoding ? "decoded frame" : "data", budget / 1e9);
            return SCENE_CAM_STALLED;
        }
        if (c->err_sustained) {
            strcpy(cond, "decode_errors");
            snprintf(detail, size, "%llu of %llu packets failed to decode",
                     (unsigned long long)c->st.decode_errors,
                     (unsigned long long)c->st.packets);
        }
        return SCENE_CAM_LIVE;
    case SOURCE_DOWN:
        c->failed = 1;
        strcpy(cond, c->st.fault == SOURCE_FAULT_AUTH        ? "auth_failed"
                     : c->st.fault == SOURCE_FAULT_NOT_FOUND ? "not_found"
                                                             : "down");
        snprintf(detail, size, "%s", c->st.reason);
        return SCENE_CAM_DOWN;
    case SOURCE_CONNECTING:
    default:
        /* The first picture waits for a keyframe (up to a GOP, often
         * 2 s): only a long wait is a fault. */
        if (c->st.connected_ns && c->st.session_packets &&
            !c->st.session_frames &&
            now - c->st.connected_ns > (3 * budget > 5 * VT_S ? 3 * budget
                                                              : 5 * VT_S)) {
            /* connected and fed, but nothing decodes */
            strcpy(cond, "no_keyframe");
            snprintf(detail, size,
                     "%llu packets in %.1f s, no picture decoded",
                     (unsigned long long)c->st.session_packets,
                     (now - c->st.connected_ns) / 1e9);
            return SCENE_CAM_STALLED;
        }
        if (c->failed) {
            /* reconnecting after a failure is still the same outage */
            snprintf(cond, 24, "%s",
                     c->cond[0] && strcmp(c->cond, "?") ? c->cond : "down");
            snprintf(detail, size, "%s", c->st.reason);
            return SCENE_CAM_DOWN;
        }
        return SCENE_CAM_CONNECTING;
    }
}

/* One override for the status line: "WHAT" or "WHAT until HH:MM:SS". */
static size_t status_item(const struct vigil_engine *e, char *buf, size_t n,
                          size_t size, const char *what, int64_t until_ms)
{
    if (n >= size) {
        return n;
    }
    char t[32] = "";
    if (until_ms != INT64_MAX) {
        vtz_format_local(e->cfg->tz, until_ms, t, sizeof(t));
    }
    return n + (size_t)snprintf(buf + n, size - n, "%s%s%s  ", what,
                                t[0] ? " until " : "", t[0] ? t + 11 : "");
}

/* What an operator should know is overriding the patrol on screen s, and
 * until when, for the wall's status line. */
static void status_line(const struct vigil_engine *e, int s, char *buf,
                        size_t size)
{
    const struct sched_overrides *ov = &e->ov;
    const struct config *cfg = e->cfg;
    char what[96];
    size_t n = 0;
    buf[0] = 0;
    if (ov->paused) {
        n = status_item(e, buf, n, size, "PAUSED", ov->pause_until_ms);
    }
    if (ov->plan >= 0) {
        snprintf(what, sizeof(what), "PLAN %s", cfg->plans[ov->plan].name);
        n = status_item(e, buf, n, size, what, ov->plan_until_ms);
    }
    /* a page step without an end is just where the patrol now is */
    if (ov->shift_ms[s] && ov->shift_until_ms[s] != INT64_MAX) {
        n = status_item(e, buf, n, size, "PAGE STEPPED",
                        ov->shift_until_ms[s]);
    }
    if (ov->layout[s] >= 0) {
        snprintf(what, sizeof(what), "LAYOUT %s",
                 cfg->layouts[ov->layout[s]].name);
        n = status_item(e, buf, n, size, what, ov->layout_until_ms[s]);
    }
    for (int i = 0; i < ov->n_pins; i++) {
        const struct sched_pin *p = &ov->pins[i];
        if (p->screen == s) {
            snprintf(what, sizeof(what), "PIN %s", cfg->cameras[p->camera].id);
            n = status_item(e, buf, n, size, what, p->until_ms);
        }
    }
}

/* Every journal line: refresh the banner, and tell the event stream. */
static void journal_event(void *ctx, json_t *line)
{
    struct vigil_engine *e = ctx;
    if (e->render && e->scene) {
        engine_publish_scene(e);
    }
    if (e->control) {
        const char *ev = json_string_value(json_object_get(line, "event"));
        control_broadcast(e->control,
                          json_object_get(line, "alert") ? "alert"
                          : ev                           ? ev
                                                         : "event",
                          line);
    }
}

void engine_publish_scene(struct vigil_engine *e)
{
    struct scene *sc = scene_create(e->cfg);
    for (int s = 0; s < sc->n_screens; s++) {
        const struct sched_view *v = &e->views[s];
        sc->screens[s].layout = v->layout;
        sc->screens[s].n_tiles = v->n_tiles;
        memcpy(sc->screens[s].cams, v->cams, sizeof(int) * (size_t)v->n_tiles);
        sc->screens[s].changed_ms = e->changed_ms[s];
        status_line(e, s, sc->screens[s].status_line,
                    sizeof(sc->screens[s].status_line));
    }
    for (int i = 0; i < e->n_cams; i++) {
        sc->cams[i].state = e->cams[i].eff;
        sc->cams[i].since_ns = e->cams[i].eff_since_ns;
        sc->cams[i].stream = e->cams[i].stream;
    }
    sc->n_open_alerts = alert_bus_open_count(e->alerts);
    sc->n_banner = alert_bus_banner(e->alerts, sc->banner, 4);
    render_set_scene(e->render, sc);
    scene_unref(e->scene);
    e->scene = sc;
}

const char *engine_shed_name(enum shed_level l)
{
    static const char *const n[] = { "none", "preroll", "keyframes" };
    return n[l];
}

static uint64_t process_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Once a second: the share of all cores spent decoding, of the one render
 * thread spent composing, and of all cores used by the process. When any
 * is above the budget for 2 s, shed one level more (pre-roll first, then
 * small tiles to keyframes only, which also spares the renderer their
 * uploads); all under half of it for restore_after_s, one level less. */
/* dt_ns: time since the last sample (0: the first). */
static void measure_load(struct vigil_engine *e, int64_t dt_ns)
{
    uint64_t ns = 0, render_ns = 0, cpu_us = process_cpu_us();
    for (int i = 0; i < e->n_cams; i++) {
        ns += engine_cam_counts(&e->cams[i]).decode_ns;
    }
    for (int s = 0; s < e->cfg->n_screens; s++) {
        uint64_t frames, rns = 0;
        render_screen_stats(e->render, s, &frames, &rns);
        render_ns += rns;
    }
    if (dt_ns) {
        double budget = e->cfg->load_budget;
        double dt = (double)dt_ns;
        e->load = (double)(ns - e->load_ns) / (dt * e->n_cores);
        e->load_render = (double)(render_ns - e->load_render_ns) / dt;
        e->load_cpu = (double)(cpu_us - e->load_cpu_us) * 1000 /
                      (dt * e->n_cores);
        double worst = e->load;
        worst = e->load_render > worst ? e->load_render : worst;
        worst = e->load_cpu > worst ? e->load_cpu : worst;
        e->load_over = worst > budget ? e->load_over + 1 : 0;
        e->load_under = worst < budget / 2 ? e->load_under + 1 : 0;
        enum shed_level was = e->shed;
        int64_t wall = vt_wall_ms();
        if (e->load_over >= 2 && e->shed < SHED_KEYFRAMES) {
            e->shed++;
            e->shed_events++;
            /* back over budget soon after a restore: what was shed is
             * still needed; wait twice as long before the next try */
            if (e->restored_ms && wall - e->restored_ms < 30 * 1000) {
                e->restore_after_s = e->restore_after_s * 2 > 320
                                         ? 320
                                         : e->restore_after_s * 2;
            }
        } else if (e->load_under >= e->restore_after_s &&
                   e->shed > SHED_NONE) {
            e->shed--;
            e->restored_ms = wall;
        } else if (!e->shed && e->restored_ms &&
                   wall - e->restored_ms > 10 * 60 * 1000) {
            e->restore_after_s = 10; /* calm for 10 min: start over */
            e->restored_ms = 0;
        }
        if (e->shed != was) {
            e->load_over = e->load_under = 0;
            e->shed_since_ms = wall;
            if (e->shed > was) {
                VLOG_WARN(e->log,
                          "over budget (%.0f%%): decoding %.0f%% of %d "
                          "cores, composing %.0f%% of one, the process "
                          "%.0f%% of all: shedding %s",
                          budget * 100, e->load * 100, e->n_cores,
                          e->load_render * 100, e->load_cpu * 100,
                          engine_shed_name(e->shed));
            } else {
                VLOG_INFO(e->log, "load %.0f%%: shedding %s", e->load * 100,
                          engine_shed_name(e->shed));
            }
            if (e->control) {
                json_t *ev = json_pack("{s:s, s:f}", "shed",
                                       engine_shed_name(e->shed), "load",
                                       e->load);
                control_broadcast(e->control, "load", ev);
                json_decref(ev);
            }
        }
    }
    e->load_ns = ns;
    e->load_render_ns = render_ns;
    e->load_cpu_us = cpu_us;
}

/* Each camera's frame rates from its counters over dt_ns (0: the first
 * sample): a rate that stops (a camera hidden, or shown again) reads right
 * a second later, never a stale or window-skewed figure. */
static void sample_rates(struct vigil_engine *e, int64_t dt_ns)
{
    double dt = (double)dt_ns / VT_S;
    for (int i = 0; i < e->n_cams; i++) {
        struct cam_rt *c = &e->cams[i];
        uint64_t in = engine_shown_status(c)->packets;
        uint64_t dec = engine_cam_counts(c).frames;
        uint64_t out = render_camera_shown(e->render, i);
        if (dt > 0) {
            /* the stream shown may just have changed: never negative */
            c->fps_in = in >= c->prev_in ? (double)(in - c->prev_in) / dt : 0;
            c->fps_dec = (double)(dec - c->prev_dec) / dt;
            c->fps_out = (double)(out - c->prev_out) / dt;
        }
        c->prev_in = in;
        c->prev_dec = dec;
        c->prev_out = out;
    }
}

static void update_cameras(struct vigil_engine *e)
{
    int64_t now = vt_mono_ns();
    int64_t wall = vt_wall_ms();
    int changed = 0;
    if (!e->sampled_t || now - e->sampled_t >= VT_S) {
        /* once a second: loads (and shedding) and frame rates */
        int64_t dt = e->sampled_t ? now - e->sampled_t : 0;
        measure_load(e, dt);
        sample_rates(e, dt);
        e->sampled_t = now;
    }
    for (int i = 0; i < e->n_cams; i++) {
        struct cam_rt *c = &e->cams[i];
        const struct cfg_camera *cc = &e->cfg->cameras[i];
        char cond[24], detail[256];
        source_status_get(c->src, &c->st);
        if (c->sub_src) {
            source_status_get(c->sub_src, &c->sub_st);
        }
        changed |= set_decoding(e, i, now);
        enum scene_cam_state eff =
            effective_state(e, c, now, cond, detail, sizeof(detail));
        /* Report once the camera's state is known (not while it first
         * connects): a restored alert must neither clear on a guess nor
         * stay open when the camera comes up healthy. */
        if (eff != SCENE_CAM_CONNECTING && strcmp(cond, c->cond)) {
            snprintf(c->cond, sizeof(c->cond), "%s", cond);
            alert_bus_condition(e->alerts, i, cond[0] ? cond : NULL, detail,
                                wall);
        }
        int online = eff == SCENE_CAM_LIVE     ? 1
                     : eff == SCENE_CAM_CONNECTING ? c->online
                                                   : 0;
        if (online != c->online && online >= 0) {
            c->online = online;
            alert_bus_camera_online(e->alerts, i, online);
        }
        if (eff == c->eff) {
            continue;
        }
        VLOG_INFO(e->log, "camera %s: %s%s%s", cc->id,
                  eff == SCENE_CAM_LIVE      ? "live"
                  : eff == SCENE_CAM_STALLED ? "stalled"
                  : eff == SCENE_CAM_DOWN    ? "down"
                                             : "connecting",
                  cond[0] ? ": " : "", cond[0] ? detail : "");
        c->eff = eff;
        c->eff_since_ns = now;
        changed = 1;
        if (e->control) {
            json_t *ev = engine_camera_json(e, i, now);
            control_broadcast(e->control, "camera", ev);
            json_decref(ev);
        }
    }
    if (changed) {
        engine_publish_scene(e);
    }
}

/* ---- patrol (loop thread) ---- */

static void sched_fire(uv_timer_t *t);

/* Look the schedule up again when its cached answer runs out. Scanning is
 * bounded to 8 days ahead; past that the cache simply expires then. */
static void schedule_refresh(struct vigil_engine *e, int64_t now)
{
    if (now < e->sched_next_ms && e->sched_plan >= 0) {
        return;
    }
    e->sched_plan = schedule_plan_at(e->cfg, now, &e->sched_rule);
    e->sched_since_ms = schedule_plan_since(e->cfg, now, SCHEDULE_HORIZON_MS);
    e->sched_next_ms = schedule_next_change(e->cfg, now,
                                            INT64_C(8) * 86400 * 1000);
    if (e->sched_next_ms == INT64_MAX) {
        e->sched_next_ms = now + INT64_C(8) * 86400 * 1000;
    }
}

static void switch_plan(struct vigil_engine *e, int plan, int rule,
                        int64_t epoch, int64_t now)
{
    const struct config *cfg = e->cfg;
    int old = e->plan;
    for (int i = 0; i < cfg->n_screens; i++) {
        sched_screen_finish(&e->sched[i]);
        sched_screen_build(cfg, plan, i, &e->sched[i]);
    }
    e->plan = plan;
    e->rule = rule;
    e->epoch_ms = epoch;
    if (old == plan) {
        return;
    }
    char since[32];
    vtz_format_local(cfg->tz, epoch, since, sizeof(since));
    VLOG_INFO(e->log, "plan %s (%s) since %s", cfg->plans[plan].name,
              e->ov.plan >= 0 ? "operator"
              : rule >= 0     ? "schedule"
                              : "the only plan",
              since);
    if (old >= 0) {
        json_t *ev = json_pack("{s:s, s:s, s:s}", "event", "plan_changed",
                               "plan", cfg->plans[plan].name, "from",
                               cfg->plans[old].name);
        json_object_set_new(ev, "by", json_string(e->ov.plan >= 0
                                                      ? "operator"
                                                      : "schedule"));
        if (rule >= 0) {
            json_object_set_new(ev, "rule", json_integer(rule + 1));
        }
        alert_bus_journal(e->alerts, ev, now);
        json_decref(ev);
    }
}

/* Note where view v of screen s shows its cameras: now, or soon (the
 * page after the next change, which pre-rolls). */
static void mark_view(struct vigil_engine *e, int s,
                      const struct sched_view *v, bool soon)
{
    const struct cfg_screen *sc = &e->cfg->screens[s];
    if (v->layout < 0) {
        return;
    }
    const struct layout *l = &e->cfg->layouts[v->layout];
    int used = 0;
    for (int k = 0; k < v->n_tiles; k++) {
        used += v->cams[k] >= 0;
    }
    for (int k = 0; k < v->n_tiles && k < l->n_cells; k++) {
        if (v->cams[k] < 0) {
            continue;
        }
        struct cam_rt *c = &e->cams[v->cams[k]];
        struct layout_rect r = layout_tile_rect(l, k, sc->width, sc->height);
        *(soon ? &c->soon : &c->shown) = true;
        c->large |= r.h * 2 > sc->height;
        c->alone |= used == 1 && !soon;
        if (r.h > c->show_h) {
            c->show_w = r.w;
            c->show_h = r.h;
        }
    }
}

/* Mark the cameras on screen at instant t (views as engine_sched_update would
 * compute them then) as coming soon. */
static void mark_views_at(struct vigil_engine *e, int64_t t)
{
    const struct config *cfg = e->cfg;
    bool plan_change = e->ov.plan < 0 && t >= e->sched_next_ms;
    int plan = plan_change ? schedule_plan_at(cfg, t, NULL) : e->plan;
    int64_t epoch = plan_change ? t : e->epoch_ms;
    for (int s = 0; s < cfg->n_screens; s++) {
        struct sched_screen tmp;
        const struct sched_screen *ss = &e->sched[s];
        if (plan_change) {
            sched_screen_build(cfg, plan, s, &tmp);
            ss = &tmp;
        }
        struct sched_view v;
        sched_eval_overridden(ss, s, epoch, t, &e->ov, cfg->layouts, NULL,
                              &v);
        mark_view(e, s, &v, true);
        if (plan_change) {
            sched_screen_finish(&tmp);
        }
    }
}

/* Which stream to decode: the substream while the tile is no taller than
 * it, the main stream for anything larger; the other one when the chosen
 * one is down or stalled and the other is not. */
static int pick_stream(const struct vigil_engine *e, const struct cam_rt *c,
                       int64_t now)
{
    if (!c->sub_src) {
        return 0;
    }
    int sub_h = c->sub_st.height > 0 ? c->sub_st.height : SUB_HEIGHT_GUESS;
    int want = c->show_h > sub_h ? 0 : 1;
    const struct source_status *w = want ? &c->sub_st : &c->st;
    const struct source_status *o = want ? &c->st : &c->sub_st;
    bool w_ok = w->state == SOURCE_LIVE &&
                !stream_stalled(w, now, stall_budget_ns(e, w));
    bool o_ok = o->state == SOURCE_LIVE &&
                !stream_stalled(o, now, stall_budget_ns(e, o));
    return !w_ok && o_ok ? !want : want;
}

/* Tell camera i's sources how to decode now. Returns 1 when the stream
 * shown changed (the scene must say so). */
static int set_decoding(struct vigil_engine *e, int i, int64_t now)
{
    struct cam_rt *c = &e->cams[i];
    if (!c->src) {
        return 0;
    }
    int old = c->stream;
    if (c->shown || c->soon) {
        c->stream = pick_stream(e, c, now);
    }
    struct source_decode d[2] = { { .threads = 1 }, { .threads = 1 } };
    struct source_decode *w = &d[c->stream];
    const struct source_status *st = engine_shown_status(c);
    w->on = c->shown || (c->soon && e->shed < SHED_PREROLL);
    w->keyframes_only = e->shed >= SHED_KEYFRAMES && c->shown && !c->large;
    w->skip_loop_filter = e->cfg->skip_loop_filter && !c->large;
    w->hwaccel = e->cfg->cameras[i].hwaccel;
    w->fit = e->cfg->fit;
    w->tile_w = c->show_w;
    w->tile_h = c->show_h;
    if (c->alone && st->height >= 720) {
        /* one large picture: frame threads, the cores are otherwise idle */
        w->threads = e->n_cores < 4 ? e->n_cores : 4;
    }
    source_set_decode(c->src, &d[0]);
    if (c->sub_src) {
        source_set_decode(c->sub_src, &d[1]);
    }
    return c->stream != old;
}

/* Decode only what is on screen or about to be: the current views, and
 * within the pre-roll time of the next change, the views after it.
 * Returns the instant pre-roll must start (INT64_MAX: none pending). */
static int64_t apply_visibility(struct vigil_engine *e, int64_t now,
                                int64_t next)
{
    for (int i = 0; i < e->n_cams; i++) {
        struct cam_rt *c = &e->cams[i];
        c->shown = c->soon = c->large = c->alone = false;
        c->show_w = c->show_h = 0;
    }
    for (int s = 0; s < e->cfg->n_screens; s++) {
        mark_view(e, s, &e->views[s], false);
    }
    int64_t preroll_at = INT64_MAX;
    int64_t preroll = e->cfg->preroll_ms;
    if (next != INT64_MAX && preroll > 0) {
        if (next - now > preroll) {
            preroll_at = next - preroll;
        } else if (e->shed < SHED_PREROLL) {
            mark_views_at(e, next);
        } else if (e->preroll_skip_for != next) {
            e->preroll_skip_for = next;
            e->preroll_skipped++;
        }
    }
    int64_t mono = vt_mono_ns();
    for (int i = 0; i < e->n_cams; i++) {
        set_decoding(e, i, mono);
    }
    return preroll_at;
}

void engine_sched_update(struct vigil_engine *e)
{
    int64_t now = vt_wall_ms();
    if (sched_overrides_expire(&e->ov, now)) {
        VLOG_INFO(e->log, "an override ended; back to the schedule");
    }
    schedule_refresh(e, now);
    int plan = e->sched_plan, rule = e->sched_rule;
    int64_t epoch = e->sched_since_ms == INT64_MIN ? 0 : e->sched_since_ms;
    if (e->ov.plan >= 0) {
        plan = e->ov.plan;
        rule = -1;
        epoch = e->ov.plan_since_ms;
    }
    if (plan != e->plan || epoch != e->epoch_ms) {
        switch_plan(e, plan, rule, epoch, now);
    }
    int64_t next = e->ov.plan >= 0 ? INT64_MAX : e->sched_next_ms;
    int64_t expiry = sched_overrides_next_expiry(&e->ov);
    if (expiry < next) {
        next = expiry;
    }
    bool *down = xcalloc((size_t)e->n_cams + 1, sizeof(bool));
    for (int i = 0; i < e->n_cams; i++) {
        down[i] = e->cams[i].eff == SCENE_CAM_DOWN;
    }
    for (int s = 0; s < e->cfg->n_screens; s++) {
        struct sched_view before = e->views[s];
        sched_eval_overridden(&e->sched[s], s, e->epoch_ms, now, &e->ov,
                              e->cfg->layouts, down, &e->views[s]);
        const struct sched_view *v = &e->views[s];
        bool moved = v->page != before.page || v->layout != before.layout ||
                     v->n_tiles != before.n_tiles ||
                     memcmp(v->cams, before.cams,
                            sizeof(int) * (size_t)v->n_tiles);
        if (moved) {
            /* a page boundary counts from the boundary itself */
            e->changed_ms[s] = v->page_start_ms != before.page_start_ms &&
                                       v->page_start_ms <= now
                                   ? v->page_start_ms
                                   : now;
        }
        if (e->control && moved) {
            json_t *ev = engine_screen_json(e, s);
            control_broadcast(e->control, "page", ev);
            json_decref(ev);
        }
        if (e->views[s].next_change_ms < next) {
            next = e->views[s].next_change_ms;
        }
    }
    free(down);
    int64_t preroll_at = apply_visibility(e, now, next);
    engine_publish_scene(e);
    if (preroll_at < next) {
        next = preroll_at;
    }
    if (next != INT64_MAX) {
        /* Re-evaluate exactly at the boundary (from the wall clock, so a
         * late timer never stretches a page). */
        int64_t delay = next - vt_wall_ms();
        uv_timer_start(&e->sched_timer, sched_fire,
                       (uint64_t)(delay > 0 ? delay : 0), 0);
    }
}

static void sched_fire(uv_timer_t *t)
{
    engine_sched_update(t->data);
}

static void health_fire(uv_timer_t *t)
{
    update_cameras(t->data);
}

/* ---- snapshots ---- */

static int snapshot_start(void *ctx, const char *screen_id, uint64_t token)
{
    struct vigil_engine *e = ctx;
    int s = screen_id ? config_find_screen(e->cfg, screen_id) : 0;
    if (s < 0) {
        return -ENOENT;
    }
    render_request_snapshot(e->render, s, token);
    return 0;
}

/* Main thread: hand the pixels to the loop. */
static void snapshot_done(void *ctx, uint64_t id, uint8_t *rgb, int w, int h,
                          int64_t composed_us)
{
    struct vigil_engine *e = ctx;
    struct snap_result *r = xzalloc(sizeof(*r));
    *r = (struct snap_result){ id, rgb, w, h, composed_us, NULL };
    pthread_mutex_lock(&e->snap_lock);
    r->next = e->snaps;
    e->snaps = r;
    pthread_mutex_unlock(&e->snap_lock);
    uv_async_send(&e->doorbell);
}

/* libuv pool thread: PNG encoding is CPU work that must not stall the
 * loop. */
static void png_work(uv_work_t *req)
{
    struct png_job *j = req->data;
    /* when the picture was composed, for measuring latency from outside */
    char composed[24];
    snprintf(composed, sizeof(composed), "%lld",
             (long long)j->r->composed_us);
    const char *const texts[] = { "vigil:composed_us", composed, NULL };
    j->ret = j->r->rgb ? png_encode_rgb(j->r->rgb, j->r->w, j->r->h, texts,
                                        &j->png, &j->len)
                       : -EIO;
}

static void png_after(uv_work_t *req, int status)
{
    struct png_job *j = req->data;
    struct vigil_engine *e = j->e;
    if (j->ret == 0 && status == 0) {
        control_reply(e->control, j->r->token, 200, "image/png", j->png,
                      j->len);
    } else {
        free(j->png);
        char *msg = xstrdup("{\"error\": \"snapshot failed\"}");
        control_reply(e->control, j->r->token, 503, "application/json", msg,
                      strlen(msg));
    }
    free(j->r->rgb);
    free(j->r);
    free(j);
    e->png_jobs--;
}

static void drain_snapshots(struct vigil_engine *e)
{
    pthread_mutex_lock(&e->snap_lock);
    struct snap_result *list = e->snaps;
    e->snaps = NULL;
    pthread_mutex_unlock(&e->snap_lock);
    while (list) {
        struct snap_result *r = list;
        list = r->next;
        struct png_job *j = xzalloc(sizeof(*j));
        j->e = e;
        j->r = r;
        j->req.data = j;
        e->png_jobs++;
        if (uv_queue_work(&e->loop, &j->req, png_work, png_after) != 0) {
            j->ret = -EIO;
            png_after(&j->req, -1);
        }
    }
}

/* ---- wall input ---- */

/* Main thread: queue it for the loop. */
static void input_cb(void *ctx, const struct render_input *in)
{
    struct vigil_engine *e = ctx;
    struct input_cmd *c = xzalloc(sizeof(*c));
    c->in = *in;
    snprintf(c->command, sizeof(c->command), "%s", in->command);
    c->in.command = c->command;
    pthread_mutex_lock(&e->snap_lock);
    struct input_cmd **pp = &e->inputs; /* keep key order */
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = c;
    pthread_mutex_unlock(&e->snap_lock);
    uv_async_send(&e->doorbell);
}

static void drain_inputs(struct vigil_engine *e)
{
    pthread_mutex_lock(&e->snap_lock);
    struct input_cmd *list = e->inputs;
    e->inputs = NULL;
    pthread_mutex_unlock(&e->snap_lock);
    while (list) {
        struct input_cmd *c = list;
        list = c->next;
        engine_run_input(e, &c->in);
        free(c);
    }
}

/* ---- loop thread ---- */

static void close_cb(uv_handle_t *h)
{
    (void)h;
}

static void doorbell(uv_async_t *a)
{
    struct vigil_engine *e = a->data;
    if (atomic_load(&e->loop_quit)) {
        uv_timer_stop(&e->health_timer);
        uv_timer_stop(&e->sched_timer);
        control_destroy(e->control);
        e->control = NULL;
        uv_close((uv_handle_t *)&e->health_timer, close_cb);
        uv_close((uv_handle_t *)&e->sched_timer, close_cb);
        uv_close((uv_handle_t *)&e->sigint, close_cb);
        uv_close((uv_handle_t *)&e->sigterm, close_cb);
        uv_close((uv_handle_t *)&e->doorbell, close_cb);
        return;
    }
    update_cameras(e);
    drain_snapshots(e);
    drain_inputs(e);
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct vigil_engine *e = s->data;
    VLOG_INFO(e->log, "signal %d: stopping", signum);
    vigil_engine_quit(e);
}

static void *loop_main(void *arg)
{
    struct vigil_engine *e = arg;
    uv_timer_start(&e->health_timer, health_fire, HEALTH_PERIOD_MS,
                   HEALTH_PERIOD_MS);
    engine_sched_update(e);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void status_cb(void *ctx)
{
    struct vigil_engine *e = ctx;
    uv_async_send(&e->doorbell);
}


/* Read the first line of a token file; NULL (logged) when unreadable or
 * empty. */
static char *read_token(const char *path, struct vlog *log)
{
    char *token = file_first_line(path);
    if (!token) {
        VLOG_ERR(log, "cannot read control.token_file %s", path);
    } else if (strlen(token) < 16) {
        VLOG_ERR(log, "control.token_file %s: the token must be at least "
                      "16 characters", path);
        free(token);
        token = NULL;
    }
    return token;
}

static const char *web_dir(void)
{
    const char *env = getenv("VIGIL_WEB_DIR");
    return env && *env ? env : VIGIL_WEB_DIR;
}

/* Bind the control address; a non-loopback one demands a token. */
static int start_control(struct vigil_engine *e,
                         const struct vigil_settings *s)
{
    static const struct control_ops ops = { engine_query, snapshot_start,
                                            engine_command,
                                            engine_metrics_text };
    const struct config *cfg = e->cfg;
    struct control_params p = { cfg->listen_host, cfg->listen_port, NULL,
                                web_dir() };
    char *lhost = NULL, *token = NULL;
    if (s->listen) {
        const char *colon = strrchr(s->listen, ':');
        if (colon) {
            lhost = xasprintf("%.*s", (int)(colon - s->listen), s->listen);
            p.host = lhost;
            p.port = atoi(colon + 1);
        }
    }
    int ret = 0;
    if (cfg->token_file && !(token = read_token(cfg->token_file, e->log))) {
        ret = VIGIL_ELISTEN;
    } else if (!token && !control_is_loopback(p.host)) {
        VLOG_ERR(e->log, "control.listen %s is not a loopback address: "
                         "set control.token_file",
                 p.host);
        ret = VIGIL_ELISTEN;
    } else {
        p.token = token;
        e->control = control_create(&e->loop, &p, &ops, e);
        ret = e->control ? 0 : VIGIL_ELISTEN;
    }
    free(token);
    free(lhost);
    return ret;
}

/* ---- public API ---- */

int vigil_engine_create(struct vigil_engine **out,
                        const struct vigil_settings *s)
{
    *out = NULL;
    vlog_setup(s->log_level, s->log_cb, s->log_cookie);
    /* No single FFmpeg allocation over 64 MiB (libavutil's setting is
     * process-wide). The largest picture a camera sends, 8K 4:2:0, is
     * 50 MiB; libavformat allocates whatever an RTSP reply's
     * Content-Length announces, so a hostile server announcing 2 GB now
     * gets ENOMEM at once instead of the wall's memory. */
    av_max_alloc(VIGIL_MAX_ALLOC);
    struct vigil_engine *e = xzalloc(sizeof(*e));
    e->set = *s;
    e->log = vlog_create(NULL, "engine");
    pthread_mutex_init(&e->snap_lock, NULL);
    atomic_init(&e->quit, false);
    atomic_init(&e->loop_quit, false);
    uv_loop_init(&e->loop);
    int ret = VIGIL_ECONFIG;
    e->cfg = engine_load_config(s->config_path, e->log);
    if (!e->cfg) {
        VLOG_ERR(e->log, "the wall does not start on an invalid config");
        goto fail;
    }
    const struct config *cfg = e->cfg;
    e->n_cams = cfg->n_cameras;
    e->cams = xcalloc((size_t)e->n_cams + 1, sizeof(*e->cams));
    e->pacer = source_pacer_create(50 * VT_MS);
    e->slots = decode_slots_create(0); /* one decode slot per core */
    e->n_cores = decode_slots_size(e->slots);
    e->restore_after_s = 10;
    for (int i = 0; i < e->n_cams; i++) {
        e->cams[i].mb = mailbox_create();
        if (cfg->cameras[i].sub) {
            e->cams[i].sub_mb = mailbox_create();
            e->cams[i].stream = 1;
        }
        e->cams[i].online = -1;
        strcpy(e->cams[i].cond, "?");
    }
    /* The plan and its epoch come from the schedule on the loop's first
     * update (engine_sched_update), so a restart resumes on the page the wall
     * would be showing. */
    e->plan = e->rule = -1;
    e->sched_plan = -1;
    sched_overrides_init(&e->ov);
    e->ov.full_layout = config_find_layout(cfg, "1x1");
    e->sched = xcalloc((size_t)cfg->n_screens, sizeof(*e->sched));
    e->views = xcalloc((size_t)cfg->n_screens, sizeof(*e->views));
    e->changed_ms = xcalloc((size_t)cfg->n_screens, sizeof(int64_t));
    for (int i = 0; i < cfg->n_screens; i++) {
        e->views[i].page = e->views[i].layout = -1;
    }
    ret = VIGIL_EJOURNAL;
    e->cfg_boot = config_ref(e->cfg);
    e->alerts = alert_bus_create(e->cfg_boot, &e->loop, journal_event, e);
    if (!e->alerts) {
        goto fail;
    }
    ret = start_control(e, s);
    if (ret < 0) {
        goto fail;
    }
    uv_async_init(&e->loop, &e->doorbell, doorbell);
    uv_timer_init(&e->loop, &e->health_timer);
    uv_timer_init(&e->loop, &e->sched_timer);
    uv_signal_init(&e->loop, &e->sigint);
    uv_signal_init(&e->loop, &e->sigterm);
    e->doorbell.data = e->health_timer.data = e->sched_timer.data = e;
    e->sigint.data = e->sigterm.data = e;
    uv_signal_start(&e->sigint, on_signal, SIGINT);
    uv_signal_start(&e->sigterm, on_signal, SIGTERM);
    *out = e;
    return 0;
fail:
    vigil_engine_destroy(&e);
    return ret;
}

int vigil_engine_run(struct vigil_engine *e)
{
    e->scene = scene_create(e->cfg);
    struct mailbox **mbs = xcalloc((size_t)e->n_cams * 2 + 1, sizeof(*mbs));
    for (int i = 0; i < e->n_cams; i++) {
        mbs[i] = e->cams[i].mb;
        mbs[e->n_cams + i] = e->cams[i].sub_mb;
    }
    struct render_params rp = {
        .headless = e->set.headless,
        .scene = e->scene,
        .mailboxes = mbs,
        .sub_mailboxes = mbs + e->n_cams,
        .n_mailboxes = e->n_cams,
        .font_path = FONT_PATH,
        .on_snapshot = snapshot_done,
        .on_input = input_cb,
        .cb_ctx = e,
    };
    e->render = render_create(&rp);
    if (!e->render) {
        free(mbs);
        return VIGIL_EDISPLAY;
    }
    struct frame_caps caps;
    render_caps(e->render, &caps);
    for (int i = 0; i < e->n_cams; i++) {
        const struct cfg_camera *cc = &e->cfg->cameras[i];
        struct source_params sp = {
            .name = cc->id,
            .url = cc->url,
            .transport = cc->transport,
            .mailbox = e->cams[i].mb,
            .caps = caps,
            .slots = e->slots,
            .decode = { .threads = 1, .hwaccel = cc->hwaccel },
            .on_status = status_cb,
            .cb_ctx = e,
            .pacer = e->pacer,
            .connect_timeout_ns = cc->connect_timeout_ms * VT_MS,
            .seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) ^
                    (uint64_t)vt_mono_ns(),
        };
        e->cams[i].src = source_create(&sp);
        if (cc->sub) {
            char name[160];
            snprintf(name, sizeof(name), "%s/sub", cc->id);
            sp.name = name;
            sp.url = cc->sub;
            sp.mailbox = e->cams[i].sub_mb;
            sp.seed ^= 0x5bd1e995;
            e->cams[i].sub_src = source_create(&sp);
        }
        e->cams[i].eff_since_ns = vt_mono_ns();
    }
    if (pthread_create(&e->loop_thread, NULL, loop_main, e) != 0) {
        VLOG_ERR(e->log, "cannot start the loop thread");
    } else {
        e->loop_started = 1;
        if (!atomic_load(&e->quit)) {
            render_run(e->render);
        }
    }
    /* Stop order: the loop (no more scenes or snapshot requests), then
     * the cameras (no more frames), then the renderer. */
    if (e->loop_started) {
        atomic_store(&e->loop_quit, true);
        uv_async_send(&e->doorbell);
        pthread_join(e->loop_thread, NULL);
        e->loop_started = 0;
    }
    for (int i = 0; i < e->n_cams; i++) {
        source_destroy(e->cams[i].src);
        source_destroy(e->cams[i].sub_src); /* its frames wake the renderer */
        e->cams[i].src = e->cams[i].sub_src = NULL;
    }
    render_destroy(e->render);
    e->render = NULL;
    free(mbs);
    return 0;
}

void vigil_engine_quit(struct vigil_engine *e)
{
    atomic_store(&e->quit, true);
    if (e->render) {
        render_quit(e->render);
    }
}

void vigil_engine_destroy(struct vigil_engine **pe)
{
    struct vigil_engine *e = pe ? *pe : NULL;
    if (!e) {
        return;
    }
    if (e->control) {
        /* never ran: close the handles created in create() */
        control_destroy(e->control);
        uv_close((uv_handle_t *)&e->doorbell, close_cb);
        uv_close((uv_handle_t *)&e->health_timer, close_cb);
        uv_close((uv_handle_t *)&e->sched_timer, close_cb);
        uv_close((uv_handle_t *)&e->sigint, close_cb);
        uv_close((uv_handle_t *)&e->sigterm, close_cb);
    }
    alert_bus_destroy(e->alerts); /* closes its handles on the loop */
    e->alerts = NULL;
    uv_run(&e->loop, UV_RUN_DEFAULT);
    uv_loop_close(&e->loop);
    while (e->inputs) {
        struct input_cmd *c = e->inputs;
        e->inputs = c->next;
        free(c);
    }
    struct snap_result *r = e->snaps;
    while (r) {
        struct snap_result *n = r->next;
        free(r->rgb);
        free(r);
        r = n;
    }
    for (int i = 0; e->cams && i < e->n_cams; i++) {
        source_destroy(e->cams[i].src);
        source_destroy(e->cams[i].sub_src);
        mailbox_destroy(e->cams[i].mb);
        mailbox_destroy(e->cams[i].sub_mb);
    }
    free(e->cams);
    source_pacer_destroy(e->pacer);
    decode_slots_destroy(e->slots);
    if (e->cfg) {
        for (int i = 0; i < e->cfg->n_screens; i++) {
            sched_screen_finish(&e->sched[i]);
        }
    }
    free(e->sched);
    free(e->views);
    free(e->changed_ms);
    scene_unref(e->scene);
    config_unref(e->cfg);
    config_unref(e->cfg_boot);
    pthread_mutex_destroy(&e->snap_lock);
    vlog_destroy(e->log);
    free(e);
    *pe = NULL;
}
