/* Pictures scaled for a tile (src/decode/scale.c): 4:2:0 at video levels
 * through libyuv (bilinear, or the nearest neighbour; an exact three
 * quarters, half, three eighths or quarter averaged), other formats and
 * full-range pictures through swscale, all into limited-range YUV420P of
 * the size asked for, with the source's properties (its colour matrix
 * too, said or implied by its own size); the picture buffers
 * come back from a pool and stay valid after the scaler is gone. */
#include <stdlib.h>

#include <libavutil/frame.h>
#include <libyuv/scale.h>

#include "decode/scale.h"
#include "frame/caps.h"
#include "test.h"

/* A w x h picture of format fmt: its left half luma yl, its right half yr,
 * chroma u, v (the planes' subsampling from the format). */
static AVFrame *picture(int w, int h, enum AVPixelFormat fmt, int yl, int yr,
                        int u, int v)
{
    AVFrame *f = av_frame_alloc();
    f->width = w;
    f->height = h;
    f->format = fmt;
    f->pts = 1234;
    if (av_frame_get_buffer(f, 0) < 0) {
        abort();
    }
    int cw = fmt == AV_PIX_FMT_YUV444P ? w : (w + 1) / 2;
    int ch = fmt == AV_PIX_FMT_YUV420P || fmt == AV_PIX_FMT_YUVJ420P
                 ? (h + 1) / 2
                 : h;
    for (int r = 0; r < h; r++) {
        uint8_t *row = f->data[0] + (size_t)r * f->linesize[0];
        memset(row, yl, (size_t)w / 2);
        memset(row + w / 2, yr, (size_t)(w - w / 2));
    }
    for (int r = 0; r < ch; r++) {
        memset(f->data[1] + (size_t)r * f->linesize[1], u, (size_t)cw);
        memset(f->data[2] + (size_t)r * f->linesize[2], v, (size_t)cw);
    }
    return f;
}

static int luma(const AVFrame *f, int x, int y)
{
    return f->data[0][(size_t)y * f->linesize[0] + x];
}

static int chroma(const AVFrame *f, int p, int x, int y)
{
    return f->data[p][(size_t)(y / 2) * f->linesize[p] + x / 2];
}

/* The scaled picture: format, size, properties, and both halves' levels
 * at every pixel away from the edge between them (pool buffers are not
 * cleared: a pixel left unwritten would show). */
static void check_halves(const AVFrame *o, int w, int h, int yl, int yr,
                         int u, int v)
{
    CHECK(o != NULL);
    if (!o) {
        return;
    }
    CHECK_INT(o->format, AV_PIX_FMT_YUV420P);
    CHECK_INT(o->width, w);
    CHECK_INT(o->height, h);
    CHECK_INT(o->color_range, AVCOL_RANGE_MPEG);
    CHECK_INT(o->pts, 1234);
    CHECK(o->linesize[0] >= w && o->linesize[1] >= (w + 1) / 2);
    int bad = 0;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            int want = x < w / 2 - 3 ? yl : x > w / 2 + 3 ? yr : -1;
            bad += want >= 0 && abs(luma(o, x, y) - want) > 2;
            if (x % 2 == 0 && y % 2 == 0) {
                bad += abs(chroma(o, 1, x, y) - u) > 2;
                bad += abs(chroma(o, 2, x, y) - v) > 2;
            }
        }
    }
    CHECK_INT(bad, 0);
}

/* How many rows differ from what libyuv's own scaler makes of src with
 * filter. */
static int rows_unlike_libyuv(const AVFrame *src, const AVFrame *o,
                              enum FilterMode filter)
{
    uint8_t *p[3];
    int ls[3] = { o->width, (o->width + 1) / 2, (o->width + 1) / 2 };
    int ch = (o->height + 1) / 2;
    p[0] = malloc((size_t)ls[0] * o->height);
    p[1] = malloc((size_t)ls[1] * ch);
    p[2] = malloc((size_t)ls[2] * ch);
    CHECK_INT(I420Scale(src->data[0], src->linesize[0], src->data[1],
                        src->linesize[1], src->data[2], src->linesize[2],
                        src->width, src->height, p[0], ls[0], p[1], ls[1],
                        p[2], ls[2], o->width, o->height, filter),
              0);
    int differ = 0;
    for (int k = 0; k < 3; k++) {
        for (int y = 0; y < (k ? ch : o->height); y++) {
            differ += memcmp(p[k] + (size_t)y * ls[k],
                             o->data[k] + (size_t)y * o->linesize[k],
                             (size_t)ls[k]) != 0;
        }
        free(p[k]);
    }
    return differ;
}

/* Byte for byte what libyuv's own scaler makes of src (so the picture
 * did go through libyuv, with the filter asked for). */
static void check_libyuv(const AVFrame *src, const AVFrame *o, int nearest)
{
    CHECK_INT(rows_unlike_libyuv(src, o,
                                 nearest ? kFilterNone : kFilterBilinear),
              0);
}

static void scaled_by_libyuv(void)
{
    AVFrame *src = picture(1280, 720, AV_PIX_FMT_YUV420P, 16, 235, 90, 160);
    for (int nearest = 0; nearest < 2; nearest++) {
        struct decode_scaler s = { 0 };
        AVFrame *o = NULL;
        CHECK_INT(decode_scale(&s, src, 476, 268, nearest, &o), 0);
        check_halves(o, 476, 268, 16, 235, 90, 160);
        if (o) {
            check_libyuv(src, o, nearest);
        }
        /* odd sizes: every column and row written */
        AVFrame *odd = NULL;
        CHECK_INT(decode_scale(&s, src, 317, 179, nearest, &odd), 0);
        check_halves(odd, 317, 179, 16, 235, 90, 160);
        if (odd) {
            check_libyuv(src, odd, nearest);
        }
        av_frame_free(&odd);
        av_frame_free(&o);
        decode_scaler_uninit(&s);
    }
    av_frame_free(&src);
}

/* A half and a quarter are averaged (2x2, 4x4 boxes, rounded), in every
 * plane; where the sizes are not exact, none is offered (three eighths:
 * three_eighths()). */
static void exact_fractions(void)
{
    int w[DECODE_EXACT_SIZES], h[DECODE_EXACT_SIZES];
    AVFrame *src = picture(640, 360, AV_PIX_FMT_YUV420P, 16, 235, 90, 160);
    /* three quarters, a half, a quarter (three eighths of 360 lines are
     * not whole in the chroma) */
    CHECK_INT(decode_scale_exact_sizes(src, w, h), 3);
    CHECK_INT(w[0], 480);
    CHECK_INT(h[0], 270);
    CHECK_INT(w[1], 320);
    CHECK_INT(h[1], 180);
    CHECK_INT(w[2], 160);
    CHECK_INT(h[2], 90);
    /* a texture that tells an average from an interpolation */
    uint8_t *planes[3] = { src->data[0], src->data[1], src->data[2] };
    for (int k = 0; k < 3; k++) {
        int pw = k ? 320 : 640, ph = k ? 180 : 360;
        for (int y = 0; y < ph; y++) {
            for (int x = 0; x < pw; x++) {
                planes[k][(size_t)y * src->linesize[k] + x] =
                    (uint8_t)(16 + (x * 37 + y * 91 + k * 53) % 220);
            }
        }
    }
    struct decode_scaler s = { 0 };
    for (int i = 1; i < 3; i++) {
        int f = i == 2 ? 4 : 2;
        AVFrame *o = NULL;
        CHECK_INT(decode_scale(&s, src, w[i], h[i], false, &o), 0);
        if (!o) {
            continue;
        }
        int bad = 0;
        for (int k = 0; k < 3; k++) {
            int ow = k ? w[i] / 2 : w[i], oh = k ? h[i] / 2 : h[i];
            for (int y = 0; y < oh; y++) {
                for (int x = 0; x < ow; x++) {
                    int sum = 0;
                    for (int dy = 0; dy < f; dy++) {
                        for (int dx = 0; dx < f; dx++) {
                            sum += planes[k][(size_t)(y * f + dy) *
                                                 src->linesize[k] +
                                             x * f + dx];
                        }
                    }
                    int want = (sum + f * f / 2) / (f * f);
                    int got = o->data[k][(size_t)y * o->linesize[k] + x];
                    bad += abs(got - want) > 1;
                }
            }
        }
        CHECK_INT(bad, 0);
        /* libyuv's box, to the byte; at a quarter its bilinear would
         * differ (at a half it is the same 2x2 average) */
        CHECK_INT(rows_unlike_libyuv(src, o, kFilterBox), 0);
        if (f == 4) {
            CHECK(rows_unlike_libyuv(src, o, kFilterBilinear) > 0);
        }
        av_frame_free(&o);
    }
    decode_scaler_uninit(&s);
    av_frame_free(&src);
    /* 1920x1080: three quarters, a half and a quarter; 1280x722 has none
     * (its chroma's half is not whole); full range goes through swscale:
     * none */
    src = picture(1920, 1080, AV_PIX_FMT_YUV420P, 16, 235, 90, 160);
    CHECK_INT(decode_scale_exact_sizes(src, w, h), 3);
    CHECK_INT(w[0], 1440);
    CHECK_INT(w[2], 480);
    CHECK_INT(h[2], 270);
    av_frame_free(&src);
    src = picture(1280, 722, AV_PIX_FMT_YUV420P, 16, 235, 90, 160);
    CHECK_INT(decode_scale_exact_sizes(src, w, h), 0);
    av_frame_free(&src);
    src = picture(640, 360, AV_PIX_FMT_YUVJ420P, 16, 235, 90, 160);
    CHECK_INT(decode_scale_exact_sizes(src, w, h), 0);
    av_frame_free(&src);
}

/* A ramp: luma across (16 + x/6), chroma down (16 + y/2). */
static AVFrame *ramp(int w, int h)
{
    AVFrame *src = picture(w, h, AV_PIX_FMT_YUV420P, 16, 235, 90, 160);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            src->data[0][(size_t)y * src->linesize[0] + x] =
                (uint8_t)(16 + x / 6);
        }
    }
    for (int k = 1; k < 3; k++) {
        for (int y = 0; y < h / 2; y++) {
            memset(src->data[k] + (size_t)y * src->linesize[k], 16 + y / 2,
                   (size_t)w / 2);
        }
    }
    return src;
}

/* Pixels of o, src's ramp scaled by num/den, off the ramp's value at the
 * centre of their footprint by more than a level (a pass whose phase
 * shifts the picture shows here). */
static int off_ramp(const AVFrame *o, int num, int den)
{
    int off = 0;
    for (int x = 0; x < o->width; x++) {
        double c = (x + 0.5) * den / num - 0.5;
        off += abs(luma(o, x, o->height / 2) - (int)(16 + c / 6 + 0.5)) > 1;
    }
    /* the chroma's last rows meet the picture's edge */
    for (int y = 0; y < o->height / 2 - 1; y++) {
        double c = (y + 0.5) * den / num - 0.5;
        for (int k = 1; k < 3; k++) {
            off += abs(chroma(o, k, o->width / 2, 2 * y) -
                       (int)(16 + c / 2 + 0.5)) > 1;
        }
    }
    return off;
}

/* 640x360 to three quarters (480x270, a 360p camera in a 4x4 tile):
 * libyuv's 4-to-3 kernel in one pass, in phase. */
static void three_quarters(void)
{
    AVFrame *src = ramp(640, 360);
    struct decode_scaler s = { 0 };
    AVFrame *o = NULL;
    CHECK_INT(decode_scale(&s, src, 480, 270, false, &o), 0);
    if (o) {
        CHECK_INT(rows_unlike_libyuv(src, o, kFilterBox), 0);
        CHECK_INT(off_ramp(o, 3, 4), 0);
    }
    av_frame_free(&o);
    decode_scaler_uninit(&s);
    av_frame_free(&src);
}

/* 1280x720 to three eighths (480x270): libyuv's half, then its three
 * quarters of that, byte for byte, neither its bilinear nor its own 3/8
 * kernel; on a ramp every pixel is where it belongs (the passes' phases
 * add up to the picture's, not shifted by a pixel). */
static void three_eighths(void)
{
    int w[DECODE_EXACT_SIZES], h[DECODE_EXACT_SIZES];
    AVFrame *src = ramp(1280, 720);
    CHECK_INT(decode_scale_exact_sizes(src, w, h), 4);
    CHECK_INT(w[0], 960);
    CHECK_INT(w[1], 640);
    CHECK_INT(w[2], 480);
    CHECK_INT(h[2], 270);
    CHECK_INT(w[3], 320);
    struct decode_scaler s = { 0 };
    AVFrame *o = NULL;
    CHECK_INT(decode_scale(&s, src, 480, 270, false, &o), 0);
    if (o) {
        AVFrame *half = NULL;
        CHECK_INT(decode_scale(&s, src, 640, 360, false, &half), 0);
        CHECK_INT(rows_unlike_libyuv(half, o, kFilterBilinear), 0);
        CHECK(rows_unlike_libyuv(src, o, kFilterBilinear) > 0);
        CHECK(rows_unlike_libyuv(src, o, kFilterBox) > 0);
        CHECK_INT(off_ramp(o, 3, 8), 0);
        av_frame_free(&half);
    }
    av_frame_free(&o);
    decode_scaler_uninit(&s);
    av_frame_free(&src);
}

/* The size a picture is scaled to for its tile's box. */
static void sizes(void)
{
    struct {
        int sw, sh, fmt, bw, bh, fit, w, h;
    } c[] = {
        /* as it is, within a percent: centred */
        { 1920, 1080, AV_PIX_FMT_YUV420P, 1918, 1078, LAYOUT_FIT_LETTERBOX,
          1920, 1080 },
        /* an exact half (6x6 grid), three quarters and a quarter (4x4) */
        { 640, 360, AV_PIX_FMT_YUV420P, 478, 268, LAYOUT_FIT_LETTERBOX, 480,
          270 },
        { 640, 360, AV_PIX_FMT_YUV420P, 318, 178, LAYOUT_FIT_LETTERBOX, 320,
          180 },
        { 1920, 1080, AV_PIX_FMT_YUV420P, 478, 268, LAYOUT_FIT_LETTERBOX,
          480, 270 },
        { 1920, 1080, AV_PIX_FMT_YUV420P, 478, 268, LAYOUT_FIT_FILL, 480,
          270 },
        /* three eighths (720p in a 4x4 tile) */
        { 1280, 720, AV_PIX_FMT_YUV420P, 478, 268, LAYOUT_FIT_LETTERBOX, 480,
          270 },
        /* none near: the box (the aspect within a percent fills it) */
        { 1280, 720, AV_PIX_FMT_YUV420P, 398, 222, LAYOUT_FIT_LETTERBOX, 394,
          222 },
        /* 4:3 in a 16:9 box: letterboxed, even */
        { 640, 480, AV_PIX_FMT_YUV420P, 318, 178, LAYOUT_FIT_LETTERBOX, 236,
          178 },
        /* fill: an exact half whose shown part is near the box; else
         * the whole picture at the scale of its shown part */
        { 640, 480, AV_PIX_FMT_YUV420P, 318, 178, LAYOUT_FIT_FILL, 320,
          240 },
        { 640, 480, AV_PIX_FMT_YUV420P, 398, 222, LAYOUT_FIT_FILL, 398,
          298 },
        /* swscale (full range): no exact sizes, never 16n wide */
        { 640, 360, AV_PIX_FMT_YUVJ420P, 318, 178, LAYOUT_FIT_LETTERBOX, 318,
          178 },
        { 1280, 720, AV_PIX_FMT_YUVJ420P, 480, 270, LAYOUT_FIT_LETTERBOX,
          478, 270 },
        /* up */
        { 320, 180, AV_PIX_FMT_YUV420P, 958, 538, LAYOUT_FIT_LETTERBOX, 958,
          538 },
        /* no box */
        { 640, 360, AV_PIX_FMT_YUV420P, 0, 0, LAYOUT_FIT_LETTERBOX, 640,
          360 },
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        AVFrame f = { .width = c[i].sw, .height = c[i].sh, .format = c[i].fmt,
                      .color_range = AVCOL_RANGE_MPEG };
        int w, h;
        decode_scale_size(&f, c[i].bw, c[i].bh, (enum layout_fit)c[i].fit,
                          &w, &h);
        CHECK_INT(w, c[i].w);
        CHECK_INT(h, c[i].h);
    }
}

static void other_formats_by_swscale(void)
{
    struct decode_scaler s = { 0 };
    AVFrame *o = NULL;
    /* full range (MJPEG): black and white come out at video levels */
    AVFrame *j = picture(640, 360, AV_PIX_FMT_YUVJ420P, 0, 255, 128, 128);
    CHECK_INT(decode_scale(&s, j, 316, 178, false, &o), 0);
    check_halves(o, 316, 178, 16, 235, 128, 128);
    av_frame_free(&o);
    /* the same size: converted only */
    CHECK_INT(decode_scale(&s, j, 640, 360, false, &o), 0);
    check_halves(o, 640, 360, 16, 235, 128, 128);
    av_frame_free(&o);
    av_frame_free(&j);
    /* 4:2:0 that says it is full range (HEVC can): converted too */
    AVFrame *fr = picture(640, 360, AV_PIX_FMT_YUV420P, 0, 255, 128, 128);
    fr->color_range = AVCOL_RANGE_JPEG;
    CHECK_INT(decode_scale(&s, fr, 316, 178, false, &o), 0);
    check_halves(o, 316, 178, 16, 235, 128, 128);
    av_frame_free(&o);
    av_frame_free(&fr);
    /* 4:2:2 at video levels, scaled */
    AVFrame *p = picture(640, 360, AV_PIX_FMT_YUV422P, 40, 200, 100, 150);
    CHECK_INT(decode_scale(&s, p, 316, 178, false, &o), 0);
    check_halves(o, 316, 178, 40, 200, 100, 150);
    av_frame_free(&o);
    av_frame_free(&p);
    decode_scaler_uninit(&s);
}

static void pooled(void)
{
    struct decode_scaler s = { 0 };
    AVFrame *src = picture(640, 360, AV_PIX_FMT_YUV420P, 50, 180, 110, 140);
    AVFrame *a = NULL, *b = NULL;
    CHECK_INT(decode_scale(&s, src, 316, 178, false, &a), 0);
    uint8_t *first = a->data[0];
    av_frame_free(&a);
    /* a released picture's buffer is the next one's */
    CHECK_INT(decode_scale(&s, src, 316, 178, false, &b), 0);
    CHECK(b->data[0] == first);
    /* a new size: a new pool; pictures still out stay valid, also after
     * the scaler is gone (valgrind and ASan check the reads) */
    CHECK_INT(decode_scale(&s, src, 158, 88, false, &a), 0);
    decode_scaler_uninit(&s);
    check_halves(b, 316, 178, 50, 180, 110, 140);
    check_halves(a, 158, 88, 50, 180, 110, 140);
    av_frame_free(&a);
    av_frame_free(&b);
    av_frame_free(&src);
}

/* A scaled picture keeps its camera's colour matrix: the one it says,
 * or, where it says none, the one its own size implies (BT.709 above
 * 576 lines; BT.601 at full range), not the one its tile's size would. */
static void colour_space(void)
{
    static const struct {
        int w, h, to_w, to_h;
        enum AVColorSpace says, kept;
    } cases[] = {
        { 1280, 720, 478, 268, AVCOL_SPC_UNSPECIFIED, AVCOL_SPC_BT709 },
        { 1920, 1080, 480, 270, AVCOL_SPC_UNSPECIFIED, AVCOL_SPC_BT709 },
        { 640, 360, 320, 180, AVCOL_SPC_UNSPECIFIED, AVCOL_SPC_SMPTE170M },
        { 320, 180, 1280, 720, AVCOL_SPC_UNSPECIFIED, AVCOL_SPC_SMPTE170M },
        { 1280, 720, 478, 268, AVCOL_SPC_BT470BG, AVCOL_SPC_BT470BG },
        { 640, 360, 318, 178, AVCOL_SPC_BT709, AVCOL_SPC_BT709 },
        { 1280, 720, 1280, 720, AVCOL_SPC_UNSPECIFIED, AVCOL_SPC_BT709 },
    };
    struct decode_scaler s = { 0 };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        AVFrame *src = picture(cases[i].w, cases[i].h, AV_PIX_FMT_YUV420P,
                               60, 60, 128, 128);
        src->colorspace = cases[i].says;
        AVFrame *o = NULL;
        CHECK_INT(decode_scale(&s, src, cases[i].to_w, cases[i].to_h, false,
                               &o),
                  0);
        CHECK_INT(o ? (int)o->colorspace : -1, (int)cases[i].kept);
        /* and what the canvas then converts it with */
        CHECK_INT(o ? (int)frame_colour_space(o) : -1, (int)cases[i].kept);
        av_frame_free(&o);
        av_frame_free(&src);
    }
    /* full range (JPEG's levels) is BT.601 at any size */
    AVFrame *j = picture(1280, 720, AV_PIX_FMT_YUVJ420P, 60, 60, 128, 128);
    CHECK_INT((int)frame_colour_space(j), (int)AVCOL_SPC_SMPTE170M);
    AVFrame *o = NULL;
    CHECK_INT(decode_scale(&s, j, 478, 268, false, &o), 0);
    CHECK_INT(o ? (int)o->colorspace : -1, (int)AVCOL_SPC_SMPTE170M);
    av_frame_free(&o);
    av_frame_free(&j);
    decode_scaler_uninit(&s);
}

int main(void)
{
    RUN(scaled_by_libyuv);
    RUN(exact_fractions);
    RUN(three_quarters);
    RUN(three_eighths);
    RUN(sizes);
    RUN(other_formats_by_swscale);
    RUN(pooled);
    RUN(colour_space);
    return test_done();
}
