/* Load shedding on a fake clock: one sample a second, with the share of
 * the cores spent decoding made up; shedding goes a level deeper after
 * 2 s over budget, comes back after restore_after seconds well under it,
 * and a restore that does not hold doubles the wait before the next. */
#include "core/load.h"
#include "source/cadence.h"
#include "source/lag.h"
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

/* Cameras behind real time shed even with the shares under budget
 * (another process has the cores), and nothing is restored while any
 * camera is still behind. */
static void behind_real_time(void)
{
    struct load *l = load_create(CORES);
    struct load_sample s = { .mono_ns = VT_S, .behind = 0 };
    load_step(l, &s, 0.85);
    int steps[5];
    for (int i = 0; i < 5; i++) {
        s.mono_ns += VT_S;
        s.wall_ms += 1000;
        s.decode_ns += (uint64_t)(0.3 * CORES * VT_S);
        s.behind = 3;
        steps[i] = load_step(l, &s, 0.85);
    }
    CHECK_INT(steps[0], 0);
    CHECK_INT(steps[1], 1);
    CHECK_INT(steps[3], 1);
    CHECK_INT(load_get(l)->shed, LOAD_SHED_KEYFRAMES);
    CHECK_INT(load_get(l)->behind, 3);
    /* idle, but one camera still behind: held */
    for (int i = 0; i < 30; i++) {
        s.mono_ns += VT_S;
        s.wall_ms += 1000;
        s.behind = 1;
        CHECK_INT(load_step(l, &s, 0.85), 0);
    }
    /* caught up: restored after the wait */
    int at = 0;
    for (int i = 1; i <= 12 && !at; i++) {
        s.mono_ns += VT_S;
        s.wall_ms += 1000;
        s.behind = 0;
        at = load_step(l, &s, 0.85) == -1 ? i : 0;
    }
    CHECK_INT(at, 10);
    load_destroy(l);
}

/* The lag of a stream's reading, on a fake clock: a camera at 15 fps. */
static void lag_clock(void)
{
    struct lag_clock c = { 0 };
    const int64_t frame = VT_S / 15;
    int64_t t = 5000 * VT_S, pts = 77 * VT_S;
    CHECK_INT(lag_clock_update(&c, t, pts), 0);
    /* on time, with up to 200 ms of jitter: the lag is the jitter */
    int64_t worst = 0;
    for (int i = 1; i <= 150; i++) {
        int64_t jitter = (i * 37 % 11) * 20 * VT_MS; /* 0-200 ms */
        int64_t lag = lag_clock_update(&c, t + i * frame + jitter,
                                       pts + i * frame);
        worst = lag > worst ? lag : worst;
    }
    CHECK(worst <= 200 * VT_MS && worst >= 180 * VT_MS);
    /* a packet earlier than any before sets the pace: lag 0 from it */
    t += 150 * frame;
    pts += 150 * frame;
    CHECK_INT(lag_clock_update(&c, t - 10 * VT_MS, pts), 0);
    CHECK_INT(lag_clock_update(&c, t + frame - 10 * VT_MS, pts + frame), 0);
    /* read at 60% of the camera's rate: the lag grows by 2/3 of a second
     * for every second of video, 2.67 s after 60 pictures; the lag held
     * through the last whole second is over a second too */
    int64_t lag = 0, at = 0;
    for (int i = 2; i <= 60; i++) {
        at = t - 10 * VT_MS + i * frame * 10 / 6;
        lag = lag_clock_update(&c, at, pts + i * frame);
    }
    CHECK(lag > 2 * LOAD_BEHIND_NS && lag < 3 * LOAD_BEHIND_NS);
    CHECK(lag_clock_held(&c) > LOAD_BEHIND_NS && lag_clock_held(&c) < lag);
    /* the backlog (44 pictures) read 5 ms apart, then on time again: the
     * lag falls packet by packet, and none is held once a whole second
     * was on time */
    int64_t on = 0;
    for (int i = 61; i <= 140; i++) {
        at += i <= 104 ? 5 * VT_MS : frame;
        on = lag_clock_update(&c, at, pts + i * frame);
    }
    CHECK(on < 100 * VT_MS);
    CHECK(lag_clock_held(&c) < 100 * VT_MS);
    /* a reader starved of the CPU, a packet every 1.2 s: late, not a jump */
    t = at;
    pts += 140 * frame;
    for (int i = 1; i <= 4; i++) {
        lag = lag_clock_update(&c, t + i * 1200 * VT_MS, pts + i * frame);
    }
    CHECK(lag > 4 * LOAD_BEHIND_NS);
    CHECK(lag_clock_held(&c) > 3 * LOAD_BEHIND_NS);
    /* the camera's clock jumps back a minute: the clock starts over */
    t += 5 * VT_S;
    CHECK_INT(lag_clock_update(&c, t, pts - 60 * VT_S), 0);
    CHECK_INT(lag_clock_update(&c, t + frame, pts - 60 * VT_S + frame), 0);
    CHECK_INT(lag_clock_held(&c), 0);
    /* and forward a minute */
    CHECK_INT(lag_clock_update(&c, t + 2 * frame, pts + 2 * frame), 0);
    CHECK_INT(lag_clock_held(&c), 0);
}

/* What is not falling behind: a camera clock 100 ppm slower than ours for
 * three hours, and a network pause of 1.5 s with its burst after. */
static void lag_clock_drift_and_pauses(void)
{
    struct lag_clock c = { 0 };
    int64_t t = 5000 * VT_S, pts = 0, lag = 0;
    for (int i = 0; i <= 3 * 3600; i++) {
        lag = lag_clock_update(&c, t + i * (VT_S + 100000),
                               pts + i * VT_S);
    }
    CHECK(lag < 10 * VT_MS);
    struct lag_clock p = { 0 };
    const int64_t frame = VT_S / 15;
    for (int i = 0; i < 30; i++) {
        lag_clock_update(&p, t + i * frame, pts + i * frame);
    }
    /* nothing for 1.5 s, then the 22 pictures held back within 50 ms: the
     * first is late, the burst ends on time, and no lag is held */
    int64_t back = t + 30 * frame + 1500 * VT_MS, first = 0, last = 0;
    for (int i = 0; i < 23; i++) {
        last = lag_clock_update(&p, back + i * 2 * VT_MS,
                                pts + (30 + i) * frame);
        first = i ? first : last;
    }
    CHECK(first > LOAD_BEHIND_NS);
    CHECK(last < 100 * VT_MS);
    for (int i = 1; i <= 30; i++) {
        lag_clock_update(&p, back + 44 * VT_MS + i * frame,
                         pts + (52 + i) * frame);
        CHECK(lag_clock_held(&p) < 100 * VT_MS);
    }
}

/* Pre-rolling pictures held back, not converted, until the last margin
 * and frame before the camera shows; on a fake clock at 15 fps. */
static void preroll_hold(void)
{
    const int64_t frame = VT_S / 15, t = 9000 * VT_S, show = t + VT_S;
    /* 700 ms ahead: the next picture still comes before the margin */
    CHECK(preroll_holds(t + 300 * VT_MS, show, frame));
    /* the last picture before the margin's frame is handed on, and every
     * one after it: one is there when the camera shows */
    CHECK(preroll_holds(show - CADENCE_MARGIN_NS - frame - 1, show, frame));
    CHECK(!preroll_holds(show - CADENCE_MARGIN_NS - frame, show, frame));
    CHECK(!preroll_holds(show - CADENCE_MARGIN_NS / 2, show, frame));
    CHECK(!preroll_holds(show + frame, show, frame));
    /* shown now: never */
    CHECK(!preroll_holds(t, 0, frame));
    /* an unknown frame rate: the margin alone */
    CHECK(preroll_holds(show - CADENCE_MARGIN_NS - 1, show, 0));
    CHECK(!preroll_holds(show - CADENCE_MARGIN_NS, show, 0));
    /* a picture every 2 s: held only when the next comes in time */
    CHECK(!preroll_holds(t, show, 2 * VT_S));
    CHECK(preroll_holds(t - 2 * VT_S, show, 2 * VT_S));
    /* a nonsense frame rate counts as unknown */
    CHECK(preroll_holds(show - CADENCE_MARGIN_NS - 1, show, -frame));
}

/* Pre-rolling from the next keyframe, on a fake clock: 15 fps, a keyframe
 * a second, the camera shown 1 s after it is turned on. */
static void key_cadence(void)
{
    struct key_cadence c = { 0 };
    const int64_t frame = VT_S / 15, pts = 40 * VT_S, t = 9000 * VT_S;
    int64_t show = t + VT_S;
    /* the first GOP: no cadence yet, so it catches up at once */
    key_cadence_update(&c, true, pts - 2 * VT_S, 0);
    CHECK(!key_cadence_waits(&c, false, pts - VT_S / 2, t, show));
    key_cadence_update(&c, false, pts - VT_S / 2, 0);
    /* the next keyframe is due at pts: 300 ms ahead of the packet read,
     * 700 ms before the camera shows: it waits, up to the keyframe */
    key_cadence_update(&c, true, pts - VT_S, 0);
    CHECK_INT(c.every_ns, VT_S);
    CHECK(key_cadence_waits(&c, false, pts - 300 * VT_MS, t, show));
    CHECK(key_cadence_waits(&c, false, pts - frame, t + 233 * VT_MS, show));
    CHECK(!key_cadence_waits(&c, true, pts, t + 300 * VT_MS, show));
    /* due within the margin before it shows: catch up now */
    CHECK(!key_cadence_waits(&c, false, pts - 300 * VT_MS, t + 600 * VT_MS,
                             show));
    /* a keyframe that came 600 ms late is expected as late: then due
     * within the margin, so it catches up at once */
    struct key_cadence slow = c;
    slow.lag_ns = 600 * VT_MS;
    CHECK(!key_cadence_waits(&slow, false, pts - 300 * VT_MS, t, show));
    slow.lag_ns = 400 * VT_MS;
    CHECK(key_cadence_waits(&slow, false, pts - 300 * VT_MS, t, show));
    /* late past its time (an irregular GOP): catch up */
    CHECK(!key_cadence_waits(&c, false, pts + frame, t + 400 * VT_MS,
                             show));
    /* shown now, or showing within the margin: never waits */
    CHECK(!key_cadence_waits(&c, false, pts - 300 * VT_MS, t, 0));
    CHECK(!key_cadence_waits(&c, false, pts - 900 * VT_MS, t,
                             t + CADENCE_MARGIN_NS));
    /* no media time, or a GOP of a minute: no cadence to go by */
    CHECK(!key_cadence_waits(&c, false, INT64_MIN, t, show));
    key_cadence_update(&c, true, pts + 60 * VT_S, 0);
    CHECK(!key_cadence_waits(&c, false, pts + 60 * VT_S + frame, t, show));
    /* the clock stepping back: a negative cadence, ignored */
    key_cadence_update(&c, true, pts, 0);
    CHECK(!key_cadence_waits(&c, false, pts + frame, t, show));
}

int main(void)
{
    RUN(measure);
    RUN(shed_and_restore);
    RUN(restore_that_does_not_hold);
    RUN(render_or_process_over);
    RUN(behind_real_time);
    RUN(lag_clock);
    RUN(lag_clock_drift_and_pauses);
    RUN(key_cadence);
    RUN(preroll_hold);
    return test_done();
}
