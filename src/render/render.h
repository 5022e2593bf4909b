/*
 * Renderer: SDL2 on the main thread. One window per configured screen, or
 * with `headless` one software canvas per screen at the configured size;
 * a window without an accelerated renderer shows a software canvas too.
 * Overlays are drawn through the same SDL_Renderer code either way, so a
 * headless snapshot is what a window would show.
 *
 * Each camera's newest frame is taken from its mailbox. On a software
 * canvas, swscale scales and converts it straight into its tile (one
 * pass, no texture); on a GPU renderer it is uploaded into an IYUV or
 * NV12 texture (the only copy of a frame) that the GPU scales. A tile is
 * re-composed only when a frame, the scene or an overlay's clock
 * changed.
 *
 * Threads: render_create/run/destroy on the main thread. render_wake,
 * render_set_scene, render_request_snapshot and render_quit are safe from
 * any thread.
 */
#ifndef VIGIL_RENDER_H
#define VIGIL_RENDER_H

#include <stdint.h>

#include "frame/caps.h"
#include "layout/layout.h"

struct mailbox;
struct scene;
struct render;

/* A finished snapshot: RGB24 rows, tightly packed (w*3 bytes per row),
 * of the composition finished at composed_us (wall clock, microseconds).
 * Ownership of `rgb` passes to the callee (free() it). Called on the main
 * thread; must be cheap (hand it to another thread). rgb is NULL when the
 * screen does not exist. */
typedef void (*render_snapshot_fn)(void *ctx, uint64_t id, uint8_t *rgb,
                                   int w, int h, int64_t composed_us);

/* An operator's key or click on a wall window. Called on the main
 * thread; the core runs it as the same typed command the API runs. */
enum render_action {
    RENDER_NEXT,          /* next page */
    RENDER_PREV,          /* previous page */
    RENDER_PAUSE_TOGGLE,  /* pause, or resume when paused */
    RENDER_FULLSCREEN,    /* tile full screen (again or tile -1: back) */
    RENDER_PLAN,          /* plan number `index` (again: the schedule) */
    RENDER_ACK_NEWEST,    /* acknowledge the newest alert */
};

struct render_input {
    enum render_action action;
    int screen;
    int tile;
    int index;
};

typedef void (*render_input_fn)(void *ctx, const struct render_input *in);

struct render_params {
    int headless;
    struct scene *scene;        /* initial scene; the renderer takes a ref */
    /* One per camera, borrowed. The renderer sets their wake-up (a new
     * picture wakes it), so create it before anything puts frames. */
    struct mailbox **mailboxes;
    struct mailbox **sub_mailboxes; /* per camera: its substream's, or
                                     * NULL; the scene says which shows */
    int n_mailboxes;
    const char *font_path;      /* TTF for labels */
    render_snapshot_fn on_snapshot;
    render_input_fn on_input;   /* may be NULL */
    void *cb_ctx;
};

struct render *render_create(const struct render_params *p);
void render_destroy(struct render *r);

/* What the renderer takes (the decode-render contract, frame/caps.h):
 * formats it takes as they are, whether it scales pictures itself (a GPU
 * renderer scales its textures; a software canvas does not: pictures
 * should arrive at their tile's size, so that its pass is a plain
 * conversion) and the border between a tile's edge and its picture. */
void render_caps(struct render *r, struct frame_caps *out);

/* The last (up to max) page-switch latencies of a screen, oldest first, in
 * ms: from the change (a page boundary or an operator's command) to the
 * first composition in which every tile of a live camera shows a fresh
 * picture. Returns how many were written. Any thread. */
int render_page_switches(struct render *r, int screen, int64_t *ms, int max);

/* A camera's last (up to max) glass-to-glass latencies in ms, oldest
 * first: from the capture stamp (RTCP sender reports) to the first
 * composition of the picture. Returns how many. Any thread. */
int render_camera_latency(struct render *r, int cam, int64_t *ms, int max);

/* Draw until render_quit() or the user closes a window. Returns 0. */
int render_run(struct render *r);

void render_wake(struct render *r);
void render_quit(struct render *r);
/* Replace the scene (takes a reference to sc). */
void render_set_scene(struct render *r, struct scene *sc);
/* Ask for a PNG-ready picture of `screen` as composed next; answered
 * through on_snapshot with the same id. */
void render_request_snapshot(struct render *r, int screen, uint64_t id);

/* Compositions since start (for status and metrics). */
uint64_t render_frames_composed(struct render *r);

/* When the render thread last turned its loop (vt_mono_ns; at least twice
 * a second while it runs): the watchdog's heartbeat. Any thread. */
int64_t render_heartbeat(struct render *r);
/* Frames of a camera taken for display (the wall's fps out). Any thread. */
uint64_t render_camera_shown(struct render *r, int cam);
/* Per screen: compositions and the time they took. Any thread. */
void render_screen_stats(struct render *r, int screen, uint64_t *frames,
                         uint64_t *ns);

#endif
