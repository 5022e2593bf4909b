/*
 * Pictures scaled to the size a tile shows them at, for a consumer that
 * does not scale (the software canvas), and pictures in a format it does
 * not take converted to limited-range YUV420P. On the camera's worker
 * thread, so the cost spreads over the cores.
 *
 * 8-bit 4:2:0 pictures in limited range (what cameras send) are scaled by
 * libyuv: its bilinear filter is sharper than swscale's fast bilinear
 * (closer to a Lanczos reference on both of vigil-scalers' pictures, at
 * every size) and, in the bench's walls, cheaper (bench/RESULTS.md); an
 * exact three quarters, half, three eighths or quarter is averaged
 * instead, cheaper still. Every
 * other format, and a conversion without scaling, goes through swscale.
 * Scaled pictures' buffers come from a pool (one per picture size): no
 * picture buffer allocated per picture on the camera's thread, nor freed
 * on the render thread, which hands each back.
 *
 * Thread-safety: one scaler per decoder, used by one thread at a time;
 * the pictures it makes may be released on any thread.
 */
#ifndef VIGIL_DECODE_SCALE_H
#define VIGIL_DECODE_SCALE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "layout/layout.h"

struct AVBufferPool;
struct AVFrame;
struct SwsContext;

struct decode_scaler {
    struct SwsContext *sws;
    struct AVBufferPool *pool;
    int pool_w, pool_h;          /* the size of the pool's pictures */
    uint8_t *half;               /* a half, on the way to three eighths */
    size_t half_size;
};

/* Whether src, scaled, goes through libyuv (else swscale). */
bool decode_scale_by_libyuv(const struct AVFrame *src);

/* The sizes below src's that libyuv reaches by exact averages (three
 * quarters, a half, three eighths, a quarter), largest first, for a
 * picture it scales: w[i] x h[i], up to DECODE_EXACT_SIZES of them;
 * returns how many. A picture scaled to one is averaged (4-to-3, 2x2,
 * 2x2 then 4-to-3, 4x4). */
enum { DECODE_EXACT_SIZES = 4 };
int decode_scale_exact_sizes(const struct AVFrame *src, int w[], int h[]);

/* The size src is scaled to for a consumer that does not scale, whose
 * tile's box (the tile less its border) is bw x bh and fits pictures by
 * fit: src's own where the box shows it as it is (layout_shown_as_is),
 * else an exact fraction the box shows as it is, else the size the box
 * shows the whole picture at (up or down, even). */
void decode_scale_size(const struct AVFrame *src, int bw, int bh,
                       enum layout_fit fit, int *w, int *h);

/* *out: src as YUV420P in limited range at w x h, with src's properties.
 * nearest: the nearest neighbour instead of bilinear (blocky, cheaper).
 * Returns 0, or a negative error code (*out NULL). */
int decode_scale(struct decode_scaler *s, const struct AVFrame *src, int w,
                 int h, bool nearest, struct AVFrame **out);

/* Frees what the scaler holds; pictures it made stay valid until
 * released. */
void decode_scaler_uninit(struct decode_scaler *s);

#endif
