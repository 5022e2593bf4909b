/*
 * The engine: what its files share (private to src/core).
 *
 *   engine.c    lifecycle and wiring: the loop thread and its handles,
 *               the cameras' status into health and alerts, the once-a-
 *               second load and rates, and the one publish point
 *   publish.c   what the publish point sends: the scene and the events
 *   status.c    the typed status snapshot the control API reads
 *   commands.c  typed commands from the API and the wall's keys, reload
 *
 * State lives in the parts, each with its own header: cameras (sources,
 * mailboxes, status copies, rates), health, load, patrol and snapshots.
 * The engine holds one of each and the wiring between them. Everything
 * here is touched by the loop thread only (and by create/run/destroy
 * before and after it runs), except where a field names its lock.
 */
#ifndef VIGIL_CORE_ENGINE_INTERNAL_H
#define VIGIL_CORE_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "config/config.h"
#include "control/control.h"
#include "core/watchdog.h"
#include "render/render.h"
#include "vigil/vigil.h"

struct alert_bus;
struct cameras;
struct health;
struct load;
struct patrol;
struct snapshots;

/* Something for the event stream, sent at the publish point. */
struct engine_event {
    enum { EV_CAMERA, EV_SCREEN, EV_LOAD, EV_LINE } kind;
    int index;                 /* camera or screen */
    char *name, *json;         /* EV_LINE: event name and journal line */
    struct engine_event *next;
};

/* A key or click on the wall, waiting for the loop thread. */
struct engine_input {
    struct render_input in;
    struct engine_input *next;
};

/* service.c's state: systemd notification, the watchdog, SIGHUP */
struct engine_service {
    uv_signal_t sighup;
    uv_timer_t timer;
    struct watchdog wd;
    bool ready;                   /* READY=1 sent */
    int64_t status_ns;            /* STATUS= last sent */
};

struct vigil_engine {
    struct vigil_settings set;
    struct vlog *log;
    struct config *cfg;           /* running; swapped by a reload */
    int n_cams, n_screens;
    int n_cores;

    /* the parts */
    struct cameras *cams;
    struct health *health;
    struct load *load;
    struct patrol *patrol;
    struct snapshots *snaps;
    struct alert_bus *alerts;
    struct control *control;
    struct render *render;        /* while vigil_engine_run runs */
    struct source_pacer *pacer;   /* the cameras' reconnects, 20 a second */
    struct decode_slots *slots;   /* at most one decode per core */

    /* loop thread */
    uv_loop_t loop;
    uv_async_t doorbell;
    uv_timer_t health_timer, patrol_timer;
    uv_prepare_t publish;         /* the one publish point, per loop turn */
    uv_signal_t sigint, sigterm;
    struct engine_service service;
    int handles;                  /* initialised handles to close */
    int *stream;                  /* per camera: the stream shown */
    bool *down;                   /* per camera: down (for carousels) */
    int64_t sampled_ns;           /* loads and rates last sampled */
    bool dirty;                   /* the scene must be published */
    bool patrol_due;              /* evaluate the patrol before publishing */
    int journal_reads;            /* API journal reads on the pool */
    struct engine_event *events, **events_tail;

    pthread_t loop_thread;
    bool loop_started;
    atomic_bool quit;
    atomic_bool loop_quit;

    pthread_mutex_t input_lock;   /* a leaf */
    struct engine_input *inputs;  /* protected by input_lock */
};

/* ---- engine.c ---- */

/* The scene must be published at the end of this loop turn. */
void engine_mark_dirty(struct vigil_engine *e);
/* Evaluate the patrol now (a command, a reload): pages, decoding. */
void engine_patrol_update(struct vigil_engine *e);
/* Queue an event for the stream (sent at the publish point). */
void engine_queue_event(struct vigil_engine *e, int kind, int index,
                        const char *name, const char *json);
/* Apply each camera's decode plan now. */
void engine_apply_decoding(struct vigil_engine *e);
/* 1 when camera i is decoded behind real time (load.h), else 0. */
int engine_camera_behind(const struct vigil_engine *e, int i);

/* ---- publish.c ---- */

/* Build the scene from the parts and hand it to the renderer. */
void engine_publish_scene(struct vigil_engine *e);
/* Send the queued events to the control API, and forget them. */
void engine_send_events(struct vigil_engine *e);
void engine_free_events(struct vigil_engine *e);

/* ---- status.c ---- */

int engine_status(void *ctx, unsigned what, struct ctl_status **out);
void engine_status_free(void *ctx, struct ctl_status *st);
/* One camera and one screen as in the status (events). */
void engine_camera_fill(const struct vigil_engine *e, int i, int64_t now_ns,
                        struct ctl_camera *out);
void engine_screen_fill(const struct vigil_engine *e, int s,
                        struct ctl_screen *out);

/* ---- history.c ---- */

int engine_journal(void *ctx, const struct ctl_journal_query *q,
                   uint64_t token);

/* ---- commands.c ---- */

int engine_command(void *ctx, const struct ctl_command *cmd,
                   struct ctl_result *res);
/* A key or click on the wall: the same typed command the API runs. */
void engine_run_input(struct vigil_engine *e, const struct render_input *in);

/* ---- startup.c ---- */

#define ENGINE_FONT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

/* Load and validate a config file (NULL: the demo), logging every error. */
struct config *engine_load_config(const char *path, struct vlog *log);
/* Warn about secret-holding files (config, token, broker password) that
 * others can read. */
void engine_check_modes(struct vigil_engine *e);
/* Headless when asked, or when there is no display to open windows on. */
void engine_choose_display(struct vigil_engine *e);
/* Bind the control API; a non-loopback address demands a token. */
int engine_start_control(struct vigil_engine *e,
                         const struct vigil_settings *s);
/* control_ops.snapshot (engine.c) */
int engine_snapshot_start(void *ctx, const char *screen_id, uint64_t token);

/* ---- service.c ---- */

/* Set up SIGHUP (reload) and the systemd watchdog (with the handles). */
void engine_service_init(struct vigil_engine *e);
/* The loop runs: READY=1 once the first picture is up, then pings. */
void engine_service_start(struct vigil_engine *e);
/* STOPPING=1 (any thread) */
void engine_service_stopping(struct vigil_engine *e);
void engine_service_close(struct vigil_engine *e);

#endif
