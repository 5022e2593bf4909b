/*
 * libavcodec wrapper: one decoder per camera stream, one thread each
 * (parallelism comes from decoding many streams at once; frame threads add
 * latency and memory per stream). Output frames are refcounted AVFrames in
 * a format the consumer takes as it is (struct frame_caps: the renderer
 * states which); other formats (MJPEG's full-range 4:2:2, for instance)
 * are converted, and for a consumer that does not scale, pictures are
 * scaled to the size they are shown at (decode/scale.h: libyuv or
 * swscale).
 *
 * Thread-safety: a decoder is used by one thread at a time (its camera's
 * worker).
 */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

#include <stdbool.h>

#include "frame/caps.h"
#include "layout/layout.h"

struct AVCodecParameters;
struct AVPacket;
struct AVFrame;
struct vlog;
struct decoder;

/* An FFmpeg error (AVERROR) in Vigil's convention: AVERROR(e) stays -e;
 * end of stream is VIGIL_EEOF, HTTP 401 VIGIL_EAUTH, 403 -EACCES, 404
 * -ENOENT, no decoder -ENOSYS, anything else VIGIL_ESTREAM. Non-negative
 * values pass unchanged. The FFmpeg boundary (decode, source) converts
 * with this; nothing above it sees an AVERROR. */
int decode_error_from_av(int err);

/* Hardware decoding wanted: 0 none, 1 auto (CUDA, then VAAPI), 2 VAAPI,
 * 3 CUDA (the order of enum cfg_hwaccel's NONE, AUTO... is mapped by the
 * caller). Without a usable device the decoder falls back to software and
 * says so in decoder_hwaccel(). */
enum decoder_hw { DECODER_HW_NONE, DECODER_HW_AUTO, DECODER_HW_VAAPI,
                  DECODER_HW_CUDA };

/* Returns 0 and *out, or a negative error code (-errno, or VIGIL_ESTREAM
 * for what FFmpeg reports without an errno). threads > 1: frame threads
 * (for one large picture; each adds a frame of latency and a frame of
 * memory). caps: what the consumer takes (copied). */
int decoder_create(struct decoder **out, const struct AVCodecParameters *par,
                   enum decoder_hw hw, int threads,
                   const struct frame_caps *caps, struct vlog *log);

/* "cuda", "vaapi" or "none": what actually decodes. */
const char *decoder_hwaccel(const struct decoder *d);
void decoder_destroy(struct decoder *d);

/* Feed one packet (NULL to drain). Returns 0 or a negative error code; a
 * corrupt packet is not an error (counted, skipped). */
int decoder_send(struct decoder *d, const struct AVPacket *pkt);

/* Get the next decoded frame: 0 and *out set (caller owns it), -EAGAIN when
 * the decoder needs more input, VIGIL_EEOF when drained, or a negative
 * error code. */
int decoder_receive(struct decoder *d, struct AVFrame **out);
/* decoder_receive in two steps, for a caller that throws most pictures
 * away (a GOP catch-up shows only its newest): the picture as the decoder
 * made it (a hardware surface, any format or size), and the transfer,
 * conversion and scaling that decoder_receive would have done, replacing
 * *f (freed, and NULL, on an error). */
int decoder_receive_raw(struct decoder *d, struct AVFrame **out);
int decoder_finish(struct decoder *d, struct AVFrame **f);

/* Skip H.264/HEVC deblocking (about a fifth of the decode cost; the
 * blocking barely shows in a small tile). Takes effect with the next
 * packet. */
void decoder_set_skip(struct decoder *d, int skip_loop_filter);

/* The tile the pictures are shown in, w x h pixels (0, 0: unknown), and
 * how they are fitted into it. For a consumer that does not scale, each
 * picture is scaled (decode/scale.h, on the calling worker thread) to
 * the size it will have in the tile's box (the tile less caps.inset), up
 * or down, unless within 1% of it (layout_near_size), or to an exact
 * three quarters, half, three eighths or quarter of the picture that the
 * box shows as it is (a pixel or two cut off its edges): bilinear
 * (averaged at an exact fraction), or with `nearest` the nearest
 * neighbour (about half the cost, and blocky). */
void decoder_set_box(struct decoder *d, int w, int h, enum layout_fit fit,
                     bool nearest);

/* The stream's picture size (before any scaling down). */
void decoder_size(const struct decoder *d, int *w, int *h);

/* Forget buffered state (the next packet will be a keyframe). */
void decoder_flush(struct decoder *d);

/* Packets the decoder rejected as corrupt, and pictures it had to conceal
 * errors in. */
unsigned long decoder_errors(const struct decoder *d);

#endif
