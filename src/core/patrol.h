/*
 * Patrol: the schedule and the operator's overrides turned into what each
 * tile shows, where each camera is shown (or about to be), how it should
 * be decoded, and when anything next changes. It owns the running plan,
 * its epoch, the overrides and each screen's expanded pages; commands
 * change the patrol only through the functions below.
 *
 * Pure: time is an argument (wall-clock ms), nothing is read from a clock,
 * nothing is logged; what changed is returned, for the engine to journal,
 * log and publish. Tested on a fake clock.
 *
 * Thread: the loop thread (or a test).
 */
#ifndef VIGIL_CORE_PATROL_H
#define VIGIL_CORE_PATROL_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "core/load.h"
#include "sched/sched.h"

struct patrol;

/* A patrol of cfg (holds a reference). Nothing is evaluated until the
 * first patrol_update. */
struct patrol *patrol_create(struct config *cfg);
/* Accepts NULL. */
void patrol_destroy(struct patrol *p);

/* A reloaded config (same screens and cameras: those need a restart).
 * Overrides are carried over by name where what they name still exists
 * and dropped otherwise (returns how many were dropped); the plan is
 * looked up again at the next update, and pages keep their epoch when
 * the plan is the same. */
int patrol_rebind(struct patrol *p, struct config *cfg);

/* ---- evaluation ---- */

struct patrol_in {
    int64_t now_ms;
    enum load_shed shed;     /* what is shed (pre-roll) */
    const bool *down;        /* per camera: down (carousels skip it); may
                              * be NULL */
};

struct patrol_out {
    int64_t next_ms;         /* evaluate again then (INT64_MAX: never) */
    int expired;             /* overrides that ended */
    unsigned moved;          /* bit s: screen s shows other tiles */
    /* the running plan changed (also on the first evaluation) */
    bool plan_changed;
    int plan_from, plan_to;  /* plan_from -1: none, or a reload removed it */
    const char *plan_from_name; /* NULL on the first evaluation; valid
                                 * until the next update */
    bool by_operator;        /* an operator's plan, not the schedule */
    int rule;                /* the schedule rule, -1: none */
};

/* Evaluate at in->now_ms: drop expired overrides, follow the schedule,
 * lay out every screen and mark where each camera is (and, within the
 * pre-roll time of the next change, where it is about to be). */
void patrol_update(struct patrol *p, const struct patrol_in *in,
                   struct patrol_out *out);

/* What screen s shows (after the last update). */
const struct sched_view *patrol_view(const struct patrol *p, int s);
/* Wall time screen s's tiles last changed (a page boundary counts from
 * the boundary itself); 0: never. */
int64_t patrol_changed_ms(const struct patrol *p, int s);
/* The running plan (-1 before the first update), the schedule rule that
 * chose it (-1: none or an operator) and when it took over (for a plan
 * that has always applied: when this wall started running it). */
int patrol_plan(const struct patrol *p, int *rule, int64_t *since_ms);
const struct sched_overrides *patrol_overrides(const struct patrol *p);
/* Page changes not pre-rolled because pre-roll was shed. */
uint64_t patrol_preroll_skipped(const struct patrol *p);
/* Pages of screen s in the running plan. */
int patrol_pages(const struct patrol *p, int s);

/* ---- the decode plan ---- */

/* What a camera's streams look like now (from its health). */
struct patrol_cam_in {
    bool has_sub;            /* a substream is configured */
    bool main_ok, sub_ok;    /* live and delivering (health_stream_ok) */
    int main_height, sub_height; /* picture heights; 0: unknown */
};

struct patrol_decode {
    bool shown;              /* on a screen now */
    bool on;                 /* decode (shown, or pre-rolling) */
    int64_t show_at_ms;      /* pre-rolling: when it shows (else 0) */
    int stream;              /* 0 main, 1 substream */
    bool stream_changed;     /* since the last plan for this camera */
    bool keyframes_only;     /* shed: a small tile shows keyframes only */
    bool skip_loop_filter;   /* a small tile (performance.skip_loop_filter) */
    int threads;             /* frame threads for one large picture */
    int tile_w, tile_h;      /* its largest tile (0: not shown) */
};

/* How camera cam should be decoded now: where the last update placed it,
 * its streams' health, what is shed and the cores there are. The
 * substream shows while the camera's tile is no taller than it, the main
 * stream above that; the other one when the chosen one is unwell and the
 * other is not. Remembers the stream chosen. */
void patrol_decode_plan(struct patrol *p, int cam,
                        const struct patrol_cam_in *in, enum load_shed shed,
                        int n_cores, struct patrol_decode *out);

/* ---- operator commands ----
 * Each returns 0 or a negative error code (-EINVAL out of range, -ENOENT
 * nothing there, -EBUSY full, -ENOTSUP not possible with this config) and
 * takes effect at the next patrol_update. `until` is the wall-clock end
 * (INT64_MAX: until cancelled). Screens, cameras, plans and layouts are
 * indices into the patrol's config. */

int patrol_pause(struct patrol *p, int64_t now, int64_t until);
void patrol_resume(struct patrol *p);
bool patrol_paused(const struct patrol *p);
/* Next (dir > 0) or previous page on screen s, or on every screen (s <
 * 0). */
int patrol_step(struct patrol *p, int s, int dir, int64_t now, int64_t until);
/* Page `page` (0-based) of screen s starts now. */
int patrol_goto(struct patrol *p, int s, int page, int64_t now,
                int64_t until);
/* Camera cam in tile `tile` of screen s; cam < 0 unpins. */
int patrol_pin(struct patrol *p, int s, int tile, int cam, int64_t until);
/* Run plan `plan` (< 0: back to the schedule). */
int patrol_set_plan(struct patrol *p, int plan, int64_t now, int64_t until);
/* Screen s in layout `layout` (< 0: the plan's). */
int patrol_set_layout(struct patrol *p, int s, int layout, int64_t until);
/* Camera cam alone on screen s (< 0: back). */
int patrol_fullscreen(struct patrol *p, int s, int cam);
/* The camera in tile `tile` of screen s alone; again (or tile < 0) goes
 * back. */
int patrol_fullscreen_tile(struct patrol *p, int s, int tile);
/* Drop every override: back to the schedule. */
void patrol_clear(struct patrol *p);

#endif
