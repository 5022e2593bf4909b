/*
 * How far a stream's reading lags behind real time. A camera sends at its
 * own pace; a packet read later than that pace says the reader (the decode
 * behind it) is falling behind. The lag of a packet is how much later it
 * is read than the earliest-read packet's pace predicts: jitter keeps it
 * within a few hundred milliseconds, a reader that cannot keep up makes it
 * grow until the server's buffers are full.
 *
 * Pure (the time and the packet's media time are passed in), so it is
 * tested on a fake clock. Thread: a camera's worker.
 */
#ifndef VIGIL_SOURCE_LAG_H
#define VIGIL_SOURCE_LAG_H

#include <stdbool.h>
#include <stdint.h>

/* A lag that jumps by more than this from one packet to the next is a
 * timestamp jump (a camera's clock reset), not a reader falling behind:
 * the clock starts over. */
#define LAG_JUMP_NS (5 * INT64_C(1000000000))

struct lag_clock {
    bool set;
    int64_t origin_ns;  /* when media time origin_pts would be read */
    int64_t origin_pts;
    int64_t lag_ns;     /* the last packet's */
    /* the worst over the second so far and the one before: a lag comes
     * and goes with each burst of packets, the worst of them stays */
    int64_t window_ns, worst_ns, worst_before_ns;
};

/* A packet with media time pts_ns (any origin) read at now_ns; returns
 * its lag (>= 0). */
int64_t lag_clock_update(struct lag_clock *c, int64_t now_ns, int64_t pts_ns);

/* The worst lag of the packets read in the last 1-2 s. */
int64_t lag_clock_worst(const struct lag_clock *c);

#endif
