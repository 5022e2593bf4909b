/*
 * Windows on displays, for a wall that runs unattended: which SDL video
 * driver opens them (wall.video_driver: the session's X11 or Wayland, or
 * KMS/DRM on the console), which display each screen's window belongs on
 * (an index or a display's name), putting a window back on its display
 * when that display is plugged in again, the screen saver kept off, and
 * the mouse pointer (shown while it moves, else hidden). Main thread.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <SDL.h>

#include "config/config.h"
#include "render/render_internal.h"
#include "render/scene.h"
#include "util/log.h"

#define CURSOR_IDLE_NS (3 * VT_S)

int render_display_match(const char *const *names, int n, int want_index,
                         const char *want_name)
{
    if (!want_name) {
        return want_index >= 0 && want_index < n ? want_index : -1;
    }
    for (int i = 0; i < n; i++) {
        if (names[i] && !strcmp(names[i], want_name)) {
            return i;
        }
    }
    for (int i = 0; i < n; i++) {
        if (names[i] && !strcasecmp(names[i], want_name)) {
            return i;
        }
    }
    return -1;
}

#define MAX_DISPLAYS 64

/* The displays' names: SDL's, or under kmsdrm (where SDL 2 names none)
 * the kernel's connector names, the first card with a connected one. */
static int display_names(const char **names,
                         char kms[][RENDER_CONNECTOR_NAME])
{
    int n = SDL_GetNumVideoDisplays();
    n = n < 0 ? 0 : n > MAX_DISPLAYS ? MAX_DISPLAYS : n;
    const char *drv = SDL_GetCurrentVideoDriver();
    int k = 0;
    for (int card = 0; drv && !strcmp(drv, "kmsdrm") && card < 8 && k <= 0;
         card++) {
        k = render_kms_connectors("/sys/class/drm", card, kms, MAX_DISPLAYS);
    }
    for (int i = 0; i < n; i++) {
        names[i] = i < k ? kms[i] : SDL_GetDisplayName(i);
    }
    return n;
}

/* The display screen `cs` belongs on now, or -1 when it is not there. */
static int display_of(const struct cfg_screen *cs)
{
    const char *names[MAX_DISPLAYS];
    char kms[MAX_DISPLAYS][RENDER_CONNECTOR_NAME];
    int n = display_names(names, kms);
    return render_display_match(names, n, cs->display_index,
                                cs->display_index < 0 ? cs->display : NULL);
}

static void list_displays(struct render *r)
{
    const char *names[MAX_DISPLAYS];
    char kms[MAX_DISPLAYS][RENDER_CONNECTOR_NAME];
    int n = display_names(names, kms);
    for (int i = 0; i < n; i++) {
        SDL_Rect b = { 0 };
        SDL_GetDisplayBounds(i, &b);
        VLOG_INFO(r->log, "display %d '%s': %dx%d at %d,%d", i,
                  names[i] ? names[i] : "", b.w, b.h, b.x, b.y);
    }
}

int render_video_init(struct render *r, const struct config *cfg)
{
    static const char *const drivers[] = {
        [CFG_VIDEO_AUTO] = NULL,
        [CFG_VIDEO_X11] = "x11",
        [CFG_VIDEO_WAYLAND] = "wayland",
        [CFG_VIDEO_KMSDRM] = "kmsdrm",
    };
    const char *want = drivers[cfg->video_driver];
    if (want) {
        /* SDL_VIDEODRIVER in the environment still wins */
        SDL_SetHint(SDL_HINT_VIDEODRIVER, want);
    }
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        VLOG_ERR(r->log, "SDL video (%s): %s", want ? want : "auto",
                 SDL_GetError());
        return -1;
    }
    if (!strcmp(SDL_GetCurrentVideoDriver(), "x11")) {
        /* A software canvas's window surface: X11's own (shared memory
         * images), not SDL's emulation through a renderer, which on
         * llvmpipe cost more than composing (43% of the render thread in
         * Mesa). Asked before any renderer makes one. */
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    }
    /* SDL keeps the screen saver off by default unless a hint says
     * otherwise; a wall insists */
    SDL_DisableScreenSaver();
    VLOG_INFO(r->log, "video driver %s; screen saver %s",
              SDL_GetCurrentVideoDriver(),
              SDL_IsScreenSaverEnabled() ? "on" : "off");
    list_displays(r);
    return 0;
}

SDL_Window *render_window_open(struct render *r, struct screen *s,
                               const struct cfg_screen *cs)
{
    int disp = display_of(cs);
    Uint32 flags = SDL_WINDOW_SHOWN | SDL_WINDOW_RESIZABLE;
    if (disp < 0) {
        /* hidden (and not full screen), so that it covers no other
         * screen's display; it is still composed, and shown (full screen
         * if it should be) when its display appears */
        VLOG_WARN(r->log, "screen %s: display %s is not there: its window "
                          "stays hidden until it appears",
                  cs->id, cs->display);
        disp = 0;
        flags = SDL_WINDOW_HIDDEN | SDL_WINDOW_RESIZABLE;
    }
    if (cs->fullscreen && !(flags & SDL_WINDOW_HIDDEN)) {
        flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
    }
    char title[128];
    snprintf(title, sizeof(title), "Vigil - %s", cs->id);
    SDL_Window *w = SDL_CreateWindow(title,
                                     SDL_WINDOWPOS_CENTERED_DISPLAY(disp),
                                     SDL_WINDOWPOS_CENTERED_DISPLAY(disp),
                                     s->w, s->h, flags);
    if (w && !(flags & SDL_WINDOW_HIDDEN)) {
        VLOG_INFO(r->log, "screen %s: window on display %d%s", cs->id, disp,
                  cs->fullscreen ? ", full screen" : "");
    }
    return w;
}

/* Move a window to display d, full screen there when its screen is. */
static void move_to(SDL_Window *w, int d, bool fullscreen)
{
    if (SDL_GetWindowFlags(w) & SDL_WINDOW_FULLSCREEN_DESKTOP) {
        SDL_SetWindowFullscreen(w, 0);
    }
    SDL_SetWindowPosition(w, SDL_WINDOWPOS_CENTERED_DISPLAY(d),
                          SDL_WINDOWPOS_CENTERED_DISPLAY(d));
    if (fullscreen) {
        SDL_SetWindowFullscreen(w, SDL_WINDOW_FULLSCREEN_DESKTOP);
    }
}

void render_displays_changed(struct render *r, const SDL_DisplayEvent *ev)
{
    const struct config *cfg = r->scene->cfg;
    VLOG_INFO(r->log, "display %d %s", (int)ev->display,
              ev->event == SDL_DISPLAYEVENT_CONNECTED ? "connected"
                                                      : "disconnected");
    list_displays(r);
    for (int i = 0; i < r->n_screens; i++) {
        struct screen *s = &r->screens[i];
        const struct cfg_screen *cs = &cfg->screens[i];
        if (!s->win) {
            continue;
        }
        int want = display_of(cs);
        int now = SDL_GetWindowDisplayIndex(s->win);
        bool hidden = SDL_GetWindowFlags(s->win) & SDL_WINDOW_HIDDEN;
        if (want < 0 && !hidden) {
            VLOG_WARN(r->log, "screen %s: display %s is gone: its window "
                              "is hidden (not moved over another screen's) "
                              "until it is back; the wall goes on",
                      cs->id, cs->display);
            SDL_HideWindow(s->win);
        } else if (want >= 0 && (hidden || want != now)) {
            VLOG_INFO(r->log, "screen %s: display %s is there: the window "
                              "shows on display %d", cs->id, cs->display,
                      want);
            if (hidden) {
                SDL_ShowWindow(s->win);
            }
            move_to(s->win, want, cs->fullscreen);
        }
        s->drawn_scene = 0; /* draw it all again */
    }
    r->redraw = true;
}

void render_cursor(struct render *r, const SDL_Event *ev, int64_t now)
{
    int mode = r->scene->cfg->cursor;
    bool moved = ev && ev->type == SDL_MOUSEMOTION;
    if (moved) {
        r->cursor_moved_ns = now;
    }
    bool show = mode == CFG_CURSOR_SHOWN ||
                (mode == CFG_CURSOR_AUTO && r->cursor_moved_ns &&
                 now - r->cursor_moved_ns < CURSOR_IDLE_NS);
    if (show != r->cursor_shown || !r->cursor_set) {
        SDL_ShowCursor(show ? SDL_ENABLE : SDL_DISABLE);
        r->cursor_shown = show;
        r->cursor_set = true;
    }
}

int render_gpu_present(void)
{
    /* a DRM render node (Mesa's hardware drivers, NVIDIA's open one) or
     * NVIDIA's own device */
    char path[64];
    for (int i = 128; i < 136; i++) {
        snprintf(path, sizeof(path), "/dev/dri/renderD%d", i);
        if (access(path, R_OK | W_OK) == 0) {
            return 1;
        }
    }
    return access("/dev/nvidia0", R_OK | W_OK) == 0;
}
