/*
 * SDL2 renderer. Owns: windows or canvases, SDL renderers, textures,
 * fonts, the current scene reference and one held frame per camera. Runs
 * on the main thread only (SDL's rule for video and rendering).
 *
 * Wakeups: workers call render_wake() after putting a frame; an atomic
 * flag (`wake_pending`) makes most of those calls free: it is set from
 * the first new picture until the render thread looks at the mailboxes,
 * and stays set while a composition is due at the frame cap, so pictures
 * arriving in the meantime wake nothing (they are taken when it is due).
 * Scenes, snapshot requests and quit always wake it (kick()). Headless,
 * there are no windows and no events to wait for: the thread sleeps on a
 * condition variable instead, since SDL's
 * SDL_WaitEventTimeout() polls every millisecond without a video driver
 * that can block (800 wakeups a second, measured). The loop thread
 * publishes scenes under `lock` and queues snapshot requests the same
 * way.
 *
 * Lock order: `lock` is a leaf; mailbox locks are never taken under it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <SDL.h>
#include <SDL_ttf.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>

#include "config/config.h"
#include "frame/mailbox.h"
#include "frame/stamp.h"
#include "layout/layout.h"
#include "render/render.h"
#include "render/render_internal.h"
#include "render/scene.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

static void screen_finish(struct render *r, struct screen *s)
{
    for (int c = 0; s->tex && c < r->n_cams; c++) {
        canvas_scaler_free(&s->tex[c].scaler);
        if (s->tex[c].tex) {
            SDL_DestroyTexture(s->tex[c].tex);
        }
        if (s->tex[c].label) {
            SDL_DestroyTexture(s->tex[c].label);
        }
    }
    free(s->tex);
    if (s->target) {
        SDL_DestroyTexture(s->target);
    }
    if (s->r) {
        SDL_DestroyRenderer(s->r);
    }
    canvas_destroy(s->canvas);
    if (s->win) {
        SDL_DestroyWindow(s->win);
    }
}

/* A software canvas at the screen's size and the renderer that draws
 * on it. */
static int canvas_init(struct screen *s)
{
    s->canvas = canvas_create(s->w, s->h);
    s->r = s->canvas ? SDL_CreateSoftwareRenderer(s->canvas) : NULL;
    return s->r ? 0 : -1;
}

/* The OpenGL implementation is a software rasteriser (Mesa's llvmpipe
 * or softpipe): composing on it costs more than the canvas. */
static int gl_in_software(struct render *r, const char *screen)
{
    typedef const unsigned char *(*get_string_fn)(unsigned);
    get_string_fn get = (get_string_fn)SDL_GL_GetProcAddress("glGetString");
    const char *name = get ? (const char *)get(0x1F01 /* GL_RENDERER */)
                           : NULL;
    VLOG_INFO(r->log, "screen %s: OpenGL on %s", screen,
              name ? name : "an unknown GPU");
    return !name || strstr(name, "llvmpipe") || strstr(name, "softpipe") ||
           strstr(name, "Software");
}

/* An accelerated renderer for s->win, composing at the configured size
 * into a target texture; none when the wall does not want it (SDL's
 * software renderer, or under `auto` a software rasteriser). */
static void gpu_renderer(struct render *r, struct screen *s,
                         const struct cfg_screen *cs, int want)
{
    s->r = SDL_CreateRenderer(s->win, -1,
                              SDL_RENDERER_ACCELERATED |
                                  (r->p.headless ? 0
                                                 : SDL_RENDERER_PRESENTVSYNC) |
                                  SDL_RENDERER_TARGETTEXTURE);
    SDL_RendererInfo info;
    if (s->r && (SDL_GetRendererInfo(s->r, &info) != 0 ||
                 (info.flags & SDL_RENDERER_SOFTWARE) ||
                 (want == CFG_RENDER_AUTO && gl_in_software(r, cs->id)))) {
        /* SDL_RENDER_DRIVER=software gives one despite the flags */
        SDL_DestroyRenderer(s->r);
        s->r = NULL;
    }
    if (s->r) {
        SDL_RenderSetLogicalSize(s->r, s->w, s->h);
        /* ABGR8888 (GL's own RGBA order): SDL 2.26's GLES2 renderer
         * reads an ARGB8888 target back with red and blue swapped, which
         * snapshots would show; its OpenGL one reads either right */
        s->target = SDL_CreateTexture(s->r, SDL_PIXELFORMAT_ABGR8888,
                                      SDL_TEXTUREACCESS_TARGET, s->w, s->h);
        if (!s->target) {
            SDL_DestroyRenderer(s->r); /* the canvas, then */
            s->r = NULL;
        }
    }
}

static int screen_init(struct render *r, struct screen *s,
                       const struct cfg_screen *cs)
{
    int want = r->scene->cfg->renderer;
    s->w = cs->width;
    s->h = cs->height;
    s->tex = xcalloc((size_t)r->n_cams + 1, sizeof(*s->tex));
    if (!r->p.headless) {
        s->win = render_window_open(r, s, cs);
    } else if (r->offscreen) {
        /* headless on a GPU: a hidden window of SDL's offscreen driver */
        s->win = SDL_CreateWindow(cs->id, 0, 0, s->w, s->h,
                                  SDL_WINDOW_HIDDEN);
    }
    if (s->win && want != CFG_RENDER_SOFTWARE) {
        gpu_renderer(r, s, cs, want);
    }
    if (!s->r && r->p.headless) {
        if (s->win) {
            SDL_DestroyWindow(s->win);
            s->win = NULL;
        }
        canvas_init(s);
    } else if (!s->r && s->win) {
        /* A window without one shows a software canvas through its window
         * surface (render_video_init() asked for the display's own where
         * there is one). Where there is none (Wayland, KMSDRM), a software
         * GL renderer after all, as under `gpu`. */
        if (SDL_GetWindowSurface(s->win)) {
            canvas_init(s);
        } else if (want == CFG_RENDER_AUTO) {
            gpu_renderer(r, s, cs, CFG_RENDER_GPU);
        }
    }
    if (!s->r || (s->win && !s->target && !s->canvas)) {
        VLOG_ERR(r->log, "screen %s: %s", cs->id, SDL_GetError());
        return -1;
    }
    SDL_RendererInfo info;
    if (SDL_GetRendererInfo(s->r, &info) == 0) {
        VLOG_INFO(r->log, "screen %s: %dx%d, %s renderer%s", cs->id, s->w,
                  s->h, info.name,
                  s->canvas ? " (software canvas)" : "");
    }
    if (want == CFG_RENDER_GPU && s->canvas) {
        VLOG_WARN(r->log, "screen %s: no GPU renderer (%s): the software "
                          "canvas composes",
                  cs->id, SDL_GetError());
    }
    return 0;
}

static void wake_cb(void *ctx)
{
    render_wake(ctx);
}

struct render *render_create(const struct render_params *p)
{
    struct render *r = xzalloc(sizeof(*r));
    r->p = *p;
    r->log = vlog_create(NULL, "render");
    r->n_cams = p->n_mailboxes;
    r->held = xcalloc((size_t)r->n_cams + 1, sizeof(*r->held));
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->wait_lock, NULL);
    vt_cond_init_mono(&r->wait_cond);
    atomic_init(&r->wake_pending, false);
    atomic_init(&r->kicked, false);
    atomic_init(&r->quit, false);
    atomic_init(&r->composed, 0);
    atomic_init(&r->beat_ns, vt_mono_ns());
    r->scene = scene_ref(p->scene);
    r->frame_ns = HEADLESS_FRAME_NS;
    r->scene_seq = 1; /* screens start with nothing drawn (0) */
    pthread_mutex_init(&r->stats_lock, NULL);

    if (p->headless) {
        if (SDL_InitSubSystem(SDL_INIT_EVENTS) != 0) {
            VLOG_ERR(r->log, "SDL init: %s", SDL_GetError());
            goto fail;
        }
        /* A GPU without a display: SDL's offscreen driver, over EGL;
         * under auto only where the kernel shows a GPU (loading Mesa to
         * find llvmpipe costs tens of MB for nothing) */
        int want = r->scene->cfg->renderer;
        if (want == CFG_RENDER_GPU ||
            (want == CFG_RENDER_AUTO && render_gpu_present())) {
            SDL_SetHint(SDL_HINT_VIDEODRIVER, "offscreen");
            r->offscreen = SDL_InitSubSystem(SDL_INIT_VIDEO) == 0;
            SDL_ResetHint(SDL_HINT_VIDEODRIVER);
            if (r->offscreen &&
                strcmp(SDL_GetCurrentVideoDriver(), "offscreen") != 0) {
                /* SDL_VIDEODRIVER in the environment won */
                SDL_QuitSubSystem(SDL_INIT_VIDEO);
                r->offscreen = false;
            }
            if (!r->offscreen) {
                VLOG_INFO(r->log, "no offscreen video (%s): software "
                                  "canvases", SDL_GetError());
            }
        }
    } else if (render_video_init(r, r->scene->cfg) < 0) {
        goto fail;
    }
    if (TTF_Init() != 0) {
        VLOG_ERR(r->log, "SDL_ttf init: %s", TTF_GetError());
        goto fail;
    }
    r->wake_event = SDL_RegisterEvents(1);
    const struct config *cfg = r->scene->cfg;
    r->n_screens = cfg->n_screens;
    r->screens = xcalloc((size_t)r->n_screens, sizeof(*r->screens));
    for (int i = 0; i < r->n_screens; i++) {
        if (screen_init(r, &r->screens[i], &cfg->screens[i]) < 0) {
            goto fail;
        }
    }
    for (int c = 0; c < r->n_cams; c++) {
        mailbox_set_wake(p->mailboxes[c], wake_cb, r);
        if (p->sub_mailboxes && p->sub_mailboxes[c]) {
            mailbox_set_wake(p->sub_mailboxes[c], wake_cb, r);
        }
    }
    VLOG_INFO(r->log, "%d screen(s), %s", r->n_screens,
              p->headless ? "headless" : "windowed");
    return r;
fail:
    render_destroy(r);
    return NULL;
}

void render_destroy(struct render *r)
{
    if (!r) {
        return;
    }
    for (int i = 0; i < r->n_screens; i++) {
        screen_finish(r, &r->screens[i]);
    }
    free(r->screens);
    for (int c = 0; c < r->n_cams; c++) {
        av_frame_free(&r->held[c].frame);
    }
    free(r->held);
    for (int i = 0; i <= FONT_MAX; i++) {
        if (r->fonts[i]) {
            TTF_CloseFont(r->fonts[i]);
        }
    }
    if (TTF_WasInit()) {
        TTF_Quit();
    }
    scene_unref(r->scene);
    scene_unref(r->next_scene);
    pthread_mutex_destroy(&r->lock);
    pthread_mutex_destroy(&r->stats_lock);
    pthread_mutex_destroy(&r->wait_lock);
    pthread_cond_destroy(&r->wait_cond);
    vlog_destroy(r->log);
    if (r->offscreen) {
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
    }
    SDL_QuitSubSystem(r->p.headless ? SDL_INIT_EVENTS : SDL_INIT_VIDEO);
    free(r);
}

/* Wake the render thread: the headless condition variable, or an SDL
 * event that ends SDL_WaitEventTimeout(). */
static void signal_render(struct render *r)
{
    if (r->p.headless) {
        pthread_mutex_lock(&r->wait_lock);
        pthread_cond_signal(&r->wait_cond);
        pthread_mutex_unlock(&r->wait_lock);
    } else {
        SDL_Event ev = { .type = r->wake_event };
        SDL_PushEvent(&ev);
    }
}

void render_wake(struct render *r)
{
    /* Set while the render thread will look at the mailboxes anyway:
     * woken already, or waiting for the composition it has due (the frame
     * cap). A new picture then costs an atomic exchange, no wake-up. */
    if (atomic_exchange(&r->wake_pending, true)) {
        return;
    }
    signal_render(r);
}

/* What cannot wait for the next composition: a scene, a snapshot, quit. */
static void kick(struct render *r)
{
    atomic_store(&r->kicked, true);
    signal_render(r);
}

/* Headless: sleep until kicked, wait_ns have passed or, when frames_wake,
 * a new picture. */
static void wait_headless(struct render *r, int64_t wait_ns, int frames_wake)
{
    int64_t until = vt_mono_ns() + (wait_ns > 0 ? wait_ns : 0);
    pthread_mutex_lock(&r->wait_lock);
    while (!atomic_load(&r->kicked) &&
           !(frames_wake && atomic_load(&r->wake_pending)) &&
           vt_mono_ns() < until) {
        vt_cond_wait_until(&r->wait_cond, &r->wait_lock, until);
    }
    pthread_mutex_unlock(&r->wait_lock);
    atomic_store(&r->kicked, false);
}

void render_quit(struct render *r)
{
    atomic_store(&r->quit, true);
    kick(r);
}

void render_set_scene(struct render *r, struct scene *sc)
{
    scene_ref(sc);
    pthread_mutex_lock(&r->lock);
    struct scene *old = r->next_scene;
    r->next_scene = sc;
    pthread_mutex_unlock(&r->lock);
    scene_unref(old);
    kick(r);
}

void render_request_snapshot(struct render *r, int screen, uint64_t id)
{
    int ok;
    pthread_mutex_lock(&r->lock);
    ok = r->n_reqs < MAX_SNAP_REQ;
    if (ok) {
        r->reqs[r->n_reqs++] = (struct snap_req){ screen, id };
    }
    pthread_mutex_unlock(&r->lock);
    if (!ok) {
        r->p.on_snapshot(r->p.cb_ctx, id, NULL, 0, 0, 0);
        return;
    }
    kick(r);
}

/* Any screen composing on a software canvas. */
static int software(const struct render *r)
{
    for (int i = 0; i < r->n_screens; i++) {
        if (r->screens[i].canvas) {
            return 1;
        }
    }
    return 0;
}

void render_caps(struct render *r, struct frame_caps *out)
{
    /* IYUV and NV12 streaming textures on a GPU renderer (upload()); a
     * canvas converts them straight into its tiles (canvas.c). A canvas
     * does not scale: pictures arrive at their tile's size (the decoder
     * scales on the camera's thread), so the renderer's pass is a plain
     * conversion, swscale's cheapest (bench/RESULTS.md). */
    *out = (struct frame_caps){ .formats = FRAME_FMT_YUV420P |
                                           FRAME_FMT_NV12,
                                .scales = !software(r),
                                .inset = TILE_INSET };
}

uint64_t render_camera_shown(struct render *r, int cam)
{
    return r && cam >= 0 && cam < r->n_cams ? atomic_load(&r->held[cam].shown)
                                            : 0;
}

void render_screen_stats(struct render *r, int screen, uint64_t *frames,
                         uint64_t *ns)
{
    *frames = *ns = 0;
    if (r && screen >= 0 && screen < r->n_screens) {
        *frames = atomic_load(&r->screens[screen].frames);
        *ns = atomic_load(&r->screens[screen].ns);
    }
}

uint64_t render_frames_composed(struct render *r)
{
    return atomic_load(&r->composed);
}

int64_t render_heartbeat(struct render *r)
{
    return atomic_load(&r->beat_ns);
}

/* ---- drawing ---- */

static void ring_add(struct render *r, struct ring *g, int64_t ms)
{
    pthread_mutex_lock(&r->stats_lock);
    g->v[g->n++ % RING_SIZE] = ms;
    pthread_mutex_unlock(&r->stats_lock);
}

/* The newest (up to max) of a ring, oldest first. */
static int ring_last(struct render *r, const struct ring *g, int64_t *out,
                     int max)
{
    pthread_mutex_lock(&r->stats_lock);
    int n = g->n < RING_SIZE ? g->n : RING_SIZE;
    n = n < max ? n : max;
    for (int i = 0; i < n; i++) {
        out[i] = g->v[(g->n - n + i) % RING_SIZE];
    }
    pthread_mutex_unlock(&r->stats_lock);
    return n;
}

/* A picture composed for the first time: how long since it was captured
 * (when it carries a capture stamp). */
void render_note_latency(struct render *r, int c)
{
    if (c < 0) {
        return;
    }
    struct held *h = &r->held[c];
    if (!h->frame || h->lat_gen == h->gen) {
        return;
    }
    h->lat_gen = h->gen;
    int64_t stamp = frame_stamp_get(h->frame);
    if (!stamp) {
        return;
    }
    ring_add(r, &h->lat_ms, (vt_wall_us() - stamp) / 1000);
}

int render_camera_latency(struct render *r, int cam, int64_t *ms, int max)
{
    if (!r || cam < 0 || cam >= r->n_cams) {
        return 0;
    }
    return ring_last(r, &r->held[cam].lat_ms, ms, max);
}

/* After a composition: if a page change is pending and every tile of a
 * live camera now shows a fresh picture, record how long it took. */
static void switch_check(struct render *r, int si)
{
    struct screen *s = &r->screens[si];
    const struct scene_screen *ss = &r->scene->screens[si];
    if (!s->switch_from_ms) {
        return;
    }
    for (int t = 0; t < ss->n_tiles; t++) {
        int c = ss->cams[t];
        if (c >= 0 && r->scene->cams[c].state == SCENE_CAM_LIVE &&
            (!r->held[c].frame ||
             r->held[c].taken_ns < s->switch_seen_ns - SWITCH_FRESH_NS)) {
            return;
        }
    }
    ring_add(r, &s->switch_ms, vt_wall_ms() - s->switch_from_ms);
    s->switch_from_ms = 0;
}

int render_page_switches(struct render *r, int screen, int64_t *ms, int max)
{
    if (!r || screen < 0 || screen >= r->n_screens) {
        return 0;
    }
    return ring_last(r, &r->screens[screen].switch_ms, ms, max);
}

static void snapshot(struct render *r, struct snap_req q)
{
    if (q.screen < 0 || q.screen >= r->n_screens) {
        r->p.on_snapshot(r->p.cb_ctx, q.id, NULL, 0, 0, 0);
        return;
    }
    struct screen *s = &r->screens[q.screen];
    uint8_t *rgb = malloc((size_t)s->w * (size_t)s->h * 3);
    if (!rgb) {
        r->p.on_snapshot(r->p.cb_ctx, q.id, NULL, 0, 0, 0);
        return;
    }
    if (s->target) {
        SDL_SetRenderTarget(s->r, s->target);
    }
    int ret = SDL_RenderReadPixels(s->r, NULL, SDL_PIXELFORMAT_RGB24, rgb,
                                   s->w * 3);
    if (s->target) {
        SDL_SetRenderTarget(s->r, NULL);
    }
    if (ret != 0) {
        VLOG_WARN(r->log, "snapshot: %s", SDL_GetError());
        free(rgb);
        rgb = NULL;
    }
    r->p.on_snapshot(r->p.cb_ctx, q.id, rgb, s->w, s->h, s->composed_us);
}

/* The stream a camera's pictures are taken from now (0 main, 1 sub). */
static int shown_stream(const struct render *r, int c)
{
    return r->scene->cams[c].stream && r->p.sub_mailboxes &&
           r->p.sub_mailboxes[c];
}

/* Take new frames and the newest scene; returns whether anything that is
 * on screen changed. */
static int refresh(struct render *r)
{
    int dirty = 0;
    pthread_mutex_lock(&r->lock);
    struct scene *next = r->next_scene;
    r->next_scene = NULL;
    pthread_mutex_unlock(&r->lock);
    if (next) {
        for (int si = 0; si < r->n_screens; si++) {
            struct screen *s = &r->screens[si];
            int64_t changed = next->screens[si].changed_ms;
            if (changed && changed != r->scene->screens[si].changed_ms) {
                s->switch_from_ms = changed;
                s->switch_seen_ns = vt_mono_ns();
            }
        }
        if (next->cfg != r->scene->cfg) {
            render_drop_labels(r); /* a reload: names may have changed */
        }
        scene_unref(r->scene);
        r->scene = next;
        r->scene_seq++;
        dirty = 1;
    }
    for (int c = 0; c < r->n_cams; c++) {
        struct held *h = &r->held[c];
        /* Taken from the stream the scene names; until that one has a
         * picture the last one stays up (no black flash on a switch). */
        int sub = shown_stream(r, c);
        AVFrame *f = mailbox_take(sub ? r->p.sub_mailboxes[c]
                                      : r->p.mailboxes[c],
                                  &h->mb_gen[sub]);
        if (f) {
            av_frame_free(&h->frame);
            h->frame = f;
            h->gen++;
            h->taken_ns = vt_mono_ns();
            atomic_fetch_add(&h->shown, 1);
            dirty = 1; /* conservative: a hidden camera also redraws */
        }
    }
    return dirty;
}

static int screen_of_window(struct render *r, Uint32 id)
{
    for (int i = 0; i < r->n_screens; i++) {
        if (r->screens[i].win && SDL_GetWindowID(r->screens[i].win) == id) {
            return i;
        }
    }
    return 0;
}

static void input(struct render *r, enum render_action what, int screen,
                  int tile, int index)
{
    struct render_input in = { what, screen, tile, index };
    if (r->p.on_input) {
        r->p.on_input(r->p.cb_ctx, &in);
    }
}

/* The tile under a click, in the screen's composition coordinates (SDL
 * maps window coordinates through the logical size). */
static int tile_at(struct render *r, int si, int x, int y)
{
    const struct scene_screen *ss = &r->scene->screens[si];
    if (ss->layout < 0) {
        return -1;
    }
    const struct layout *l = &r->scene->cfg->layouts[ss->layout];
    for (int t = 0; t < ss->n_tiles && t < l->n_cells; t++) {
        struct layout_rect rc = layout_tile_rect(l, t, r->screens[si].w,
                                                 r->screens[si].h);
        if (x >= rc.x && x < rc.x + rc.w && y >= rc.y && y < rc.y + rc.h) {
            return t;
        }
    }
    return -1;
}

static void key(struct render *r, const SDL_KeyboardEvent *k)
{
    int si = screen_of_window(r, k->windowID);
    SDL_Keycode sym = k->keysym.sym;
    if (sym == SDLK_q) {
        atomic_store(&r->quit, true);
    } else if (sym == SDLK_RIGHT) {
        input(r, RENDER_NEXT, si, 0, 0);
    } else if (sym == SDLK_LEFT) {
        input(r, RENDER_PREV, si, 0, 0);
    } else if (sym == SDLK_SPACE) {
        input(r, RENDER_PAUSE_TOGGLE, si, 0, 0);
    } else if (sym >= SDLK_1 && sym <= SDLK_9) {
        input(r, RENDER_FULLSCREEN, si, (int)(sym - SDLK_1), 0);
    } else if (sym == SDLK_ESCAPE) {
        input(r, RENDER_FULLSCREEN, si, -1, 0);
    } else if (sym >= SDLK_F1 && sym <= SDLK_F12) {
        input(r, RENDER_PLAN, si, 0, (int)(sym - SDLK_F1));
    } else if (sym == SDLK_a) {
        input(r, RENDER_ACK_NEWEST, si, 0, 0);
    } else if (sym == SDLK_h) {
        r->help = !r->help;
        r->redraw = true;
    }
}

static void handle_event(struct render *r, const SDL_Event *ev)
{
    if (ev->type == SDL_QUIT) {
        atomic_store(&r->quit, true);
    } else if (ev->type == SDL_KEYDOWN && !ev->key.repeat) {
        key(r, &ev->key);
    } else if (ev->type == SDL_MOUSEBUTTONDOWN &&
               ev->button.button == SDL_BUTTON_LEFT) {
        int si = screen_of_window(r, ev->button.windowID);
        int x = ev->button.x, y = ev->button.y;
        struct screen *s = &r->screens[si];
        int ww, wh;
        if (s->canvas && s->win) {
            /* a canvas window: window pixels to the screen's (a GPU
             * renderer's logical size does this itself) */
            SDL_GetWindowSize(s->win, &ww, &wh);
            x = ww > 0 ? (int)((int64_t)x * s->w / ww) : x;
            y = wh > 0 ? (int)((int64_t)y * s->h / wh) : y;
        }
        int t = tile_at(r, si, x, y);
        if (t >= 0) {
            input(r, RENDER_FULLSCREEN, si, t, 0);
        }
    } else if (ev->type == SDL_WINDOWEVENT &&
               ev->window.event == SDL_WINDOWEVENT_CLOSE) {
        atomic_store(&r->quit, true);
    } else if (ev->type == SDL_WINDOWEVENT &&
               (ev->window.event == SDL_WINDOWEVENT_EXPOSED ||
                ev->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)) {
        r->redraw = true;
    } else if (ev->type == SDL_DISPLAYEVENT &&
               (ev->display.event == SDL_DISPLAYEVENT_CONNECTED ||
                ev->display.event == SDL_DISPLAYEVENT_DISCONNECTED)) {
        render_displays_changed(r, &ev->display);
    }
    render_cursor(r, ev, vt_mono_ns());
}

/* Once a second: compose as often as the fastest camera on screen puts
 * pictures into its mailbox (a 30 fps camera is not shown at 25), within
 * HEADLESS_FRAME_NS and FASTEST_FRAME_NS. Measured, not the rate a
 * stream declares, which H.264 timing often gives as twice the real one. */
static void pace_compositions(struct render *r, int64_t now)
{
    double dt = (double)(now - r->paced_ns) / VT_S;
    for (int c = 0; c < r->n_cams; c++) {
        struct held *h = &r->held[c];
        struct mailbox *mb[2] = {
            r->p.mailboxes[c],
            r->p.sub_mailboxes ? r->p.sub_mailboxes[c] : NULL
        };
        int k = shown_stream(r, c);
        h->rate = 0;
        for (int i = 0; i < 2; i++) {
            uint64_t g = mb[i] ? mailbox_generation(mb[i]) : 0;
            if (i == k && r->paced_ns && dt > 0) {
                h->rate = (double)(g - h->rate_gen[i]) / dt;
            }
            h->rate_gen[i] = g;
        }
    }
    r->paced_ns = now;
    double fastest = 0;
    for (int si = 0; si < r->n_screens; si++) {
        const struct scene_screen *ss = &r->scene->screens[si];
        for (int t = 0; t < ss->n_tiles; t++) {
            int c = ss->cams[t];
            if (c >= 0 && c < r->n_cams && r->held[c].rate > fastest) {
                fastest = r->held[c].rate;
            }
        }
    }
    int64_t f = fastest > 0 ? (int64_t)(VT_S / fastest) : HEADLESS_FRAME_NS;
    r->frame_ns = f > HEADLESS_FRAME_NS  ? HEADLESS_FRAME_NS
                  : f < FASTEST_FRAME_NS ? FASTEST_FRAME_NS
                                         : f;
}

int render_run(struct render *r)
{
    int64_t last_compose = 0, last_tick = 0;
    int dirty = 1;
    while (!atomic_load(&r->quit)) {
        int64_t now = vt_mono_ns();
        atomic_store(&r->beat_ns, now);
        /* Wait for a wakeup, the overlay clock, or the frame cap. With a
         * composition due, new pictures do not wake us (wake_pending
         * stays set): they are taken when it is. */
        int64_t wait_ns = 500 * VT_MS;
        if (dirty) {
            wait_ns = last_compose + r->frame_ns - now;
        }
        if (r->p.headless) {
            wait_headless(r, wait_ns, !dirty);
        } else {
            SDL_Event ev;
            /* rounded up: rounded down, the loop spun for the last
             * millisecond before every composition */
            int got = SDL_WaitEventTimeout(
                &ev, wait_ns > 0 ? (int)((wait_ns + VT_MS - 1) / VT_MS) : 0);
            while (got) {
                handle_event(r, &ev);
                got = SDL_PollEvent(&ev);
            }
            atomic_store(&r->kicked, false);
        }
        /* cleared before the mailboxes are looked at: a picture put after
         * this wakes us */
        atomic_store(&r->wake_pending, false);
        dirty |= refresh(r);
        now = vt_mono_ns();
        if (!r->p.headless) {
            render_cursor(r, NULL, now);
        }
        if (r->redraw) {
            /* exposed, resized, the help: every screen again, whole */
            r->redraw = false;
            dirty = 1;
            for (int si = 0; si < r->n_screens; si++) {
                r->screens[si].drawn_scene = 0;
            }
        }
        if (now - r->paced_ns >= VT_S) {
            pace_compositions(r, now);
        }
        if (render_any_overlay(r) && now - last_tick >= VT_S) {
            dirty = 1; /* the "for N s" counters move */
            last_tick = now;
        }
        pthread_mutex_lock(&r->lock);
        int n_reqs = r->n_reqs;
        struct snap_req reqs[MAX_SNAP_REQ];
        memcpy(reqs, r->reqs, sizeof(reqs[0]) * (size_t)n_reqs);
        r->n_reqs = 0;
        pthread_mutex_unlock(&r->lock);
        /* Frame cap: on software canvases there is no vsync to pace us. */
        if (dirty && (now - last_compose >= r->frame_ns || n_reqs)) {
            for (int si = 0; si < r->n_screens; si++) {
                int64_t t0 = vt_mono_ns();
                render_compose(r, si, now);
                r->screens[si].composed_us = vt_wall_us();
                switch_check(r, si);
                atomic_fetch_add(&r->screens[si].frames, 1);
                atomic_fetch_add(&r->screens[si].ns,
                                 (uint64_t)(vt_mono_ns() - t0));
            }
            atomic_fetch_add(&r->composed, 1);
            last_compose = now;
            dirty = 0;
        } else if (dirty) {
            /* due at the cap: until then pictures need not wake us */
            atomic_store(&r->wake_pending, true);
        }
        for (int i = 0; i < n_reqs; i++) {
            snapshot(r, reqs[i]);
        }
    }
    return 0;
}
