#include <errno.h>

#include <libavutil/buffer.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
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

/* The fractions libyuv reaches by averages, as numerator and denominator
 * of each side, largest first: three quarters (its 4-to-3 kernel, which
 * blends each pair of neighbours), a half and a quarter (its 2x2 and 4x4
 * boxes), and three eighths, taken as a half and then three quarters of
 * that. In a 4x4 tile of 1080p (480x270), three quarters is a 360p camera
 * and three eighths a 720p one: 8.7 and 3.4 times cheaper than bilinear
 * to the box (vigil-scalers, bench/RESULTS.md), as close to a Lanczos
 * reference as swscale's area filter; libyuv's own 3/8 kernel (3x3
 * boxes with a 2-wide one between) costs twice the two passes and puts
 * fine detail out of phase. Each side a whole multiple of twice the
 * denominator, so the chroma planes scale by the same fraction exactly. */
static const struct {
    int num, den;
} exact_fractions[DECODE_EXACT_SIZES] = { { 3, 4 }, { 1, 2 }, { 3, 8 }, { 1, 4 } };

int decode_scale_exact_sizes(const AVFrame *src, int w[], int h[])
{
    int n = 0;
    if (!decode_scale_by_libyuv(src)) {
        return 0;
    }
    for (int i = 0; i < DECODE_EXACT_SIZES; i++) {
        int num = exact_fractions[i].num, den = exact_fractions[i].den;
        if (src->width % (2 * den) == 0 && src->height % (2 * den) == 0) {
            w[n] = src->width / den * num;
            h[n] = src->height / den * num;
            n++;
        }
    }
    return n;
}

/* Bilinear, but an exact fraction by averaging every source pixel
 * (libyuv's box kernels: its bilinear takes a half and three quarters by
 * the same kernels, but a quarter by interpolating, which skips rows and
 * columns; asking for the box at all of them says what is meant).
 * Against bilinear to the tile's box (vigil-scalers, bench/RESULTS.md):
 * 3-19 times cheaper, much closer to a Lanczos reference on grain, and
 * on fine detail about as close at a half and three quarters, closer at a
 * quarter, less close at three eighths (as close as swscale's own
 * bilinear there). */
static enum FilterMode libyuv_filter(const AVFrame *src, const AVFrame *dst,
                                     bool nearest)
{
    if (nearest) {
        return kFilterNone;
    }
    int w[DECODE_EXACT_SIZES], h[DECODE_EXACT_SIZES];
    int n = decode_scale_exact_sizes(src, w, h);
    for (int i = 0; i < n; i++) {
        if (dst->width == w[i] && dst->height == h[i]) {
            return kFilterBox;
        }
    }
    return kFilterBilinear;
}

void decode_scale_size(const AVFrame *f, int bw, int bh, enum layout_fit fit,
                       int *w, int *h)
{
    *w = f->width;
    *h = f->height;
    if (bw <= 0 || bh <= 0 || f->width <= 0 || f->height <= 0) {
        return;
    }
    struct layout_rect box = { 0, 0, bw, bh };
    /* Within a percent (a full-screen picture in its bordered tile) the
     * renderer centres the picture as it is: sharper, and no pass at
     * all. */
    if (layout_shown_as_is(fit, f->width, f->height, box)) {
        return;
    }
    /* An exact fraction shown as it is (640x360 halved in a 6x6 grid's
     * 318x178 box; 640x360 to three quarters, 1280x720 to three eighths
     * and 1920x1080 quartered in a 4x4 one's 478x268): averaged instead of
     * interpolated, several times cheaper, and the renderer cuts a pixel
     * or two off its edges. */
    int ew[DECODE_EXACT_SIZES], eh[DECODE_EXACT_SIZES];
    int n = decode_scale_exact_sizes(f, ew, eh);
    for (int i = 0; i < n; i++) {
        if (layout_shown_as_is(fit, ew[i], eh[i], box)) {
            *w = ew[i];
            *h = eh[i];
            return;
        }
    }
    struct layout_rect dst, crop;
    layout_fit_rect(fit, f->width, f->height, box, &dst, &crop);
    if (crop.w <= 0 || crop.h <= 0) {
        return;
    }
    /* The whole picture at the scale its shown part is drawn at, up or
     * down: the renderer's own pass is then a plain conversion (a scaled
     * conversion to RGB costs it 2-5 times as much). */
    int sw = (int)((int64_t)f->width * dst.w / crop.w) & ~1;
    int sh = (int)((int64_t)f->height * dst.h / crop.h) & ~1;
    if (sw > 0 && sh > 0) {
        /* Not a multiple of 16 wide for swscale (FFmpeg 5.1): it then
         * takes its AVX2 horizontal scaler, 2-3 times slower than its SSE
         * one on the bench machine (1280x720 to 480 wide: 1.0 ms, to
         * 478: 0.35; bench/RESULTS.md). Two pixels narrower, the renderer
         * centres it. libyuv has no such case. */
        *w = sw % 16 || decode_scale_by_libyuv(f) ? sw : sw - 2;
        *h = sh;
    }
}

static int libyuv_scale(const uint8_t *const sd[3], const int sl[3], int sw,
                        int sh, uint8_t *const dd[3], const int dl[3], int dw,
                        int dh, enum FilterMode filter)
{
    int ret = I420Scale(sd[0], sl[0], sd[1], sl[1], sd[2], sl[2], sw, sh,
                        dd[0], dl[0], dd[1], dl[1], dd[2], dl[2], dw, dh,
                        filter);
    return ret == 0 ? 0 : -EINVAL;
}

/* Three eighths of src, averaged: its half into the scaler's scratch
 * picture, then three quarters of that (see exact_fractions). */
static int run_three_eighths(struct decode_scaler *s, const AVFrame *src,
                             AVFrame *dst)
{
    int hw = src->width / 2, hh = src->height / 2;
    int hl[3];
    size_t off[3];
    size_t size = layout_planes(hw, hh, hl, off);
    if (s->half_size != size) {
        av_freep(&s->half);
        s->half = av_malloc(size);
        s->half_size = s->half ? size : 0;
        if (!s->half) {
            return -ENOMEM;
        }
    }
    uint8_t *hd[3] = { s->half + off[0], s->half + off[1], s->half + off[2] };
    int ret = libyuv_scale((const uint8_t *const *)src->data, src->linesize,
                           src->width, src->height, hd, hl, hw, hh,
                           kFilterBox);
    if (ret == 0) {
        ret = libyuv_scale((const uint8_t *const *)hd, hl, hw, hh, dst->data,
                           dst->linesize, dst->width, dst->height,
                           kFilterBox);
    }
    return ret;
}

static int run_libyuv(struct decode_scaler *s, const AVFrame *src,
                      AVFrame *dst, bool nearest)
{
    enum FilterMode filter = libyuv_filter(src, dst, nearest);
    if (filter == kFilterBox && 8 * dst->width == 3 * src->width) {
        return run_three_eighths(s, src, dst);
    }
    return libyuv_scale((const uint8_t *const *)src->data, src->linesize,
                        src->width, src->height, dst->data, dst->linesize,
                        dst->width, dst->height, filter);
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
    /* the source's matrix, said or implied by its size, not the size it
     * is scaled to (the scalers keep the matrix: levels only change) */
    dst->colorspace = frame_colour_space(src);
    bool scaled = w != src->width || h != src->height;
    ret = scaled && decode_scale_by_libyuv(src)
              ? run_libyuv(s, src, dst, nearest)
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
    av_freep(&s->half);
    s->half_size = 0;
    av_buffer_pool_uninit(&s->pool);
}
