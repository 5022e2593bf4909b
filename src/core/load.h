/*
 * Load: once a second, the share of all cores spent decoding, of the one
 * render thread spent composing, and of all cores used by the process;
 * and what to shed for it. Pure: the counters and the time are passed in,
 * so the rules are tested on a fake clock.
 *
 * Rules: any share above the budget, or any camera decoded behind real
 * time (its packets read over LOAD_BEHIND_NS later than the camera's
 * pace: the CPU shares can be under budget while other processes take
 * the machine), for 2 s in a row sheds one level more
 * (pre-roll first, then small tiles to keyframes only); all under half
 * the budget for restore_after seconds restores one level. restore_after
 * starts at 10 s and doubles (to at most 320 s) whenever the load comes
 * back over budget within 30 s of a restore (what was shed is still
 * needed); after 10 calm minutes it starts over.
 *
 * Thread: the loop thread (or a test).
 */
#ifndef VIGIL_CORE_LOAD_H
#define VIGIL_CORE_LOAD_H

#include <stdint.h>

/* A camera whose reading lags more than this is behind real time. */
#define LOAD_BEHIND_NS (1000 * INT64_C(1000000))

/* What is shed, least important first. */
enum load_shed {
    LOAD_SHED_NONE,
    LOAD_SHED_PREROLL,   /* the next page is not decoded before it shows */
    LOAD_SHED_KEYFRAMES, /* tiles up to half a screen high: keyframes only */
};

/* Counters since start, read once a second. */
struct load_sample {
    int64_t mono_ns;     /* when they were read */
    int64_t wall_ms;
    uint64_t decode_ns;  /* time spent decoding, all cameras */
    uint64_t render_ns;  /* time spent composing, all screens */
    uint64_t cpu_us;     /* the process's CPU time */
    int behind;          /* cameras decoded behind real time now */
};

struct load_state {
    double decode, render, process; /* shares over the last interval */
    int behind;                     /* cameras behind real time */
    enum load_shed shed;
    int64_t shed_since_ms;          /* when shed last changed (wall) */
    uint64_t shed_events;           /* times shedding went deeper */
    int restore_after_s;
};

struct load;

struct load *load_create(int n_cores);
/* Accepts NULL. */
void load_destroy(struct load *l);

/* Take one sample (the first only sets the baseline). Returns +1 when
 * shedding went a level deeper, -1 when a level was restored, else 0. */
int load_step(struct load *l, const struct load_sample *s, double budget);

const struct load_state *load_get(const struct load *l);

/* "none", "preroll", "keyframes" */
const char *load_shed_name(enum load_shed s);

#endif
