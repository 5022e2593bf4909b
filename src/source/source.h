/*
 * Camera source: one worker thread per camera that connects with
 * libavformat, reads packets, decodes them and moves each frame into the
 * camera's mailbox. It reconnects by itself with exponential backoff and
 * jitter, and publishes its status for the loop thread to read.
 *
 * Any FFmpeg input works: rtsp:// (TCP, UDP, or TCP falling back to UDP),
 * other network URLs, local files and lavfi graphs ("lavfi:color=..."),
 * the last two paced at their own frame rate as if live.
 *
 * Threads: the worker owns every FFmpeg object; every blocking call is
 * aborted through the interrupt callback (stop flag or deadline). Other
 * threads only call source_stop(), source_destroy(), the setters
 * (source_set_decode, _nap, _connect_timeout) and source_status_get().
 */
#ifndef VIGIL_SOURCE_H
#define VIGIL_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "frame/caps.h"
#include "layout/layout.h"

struct decode_slots;
struct mailbox;
struct vlog;
struct source;

enum source_state {
    SOURCE_CONNECTING,
    SOURCE_LIVE,
    SOURCE_DOWN,
};

/* Why the last session failed, for telling alert conditions apart. */
enum source_fault {
    SOURCE_FAULT_NONE,
    SOURCE_FAULT_NETWORK,    /* refused, reset, unreachable, DNS, timeout */
    SOURCE_FAULT_AUTH,       /* 401 / 403 */
    SOURCE_FAULT_NOT_FOUND,  /* 404 */
    SOURCE_FAULT_STREAM,     /* end of stream, no video, cannot decode */
};

struct source_status {
    enum source_state state;
    enum source_fault fault; /* when DOWN */
    char reason[192];        /* human sentence, credentials never included */
    int64_t last_frame_ns;   /* monotonic; 0: never */
    int64_t frame_interval_ns; /* nominal, from the stream; 0: unknown */
    int width, height;
    char codec[24];
    char hwaccel[16];        /* "none", "cuda", "vaapi": what decodes */
    int64_t connected_ns;    /* session opened (monotonic); 0: none */
    uint64_t session_packets, session_frames; /* in the current session */
    uint64_t frames;         /* decoded since start */
    uint64_t packets;
    uint64_t bytes;          /* video bytes read */
    uint64_t decode_ns;      /* time spent in the decoder */
    uint64_t decode_wait_ns; /* time spent waiting for a decode slot */
    uint64_t reconnects;
    uint64_t decode_errors;
    int64_t retry_in_ns;     /* when DOWN: delay before the next attempt */
    int64_t last_packet_ns;  /* monotonic; 0: never */
    bool decoding;           /* decoding now (the camera is wanted) */
    int64_t busy_since_ns;   /* waiting for a decode slot or decoding
                              * (a GOP catch-up too), reading nothing,
                              * since then (monotonic); 0: not */
    int64_t lag_ns;          /* packets read this much later than the
                              * camera's pace, held through the last
                              * whole second (source/lag.h) */
    uint64_t gop_cache_bytes; /* packets held since the last keyframe */
    uint64_t shed_frames;    /* shown but skipped: keyframes-only shedding */
    int threads;             /* decoder threads now */
    uint64_t seq;            /* bumped on every state change */
};

/* No packet for this long while streaming: the camera is down. */
#define SOURCE_READ_TIMEOUT_NS (5 * INT64_C(1000000000))

/* How a camera is decoded, as the loop thread wants it now. */
struct source_decode {
    bool on;               /* decode (else read, cache and watch only) */
    /* On but not yet shown (pre-rolling): when it will be, vt_mono_ns()
     * (0: shown now). Until a little before then, decoding may wait for
     * the next keyframe instead of catching up on the GOP cache. */
    int64_t show_at_ns;
    bool keyframes_only;   /* shed load: skip every other picture */
    bool skip_loop_filter; /* small tile: skip deblocking */
    enum cfg_hwaccel hwaccel; /* a change rebuilds the decoder */
    int threads;           /* 1, or frame threads for one large tile */
    int tile_w, tile_h;    /* the largest tile it is shown in (0: none) */
    enum layout_fit fit;   /* how pictures are fitted into tiles */
    bool nearest;          /* scale them by the nearest neighbour */
};

struct source_params {
    const char *name;        /* camera id, for the log handle */
    const char *url;
    enum cfg_transport transport;
    /* Frames are moved into it; it wakes its consumer. Borrowed; must
     * outlive the source. */
    struct mailbox *mailbox;
    /* What the mailbox's consumer takes (the decode-render contract). */
    struct frame_caps caps;
    /* Called from the worker after a state change (must be cheap and
     * thread-safe: it rings the loop's doorbell). */
    void (*on_status)(void *ctx);
    void *cb_ctx;
    uint64_t seed;           /* jitter seed: differs per camera */
    int64_t connect_timeout_ns; /* socket to first packet; see also
                                 * source_set_connect_timeout */
    int64_t read_timeout_ns;    /* 0: SOURCE_READ_TIMEOUT_NS */
    int64_t nap_ns;             /* see source_set_nap; 0: never */
    struct source_pacer *pacer; /* borrowed: reconnect pacing shared with
                                 * other sources; NULL: none */
    struct decode_slots *slots; /* borrowed: the decode slot pool shared
                                 * with other sources */
    struct source_decode decode; /* the first wish; see source_set_decode */
};

/*
 * Reconnect pacing shared by many sources: once its backoff is over, a
 * source's reconnect waits for the next free slot, slots interval_ns
 * apart (see pacer_slot), so cameras that failed together come back one
 * after another. Thread-safe; must outlive the sources using it.
 * Destroy accepts NULL.
 */
struct source_pacer *source_pacer_create(int64_t interval_ns);
void source_pacer_destroy(struct source_pacer *p);

/* NULL (logged) when the worker thread cannot start. */
struct source *source_create(const struct source_params *p);

/*
 * Decode or not, and how. A camera nobody sees is still read (keepalives flow, its
 * health is watched from packet arrival) but not decoded; its packets
 * since the last keyframe are kept (by reference, bounded in bytes). When
 * decoding is wanted again, that cache is decoded flat out and only the
 * newest picture goes to the mailbox, so the camera shows at once. Any
 * thread.
 */
void source_set_decode(struct source *s, const struct source_decode *d);
/* From the next connect on. Any thread. */
void source_set_connect_timeout(struct source *s, int64_t ns);
/* How long a hidden stream's reader may nap between bursts of reading
 * (RTSP over TCP only; 0: never). Its packets are then seen up to that
 * late, so it must stay well under the stall budget. Any thread. */
#define SOURCE_NAP_NS (200 * INT64_C(1000000))
void source_set_nap(struct source *s, int64_t ns);
/* Ask the worker to stop, without waiting: any blocking call is aborted
 * and the session closed (an RTSP server is sent its TEARDOWN, within
 * 200 ms). Accepts NULL. */
void source_stop(struct source *s);
/* Stop the worker, wait for it, and free. Accepts NULL. */
void source_destroy(struct source *s);
void source_status_get(struct source *s, struct source_status *out);

const char *source_state_name(enum source_state st);

#endif
