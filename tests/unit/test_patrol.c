/* The patrol on a fake clock: pages, pre-roll and the decode plan, the
 * operator's commands and their ends (a pin that expires during pre-roll
 * included), stream choice, and a reload that removes what an override
 * names. Configs are inline; the shipped layouts come from LAYOUTS_DIR. */
#include <errno.h>
#include <stdlib.h>

#include "config/config.h"
#include "core/patrol.h"
#include "test.h"

#define WALL                                                                 \
    "wall:\n"                                                                \
    "  screens: [{id: main, size: 1280x720}]\n"                              \
    "cameras:\n"                                                             \
    "  - {id: a, url: 'rtsp://h/a', groups: [g]}\n"                          \
    "  - {id: b, url: 'rtsp://h/b', groups: [g]}\n"                          \
    "  - {id: c, url: 'rtsp://h/c', groups: [g]}\n"                          \
    "  - {id: d, url: 'rtsp://h/d', groups: [g]}\n"                          \
    "  - {id: e, url: 'rtsp://h/e', groups: [g]}\n"                          \
    "  - {id: f, url: 'rtsp://h/f', groups: [g]}\n"                          \
    "  - {id: g, url: 'rtsp://h/g', groups: [g]}\n"                          \
    "  - {id: h, url: 'rtsp://h/h', groups: [g], sub: 'rtsp://h/h2'}\n"

#define PLANS                                                                \
    "plans:\n"                                                               \
    "  day:\n"                                                               \
    "    dwell: 10s\n"                                                       \
    "    screens:\n"                                                         \
    "      main: [{layout: 2x2, cameras: 'group:g'}]\n"                      \
    "  solo:\n"                                                              \
    "    screens:\n"                                                         \
    "      main: [{layout: 1x1, tiles: [e]}]\n"                              \
    "schedule:\n"                                                            \
    "  - plan: day\n"

static struct config *load(const char *text)
{
    struct cfg_errors errs = { 0 };
    struct config *c = config_load("t.yaml", text, LAYOUTS_DIR, &errs);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "%s\n", errs.msgs[i]);
    }
    cfg_errors_finish(&errs);
    return c;
}

static int64_t update(struct patrol *p, int64_t now, enum load_shed shed,
                      struct patrol_out *out)
{
    struct patrol_in in = { .now_ms = now, .shed = shed };
    patrol_update(p, &in, out);
    return out->next_ms;
}

/* The decode plan of camera id (index) now, with healthy streams. */
static struct patrol_decode plan_of(struct patrol *p, int cam,
                                    enum load_shed shed)
{
    struct patrol_cam_in in = { .has_sub = cam == 7, .main_ok = true,
                                .sub_ok = true, .main_height = 360,
                                .sub_height = 240 };
    struct patrol_decode d;
    patrol_decode_plan(p, cam, &in, shed, 2, &d);
    return d;
}

static void pages_and_preroll(void)
{
    struct config *c = load(WALL PLANS);
    CHECK(c != NULL);
    struct patrol *p = patrol_create(c);
    struct patrol_out out;
    /* epoch 0 (the default plan has always run): page 0 is a-d in
     * [20k s, 20k s + 10 s) */
    int64_t t = 1800000000000; /* a multiple of the 20 s cycle */
    CHECK_INT(update(p, t + 5000, LOAD_SHED_NONE, &out), t + 9000);
    CHECK(out.plan_changed && out.plan_from_name == NULL);
    const struct sched_view *v = patrol_view(p, 0);
    CHECK_INT(v->page, 0);
    CHECK_INT(v->cams[0], 0);
    CHECK_INT(v->cams[3], 3);
    struct patrol_decode d = plan_of(p, 0, LOAD_SHED_NONE);
    CHECK(d.shown && d.on && d.stream == 0);
    CHECK_INT(d.tile_w, 640);
    CHECK_INT(d.tile_h, 360);
    CHECK(d.skip_loop_filter == false && d.threads == 1);
    CHECK(!plan_of(p, 4, LOAD_SHED_NONE).on);
    /* within the pre-roll second: the next page's cameras decode */
    CHECK_INT(update(p, t + 9000, LOAD_SHED_NONE, &out), t + 10000);
    d = plan_of(p, 4, LOAD_SHED_NONE);
    CHECK(d.on && !d.shown);
    CHECK_INT(d.show_at_ms, t + 10000); /* it may wait for a keyframe */
    CHECK_INT(plan_of(p, 0, LOAD_SHED_NONE).show_at_ms, 0);
    CHECK(!out.moved);
    /* shed pre-roll: they do not, and it is counted once */
    update(p, t + 9100, LOAD_SHED_PREROLL, &out);
    update(p, t + 9200, LOAD_SHED_PREROLL, &out);
    CHECK(!plan_of(p, 4, LOAD_SHED_PREROLL).on);
    CHECK_INT(patrol_preroll_skipped(p), 1);
    /* the boundary */
    update(p, t + 10000, LOAD_SHED_NONE, &out);
    CHECK(out.moved & 1u);
    CHECK_INT(patrol_changed_ms(p, 0), t + 10000);
    CHECK_INT(patrol_view(p, 0)->page, 1);
    CHECK(plan_of(p, 4, LOAD_SHED_NONE).shown);
    CHECK_INT(plan_of(p, 4, LOAD_SHED_NONE).show_at_ms, 0);
    CHECK(!plan_of(p, 0, LOAD_SHED_NONE).on);
    /* keyframes only: shown small tiles */
    CHECK(plan_of(p, 4, LOAD_SHED_KEYFRAMES).keyframes_only);
    patrol_destroy(p);
    patrol_destroy(NULL);
    config_unref(c);
}

/* A pin ending before the page does: the view after its end (which
 * pre-rolls) is the plan's own, without the pin. */
static void pin_expires_during_preroll(void)
{
    struct config *c = load(WALL PLANS);
    struct patrol *p = patrol_create(c);
    struct patrol_out out;
    int64_t t = 1800000000000;
    update(p, t + 1000, LOAD_SHED_NONE, &out);
    CHECK_INT(patrol_pin(p, 0, 0, 7, t + 8500), 0);
    CHECK_INT(update(p, t + 2000, LOAD_SHED_NONE, &out), t + 7500);
    CHECK_INT(patrol_view(p, 0)->cams[0], 7); /* h pinned over a */
    CHECK(!plan_of(p, 0, LOAD_SHED_NONE).on);
    /* pre-roll for the pin's end: a comes back, so a decodes now */
    CHECK_INT(update(p, t + 7600, LOAD_SHED_NONE, &out), t + 8500);
    CHECK(plan_of(p, 0, LOAD_SHED_NONE).on);
    CHECK(plan_of(p, 7, LOAD_SHED_NONE).shown);
    update(p, t + 8500, LOAD_SHED_NONE, &out);
    CHECK_INT(out.expired, 1);
    CHECK_INT(patrol_view(p, 0)->cams[0], 0);
    CHECK_INT(patrol_overrides(p)->n_pins, 0);
    patrol_destroy(p);
    config_unref(c);
}

static void commands(void)
{
    struct config *c = load(WALL PLANS);
    struct patrol *p = patrol_create(c);
    struct patrol_out out;
    int64_t t = 1800000000000;
    update(p, t + 1000, LOAD_SHED_NONE, &out);
    /* next page, until cancelled */
    CHECK_INT(patrol_step(p, -1, 1, t + 1000, INT64_MAX), 0);
    update(p, t + 1000, LOAD_SHED_NONE, &out);
    CHECK_INT(patrol_view(p, 0)->page, 1);
    CHECK(out.moved & 1u);
    /* page 0 starts now */
    CHECK_INT(patrol_goto(p, 0, 0, t + 3000, INT64_MAX), 0);
    update(p, t + 3000, LOAD_SHED_NONE, &out);
    CHECK_INT(patrol_view(p, 0)->page, 0);
    CHECK_INT(patrol_view(p, 0)->page_start_ms, t + 3000);
    CHECK_INT(patrol_goto(p, 0, 5, t + 3000, INT64_MAX), -EINVAL);
    /* pause: the page stays past its end */
    patrol_pause(p, t + 4000, INT64_MAX);
    /* no page boundary pending: only the schedule's own look-ahead */
    CHECK(update(p, t + 20000, LOAD_SHED_NONE, &out) > t + 86400000);
    CHECK_INT(patrol_view(p, 0)->page, 0);
    CHECK(patrol_paused(p));
    patrol_resume(p);
    /* an operator's plan for 5 s, then the schedule's again */
    CHECK_INT(patrol_set_plan(p, 1, t + 21000, t + 26000), 0);
    update(p, t + 21000, LOAD_SHED_NONE, &out);
    CHECK(out.plan_changed && out.by_operator && out.plan_to == 1);
    CHECK_STR(out.plan_from_name, "day");
    CHECK_INT(patrol_view(p, 0)->cams[0], 4);
    /* e alone on the screen: frame threads for a large picture */
    struct patrol_cam_in big = { .main_ok = true, .main_height = 1080 };
    struct patrol_decode d;
    patrol_decode_plan(p, 4, &big, LOAD_SHED_NONE, 2, &d);
    CHECK_INT(d.threads, 2);
    CHECK_INT(d.tile_h, 720);
    update(p, t + 26000, LOAD_SHED_NONE, &out);
    CHECK(out.plan_changed && !out.by_operator && out.plan_to == 0);
    /* full screen by tile, and the same again goes back */
    CHECK_INT(patrol_fullscreen_tile(p, 0, 2), 0);
    update(p, t + 26000, LOAD_SHED_NONE, &out);
    CHECK_INT(patrol_view(p, 0)->n_tiles, 1);
    CHECK_INT(patrol_fullscreen_tile(p, 0, 2), 0);
    update(p, t + 26000, LOAD_SHED_NONE, &out);
    CHECK_INT(patrol_view(p, 0)->n_tiles, 4);
    CHECK_INT(patrol_fullscreen_tile(p, 0, 9), -ENOENT);
    /* a layout for a while; pins are bounded */
    int l = config_find_layout(c, "3x3");
    CHECK_INT(patrol_set_layout(p, 0, l, t + 30000), 0);
    update(p, t + 27000, LOAD_SHED_NONE, &out);
    CHECK_INT(patrol_view(p, 0)->n_tiles, 9);
    CHECK_INT(patrol_pin(p, 0, 99, 1, INT64_MAX), -EINVAL);
    patrol_clear(p);
    update(p, t + 27000, LOAD_SHED_NONE, &out);
    CHECK_INT(patrol_view(p, 0)->n_tiles, 4);
    patrol_destroy(p);
    config_unref(c);
}

/* The substream while the tile is no taller than it; the other stream
 * when the chosen one is unwell. */
static void stream_choice(void)
{
    struct config *c = load(WALL PLANS);
    struct patrol *p = patrol_create(c);
    struct patrol_out out;
    int64_t t = 1800000000000;
    update(p, t + 11000, LOAD_SHED_NONE, &out); /* page 1: e-h */
    struct patrol_cam_in in = { .has_sub = true, .main_ok = true,
                                .sub_ok = true, .main_height = 1080,
                                .sub_height = 0 /* not known yet */ };
    struct patrol_decode d;
    patrol_decode_plan(p, 7, &in, LOAD_SHED_NONE, 2, &d);
    CHECK_INT(d.stream, 1); /* 360-line tile, sub taken for 480 */
    in.sub_ok = false;
    patrol_decode_plan(p, 7, &in, LOAD_SHED_NONE, 2, &d);
    CHECK_INT(d.stream, 0);
    CHECK(d.stream_changed);
    in.sub_ok = true;
    in.sub_height = 240; /* smaller than the tile: the main stream */
    patrol_decode_plan(p, 7, &in, LOAD_SHED_NONE, 2, &d);
    CHECK_INT(d.stream, 0);
    CHECK(!d.stream_changed);
    patrol_destroy(p);
    config_unref(c);
}

/* A reload that removes the layout an override shows, and renumbers the
 * plans: the override goes, the running plan is found by its name. */
static void rebind(void)
{
    struct config *c = load(WALL PLANS
                            "layouts:\n"
                            "  - {name: wide, grid: 2x1}\n");
    struct patrol *p = patrol_create(c);
    struct patrol_out out;
    int64_t t = 1800000000000;
    update(p, t + 1000, LOAD_SHED_NONE, &out);
    patrol_set_layout(p, 0, config_find_layout(c, "wide"), INT64_MAX);
    patrol_pin(p, 0, 1, 6, INT64_MAX);
    update(p, t + 1000, LOAD_SHED_NONE, &out);
    CHECK_INT(patrol_view(p, 0)->n_tiles, 2);
    struct config *c2 = load(WALL
                             "plans:\n"
                             "  other:\n"
                             "    screens:\n"
                             "      main: [{layout: 1x1, tiles: [a]}]\n"
                             "  day:\n"
                             "    dwell: 10s\n"
                             "    screens:\n"
                             "      main: [{layout: 2x2, cameras: "
                             "'group:g'}]\n"
                             "schedule:\n"
                             "  - plan: day\n");
    CHECK(c2 != NULL);
    CHECK_INT(patrol_rebind(p, c2), 1); /* the layout override */
    config_unref(c); /* the patrol holds the new one only */
    update(p, t + 2000, LOAD_SHED_NONE, &out);
    CHECK(!out.plan_changed); /* still "day", now plan 1 */
    int rule;
    CHECK_INT(patrol_plan(p, &rule, NULL), 1);
    const struct sched_view *v = patrol_view(p, 0);
    CHECK_INT(v->n_tiles, 4);
    CHECK_INT(v->layout, config_find_layout(c2, "2x2"));
    CHECK_INT(v->cams[1], 6); /* the pin stays */
    patrol_destroy(p);
    config_unref(c2);
}

/* The operator's plan removed by a reload: the override goes and the
 * schedule's plan runs, journalled as a change from the removed one. */
static void rebind_plan_removed(void)
{
    struct config *c = load(WALL PLANS);
    struct patrol *p = patrol_create(c);
    struct patrol_out out;
    int64_t t = 1800000000000;
    update(p, t + 1000, LOAD_SHED_NONE, &out);
    patrol_set_plan(p, 1, t + 1000, INT64_MAX); /* solo */
    update(p, t + 1000, LOAD_SHED_NONE, &out);
    CHECK_INT(patrol_view(p, 0)->cams[0], 4);
    struct config *c2 = load(WALL
                             "plans:\n"
                             "  day:\n"
                             "    dwell: 10s\n"
                             "    screens:\n"
                             "      main: [{layout: 2x2, cameras: "
                             "'group:g'}]\n");
    CHECK_INT(patrol_rebind(p, c2), 1);
    update(p, t + 2000, LOAD_SHED_NONE, &out);
    CHECK(out.plan_changed);
    CHECK_STR(out.plan_from_name, "solo");
    CHECK_INT(out.plan_to, 0);
    CHECK(patrol_overrides(p)->plan < 0);
    CHECK_INT(patrol_view(p, 0)->cams[0], 0);
    patrol_destroy(p);
    config_unref(c);
    config_unref(c2);
}

int main(void)
{
    RUN(pages_and_preroll);
    RUN(pin_expires_during_preroll);
    RUN(commands);
    RUN(stream_choice);
    RUN(rebind);
    RUN(rebind_plan_removed);
    return test_done();
}
