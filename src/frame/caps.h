/*
 * The decode-render contract: what the consumer of a camera's pictures
 * (the renderer) takes as it is, stated by the consumer and handed to the
 * producers (sources and their decoders), which convert or scale only
 * what it does not take. Neither side hard-codes the other's formats or
 * geometry.
 */
#ifndef VIGIL_FRAME_CAPS_H
#define VIGIL_FRAME_CAPS_H

#include <stdbool.h>

#include <libavutil/frame.h>

/* Pixel formats, as bits of frame_caps.formats. Limited range (video
 * levels) always: full-range pictures (MJPEG's yuvj) are converted. */
enum frame_format {
    FRAME_FMT_YUV420P = 1u << 0, /* planar 4:2:0 (IYUV textures) */
    FRAME_FMT_NV12 = 1u << 1,    /* semi-planar 4:2:0 (what GPUs decode) */
};

struct frame_caps {
    unsigned formats;   /* FRAME_FMT_* taken as they are */
    /* The consumer scales pictures into their tile itself (a GPU
     * renderer). When false, a picture should arrive at the size it is
     * shown at, so the consumer copies it 1:1. */
    bool scales;
    /* Pixels between a tile's edge and the area its picture fills (the
     * tile's border): the picture's box is the tile less this on every
     * side. */
    int inset;
};

/* A picture in full range (JPEG levels: MJPEG's yuvj formats, or one
 * that says so), which a consumer's limited-range formats do not take. */
static inline bool frame_full_range(const AVFrame *f)
{
    return f->color_range == AVCOL_RANGE_JPEG ||
           f->format == AV_PIX_FMT_YUVJ420P ||
           f->format == AV_PIX_FMT_YUVJ422P ||
           f->format == AV_PIX_FMT_YUVJ444P;
}

/* The colour space a picture's YUV is in: what it says, or, where it
 * says nothing (many cameras), what its size implies, as players and SDL
 * take it: BT.709 above standard definition, BT.601 up to it, and BT.601
 * for full range (JPEG's, whatever the size). Ask it of the camera's own
 * picture: a picture scaled for a tile carries its source's
 * (decode_scale() sets it), since 268 lines of a 720p camera are still
 * BT.709. */
static inline enum AVColorSpace frame_colour_space(const AVFrame *f)
{
    switch (f->colorspace) {
    case AVCOL_SPC_BT709:
    case AVCOL_SPC_FCC:
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M:
    case AVCOL_SPC_SMPTE240M:
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL:
        return f->colorspace;
    default:
        return f->height > 576 && !frame_full_range(f) ? AVCOL_SPC_BT709
                                                        : AVCOL_SPC_SMPTE170M;
    }
}

#endif
