/*
 * The engine's own state, shared by its three files (private to
 * src/core):
 *
 *   engine.c         the cameras' health, load shedding, the patrol, the
 *                    scene for the renderer, snapshots and the loop
 *   engine_status.c  what the API reads: the status document, the
 *                    read-only queries and the Prometheus metrics
 *   engine_cmd.c     what the API and the wall's keys change: operator
 *                    commands and overrides, reload
 *
 * Everything here is touched by the loop thread only, except where a
 * field says which lock guards it.
 */
#ifndef VIGIL_CORE_ENGINE_INTERNAL_H
#define VIGIL_CORE_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "config/config.h"
#include "render/render.h"
#include "render/scene.h"
#include "sched/sched.h"
#include "source/source.h"
#include "vigil/vigil.h"

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
    /* rates over the last second (sample_rates): pictures received from
     * the camera on the stream shown, decoded (both streams), and taken
     * for display */
    uint64_t prev_in, prev_dec, prev_out;
    double fps_in, fps_dec, fps_out;
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
    struct decode_slots *slots;   /* at most one decode per core */
    int n_cores;

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
    int64_t sampled_t;            /* when loads and frame rates were
                                   * last sampled (once a second) */
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


/* ---- engine.c ---- */

/* Publish a new scene to the renderer (tiles, camera states, banner,
 * status lines). */
void engine_publish_scene(struct vigil_engine *e);
/* Evaluate the schedule and the overrides now: plan, pages, decoding. */
void engine_sched_update(struct vigil_engine *e);

/* A camera's counters over both its streams. */
struct cam_counts {
    uint64_t frames, shed_frames, dropped, reconnects, decode_errors, bytes,
        decode_ns, decode_wait_ns;
};
struct cam_counts engine_cam_counts(const struct cam_rt *c);
/* The stream the wall shows a camera from: its picture facts. */
const struct source_status *engine_shown_status(const struct cam_rt *c);
/* "none", "preroll", "keyframes" */
const char *engine_shed_name(enum shed_level l);

/* ---- engine_status.c (the control API's read side) ---- */

json_t *engine_status_json(void *ctx);
/* One camera and one screen as in the status (also the event stream's
 * "camera" and "page" events). */
json_t *engine_camera_json(const struct vigil_engine *e, int i, int64_t now);
json_t *engine_screen_json(const struct vigil_engine *e, int s);
json_t *engine_query(void *ctx, const char *name, const char *q,
                     int *status);
char *engine_metrics_text(void *ctx);
/* RFC 3339 with milliseconds, in the wall's offset */
json_t *engine_iso_time(const struct vigil_engine *e, int64_t wall_ms);
/* "connecting", "live", "stalled", "down" */
const char *engine_state_name(enum scene_cam_state s);

/* ---- engine_cmd.c (the control API's write side) ---- */

int engine_command(void *ctx, const char *name, json_t *args,
                   json_t **reply);
/* A key or click on the wall: the same command the API runs. */
void engine_run_input(struct vigil_engine *e, const struct render_input *in);

#endif
