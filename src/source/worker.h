/*
 * What the camera worker's two files share (private to src/source):
 * source.c connects, reads, naps and keeps the status; decoding.c decodes
 * what the loop wants shown (modes, the GOP catch-up, publishing). Both
 * run on the camera's worker thread; see source.c for the locking.
 */
#ifndef VIGIL_SOURCE_WORKER_H
#define VIGIL_SOURCE_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <libavcodec/packet.h>
#include <libavformat/avformat.h>

#include "source/cadence.h"
#include "source/gop.h"
#include "source/lag.h"
#include "source/source.h"
#include "util/backoff.h"
#include "util/log.h"

struct source {
    struct source_params p;
    atomic_uint_fast64_t want; /* packed struct source_decode */
    atomic_int_fast64_t connect_timeout_ns;
    char *url;
    char *name;
    struct vlog *log;
    pthread_t thread;
    atomic_bool stop;
    /* Deadline for the blocking call in progress (monotonic ns), set by
     * the worker. The interrupt callback reads these and sets the flags;
     * it runs on the worker, and also on libavformat's UDP receive
     * thread (its circular buffer), so they are atomic. */
    _Atomic int64_t deadline;
    atomic_int timed_out;
    /* Calls of the interrupt callback left before the stream starts
     * (see CONNECT_CHECKS); 0 once it streams. */
    atomic_long checks_left;
    atomic_int flooded;
    /* While a session closes: the moment its goodbye (RTSP TEARDOWN) must
     * be written by, stopping or not; 0 otherwise. */
    _Atomic int64_t closing_until;
    /* Since when the worker waits for a decode slot or decodes (GOP
     * catch-ups included); 0: it reads. Copied into the status. */
    _Atomic int64_t busy_since;
    _Atomic int64_t nap_ns; /* see source_set_nap */
    _Atomic int64_t show_at_ns; /* source_decode's */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct source_status st; /* protected by lock */

    unsigned long dec_errors_seen; /* decoder_errors() already counted */
    char live_reason[48];          /* "live, RTSP over TCP" (worker) */
    struct backoff backoff;
    struct vlog_ratelimit errlog;
};

struct session {
    AVFormatContext *fmt;
    struct decoder *dec;
    AVPacket *pkt;
    struct gop_cache gop;
    bool intra_only;    /* every packet is a keyframe (MJPEG, raw video) */
    bool decoding;
    uint64_t dec_mode;  /* packed source_decode the decoder was set up for */
    int stream;
    int paced;          /* local input: play at its own rate */
    int64_t pace_origin_ns, pace_origin_pts;
    struct lag_clock lag; /* how far reading lags behind the camera */
    bool naps;          /* RTSP over TCP: a hidden stream may nap */
    struct key_cadence keys; /* when the next keyframe should come */
    int64_t frame_ns;   /* the stream's frame interval (0: unknown) */
    /* Pre-rolling: the newest picture, decoded, not yet converted
     * (preroll_holds), and whether it is live (not from the GOP cache). */
    AVFrame *held;
    bool held_live;
    int64_t pic_at_ns, pic_gap_ns; /* while holding: pictures' arrival */
};

void worker_set_state(struct source *s, enum source_state st,
                      const char *reason, int64_t retry_in);
/* A human reason for a failed call (FFmpeg's err), without the URL. */
void worker_describe(struct source *s, int err, const char *what, char *buf,
                     size_t size);
/* Bookkeeping after each packet (see source.c). */
void worker_packet_seen(struct source *s, struct session *ss, int size,
                        int64_t decode_ns, int64_t wait_ns, bool hidden_live,
                        bool shed);

/* Decode the packet read (pkt: ss->pkt, or the GOP cache's newest; ss->pkt
 * is left blank) as `mode` asks, in one of the pool's decode slots.
 * Returns 0 or a negative error code (why set). */
int decoding_run(struct source *s, struct session *ss, const AVPacket *pkt,
                 uint64_t mode, int size, char *why, size_t why_size);
/* Set the decoder up as `mode` asks, ahead of decoding (a camera waiting
 * for its keyframe). Returns 0 or a negative error code (why set). */
int decoding_prepare(struct source *s, struct session *ss, uint64_t mode,
                     char *why, size_t why_size);
/* Free the decoder, counting its errors first. */
void decoding_release(struct source *s, struct session *ss);
/* Stop decoding and keep the decoder (shed to keyframes): the next
 * picture decoded starts from a keyframe again. */
void decoding_pause(struct source *s, struct session *ss);

#endif
