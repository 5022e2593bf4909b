/*
 * The renderer's state, shared by render.c (lifecycle, wake-ups, scenes,
 * snapshots, input, statistics, the run loop) and draw.c (composing a
 * screen: textures, tiles, overlays). Private to src/render. Main thread,
 * except where a field names its lock or is atomic.
 */
#ifndef VIGIL_RENDER_INTERNAL_H
#define VIGIL_RENDER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <SDL.h>
#include <SDL_ttf.h>
#include <libavutil/frame.h>

#include "layout/layout.h"
#include "render/render.h"
#include "util/time.h"

#define MAX_SNAP_REQ 16
#define RING_SIZE 128
/* A picture taken this long before a page change is not "of" the new
 * page (pre-roll starts 1 s before it). */
#define SWITCH_FRESH_NS (1500 * VT_MS)
#define FONT_MIN 8
#define FONT_MAX 72
/* Without vsync, compositions are paced at the rate of the fastest camera
 * on screen, between these: 25 and 60 a second. */
#define HEADLESS_FRAME_NS (40 * VT_MS)
#define FASTEST_FRAME_NS (VT_S / 60)
#define TILE_INSET 1 /* a tile's border, pixels */

/* The last RING_SIZE measurements (ms) of something, for percentiles. */
struct ring {
    int64_t v[RING_SIZE];
    int n;                /* measured in all */
};

/* A picture's scaler into a canvas, with what it was made for. */
struct canvas_scaler {
    struct SwsContext *sws;
    int src_w, src_h, src_fmt, dst_w, dst_h, matrix, full_range;
    uint8_t *kept;        /* what lies past each row (canvas.c) */
    size_t kept_size;
};

struct cam_tex {
    /* a software canvas: pictures go straight in (canvas.c) */
    struct canvas_scaler scaler;
    /* a GPU renderer: the picture's texture, which it scales */
    SDL_Texture *tex;
    int w, h;
    Uint32 fmt;           /* SDL_PIXELFORMAT_IYUV or _NV12 */
    SDL_YUV_CONVERSION_MODE mode; /* its picture's matrix */
    uint64_t gen;         /* held-frame generation uploaded */
    SDL_Texture *label;
    int label_size;
};

struct screen {
    int w, h;
    SDL_Window *win;      /* NULL when headless */
    /* Software composition (headless, or a window without an accelerated
     * renderer): the canvas at the configured size, drawn by `r`, a
     * software renderer. A window shows it through its window surface,
     * only the rectangles a composition drew (`dirty`). */
    SDL_Surface *canvas;
    SDL_Rect dirty[65];
    int n_dirty;
    /* An accelerated window: the composition at the configured size */
    SDL_Texture *target;
    SDL_Renderer *r;      /* what everything is drawn with */
    struct cam_tex *tex;  /* per camera */
    /* what the canvas holds, for redrawing only the tiles that changed */
    uint64_t drawn_scene;    /* scene_seq drawn in full */
    uint64_t drawn_gen[64];  /* per tile: held-frame generation drawn */
    int64_t drawn_clock[64]; /* per tile: its "for N s" drawn (-1: none) */
    SDL_Rect over[8];        /* where the overlays lie, as last drawn */
    int n_over;
    atomic_uint_fast64_t frames, ns; /* compositions and their cost */
    /* page switch: from the change to the first composition in which
     * every tile of a live camera shows a fresh picture */
    int64_t composed_us;             /* wall time the last composition
                                      * was finished */
    int64_t switch_from_ms;          /* 0: none pending */
    int64_t switch_seen_ns;          /* when the scene arrived */
    struct ring switch_ms;           /* under render.stats_lock */
};

struct held {
    AVFrame *frame;       /* newest frame taken from the mailbox */
    uint64_t mb_gen[2];   /* generation seen: main, substream mailbox */
    uint64_t rate_gen[2]; /* generations at the last pacing */
    double rate;          /* pictures a second into the stream shown */
    uint64_t gen;         /* bumps when frame changes */
    int64_t taken_ns;     /* when frame was taken from its mailbox */
    /* glass to glass: capture stamp to first composition, per picture;
     * the ring is guarded by render.stats_lock */
    uint64_t lat_gen;     /* gen whose latency was recorded */
    struct ring lat_ms;
    atomic_uint_fast64_t shown; /* frames taken for display */
};

struct snap_req {
    int screen;
    uint64_t id;
};

struct render {
    struct render_params p;
    struct vlog *log;
    Uint32 wake_event;
    atomic_bool wake_pending;  /* render_wake() need not signal */
    int64_t frame_ns;          /* compose at most this often (render
                                * thread; see HEADLESS_FRAME_NS) */
    int64_t paced_ns;          /* when frame_ns was last worked out */
    atomic_bool kicked;        /* a scene, snapshot or quit waits */
    /* headless wakeups (see above); wait_lock is a leaf */
    pthread_mutex_t wait_lock;
    pthread_cond_t wait_cond;
    atomic_bool quit;
    bool offscreen;       /* headless with SDL's offscreen video (EGL) */
    atomic_uint_fast64_t composed;
    _Atomic int64_t beat_ns;   /* each turn of render_run (watchdog) */

    struct screen *screens;
    int n_screens;
    struct held *held;
    uint64_t scene_seq;   /* bumps with every new scene */
    pthread_mutex_t stats_lock; /* leaf: the latency and switch rings */
    int n_cams;
    struct scene *scene;  /* drawn scene, main thread only */
    TTF_Font *fonts[FONT_MAX + 1];
    bool help;            /* H: the key help overlay */
    bool redraw;          /* compose every screen at the next turn */
    /* the mouse pointer (window.c) */
    bool cursor_shown, cursor_set;
    int64_t cursor_moved_ns;

    pthread_mutex_t lock;
    /* protected by lock */
    struct scene *next_scene;
    struct snap_req reqs[MAX_SNAP_REQ];
    int n_reqs;
};

/* ---- draw.c ---- */

/* Compose screen si from the drawn scene (only the tiles whose picture
 * changed, unless the scene, an overlay or the clock says otherwise). */
void render_compose(struct render *r, int si, int64_t now);
/* A camera not live on any screen: its tile's "for N s" moves with the
 * clock. */
int render_any_overlay(struct render *r);
/* Forget every label texture (names may have changed). */
void render_drop_labels(struct render *r);

/* ---- canvas.c ---- */

/* A w x h ARGB8888 canvas with the slack canvas_put() needs after its
 * last row; canvas_destroy() accepts NULL. */
SDL_Surface *canvas_create(int w, int h);
void canvas_destroy(SDL_Surface *s);
/* Convert the src part of picture f to the canvas's ARGB straight into
 * the canvas at *where, scaling it in the same pass when the sizes differ
 * by more than 2 pixels; else it is centred there, and *where becomes the
 * rectangle written. Nothing outside *where changes. 0, or -1 when it
 * cannot (a hardware or palette picture, a rectangle outside, a canvas
 * not from canvas_create()). */
int canvas_put(struct canvas_scaler *cs, SDL_Surface *canvas,
               const AVFrame *f, struct layout_rect src,
               struct layout_rect *where);
void canvas_scaler_free(struct canvas_scaler *cs);

/* ---- window.c ---- */

struct config;
struct cfg_screen;

/* Which of n displays (their names, entries may be NULL) is the one
 * wanted: by index when want_name is NULL, else by name (exact, then
 * ignoring case). -1: not there. Pure. */
int render_display_match(const char *const *names, int n, int want_index,
                         const char *want_name);
/* ---- kms.c ---- */

#define RENDER_CONNECTOR_NAME 32

/* The kernel's names ("HDMI-A-1") of DRM card `card`'s connected
 * connectors under sysfs (normally /sys/class/drm), in connector-id
 * order, which is the order of SDL's kmsdrm displays. Returns how many
 * (at most max), or -1 when sysfs cannot be read. */
int render_kms_connectors(const char *sysfs, int card,
                          char names[][RENDER_CONNECTOR_NAME], int max);

/* SDL's video subsystem with the configured driver; the screen saver off;
 * the displays logged. 0 or -1 (logged). */
int render_video_init(struct render *r, const struct config *cfg);
/* Screen s's window, on its display (or the first until it appears). */
SDL_Window *render_window_open(struct render *r, struct screen *s,
                               const struct cfg_screen *cs);
/* The kernel shows a GPU this process may use (a DRM render node or
 * NVIDIA's device). */
int render_gpu_present(void);
/* A display came or went: windows go back to their displays. */
void render_displays_changed(struct render *r, const SDL_DisplayEvent *ev);
/* The mouse pointer after an event (NULL: time passed). */
void render_cursor(struct render *r, const SDL_Event *ev, int64_t now);

/* ---- render.c ---- */

/* A picture composed for the first time: its glass-to-glass latency. */
void render_note_latency(struct render *r, int c);

#endif
