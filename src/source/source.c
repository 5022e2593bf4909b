/*
 * Camera worker. Owns: the AVFormatContext, the decoder, the reconnect
 * backoff. Runs on its own thread (blocking avformat calls must never run
 * on the loop thread or libuv's shared pool). This file connects, reads,
 * naps and keeps the status; decoding.c decodes (see worker.h).
 *
 * Talking to others:
 *   - frames: moved into the camera's mailbox, which wakes its consumer
 *     (the renderer, which coalesces wakeups);
 *   - status: written under `lock`, then on_status() rings the loop's
 *     doorbell; the loop reads a copy with source_status_get();
 *   - stop: the `stop` atomic, checked by the interrupt callback, so any
 *     blocking FFmpeg call returns promptly; waits (between reconnects,
 *     pacing a local input, a hidden stream's nap) sleep on `cond` and
 *     wake on stop; a nap also wakes when the loop turns the stream on
 *     (source_set_decode).
 *
 * Lock order: `lock` is a leaf; the mailbox lock is never taken under it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>

#include "decode/decode.h"
#include "source/gop.h"
#include "source/lag.h"
#include "source/mode.h"
#include "source/retry.h"
#include "source/source.h"
#include "source/worker.h"
#include "util/backoff.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/url.h"
#include "vigil/vigil.h"

/* RTP over UDP: the reordering a stream rides out (us). */
#define RTP_REORDER_US 300000

const char *source_state_name(enum source_state st)
{
    switch (st) {
    case SOURCE_CONNECTING: return "connecting";
    case SOURCE_LIVE: return "live";
    case SOURCE_DOWN: return "down";
    }
    return "?";
}

void worker_set_state(struct source *s, enum source_state st,
                      const char *reason, int64_t retry_in)
{
    pthread_mutex_lock(&s->lock);
    int changed = s->st.state != st || strcmp(s->st.reason, reason);
    s->st.state = st;
    snprintf(s->st.reason, sizeof(s->st.reason), "%s", reason);
    s->st.retry_in_ns = retry_in;
    if (changed) {
        s->st.seq++;
    }
    pthread_mutex_unlock(&s->lock);
    if (changed && s->p.on_status) {
        s->p.on_status(s->p.cb_ctx);
    }
}

/*
 * libavformat calls this before each read of the socket. While
 * connecting, reads are also counted: RTSP replies are read a byte per
 * call, so a server that answers with an endless header or a flood of
 * noise would otherwise keep a core busy for the whole connect timeout,
 * on every retry. Real handshakes and probes took 1,800-2,200 reads
 * (H.264 up to 1080p, HEVC, MJPEG, UDP; `vigil -v` logs the count).
 */
#define CONNECT_CHECKS 200000L
#define CLOSE_GRACE_NS (200 * VT_MS)

static int interrupt_cb(void *opaque)
{
    struct source *s = opaque;
    if (s->closing_until) {
        return vt_mono_ns() > s->closing_until;
    }
    if (atomic_load(&s->stop)) {
        return 1;
    }
    if (s->deadline && vt_mono_ns() > s->deadline) {
        s->timed_out = 1;
        return 1;
    }
    if (s->checks_left && --s->checks_left == 0) {
        s->flooded = 1;
        return 1;
    }
    return 0;
}

/* Sleep until `until` (monotonic ns) or stop. Returns 1 when stopping. */
static int wait_until(struct source *s, int64_t until)
{
    pthread_mutex_lock(&s->lock);
    while (!atomic_load(&s->stop)) {
        int64_t now = vt_mono_ns();
        if (now >= until) {
            break;
        }
        vt_cond_wait_until(&s->cond, &s->lock, until);
    }
    pthread_mutex_unlock(&s->lock);
    return atomic_load(&s->stop);
}

/* err: an error code in Vigil's convention (see decode_error_from_av). */
static enum source_fault classify(int err)
{
    if (err == VIGIL_EAUTH || err == -EACCES) {
        return SOURCE_FAULT_AUTH;
    }
    if (err == -ENOENT) {
        return SOURCE_FAULT_NOT_FOUND;
    }
    if (err == VIGIL_EEOF || err == VIGIL_ESTREAM || err == -ENOSYS) {
        return SOURCE_FAULT_STREAM;
    }
    return SOURCE_FAULT_NETWORK;
}

/* A human reason for a failed call, without the URL. err is FFmpeg's
 * own code (for its message) or, from the decoder, Vigil's. */
void worker_describe(struct source *s, int err, const char *what, char *buf,
                     size_t size)
{
    if (err <= VIGIL_ECONFIG && err > VIGIL_ECONFIG - 1000) {
        snprintf(buf, size, "%s failed: %s", what, vigil_strerror(err));
        return;
    }
    if (s->timed_out) {
        snprintf(buf, size, "%s timed out", what);
    } else if (s->flooded) {
        snprintf(buf, size, "%s flooded: no stream after %ld reads", what,
                 CONNECT_CHECKS);
    } else if (err == AVERROR_EOF) {
        snprintf(buf, size, "end of stream");
    } else if (err == AVERROR(ECONNREFUSED)) {
        snprintf(buf, size, "connection refused");
    } else if (err == AVERROR_HTTP_UNAUTHORIZED) {
        snprintf(buf, size, "authentication failed (401)");
    } else if (err == AVERROR_HTTP_FORBIDDEN) {
        snprintf(buf, size, "access forbidden (403)");
    } else if (err == AVERROR_HTTP_NOT_FOUND || err == AVERROR(ENOENT)) {
        snprintf(buf, size, "stream not found (404)");
    } else {
        char e[AV_ERROR_MAX_STRING_SIZE];
        av_strerror(err, e, sizeof(e));
        snprintf(buf, size, "%s failed: %s", what, e);
    }
}

static int open_input(struct source *s, struct session *ss,
                      enum cfg_transport transport)
{
    const AVInputFormat *ifmt = NULL;
    const char *url = s->url;
    AVDictionary *opts = NULL;
    if (!strncmp(url, "lavfi:", 6)) {
        ifmt = av_find_input_format("lavfi");
        url += 6;
    }
    if (!strncmp(url, "rtsp://", 7) || !strncmp(url, "rtsps://", 8)) {
        av_dict_set(&opts, "rtsp_transport",
                    transport == CFG_TRANSPORT_UDP ? "udp" : "tcp", 0);
        /* socket timeout (us) as a second line of defence, a second
         * after the interrupt callback's deadline: that one must end a
         * silent read (libavformat then flushes its parser, a packet
         * stream_loop knows to drop) */
        av_dict_set_int(&opts, "timeout",
                        (s->p.read_timeout_ns + VT_S) / 1000, 0);
        if (transport == CFG_TRANSPORT_UDP) {
            /* How long a datagram waits for one missing before it: a
             * network's jitter reorders packets by more than FFmpeg's
             * 100 ms, and each one declared lost can cost a GOP. */
            av_dict_set_int(&opts, "max_delay", RTP_REORDER_US, 0);
        }
    }
    /* Only the protocols the camera's scheme needs: a server, playlist or
     * redirect cannot send it to local files or anything else. */
    const char *protocols = url_protocols(url_kind(s->url));
    if (protocols) {
        av_dict_set(&opts, "protocol_whitelist", protocols, 0);
    }
    /* Tiny probing: a camera's codec parameters come from the SDP or the
     * first keyframe; default probing costs seconds per connect. */
    av_dict_set(&opts, "probesize", "32768", 0);
    av_dict_set(&opts, "analyzeduration", "0", 0);

    ss->fmt = avformat_alloc_context();
    if (!ss->fmt) {
        av_dict_free(&opts);
        return -ENOMEM;
    }
    ss->fmt->interrupt_callback =
        (AVIOInterruptCB){ .callback = interrupt_cb, .opaque = s };
    s->timed_out = 0;
    s->flooded = 0;
    s->checks_left = CONNECT_CHECKS;
    s->deadline = vt_mono_ns() + atomic_load(&s->connect_timeout_ns);
    int ret = avformat_open_input(&ss->fmt, url, ifmt, &opts);
    av_dict_free(&opts);
    return ret; /* on failure avformat_open_input freed fmt */
}

static int open_session(struct source *s, struct session *ss, char *why,
                        size_t why_size, int *err)
{
    enum cfg_transport used = s->p.transport;
    int ret = open_input(s, ss, used);
    if (ret == AVERROR(EPROTONOSUPPORT) && used == CFG_TRANSPORT_AUTO) {
        /* 461 Unsupported Transport on TCP: the server only does UDP. */
        VLOG_INFO(s->log, "server refused RTSP over TCP; trying UDP");
        used = CFG_TRANSPORT_UDP;
        ret = open_input(s, ss, used);
    }
    /* Over TCP, packets wait in the socket while the reader naps; over
     * UDP a nap could overflow the socket's buffer and lose them. */
    ss->naps = url_kind(s->url) == URL_RTSP && used != CFG_TRANSPORT_UDP;
    /* what the camera's reason says once it is live */
    snprintf(s->live_reason, sizeof(s->live_reason), "%s",
             url_kind(s->url) != URL_RTSP   ? "live"
             : used == CFG_TRANSPORT_UDP ? "live, RTSP over UDP"
                                         : "live, RTSP over TCP");
    if (ret < 0) {
        worker_describe(s, ret, "connect", why, why_size);
        return *err = decode_error_from_av(ret);
    }
    pthread_mutex_lock(&s->lock);
    s->st.connected_ns = vt_mono_ns();
    s->st.session_packets = s->st.session_frames = 0;
    s->st.lag_ns = 0;
    s->st.decoding = false;
    pthread_mutex_unlock(&s->lock);
    ret = avformat_find_stream_info(ss->fmt, NULL);
    if (ret < 0) {
        worker_describe(s, ret, "probe", why, why_size);
        return *err = decode_error_from_av(ret);
    }
    ss->stream = av_find_best_stream(ss->fmt, AVMEDIA_TYPE_VIDEO, -1, -1,
                                     NULL, 0);
    if (ss->stream < 0) {
        snprintf(why, why_size, "no video stream");
        return *err = decode_error_from_av(ss->stream);
    }
    for (unsigned i = 0; i < ss->fmt->nb_streams; i++) {
        if ((int)i != ss->stream) {
            ss->fmt->streams[i]->discard = AVDISCARD_ALL;
        }
    }
    AVStream *st = ss->fmt->streams[ss->stream];
    /* a decoder now, to know the stream decodes (and on what); the
     * loop's wishes set it up on the first packet decoded */
    struct source_decode first = mode_unpack(atomic_load(&s->want));
    first = (struct source_decode){ .hwaccel = first.hwaccel, .threads = 1 };
    ret = decoder_create(&ss->dec, st->codecpar, mode_hw(first.hwaccel), 1,
                         &s->p.caps, s->log);
    ss->dec_mode = mode_pack(&first);
    pthread_mutex_lock(&s->lock);
    s->st.threads = 1;
    pthread_mutex_unlock(&s->lock);
    if (ret < 0) {
        snprintf(why, why_size, "cannot decode %s",
                 avcodec_get_name(st->codecpar->codec_id));
        return *err = -ENOSYS;
    }
    ss->pkt = av_packet_alloc();
    if (!ss->pkt) {
        snprintf(why, why_size, "out of memory");
        return *err = -ENOMEM;
    }
    /* Local inputs play at their own pace, as if live; so does HLS, which
     * arrives a segment at a time (and starts segments behind the live
     * edge: paced, pictures come evenly instead of in bursts that look
     * like stalls between them). */
    ss->paced = !url_is_network(s->url) ||
                !strcmp(ss->fmt->iformat->name, "hls");
    const AVCodecDescriptor *desc = avcodec_descriptor_get(
        st->codecpar->codec_id);
    ss->intra_only = desc && (desc->props & AV_CODEC_PROP_INTRA_ONLY);
    AVRational fr = st->avg_frame_rate.num ? st->avg_frame_rate
                                           : st->r_frame_rate;
    ss->frame_ns =
        fr.num > 0 && fr.den > 0 ? (int64_t)VT_S * fr.den / fr.num : 0;
    pthread_mutex_lock(&s->lock);
    s->st.frame_interval_ns = ss->frame_ns;
    s->st.width = st->codecpar->width;
    s->st.height = st->codecpar->height;
    snprintf(s->st.codec, sizeof(s->st.codec), "%s",
             avcodec_get_name(st->codecpar->codec_id));
    snprintf(s->st.hwaccel, sizeof(s->st.hwaccel), "%s",
             decoder_hwaccel(ss->dec));
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static void close_session(struct source *s, struct session *ss)
{
    gop_cache_free(&ss->gop);
    s->dec_errors_seen = 0;
    av_packet_free(&ss->pkt);
    av_frame_free(&ss->held);
    decoder_destroy(ss->dec);
    /* A server is told the session ends (libavformat's RTSP close sends
     * TEARDOWN), even on the way out, within a short grace: a dead server
     * costs at most CLOSE_GRACE_NS, in parallel across cameras. */
    s->closing_until = vt_mono_ns() + CLOSE_GRACE_NS;
    avformat_close_input(&ss->fmt);
    s->closing_until = 0;
    memset(ss, 0, sizeof(*ss));
}

/* A packet's media time in nanoseconds, or AV_NOPTS_VALUE. */
static int64_t media_ns(const struct session *ss, const AVPacket *pkt)
{
    int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
    if (ts == AV_NOPTS_VALUE) {
        return AV_NOPTS_VALUE;
    }
    AVRational tb = ss->fmt->streams[pkt->stream_index]->time_base;
    return av_rescale_q(ts, tb, (AVRational){ 1, 1000000000 });
}

/* For local inputs, wait until the packet's presentation time so a file or
 * lavfi graph plays in real time like a camera. Returns 1 when stopping. */
static int pace(struct source *s, struct session *ss, int64_t t_ns,
                int64_t now)
{
    if (!ss->paced || t_ns == AV_NOPTS_VALUE) {
        return 0;
    }
    int64_t target = ss->pace_origin_ns + (t_ns - ss->pace_origin_pts);
    /* First packet, a timestamp jump, or far behind: restart the clock. */
    if (!ss->pace_origin_ns || target > now + VT_S || target < now - VT_S) {
        ss->pace_origin_ns = now;
        ss->pace_origin_pts = t_ns;
        return 0;
    }
    return wait_until(s, target);
}

/* Bookkeeping after each packet, under one lock: counters, the time the
 * decoder took (0 when it did not run) and its error count. A hidden
 * camera counts as live once it delivers a keyframe: its stream is
 * healthy, it just is not decoded. */
void worker_packet_seen(struct source *s, struct session *ss, int size,
                        int64_t decode_ns, int64_t wait_ns, bool hidden_live,
                        bool shed)
{
    bool became_live = false;
    unsigned long errors = ss->dec ? decoder_errors(ss->dec) : 0;
    pthread_mutex_lock(&s->lock);
    s->st.packets++;
    s->st.session_packets++;
    s->st.bytes += (uint64_t)size;
    s->st.decode_ns += (uint64_t)decode_ns;
    s->st.decode_wait_ns += (uint64_t)wait_ns;
    s->st.decode_errors += errors - s->dec_errors_seen;
    s->dec_errors_seen = errors;
    s->st.last_packet_ns = vt_mono_ns();
    s->st.decoding = ss->decoding;
    s->st.lag_ns = lag_clock_held(&ss->lag);
    s->st.shed_frames += shed;
    s->st.gop_cache_bytes = ss->gop.bytes;
    if (hidden_live && s->st.state != SOURCE_LIVE) {
        became_live = true;
    }
    pthread_mutex_unlock(&s->lock);
    if (became_live) {
        worker_set_state(s, SOURCE_LIVE, s->live_reason, 0);
    }
}

/*
 * A hidden stream is read for its health and its GOP cache, not to be
 * seen: its reader need not wake at every packet. Once a read has waited
 * for the network (NAP_AFTER_WAIT_NS: longer than a busy machine keeps a
 * reader of data already there from running), the socket was empty, and
 * the reader naps and lets the next packets gather there, to read them
 * in one go; a backlog is read with no nap. (Napping on the packet's lag
 * instead let a queue stand: lag.c's baseline is the best of 30-60 s,
 * and a server's send times jitter by tens of milliseconds.) Measured
 * with 64 hidden 360p cameras (15 fps, RTSP over TCP): 1,226 context
 * switches a second and 0.062-0.065 cores without naps, about 600 and
 * 0.047-0.050 with 200 ms naps. A hidden camera's packets are seen up to
 * one nap late, which the loop keeps under its stall budget
 * (source_set_nap); being shown, or stopped, ends a nap at once.
 */
#define NAP_AFTER_WAIT_NS (5 * VT_MS)

static void nap(struct source *s, int64_t until)
{
    pthread_mutex_lock(&s->lock);
    while (!atomic_load(&s->stop) && !(atomic_load(&s->want) & MODE_ON) &&
           vt_mono_ns() < until) {
        vt_cond_wait_until(&s->cond, &s->lock, until);
    }
    pthread_mutex_unlock(&s->lock);
}

/* Read and decode until an error or stop. */
static int stream_loop(struct source *s, struct session *ss, char *why,
                       size_t why_size, int *err)
{
    int ret = 0;
    if (s->checks_left) {
        VLOG_DEBUG(s->log, "streaming after %ld reads",
                   CONNECT_CHECKS - s->checks_left);
        s->checks_left = 0;
    }
    while (!atomic_load(&s->stop)) {
        s->timed_out = 0;
        int64_t t_read = vt_mono_ns();
        s->deadline = t_read + s->p.read_timeout_ns;
        ret = av_read_frame(ss->fmt, ss->pkt);
        if (ret >= 0 && (s->timed_out || atomic_load(&s->stop))) {
            /* The interrupt ended the read and libavformat flushed its
             * parser: an old picture, not a sign of life. */
            av_packet_unref(ss->pkt);
            ret = AVERROR_EXIT;
        }
        if (ret < 0) {
            *err = decode_error_from_av(ret);
            worker_describe(s, ret, "read", why, why_size);
            if (s->timed_out) {
                snprintf(why, why_size, "no data for %.1f s",
                         s->p.read_timeout_ns / 1e9);
            }
            return *err;
        }
        if (ss->pkt->stream_index != ss->stream) {
            av_packet_unref(ss->pkt);
            continue;
        }
        int size = ss->pkt->size;
        int64_t t_ns = media_ns(ss, ss->pkt), now = vt_mono_ns(), lag = 0;
        if (t_ns != AV_NOPTS_VALUE) {
            lag = lag_clock_update(&ss->lag, now, t_ns);
        }
        if (pace(s, ss, t_ns, now)) {
            av_packet_unref(ss->pkt);
            break;
        }
        bool key = (ss->pkt->flags & AV_PKT_FLAG_KEY) || ss->intra_only;
        const AVPacket *pkt = gop_cache_add(&ss->gop, ss->pkt, key);
        key_cadence_update(&ss->keys, key && !ss->intra_only, t_ns, lag);
        uint64_t mode = atomic_load(&s->want);
        bool on = mode & MODE_ON;
        if (!on || ((mode & MODE_KEYFRAMES) && !key)) {
            /* hidden: read, cache, watch; do not decode. Shed (shown,
             * keyframes only): the same for every other picture. */
            av_packet_unref(ss->pkt);
            if (!on) {
                decoding_release(s, ss);
            } else if (ss->decoding) {
                decoding_pause(s, ss);
            }
            worker_packet_seen(s, ss, size, 0, 0, ss->gop.valid, on);
            int64_t nap_ns = atomic_load(&s->nap_ns);
            if (!on && ss->naps && nap_ns > 0 &&
                now - t_read > NAP_AFTER_WAIT_NS) {
                nap(s, now + nap_ns);
            }
            continue;
        }
        if (!ss->decoding && !ss->gop.valid) {
            av_packet_unref(ss->pkt);
            worker_packet_seen(s, ss, size, 0, 0, false, false);
            continue; /* wait for a keyframe */
        }
        if (!ss->decoding &&
            key_cadence_waits(&ss->keys, key, t_ns, now,
                              atomic_load(&s->show_at_ns))) {
            /* pre-rolling: a keyframe comes in time; be ready for it */
            av_packet_unref(ss->pkt);
            if ((ret = decoding_prepare(s, ss, mode, why, why_size)) < 0) {
                return *err = ret;
            }
            worker_packet_seen(s, ss, size, 0, 0, true, false);
            continue;
        }
        if ((ret = decoding_run(s, ss, pkt, mode, size, why, why_size)) < 0) {
            return *err = ret;
        }
    }
    return 0;
}

/* After the backoff, wait for this reconnect's turn (slots are taken in
 * the order cameras become due). A first connect is not paced, so a wall
 * starts at once. Returns non-zero when stopped. */
static int wait_paced(struct source *s)
{
    struct source_pacer *sp = s->p.pacer;
    if (!sp) {
        return atomic_load(&s->stop);
    }
    return wait_until(s, source_pacer_slot(sp, vt_mono_ns()));
}

static void *worker(void *arg)
{
    struct source *s = arg;
    char why[160], msg[192];
    size_t n = strlen(s->name);
    bool sub = n > 4 && !strcmp(s->name + n - 4, "/sub");
    vt_thread_name("%s:%.*s", sub ? "sub" : "cam", (int)(sub ? n - 4 : n),
                   s->name);
    while (!atomic_load(&s->stop)) {
        worker_set_state(s, SOURCE_CONNECTING, "connecting", 0);
        struct session ss = { 0 };
        int64_t started = vt_mono_ns();
        int err = 0;
        why[0] = 0;
        if (open_session(s, &ss, why, sizeof(why), &err) >= 0) {
            VLOG_DEBUG(s->log, "connected");
            stream_loop(s, &ss, why, sizeof(why), &err);
        }
        pthread_mutex_lock(&s->lock);
        struct retry_in in = {
            .ran_ns = vt_mono_ns() - started,
            .streamed_ns = s->st.connected_ns
                               ? vt_mono_ns() - s->st.connected_ns : 0,
            .err = err,
            .test_pattern = !strncmp(s->url, "lavfi:", 6),
        };
        pthread_mutex_unlock(&s->lock);
        close_session(s, &ss);
        if (atomic_load(&s->stop)) {
            break;
        }
        in.timed_out = s->timed_out;
        in.fault = s->timed_out ? SOURCE_FAULT_NETWORK : classify(err);
        struct retry_out plan;
        retry_plan(&s->backoff, &in, &plan);
        pthread_mutex_lock(&s->lock);
        s->st.reconnects++;
        s->st.connected_ns = 0;
        if (!plan.quiet) {
            s->st.fault = in.fault;
        }
        pthread_mutex_unlock(&s->lock);
        if (plan.quiet) {
            VLOG_INFO(s->log, "%s; reconnecting", why);
            if (wait_paced(s)) {
                break;
            }
            continue;
        }
        int64_t delay = plan.delay_ns;
        snprintf(msg, sizeof(msg), "%s; retrying in %.1f s", why,
                 delay / 1e9);
        worker_set_state(s, SOURCE_DOWN, msg, delay);
        int suppressed;
        if (vlog_ratelimit_allow(&s->errlog, vt_mono_ns(), &suppressed)) {
            VLOG_WARN(s->log, "%s%s", msg,
                      suppressed ? " (similar messages suppressed)" : "");
        }
        if (wait_until(s, vt_mono_ns() + delay) || wait_paced(s)) {
            break;
        }
    }
    return NULL;
}

struct source *source_create(const struct source_params *p)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, avdevice_register_all);
    struct source *s = xzalloc(sizeof(*s));
    s->p = *p;
    s->url = xstrdup(p->url);
    s->name = xstrdup(p->name);
    s->p.url = s->url;
    s->p.name = s->name;
    if (!s->p.read_timeout_ns) {
        s->p.read_timeout_ns = SOURCE_READ_TIMEOUT_NS;
    }
    atomic_init(&s->connect_timeout_ns, p->connect_timeout_ns);
    atomic_init(&s->nap_ns, p->nap_ns);
    atomic_init(&s->show_at_ns, 0);
    s->log = vlog_create(NULL, "camera/%s", p->name);
    backoff_init(&s->backoff, VT_S, 30 * VT_S, p->seed);
    s->errlog = (struct vlog_ratelimit){ .interval_ns = 60 * VT_S,
                                         .burst = 3 };
    atomic_init(&s->stop, false);
    atomic_init(&s->want, mode_pack(&p->decode));
    pthread_mutex_init(&s->lock, NULL);
    vt_cond_init_mono(&s->cond);
    char redacted[512];
    url_redact(s->url, redacted, sizeof(redacted));
    VLOG_DEBUG(s->log, "source %s", redacted);
    if (pthread_create(&s->thread, NULL, worker, s) != 0) {
        VLOG_ERR(s->log, "cannot start the worker thread");
        s->thread = 0;
        source_destroy(s);
        return NULL;
    }
    return s;
}

void source_stop(struct source *s)
{
    if (!s) {
        return;
    }
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stop, true);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

void source_destroy(struct source *s)
{
    if (!s) {
        return;
    }
    source_stop(s);
    if (s->thread) {
        pthread_join(s->thread, NULL);
    }
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
    vlog_destroy(s->log);
    free(s->url);
    free(s->name);
    free(s);
}

void source_set_nap(struct source *s, int64_t ns)
{
    atomic_store(&s->nap_ns, ns);
}

void source_set_connect_timeout(struct source *s, int64_t ns)
{
    atomic_store(&s->connect_timeout_ns, ns);
}

void source_set_decode(struct source *s, const struct source_decode *d)
{
    uint64_t v = mode_pack(d);
    atomic_store(&s->show_at_ns, d->on ? d->show_at_ns : 0);
    uint64_t old = atomic_exchange(&s->want, v);
    if ((v & MODE_ON) && !(old & MODE_ON)) {
        /* shown: end a nap (under the lock, so that none misses it) */
        pthread_mutex_lock(&s->lock);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
    }
}

void source_status_get(struct source *s, struct source_status *out)
{
    /* read before the status: busy and then the packet it ends with */
    int64_t busy = atomic_load(&s->busy_since);
    pthread_mutex_lock(&s->lock);
    *out = s->st;
    pthread_mutex_unlock(&s->lock);
    out->busy_since_ns = busy;
}
