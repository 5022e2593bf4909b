/*
 * Scene: what the wall should show, as published by the loop thread to the
 * renderer. Immutable once published and refcounted, so the renderer can
 * keep drawing one while the loop builds the next (mpv-style snapshot).
 */
#ifndef VIGIL_RENDER_SCENE_H
#define VIGIL_RENDER_SCENE_H

#include <stdatomic.h>
#include <stdint.h>

#include "config/config.h"

enum scene_cam_state {
    SCENE_CAM_CONNECTING,
    SCENE_CAM_LIVE,
    SCENE_CAM_STALLED,
    SCENE_CAM_DOWN,
};

struct scene_screen {
    int layout;          /* index into cfg->layouts, -1: blank screen */
    int n_tiles;
    int cams[64];        /* camera index per tile, -1: blank tile */
    int64_t changed_ms;  /* wall time the tiles last changed (a page
                          * boundary, or an operator's command) */
    /* status line: the overrides in force on this screen and when each
     * ends ("PAUSED until 14:05:00  PIN gate-1 until 14:10:00"), or "" */
    char status_line[192];
};

struct scene_cam {
    enum scene_cam_state state;
    int64_t since_ns;    /* monotonic time the state began */
    int stream;          /* frames come from: 0 main, 1 substream */
};

struct scene {
    atomic_int refs;
    struct config *cfg;  /* holds a reference */
    int n_screens;
    struct scene_screen *screens;
    int n_cams;
    struct scene_cam *cams;
    /* alert banner: open alerts and the newest unacknowledged ones */
    int n_open_alerts;
    int n_banner;
    char banner[4][96];
};

/* A blank scene for cfg (every screen blank, every camera connecting). */
struct scene *scene_create(struct config *cfg);
/* A copy the caller may modify before publishing. */
struct scene *scene_dup(const struct scene *sc);
struct scene *scene_ref(struct scene *sc);
void scene_unref(struct scene *sc);

#endif
