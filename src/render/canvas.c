/*
 * Pictures into a software canvas (main thread): swscale converts the
 * shown part of a picture to the canvas's ARGB straight into the tile's
 * place in the canvas. The decoder has already scaled it to that size on
 * its camera's thread, so this is swscale's unscaled 4:2:0-to-RGB code
 * (SIMD, about 0.3 ns a pixel here), not a scale; a picture of another
 * size is scaled in the same pass. No texture, no plane copy, no second
 * conversion, no blit (bench/RESULTS.md has what this saved).
 */
#include <stdlib.h>
#include <string.h>

#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "frame/caps.h"
#include "render/render_internal.h"

/* The colour matrix of a picture (frame_colour_space(): what it says,
 * or what its camera's resolution implies). */
static int colour_matrix(const AVFrame *f)
{
    switch (frame_colour_space(f)) {
    case AVCOL_SPC_BT709:
        return SWS_CS_ITU709;
    case AVCOL_SPC_FCC:
        return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M:
        return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
        return SWS_CS_BT2020;
    default:
        return SWS_CS_ITU601;
    }
}

/* A scaler for this picture and destination size, made again only when
 * one of them changed. */
static struct SwsContext *scaler(struct canvas_scaler *cs, const AVFrame *f,
                                 int sw, int sh, int dw, int dh)
{
    struct canvas_scaler want = { .sws = NULL, .src_w = sw, .src_h = sh,
                                  .src_fmt = f->format, .dst_w = dw,
                                  .dst_h = dh, .matrix = colour_matrix(f),
                                  .full_range = frame_full_range(f) };
    if (cs->sws && cs->src_w == sw && cs->src_h == sh &&
        cs->src_fmt == want.src_fmt && cs->dst_w == dw && cs->dst_h == dh &&
        cs->matrix == want.matrix && cs->full_range == want.full_range) {
        return cs->sws;
    }
    sws_freeContext(cs->sws);
    want.kept = cs->kept;
    want.kept_size = cs->kept_size;
    /* Fast bilinear: the scaler the decoder used for tiles before, and
     * what the ffmpeg peer is given in the bench. */
    want.sws = sws_getContext(sw, sh, f->format, dw, dh, AV_PIX_FMT_RGB32,
                              SWS_FAST_BILINEAR, NULL, NULL, NULL);
    *cs = want;
    if (!cs->sws) {
        return NULL;
    }
    const int *in = sws_getCoefficients(want.matrix);
    /* RGB out: the destination table is not used, full range is. It
     * fails only for formats without colour details (the defaults stand). */
    (void)sws_setColorspaceDetails(cs->sws, in, want.full_range, in, 1, 0,
                                   1 << 16, 1 << 16);
    return cs->sws;
}

/* swscale's x86 code writes whole blocks of pixels: up to 15 past the
 * end of each row (measured for 4:2:0 to ARGB: 60 bytes unscaled, 24
 * scaled). On a canvas those belong to the tile's border, to the next
 * tile or (at the right edge) to the next row, so what lies there is kept
 * and put back; the canvas has this much slack after its last row. */
#define CANVAS_SLOP 64

SDL_Surface *canvas_create(int w, int h)
{
    /* Rows padded to whole 64 bytes and then some: swscale's x86 RGB
     * output rounds a row up to 8 pixels and converts 8 fewer when that
     * would pass the pitch, which would leave a full-width picture's last
     * columns unconverted. */
    size_t pitch = ((size_t)w * 4 + CANVAS_SLOP + 63) & ~(size_t)63;
    size_t size = pitch * (size_t)h + CANVAS_SLOP;
    void *px = calloc(1, size);
    SDL_Surface *s = px ? SDL_CreateRGBSurfaceWithFormatFrom(
                              px, w, h, 32, (int)pitch,
                              SDL_PIXELFORMAT_ARGB8888)
                        : NULL;
    if (!s) {
        free(px);
        return NULL;
    }
    s->userdata = px;
    /* opaque: shown by plain copies (SDL blends any surface with alpha) */
    SDL_SetSurfaceBlendMode(s, SDL_BLENDMODE_NONE);
    return s;
}

void canvas_destroy(SDL_Surface *s)
{
    if (s) {
        void *px = s->userdata;
        SDL_FreeSurface(s);
        free(px);
    }
}

int canvas_put(struct canvas_scaler *cs, SDL_Surface *canvas,
               const AVFrame *f, struct layout_rect src,
               struct layout_rect *where)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    /* within a percent of its place (the decoder has not scaled it for
     * that): centred, not scaled again */
    layout_centre_near(&src, where);
    struct layout_rect dst = *where;
    if (!d || (d->flags & (AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_PAL)) ||
        dst.w <= 0 || dst.h <= 0 || dst.x < 0 || dst.y < 0 ||
        dst.x + dst.w > canvas->w || dst.y + dst.h > canvas->h ||
        canvas->userdata != canvas->pixels) {
        return -1;
    }
    /* The crop starts on a chroma sample (a pixel earlier at most), so
     * every plane starts there. */
    int mx = (1 << d->log2_chroma_w) - 1, my = (1 << d->log2_chroma_h) - 1;
    src.x &= ~mx;
    src.y &= ~my;
    if (src.w <= 0 || src.h <= 0 || src.x + src.w > f->width ||
        src.y + src.h > f->height) {
        return -1;
    }
    const uint8_t *in[4] = { 0 };
    for (int i = 0; i < d->nb_components; i++) {
        const AVComponentDescriptor *c = &d->comp[i];
        int chroma = (i == 1 || i == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB);
        int x = chroma ? src.x >> d->log2_chroma_w : src.x;
        int y = chroma ? src.y >> d->log2_chroma_h : src.y;
        if (!in[c->plane]) {
            in[c->plane] = f->data[c->plane] +
                           (ptrdiff_t)y * f->linesize[c->plane] +
                           (ptrdiff_t)x * c->step;
        }
    }
    struct SwsContext *sws = scaler(cs, f, src.w, src.h, dst.w, dst.h);
    if (!sws) {
        return -1;
    }
    uint8_t *base = canvas->pixels;
    ptrdiff_t pitch = canvas->pitch;
    uint8_t *out[4] = { base + dst.y * pitch + (ptrdiff_t)dst.x * 4 };
    int out_ls[4] = { canvas->pitch };
    /* what lies past each row, up to the next row's own pixels */
    size_t room = (size_t)(pitch - (ptrdiff_t)dst.w * 4);
    size_t len = room < CANVAS_SLOP ? room : CANVAS_SLOP;
    size_t need = (size_t)dst.h * CANVAS_SLOP;
    if (cs->kept_size < need) {
        uint8_t *k = realloc(cs->kept, need);
        if (!k) {
            return -1;
        }
        cs->kept = k;
        cs->kept_size = need;
    }
    for (int y = 0; y < dst.h; y++) {
        memcpy(cs->kept + (size_t)y * CANVAS_SLOP,
               out[0] + y * pitch + (ptrdiff_t)dst.w * 4,
               y + 1 < dst.h ? len : CANVAS_SLOP);
    }
    int ret = sws_scale(sws, in, f->linesize, 0, src.h, out, out_ls);
    for (int y = 0; y < dst.h; y++) {
        memcpy(out[0] + y * pitch + (ptrdiff_t)dst.w * 4,
               cs->kept + (size_t)y * CANVAS_SLOP,
               y + 1 < dst.h ? len : CANVAS_SLOP);
    }
    return ret > 0 ? 0 : -1;
}

void canvas_scaler_free(struct canvas_scaler *cs)
{
    sws_freeContext(cs->sws);
    free(cs->kept);
    *cs = (struct canvas_scaler){ 0 };
}
