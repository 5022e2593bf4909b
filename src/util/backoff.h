/*
 * Reconnect backoff: exponential with full jitter in [d/2, d], capped.
 * Pure: the random source is a caller-owned xorshift state, so tests are
 * deterministic and cameras do not share a sequence (no thundering herd).
 */
#ifndef VIGIL_UTIL_BACKOFF_H
#define VIGIL_UTIL_BACKOFF_H

#include <stdint.h>

struct backoff {
    int64_t initial_ns;
    int64_t max_ns;
    int64_t current_ns; /* next nominal delay; 0 = initial */
    uint64_t rng;       /* xorshift64 state; non-zero */
};

void backoff_init(struct backoff *b, int64_t initial_ns, int64_t max_ns,
                  uint64_t seed);
/* Delay to wait before the next attempt; doubles the nominal delay. */
int64_t backoff_next(struct backoff *b);
/* Call after a connection that worked: the next failure starts over. */
void backoff_reset(struct backoff *b);

/*
 * Reconnect pacing across cameras: attempts are spaced at least
 * interval_ns apart, so when many cameras fail together (a switch
 * reboots) they come back one after another instead of all hitting the
 * network, the cameras and the decoders at once. Pure; the caller
 * serialises calls.
 */
struct pacer {
    int64_t interval_ns;
    int64_t next_ns; /* the earliest free slot */
};

/* The time at or after want_ns at which this attempt may go; takes the
 * slot. Call when an attempt is due (want_ns = now), so that requests
 * come in time order. */
int64_t pacer_slot(struct pacer *p, int64_t want_ns);

#endif
