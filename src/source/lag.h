/*
 * How far a stream's reading lags behind real time. A camera sends at its
 * own pace; a packet read later than that pace says the reader (the decode
 * behind it) is falling behind. A packet's offset is when it was read less
 * its media time; its lag is its offset less the smallest offset of the
 * last 30-60 s (the packets read soonest after they were sent). Jitter
 * keeps the lag within a few hundred milliseconds; a reader that cannot
 * keep up makes it grow, packet by packet, until the server's buffers are
 * full. The baseline is forgotten after a minute, so a camera clock that
 * drifts from ours does not add up to a lag over hours.
 *
 * Pure (the time and the packet's media time are passed in), so it is
 * tested on a fake clock. Thread: a camera's worker.
 */
#ifndef VIGIL_SOURCE_LAG_H
#define VIGIL_SOURCE_LAG_H

#include <stdbool.h>
#include <stdint.h>

/* An offset that moves by more than this from one packet to the next is a
 * jump, not a reader falling behind (that comes a little at a time): a
 * camera's clock stepping, or the burst after a network pause. The
 * baseline starts over. */
#define LAG_JUMP_NS (1000 * INT64_C(1000000))

struct lag_clock {
    bool set;
    int64_t offset_ns;                /* the last packet's */
    int64_t base_ns, base_before_ns;  /* smallest offset: this period, the
                                       * one before */
    int64_t period_ns;                /* when this period began */
    /* the worst lag over the second so far and the one before: a lag
     * comes and goes with each burst of packets, the worst stays */
    int64_t window_ns, worst_ns, worst_before_ns;
};

/* A packet with media time pts_ns (any origin) read at now_ns; returns
 * its lag (>= 0). */
int64_t lag_clock_update(struct lag_clock *c, int64_t now_ns, int64_t pts_ns);

/* The worst lag of the packets read in the last 1-2 s. */
int64_t lag_clock_worst(const struct lag_clock *c);

#endif
