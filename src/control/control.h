/*
 * Control surface: an HTTP/1.1 server on the libuv loop (http-parser for
 * the protocol, uv_tcp for the transport) and the API's wire format. The
 * core offers typed commands and a typed status snapshot through `struct
 * control_ops`; this module owns everything on the wire: routes, JSON
 * bodies and documents, HTTP status codes, the event stream and the
 * Prometheus text. It never reaches into other modules.
 *
 * Routes:
 *   GET  /api/status, /api/cameras, /api/layouts, /api/plans, /api/alerts
 *   GET  /api/snapshot.png?screen=ID      answered later (render thread)
 *   GET  /api/events                      Server-Sent Events (broadcast)
 *   GET  /metrics                         Prometheus text
 *   POST /api/<command>                   JSON object body (see api.c)
 *   GET|POST|DELETE /api/session          console sign-in (session.c)
 *   GET  /, /<file>                       the web console's static files
 *
 * With a token set, every API request needs "Authorization: Bearer
 * <token>" or a console session cookie (POST /api/session trades the
 * token for one, session.c); the token is never read from a URL. The
 * console's static files need neither. Failures get 401 and are logged
 * without the token. Only GET, POST (and DELETE /api/session) are
 * answered, other methods 405. Requests are capped at 16 KiB and must
 * arrive within 10 s; at most 256 connections (503 beyond).
 *
 * Thread: the loop thread only.
 */
#ifndef VIGIL_CONTROL_H
#define VIGIL_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct vtz;
struct control;

/* ---- what the core reports ---- */

enum ctl_cam_state {
    CTL_CAM_CONNECTING,
    CTL_CAM_LIVE,
    CTL_CAM_STALLED,
    CTL_CAM_DOWN,
};

struct ctl_stream {
    const char *state;           /* "connecting", "live", "down" */
    int width, height;
    bool decoding;
    int threads;
    uint64_t packets, frames, shed_frames;
};

struct ctl_camera {
    const char *id, *name;
    enum ctl_cam_state state;
    char reason[192];
    const char *condition;       /* the alert condition; NULL: none */
    double fps, fps_in, fps_out; /* decoded, received, shown per second */
    int64_t last_frame_age_ms;   /* the stream shown; -1: never */
    int64_t last_packet_age_ms;  /* the same, read (hidden cameras too) */
    uint64_t frames, reconnects, dropped, decode_errors, shed_frames;
    uint64_t frames_shown, gop_cache_bytes, bytes;
    uint64_t decode_ns, decode_wait_ns;
    int width, height;           /* the stream shown */
    char codec[24], hwaccel[16];
    bool decoding;
    int64_t lag_ms;              /* reading behind the camera's pace (the
                                  * streams decoded, the worst) */
    bool behind;                 /* lag_ms over the load rule's limit */
    bool on_sub;                 /* the substream is shown */
    bool has_sub;
    struct ctl_stream main, sub; /* sub: only with has_sub */
    int latency_n;               /* glass to glass; 0: not measured */
    int64_t latency_p50, latency_p95, latency_max;
    const char *const *groups;
    int n_groups;
};

#define CTL_MAX_TILES 64

struct ctl_screen {
    const char *id;
    int width, height;
    const char *layout;          /* NULL: blank */
    int page, pages;
    int64_t page_started_ms;
    int64_t next_change_ms;      /* INT64_MAX: never */
    int n_tiles;
    const char *tiles[CTL_MAX_TILES]; /* camera ids; NULL: blank tile */
    bool fullscreen;
    int n_switches;              /* page-switch latencies, oldest first */
    int64_t switch_ms[64];
    uint64_t frames, render_ns;  /* compositions and their cost */
};

/* The operator's overrides in force. Ends are wall ms, INT64_MAX: none. */
struct ctl_overrides {
    bool paused;
    int64_t paused_since_ms, paused_until_ms;
    const char *plan;            /* NULL: the schedule */
    int64_t plan_since_ms, plan_until_ms;
    int n_shifts, n_layouts, n_full, n_pins;
    struct {
        const char *screen;
        int64_t shift_ms, until_ms;
    } shifts[16];
    struct {
        const char *screen, *layout;
        int64_t until_ms;
    } layouts[16];
    struct {
        const char *screen, *camera;
    } full[16];
    struct {
        const char *screen;
        int tile;
        const char *camera;
        int64_t until_ms;
    } pins[32];
};

struct ctl_alert {
    char id[16];
    const char *camera;          /* NULL: the whole wall */
    char condition[24], detail[192], severity[12];
    const char *state;           /* "raised", "acknowledged", "cleared" */
    bool flapping, acked, cleared;
    int64_t raised_ms, acked_ms, cleared_ms;
    char by[64], note[256];
};

struct ctl_load {
    double decode, render, process, budget;
    int cores, decode_slots;
    int shed_level;              /* 0 none, 1 pre-roll, 2 keyframes */
    const char *shed;            /* its name */
    int64_t shed_since_ms;       /* INT64_MIN: not shedding */
    uint64_t shed_events, shed_frames, preroll_skipped;
    int behind;                  /* cameras decoded behind real time */
};

struct ctl_layout {
    const char *name;
    int cols, rows, n_cells;
    const int (*cells)[4];       /* [x, y, w, h] in grid cells */
};

struct ctl_plan {
    const char *name;
    int64_t dwell_ms;
    bool running;
    struct {
        const char *screen;
        int pages;
        int64_t cycle_ms;
    } screens[16];
    int n_screens;
};

/* Ask for the config's layouts and plans too (status `what`). */
#define CTL_STATUS_CATALOG 1u

struct ctl_status {
    const struct vtz *tz;        /* times are shown in the wall's zone */
    const char *wall;
    int64_t time_ms;
    const char *plan;            /* "" before the first */
    int64_t plan_since_ms;
    int rule;                    /* 1-based; 0: none */
    struct ctl_overrides ov;
    int n_cameras, n_screens, n_alerts, n_sinks;
    struct ctl_camera *cameras;
    struct ctl_screen *screens;
    struct ctl_alert *alerts;    /* open alerts, newest first */
    struct {
        const char *name;
        int pending;
        unsigned long dropped;   /* events a receiver refused */
    } sinks[4];
    uint64_t frames_composed;
    struct ctl_load load;
    double cpu_s;                /* the process */
    int64_t rss_bytes, max_rss_bytes;
    long long heap_bytes, heap_free_bytes; /* mem_heap(); -1: unknown */
    /* with CTL_STATUS_CATALOG: */
    int n_layouts, n_plans;
    struct ctl_layout *layouts;
    struct ctl_plan *plans;
    void *hold;                  /* the core's: what keeps it valid */
};

/* ---- what the core is told to do ---- */

enum ctl_cmd_kind {
    CTL_CMD_PAUSE,
    CTL_CMD_RESUME,
    CTL_CMD_NEXT,
    CTL_CMD_PREV,
    CTL_CMD_PAGE,
    CTL_CMD_PLAN,
    CTL_CMD_PIN,
    CTL_CMD_LAYOUT,
    CTL_CMD_FULLSCREEN,
    CTL_CMD_SCHEDULE,
    CTL_CMD_RELOAD,
    CTL_CMD_ACK,
    CTL_CMD_CLOSE,
};

/* A command and its arguments; what an argument does not apply to is
 * ignored. Strings are borrowed for the call. */
struct ctl_command {
    enum ctl_cmd_kind kind;
    const char *screen;          /* NULL: every screen, or the only one */
    int tile;                    /* -1: none given */
    const char *camera;          /* NULL: none given */
    const char *name;            /* a plan or layout; NULL: none given */
    bool clear;                  /* the argument was null: back to the
                                  * plan's, the schedule, unpin, leave */
    int page;                    /* CTL_CMD_PAGE, 0-based; -1: none given */
    int64_t for_ms;              /* how long it holds; 0: until cancelled */
    const char *alert, *by, *note;
};

/* What a command answers besides its return code. */
struct ctl_result {
    char error[160];             /* why, when the command failed */
    /* reload: the errors (file:line:column), the keys that need a
     * restart, or the keys applied */
    int n_lines;
    char **lines;                /* malloc'd; see ctl_result_finish */
};

void ctl_result_add(struct ctl_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ctl_result_finish(struct ctl_result *r);

/* A read of the journal: from a time (since), after or before a cursor,
 * or (none of those) the newest lines. */
struct ctl_journal_query {
    int64_t since_ms;            /* INT64_MIN: none */
    bool has_after, has_before;
    uint64_t after_seq, before_seq; /* cursors: file and offset */
    int64_t after_off, before_off;
    int limit;
};

/* What a read found: lines (the journal's JSON text) in time order, and
 * where to continue either way. */
struct ctl_journal_page {
    int n;
    char **lines;
    bool more_before, more_after;
    uint64_t first_seq, end_seq;
    int64_t first_off, end_off;
};

struct control_ops {
    /* A status snapshot (what: CTL_STATUS_* bits). 0 and *out, or a
     * negative error code. Free it with status_free. */
    int (*status)(void *ctx, unsigned what, struct ctl_status **out);
    void (*status_free)(void *ctx, struct ctl_status *st);
    /* Start reading the journal (off the loop thread): 0 and the answer
     * comes through control_journal_done(token), or a negative error
     * (-EBUSY: too many reads at once). */
    int (*journal)(void *ctx, const struct ctl_journal_query *q,
                   uint64_t token);
    /* Start a snapshot of screen `screen` (NULL: the first). 0 and the
     * answer comes later through control_snapshot_done(token), -ENOENT
     * for no such screen, or another negative error. */
    int (*snapshot)(void *ctx, const char *screen, uint64_t token);
    /* Run a command. 0, or a negative error code with res->error set:
     * -ENOENT (unknown name), -EINVAL (a bad argument), -EBUSY, -EALREADY,
     * -ENOTSUP (not possible here), VIGIL_ECONFIG (an invalid config),
     * VIGIL_ERESTART (a change that needs a restart). */
    int (*command)(void *ctx, const struct ctl_command *cmd,
                   struct ctl_result *res);
};

struct control_params {
    const char *host;
    int port;
    const char *token;      /* NULL: no authentication */
    const char *web_dir;    /* static files; NULL: none */
};

/* NULL (logged) when the address cannot be bound. */
struct control *control_create(uv_loop_t *loop, const struct control_params *p,
                               const struct control_ops *ops, void *ctx);
/* Accepts NULL. */
void control_destroy(struct control *c);

/* The port actually bound (useful with port 0). */
int control_port(const struct control *c);

/* The answer to snapshot `token`: a PNG (takes ownership; NULL: failed,
 * answered 503). A token whose client has gone is ignored. */
void control_snapshot_done(struct control *c, uint64_t token, uint8_t *png,
                           size_t len);

/* The answer to journal read `token` (NULL: it failed, answered 503). The
 * page is read during the call only. */
void control_journal_done(struct control *c, uint64_t token,
                          const struct ctl_journal_page *page);

/* Events for every /api/events client. A client that cannot keep up is
 * dropped. */
void control_event_camera(struct control *c, const struct ctl_camera *cam);
void control_event_screen(struct control *c, const struct vtz *tz,
                          const struct ctl_screen *s);
void control_event_load(struct control *c, const char *shed, double load);
/* A journal line as written (JSON text), as event `name`. */
void control_event_line(struct control *c, const char *name,
                        const char *json);

/* Whether host is a loopback address (127.0.0.0/8, ::1, localhost). */
int control_is_loopback(const char *host);

#endif
