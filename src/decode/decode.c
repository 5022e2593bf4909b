#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavutil/hwcontext.h>
#include <libavutil/pixdesc.h>

#include "decode/decode.h"
#include "decode/scale.h"
#include "util/log.h"
#include "util/mem.h"
#include "vigil/vigil.h"

struct decoder {
    struct vlog *log;
    AVCodecContext *avctx;
    AVFrame *tmp;
    AVFrame *sw;                 /* hardware frames land here */
    enum AVPixelFormat hw_fmt;   /* AV_PIX_FMT_NONE: software */
    const char *hw_name;
    struct decode_scaler scaler;
    unsigned long errors;
    int warned_format;
    struct frame_caps caps;      /* what the consumer takes */
    int box_w, box_h;            /* the tile shown in; 0: unknown */
    enum layout_fit fit;
    bool nearest;                /* scale by the nearest neighbour */
};

int decode_error_from_av(int err)
{
    if (err >= 0 || err > -4096) {
        return err; /* AVERROR(e) is -e: already -errno */
    }
    switch (err) {
    case AVERROR_EOF:
        return VIGIL_EEOF;
    case AVERROR_HTTP_UNAUTHORIZED:
        return VIGIL_EAUTH;
    case AVERROR_HTTP_FORBIDDEN:
        return -EACCES;
    case AVERROR_HTTP_NOT_FOUND:
        return -ENOENT;
    case AVERROR_DECODER_NOT_FOUND:
        return -ENOSYS;
    case AVERROR_EXIT:
        return VIGIL_EABORTED;
    default:
        return VIGIL_ESTREAM;
    }
}

static enum AVPixelFormat pick_format(AVCodecContext *avctx,
                                      const enum AVPixelFormat *fmts)
{
    const struct decoder *d = avctx->opaque;
    for (const enum AVPixelFormat *p = fmts; *p != AV_PIX_FMT_NONE; p++) {
        if (*p == d->hw_fmt) {
            return *p;
        }
    }
    return fmts[0]; /* the decoder offers no hardware format: software */
}

/* Try one device type: the codec must support it and the device must
 * open. */
static int try_device(struct decoder *d, const AVCodec *codec,
                      enum AVHWDeviceType type)
{
    for (int i = 0;; i++) {
        const AVCodecHWConfig *cfg = avcodec_get_hw_config(codec, i);
        if (!cfg) {
            return -1;
        }
        if (cfg->device_type != type ||
            !(cfg->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX)) {
            continue;
        }
        AVBufferRef *dev = NULL;
        if (av_hwdevice_ctx_create(&dev, type, NULL, NULL, 0) < 0) {
            return -1;
        }
        d->avctx->hw_device_ctx = dev;
        d->hw_fmt = cfg->pix_fmt;
        d->hw_name = av_hwdevice_get_type_name(type);
        return 0;
    }
}

/* Which device `auto` finds, probed once per process (a capability of
 * the machine, written once under pthread_once and read-only after): no
 * device probe, and no driver error in the log, at every reconnect of
 * every camera. */
static enum AVHWDeviceType auto_type = AV_HWDEVICE_TYPE_NONE;

static void probe_auto(void)
{
    static const enum AVHWDeviceType order[] = { AV_HWDEVICE_TYPE_CUDA,
                                                 AV_HWDEVICE_TYPE_VAAPI };
    /* no GPU is an answer, not an error: FFmpeg's "Cannot load
     * libcuda.so.1" goes to the debug log */
    vlog_ffmpeg_quiet(1);
    for (size_t i = 0; i < 2 && auto_type == AV_HWDEVICE_TYPE_NONE; i++) {
        AVBufferRef *dev = NULL;
        if (av_hwdevice_ctx_create(&dev, order[i], NULL, NULL, 0) >= 0) {
            av_buffer_unref(&dev);
            auto_type = order[i];
        }
    }
    vlog_ffmpeg_quiet(0);
}

static void setup_hw(struct decoder *d, const AVCodec *codec,
                     enum decoder_hw hw)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    int ok = -1;
    if (hw == DECODER_HW_AUTO) {
        pthread_once(&once, probe_auto);
        if (auto_type != AV_HWDEVICE_TYPE_NONE) {
            ok = try_device(d, codec, auto_type);
        }
    } else if (hw == DECODER_HW_VAAPI || hw == DECODER_HW_CUDA) {
        ok = try_device(d, codec, hw == DECODER_HW_VAAPI
                                      ? AV_HWDEVICE_TYPE_VAAPI
                                      : AV_HWDEVICE_TYPE_CUDA);
        if (ok < 0) {
            VLOG_INFO(d->log, "%s decoding unavailable here: software",
                      hw == DECODER_HW_VAAPI ? "vaapi" : "cuda");
        }
    }
    if (ok == 0) {
        d->avctx->opaque = d;
        d->avctx->get_format = pick_format;
        VLOG_INFO(d->log, "hardware decoding: %s", d->hw_name);
    }
}

const char *decoder_hwaccel(const struct decoder *d)
{
    return d->hw_name;
}

int decoder_create(struct decoder **out, const AVCodecParameters *par,
                   enum decoder_hw hw, int threads,
                   const struct frame_caps *caps, struct vlog *log)
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
    d->caps = *caps;
    d->hw_fmt = AV_PIX_FMT_NONE;
    d->hw_name = "none";
    d->avctx = avcodec_alloc_context3(codec);
    d->tmp = av_frame_alloc();
    d->sw = av_frame_alloc();
    int ret = !d->avctx || !d->tmp || !d->sw ? AVERROR(ENOMEM) : 0;
    if (!ret) {
        ret = avcodec_parameters_to_context(d->avctx, par);
    }
    if (!ret) {
        setup_hw(d, codec, hw);
    }
    if (!ret) {
        d->avctx->thread_count = threads > 1 ? threads : 1;
        d->avctx->thread_type = FF_THREAD_FRAME;
        d->avctx->flags2 |= AV_CODEC_FLAG2_FAST;
        ret = avcodec_open2(d->avctx, codec, NULL);
    }
    if (ret < 0) {
        VLOG_ERR(log, "cannot open %s decoder: %s", codec->name,
                 av_err2str(ret));
        decoder_destroy(d);
        return decode_error_from_av(ret);
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
    av_frame_free(&d->sw);
    decode_scaler_uninit(&d->scaler);
    free(d);
}

int decoder_send(struct decoder *d, const AVPacket *pkt)
{
    int ret = avcodec_send_packet(d->avctx, pkt);
    if (ret == AVERROR_INVALIDDATA) {
        d->errors++;
        return 0;
    }
    return ret == AVERROR(EAGAIN) ? 0 : decode_error_from_av(ret);
}

/* What the consumer takes as it is (its caps): limited-range pictures in
 * one of its formats. Full-range pictures (MJPEG's yuvj formats) are
 * converted, or their colours come out wrong. */
static int consumer_ready(const struct decoder *d, const AVFrame *f)
{
    unsigned bit = f->format == AV_PIX_FMT_YUV420P ? FRAME_FMT_YUV420P
                   : f->format == AV_PIX_FMT_NV12  ? FRAME_FMT_NV12
                                                   : 0;
    return (d->caps.formats & bit) && f->color_range != AVCOL_RANGE_JPEG;
}

/* The size a picture is scaled to: for a consumer that does not scale,
 * the size the picture will have in its tile's box (fitted as the wall
 * says); else its own size. */
static void scaled_size(const struct decoder *d, const AVFrame *f, int *w,
                        int *h)
{
    *w = f->width;
    *h = f->height;
    if (!d->caps.scales) {
        decode_scale_size(f, d->box_w - 2 * d->caps.inset,
                          d->box_h - 2 * d->caps.inset, d->fit, w, h);
    }
}

/* Convert a frame the renderer cannot take as-is, or one to scale,
 * into YUV420P (decode/scale.c). This is a new picture, not a copy of a
 * frame that could have been handed on. */
static int convert(struct decoder *d, AVFrame *src, AVFrame **out)
{
    int w, h;
    scaled_size(d, src, &w, &h);
    if (!d->warned_format) {
        VLOG_DEBUG(d->log, "converting %s to yuv420p",
                   av_get_pix_fmt_name(src->format));
        d->warned_format = 1;
    }
    return decode_scale(&d->scaler, src, w, h, d->nearest, out);
}

int decoder_receive_raw(struct decoder *d, AVFrame **out)
{
    *out = NULL;
    int ret = avcodec_receive_frame(d->avctx, d->tmp);
    if (ret == AVERROR(EAGAIN)) {
        return -EAGAIN;
    }
    if (ret < 0) {
        return decode_error_from_av(ret);
    }
    /* A picture the decoder had to patch up (error concealment) or knows
     * to be damaged is shown, but counted with the packets that failed:
     * a corrupt stream rarely fails outright. */
    if (d->tmp->decode_error_flags || (d->tmp->flags & AV_FRAME_FLAG_CORRUPT)) {
        d->errors++;
    }
    /* Move the reference out; tmp is left blank for the next call. */
    AVFrame *f = av_frame_alloc();
    if (!f) {
        av_frame_unref(d->tmp);
        return -ENOMEM;
    }
    av_frame_move_ref(f, d->tmp);
    *out = f;
    return 0;
}

int decoder_finish(struct decoder *d, AVFrame **f)
{
    AVFrame *src = *f;
    int ret = 0;
    if (src->format == d->hw_fmt && d->hw_fmt != AV_PIX_FMT_NONE) {
        /* SDL's textures live in system memory: bring the picture down
         * (NV12 usually), then on through the conversion below. */
        ret = av_hwframe_transfer_data(d->sw, src, 0);
        if (ret >= 0) {
            ret = av_frame_copy_props(d->sw, src);
        }
        av_frame_unref(src);
        if (ret < 0) {
            av_frame_unref(d->sw);
            av_frame_free(f);
            return decode_error_from_av(ret);
        }
        av_frame_move_ref(src, d->sw);
    }
    int w, h;
    scaled_size(d, src, &w, &h);
    if (consumer_ready(d, src) && w == src->width && h == src->height) {
        return 0; /* handed on as the decoder made it */
    }
    AVFrame *dst = NULL;
    ret = convert(d, src, &dst);
    av_frame_free(f);
    *f = dst;
    return ret;
}

int decoder_receive(struct decoder *d, AVFrame **out)
{
    int ret = decoder_receive_raw(d, out);
    return ret < 0 ? ret : decoder_finish(d, out);
}

void decoder_flush(struct decoder *d)
{
    avcodec_flush_buffers(d->avctx);
}

unsigned long decoder_errors(const struct decoder *d)
{
    return d->errors;
}

void decoder_set_skip(struct decoder *d, int skip_loop_filter)
{
    d->avctx->skip_loop_filter = skip_loop_filter ? AVDISCARD_ALL
                                                  : AVDISCARD_DEFAULT;
}

void decoder_set_box(struct decoder *d, int w, int h, enum layout_fit fit,
                     bool nearest)
{
    d->box_w = w;
    d->box_h = h;
    d->fit = fit;
    d->nearest = nearest;
}

void decoder_size(const struct decoder *d, int *w, int *h)
{
    *w = d->avctx->width;
    *h = d->avctx->height;
}
