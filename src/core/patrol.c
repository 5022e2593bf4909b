/*
 * The patrol (see patrol.h): the running plan and its epoch, the cached
 * answer of the schedule, the operator's overrides, each screen's pages
 * and view, and where every camera is shown. Pages are a pure function of
 * the config, the wall clock and the overrides (src/sched), so a restart
 * resumes on the page the wall would be showing, and machines with
 * synchronised clocks agree without talking.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/patrol.h"
#include "layout/layout.h"
#include "sched/schedule.h"
#include "util/mem.h"

/* A substream whose height is not known yet (not connected) is taken to
 * fit tiles up to this many lines. */
#define SUB_HEIGHT_GUESS 480
/* How far ahead the schedule is looked up; past that, the cached answer
 * simply expires then. */
#define LOOKAHEAD_MS (INT64_C(8) * 86400 * 1000)

/* Where a camera is shown, from the views. */
struct place {
    bool shown;          /* on a screen now */
    bool soon;           /* on the next page, pre-rolling */
    bool large;          /* in a tile over half a screen high */
    bool alone;          /* the only tile of its screen */
    int show_w, show_h;  /* its largest tile, pixels */
    int stream;          /* decoded and shown: 0 main, 1 sub */
};

struct patrol {
    struct config *cfg;
    int n_screens, n_cams;
    int plan;                     /* running plan, -1 before the first */
    int rule;                     /* the rule that chose it, -1 */
    int64_t epoch_ms;             /* when it took over (pages count from) */
    int64_t started_ms;           /* when this wall started running it */
    bool rebuild;                 /* a new config: rebuild the pages */
    char plan_name[64];           /* of the running plan (a reload may
                                   * renumber or remove it) */
    char from_name[64];           /* patrol_out.plan_from's name */
    int sched_plan, sched_rule;   /* what the schedule says, cached */
    int64_t sched_since_ms, sched_next_ms;
    struct sched_overrides ov;
    struct sched_screen *sched;   /* per screen: the plan's pages */
    struct sched_view *views;     /* per screen, last evaluation */
    int64_t *changed_ms;          /* per screen */
    struct place *place;          /* per camera */
    uint64_t preroll_skipped;
    int64_t preroll_skip_for;     /* the boundary last counted */
    int64_t soon_at_ms;           /* when the pre-rolling cameras show */
};

static void set_config(struct patrol *p, struct config *cfg)
{
    config_unref(p->cfg);
    p->cfg = config_ref(cfg);
    p->ov.full_layout = config_find_layout(cfg, "1x1");
}

struct patrol *patrol_create(struct config *cfg)
{
    struct patrol *p = xzalloc(sizeof(*p));
    p->n_screens = cfg->n_screens < SCHED_MAX_SCREENS ? cfg->n_screens
                                                      : SCHED_MAX_SCREENS;
    p->n_cams = cfg->n_cameras;
    p->plan = p->rule = -1;
    p->sched_plan = -1;
    sched_overrides_init(&p->ov);
    set_config(p, cfg);
    p->sched = xcalloc((size_t)p->n_screens + 1, sizeof(*p->sched));
    p->views = xcalloc((size_t)p->n_screens + 1, sizeof(*p->views));
    p->changed_ms = xcalloc((size_t)p->n_screens + 1, sizeof(int64_t));
    for (int i = 0; i < p->n_screens; i++) {
        p->views[i].page = p->views[i].layout = -1;
    }
    p->place = xcalloc((size_t)p->n_cams + 1, sizeof(*p->place));
    for (int i = 0; i < p->n_cams; i++) {
        p->place[i].stream = cfg->cameras[i].sub ? 1 : 0;
    }
    return p;
}

void patrol_destroy(struct patrol *p)
{
    if (!p) {
        return;
    }
    for (int i = 0; i < p->n_screens; i++) {
        sched_screen_finish(&p->sched[i]);
    }
    free(p->sched);
    free(p->views);
    free(p->changed_ms);
    free(p->place);
    config_unref(p->cfg);
    free(p);
}

static int find_plan(const struct config *c, const char *name)
{
    for (int i = 0; i < c->n_plans; i++) {
        if (!strcmp(c->plans[i].name, name)) {
            return i;
        }
    }
    return -1;
}

int patrol_rebind(struct patrol *p, struct config *cfg)
{
    const struct config *old = p->cfg;
    struct sched_overrides *ov = &p->ov;
    int dropped = 0;
    if (ov->plan >= 0) {
        ov->plan = find_plan(cfg, old->plans[ov->plan].name);
        dropped += ov->plan < 0;
    }
    for (int s = 0; s < p->n_screens; s++) {
        if (ov->layout[s] >= 0) {
            ov->layout[s] = config_find_layout(cfg,
                                               old->layouts[ov->layout[s]]
                                                   .name);
            dropped += ov->layout[s] < 0;
        }
        /* the views keep comparing by what they show, not by index */
        struct sched_view *v = &p->views[s];
        if (v->layout >= 0) {
            v->layout = config_find_layout(cfg, old->layouts[v->layout].name);
        }
    }
    if (config_find_layout(cfg, "1x1") < 0) {
        for (int s = 0; s < p->n_screens; s++) {
            dropped += p->ov.fullscreen[s] >= 0;
            p->ov.fullscreen[s] = -1;
        }
    }
    /* the running plan, under its name in the new config (-1: gone) */
    p->plan = p->plan >= 0 ? find_plan(cfg, p->plan_name) : -1;
    p->rebuild = true;
    p->sched_plan = -1; /* ask the schedule again */
    set_config(p, cfg);
    return dropped;
}

/* ---- evaluation ---- */

/* Look the schedule up again when its cached answer runs out. */
static void schedule_refresh(struct patrol *p, int64_t now)
{
    if (now < p->sched_next_ms && p->sched_plan >= 0) {
        return;
    }
    p->sched_plan = schedule_plan_at(p->cfg, now, &p->sched_rule);
    p->sched_since_ms = schedule_plan_since(p->cfg, now,
                                            SCHEDULE_HORIZON_MS);
    p->sched_next_ms = schedule_next_change(p->cfg, now, LOOKAHEAD_MS);
    if (p->sched_next_ms == INT64_MAX) {
        p->sched_next_ms = now + LOOKAHEAD_MS;
    }
}

static void switch_plan(struct patrol *p, int plan, int rule, int64_t epoch,
                        int64_t now, struct patrol_out *out)
{
    const struct config *cfg = p->cfg;
    int old = p->plan;
    bool first = old < 0 && !p->plan_name[0];
    for (int i = 0; i < p->n_screens; i++) {
        sched_screen_finish(&p->sched[i]);
        sched_screen_build(cfg, plan, i, &p->sched[i]);
    }
    snprintf(p->from_name, sizeof(p->from_name), "%s", p->plan_name);
    snprintf(p->plan_name, sizeof(p->plan_name), "%s",
             cfg->plans[plan].name);
    p->plan = plan;
    p->rule = rule;
    p->epoch_ms = epoch;
    p->rebuild = false;
    if (old == plan) {
        return;
    }
    p->started_ms = now;
    out->plan_changed = true;
    out->plan_from = old;
    out->plan_from_name = first ? NULL : p->from_name;
    out->plan_to = plan;
    out->by_operator = p->ov.plan >= 0;
    out->rule = rule;
}

/* Note where view v of screen s shows its cameras: now, or soon (the
 * page after the next change, which pre-rolls). */
static void mark_view(struct patrol *p, int s, const struct sched_view *v,
                      bool soon)
{
    const struct cfg_screen *sc = &p->cfg->screens[s];
    if (v->layout < 0) {
        return;
    }
    const struct layout *l = &p->cfg->layouts[v->layout];
    int used = 0;
    for (int k = 0; k < v->n_tiles; k++) {
        used += v->cams[k] >= 0;
    }
    for (int k = 0; k < v->n_tiles && k < l->n_cells; k++) {
        if (v->cams[k] < 0 || v->cams[k] >= p->n_cams) {
            continue;
        }
        struct place *c = &p->place[v->cams[k]];
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

/* Mark the cameras on screen at instant t (the views an update at t would
 * compute: with the overrides that end by then gone) as coming soon. */
static void mark_views_at(struct patrol *p, int64_t t)
{
    const struct config *cfg = p->cfg;
    struct sched_overrides ov = p->ov;
    sched_overrides_expire(&ov, t);
    int plan = p->plan;
    int64_t epoch = p->epoch_ms;
    bool plan_change = false;
    if (ov.plan < 0 && (p->ov.plan >= 0 || t >= p->sched_next_ms)) {
        /* the schedule's plan then: a new one from t, or (an operator's
         * plan ending) the one running since its own start */
        plan = t >= p->sched_next_ms ? schedule_plan_at(cfg, t, NULL)
                                     : p->sched_plan;
        epoch = t >= p->sched_next_ms ? t
                : p->sched_since_ms == INT64_MIN ? 0
                                                 : p->sched_since_ms;
        plan_change = plan != p->plan || epoch != p->epoch_ms;
    }
    for (int s = 0; s < p->n_screens; s++) {
        struct sched_screen tmp;
        const struct sched_screen *ss = &p->sched[s];
        if (plan_change) {
            sched_screen_build(cfg, plan, s, &tmp);
            ss = &tmp;
        }
        struct sched_view v;
        sched_eval_overridden(ss, s, epoch, t, &ov, cfg->layouts, NULL, &v);
        mark_view(p, s, &v, true);
        if (plan_change) {
            sched_screen_finish(&tmp);
        }
    }
}

/* Place the cameras: the current views, and within the pre-roll time of
 * the next change, the views after it. Returns the instant pre-roll must
 * start (INT64_MAX: none pending). */
static int64_t place_cameras(struct patrol *p, int64_t now, int64_t next,
                             enum load_shed shed)
{
    for (int i = 0; i < p->n_cams; i++) {
        struct place *c = &p->place[i];
        int stream = c->stream;
        *c = (struct place){ .stream = stream };
    }
    for (int s = 0; s < p->n_screens; s++) {
        mark_view(p, s, &p->views[s], false);
    }
    int64_t preroll_at = INT64_MAX;
    int64_t preroll = p->cfg->preroll_ms;
    if (next != INT64_MAX && preroll > 0) {
        if (next - now > preroll) {
            preroll_at = next - preroll;
        } else if (shed < LOAD_SHED_PREROLL) {
            mark_views_at(p, next);
            p->soon_at_ms = next;
        } else if (p->preroll_skip_for != next) {
            p->preroll_skip_for = next;
            p->preroll_skipped++;
        }
    }
    return preroll_at;
}

static bool view_moved(const struct sched_view *a, const struct sched_view *b)
{
    return a->page != b->page || a->layout != b->layout ||
           a->n_tiles != b->n_tiles ||
           memcmp(a->cams, b->cams, sizeof(int) * (size_t)a->n_tiles);
}

void patrol_update(struct patrol *p, const struct patrol_in *in,
                   struct patrol_out *out)
{
    int64_t now = in->now_ms;
    memset(out, 0, sizeof(*out));
    out->plan_from = out->plan_to = out->rule = -1;
    out->expired = sched_overrides_expire(&p->ov, now);
    schedule_refresh(p, now);
    int plan = p->sched_plan, rule = p->sched_rule;
    int64_t epoch = p->sched_since_ms == INT64_MIN ? 0 : p->sched_since_ms;
    if (p->ov.plan >= 0) {
        plan = p->ov.plan;
        rule = -1;
        epoch = p->ov.plan_since_ms;
    }
    if (plan != p->plan || epoch != p->epoch_ms || p->rebuild) {
        switch_plan(p, plan, rule, epoch, now, out);
    }
    int64_t next = p->ov.plan >= 0 ? INT64_MAX : p->sched_next_ms;
    int64_t expiry = sched_overrides_next_expiry(&p->ov);
    next = expiry < next ? expiry : next;
    for (int s = 0; s < p->n_screens; s++) {
        struct sched_view before = p->views[s];
        struct sched_view *v = &p->views[s];
        sched_eval_overridden(&p->sched[s], s, p->epoch_ms, now, &p->ov,
                              p->cfg->layouts, in->down, v);
        if (view_moved(v, &before)) {
            /* a page boundary counts from the boundary itself */
            p->changed_ms[s] = v->page_start_ms != before.page_start_ms &&
                                       v->page_start_ms <= now
                                   ? v->page_start_ms
                                   : now;
            out->moved |= 1u << s;
        }
        next = v->next_change_ms < next ? v->next_change_ms : next;
    }
    int64_t preroll_at = place_cameras(p, now, next, in->shed);
    out->next_ms = preroll_at < next ? preroll_at : next;
}

const struct sched_view *patrol_view(const struct patrol *p, int s)
{
    return &p->views[s];
}

int64_t patrol_changed_ms(const struct patrol *p, int s)
{
    return p->changed_ms[s];
}

int patrol_plan(const struct patrol *p, int *rule, int64_t *since_ms)
{
    if (rule) {
        *rule = p->rule;
    }
    if (since_ms) {
        /* a plan that has always applied (its pages count from 1970) has
         * run here since this wall started it */
        *since_ms = p->epoch_ms > 0 ? p->epoch_ms : p->started_ms;
    }
    return p->plan;
}

const struct sched_overrides *patrol_overrides(const struct patrol *p)
{
    return &p->ov;
}

uint64_t patrol_preroll_skipped(const struct patrol *p)
{
    return p->preroll_skipped;
}

int patrol_pages(const struct patrol *p, int s)
{
    return s >= 0 && s < p->n_screens ? p->sched[s].n_pages : 0;
}

/* ---- the decode plan ---- */

void patrol_decode_plan(struct patrol *p, int cam,
                        const struct patrol_cam_in *in, enum load_shed shed,
                        int n_cores, struct patrol_decode *out)
{
    struct place *c = &p->place[cam];
    int old = c->stream;
    if (in->has_sub && (c->shown || c->soon)) {
        int sub_h = in->sub_height > 0 ? in->sub_height : SUB_HEIGHT_GUESS;
        int want = c->show_h > sub_h ? 0 : 1;
        bool w_ok = want ? in->sub_ok : in->main_ok;
        bool o_ok = want ? in->main_ok : in->sub_ok;
        c->stream = !w_ok && o_ok ? !want : want;
    } else if (!in->has_sub) {
        c->stream = 0;
    }
    int height = c->stream ? in->sub_height : in->main_height;
    *out = (struct patrol_decode){
        .shown = c->shown,
        .on = c->shown || (c->soon && shed < LOAD_SHED_PREROLL),
        .show_at_ms = c->soon && !c->shown ? p->soon_at_ms : 0,
        .stream = c->stream,
        .stream_changed = c->stream != old,
        .keyframes_only = shed >= LOAD_SHED_KEYFRAMES && c->shown &&
                          !c->large,
        .skip_loop_filter = p->cfg->skip_loop_filter && !c->large,
        .threads = 1,
        .tile_w = c->show_w,
        .tile_h = c->show_h,
    };
    if (c->alone && height >= 720) {
        /* one large picture: frame threads, the cores are otherwise idle */
        out->threads = n_cores < 4 ? n_cores : 4;
    }
}

/* ---- operator commands ---- */

static bool screen_ok(const struct patrol *p, int s)
{
    return s >= 0 && s < p->n_screens;
}

int patrol_pause(struct patrol *p, int64_t now, int64_t until)
{
    if (!p->ov.paused) {
        p->ov.paused = true;
        p->ov.paused_at_ms = now;
    }
    p->ov.pause_until_ms = until;
    return 0;
}

void patrol_resume(struct patrol *p)
{
    /* back to the clock: the page the schedule says now */
    p->ov.paused = false;
    p->ov.pause_until_ms = INT64_MAX;
}

bool patrol_paused(const struct patrol *p)
{
    return p->ov.paused;
}

int patrol_step(struct patrol *p, int s, int dir, int64_t now, int64_t until)
{
    if (s >= p->n_screens) {
        return -EINVAL;
    }
    for (int i = 0; i < p->n_screens; i++) {
        if (s >= 0 && i != s) {
            continue;
        }
        p->ov.shift_ms[i] += sched_page_step(&p->sched[i], &p->views[i], now,
                                             dir);
        p->ov.shift_until_ms[i] = until;
    }
    return 0;
}

int patrol_goto(struct patrol *p, int s, int page, int64_t now,
                int64_t until)
{
    if (!screen_ok(p, s)) {
        return -EINVAL;
    }
    const struct sched_screen *ss = &p->sched[s];
    if (page < 0 || page >= ss->n_pages || ss->cycle_ms <= 0) {
        return -EINVAL;
    }
    /* the offset of the page within the cycle, against where the
     * schedule's own clock stands (cycles start at epoch + k * cycle) */
    int64_t off = 0;
    for (int i = 0; i < page; i++) {
        off += ss->pages[i].dwell_ms;
    }
    int64_t into = (now - p->epoch_ms) % ss->cycle_ms;
    p->ov.shift_ms[s] = off - into;
    p->ov.shift_until_ms[s] = until;
    return 0;
}

int patrol_pin(struct patrol *p, int s, int tile, int cam, int64_t until)
{
    struct sched_overrides *ov = &p->ov;
    if (!screen_ok(p, s)) {
        return -EINVAL;
    }
    for (int i = 0; i < ov->n_pins; i++) { /* replace an earlier pin */
        if (ov->pins[i].screen == s && ov->pins[i].tile == tile) {
            ov->pins[i] = ov->pins[--ov->n_pins];
            break;
        }
    }
    if (cam < 0) {
        return 0; /* unpinned */
    }
    if (cam >= p->n_cams || tile < 0 || tile >= p->views[s].n_tiles) {
        return -EINVAL;
    }
    if (ov->n_pins >= SCHED_MAX_PINS) {
        return -EBUSY;
    }
    ov->pins[ov->n_pins++] = (struct sched_pin){ s, tile, cam, until };
    return 0;
}

int patrol_set_plan(struct patrol *p, int plan, int64_t now, int64_t until)
{
    if (plan >= p->cfg->n_plans) {
        return -EINVAL;
    }
    p->ov.plan = plan < 0 ? -1 : plan;
    p->ov.plan_since_ms = now;
    p->ov.plan_until_ms = plan < 0 ? INT64_MAX : until;
    return 0;
}

int patrol_set_layout(struct patrol *p, int s, int layout, int64_t until)
{
    if (!screen_ok(p, s) || layout >= p->cfg->n_layouts) {
        return -EINVAL;
    }
    p->ov.layout[s] = layout < 0 ? -1 : layout;
    p->ov.layout_until_ms[s] = layout < 0 ? INT64_MAX : until;
    return 0;
}

int patrol_fullscreen(struct patrol *p, int s, int cam)
{
    if (!screen_ok(p, s) || cam >= p->n_cams) {
        return -EINVAL;
    }
    if (p->ov.full_layout < 0) {
        return -ENOTSUP;
    }
    p->ov.fullscreen[s] = cam < 0 ? -1 : cam;
    return 0;
}

int patrol_fullscreen_tile(struct patrol *p, int s, int tile)
{
    if (!screen_ok(p, s)) {
        return -EINVAL;
    }
    if (p->ov.full_layout < 0) {
        return -ENOTSUP;
    }
    if (tile < 0 || p->ov.fullscreen[s] >= 0) {
        p->ov.fullscreen[s] = -1; /* toggle back */
        return 0;
    }
    const struct sched_view *v = &p->views[s];
    int cam = tile < v->n_tiles ? v->cams[tile] : -1;
    if (cam < 0) {
        return -ENOENT;
    }
    p->ov.fullscreen[s] = cam;
    return 0;
}

void patrol_clear(struct patrol *p)
{
    int full = p->ov.full_layout;
    sched_overrides_init(&p->ov);
    p->ov.full_layout = full;
}
