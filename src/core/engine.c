/*
 * The engine: lifecycle and wiring. The only module that knows all the
 * others; the state lives in its parts (cameras, health, load, patrol,
 * snapshots, the alert bus, control), and this file connects them.
 *
 * Threads:
 *   - main thread: vigil_engine_run() runs the renderer (SDL);
 *   - loop thread: one libuv loop for the control API, the patrol timer,
 *     the health check and the alert bus (everything in the parts);
 *   - one worker per camera stream (src/source).
 *
 * Into the loop: one coalescing doorbell (uv_async) for camera status
 * changes (read back with source_status_get) and for the wall's keys (a
 * locked list); the snapshots part has its own. Out of it: scenes to the
 * renderer and events to the control API, both from one place, the
 * `publish` prepare handle, once per loop turn: whatever changed during
 * the turn (a command, a reload, a page, a camera's state, an alert) only
 * marks the engine dirty or queues an event, so the renderer never sees a
 * scene that is about to be replaced, and nothing is called back while
 * the alert bus is emitting.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <libavutil/mem.h>

#include "alert/alert.h"
#include "core/cameras.h"
#include "core/engine_internal.h"
#include "core/health.h"
#include "core/load.h"
#include "core/patrol.h"
#include "core/snapshots.h"
#include "decode/slots.h"
#include "render/scene.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/tz.h"

#define VIGIL_MAX_ALLOC (64u << 20)
/* How often camera health is looked at: the stall-detection granularity. */
#define HEALTH_PERIOD_MS 25
#define RECONNECT_SPACING_NS (50 * VT_MS) /* 20 reconnects a second */
#define MAX_SNAPSHOTS 8 /* requested and not answered, at once */

/* ---- settings and config ---- */

void vigil_settings_default(struct vigil_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->log_level = VIGIL_LOG_INFO;
}

/* ---- the publish point (publish.c does the work) ---- */

/* The journal's every line (alerts, wall events): for the banner and the
 * event stream, at the publish point. The bus is emitting: no calls back
 * into it from here. */
static void journal_event(void *ctx, const char *name, const char *json)
{
    struct vigil_engine *e = ctx;
    engine_queue_event(e, EV_LINE, 0, name, json);
    engine_mark_dirty(e);
}

/* Once per loop turn, before it waits: whatever the turn changed goes
 * out, once. */
static void publish_cb(uv_prepare_t *h)
{
    struct vigil_engine *e = h->data;
    if (e->patrol_due) {
        e->patrol_due = false;
        engine_patrol_update(e);
    }
    if (e->dirty && e->render) {
        e->dirty = false;
        engine_publish_scene(e);
    }
    engine_send_events(e);
}

/* ---- cameras (loop thread) ---- */

void engine_apply_decoding(struct vigil_engine *e)
{
    enum load_shed shed = load_get(e->load)->shed;
    int64_t now = vt_mono_ns(), wall_now = vt_wall_ms();
    for (int i = 0; i < e->n_cams; i++) {
        const struct source_status *m = cameras_status(e->cams, i, false);
        const struct source_status *sub = cameras_status(e->cams, i, true);
        struct patrol_cam_in in = {
            .has_sub = cameras_has_sub(e->cams, i),
            .main_ok = health_stream_ok(e->health, m, now),
            .sub_ok = health_stream_ok(e->health, sub, now),
            .main_height = m->height,
            .sub_height = sub->height,
        };
        struct patrol_decode pd;
        patrol_decode_plan(e->patrol, i, &in, shed, e->n_cores, &pd);
        struct source_decode d = {
            .on = pd.on,
            .show_at_ns = pd.show_at_ms
                              ? now + (pd.show_at_ms - wall_now) * VT_MS
                              : 0,
            .keyframes_only = pd.keyframes_only,
            .skip_loop_filter = pd.skip_loop_filter,
            .hwaccel = e->cfg->cameras[i].hwaccel,
            .threads = pd.threads,
            .tile_w = pd.tile_w,
            .tile_h = pd.tile_h,
            .fit = e->cfg->fit,
            .nearest = e->cfg->scaler == CFG_SCALER_NEAREST,
        };
        cameras_set_decode(e->cams, i, pd.stream, &d);
        if (pd.stream_changed || e->stream[i] != pd.stream) {
            e->stream[i] = pd.stream; /* the scene must say so */
            engine_mark_dirty(e);
        }
    }
}

/* Decoded, and read over LOAD_BEHIND_NS later than the camera sends. */
static bool stream_behind(const struct source_status *st)
{
    return st->state == SOURCE_LIVE && st->decoding &&
           st->lag_ns > LOAD_BEHIND_NS;
}

int engine_camera_behind(const struct vigil_engine *e, int i)
{
    return stream_behind(cameras_status(e->cams, i, false)) ||
           stream_behind(cameras_status(e->cams, i, true));
}

static uint64_t process_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
           (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Once a second: the load (and what it sheds) and the frame rates, from
 * counters read at one instant. */
static void sample(struct vigil_engine *e, int64_t now)
{
    struct load_sample ls = { .mono_ns = now, .wall_ms = vt_wall_ms(),
                              .cpu_us = process_cpu_us() };
    for (int i = 0; i < e->n_cams; i++) {
        ls.decode_ns += cameras_counts(e->cams, i).decode_ns;
        ls.behind += engine_camera_behind(e, i);
    }
    for (int s = 0; s < e->n_screens; s++) {
        uint64_t frames, ns;
        render_screen_stats(e->render, s, &frames, &ns);
        ls.render_ns += ns;
    }
    int step = load_step(e->load, &ls, e->cfg->load_budget);
    if (step) {
        const struct load_state *l = load_get(e->load);
        if (step > 0) {
            VLOG_WARN(e->log,
                      "over budget (%.0f%%): decoding %.0f%% of %d cores, "
                      "composing %.0f%% of one, the process %.0f%% of all, "
                      "%d camera(s) behind real time: shedding %s",
                      e->cfg->load_budget * 100, l->decode * 100, e->n_cores,
                      l->render * 100, l->process * 100, l->behind,
                      load_shed_name(l->shed));
        } else {
            VLOG_INFO(e->log, "load %.0f%%: shedding %s", l->decode * 100,
                      load_shed_name(l->shed));
        }
        engine_queue_event(e, EV_LOAD, 0, NULL, NULL);
        engine_mark_dirty(e);
    }
    uint64_t *shown = xcalloc((size_t)e->n_cams + 1, sizeof(uint64_t));
    for (int i = 0; i < e->n_cams; i++) {
        shown[i] = render_camera_shown(e->render, i);
    }
    cameras_sample_rates(e->cams, e->sampled_ns ? now - e->sampled_ns : 0,
                         shown, e->stream);
    free(shown);
    e->sampled_ns = now;
}

static void update_cameras(struct vigil_engine *e)
{
    int64_t now = vt_mono_ns();
    int64_t wall = vt_wall_ms();
    cameras_refresh(e->cams);
    if (!e->sampled_ns || now - e->sampled_ns >= VT_S) {
        sample(e, now);
    }
    for (int i = 0; i < e->n_cams; i++) {
        struct health_report r;
        health_step(e->health, i, cameras_status(e->cams, i, false), now, &r);
        if (r.condition_changed) {
            alert_bus_condition(e->alerts, i, r.condition, r.detail, wall);
        }
        if (r.online_changed) {
            alert_bus_camera_online(e->alerts, i, r.online);
        }
        if (!r.state_changed) {
            continue;
        }
        VLOG_INFO(e->log, "camera %s: %s%s%s", e->cfg->cameras[i].id,
                  health_state_name(r.state), r.condition ? ": " : "",
                  r.condition ? r.detail : "");
        e->down[i] = r.state == HEALTH_DOWN;
        engine_queue_event(e, EV_CAMERA, i, NULL, NULL);
        engine_mark_dirty(e);
    }
    engine_apply_decoding(e);
}

/* ---- patrol (loop thread) ---- */

static void patrol_fire(uv_timer_t *t)
{
    engine_patrol_update(t->data);
}

static void journal_plan_change(struct vigil_engine *e,
                                const struct patrol_out *out)
{
    const struct config *cfg = e->cfg;
    int64_t since;
    patrol_plan(e->patrol, NULL, &since);
    char at[32];
    vtz_format_local(cfg->tz, since, at, sizeof(at));
    VLOG_INFO(e->log, "plan %s (%s) since %s", cfg->plans[out->plan_to].name,
              out->by_operator ? "operator"
              : out->rule >= 0 ? "schedule"
                               : "the only plan",
              at);
    if (!out->plan_from_name) {
        return; /* the first plan of this run */
    }
    struct alert_field f[] = {
        { "plan", ALERT_FIELD_STR, cfg->plans[out->plan_to].name, 0, 0 },
        { "from", ALERT_FIELD_STR, out->plan_from_name, 0, 0 },
        { "by", ALERT_FIELD_STR, out->by_operator ? "operator" : "schedule",
          0, 0 },
        { "rule", ALERT_FIELD_INT, NULL, out->rule + 1, 0 },
    };
    alert_bus_journal(e->alerts, "plan_changed", f, out->rule >= 0 ? 4 : 3,
                      vt_wall_ms());
}

void engine_patrol_update(struct vigil_engine *e)
{
    struct patrol_in in = { .now_ms = vt_wall_ms(),
                            .shed = load_get(e->load)->shed,
                            .down = e->down };
    struct patrol_out out;
    patrol_update(e->patrol, &in, &out);
    if (out.expired) {
        VLOG_INFO(e->log, "an override ended; back to the schedule");
    }
    if (out.plan_changed) {
        journal_plan_change(e, &out);
    }
    for (int s = 0; s < e->n_screens; s++) {
        if (out.moved & (1u << s)) {
            engine_queue_event(e, EV_SCREEN, s, NULL, NULL);
        }
    }
    engine_apply_decoding(e);
    engine_mark_dirty(e); /* pages, and the status lines' overrides */
    if (out.next_ms != INT64_MAX) {
        /* Re-evaluate exactly at the boundary (from the wall clock, so a
         * late timer never stretches a page). */
        int64_t delay = out.next_ms - vt_wall_ms();
        uv_timer_start(&e->patrol_timer, patrol_fire,
                       (uint64_t)(delay > 0 ? delay : 0), 0);
    } else {
        uv_timer_stop(&e->patrol_timer);
    }
}

/* ---- snapshots ---- */

int engine_snapshot_start(void *ctx, const char *screen_id, uint64_t token)
{
    struct vigil_engine *e = ctx;
    int s = screen_id ? config_find_screen(e->cfg, screen_id) : 0;
    if (s < 0) {
        return -ENOENT;
    }
    if (snapshots_pending(e->snaps) >= MAX_SNAPSHOTS) {
        return -EBUSY; /* each is a full-screen PNG encoding */
    }
    snapshots_request(e->snaps, e->render, s, token);
    return 0;
}

/* Main thread: the renderer's finished pixels. */
static void snapshot_done(void *ctx, uint64_t id, uint8_t *rgb, int w, int h,
                          int64_t composed_us)
{
    struct vigil_engine *e = ctx;
    snapshots_done(e->snaps, id, rgb, w, h, composed_us);
}

static void snapshot_reply(void *ctx, uint64_t token, uint8_t *png,
                           size_t len)
{
    struct vigil_engine *e = ctx;
    if (e->control) {
        control_snapshot_done(e->control, token, png, len);
    } else {
        free(png);
    }
}

/* ---- wall input ---- */

/* Main thread: queue it for the loop, in order. */
static void input_cb(void *ctx, const struct render_input *in)
{
    struct vigil_engine *e = ctx;
    struct engine_input *c = xzalloc(sizeof(*c));
    c->in = *in;
    pthread_mutex_lock(&e->input_lock);
    struct engine_input **pp = &e->inputs;
    while (*pp) {
        pp = &(*pp)->next;
    }
    *pp = c;
    pthread_mutex_unlock(&e->input_lock);
    uv_async_send(&e->doorbell);
}

static void drain_inputs(struct vigil_engine *e)
{
    pthread_mutex_lock(&e->input_lock);
    struct engine_input *list = e->inputs;
    e->inputs = NULL;
    pthread_mutex_unlock(&e->input_lock);
    while (list) {
        struct engine_input *c = list;
        list = c->next;
        engine_run_input(e, &c->in);
        free(c);
    }
}

/* ---- loop thread ---- */

/* Close the engine's own handles (control and the parts close theirs). */
static void close_handles(struct vigil_engine *e)
{
    if (!e->handles) {
        return;
    }
    e->handles = 0;
    uv_timer_stop(&e->health_timer);
    uv_timer_stop(&e->patrol_timer);
    uv_prepare_stop(&e->publish);
    uv_close((uv_handle_t *)&e->health_timer, NULL);
    uv_close((uv_handle_t *)&e->patrol_timer, NULL);
    uv_close((uv_handle_t *)&e->publish, NULL);
    uv_close((uv_handle_t *)&e->sigint, NULL);
    uv_close((uv_handle_t *)&e->sigterm, NULL);
    engine_service_close(e);
    uv_close((uv_handle_t *)&e->doorbell, NULL);
}

static void doorbell(uv_async_t *a)
{
    struct vigil_engine *e = a->data;
    if (atomic_load(&e->loop_quit)) {
        control_destroy(e->control);
        e->control = NULL;
        close_handles(e);
        uv_stop(&e->loop); /* the parts' handles close in destroy */
        return;
    }
    update_cameras(e);
    drain_inputs(e);
}

static void health_fire(uv_timer_t *t)
{
    update_cameras(t->data);
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
    vt_thread_name("loop");
    uv_timer_start(&e->health_timer, health_fire, HEALTH_PERIOD_MS,
                   HEALTH_PERIOD_MS);
    uv_prepare_start(&e->publish, publish_cb);
    engine_service_start(e);
    /* The plan and its epoch come from the schedule, so a restart
     * resumes on the page the wall would be showing. */
    engine_patrol_update(e);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    return NULL;
}

static void status_cb(void *ctx)
{
    struct vigil_engine *e = ctx;
    uv_async_send(&e->doorbell);
}

/* The loop's handles; they are closed by the loop when it stops, or by
 * destroy when it never ran. */
static int init_handles(struct vigil_engine *e)
{
    if (uv_async_init(&e->loop, &e->doorbell, doorbell) != 0) {
        return -ENOMEM;
    }
    uv_timer_init(&e->loop, &e->health_timer);
    uv_timer_init(&e->loop, &e->patrol_timer);
    uv_prepare_init(&e->loop, &e->publish);
    uv_signal_init(&e->loop, &e->sigint);
    uv_signal_init(&e->loop, &e->sigterm);
    e->doorbell.data = e->health_timer.data = e->patrol_timer.data = e;
    e->publish.data = e->sigint.data = e->sigterm.data = e;
    e->handles = 1;
    uv_signal_start(&e->sigint, on_signal, SIGINT);
    uv_signal_start(&e->sigterm, on_signal, SIGTERM);
    engine_service_init(e);
    return 0;
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
    e->events_tail = &e->events;
    pthread_mutex_init(&e->input_lock, NULL);
    atomic_init(&e->quit, false);
    atomic_init(&e->loop_quit, false);
    int ret = uv_loop_init(&e->loop);
    if (ret != 0) {
        VLOG_ERR(e->log, "cannot set up the event loop: %s", uv_strerror(ret));
        vlog_destroy(e->log);
        pthread_mutex_destroy(&e->input_lock);
        free(e);
        return -ENOMEM;
    }
    if ((ret = init_handles(e)) < 0) {
        VLOG_ERR(e->log, "cannot set up the event loop");
        goto fail;
    }
    ret = VIGIL_ECONFIG;
    if (!(e->cfg = engine_load_config(s->config_path, e->log))) {
        VLOG_ERR(e->log, "the wall does not start on an invalid config");
        goto fail;
    }
    const struct config *cfg = e->cfg;
    engine_check_modes(e);
    engine_choose_display(e);
    e->n_cams = cfg->n_cameras;
    e->n_screens = cfg->n_screens;
    e->pacer = source_pacer_create(RECONNECT_SPACING_NS);
    e->slots = decode_slots_create(0); /* one decode slot per core */
    e->n_cores = decode_slots_size(e->slots);
    e->cams = cameras_create(cfg, e->pacer, e->slots);
    struct health_rules hr = { cfg->stall_after_ms };
    e->health = health_create(e->n_cams, &hr, vt_mono_ns());
    e->load = load_create(e->n_cores);
    e->patrol = patrol_create(e->cfg);
    e->stream = xcalloc((size_t)e->n_cams + 1, sizeof(int));
    e->down = xcalloc((size_t)e->n_cams + 1, sizeof(bool));
    for (int i = 0; i < e->n_cams; i++) {
        e->stream[i] = cameras_has_sub(e->cams, i);
    }
    ret = VIGIL_EJOURNAL;
    if (!(e->alerts = alert_bus_create(e->cfg, &e->loop, journal_event, e))) {
        goto fail;
    }
    ret = -ENOMEM;
    if (!(e->snaps = snapshots_create(&e->loop, snapshot_reply, e))) {
        goto fail;
    }
    if ((ret = engine_start_control(e, s)) < 0) {
        goto fail;
    }
    *out = e;
    return 0;
fail:
    vigil_engine_destroy(&e);
    return ret;
}

int vigil_engine_run(struct vigil_engine *e)
{
    struct scene *blank = scene_create(e->cfg);
    struct render_params rp = {
        .headless = e->set.headless,
        .scene = blank,
        .mailboxes = (struct mailbox **)cameras_mailboxes(e->cams, false),
        .sub_mailboxes = (struct mailbox **)cameras_mailboxes(e->cams, true),
        .n_mailboxes = e->n_cams,
        .font_path = ENGINE_FONT_PATH,
        .on_snapshot = snapshot_done,
        .on_input = input_cb,
        .cb_ctx = e,
    };
    e->render = render_create(&rp);
    scene_unref(blank);
    if (!e->render) {
        return VIGIL_EDISPLAY;
    }
    struct frame_caps caps;
    render_caps(e->render, &caps);
    int ret = cameras_start(e->cams, e->cfg, &caps, status_cb, e);
    if (ret < 0) {
        VLOG_ERR(e->log, "some cameras could not start: %s",
                 vigil_strerror(ret));
        ret = 0; /* the others run; theirs is an outage, not the wall's */
    }
    int err = pthread_create(&e->loop_thread, NULL, loop_main, e);
    if (err != 0) {
        VLOG_ERR(e->log, "cannot start the loop thread: %s", strerror(err));
        ret = -err;
    } else {
        e->loop_started = true;
        if (!atomic_load(&e->quit)) {
            render_run(e->render);
        }
        engine_service_stopping(e); /* a signal, Q, a closed window */
        /* Stop order: the loop (no more scenes or snapshot requests),
         * then the cameras (no more frames), then the renderer. */
        atomic_store(&e->loop_quit, true);
        uv_async_send(&e->doorbell);
        pthread_join(e->loop_thread, NULL);
        e->loop_started = false;
    }
    cameras_stop(e->cams);
    render_destroy(e->render);
    e->render = NULL;
    return ret;
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
    control_destroy(e->control); /* never ran: still open */
    e->control = NULL;
    close_handles(e);
    alert_bus_destroy(e->alerts); /* closes its handles on the loop */
    snapshots_close(e->snaps);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    uv_loop_close(&e->loop);
    while (e->inputs) {
        struct engine_input *c = e->inputs;
        e->inputs = c->next;
        free(c);
    }
    engine_free_events(e);
    cameras_destroy(e->cams);
    source_pacer_destroy(e->pacer);
    decode_slots_destroy(e->slots);
    patrol_destroy(e->patrol);
    health_destroy(e->health);
    load_destroy(e->load);
    free(e->stream);
    free(e->down);
    config_unref(e->cfg);
    pthread_mutex_destroy(&e->input_lock);
    vlog_destroy(e->log);
    free(e);
    *pe = NULL;
}
