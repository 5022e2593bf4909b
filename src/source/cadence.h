/*
 * A stream's keyframe cadence, and pre-rolling from the next keyframe.
 *
 * A camera on the next page is turned on a pre-roll (1 s) before it
 * shows. Catching up on its GOP cache then and decoding on costs a GOP
 * and a half of pictures at a one-second GOP, of which a tenth are seen;
 * decoding from the last keyframe before it shows costs half a GOP. So
 * while the next keyframe, at the stream's cadence, comes at least
 * CADENCE_MARGIN_NS before the camera shows, its decoding waits for it
 * (its decoder is set up meanwhile). A keyframe late past its time, an
 * unknown cadence (the first GOP) or a GOP longer than what is left catch
 * up at once, as a camera shown does. A keyframe that does not come at
 * all (the stream stalls) is caught only by the next packet read, as for
 * a camera shown at once: until then the tile keeps its last picture and
 * the stall is the health watch's. Once it decodes, a camera that still
 * pre-rolls keeps only its newest picture, decoded but not converted or
 * scaled for its tile (preroll_holds), until the last pictures before it
 * shows.
 * Measured: bench/RESULTS.md, the patrol's advantage.
 *
 * Pure (times are passed in: media time of the packet, monotonic now), so
 * it is tested on a fake clock. Thread: a camera's worker.
 */
#ifndef VIGIL_SOURCE_CADENCE_H
#define VIGIL_SOURCE_CADENCE_H

#include <stdbool.h>
#include <stdint.h>

#define CADENCE_MARGIN_NS (150 * INT64_C(1000000))
#define CADENCE_MAX_NS (10 * INT64_C(1000000000)) /* longer: no cadence */

struct key_cadence {
    bool seen;
    int64_t pts_ns;   /* the last keyframe's media time */
    int64_t every_ns; /* and the media time since the one before (0) */
    int64_t lag_ns;   /* how late it was read (lag.h) */
};

/* A packet read: a keyframe (`key`) with media time t_ns (any origin;
 * INT64_MIN, AV_NOPTS_VALUE, for none), read lag_ns late (lag.h), sets
 * the cadence. A keyframe is large: it may come later than the pictures
 * around it, and the next one is expected as late as this one was (for a
 * hidden camera that includes its reader's naps, which errs late). */
void key_cadence_update(struct key_cadence *c, bool key, int64_t t_ns,
                        int64_t lag_ns);

/* Whether a camera that is on but not decoding yet waits for its next
 * keyframe at this packet (key, media time t_ns, read at now) rather than
 * catch up on its GOP cache, when it shows at show_at (0: shown now). */
bool key_cadence_waits(const struct key_cadence *c, bool key, int64_t t_ns,
                       int64_t now, int64_t show_at);

/* Whether a camera pre-rolling, which shows at show_at (0: shown now),
 * keeps the picture just decoded back, decoded but not yet converted or
 * scaled, rather than hand it on: while the next picture, frame_ns on
 * (the stream's frame interval; 0: unknown), still comes
 * CADENCE_MARGIN_NS or more before the camera shows. The pictures of
 * the last margin and frame before it shows are handed on as they come,
 * so that one is there when it shows, even a little late. */
bool preroll_holds(int64_t now, int64_t show_at, int64_t frame_ns);

#endif
