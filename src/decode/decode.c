#include <errno.h>

#include <libavcodec/avcodec.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "decode/decode.h"
#include "util/log.h"
#include "util/mem.h"

struct decoder {
    struct vlog *log;
    AVCodecContext *avctx;
    AVFrame *tmp;
    struct SwsContext *sws;
    unsigned long errors;
    int warned_format;
};

int decoder_create(struct decoder **out, const AVCodecParameters *par,
                   struct vlog *log)
{
    *out = NULL;
    const AVCodec *codec = avcodec_find_decoder(par->codec_id);
    if (!codec) {
        VLOG_ERR(log, "no decoder for codec %s",
                 avcodec_get_name(par->codec_id));
        return -ENOSYS;
    }
    struct decoder *d = xzalloc(sizeof(*d));
    d->log = log;
    d->avctx = avcodec_alloc_context3(codec);
    d->tmp = av_frame_alloc();
    int ret = !d->avctx || !d->tmp ? AVERROR(ENOMEM) : 0;
    if (!ret) {
        ret = avcodec_parameters_to_context(d->avctx, par);
    }
    if (!ret) {
        d->avctx->thread_count = 1;
        d->avctx->flags2 |= AV_CODEC_FLAG2_FAST;
        ret = avcodec_open2(d->avctx, codec, NULL);
    }
    if (ret < 0) {
        VLOG_ERR(log, "cannot open %s decoder: %s", codec->name,
                 av_err2str(ret));
        decoder_destroy(d);
        return ret;
    }
    *out = d;
    return 0;
}

void decoder_destroy(struct decoder *d)
{
    if (!d) {
        return;
    }
    avcodec_free_context(&d->avctx);
    av_frame_free(&d->tmp);
    sws_freeContext(d->sws);
    free(d);
}

int decoder_send(struct decoder *d, const AVPacket *pkt)
{
    int ret = avcodec_send_packet(d->avctx, pkt);
    if (ret == AVERROR_INVALIDDATA) {
        d->errors++;
        return 0;
    }
    return ret == AVERROR(EAGAIN) ? 0 : ret;
}

/* What the renderer's IYUV textures take as-is: limited-range 4:2:0
 * (SDL converts with video-range coefficients). Full-range pictures
 * (MJPEG's yuvj formats) are converted, or their colours come out wrong. */
static int renderer_ready(const AVFrame *f)
{
    return f->format == AV_PIX_FMT_YUV420P &&
           f->color_range != AVCOL_RANGE_JPEG;
}

static int is_full_range(const AVFrame *f)
{
    return f->color_range == AVCOL_RANGE_JPEG ||
           f->format == AV_PIX_FMT_YUVJ420P ||
           f->format == AV_PIX_FMT_YUVJ422P ||
           f->format == AV_PIX_FMT_YUVJ444P;
}

/* Convert a frame the renderer cannot take as-is into YUV420P. This is a
 * format conversion (a new picture), not a copy of a frame that could have
 * been handed on. */
static int convert(struct decoder *d, AVFrame *src, AVFrame **out)
{
    if (!d->warned_format) {
        VLOG_DEBUG(d->log, "converting %s to yuv420p",
                   av_get_pix_fmt_name(src->format));
        d->warned_format = 1;
    }
    d->sws = sws_getCachedContext(d->sws, src->width, src->height,
                                  src->format, src->width, src->height,
                                  AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL,
                                  NULL, NULL);
    AVFrame *dst = av_frame_alloc();
    if (!d->sws || !dst) {
        av_frame_free(&dst);
        return AVERROR(ENOMEM);
    }
    const int *coefs = sws_getCoefficients(SWS_CS_ITU601);
    sws_setColorspaceDetails(d->sws, coefs, is_full_range(src), coefs, 0, 0,
                             1 << 16, 1 << 16);
    dst->format = AV_PIX_FMT_YUV420P;
    dst->width = src->width;
    dst->height = src->height;
    int ret = av_frame_get_buffer(dst, 0);
    if (ret >= 0) {
        ret = av_frame_copy_props(dst, src);
        dst->color_range = AVCOL_RANGE_MPEG;
    }
    if (ret >= 0) {
        ret = sws_scale(d->sws, (const uint8_t *const *)src->data,
                        src->linesize, 0, src->height, dst->data,
                        dst->linesize);
    }
    if (ret < 0) {
        av_frame_free(&dst);
        return ret;
    }
    *out = dst;
    return 0;
}

int decoder_receive(struct decoder *d, AVFrame **out)
{
    *out = NULL;
    int ret = avcodec_receive_frame(d->avctx, d->tmp);
    if (ret == AVERROR(EAGAIN)) {
        return -EAGAIN;
    }
    if (ret < 0) {
        return ret;
    }
    if (renderer_ready(d->tmp)) {
        /* Move the reference out; tmp is left blank for the next call. */
        AVFrame *f = av_frame_alloc();
        if (!f) {
            av_frame_unref(d->tmp);
            return AVERROR(ENOMEM);
        }
        av_frame_move_ref(f, d->tmp);
        *out = f;
        return 0;
    }
    ret = convert(d, d->tmp, out);
    av_frame_unref(d->tmp);
    return ret;
}

void decoder_flush(struct decoder *d)
{
    avcodec_flush_buffers(d->avctx);
}

unsigned long decoder_errors(const struct decoder *d)
{
    return d->errors;
}
