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
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "alert/alert.h"
#include "config/config.h"
#include "control/control.h"
#include "core/demo.h"
#include "core/engine.h"
#include "frame/mailbox.h"
#include "render/render.h"
#include "render/scene.h"
#include "sched/sched.h"
#include "sched/schedule.h"
#include "source/source.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/png.h"
#include "util/time.h"
#include "vigil/vigil.h"

#ifndef VIGIL_LAYOUTS_DIR
#define VIGIL_LAYOUTS_DIR "layouts"
#endif
#define FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
/* How often camera health is looked at: the stall-detection granularity. */
#define HEALTH_PERIOD_MS 25

struct cam_rt {
    struct source *src;
    struct mailbox *mb;
    /* loop thread only: */
    struct source_status st;
    enum scene_cam_state eff;
    int64_t eff_since_ns;
    int failed;          /* down since the last time it was live */
    char cond[24];       /* alert condition reported, "" when healthy */
    int online;          /* reported to the sinks: -1 unknown, 0, 1 */
    /* decode error rate, sampled once a second */
    int64_t err_sample_ns;
    uint64_t err_prev, pkt_prev;
    int err_bad, err_good;
    bool err_sustained;
};

struct snap_result {
    uint64_t token;
    uint8_t *rgb;
    int w, h;
    struct snap_result *next;
};

struct png_job {
    uv_work_t req;
    struct vigil_engine *e;
    struct snap_result *r;
    uint8_t *png;
    size_t len;
    int ret;
};

struct vigil_engine {
    struct vigil_settings set;
    struct vlog *log;
    struct config *cfg;
    int n_cams;
    struct cam_rt *cams;
    struct render *render;

    /* loop thread only (and create/destroy before/after it runs): */
    uv_loop_t loop;
    uv_async_t doorbell;
    uv_timer_t health_timer, sched_timer;
    uv_signal_t sigint, sigterm;
    struct control *control;
    struct alert_bus *alerts;
    int plan;                     /* running plan (-1 before the first) */
    int rule;                     /* schedule rule that chose it, -1 */
    int64_t epoch_ms;             /* when it took over (pages count from) */
    int sched_plan, sched_rule;   /* what the schedule says, cached */
    int64_t sched_since_ms, sched_next_ms;
    struct sched_overrides ov;
    struct sched_screen *sched;   /* per screen, for `plan` */
    struct sched_view *views;     /* per screen, last evaluation */
    struct scene *scene;          /* last published */
    int png_jobs;

    pthread_t loop_thread;
    int loop_started;
    atomic_bool quit;
    atomic_bool loop_quit;

    pthread_mutex_t snap_lock;
    struct snap_result *snaps;    /* protected by snap_lock */
};

/* ---- settings ---- */

void vigil_settings_default(struct vigil_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->log_level = VIGIL_LOG_INFO;
}

static const char *layouts_dir(void)
{
    const char *env = getenv("VIGIL_LAYOUTS_DIR");
    return env && *env ? env : VIGIL_LAYOUTS_DIR;
}

struct config *engine_load_config(const char *path, struct vlog *log)
{
    struct cfg_errors errs = { 0 };
    struct config *c;
    if (path) {
        c = config_load(path, NULL, layouts_dir(), &errs);
    } else {
        char *text = demo_config_text(FONT_PATH);
        c = config_load("<demo>", text, layouts_dir(), &errs);
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

static void publish_scene(struct vigil_engine *e);

/* No decoded frame for this long is a stall: alerts.stall_after, or by
 * default 10 of the stream's own frame intervals (667 ms at 15 fps), never
 * under 500 ms; 1 s while the frame rate is unknown. */
static int64_t stall_budget_ns(const struct vigil_engine *e,
                               const struct cam_rt *c)
{
    if (e->cfg->stall_after_ms) {
        return e->cfg->stall_after_ms * VT_MS;
    }
    if (!c->st.frame_interval_ns) {
        return VT_S;
    }
    int64_t ten = 10 * c->st.frame_interval_ns;
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

/* A camera's state on the wall and its alert condition ("" healthy). */
static enum scene_cam_state effective_state(const struct vigil_engine *e,
                                            struct cam_rt *c, int64_t now,
                                            char *cond, char *detail,
                                            size_t size)
{
    int64_t budget = stall_budget_ns(e, c);
    cond[0] = 0;
    switch (c->st.state) {
    case SOURCE_LIVE:
        c->failed = 0;
        sample_errors(c, now);
        if (now - c->st.last_frame_ns > budget) {
            strcpy(cond, "stalled");
            snprintf(detail, size, "no decoded frame for %.1f s",
                     budget / 1e9);
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
            snprintf(cond, 24, "%s", c->cond[0] ? c->cond : "down");
            snprintf(detail, size, "%s", c->st.reason);
            return SCENE_CAM_DOWN;
        }
        return SCENE_CAM_CONNECTING;
    }
}

/* What an operator should know is overriding the patrol, for the wall. */
static void status_line(const struct vigil_engine *e, char *buf, size_t size)
{
    const struct sched_overrides *ov = &e->ov;
    char t[32];
    size_t n = 0;
    buf[0] = 0;
    if (ov->paused && n < size) {
        engine_format_local(e->cfg, ov->pause_until_ms, t, sizeof(t));
        n += (size_t)snprintf(buf + n, size - n, "PAUSED%s%s  ",
                              ov->pause_until_ms == INT64_MAX ? ""
                                                              : " until ",
                              ov->pause_until_ms == INT64_MAX ? "" : t + 11);
    }
    if (ov->plan >= 0 && n < size) {
        engine_format_local(e->cfg, ov->plan_until_ms, t, sizeof(t));
        n += (size_t)snprintf(buf + n, size - n, "PLAN %s%s%s  ",
                              e->cfg->plans[ov->plan].name,
                              ov->plan_until_ms == INT64_MAX ? ""
                                                             : " until ",
                              ov->plan_until_ms == INT64_MAX ? "" : t + 11);
    }
    if (ov->n_pins && n < size) {
        snprintf(buf + n, size - n, "%d PINNED", ov->n_pins);
    }
}

static void alerts_changed(void *ctx)
{
    struct vigil_engine *e = ctx;
    if (e->render && e->scene) {
        publish_scene(e);
    }
}

static void publish_scene(struct vigil_engine *e)
{
    struct scene *sc = scene_create(e->cfg);
    for (int s = 0; s < sc->n_screens; s++) {
        const struct sched_view *v = &e->views[s];
        sc->screens[s].layout = v->layout;
        sc->screens[s].n_tiles = v->n_tiles;
        memcpy(sc->screens[s].cams, v->cams, sizeof(int) * (size_t)v->n_tiles);
    }
    for (int i = 0; i < e->n_cams; i++) {
        sc->cams[i].state = e->cams[i].eff;
        sc->cams[i].since_ns = e->cams[i].eff_since_ns;
    }
    sc->n_open_alerts = alert_bus_open_count(e->alerts);
    sc->n_banner = alert_bus_banner(e->alerts, sc->banner, 4);
    status_line(e, sc->status_line, sizeof(sc->status_line));
    render_set_scene(e->render, sc);
    scene_unref(e->scene);
    e->scene = sc;
}

static void update_cameras(struct vigil_engine *e)
{
    int64_t now = vt_mono_ns();
    int64_t wall = vt_wall_ms();
    int changed = 0;
    for (int i = 0; i < e->n_cams; i++) {
        struct cam_rt *c = &e->cams[i];
        const struct cfg_camera *cc = &e->cfg->cameras[i];
        char cond[24], detail[256];
        source_status_get(c->src, &c->st);
        enum scene_cam_state eff =
            effective_state(e, c, now, cond, detail, sizeof(detail));
        if (strcmp(cond, c->cond)) {
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
    }
    if (changed) {
        publish_scene(e);
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
    engine_format_local(cfg, epoch, since, sizeof(since));
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

static void sched_update(struct vigil_engine *e)
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
        sched_eval_overridden(&e->sched[s], s, e->epoch_ms, now, &e->ov,
                              down, &e->views[s]);
        if (e->views[s].next_change_ms < next) {
            next = e->views[s].next_change_ms;
        }
    }
    free(down);
    publish_scene(e);
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
    sched_update(t->data);
}

static void health_fire(uv_timer_t *t)
{
    update_cameras(t->data);
}

/* ---- status document ---- */

static json_t *iso_time(int64_t wall_ms)
{
    char ts[48];
    vt_format_rfc3339(wall_ms, ts, sizeof(ts));
    return json_string(ts);
}

static const char *eff_name(enum scene_cam_state s)
{
    static const char *const n[] = { "connecting", "live", "stalled",
                                     "down" };
    return n[s];
}

static json_t *until_json(int64_t until)
{
    return until == INT64_MAX ? json_null() : iso_time(until);
}

static json_t *overrides_json(const struct vigil_engine *e)
{
    const struct sched_overrides *ov = &e->ov;
    const struct config *cfg = e->cfg;
    json_t *o = json_object();
    if (ov->paused) {
        json_object_set_new(o, "paused",
                            json_pack("{s:o, s:o}", "since",
                                      iso_time(ov->paused_at_ms), "until",
                                      until_json(ov->pause_until_ms)));
    }
    if (ov->plan >= 0) {
        json_object_set_new(o, "plan",
                            json_pack("{s:s, s:o, s:o}", "plan",
                                      cfg->plans[ov->plan].name, "since",
                                      iso_time(ov->plan_since_ms), "until",
                                      until_json(ov->plan_until_ms)));
    }
    json_t *pages = json_array();
    for (int i = 0; i < cfg->n_screens && i < SCHED_MAX_SCREENS; i++) {
        if (ov->shift_ms[i]) {
            json_array_append_new(
                pages, json_pack("{s:s, s:f, s:o}", "screen",
                                 cfg->screens[i].id, "shift_s",
                                 ov->shift_ms[i] / 1000.0, "until",
                                 until_json(ov->shift_until_ms[i])));
        }
    }
    json_object_set_new(o, "pages", pages);
    json_t *pins = json_array();
    for (int i = 0; i < ov->n_pins; i++) {
        const struct sched_pin *p = &ov->pins[i];
        json_array_append_new(
            pins, json_pack("{s:s, s:i, s:s, s:o}", "screen",
                            cfg->screens[p->screen].id, "tile", p->tile,
                            "camera", cfg->cameras[p->camera].id, "until",
                            until_json(p->until_ms)));
    }
    json_object_set_new(o, "pins", pins);
    return o;
}

static json_t *status_json(void *ctx)
{
    struct vigil_engine *e = ctx;
    const struct config *cfg = e->cfg;
    int64_t now = vt_mono_ns();
    json_t *cams = json_array();
    for (int i = 0; i < e->n_cams; i++) {
        const struct cam_rt *c = &e->cams[i];
        json_t *age = c->st.last_frame_ns
                          ? json_integer((now - c->st.last_frame_ns) / VT_MS)
                          : json_null();
        json_array_append_new(
            cams,
            json_pack("{s:s, s:s, s:s, s:s, s:f, s:o, s:I, s:I, s:I, s:i, "
                      "s:i, s:s}",
                      "id", cfg->cameras[i].id, "name", cfg->cameras[i].name,
                      "state", eff_name(c->eff), "reason", c->st.reason,
                      "fps", c->st.fps, "last_frame_age_ms", age, "frames",
                      (json_int_t)c->st.frames, "reconnects",
                      (json_int_t)c->st.reconnects, "frames_dropped",
                      (json_int_t)mailbox_drops(c->mb), "width", c->st.width,
                      "height", c->st.height, "codec", c->st.codec));
    }
    json_t *screens = json_array();
    for (int s = 0; s < cfg->n_screens; s++) {
        const struct sched_view *v = &e->views[s];
        json_t *tiles = json_array();
        for (int t = 0; t < v->n_tiles; t++) {
            json_array_append_new(
                tiles, json_pack("{s:i, s:o}", "tile", t, "camera",
                                 v->cams[t] >= 0
                                     ? json_string(cfg->cameras[v->cams[t]].id)
                                     : json_null()));
        }
        json_array_append_new(
            screens,
            json_pack("{s:s, s:i, s:i, s:o, s:i, s:i, s:o, s:o, s:o}", "id",
                      cfg->screens[s].id, "width", cfg->screens[s].width,
                      "height", cfg->screens[s].height, "layout",
                      v->layout >= 0 ? json_string(cfg->layouts[v->layout].name)
                                     : json_null(),
                      "page", v->page, "pages", v->n_pages, "page_started",
                      iso_time(v->page_start_ms), "next_change",
                      v->next_change_ms == INT64_MAX
                          ? json_null()
                          : iso_time(v->next_change_ms),
                      "tiles", tiles));
    }
    json_t *doc = json_pack(
        "{s:s, s:o, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I}",
        "wall", cfg->wall_name, "time", iso_time(vt_wall_ms()), "time_ms",
        (json_int_t)vt_wall_ms(), "plan",
        e->plan >= 0 ? cfg->plans[e->plan].name : "", "plan_since",
        iso_time(e->epoch_ms), "rule",
        e->rule >= 0 ? json_integer(e->rule + 1) : json_null(), "overrides",
        overrides_json(e), "cameras", cams, "screens", screens, "alerts",
        alert_bus_open_json(e->alerts), "frames_composed",
        (json_int_t)render_frames_composed(e->render));
    json_object_set_new(doc, "sinks", alert_bus_sinks_json(e->alerts));
    return doc;
}

/* ---- operator commands (loop thread) ---- */

static json_t *cmd_error(const char *msg)
{
    return json_pack("{s:s}", "error", msg);
}

/* End of an override from "for_s" (seconds from now); INT64_MAX without. */
static int64_t until_of(json_t *args, int64_t now)
{
    json_t *f = json_object_get(args, "for_s");
    if (!json_is_number(f) || json_number_value(f) <= 0) {
        return INT64_MAX;
    }
    return now + (int64_t)(json_number_value(f) * 1000.0);
}

/* Screen named by args["screen"]: its index, -1 for all (absent), -2 when
 * unknown. */
static int screen_arg(const struct vigil_engine *e, json_t *args)
{
    const char *id = json_string_value(json_object_get(args, "screen"));
    if (!id) {
        return -1;
    }
    int s = config_find_screen(e->cfg, id);
    return s >= 0 ? s : -2;
}

static int cmd_page(struct vigil_engine *e, json_t *args, int dir,
                    int64_t now, json_t **reply)
{
    int only = screen_arg(e, args);
    if (only == -2) {
        *reply = cmd_error("unknown screen");
        return 404;
    }
    for (int s = 0; s < e->cfg->n_screens && s < SCHED_MAX_SCREENS; s++) {
        if (only >= 0 && s != only) {
            continue;
        }
        e->ov.shift_ms[s] += sched_page_step(&e->sched[s], &e->views[s],
                                             now, dir);
        e->ov.shift_until_ms[s] = until_of(args, now);
    }
    return 200;
}

static int cmd_pin(struct vigil_engine *e, json_t *args, int64_t now,
                   json_t **reply)
{
    int s = screen_arg(e, args);
    json_t *tile = json_object_get(args, "tile");
    json_t *cam = json_object_get(args, "camera");
    if (s == -1 && e->cfg->n_screens == 1) {
        s = 0;
    }
    if (s < 0 || !json_is_integer(tile)) {
        *reply = cmd_error("pin needs a screen and a tile");
        return s == -2 ? 404 : 400;
    }
    int t = (int)json_integer_value(tile);
    struct sched_overrides *ov = &e->ov;
    for (int i = 0; i < ov->n_pins; i++) { /* replace an earlier pin */
        if (ov->pins[i].screen == s && ov->pins[i].tile == t) {
            ov->pins[i] = ov->pins[--ov->n_pins];
            break;
        }
    }
    if (json_is_null(cam) || !cam) {
        return 200; /* unpin */
    }
    int c = json_is_string(cam)
                ? config_find_camera(e->cfg, json_string_value(cam))
                : -1;
    if (c < 0 || t < 0 || t >= e->views[s].n_tiles) {
        *reply = cmd_error(c < 0 ? "unknown camera" : "no such tile");
        return c < 0 ? 404 : 400;
    }
    if (ov->n_pins >= SCHED_MAX_PINS) {
        *reply = cmd_error("too many pins");
        return 409;
    }
    ov->pins[ov->n_pins++] = (struct sched_pin){ s, t, c,
                                                 until_of(args, now) };
    return 200;
}

static int cmd_plan(struct vigil_engine *e, json_t *args, int64_t now,
                    json_t **reply)
{
    json_t *name = json_object_get(args, "plan");
    if (json_is_null(name)) {
        e->ov.plan = -1;
        return 200;
    }
    for (int i = 0; json_is_string(name) && i < e->cfg->n_plans; i++) {
        if (!strcmp(e->cfg->plans[i].name, json_string_value(name))) {
            e->ov.plan = i;
            e->ov.plan_since_ms = now;
            e->ov.plan_until_ms = until_of(args, now);
            return 200;
        }
    }
    *reply = cmd_error("unknown plan");
    return 404;
}

static int command(void *ctx, const char *name, json_t *args, json_t **reply)
{
    struct vigil_engine *e = ctx;
    int64_t now = vt_wall_ms();
    int status = 200;
    if (!strcmp(name, "pause")) {
        if (!e->ov.paused) {
            e->ov.paused = true;
            e->ov.paused_at_ms = now;
        }
        e->ov.pause_until_ms = until_of(args, now);
    } else if (!strcmp(name, "resume")) {
        /* back to the clock: the page the schedule says now */
        e->ov.paused = false;
        e->ov.pause_until_ms = INT64_MAX;
    } else if (!strcmp(name, "next") || !strcmp(name, "prev")) {
        status = cmd_page(e, args, name[0] == 'n' ? 1 : -1, now, reply);
    } else if (!strcmp(name, "plan")) {
        status = cmd_plan(e, args, now, reply);
    } else if (!strcmp(name, "pin")) {
        status = cmd_pin(e, args, now, reply);
    } else if (!strcmp(name, "schedule")) {
        sched_overrides_init(&e->ov); /* drop every override */
    } else if (!strcmp(name, "ack") || !strcmp(name, "close")) {
        const char *id = json_string_value(json_object_get(args, "alert"));
        const char *by = json_string_value(json_object_get(args, "by"));
        const char *note = json_string_value(json_object_get(args, "note"));
        if (!id) {
            *reply = cmd_error("'alert' (the alert id) is required");
            return 400;
        }
        int ret = name[0] == 'a'
                      ? alert_bus_ack(e->alerts, id, by ? by : "operator",
                                      note, now)
                      : alert_bus_close(e->alerts, id, by ? by : "operator",
                                        note, now);
        if (ret == -ENOENT) {
            *reply = cmd_error("no such open alert");
            return 404;
        }
        if (ret == -EALREADY) {
            *reply = cmd_error("already acknowledged");
            return 409;
        }
        publish_scene(e);
        return 200; /* the journal has the event itself */
    } else {
        *reply = cmd_error("no such command");
        return 404;
    }
    if (status == 200) {
        json_t *ev = json_pack("{s:s, s:s}", "event", "override", "action",
                               name);
        json_object_update_missing(ev, args);
        alert_bus_journal(e->alerts, ev, now);
        json_decref(ev);
        VLOG_INFO(e->log, "operator: %s", name);
        sched_update(e);
    }
    return status;
}

static json_t *query(void *ctx, const char *name, const char *q,
                     int *status)
{
    struct vigil_engine *e = ctx;
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
static void snapshot_done(void *ctx, uint64_t id, uint8_t *rgb, int w, int h)
{
    struct vigil_engine *e = ctx;
    struct snap_result *r = xzalloc(sizeof(*r));
    *r = (struct snap_result){ id, rgb, w, h, NULL };
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
    j->ret = j->r->rgb ? png_encode_rgb(j->r->rgb, j->r->w, j->r->h, &j->png,
                                        &j->len)
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
    sched_update(e);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void status_cb(void *ctx)
{
    struct vigil_engine *e = ctx;
    uv_async_send(&e->doorbell);
}

static void frame_cb(void *ctx)
{
    struct vigil_engine *e = ctx;
    render_wake(e->render);
}

/* ---- public API ---- */

int vigil_engine_create(struct vigil_engine **out,
                        const struct vigil_settings *s)
{
    *out = NULL;
    vlog_setup(s->log_level, s->log_cb, s->log_cookie);
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
    if (cfg->timezone) {
        setenv("TZ", cfg->timezone, 1);
        tzset();
    }
    e->n_cams = cfg->n_cameras;
    e->cams = xcalloc((size_t)e->n_cams + 1, sizeof(*e->cams));
    for (int i = 0; i < e->n_cams; i++) {
        e->cams[i].mb = mailbox_create();
        e->cams[i].online = -1;
    }
    /* The plan and its epoch come from the schedule on the loop's first
     * update (sched_update), so a restart resumes on the page the wall
     * would be showing. */
    e->plan = e->rule = -1;
    e->sched_plan = -1;
    sched_overrides_init(&e->ov);
    e->sched = xcalloc((size_t)cfg->n_screens, sizeof(*e->sched));
    e->views = xcalloc((size_t)cfg->n_screens, sizeof(*e->views));
    for (int i = 0; i < cfg->n_screens; i++) {
        e->views[i].page = e->views[i].layout = -1;
    }
    ret = VIGIL_EJOURNAL;
    e->alerts = alert_bus_create(cfg, &e->loop, alerts_changed, e);
    if (!e->alerts) {
        goto fail;
    }
    static const struct control_ops ops = { status_json, snapshot_start,
                                            command, query };
    ret = VIGIL_ELISTEN;
    const char *host = cfg->listen_host;
    int port = cfg->listen_port;
    char *lhost = NULL;
    if (s->listen) {
        const char *colon = strrchr(s->listen, ':');
        if (colon) {
            lhost = xasprintf("%.*s", (int)(colon - s->listen), s->listen);
            host = lhost;
            port = atoi(colon + 1);
        }
    }
    e->control = control_create(&e->loop, host, port, &ops, e);
    free(lhost);
    if (!e->control) {
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
    struct mailbox **mbs = xcalloc((size_t)e->n_cams + 1, sizeof(*mbs));
    for (int i = 0; i < e->n_cams; i++) {
        mbs[i] = e->cams[i].mb;
    }
    struct render_params rp = {
        .headless = e->set.headless,
        .scene = e->scene,
        .mailboxes = mbs,
        .n_mailboxes = e->n_cams,
        .font_path = FONT_PATH,
        .on_snapshot = snapshot_done,
        .cb_ctx = e,
    };
    e->render = render_create(&rp);
    if (!e->render) {
        free(mbs);
        return VIGIL_EDISPLAY;
    }
    for (int i = 0; i < e->n_cams; i++) {
        const struct cfg_camera *cc = &e->cfg->cameras[i];
        struct source_params sp = {
            .name = cc->id,
            .url = cc->url,
            .transport = cc->transport,
            .mailbox = e->cams[i].mb,
            .on_status = status_cb,
            .on_frame = frame_cb,
            .cb_ctx = e,
            .seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) ^
                    (uint64_t)vt_mono_ns(),
        };
        e->cams[i].src = source_create(&sp);
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
        e->cams[i].src = NULL;
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
    struct snap_result *r = e->snaps;
    while (r) {
        struct snap_result *n = r->next;
        free(r->rgb);
        free(r);
        r = n;
    }
    for (int i = 0; e->cams && i < e->n_cams; i++) {
        source_destroy(e->cams[i].src);
        mailbox_destroy(e->cams[i].mb);
    }
    free(e->cams);
    if (e->cfg) {
        for (int i = 0; i < e->cfg->n_screens; i++) {
            sched_screen_finish(&e->sched[i]);
        }
    }
    free(e->sched);
    free(e->views);
    scene_unref(e->scene);
    config_unref(e->cfg);
    pthread_mutex_destroy(&e->snap_lock);
    vlog_destroy(e->log);
    free(e);
    *pe = NULL;
}
