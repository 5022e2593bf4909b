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
#include <stdarg.h>
#include <sys/resource.h>
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
#include "vigil/vigil.h"

#ifndef VIGIL_LAYOUTS_DIR
#define VIGIL_LAYOUTS_DIR "layouts"
#endif
#ifndef VIGIL_WEB_DIR
#define VIGIL_WEB_DIR "web"
#endif
#define FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
/* How often camera health is looked at: the stall-detection granularity. */
#define HEALTH_PERIOD_MS 25
/* A substream whose height is not known yet (not connected) is taken to
 * fit tiles up to this many lines. */
#define SUB_HEIGHT_GUESS 480

/* Load shedding, worst last. */
enum shed_level { SHED_NONE, SHED_PREROLL, SHED_KEYFRAMES };

struct cam_rt {
    struct source *src;      /* the main stream */
    struct mailbox *mb;
    struct source *sub_src;  /* the substream, NULL without `sub` */
    struct mailbox *sub_mb;
    /* loop thread only: */
    struct source_status st; /* main stream: the camera's health */
    struct source_status sub_st;
    enum scene_cam_state eff;
    int64_t eff_since_ns;
    int failed;          /* down since the last time it was live */
    /* where it is shown, from the views (apply_visibility) */
    bool shown;          /* on a screen now */
    bool soon;           /* on the next page, pre-rolling */
    bool large;          /* in a tile over half a screen high */
    bool alone;          /* the only tile of its screen */
    int show_w, show_h;  /* its largest tile, pixels */
    int stream;          /* decoded and shown: 0 main, 1 sub */
    char cond[24];       /* alert condition reported, "" when healthy,
                          * "?" before the first report */
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
    int64_t composed_us;
    struct snap_result *next;
};

/* A key or click on the wall, waiting for the loop thread. */
struct input_cmd {
    struct render_input in;
    char command[24];
    struct input_cmd *next;
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
    struct config *cfg;           /* running; swapped by a reload */
    struct config *cfg_boot;      /* the first: the alert bus keeps it */
    int n_cams;
    struct cam_rt *cams;
    struct source_pacer *pacer;   /* the cameras' reconnects, 20 a second */
    struct render *render;
    int n_cores;
    bool soft_render;             /* the renderer scales in software */

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
    int64_t *changed_ms;          /* per screen: when its tiles changed */
    struct scene *scene;          /* last published */
    int png_jobs;
    /* decoding load, sampled once a second, and what is shed for it */
    int64_t load_t;
    uint64_t load_ns;
    double load;                  /* share of all cores spent decoding */
    double load_render;           /* share of the render thread composing */
    double load_cpu;              /* share of all cores the process used */
    uint64_t load_render_ns, load_cpu_us;
    int load_over, load_under;    /* seconds above / well below budget */
    enum shed_level shed;
    int64_t shed_since_ms;
    int restore_after_s;          /* seconds under half the budget before a
                                   * level is restored: 10, doubling when
                                   * a restore does not hold */
    int64_t restored_ms;          /* the last restore (wall), 0: none */
    uint64_t shed_events;         /* times shedding went a level deeper */
    uint64_t preroll_skipped;     /* page changes not pre-rolled */
    int64_t preroll_skip_for;     /* the boundary last counted */

    pthread_t loop_thread;
    int loop_started;
    atomic_bool quit;
    atomic_bool loop_quit;

    pthread_mutex_t snap_lock;
    struct snap_result *snaps;    /* protected by snap_lock */
    struct input_cmd *inputs;     /* protected by snap_lock */
};

static json_t *screen_json(const struct vigil_engine *e, int s);
static int set_decoding(struct vigil_engine *e, int i, int64_t now);
static json_t *camera_json(const struct vigil_engine *e, int i, int64_t now);
static int command(void *ctx, const char *name, json_t *args,
                   json_t **reply);

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
static const struct source_status *shown_status(const struct cam_rt *c)
{
    return c->stream ? &c->sub_st : &c->st;
}

/* A camera's counters over both its streams (sub_st stays zero without
 * a substream). */
struct cam_counts {
    uint64_t frames, shed_frames, dropped, reconnects, decode_errors, bytes,
        decode_ns, decode_wait_ns;
};

static struct cam_counts cam_counts(const struct cam_rt *c)
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
        engine_format_local(e->cfg, until_ms, t, sizeof(t));
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
        publish_scene(e);
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

static void publish_scene(struct vigil_engine *e)
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

static const char *const shed_names[] = { "none", "preroll", "keyframes" };

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
static void measure_load(struct vigil_engine *e, int64_t now)
{
    if (e->load_t && now - e->load_t < VT_S) {
        return;
    }
    uint64_t ns = 0, render_ns = 0, cpu_us = process_cpu_us();
    for (int i = 0; i < e->n_cams; i++) {
        ns += cam_counts(&e->cams[i]).decode_ns;
    }
    for (int s = 0; s < e->cfg->n_screens; s++) {
        uint64_t frames, rns = 0;
        render_screen_stats(e->render, s, &frames, &rns);
        render_ns += rns;
    }
    if (e->load_t) {
        double budget = e->cfg->load_budget;
        double dt = (double)(now - e->load_t);
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
                          shed_names[e->shed]);
            } else {
                VLOG_INFO(e->log, "load %.0f%%: shedding %s", e->load * 100,
                          shed_names[e->shed]);
            }
            if (e->control) {
                json_t *ev = json_pack("{s:s, s:f}", "shed",
                                       shed_names[e->shed], "load", e->load);
                control_broadcast(e->control, "load", ev);
                json_decref(ev);
            }
        }
    }
    e->load_t = now;
    e->load_ns = ns;
    e->load_render_ns = render_ns;
    e->load_cpu_us = cpu_us;
}

static void update_cameras(struct vigil_engine *e)
{
    int64_t now = vt_mono_ns();
    int64_t wall = vt_wall_ms();
    int changed = 0;
    measure_load(e, now);
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
            json_t *ev = camera_json(e, i, now);
            control_broadcast(e->control, "camera", ev);
            json_decref(ev);
        }
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

/* Mark the cameras on screen at instant t (views as sched_update would
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
    const struct source_status *st = shown_status(c);
    w->on = c->shown || (c->soon && e->shed < SHED_PREROLL);
    w->keyframes_only = e->shed >= SHED_KEYFRAMES && c->shown && !c->large;
    w->skip_loop_filter = e->cfg->skip_loop_filter && !c->large;
    if (c->alone && st->height >= 720) {
        /* one large picture: frame threads, the cores are otherwise idle */
        w->threads = e->n_cores < 4 ? e->n_cores : 4;
    }
    if (e->soft_render && st->width > 0 && st->height > 0 && c->show_w) {
        /* the size the renderer would scale the picture to in its largest
         * tile, so that it copies it 1:1 instead */
        struct layout_rect in = render_tile_inner(
            (struct layout_rect){ 0, 0, c->show_w, c->show_h });
        struct layout_rect dst, crop;
        layout_fit_rect(e->cfg->fit, st->width, st->height, in, &dst, &crop);
        if (crop.w > 0 && crop.h > 0) {
            w->max_w = (int)((int64_t)st->width * dst.w / crop.w) & ~1;
            w->max_h = (int)((int64_t)st->height * dst.h / crop.h) & ~1;
        }
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
            json_t *ev = screen_json(e, s);
            control_broadcast(e->control, "page", ev);
            json_decref(ev);
        }
        if (e->views[s].next_change_ms < next) {
            next = e->views[s].next_change_ms;
        }
    }
    free(down);
    int64_t preroll_at = apply_visibility(e, now, next);
    publish_scene(e);
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

static json_t *screen_json(const struct vigil_engine *e, int s)
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
        iso_time(v->page_start_ms), "next_change",
        v->next_change_ms == INT64_MAX ? json_null()
                                       : iso_time(v->next_change_ms),
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
    return json_pack("{s:s, s:i, s:i, s:b, s:i, s:f, s:I, s:I}", "state",
                     source_state_name(st->state), "width", st->width,
                     "height", st->height, "decoding", st->decoding,
                     "threads", st->threads, "fps", st->fps, "frames",
                     (json_int_t)st->frames, "shed_frames",
                     (json_int_t)st->shed_frames);
}

static json_t *camera_json(const struct vigil_engine *e, int i, int64_t now)
{
    const struct config *cfg = e->cfg;
    const struct cam_rt *c = &e->cams[i];
    /* picture facts from the stream shown, counters over both */
    const struct source_status *sh = shown_status(c);
    struct cam_counts n = cam_counts(c);
    json_t *age = sh->last_frame_ns
                      ? json_integer((now - sh->last_frame_ns) / VT_MS)
                      : json_null();
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:f, s:o, s:I, s:I, s:I, s:I, s:i, s:i, s:s}",
        "id", cfg->cameras[i].id, "name", cfg->cameras[i].name, "state",
        eff_name(c->eff), "reason", c->st.reason, "fps", sh->fps,
        "last_frame_age_ms", age, "frames", (json_int_t)n.frames,
        "reconnects", (json_int_t)n.reconnects, "frames_dropped",
        (json_int_t)n.dropped, "decode_errors", (json_int_t)n.decode_errors,
        "width", sh->width, "height", sh->height, "codec", sh->codec);
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
        shed_frames += cam_counts(&e->cams[i]).shed_frames;
    }
    return json_pack("{s:f, s:f, s:f, s:f, s:i, s:i, s:s, s:o, s:I, s:I, "
                     "s:I}",
                     "decode", e->load, "render", e->load_render, "process",
                     e->load_cpu, "budget", e->cfg->load_budget,
                     "cores", e->n_cores, "decode_slots",
                     decode_slots_size(), "shed", shed_names[e->shed], "shed_since",
                     e->shed ? iso_time(e->shed_since_ms) : json_null(),
                     "shed_events", (json_int_t)e->shed_events,
                     "shed_frames", (json_int_t)shed_frames,
                     "preroll_skipped", (json_int_t)e->preroll_skipped);
}

static json_t *status_json(void *ctx)
{
    struct vigil_engine *e = ctx;
    const struct config *cfg = e->cfg;
    int64_t now = vt_mono_ns();
    json_t *cams = json_array();
    for (int i = 0; i < e->n_cams; i++) {
        json_array_append_new(cams, camera_json(e, i, now));
    }
    json_t *screens = json_array();
    for (int s = 0; s < cfg->n_screens; s++) {
        json_array_append_new(screens, screen_json(e, s));
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
    json_object_set_new(doc, "load", load_json(e));
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

/* The one screen a command acts on: args["screen"], or the only screen.
 * Returns its index, or minus the HTTP status with *reply set. */
static int target_screen(const struct vigil_engine *e, json_t *args,
                         const char *what, json_t **reply)
{
    int sc = screen_arg(e, args);
    if (sc == -1 && e->cfg->n_screens == 1) {
        sc = 0;
    }
    if (sc == -2) {
        *reply = cmd_error("unknown screen");
        return -404;
    }
    if (sc < 0 || sc >= SCHED_MAX_SCREENS) {
        *reply = cmd_error(what);
        return -400;
    }
    return sc;
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
    int s = target_screen(e, args, "pin needs a screen", reply);
    json_t *tile = json_object_get(args, "tile");
    json_t *cam = json_object_get(args, "camera");
    if (s < 0) {
        return -s;
    }
    if (!json_is_integer(tile)) {
        *reply = cmd_error("pin needs a tile");
        return 400;
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

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* What a reload cannot change live: cameras (their workers and alert
 * state), screens (windows), the control address and the alert sinks.
 * Appends the names of what differs to `changed`. */
static void immutable_changes(const struct config *a, const struct config *b,
                              json_t *changed)
{
    bool cams = a->n_cameras == b->n_cameras;
    for (int i = 0; cams && i < a->n_cameras; i++) {
        const struct cfg_camera *x = &a->cameras[i], *y = &b->cameras[i];
        cams = str_eq(x->id, y->id) && str_eq(x->url, y->url) &&
               str_eq(x->sub, y->sub) && str_eq(x->name, y->name) &&
               x->transport == y->transport;
    }
    bool screens = a->n_screens == b->n_screens;
    for (int i = 0; screens && i < a->n_screens; i++) {
        screens = str_eq(a->screens[i].id, b->screens[i].id) &&
                  a->screens[i].width == b->screens[i].width &&
                  a->screens[i].height == b->screens[i].height &&
                  a->screens[i].fullscreen == b->screens[i].fullscreen;
    }
    if (!cams) {
        json_array_append_new(changed, json_string("cameras"));
    }
    if (!screens) {
        json_array_append_new(changed, json_string("wall.screens"));
    }
    if (!str_eq(a->listen_host, b->listen_host) ||
        a->listen_port != b->listen_port ||
        !str_eq(a->token_file, b->token_file)) {
        json_array_append_new(changed, json_string("control"));
    }
    if (!str_eq(a->journal, b->journal) || !str_eq(a->mqtt_url, b->mqtt_url) ||
        !str_eq(a->mqtt_topic, b->mqtt_topic) ||
        !str_eq(a->webhook_url, b->webhook_url) ||
        a->n_exec_argv != b->n_exec_argv || !str_eq(a->wall_name, b->wall_name)) {
        json_array_append_new(changed, json_string("alerts/wall.name"));
    }
}

/* Reload the config file: validated first; on any error the running
 * config stays and the errors come back with file:line:column. Plans,
 * layouts, schedule, calendars, fit and labels apply at once; a change to
 * cameras, screens, control or alert sinks needs a restart (409). */
static int cmd_reload(struct vigil_engine *e, json_t **reply)
{
    if (!e->set.config_path) {
        *reply = cmd_error("the built-in demo has no file to reload");
        return 409;
    }
    struct cfg_errors errs = { 0 };
    struct config *c = config_load(e->set.config_path, NULL, layouts_dir(),
                                   &errs);
    if (!c) {
        json_t *list = json_array();
        for (size_t i = 0; i < errs.n; i++) {
            json_array_append_new(list, json_string(errs.msgs[i]));
            VLOG_WARN(e->log, "reload: %s", errs.msgs[i]);
        }
        cfg_errors_finish(&errs);
        *reply = json_pack("{s:s, s:o}", "error",
                           "the config is invalid; the running one stays",
                           "errors", list);
        return 400;
    }
    cfg_errors_finish(&errs);
    json_t *changed = json_array();
    immutable_changes(e->cfg, c, changed);
    if (json_array_size(changed)) {
        config_unref(c);
        *reply = json_pack("{s:s, s:o}", "error",
                           "these parts need a restart; the running config "
                           "stays",
                           "changed", changed);
        return 409;
    }
    json_decref(changed);
    config_unref(e->cfg);
    e->cfg = c;
    /* indices into the old config's plans and layouts mean nothing now */
    sched_overrides_init(&e->ov);
    e->ov.full_layout = config_find_layout(c, "1x1");
    e->plan = -1;
    e->sched_plan = -1;
    json_t *ev = json_pack("{s:s}", "event", "config_reloaded");
    alert_bus_journal(e->alerts, ev, vt_wall_ms());
    json_decref(ev);
    VLOG_INFO(e->log, "config reloaded");
    sched_update(e);
    return 200;
}

/* Go to page N (0-based) of a screen: shift its clock so that page starts
 * now. */
static int cmd_goto(struct vigil_engine *e, json_t *args, int64_t now,
                    json_t **reply)
{
    int sc = target_screen(e, args, "page needs a screen", reply);
    json_t *page = json_object_get(args, "page");
    if (sc < 0) {
        return -sc;
    }
    if (!json_is_integer(page)) {
        *reply = cmd_error("page needs a page number");
        return 400;
    }
    const struct sched_screen *ss = &e->sched[sc];
    int want = (int)json_integer_value(page);
    if (want < 0 || want >= ss->n_pages) {
        *reply = cmd_error("no such page");
        return 400;
    }
    /* the offset of page `want` within the cycle, against where the
     * schedule's own clock (with the current shift) stands */
    int64_t off = 0;
    for (int i = 0; i < want; i++) {
        off += ss->pages[i].dwell_ms;
    }
    int64_t base = e->epoch_ms; /* cycle starts at epoch + k*cycle */
    int64_t into = (now - base) % ss->cycle_ms;
    e->ov.shift_ms[sc] = off - into;
    e->ov.shift_until_ms[sc] = until_of(args, now);
    return 200;
}

static int cmd_layout(struct vigil_engine *e, json_t *args, int64_t now,
                      json_t **reply)
{
    int sc = target_screen(e, args, "layout needs a screen", reply);
    json_t *name = json_object_get(args, "layout");
    if (sc < 0) {
        return -sc;
    }
    if (json_is_null(name) || !name) {
        e->ov.layout[sc] = -1; /* back to the plan's layout */
        return 200;
    }
    int l = json_is_string(name)
                ? config_find_layout(e->cfg, json_string_value(name))
                : -1;
    if (l < 0) {
        *reply = cmd_error("unknown layout");
        return 404;
    }
    e->ov.layout[sc] = l;
    e->ov.layout_until_ms[sc] = until_of(args, now);
    return 200;
}

/* Full screen: {screen, tile} shows that tile's camera alone, {screen,
 * camera} a camera by id; again with the same tile, or tile null, goes
 * back. */
static int cmd_fullscreen(struct vigil_engine *e, json_t *args,
                          json_t **reply)
{
    int sc = target_screen(e, args, "fullscreen needs a screen", reply);
    if (sc < 0) {
        return -sc;
    }
    if (e->ov.full_layout < 0) {
        *reply = cmd_error("no 1x1 layout");
        return 409;
    }
    json_t *tile = json_object_get(args, "tile");
    json_t *cam = json_object_get(args, "camera");
    int c = -1;
    if (json_is_string(cam)) {
        c = config_find_camera(e->cfg, json_string_value(cam));
    } else if (json_is_integer(tile) && e->ov.fullscreen[sc] < 0) {
        int t = (int)json_integer_value(tile);
        c = t >= 0 && t < e->views[sc].n_tiles ? e->views[sc].cams[t] : -1;
    } else if (json_is_integer(tile) || json_is_null(tile) ||
               (!tile && !cam)) {
        e->ov.fullscreen[sc] = -1; /* toggle back */
        return 200;
    }
    if (c < 0) {
        *reply = cmd_error("no camera there");
        return 404;
    }
    e->ov.fullscreen[sc] = c;
    return 200;
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
    } else if (!strcmp(name, "page")) {
        status = cmd_goto(e, args, now, reply);
    } else if (!strcmp(name, "layout")) {
        status = cmd_layout(e, args, now, reply);
    } else if (!strcmp(name, "fullscreen")) {
        status = cmd_fullscreen(e, args, reply);
    } else if (!strcmp(name, "reload")) {
        return cmd_reload(e, reply);
    } else if (!strcmp(name, "schedule")) {
        int full = e->ov.full_layout;
        sched_overrides_init(&e->ov); /* drop every override */
        e->ov.full_layout = full;
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
    const struct config *cfg = e->cfg;
    *status = 200;
    if (!strcmp(name, "status")) {
        return status_json(e);
    }
    if (!strcmp(name, "cameras")) {
        json_t *arr = json_array();
        int64_t now = vt_mono_ns();
        for (int i = 0; i < e->n_cams; i++) {
            json_t *o = camera_json(e, i, now);
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
static char *metrics_text(void *ctx)
{
    struct vigil_engine *e = ctx;
    const struct config *cfg = e->cfg;
    struct text t = { xmalloc(8192), 0, 8192 };
    int64_t now = vt_mono_ns();
    static const char *const states[] = { "connecting", "live", "stalled",
                                          "down" };
    struct cam_counts *counts = xcalloc((size_t)e->n_cams + 1,
                                        sizeof(*counts));
    for (int i = 0; i < e->n_cams; i++) {
        counts[i] = cam_counts(&e->cams[i]);
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
                cfg->cameras[i].id, states[k], (int)e->cams[i].eff == k);
        }
    }
    PER_CAM("vigil_camera_up", "gauge", "1 when live", "%d",
            c->eff == SCENE_CAM_LIVE);
    PER_CAM("vigil_camera_fps_in", "gauge", "frames decoded per second",
            "%.2f", c->st.fps + c->sub_st.fps);
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
            shown_status(c)->last_frame_ns
                ? (now - shown_status(c)->last_frame_ns) / 1e9
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

/* Loop thread: a key or click becomes the same command the API runs. */
static void run_input(struct vigil_engine *e, const struct render_input *in)
{
    const struct config *cfg = e->cfg;
    json_t *args = json_pack("{s:s}", "screen", cfg->screens[in->screen].id);
    json_t *reply = NULL;
    const char *cmd = in->command;
    if (!strcmp(cmd, "pause_toggle")) {
        cmd = e->ov.paused ? "resume" : "pause";
    } else if (!strcmp(cmd, "fullscreen")) {
        json_object_set_new(args, "tile", in->tile >= 0
                                              ? json_integer(in->tile)
                                              : json_null());
    } else if (!strcmp(cmd, "plan_index")) {
        cmd = "plan";
        json_object_set_new(
            args, "plan",
            in->index < cfg->n_plans && e->ov.plan != in->index
                ? json_string(cfg->plans[in->index].name)
                : json_null());
    } else if (!strcmp(cmd, "ack_newest")) {
        json_t *open = alert_bus_open_json(e->alerts); /* newest first */
        size_t i;
        json_t *a;
        const char *id = NULL;
        json_array_foreach(open, i, a)
        {
            if (!strcmp(json_string_value(json_object_get(a, "state")),
                        "raised")) {
                id = json_string_value(json_object_get(a, "alert"));
                break;
            }
        }
        if (id) {
            json_object_set_new(args, "alert", json_string(id));
            json_object_set_new(args, "by", json_string("wall"));
        }
        cmd = "ack";
        int st = id ? command(e, cmd, args, &reply) : 404;
        (void)st;
        json_decref(open);
        json_decref(args);
        json_decref(reply);
        return;
    }
    command(e, cmd, args, &reply);
    json_decref(args);
    json_decref(reply);
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
        run_input(e, &c->in);
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
    static const struct control_ops ops = { query, snapshot_start, command,
                                            metrics_text };
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
    e->pacer = source_pacer_create(50 * VT_MS);
    decode_slots_init(0); /* one decode slot per core */
    e->n_cores = decode_slots_size();
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
     * update (sched_update), so a restart resumes on the page the wall
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
    e->soft_render = render_software(e->render);
    for (int i = 0; i < e->n_cams; i++) {
        const struct cfg_camera *cc = &e->cfg->cameras[i];
        struct source_params sp = {
            .name = cc->id,
            .url = cc->url,
            .transport = cc->transport,
            .hwaccel = cc->hwaccel,
            .mailbox = e->cams[i].mb,
            .on_status = status_cb,
            .on_frame = frame_cb,
            .cb_ctx = e,
            .pacer = e->pacer,
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
