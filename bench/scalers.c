/*
 * vigil-scalers: what a picture's scaling to its tile costs and how close
 * it comes to a good scaler, for each scaler Vigil or a peer could use.
 * Each source size is scaled to the size Vigil's decoder scales it to for
 * a tile (given as SRC:DST, e.g. 1280x720:478x268), from two synthetic
 * pictures: a zone plate (rings up to the highest frequency the tile can
 * show, which a scaler should keep and an aliasing one turns to moire)
 * and grain over a gradient (a camera's noise, which mostly cannot be
 * shown: a good scaler averages it away).
 * Quality is the luma's PSNR against swscale's Lanczos (accurate
 * rounding) at the same size; time is the best of five rounds of at least
 * 0.2 s each, one thread. Vigil's scalers are timed as the decoder runs
 * them (a new picture from the pool each time), swscale's into one
 * picture.
 *
 *     vigil-scalers [--json FILE] [SRC:DST...]
 *
 * Prints a Markdown table; --json writes the same figures as JSON.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libswscale/swscale.h>

#include "decode/scale.h"
#include "util/time.h"

enum { PICTURES = 2 };
static const char *const picture_names[PICTURES] = { "zone plate", "grain" };

struct method {
    const char *name;
    int sws_flags;   /* 0: Vigil's decoder (decode_scale) */
    bool nearest;
};

static const struct method methods[] = {
    { "Vigil: bilinear (libyuv)", 0, false },
    { "Vigil: nearest (libyuv)", 0, true },
    { "swscale fast_bilinear", SWS_FAST_BILINEAR, false },
    { "swscale bilinear", SWS_BILINEAR, false },
    { "swscale area", SWS_AREA, false },
    { "swscale point", SWS_POINT, false },
};
enum { METHODS = sizeof(methods) / sizeof(methods[0]) };

static AVFrame *picture(int w, int h)
{
    AVFrame *f = av_frame_alloc();
    if (!f) {
        return NULL;
    }
    f->format = AV_PIX_FMT_YUV420P;
    f->width = w;
    f->height = h;
    f->color_range = AVCOL_RANGE_MPEG;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
    }
    return f;
}

/* Picture k at w x h, to be shown dw wide: luma as named (the zone
 * plate's local frequency, 2 kz r, reaches the tile's Nyquist frequency,
 * pi * dw / w a source pixel, at the picture's edge), chroma a smooth
 * gradient. */
static void draw(AVFrame *f, int k, int dw)
{
    uint32_t seed = 12345;
    double kz = M_PI * dw / ((double)f->width *
                             (f->width > f->height ? f->width : f->height));
    for (int y = 0; y < f->height; y++) {
        uint8_t *row = f->data[0] + (size_t)y * f->linesize[0];
        for (int x = 0; x < f->width; x++) {
            double v;
            if (k == 0) {
                double cx = x - f->width / 2.0, cy = y - f->height / 2.0;
                v = 126 + 96 * cos(kz * (cx * cx + cy * cy));
            } else {
                seed = seed * 1664525u + 1013904223u;
                v = 40 + 150.0 * x / f->width + (double)(seed >> 27) * 3;
            }
            row[x] = (uint8_t)(v < 16 ? 16 : v > 235 ? 235 : v);
        }
    }
    for (int p = 1; p < 3; p++) {
        for (int y = 0; y < (f->height + 1) / 2; y++) {
            uint8_t *row = f->data[p] + (size_t)y * f->linesize[p];
            for (int x = 0; x < (f->width + 1) / 2; x++) {
                row[x] = (uint8_t)(64 + (p == 1 ? x : y) * 128 /
                                            ((p == 1 ? f->width : f->height) /
                                                 2 + 1));
            }
        }
    }
}

static double psnr(const AVFrame *a, const AVFrame *b)
{
    double se = 0;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *ra = a->data[0] + (size_t)y * a->linesize[0];
        const uint8_t *rb = b->data[0] + (size_t)y * b->linesize[0];
        for (int x = 0; x < a->width; x++) {
            double d = (double)ra[x] - rb[x];
            se += d * d;
        }
    }
    se /= (double)a->width * a->height;
    return se > 0 ? 10 * log10(255.0 * 255.0 / se) : 99;
}

static int sws_into(struct SwsContext *c, const AVFrame *src, AVFrame *dst)
{
    return sws_scale(c, (const uint8_t *const *)src->data, src->linesize, 0,
                     src->height, dst->data, dst->linesize);
}

struct result {
    double us[PICTURES], psnr[PICTURES];
};

static int measure(const struct method *m, AVFrame *const src[PICTURES],
                   AVFrame *const ref[PICTURES], int dw, int dh,
                   struct result *r)
{
    for (int k = 0; k < PICTURES; k++) {
        struct decode_scaler vs = { 0 };
        struct SwsContext *c = NULL;
        AVFrame *dst = NULL;
        if (m->sws_flags) {
            c = sws_getContext(src[k]->width, src[k]->height,
                               AV_PIX_FMT_YUV420P, dw, dh, AV_PIX_FMT_YUV420P,
                               m->sws_flags, NULL, NULL, NULL);
            dst = picture(dw, dh);
            if (!c || !dst) {
                sws_freeContext(c);
                av_frame_free(&dst);
                return -1;
            }
        }
        double best = INFINITY;
        for (int round = 0; round < 5; round++) {
            int64_t t0 = vt_mono_ns(), t;
            long n = 0;
            do {
                int ret;
                if (m->sws_flags) {
                    ret = sws_into(c, src[k], dst);
                } else {
                    av_frame_free(&dst);
                    ret = decode_scale(&vs, src[k], dw, dh, m->nearest, &dst);
                }
                if (ret < 0) {
                    av_frame_free(&dst);
                    sws_freeContext(c);
                    decode_scaler_uninit(&vs);
                    return -1;
                }
                n++;
                t = vt_mono_ns() - t0;
            } while (t < 200000000);
            double us = t / 1e3 / (double)n;
            best = us < best ? us : best;
        }
        r->us[k] = best;
        r->psnr[k] = psnr(dst, ref[k]);
        av_frame_free(&dst);
        sws_freeContext(c);
        decode_scaler_uninit(&vs);
    }
    return 0;
}

static int parse_size(const char *s, int *sw, int *sh, int *dw, int *dh)
{
    return sscanf(s, "%dx%d:%dx%d", sw, sh, dw, dh) == 4 && *sw > 0 &&
                   *sh > 0 && *dw > 0 && *dh > 0
               ? 0
               : -1;
}

int main(int argc, char **argv)
{
    /* the three walls of vigil-bench walls (16 x 720p, 9 x 1080p, 36 x
     * 360p: an exact half, which Vigil's decoder takes, against the box
     * it would scale to otherwise), and a 1080p camera in a 4x4 tile (an
     * exact quarter, and the box) */
    static const char *const defaults[] = {
        "1280x720:478x268", "1920x1080:638x358", "640x360:320x180",
        "640x360:318x178",  "1920x1080:480x270", "1920x1080:478x268"
    };
    const char *json_path = NULL;
    const char *sizes[16];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json") && i + 1 < argc) {
            json_path = argv[++i];
        } else if (n < 16) {
            sizes[n++] = argv[i];
        } else {
            fprintf(stderr, "vigil-scalers: at most 16 sizes\n");
            return 2;
        }
    }
    if (!n) {
        for (; n < (int)(sizeof(defaults) / sizeof(defaults[0])); n++) {
            sizes[n] = defaults[n];
        }
    }
    FILE *js = json_path ? fopen(json_path, "w") : NULL;
    if (json_path && !js) {
        perror(json_path);
        return 1;
    }
    if (js) {
        fprintf(js, "{\"results\": [");
    }
    printf("| picture | scaler | us (zone plate) | PSNR dB (zone plate) "
           "| us (grain) | PSNR dB (grain) |\n|---|---|---|---|---|---|\n");
    for (int i = 0; i < n; i++) {
        int sw, sh, dw, dh;
        if (parse_size(sizes[i], &sw, &sh, &dw, &dh) < 0) {
            fprintf(stderr, "vigil-scalers: %s: want SRCWxH:DSTWxH\n",
                    sizes[i]);
            return 2;
        }
        AVFrame *src[PICTURES], *ref[PICTURES];
        struct SwsContext *lz = sws_getContext(
            sw, sh, AV_PIX_FMT_YUV420P, dw, dh, AV_PIX_FMT_YUV420P,
            SWS_LANCZOS | SWS_ACCURATE_RND, NULL, NULL, NULL);
        for (int k = 0; k < PICTURES; k++) {
            src[k] = picture(sw, sh);
            ref[k] = picture(dw, dh);
            if (!src[k] || !ref[k] || !lz) {
                fprintf(stderr, "vigil-scalers: out of memory\n");
                return 1;
            }
            draw(src[k], k, dw);
            if (sws_into(lz, src[k], ref[k]) < 0) {
                fprintf(stderr, "vigil-scalers: reference scaling failed\n");
                return 1;
            }
        }
        for (int m = 0; m < METHODS; m++) {
            struct result r;
            if (measure(&methods[m], src, ref, dw, dh, &r) < 0) {
                fprintf(stderr, "vigil-scalers: %s failed\n",
                        methods[m].name);
                return 1;
            }
            printf("| %s to %dx%d | %s | %.1f | %.2f | %.1f | %.2f |\n",
                   sizes[i], dw, dh, methods[m].name, r.us[0], r.psnr[0],
                   r.us[1], r.psnr[1]);
            if (js) {
                fprintf(js,
                        "%s\n {\"src\": \"%dx%d\", \"dst\": \"%dx%d\", "
                        "\"scaler\": \"%s\"",
                        i || m ? "," : "", sw, sh, dw, dh, methods[m].name);
                for (int k = 0; k < PICTURES; k++) {
                    fprintf(js, ", \"%s\": {\"us\": %.1f, \"psnr_db\": %.2f}",
                            picture_names[k], r.us[k], r.psnr[k]);
                }
                fprintf(js, "}");
            }
        }
        for (int k = 0; k < PICTURES; k++) {
            av_frame_free(&src[k]);
            av_frame_free(&ref[k]);
        }
        sws_freeContext(lz);
    }
    if (js) {
        fprintf(js, "\n]}\n");
        fclose(js);
    }
    return 0;
}
