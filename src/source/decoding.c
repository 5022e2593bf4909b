/*
 * A camera's decoding, on its worker thread (see worker.h): the decoder
 * set up as the loop's mode asks, the GOP catch-up of a camera coming into
 * view, and its pictures moved into the mailbox.
 */
#include <errno.h>
#include <stdio.h>

#include <libavcodec/avcodec.h>

#include "decode/decode.h"
#include "decode/slots.h"
#include "frame/mailbox.h"
#include "frame/stamp.h"
#include "source/mode.h"
#include "source/worker.h"
#include "util/time.h"
#include "vigil/vigil.h"

static void frame_done(struct source *s, int w, int h)
{
    int64_t now = vt_mono_ns();
    int first;
    pthread_mutex_lock(&s->lock);
    first = s->st.state != SOURCE_LIVE;
    /* a picture means decoding, even before this packet's bookkeeping
     * (which may come after a long catch-up) says so */
    s->st.decoding = true;
    s->st.last_frame_ns = now;
    s->st.frames++;
    s->st.session_frames++;
    s->st.width = w;
    s->st.height = h;
    pthread_mutex_unlock(&s->lock);
    if (first) {
        worker_set_state(s, SOURCE_LIVE, s->live_reason, 0);
    }
}

/* Move a decoded picture into the mailbox. A live picture (not one
 * replayed from the GOP cache) is stamped with its capture time when the
 * camera sends RTCP sender reports: libavformat then knows the
 * wall-clock time of timestamp 0. */
static void put(struct source *s, struct session *ss, AVFrame **f, bool live)
{
    int64_t origin = ss->fmt->start_time_realtime;
    if (live && origin != AV_NOPTS_VALUE && origin > 0 &&
        (*f)->best_effort_timestamp != AV_NOPTS_VALUE) {
        AVRational tb = ss->fmt->streams[ss->stream]->time_base;
        frame_stamp_set(*f, origin + av_rescale_q((*f)->best_effort_timestamp,
                                                  tb, AV_TIME_BASE_Q));
    }
    mailbox_put(s->p.mailbox, f);
}

/* A picture decoded: counted, and a sign of health, whether it is put
 * in the mailbox now or held back. */
static void decoded(struct source *s, struct session *ss)
{
    int w, h;
    decoder_size(ss->dec, &w, &h);
    frame_done(s, w, h);
}

/* A broken frame is skipped, not a reason to reconnect. */
static void skipped(struct source *s)
{
    pthread_mutex_lock(&s->lock);
    s->st.decode_errors++;
    pthread_mutex_unlock(&s->lock);
}

/* Send one packet and move every picture it yields into the mailbox
 * (or, with hold, keep only the newest in *hold, not yet converted:
 * decoder_finish). Returns the number of pictures or a negative error
 * code. */
static int decode_packet(struct source *s, struct session *ss,
                         const AVPacket *pkt, AVFrame **hold)
{
    int ret = decoder_send(ss->dec, pkt), n = 0;
    if (ret < 0) {
        return ret;
    }
    AVFrame *f;
    while ((ret = hold ? decoder_receive_raw(ss->dec, &f)
                       : decoder_receive(ss->dec, &f)) == 0) {
        n++;
        if (hold) {
            av_frame_free(hold);
            *hold = f;
            continue;
        }
        put(s, ss, &f, true);
        decoded(s, ss); /* live once the mailbox has a picture */
    }
    if (ret != -EAGAIN && ret != VIGIL_EEOF && ret < 0) {
        skipped(s);
    }
    return n;
}

/* Hand the held picture on, converted and scaled, unless the camera
 * still pre-rolls (holds). */
static void release_held(struct source *s, struct session *ss, bool holds)
{
    if (!ss->held || holds) {
        return;
    }
    if (decoder_finish(ss->dec, &ss->held) < 0) {
        skipped(s);
    }
    if (ss->held) {
        put(s, ss, &ss->held, ss->held_live);
    }
}

/* Whether the camera still pre-rolls, going by the stream's frame rate
 * or, when pictures come further apart (RTSP's rates are often unknown
 * or wrong, cameras vary theirs), the last gap between two. */
static bool holds_now(struct source *s, struct session *ss)
{
    int64_t every = ss->frame_ns > ss->pic_gap_ns ? ss->frame_ns
                                                  : ss->pic_gap_ns;
    return preroll_holds(vt_mono_ns(), atomic_load(&s->show_at_ns), every);
}

static void note_gap(struct session *ss)
{
    int64_t now = vt_mono_ns();
    ss->pic_gap_ns = ss->pic_at_ns ? now - ss->pic_at_ns : 0;
    ss->pic_at_ns = now;
}

/* Decode a packet as it is read. A camera pre-rolling for the next page
 * keeps only its newest picture, not converted, until the last pictures
 * before it shows (preroll_holds): the ones before would be scaled for a
 * tile that does not show them. */
static int decode_one(struct source *s, struct session *ss,
                      const AVPacket *pkt)
{
    bool holds = holds_now(s, ss);
    if (!holds && !ss->held) {
        int n = decode_packet(s, ss, pkt, NULL);
        return n < 0 ? n : 0;
    }
    if (!ss->held) {
        ss->pic_at_ns = 0; /* a new pre-roll: the gap is measured anew */
    }
    int n = decode_packet(s, ss, pkt, &ss->held);
    if (n < 0) {
        return n;
    }
    if (n > 0) {
        ss->held_live = true;
        note_gap(ss);
    }
    release_held(s, ss, holds);
    if (n > 0) {
        decoded(s, ss); /* after the mailbox has it, as below */
    }
    return 0;
}

/* Decode the whole GOP cache as fast as the decoder goes and show only
 * its newest picture, the only one converted and scaled (or held, when
 * the camera pre-rolls). */
static int catch_up(struct source *s, struct session *ss)
{
    av_frame_free(&ss->held);
    ss->pic_at_ns = 0; /* a held picture's gap is measured anew */
    for (int i = 0; i < ss->gop.n; i++) {
        int ret = decode_packet(s, ss, ss->gop.pkt[i], &ss->held);
        if (ret < 0) {
            av_frame_free(&ss->held);
            return ret;
        }
    }
    bool got = ss->held != NULL;
    ss->held_live = false;
    release_held(s, ss, holds_now(s, ss));
    if (got) {
        decoded(s, ss);
    }
    return 0;
}

/* Free the decoder (its picture pool is most of a hidden camera's
 * memory), counting its errors first; the next decode makes a new one. */
void decoding_release(struct source *s, struct session *ss)
{
    if (!ss->dec) {
        return;
    }
    unsigned long errors = decoder_errors(ss->dec);
    pthread_mutex_lock(&s->lock);
    s->st.decode_errors += errors - s->dec_errors_seen;
    pthread_mutex_unlock(&s->lock);
    s->dec_errors_seen = 0;
    av_frame_free(&ss->held);
    decoder_destroy(ss->dec);
    ss->dec = NULL;
    ss->decoding = false;
    VLOG_DEBUG(s->log, "decoder released");
}

void decoding_pause(struct source *s, struct session *ss)
{
    /* a camera shown (or about to be) keeps the picture it held */
    release_held(s, ss, holds_now(s, ss));
    av_frame_free(&ss->held);
    decoder_flush(ss->dec);
    ss->decoding = false;
}

/* Bring the decoder in line with what the loop asked for. A new thread
 * count or hwaccel needs a new decoder: it restarts from the GOP cache. */
static int apply_mode(struct source *s, struct session *ss, uint64_t mode)
{
    struct source_decode want = mode_unpack(mode);
    struct source_decode had = mode_unpack(ss->dec_mode);
    uint64_t setup = ~(MODE_ON | MODE_KEYFRAMES);
    if (ss->dec && (mode & setup) == (ss->dec_mode & setup)) {
        return 0; /* on and keyframes_only are the loop's business */
    }
    if (!ss->dec || want.threads != had.threads ||
        want.hwaccel != had.hwaccel) {
        struct decoder *dec;
        AVStream *st = ss->fmt->streams[ss->stream];
        int ret = decoder_create(&dec, st->codecpar, mode_hw(want.hwaccel),
                                 want.threads, &s->p.caps, s->log);
        if (ret < 0) {
            return ret;
        }
        decoding_release(s, ss);
        ss->dec = dec;
        pthread_mutex_lock(&s->lock);
        s->st.threads = want.threads;
        snprintf(s->st.hwaccel, sizeof(s->st.hwaccel), "%s",
                 decoder_hwaccel(dec));
        pthread_mutex_unlock(&s->lock);
        VLOG_DEBUG(s->log, "decoder threads: %d, hwaccel %s", want.threads,
                   decoder_hwaccel(dec));
    }
    decoder_set_skip(ss->dec, want.skip_loop_filter);
    decoder_set_box(ss->dec, want.tile_w, want.tile_h, want.fit,
                    want.nearest);
    ss->dec_mode = mode;
    return 0;
}

int decoding_prepare(struct source *s, struct session *ss, uint64_t mode,
                     char *why, size_t why_size)
{
    int ret = apply_mode(s, ss, mode);
    if (ret < 0) {
        worker_describe(s, ret, "decoder", why, why_size);
    }
    return ret;
}

/* Decode the packet read (or, becoming visible, the whole GOP cache) in
 * one of the pool's slots, set up as the loop wants it. */
int decoding_run(struct source *s, struct session *ss, const AVPacket *pkt,
                 uint64_t mode, int size, char *why, size_t why_size)
{
    /* No packet is read until this is done: a GOP catch-up on a slow
     * machine, a wait for a slot on a starved one. That is the wall
     * being slow, not the camera stalling. */
    atomic_store(&s->busy_since, vt_mono_ns());
    int64_t waited = decode_slot_take(s->p.slots);
    int64_t t0 = vt_mono_ns();
    int ret = decoding_prepare(s, ss, mode, why, why_size);
    if (ret < 0) {
        decode_slot_give(s->p.slots);
        atomic_store(&s->busy_since, 0);
        av_packet_unref(ss->pkt);
        return ret;
    }
    if (!ss->decoding) {
        /* becoming visible: decode the cache (it holds this packet too)
         * flat out; only the newest picture is shown */
        av_packet_unref(ss->pkt);
        ss->decoding = true;
        VLOG_DEBUG(s->log, "catching up on %d cached packets", ss->gop.n);
        ret = catch_up(s, ss);
    } else {
        ret = decode_one(s, ss, pkt);
        av_packet_unref(ss->pkt);
    }
    int64_t took = vt_mono_ns() - t0;
    decode_slot_give(s->p.slots);
    if (ret >= 0) {
        worker_packet_seen(s, ss, size, took, waited, false, false);
    }
    /* after the status says when this packet was seen: a reader never
     * sees neither busy nor the packet */
    atomic_store(&s->busy_since, 0);
    if (ret < 0) {
        worker_describe(s, ret, "decode", why, why_size);
        return ret;
    }
    return 0;
}
