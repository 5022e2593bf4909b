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
 * What counts is the lag held: the smallest of the packets read in the
 * last whole second. A burst after a network pause starts late and ends
 * on time, so it holds no lag; a reader that cannot keep up reads every
 * packet late.
 *
 * Pure (the time and the packet's media time are passed in), so it is
 * tested on a fake clock. Thread: a camera's worker.
 */
#ifndef VIGIL_SOURCE_LAG_H
#define VIGIL_SOURCE_LAG_H

#include <stdbool.h>
#include <stdint.h>

/* A media time that steps back by more than this from one packet to the
 * next, or on by more than this beyond the time between their reads, is
 * the camera's clock stepping: the baseline starts over. A packet read
 * over a second after the one before (a network pause, or a reader
 * starved that long) is not a jump: it is late. */
#define LAG_JUMP_NS (1000 * INT64_C(1000000))

struct lag_clock {
    bool set;
    int64_t pts_ns, read_ns;          /* the last packet's */
    int64_t base_ns, base_before_ns;  /* smallest offset: this period, the
                                       * one before */
    int64_t period_ns;                /* when this period began */
    /* the smallest lag of the packets read in this second so far
     * (INT64_MAX: none yet), and the one held through the last */
    int64_t window_ns, low_ns, held_ns;
};

/* A packet with media time pts_ns (any origin) read at now_ns; returns
 * its lag (>= 0). */
int64_t lag_clock_update(struct lag_clock *c, int64_t now_ns, int64_t pts_ns);

/* The lag held through the last whole second with packets: the smallest
 * of its packets'. */
int64_t lag_clock_held(const struct lag_clock *c);

#endif
