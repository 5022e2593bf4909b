/*
 * Page expansion and evaluation; see sched.h for the model. All times are
 * integer milliseconds, so evaluation is exact and repeatable: a page lasts
 * exactly its dwell however late the caller's timer fired.
 */
#include <stdlib.h>
#include <string.h>

#include "sched/sched.h"
#include "util/mem.h"

static struct sched_page *add_page(struct sched_screen *s, size_t *cap,
                                   const struct config *c, int layout,
                                   int entry, int64_t dwell)
{
    XGROW(s->pages, *cap, (size_t)s->n_pages + 1);
    struct sched_page *p = &s->pages[s->n_pages++];
    p->layout = layout;
    p->entry = entry;
    p->dwell_ms = dwell;
    p->n_tiles = c->layouts[layout].n_cells;
    if (p->n_tiles > SCHED_MAX_TILES) {
        p->n_tiles = SCHED_MAX_TILES;
    }
    p->tiles = xcalloc((size_t)p->n_tiles, sizeof(*p->tiles));
    s->cycle_ms += dwell;
    return p;
}

static void one_camera(struct sched_tile *t, const int *cam)
{
    t->n_cycle = 1;
    t->cycle = cam;
}

/* A paginated entry: pinned tiles repeat on every page; the entry's other
 * cameras (minus pinned ones, which are already on screen) fill the free
 * tiles in order, as many pages as needed. */
static void build_paginated(struct sched_screen *s, size_t *cap,
                            const struct config *c, const struct cfg_entry *e,
                            int entry, int64_t dwell)
{
    int n_tiles = c->layouts[e->layout].n_cells;
    int n_free = n_tiles;
    for (int i = 0; i < e->n_pins; i++) {
        n_free -= e->pins[i] >= 0;
    }
    int *members = xcalloc((size_t)e->n_cameras + 1, sizeof(int));
    int n = 0;
    for (int i = 0; i < e->n_cameras; i++) {
        bool pinned = false;
        for (int k = 0; k < e->n_pins; k++) {
            pinned |= e->pins[k] == e->cameras[i];
        }
        if (!pinned) {
            members[n++] = i; /* index into e->cameras: stable storage */
        }
    }
    int n_pages = n_free > 0 ? (n + n_free - 1) / n_free : 1;
    if (n_pages < 1) {
        n_pages = 1;
    }
    int next = 0;
    for (int pg = 0; pg < n_pages; pg++) {
        struct sched_page *p = add_page(s, cap, c, e->layout, entry, dwell);
        for (int t = 0; t < p->n_tiles; t++) {
            if (t < e->n_pins && e->pins[t] >= 0) {
                one_camera(&p->tiles[t], &e->pins[t]);
            } else if (next < n) {
                one_camera(&p->tiles[t], &e->cameras[members[next++]]);
            }
        }
    }
    free(members);
}

void sched_screen_build(const struct config *c, int plan, int screen,
                        struct sched_screen *out)
{
    memset(out, 0, sizeof(*out));
    if (plan < 0 || plan >= c->n_plans || screen < 0 ||
        screen >= c->n_screens) {
        return;
    }
    const struct cfg_plan *pl = &c->plans[plan];
    size_t cap = 0;
    for (int i = 0; i < pl->n_entries[screen]; i++) {
        const struct cfg_entry *e = &pl->entries[screen][i];
        int64_t dwell = e->dwell_ms ? e->dwell_ms : pl->dwell_ms;
        if (e->layout < 0) {
            continue;
        }
        if (e->paginate) {
            build_paginated(out, &cap, c, e, i, dwell);
            continue;
        }
        struct sched_page *p = add_page(out, &cap, c, e->layout, i, dwell);
        for (int t = 0; t < e->n_tiles && t < p->n_tiles; t++) {
            const struct cfg_tile *ct = &e->tiles[t];
            p->tiles[t] = (struct sched_tile){
                .n_cycle = ct->n_cycle,
                .cycle = ct->cycle,
                .dwell_ms = ct->dwell_ms ? ct->dwell_ms : dwell,
                .skip_down = ct->skip_down,
            };
        }
    }
}

void sched_screen_finish(struct sched_screen *s)
{
    for (int i = 0; i < s->n_pages; i++) {
        free(s->pages[i].tiles);
    }
    free(s->pages);
    memset(s, 0, sizeof(*s));
}

static int64_t floor_mod(int64_t a, int64_t m)
{
    int64_t r = a % m;
    return r < 0 ? r + m : r;
}

/* Camera shown by a carousel `since` ms after the plan's epoch; *next
 * receives the epoch offset of its next step. Carousels keep their own
 * beat from the epoch, so a carousel on a page that repeats (or on the
 * only page) still walks its whole cycle. */
static int carousel_cam(const struct sched_tile *t, int64_t since,
                        const bool *down, int64_t *next)
{
    int64_t step = since / t->dwell_ms;
    *next = (step + 1) * t->dwell_ms;
    int k = (int)(step % t->n_cycle);
    if (t->skip_down && down) {
        for (int i = 0; i < t->n_cycle; i++) {
            int cand = t->cycle[(k + i) % t->n_cycle];
            if (!down[cand]) {
                return cand;
            }
        }
    }
    return t->cycle[k];
}

void sched_eval(const struct sched_screen *s, int64_t epoch_ms,
                int64_t now_ms, const bool *cam_down, struct sched_view *out)
{
    out->page = -1;
    out->layout = -1;
    out->n_pages = s->n_pages;
    out->n_tiles = 0;
    out->page_start_ms = epoch_ms;
    out->next_change_ms = INT64_MAX;
    if (!s->n_pages || s->cycle_ms <= 0) {
        return;
    }
    int64_t into = floor_mod(now_ms - epoch_ms, s->cycle_ms);
    int64_t cycle_start = now_ms - into;
    int i = 0;
    int64_t off = 0;
    while (i < s->n_pages - 1 && into >= off + s->pages[i].dwell_ms) {
        off += s->pages[i].dwell_ms;
        i++;
    }
    const struct sched_page *p = &s->pages[i];
    out->page = i;
    out->layout = p->layout;
    /* a lone page has been up since the plan began */
    out->page_start_ms = s->n_pages > 1 || now_ms < epoch_ms
                             ? cycle_start + off
                             : epoch_ms;
    /* A single page never changes, unless a carousel on it steps. */
    out->next_change_ms =
        s->n_pages > 1 ? out->page_start_ms + p->dwell_ms : INT64_MAX;
    out->n_tiles = p->n_tiles;
    int64_t since = now_ms - epoch_ms;
    for (int t = 0; t < p->n_tiles; t++) {
        const struct sched_tile *st = &p->tiles[t];
        if (st->n_cycle == 0) {
            out->cams[t] = -1;
        } else if (st->n_cycle == 1) {
            out->cams[t] = st->cycle[0];
        } else {
            int64_t next;
            out->cams[t] = carousel_cam(st, since, cam_down, &next);
            if (epoch_ms + next < out->next_change_ms) {
                out->next_change_ms = epoch_ms + next;
            }
        }
    }
}

void sched_overrides_init(struct sched_overrides *ov)
{
    memset(ov, 0, sizeof(*ov));
    ov->plan = -1;
    ov->plan_until_ms = ov->pause_until_ms = INT64_MAX;
    for (int i = 0; i < SCHED_MAX_SCREENS; i++) {
        ov->shift_until_ms[i] = INT64_MAX;
        ov->layout[i] = -1;
        ov->layout_until_ms[i] = INT64_MAX;
        ov->fullscreen[i] = -1;
    }
    ov->full_layout = -1;
}

int64_t sched_overrides_next_expiry(const struct sched_overrides *ov)
{
    int64_t t = INT64_MAX;
    if (ov->plan >= 0 && ov->plan_until_ms < t) {
        t = ov->plan_until_ms;
    }
    if (ov->paused && ov->pause_until_ms < t) {
        t = ov->pause_until_ms;
    }
    for (int i = 0; i < SCHED_MAX_SCREENS; i++) {
        if (ov->shift_ms[i] && ov->shift_until_ms[i] < t) {
            t = ov->shift_until_ms[i];
        }
        if (ov->layout[i] >= 0 && ov->layout_until_ms[i] < t) {
            t = ov->layout_until_ms[i];
        }
    }
    for (int i = 0; i < ov->n_pins; i++) {
        if (ov->pins[i].until_ms < t) {
            t = ov->pins[i].until_ms;
        }
    }
    return t;
}

int sched_overrides_expire(struct sched_overrides *ov, int64_t now_ms)
{
    int n = 0;
    if (ov->plan >= 0 && ov->plan_until_ms <= now_ms) {
        ov->plan = -1;
        ov->plan_until_ms = INT64_MAX;
        n++;
    }
    if (ov->paused && ov->pause_until_ms <= now_ms) {
        ov->paused = false;
        ov->pause_until_ms = INT64_MAX;
        n++;
    }
    for (int i = 0; i < SCHED_MAX_SCREENS; i++) {
        if (ov->shift_ms[i] && ov->shift_until_ms[i] <= now_ms) {
            ov->shift_ms[i] = 0;
            ov->shift_until_ms[i] = INT64_MAX;
            n++;
        }
        if (ov->layout[i] >= 0 && ov->layout_until_ms[i] <= now_ms) {
            ov->layout[i] = -1;
            ov->layout_until_ms[i] = INT64_MAX;
            n++;
        }
    }
    int k = 0;
    for (int i = 0; i < ov->n_pins; i++) {
        if (ov->pins[i].until_ms <= now_ms) {
            n++;
        } else {
            ov->pins[k++] = ov->pins[i];
        }
    }
    ov->n_pins = k;
    return n;
}

void sched_eval_overridden(const struct sched_screen *s, int screen,
                           int64_t epoch_ms, int64_t now_ms,
                           const struct sched_overrides *ov,
                           const struct layout *layouts,
                           const bool *cam_down, struct sched_view *out)
{
    int64_t t = ov->paused ? ov->paused_at_ms : now_ms;
    int64_t shift = screen >= 0 && screen < SCHED_MAX_SCREENS
                        ? ov->shift_ms[screen]
                        : 0;
    sched_eval(s, epoch_ms - shift, t, cam_down, out);
    if (ov->paused) {
        out->next_change_ms = INT64_MAX;
    }
    for (int i = 0; i < ov->n_pins; i++) {
        const struct sched_pin *p = &ov->pins[i];
        if (p->screen == screen && p->tile >= 0 && p->tile < out->n_tiles) {
            out->cams[p->tile] = p->camera;
        }
    }
    if (screen < 0 || screen >= SCHED_MAX_SCREENS || out->page < 0) {
        return;
    }
    if (ov->layout[screen] >= 0 && layouts) {
        /* same cameras, in order, in the operator's layout */
        int n = layouts[ov->layout[screen]].n_cells;
        n = n > SCHED_MAX_TILES ? SCHED_MAX_TILES : n;
        for (int t = out->n_tiles; t < n; t++) {
            out->cams[t] = -1;
        }
        out->layout = ov->layout[screen];
        out->n_tiles = n;
    }
    if (ov->fullscreen[screen] >= 0 && ov->full_layout >= 0) {
        out->layout = ov->full_layout;
        out->cams[0] = ov->fullscreen[screen];
        out->n_tiles = 1;
        out->next_change_ms = INT64_MAX; /* stays until the operator ends it */
    }
}

int64_t sched_page_step(const struct sched_screen *s,
                        const struct sched_view *v, int64_t now_ms, int dir)
{
    if (v->page < 0 || s->n_pages < 2) {
        return 0;
    }
    if (dir > 0) {
        /* jump forward to the end of this page */
        return v->page_start_ms + s->pages[v->page].dwell_ms - now_ms;
    }
    /* back to the start of the previous page */
    int prev = (v->page + s->n_pages - 1) % s->n_pages;
    return -((now_ms - v->page_start_ms) + s->pages[prev].dwell_ms);
}
