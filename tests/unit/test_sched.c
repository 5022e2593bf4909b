/* Scheduler: pagination, pins, carousels and page timing, on a fake
 * clock (wall-clock milliseconds passed in; nothing sleeps). */
#include <stdlib.h>

#include "config/config.h"
#include "sched/sched.h"
#include "test.h"

static struct config *load(const char *text)
{
    struct cfg_errors errs = { 0 };
    struct config *c = config_load("t.yaml", text, LAYOUTS_DIR, &errs);
    for (size_t i = 0; i < errs.n; i++) {
        fprintf(stderr, "  %s\n", errs.msgs[i]);
    }
    cfg_errors_finish(&errs);
    return c;
}

static const char *const cfg_text =
    "wall:\n"
    "  screens: [{id: main}, {id: side}]\n"
    "cameras:\n"
    "  - {id: c0, url: x, groups: [g]}\n"
    "  - {id: c1, url: x, groups: [g]}\n"
    "  - {id: c2, url: x, groups: [g]}\n"
    "  - {id: c3, url: x, groups: [g]}\n"
    "  - {id: c4, url: x, groups: [g]}\n"
    "  - {id: c5, url: x, groups: [g]}\n"
    "  - {id: c6, url: x, groups: [g]}\n"
    "  - {id: pinme, url: x, groups: [g]}\n"
    "plans:\n"
    "  p:\n"
    "    dwell: 10s\n"
    "    screens:\n"
    "      main:\n"
    "        - {layout: 2x2, cameras: 'group:g', pin: {0: pinme}}\n"
    "        - {layout: 1x1, tiles: [c0], dwell: 5s}\n"
    "      side:\n"
    "        - layout: 1x1\n"
    "          tiles: [{cycle: [c1, c2, c3], dwell: 3s, skip_down: true}]\n";

static void pagination_and_pins(void)
{
    struct config *c = load(cfg_text);
    CHECK(c != NULL);
    if (!c) {
        return;
    }
    struct sched_screen s;
    sched_screen_build(c, 0, 0, &s);
    /* 8 group cameras, pinme pinned: 7 others over 3 free tiles = 3 pages,
     * then the 1x1 page. */
    CHECK_INT(s.n_pages, 4);
    CHECK_INT(s.cycle_ms, 3 * 10000 + 5000);
    int pin = config_find_camera(c, "pinme");
    for (int p = 0; p < 3; p++) {
        CHECK_INT(s.pages[p].n_tiles, 4);
        CHECK_INT(s.pages[p].tiles[0].cycle[0], pin);
    }
    CHECK_INT(s.pages[0].tiles[1].cycle[0], 0);
    CHECK_INT(s.pages[0].tiles[3].cycle[0], 2);
    CHECK_INT(s.pages[2].tiles[1].cycle[0], 6);
    /* the last page has one camera left: the rest are blank, no reflow */
    CHECK_INT(s.pages[2].tiles[2].n_cycle, 0);
    CHECK_INT(s.pages[3].dwell_ms, 5000);
    /* pinme appears once per page, never also in a free tile */
    for (int p = 0; p < 3; p++) {
        for (int t = 1; t < 4; t++) {
            CHECK(s.pages[p].tiles[t].n_cycle == 0 ||
                  s.pages[p].tiles[t].cycle[0] != pin);
        }
    }
    sched_screen_finish(&s);
    config_unref(c);
}

static void page_timing(void)
{
    struct config *c = load(cfg_text);
    if (!c) {
        CHECK(0);
        return;
    }
    struct sched_screen s;
    sched_screen_build(c, 0, 0, &s);
    struct sched_view v;
    const int64_t epoch = 1700000000000; /* plan became active */
    /* Step a fake clock through two full cycles, 250 ms at a time: each
     * page is shown for exactly its dwell and in order. */
    int last = -1, changes = 0;
    int64_t shown_since = epoch;
    for (int64_t t = epoch; t < epoch + 2 * s.cycle_ms; t += 250) {
        sched_eval(&s, epoch, t, NULL, &v);
        if (v.page != last) {
            if (last >= 0) {
                CHECK_INT(t - shown_since, s.pages[last].dwell_ms);
                CHECK_INT(v.page, (last + 1) % s.n_pages);
            }
            CHECK_INT(v.page_start_ms, t);
            shown_since = t;
            last = v.page;
            changes++;
        }
        CHECK_INT(v.next_change_ms,
                  v.page_start_ms + s.pages[v.page].dwell_ms);
    }
    CHECK_INT(changes, 2 * s.n_pages);
    /* a late evaluation (the timer fired 3.7 s late) still sees the page
     * that the wall clock says, with the same boundary */
    sched_eval(&s, epoch, epoch + 10000 + 3700, NULL, &v);
    CHECK_INT(v.page, 1);
    CHECK_INT(v.page_start_ms, epoch + 10000);
    CHECK_INT(v.next_change_ms, epoch + 20000);
    /* the same instant gives the same answer, whoever asks (two walls) */
    struct sched_view v2;
    sched_eval(&s, epoch, epoch + 123456789, NULL, &v);
    sched_eval(&s, epoch, epoch + 123456789, NULL, &v2);
    CHECK_INT(v.page, v2.page);
    CHECK(memcmp(v.cams, v2.cams, sizeof(int) * (size_t)v.n_tiles) == 0);
    sched_screen_finish(&s);
    config_unref(c);
}

static void carousel(void)
{
    struct config *c = load(cfg_text);
    if (!c) {
        CHECK(0);
        return;
    }
    struct sched_screen s;
    sched_screen_build(c, 0, 1, &s);
    CHECK_INT(s.n_pages, 1);
    struct sched_view v;
    int c1 = config_find_camera(c, "c1"), c2 = c1 + 1, c3 = c1 + 2;
    sched_eval(&s, 0, 0, NULL, &v);
    CHECK_INT(v.cams[0], c1);
    CHECK_INT(v.next_change_ms, 3000);
    sched_eval(&s, 0, 3000, NULL, &v);
    CHECK_INT(v.cams[0], c2);
    sched_eval(&s, 0, 6500, NULL, &v);
    CHECK_INT(v.cams[0], c3);
    /* the carousel walks its whole cycle across the page's dwell */
    sched_eval(&s, 0, 9000, NULL, &v);
    CHECK_INT(v.cams[0], c1);
    sched_eval(&s, 0, 12000, NULL, &v);
    CHECK_INT(v.cams[0], c2);
    /* skip_down: c2 is down, so c3 shows in its slot */
    bool down[16] = { 0 };
    down[c2] = true;
    sched_eval(&s, 0, 3000, down, &v);
    CHECK_INT(v.cams[0], c3);
    sched_screen_finish(&s);
    config_unref(c);
}

static void blank_screen(void)
{
    struct config *c = load(
        "wall:\n  screens: [{id: a}, {id: b}]\n"
        "cameras: [{id: x, url: x}]\n"
        "plans:\n  p:\n    screens:\n      a: [{layout: 1x1, tiles: [x]}]\n");
    if (!c) {
        CHECK(0);
        return;
    }
    struct sched_screen s;
    sched_screen_build(c, 0, 1, &s);
    struct sched_view v;
    sched_eval(&s, 0, 5000, NULL, &v);
    CHECK_INT(v.page, -1);
    CHECK_INT(v.n_tiles, 0);
    CHECK(v.next_change_ms == INT64_MAX);
    sched_screen_finish(&s);
    sched_screen_build(c, 0, 0, &s);
    sched_eval(&s, 0, 5000, NULL, &v);
    CHECK_INT(v.page, 0);
    CHECK(v.next_change_ms == INT64_MAX); /* one page never changes */
    sched_screen_finish(&s);
    config_unref(c);
}

int main(void)
{
    RUN(pagination_and_pins);
    RUN(page_timing);
    RUN(carousel);
    RUN(blank_screen);
    return test_done();
}
