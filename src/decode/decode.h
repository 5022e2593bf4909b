/*
 * libavcodec wrapper: one decoder per camera stream, one thread each
 * (parallelism comes from decoding many streams at once; frame threads add
 * latency and memory per stream). Output frames are refcounted AVFrames in
 * a planar 4:2:0 format the renderer uploads directly (YUV420P/YUVJ420P);
 * other formats (MJPEG's 4:2:2, for instance) are converted with swscale.
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

/* Returns 0 and *out, or a negative AVERROR-converted error code. */
int decoder_create(struct decoder **out, const struct AVCodecParameters *par,
                   struct vlog *log);
void decoder_destroy(struct decoder *d);

/* Feed one packet (NULL to drain). Returns 0 or a negative error; a corrupt
 * packet is not an error (counted, skipped). */
int decoder_send(struct decoder *d, const struct AVPacket *pkt);

/* Get the next decoded frame: 0 and *out set (caller owns it), -EAGAIN when
 * the decoder needs more input, or a negative error. */
int decoder_receive(struct decoder *d, struct AVFrame **out);

/* Forget buffered state (the next packet will be a keyframe). */
void decoder_flush(struct decoder *d);

/* Packets the decoder rejected as corrupt. */
unsigned long decoder_errors(const struct decoder *d);

#endif
