/*
 * Patrol scheduler. Pure: no threads, no I/O, no clock reads; "now" is an
 * argument, so tests step a fake clock and two machines with synchronised
 * clocks compute the same pages.
 *
 * A plan's entries for one screen are expanded once into a flat page list
 * (sched_pages_build). What a screen shows at wall time `now` is then a
 * function of that list, the moment the plan became active (`epoch`) and
 * which cameras are down (for carousels that skip them):
 *
 *     pages are laid end to end from epoch, each lasting its dwell, and the
 *     list repeats; carousel tiles step on their own beat, counted from
 *     the epoch.
 *
 * sched_eval also returns the next instant anything on the screen changes,
 * which the caller uses as its timer deadline.
 */
#ifndef VIGIL_SCHED_H
#define VIGIL_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"

struct sched_tile {
    int n_cycle;          /* 0: blank */
    const int *cycle;     /* camera indices, points into the config */
    int64_t dwell_ms;     /* carousel beat (resolved: never 0 if n_cycle>1) */
    bool skip_down;
};

struct sched_page {
    int layout;           /* index into config.layouts */
    int entry;            /* which plan entry produced it */
    int64_t dwell_ms;
    int n_tiles;          /* == the layout's tile count */
    struct sched_tile *tiles;
};

/* One plan on one screen, expanded. Holds pointers into the config: keep
 * the config referenced while this lives. */
struct sched_screen {
    struct sched_page *pages;
    int n_pages;          /* 0: the plan leaves this screen blank */
    int64_t cycle_ms;     /* sum of the pages' dwells */
};

void sched_screen_build(const struct config *c, int plan, int screen,
                        struct sched_screen *out);
void sched_screen_finish(struct sched_screen *s);

/* What a screen shows at one instant. */
struct sched_view {
    int page;             /* -1: nothing (blank screen) */
    int n_pages;
    int layout;           /* -1 when page < 0 */
    int64_t page_start_ms;
    int64_t next_change_ms; /* INT64_MAX: nothing ever changes */
    int n_tiles;
    int cams[64];         /* per tile: camera index or -1 (blank) */
};

#define SCHED_MAX_TILES 64

/*
 * Evaluate screen s at wall time now_ms, for a plan that became active at
 * epoch_ms (now_ms >= epoch_ms is not required: times before the epoch
 * wrap backwards consistently). cam_down may be NULL (nothing is down).
 */
void sched_eval(const struct sched_screen *s, int64_t epoch_ms,
                int64_t now_ms, const bool *cam_down, struct sched_view *out);

/*
 * Operator overrides, each with an optional end (INT64_MAX: until
 * cancelled). The engine keeps them and drops expired ones; applying them
 * is pure, so what a tile shows stays a function of config, time and
 * overrides.
 */
#define SCHED_MAX_PINS 32
#define SCHED_MAX_SCREENS 16

struct sched_pin {
    int screen, tile, camera;
    int64_t until_ms;
};

struct sched_overrides {
    int plan;                 /* -1: follow the schedule */
    int64_t plan_since_ms, plan_until_ms;
    bool paused;              /* the patrol stands still at paused_at_ms */
    int64_t paused_at_ms, pause_until_ms;
    /* next/previous page, per screen: that screen's pages run this much
     * ahead of the schedule's clock */
    int64_t shift_ms[SCHED_MAX_SCREENS];
    int64_t shift_until_ms[SCHED_MAX_SCREENS];
    int n_pins;
    struct sched_pin pins[SCHED_MAX_PINS];
    /* a screen's layout replaced (index, -1: none); its cameras keep
     * their order and fill the new tiles */
    int layout[SCHED_MAX_SCREENS];
    int64_t layout_until_ms[SCHED_MAX_SCREENS];
    /* one camera full screen (camera index, -1: none) in full_layout */
    int fullscreen[SCHED_MAX_SCREENS];
    int full_layout;          /* the 1x1 layout's index */
};

void sched_overrides_init(struct sched_overrides *ov);

/* The earliest end of any override in force (INT64_MAX: none). */
int64_t sched_overrides_next_expiry(const struct sched_overrides *ov);

/* Drop the overrides that ended at or before now; returns how many. */
int sched_overrides_expire(struct sched_overrides *ov, int64_t now_ms);

/*
 * sched_eval with overrides: evaluate at the pause instant when paused
 * (and report no page change until the pause ends), with the page shift
 * applied, put pinned cameras into their tiles, then apply a replaced
 * layout (layouts: the config's, for their tile counts) and a full-screen
 * camera.
 */
void sched_eval_overridden(const struct sched_screen *s, int screen,
                           int64_t epoch_ms, int64_t now_ms,
                           const struct sched_overrides *ov,
                           const struct layout *layouts,
                           const bool *cam_down, struct sched_view *out);

/* Shift that moves the view at now to the start of the next (dir > 0) or
 * previous (dir < 0) page, given the current view (evaluated with the
 * current shift). */
int64_t sched_page_step(const struct sched_screen *s,
                        const struct sched_view *v, int64_t now_ms, int dir);

#endif
