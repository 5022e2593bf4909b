/*
 * Capture stamps: the wall-clock time (microseconds since the Unix epoch)
 * at which the sender stamped a picture, carried with the frame itself (in
 * its opaque_ref, so every reference to the frame keeps it) from the
 * camera's worker to the renderer. For RTSP it comes from the camera's
 * RTCP sender reports; frames without one carry none.
 */
#ifndef VIGIL_FRAME_STAMP_H
#define VIGIL_FRAME_STAMP_H

#include <stdint.h>

struct AVFrame;

/* Returns 0 or a negative error (out of memory: the frame is unstamped). */
int frame_stamp_set(struct AVFrame *f, int64_t capture_us);
/* The stamp, or 0 when the frame has none. */
int64_t frame_stamp_get(const struct AVFrame *f);

#endif
