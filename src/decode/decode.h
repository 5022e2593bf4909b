/*
 * libavcodec wrapper: one decoder per camera stream, one thread each
 * (parallelism comes from decoding many streams at once; frame threads add
 * latency and memory per stream). Output frames are refcounted AVFrames in
 * a 4:2:0 format the renderer uploads directly (limited-range YUV420P, or
 * NV12 as GPUs and some sources give it); other formats (MJPEG's full-range
 * 4:2:2, for instance) are converted with swscale.
 *
 * Thread-safety: a decoder is used by one thread at a time (its camera's
 * worker).
 */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

struct AVCodecParameters;
struct AVPacket;
struct AVFrame;
struct vlog;
struct decoder;

/* Hardware decoding wanted: 0 none, 1 auto (CUDA, then VAAPI), 2 VAAPI,
 * 3 CUDA (the order of enum cfg_hwaccel's NONE, AUTO... is mapped by the
 * caller). Without a usable device the decoder falls back to software and
 * says so in decoder_hwaccel(). */
enum decoder_hw { DECODER_HW_NONE, DECODER_HW_AUTO, DECODER_HW_VAAPI,
                  DECODER_HW_CUDA };

/* Returns 0 and *out, or a negative AVERROR-converted error code.
 * threads > 1: frame threads (for one large picture; each adds a frame of
 * latency and a frame of memory). */
int decoder_create(struct decoder **out, const struct AVCodecParameters *par,
                   enum decoder_hw hw, int threads, struct vlog *log);

/* "cuda", "vaapi" or "none": what actually decodes. */
const char *decoder_hwaccel(const struct decoder *d);
void decoder_destroy(struct decoder *d);

/* Feed one packet (NULL to drain). Returns 0 or a negative error; a corrupt
 * packet is not an error (counted, skipped). */
int decoder_send(struct decoder *d, const struct AVPacket *pkt);

/* Get the next decoded frame: 0 and *out set (caller owns it), -EAGAIN when
 * the decoder needs more input, or a negative error. */
int decoder_receive(struct decoder *d, struct AVFrame **out);

/* Skip H.264/HEVC deblocking (about a fifth of the decode cost; the
 * blocking barely shows in a small tile). Takes effect with the next
 * packet. */
void decoder_set_skip(struct decoder *d, int skip_loop_filter);

/* Scale pictures down (swscale, on the calling worker thread) to w x h
 * when that is clearly smaller (0, 0: full size): for renderers that scale
 * in software, which then copy the picture 1:1. */
void decoder_set_max_size(struct decoder *d, int w, int h);

/* The stream's picture size (before any scaling down). */
void decoder_size(const struct decoder *d, int *w, int *h);

/* Forget buffered state (the next packet will be a keyframe). */
void decoder_flush(struct decoder *d);

/* Packets the decoder rejected as corrupt, and pictures it had to conceal
 * errors in. */
unsigned long decoder_errors(const struct decoder *d);

#endif
