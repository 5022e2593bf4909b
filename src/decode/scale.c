#include <errno.h>

#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
#include <libyuv/scale.h>

#include "decode/decode.h"
#include "decode/scale.h"
#include "frame/caps.h"

/* Rows padded to whole 64 bytes: swscale's x86 code writes whole blocks
 * of pixels past the end of a row (libyuv writes exactly its width), and
 * those stay in the row's padding. 64 bytes more after each plane, so a
 * block that did not would still not reach the next plane. */
#define ROW_ALIGN 64
#define PLANE_SLACK 64

static int align_up(int v)
{
    return (v + ROW_ALIGN - 1) & ~(ROW_ALIGN - 1);
}

/* The linesizes and plane offsets of a w x h YUV420P picture in one pool
 * buffer; returns the buffer's size. */
static size_t layout_planes(int w, int h, int linesize[3], size_t off[3])
{
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    linesize[0] = align_up(w);
    linesize[1] = linesize[2] = align_up(cw);
    off[0] = 0;
    off[1] = off[0] + (size_t)linesize[0] * (size_t)h + PLANE_SLACK;
    off[2] = off[1] + (size_t)linesize[1] * (size_t)ch + PLANE_SLACK;
    return off[2] + (size_t)linesize[2] * (size_t)ch + PLANE_SLACK;
}

/* An unwritten w x h YUV420P picture from the pool (made again when the size
 * changed; buffers still out stay valid). */
static AVFrame *pool_picture(struct decode_scaler *s, int w, int h)
{
    int linesize[3];
    size_t off[3];
    size_t size = layout_planes(w, h, linesize, off);
    if (!s->pool || s->pool_w != w || s->pool_h != h) {
        av_buffer_pool_uninit(&s->pool);
        s->pool = av_buffer_pool_init(size, NULL);
        s->pool_w = w;
        s->pool_h = h;
    }
    AVFrame *f = s->pool ? av_frame_alloc() : NULL;
    if (!f) {
        return NULL;
    }
    f->buf[0] = av_buffer_pool_get(s->pool);
    if (!f->buf[0]) {
        av_frame_free(&f);
        return NULL;
    }
    for (int i = 0; i < 3; i++) {
        f->data[i] = f->buf[0]->data + off[i];
        f->linesize[i] = linesize[i];
    }
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    return f;
}

/* libyuv's scaler takes 8-bit 4:2:0 at video levels and scales it as it
 * is; anything else needs swscale's conversion. */
bool decode_scale_by_libyuv(const AVFrame *src)
{
    return src->format == AV_PIX_FMT_YUV420P && !frame_full_range(src);
}

static int run_libyuv(const AVFrame *src, AVFrame *dst, bool nearest)
{
    int ret = I420Scale(src->data[0], src->linesize[0], src->data[1],
                        src->linesize[1], src->data[2], src->linesize[2],
                        src->width, src->height, dst->data[0],
                        dst->linesize[0], dst->data[1], dst->linesize[1],
                        dst->data[2], dst->linesize[2], dst->width,
                        dst->height, nearest ? kFilterNone : kFilterBilinear);
    return ret == 0 ? 0 : -EINVAL;
}

static int run_swscale(struct decode_scaler *s, const AVFrame *src,
                       AVFrame *dst, bool nearest)
{
    bool same = dst->width == src->width && dst->height == src->height;
    /* scaling for a tile: swscale's fast bilinear, its cheapest filter
     * (what the scaler was for every format before libyuv) */
    s->sws = sws_getCachedContext(s->sws, src->width, src->height,
                                  src->format, dst->width, dst->height,
                                  AV_PIX_FMT_YUV420P,
                                  same      ? SWS_BILINEAR
                                  : nearest ? SWS_POINT
                                            : SWS_FAST_BILINEAR,
                                  NULL, NULL, NULL);
    if (!s->sws) {
        return -ENOMEM;
    }
    /* only the range changes: the same matrix in and out */
    const int *coefs = sws_getCoefficients(SWS_CS_ITU601);
    (void)sws_setColorspaceDetails(s->sws, coefs, frame_full_range(src),
                                   coefs, 0, 0, 1 << 16, 1 << 16);
    int ret = sws_scale(s->sws, (const uint8_t *const *)src->data,
                        src->linesize, 0, src->height, dst->data,
                        dst->linesize);
    return ret < 0 ? decode_error_from_av(ret) : 0;
}

int decode_scale(struct decode_scaler *s, const AVFrame *src, int w, int h,
                 bool nearest, AVFrame **out)
{
    *out = NULL;
    AVFrame *dst = pool_picture(s, w, h);
    if (!dst) {
        return -ENOMEM;
    }
    int ret = av_frame_copy_props(dst, src);
    if (ret < 0) {
        av_frame_free(&dst);
        return decode_error_from_av(ret);
    }
    dst->color_range = AVCOL_RANGE_MPEG;
    bool scaled = w != src->width || h != src->height;
    ret = scaled && decode_scale_by_libyuv(src)
              ? run_libyuv(src, dst, nearest)
              : run_swscale(s, src, dst, nearest);
    if (ret < 0) {
        av_frame_free(&dst);
        return ret;
    }
    *out = dst;
    return 0;
}

void decode_scaler_uninit(struct decode_scaler *s)
{
    sws_freeContext(s->sws);
    s->sws = NULL;
    av_buffer_pool_uninit(&s->pool);
}
