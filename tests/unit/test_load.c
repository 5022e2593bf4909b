/* Load shedding on a fake clock: one sample a second, with the share of
 * the cores spent decoding made up; shedding goes a level deeper after
 * 2 s over budget, comes back after restore_after seconds well under it,
 * and a restore that does not hold doubles the wait before the next. */
#include "core/load.h"
#include "test.h"
#include "util/time.h"

#define CORES 2

struct clock {
    int64_t t_ns;
    uint64_t decode_ns;
};

/* One second at `share` of all cores decoding. */
static int tick(struct load *l, struct clock *c, double share)
{
    c->t_ns += VT_S;
    c->decode_ns += (uint64_t)(share * CORES * VT_S);
    struct load_sample s = { .mono_ns = c->t_ns,
                             .wall_ms = c->t_ns / VT_MS,
                             .decode_ns = c->decode_ns };
    return load_step(l, &s, 0.85);
}

static void measure(void)
{
    struct load *l = load_create(CORES);
    struct clock c = { 1000 * VT_S, 0 };
    CHECK_INT(tick(l, &c, 0.5), 0); /* the first sets the baseline */
    CHECK_INT(tick(l, &c, 0.5), 0);
    CHECK(load_get(l)->decode > 0.49 && load_get(l)->decode < 0.51);
    CHECK_INT(load_get(l)->shed, LOAD_SHED_NONE);
    CHECK_STR(load_shed_name(LOAD_SHED_KEYFRAMES), "keyframes");
    load_destroy(l);
    load_destroy(NULL);
}

static void shed_and_restore(void)
{
    struct load *l = load_create(CORES);
    struct clock c = { 1000 * VT_S, 0 };
    tick(l, &c, 0.1);
    CHECK_INT(tick(l, &c, 0.95), 0); /* one second over: not yet */
    CHECK_INT(tick(l, &c, 0.95), 1); /* two: pre-roll goes */
    CHECK_INT(load_get(l)->shed, LOAD_SHED_PREROLL);
    CHECK_INT(load_get(l)->shed_since_ms, c.t_ns / VT_MS);
    CHECK_INT(tick(l, &c, 0.95), 0);
    CHECK_INT(tick(l, &c, 0.95), 1); /* then small tiles' frames */
    CHECK_INT(load_get(l)->shed, LOAD_SHED_KEYFRAMES);
    CHECK_INT(tick(l, &c, 0.95), 0);
    CHECK_INT(tick(l, &c, 0.95), 0); /* nothing deeper to shed */
    CHECK_INT(load_get(l)->shed_events, 2);
    /* between half the budget and the budget: hold */
    for (int i = 0; i < 30; i++) {
        CHECK_INT(tick(l, &c, 0.6), 0);
    }
    /* well under for 10 s: one level back */
    for (int i = 1; i < 10; i++) {
        CHECK_INT(tick(l, &c, 0.2), 0);
    }
    CHECK_INT(tick(l, &c, 0.2), -1);
    CHECK_INT(load_get(l)->shed, LOAD_SHED_PREROLL);
    load_destroy(l);
}

/* A restore that does not hold: back over budget within 30 s of it, the
 * level is shed again and the next restore waits twice as long; ten calm
 * minutes later the wait starts over at 10 s. */
static void restore_that_does_not_hold(void)
{
    struct load *l = load_create(CORES);
    struct clock c = { 1000 * VT_S, 0 };
    tick(l, &c, 0.1);
    tick(l, &c, 0.95);
    CHECK_INT(tick(l, &c, 0.95), 1);
    CHECK_INT(load_get(l)->restore_after_s, 10);
    int restored = 0;
    for (int i = 0; i < 10 && !restored; i++) {
        restored = tick(l, &c, 0.2) == -1;
    }
    CHECK(restored);
    CHECK_INT(load_get(l)->shed, LOAD_SHED_NONE);
    /* 5 s later it is over budget again */
    for (int i = 0; i < 3; i++) {
        tick(l, &c, 0.5);
    }
    tick(l, &c, 0.95);
    CHECK_INT(tick(l, &c, 0.95), 1);
    CHECK_INT(load_get(l)->restore_after_s, 20);
    /* now it takes 20 s under half the budget */
    int at = 0;
    for (int i = 1; i <= 25 && !at; i++) {
        at = tick(l, &c, 0.2) == -1 ? i : 0;
    }
    CHECK_INT(at, 20);
    /* calm for over 10 minutes: the wait starts over */
    for (int i = 0; i < 601; i++) {
        tick(l, &c, 0.2);
    }
    CHECK_INT(load_get(l)->restore_after_s, 10);
    load_destroy(l);
}

/* The render thread and the whole process count as well. */
static void render_or_process_over(void)
{
    struct load *l = load_create(CORES);
    struct load_sample s = { .mono_ns = VT_S };
    load_step(l, &s, 0.85);
    for (int i = 2; i <= 3; i++) {
        s.mono_ns = i * VT_S;
        s.wall_ms = i * 1000;
        s.render_ns += (uint64_t)(0.9 * VT_S); /* one thread, 90% */
        s.cpu_us += 400000;                     /* 20% of 2 cores */
        int step = load_step(l, &s, 0.85);
        CHECK_INT(step, i == 3 ? 1 : 0);
    }
    CHECK(load_get(l)->render > 0.89 && load_get(l)->render < 0.91);
    CHECK(load_get(l)->process > 0.19 && load_get(l)->process < 0.21);
    load_destroy(l);
}

int main(void)
{
    RUN(measure);
    RUN(shed_and_restore);
    RUN(restore_that_does_not_hold);
    RUN(render_or_process_over);
    return test_done();
}
