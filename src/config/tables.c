/*
 * The config's option tables: the root and its sections (wall and its
 * screens, control, defaults, performance, cameras, layouts), with the
 * few parsers and checks a plain type does not cover. Alerts and their
 * sinks are in alerts.c; plans, calendars and the schedule in plans.c. Every default, range and
 * help text of the config is written here, once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/layouts.h"
#include "config/options.h"
#include "util/mem.h"
#include "util/tz.h"
#include "util/url.h"

#define OFF(field) offsetof(struct config, field)

static const char *const fit_names[] = { "letterbox", "fill", "stretch",
                                         NULL };
static const char *const transport_names[] = { "tcp", "udp", "auto", NULL };
static const char *const hwaccel_names[] = { "auto", "none", "vaapi", "cuda",
                                             NULL };
/* enum cfg_video_driver, enum cfg_cursor */
static const char *const video_driver_names[] = { "auto", "x11", "wayland",
                                                  "kmsdrm", NULL };
static const char *const cursor_names[] = { "auto", "hidden", "shown", NULL };
static const char *const renderer_names[] = { "auto", "software", "gpu",
                                              NULL };
static const char *const scaler_names[] = { "bilinear", "nearest", NULL };

/* ---- wall.screens[] ---- */

static void check_screen(struct cfg_ctx *cx, struct fy_node *map, void *base)
{
    struct cfg_screen *s = base;
    struct config *c = cx->c;
    int self = (int)(s - c->screens);
    if (!s->id) {
        s->id = xasprintf("screen-%d", self + 1);
    } else if (config_find_screen(c, s->id) != self) {
        ERR(cx, yp_get(map, "id"), "screen '%s' is defined twice", s->id);
    }
    /* display: a number is an index, anything else a display's name */
    const char *d = s->display;
    char *end;
    long idx = strtol(d, &end, 10);
    s->display_index = -1;
    if (!d[0]) {
        ERR(cx, yp_get(map, "display"), "screen %s: display: empty", s->id);
    } else if (!*end && (idx < 0 || idx > 63)) {
        ERR(cx, yp_get(map, "display"), "screen %s: display: index %s out "
            "of range (0 to 63)", s->id, d);
    } else if (!*end) {
        s->display_index = (int)idx;
    }
}

#define SOFF(field) offsetof(struct cfg_screen, field)
static const struct opt screen_opts[] = {
    { "id", OPT_FIELD(struct cfg_screen, id, STR), .flags = OPT_RESTART | OPT_REQUIRED,
      .help = "The screen's name, used by plans, commands and snapshots.",
      .example = "main" },
    { "size", OPT_SIZE, SOFF(width), SOFF(height), .def = "1920x1080",
      .flags = OPT_RESTART,
      .help = "The composition's size in pixels (the window's, or the "
              "headless canvas's).",
      .example = "3840x2160" },
    { "display", OPT_FIELD(struct cfg_screen, display, STR), .def = "0",
      .flags = OPT_RESTART, .type_doc = "display index or name",
      .help = "The display the window opens on: its index (0 is the "
              "first), or its name as the wall logs it at start (the "
              "output's or monitor's under X11 and Wayland, the kernel's "
              "connector name under KMS/DRM, e.g. `HDMI-A-1`). While a "
              "named display is missing the window stays hidden, and it "
              "shows when the display appears (ignored headless).",
      .example = "HDMI-1" },
    { "fullscreen", OPT_FIELD(struct cfg_screen, fullscreen, BOOL), .def = "false",
      .flags = OPT_RESTART,
      .help = "Open the window full screen on its display.",
      .example = "true" },
    { NULL },
};

static const struct opt_table screen_table = {
    "screen", "screen ", "wall.screens[]",
    "One entry per screen of the wall.", screen_opts, check_screen,
};

static void parse_screens(struct cfg_ctx *cx, struct fy_node *seq,
                          void *base)
{
    struct config *c = base;
    if (!yp_is_seq(&cx->yp, seq, "wall.screens")) {
        return;
    }
    int n = fy_node_sequence_item_count(seq);
    c->screens = xcalloc((size_t)n + 1, sizeof(*c->screens));
    void *it = NULL;
    struct fy_node *sn;
    while ((sn = fy_node_sequence_iterate(seq, &it))) {
        struct cfg_screen *s = &c->screens[c->n_screens++];
        opt_defaults(&screen_table, s, cx->dir);
        if (!opt_parse(cx, sn, &screen_table, s)) {
            opt_free(&screen_table, s); /* not a mapping: its defaults */
            memset(s, 0, sizeof(*s));
            c->n_screens--;
        }
    }
    if (!c->n_screens) {
        ERR(cx, seq, "wall.screens: at least one screen is required");
    }
}

/* A list of items with ids: the same ids in the same order compare item
 * by item; anything else is the list itself changing. */
static void diff_ids(const char *path, const char *what, int na,
                     const char *(*id)(const void *, int), const void *a,
                     int nb, const void *b, bool *same_list,
                     struct cfg_diff *d)
{
    *same_list = na == nb;
    for (int i = 0; *same_list && i < na; i++) {
        *same_list = !strcmp(id(a, i), id(b, i));
    }
    if (*same_list) {
        return;
    }
    char key[128];
    for (int i = 0; i < na; i++) {
        bool kept = false;
        for (int k = 0; k < nb && !kept; k++) {
            kept = !strcmp(id(a, i), id(b, k));
        }
        if (!kept) {
            snprintf(key, sizeof(key), "%s[%s] (removed)", path, id(a, i));
            opt_diff_add(d, key, true);
        }
    }
    for (int k = 0; k < nb; k++) {
        bool old = false;
        for (int i = 0; i < na && !old; i++) {
            old = !strcmp(id(a, i), id(b, k));
        }
        if (!old) {
            snprintf(key, sizeof(key), "%s[%s] (added)", path, id(b, k));
            opt_diff_add(d, key, true);
        }
    }
    snprintf(key, sizeof(key), "%s (the %s or their order)", path, what);
    opt_diff_add(d, key, true);
}

static const char *screen_id(const void *c, int i)
{
    return ((const struct config *)c)->screens[i].id;
}

static void diff_screens(const struct opt *o, const char *path,
                         const void *a, const void *b, struct cfg_diff *d)
{
    const struct config *x = a, *y = b;
    bool same;
    diff_ids(path, "screens", x->n_screens, screen_id, a, y->n_screens, b,
             &same, d);
    for (int i = 0; same && i < x->n_screens; i++) {
        char key[128];
        snprintf(key, sizeof(key), "%s[%s]", path, x->screens[i].id);
        opt_diff(&screen_table, key, &x->screens[i], &y->screens[i], d);
    }
}

/* ---- wall ---- */

/* The machine's own zone (/etc/localtime), else UTC. */
static void system_zone(struct config *c)
{
    char link[256];
    ssize_t n = readlink("/etc/localtime", link, sizeof(link) - 1);
    const char *name = NULL;
    if (n > 0) {
        link[n] = 0;
        const char *z = strstr(link, "zoneinfo/");
        name = z ? z + 9 : NULL;
    }
    vtz_free(c->tz);
    c->tz = name ? vtz_load(name) : NULL;
    if (!c->tz) {
        c->tz = vtz_load("UTC");
    }
}

static void parse_timezone(struct cfg_ctx *cx, struct fy_node *n, void *base)
{
    struct config *c = base;
    const char *tz = yp_str(&cx->yp, n, "wall.timezone");
    if (!tz) {
        return;
    }
    char *zpath = xasprintf("/usr/share/zoneinfo/%s", tz);
    struct vtz *z = NULL;
    if (strstr(tz, "..") || access(zpath, R_OK) != 0 ||
        !(z = vtz_load(tz))) {
        ERR(cx, n, "wall.timezone: unknown time zone '%s'", tz);
    } else {
        vtz_free(c->tz);
        c->tz = z;
    }
    free(zpath);
    free(c->timezone);
    c->timezone = xstrdup(tz);
}

static void diff_timezone(const struct opt *o, const char *path,
                          const void *a, const void *b, struct cfg_diff *d)
{
    const struct config *x = a, *y = b;
    if (strcmp(vtz_name(x->tz), vtz_name(y->tz))) {
        opt_diff_add(d, path, false);
    }
}

static const struct opt wall_opts[] = {
    { "name", OPT_FIELD(struct config, wall_name, STR), .def = "vigil", .flags = OPT_RESTART,
      .help = "The wall's name: in every journal line and alert, in MQTT "
              "topics and in metrics.",
      .example = "tinglin-ops" },
    { "timezone", OPT_CUSTOM, .parse = parse_timezone,
      .diff = diff_timezone, .type_doc = "IANA time zone",
      .def_doc = "the machine's zone (/etc/localtime), else UTC",
      .help = "The zone schedules are evaluated in and times are shown in "
              "(status, journal, the wall's status line).",
      .example = "Asia/Shanghai" },
    { "fit", OPT_FIELD(struct config, fit, ENUM), .names = fit_names, .def = "letterbox",
      .help = "How a picture fills its tile: whole with bars, cropped to "
              "fill, or stretched. A picture within a percent of its "
              "tile's shape fills it either way (no bars or crop of a "
              "pixel).",
      .example = "fill" },
    { "labels", OPT_FIELD(struct config, labels, BOOL), .def = "true",
      .help = "The camera's name in the corner of each tile.",
      .example = "false" },
    { "video_driver", OPT_FIELD(struct config, video_driver, ENUM),
      .names = video_driver_names, .def = "auto", .flags = OPT_RESTART,
      .help = "How the windows are shown: `auto` takes the session's X11 "
              "or Wayland display (none: headless), `kmsdrm` runs on the "
              "console without a desktop (the user needs the video and "
              "input groups), `x11` and `wayland` insist on one.",
      .example = "kmsdrm" },
    { "renderer", OPT_FIELD(struct config, renderer, ENUM),
      .names = renderer_names, .def = "auto", .flags = OPT_RESTART,
      .help = "Who composes the screens: `gpu` an OpenGL renderer that "
              "scales the pictures (in the windows; headless, through EGL "
              "with SDL's offscreen driver), `software` a canvas the "
              "pictures are converted into, `auto` the GPU when it is a "
              "hardware one (not Mesa's llvmpipe, which costs more than "
              "the canvas), else the canvas (in a window that cannot show "
              "one, Wayland's or KMSDRM's, OpenGL after all).",
      .example = "gpu" },
    { "cursor", OPT_FIELD(struct config, cursor, ENUM), .names = cursor_names,
      .def = "auto",
      .help = "The mouse pointer over the wall: `auto` shows it while the "
              "mouse moves and hides it after 3 s still, `hidden` never "
              "shows it (a kiosk), `shown` always does.",
      .example = "hidden" },
    { "screens", OPT_CUSTOM, .parse = parse_screens, .diff = diff_screens,
      .sub = &screen_table, .type_doc = "list of screens",
      .flags = OPT_RESTART | OPT_REQUIRED,
      .help = "The screens of the wall, in order (see `wall.screens[]`).",
      .example = "[{id: main, size: 1920x1080}]" },
    { NULL },
};

static const struct opt_table wall_table = {
    "wall", "wall.", "wall",
    "The wall itself: its name, its zone, how pictures fit, how it is "
    "shown, its screens.",
    wall_opts, NULL,
};

/* ---- control ---- */

static const struct opt control_opts[] = {
    { "listen", OPT_LISTEN, OFF(listen_host), OFF(listen_port),
      .def = "127.0.0.1:8080", .flags = OPT_RESTART,
      .help = "Address of the HTTP API, the web console and /metrics. Any "
              "address that is not loopback needs `token_file`.",
      .example = "0.0.0.0:8080" },
    { "token_file", OPT_FIELD(struct config, token_file, PATH), .flags = OPT_RESTART,
      .help = "File whose first line is the API token (at least 16 "
              "characters); relative to the config's folder.",
      .example = "/etc/vigil/token" },
    { NULL },
};

static const struct opt_table control_table = {
    "control", "control.", "control",
    "The control API: where it listens and what it asks for.", control_opts,
    NULL,
};

/* ---- defaults ---- */

static const struct opt defaults_opts[] = {
    { "transport", OPT_FIELD(struct config, default_transport, ENUM),
      .names = transport_names, .def = "auto", .flags = OPT_RESTART,
      .help = "RTSP over TCP, UDP, or (`auto`) TCP falling back to UDP "
              "when the server answers 461, as UDP-only servers do.",
      .example = "udp" },
    { "hwaccel", OPT_FIELD(struct config, default_hwaccel, ENUM), .names = hwaccel_names,
      .def = "auto",
      .help = "Hardware decoding: `auto` tries CUDA then VAAPI; without a "
              "device, software.",
      .example = "none" },
    { "connect_timeout", OPT_FIELD(struct config, default_connect_timeout_ms, DURATION),
      .min = 500, .max = 120000, .def = "10s",
      .help = "From the socket to the first packet; a camera that takes "
              "longer is down and retried.",
      .example = "5s" },
    { NULL },
};

static const struct opt_table defaults_table = {
    "defaults", "defaults.", "defaults",
    "What every camera has unless it says otherwise.", defaults_opts, NULL,
};

/* ---- performance ---- */

static const struct opt performance_opts[] = {
    { "preroll", OPT_FIELD(struct config, preroll_ms, DURATION), .def = "1s",
      .help = "The next page's cameras decode this long before it shows "
              "(0s: never).",
      .example = "2s" },
    { "load_budget", OPT_FIELD(struct config, load_budget, FRACTION), .def = "0.85",
      .help = "Share of the machine (cores decoding, the render thread, "
              "the process) above which load is shed: pre-roll first, then "
              "small tiles to keyframes only.",
      .example = "0.7" },
    { "skip_loop_filter", OPT_FIELD(struct config, skip_loop_filter, BOOL), .def = "false",
      .help = "Tiles up to half a screen high skip H.264/HEVC deblocking "
              "(about a fifth of the decode cost).",
      .example = "true" },
    { "scaler", OPT_FIELD(struct config, scaler, ENUM), .names = scaler_names,
      .def = "bilinear", .example = "nearest",
      .help = "How the software path scales pictures to their tiles: "
              "`nearest` costs about half of `bilinear`, and looks blocky." },
    { NULL },
};

static const struct opt_table performance_table = {
    "performance", "performance.", "performance",
    "How much the wall decodes, and what it gives up under load.",
    performance_opts, NULL,
};

/* ---- cameras[] ---- */

static bool valid_id(const char *s)
{
    if (!*s || strlen(s) > 64) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
              *p == '.')) {
            return false;
        }
    }
    return true;
}

/* A camera URL: a scheme it may use (never pipe:, concat:, subfile: or
 * one not known), and its credentials percent-encoded for FFmpeg. */
static void check_url(struct cfg_ctx *cx, struct fy_node *v, const char *cam,
                      const char *key, char **url)
{
    if (!*url) {
        return;
    }
    if (url_kind(*url) == URL_FORBIDDEN) {
        const char *colon = strchr(*url, ':');
        ERR(cx, v, "camera '%s': %s: '%.*s' is not a camera source (rtsp, "
                   "rtsps, http, https, rtmp, rtmps, srt, udp, rtp, file or "
                   "lavfi)",
            cam, key, colon ? (int)(colon - *url) : 0, *url);
        return;
    }
    char *n = url_normalize(*url);
    free(*url);
    *url = n;
}

static void check_camera(struct cfg_ctx *cx, struct fy_node *map, void *base)
{
    struct cfg_camera *cam = base;
    struct config *c = cx->c;
    int self = (int)(cam - c->cameras);
    struct fy_node *v = yp_get(map, "id");
    if (!v) {
        ERR(cx, map, "camera: 'id' is required");
    } else if (cam->id && !valid_id(cam->id)) {
        ERR(cx, v, "camera id '%s': use letters, digits, '-', '_', '.'",
            cam->id);
    } else if (cam->id && config_find_camera(c, cam->id) != self) {
        ERR(cx, v, "camera '%s' is defined twice", cam->id);
    }
    if (!cam->id) {
        cam->id = xasprintf("#%d", self + 1);
    }
    if (!cam->name) {
        cam->name = xstrdup(cam->id);
    }
    if (!(v = yp_get(map, "url"))) {
        ERR(cx, map, "camera '%s': 'url' is required", cam->id);
    } else if (cam->url && !*cam->url) {
        ERR(cx, v, "camera '%s': url is empty", cam->id);
    } else {
        check_url(cx, v, cam->id, "url", &cam->url);
    }
    if ((v = yp_get(map, "sub"))) {
        check_url(cx, v, cam->id, "sub", &cam->sub);
    }
}

#define COFF(field) offsetof(struct cfg_camera, field)
static const struct opt camera_opts[] = {
    { "id", OPT_FIELD(struct cfg_camera, id, STR), .flags = OPT_RESTART,
      .def_doc = "required",
      .help = "Letters, digits, `-`, `_`, `.`; names the camera in plans, "
              "alerts, the API and metrics.",
      .example = "gate-n" },
    { "name", OPT_FIELD(struct cfg_camera, name, STR), .def_doc = "the id",
      .help = "What the tile's label and the alerts say.",
      .example = "North gate" },
    { "url", OPT_FIELD(struct cfg_camera, url, STR), .flags = OPT_RESTART, .def_doc = "required",
      .help = "The main stream: rtsp(s)://, http(s):// (HLS too), "
              "rtmp(s)://, srt://, udp:// or rtp:// (MPEG-TS), a file or "
              "`lavfi:GRAPH`. A user and password in it may hold any "
              "character, typed as it is or percent-encoded; they are never "
              "shown. Each camera may use only its scheme's protocols.",
      .example = "rtsp://user:pass@10.20.1.11/Streaming/Channels/101" },
    { "sub", OPT_FIELD(struct cfg_camera, sub, STR), .flags = OPT_RESTART,
      .help = "A substream, decoded while the camera's tile is no taller "
              "than it.",
      .example = "rtsp://user:pass@10.20.1.11/Streaming/Channels/102" },
    { "transport", OPT_FIELD(struct cfg_camera, transport, ENUM), .names = transport_names,
      .def_doc = "`defaults.transport`", .flags = OPT_RESTART,
      .help = "RTSP over TCP, UDP, or TCP falling back to UDP.",
      .example = "udp" },
    { "hwaccel", OPT_FIELD(struct cfg_camera, hwaccel, ENUM), .names = hwaccel_names,
      .def_doc = "`defaults.hwaccel`",
      .help = "Hardware decoding for this camera; a change rebuilds its "
              "decoder.",
      .example = "vaapi" },
    { "groups", OPT_STRLIST, COFF(groups), COFF(n_groups),
      .help = "Groups it belongs to, for `cameras: group:NAME` in plans.",
      .example = "[gates, perimeter]" },
    { "connect_timeout", OPT_FIELD(struct cfg_camera, connect_timeout_ms, DURATION), .min = 500,
      .max = 120000, .def_doc = "`defaults.connect_timeout`",
      .help = "From the socket to the first packet, from its next connect "
              "on.",
      .example = "3s" },
    { NULL },
};

static const struct opt_table camera_table = {
    "camera", "camera ", "cameras[]", "One entry per camera.", camera_opts,
    check_camera,
};

static void parse_cameras(struct cfg_ctx *cx, struct fy_node *seq,
                          void *base)
{
    struct config *c = base;
    if (!yp_is_seq(&cx->yp, seq, "cameras")) {
        return;
    }
    int n = fy_node_sequence_item_count(seq);
    c->cameras = xcalloc((size_t)n + 1, sizeof(*c->cameras));
    void *it = NULL;
    struct fy_node *cn;
    while ((cn = fy_node_sequence_iterate(seq, &it))) {
        struct cfg_camera *cam = &c->cameras[c->n_cameras++];
        opt_defaults(&camera_table, cam, cx->dir);
        cam->transport = c->default_transport;
        cam->hwaccel = c->default_hwaccel;
        cam->connect_timeout_ms = c->default_connect_timeout_ms;
        if (!opt_parse(cx, cn, &camera_table, cam)) {
            opt_free(&camera_table, cam); /* not a mapping: its defaults */
            memset(cam, 0, sizeof(*cam));
            c->n_cameras--;
        }
    }
}

static const char *camera_id(const void *c, int i)
{
    return ((const struct config *)c)->cameras[i].id;
}

static void diff_cameras(const struct opt *o, const char *path,
                         const void *a, const void *b, struct cfg_diff *d)
{
    const struct config *x = a, *y = b;
    bool same;
    diff_ids(path, "cameras", x->n_cameras, camera_id, a, y->n_cameras, b,
             &same, d);
    for (int i = 0; same && i < x->n_cameras; i++) {
        char key[128];
        snprintf(key, sizeof(key), "%s[%s]", path, x->cameras[i].id);
        opt_diff(&camera_table, key, &x->cameras[i], &y->cameras[i], d);
    }
}

/* ---- layouts ---- */

static void parse_layouts(struct cfg_ctx *cx, struct fy_node *seq,
                          void *base)
{
    layouts_parse_list(base, &cx->yp, seq);
}

static bool layout_eq(const struct layout *a, const struct layout *b)
{
    return !strcmp(a->name, b->name) && a->cols == b->cols &&
           a->rows == b->rows && a->n_cells == b->n_cells &&
           !memcmp(a->cells, b->cells, sizeof(*a->cells) * (size_t)a->n_cells);
}

static void diff_layouts(const struct opt *o, const char *path,
                         const void *a, const void *b, struct cfg_diff *d)
{
    const struct config *x = a, *y = b;
    bool same = x->n_layouts == y->n_layouts;
    for (int i = 0; same && i < x->n_layouts; i++) {
        same = layout_eq(&x->layouts[i], &y->layouts[i]);
    }
    if (!same) {
        opt_diff_add(d, path, false);
    }
}

/* ---- the root ---- */

/* The sections a config cannot do without, named at its start. */
static void check_root(struct cfg_ctx *cx, struct fy_node *map, void *base)
{
    static const char *const required[] = { "wall", "cameras", "plans" };
    for (size_t i = 0; i < 3; i++) {
        if (!yp_get(map, required[i])) {
            cfg_errors_add(cx->yp.errs, "%s:1:1: '%s' section is required",
                           cx->yp.file, required[i]);
        }
    }
}

static const struct opt root_opts[] = {
    { "wall", OPT_SECTION, .sub = &wall_table, .help = "See `wall`.",
      .example = "{name: ops, screens: [...]}" },
    { "control", OPT_SECTION, .sub = &control_table,
      .help = "See `control`.", .example = "{listen: '127.0.0.1:8080'}" },
    { "alerts", OPT_SECTION, .sub = &cfg_alerts_table, .help = "See `alerts`.",
      .example = "{stall_after: 1s}" },
    { "defaults", OPT_SECTION, .sub = &defaults_table,
      .help = "See `defaults`.", .example = "{transport: auto}" },
    { "performance", OPT_SECTION, .sub = &performance_table,
      .help = "See `performance`.", .example = "{preroll: 1s}" },
    { "cameras", OPT_CUSTOM, .parse = parse_cameras, .diff = diff_cameras,
      .sub = &camera_table, .type_doc = "list of cameras",
      .def_doc = "required", .flags = OPT_PER_KEY,
      .help = "The cameras (see `cameras[]`). Adding, removing or "
              "reordering them needs a restart; most of a camera's keys "
              "apply live.",
      .example = "[{id: gate-n, url: 'rtsp://...'}]" },
    { "layouts", OPT_CUSTOM, .parse = parse_layouts, .diff = diff_layouts,
      .sub = &cfg_layout_table, .type_doc = "list of layouts",
      .def_doc = "the shipped layouts",
      .help = "Layouts beyond the shipped ones (1x1 to 6x6, 1+5, 1+7, 2+8, "
              "1+12, 3+4); one of the same name replaces a shipped one.",
      .example = "[{name: wide, grid: 2x1}]" },
    { "plans", OPT_CUSTOM, .parse = cfg_parse_plans, .diff = cfg_diff_plans,
      .sub = &cfg_plan_table, .type_doc = "mapping of plans",
      .def_doc = "required",
      .help = "Patrol plans by name (see `plans.NAME`).",
      .example = "{day: {screens: ...}}" },
    { "calendars", OPT_CUSTOM, .parse = cfg_parse_calendars,
      .diff = cfg_diff_calendars, .sub = &cfg_calendar_table,
      .type_doc = "mapping of calendars",
      .help = "Holiday calendars by name (see `calendars.NAME`).",
      .example = "{holidays: {ics: holidays.ics}}" },
    { "schedule", OPT_CUSTOM, .parse = cfg_parse_schedule,
      .diff = cfg_diff_schedule, .sub = &cfg_rule_table,
      .type_doc = "list of rules",
      .def_doc = "the first plan, always",
      .help = "Which plan runs when: the first rule that matches wins (see "
              "`schedule[]`).",
      .example = "[{plan: night, when: {time: '22:00-06:00'}}, {plan: day}]" },
    { NULL },
};

const struct opt_table cfg_root_table = {
    "config", "", "",
    "Every key of a wall configuration, generated from the option tables "
    "(`vigil --config-reference`). *on reload* says whether a change "
    "applies to the running wall at `POST /api/reload` (live) or needs a "
    "restart (the reload is then refused and names the key). Durations "
    "are written `500ms`, `2s`, `5m`, `1h`; unknown keys are errors; every "
    "error names file:line:column.",
    root_opts, check_root,
};

/* ---- the public entry points that walk the tables ---- */

void config_diff(const struct config *a, const struct config *b,
                 struct cfg_diff *out)
{
    memset(out, 0, sizeof(*out));
    opt_diff(&cfg_root_table, "", a, b, out);
}

void cfg_diff_finish(struct cfg_diff *d)
{
    free(d->keys);
    memset(d, 0, sizeof(*d));
}

void config_reference(FILE *out)
{
    fprintf(out, "# Configuration reference\n\n");
    opt_reference(&cfg_root_table, out);
}

#ifndef VIGIL_DATADIR
#define VIGIL_DATADIR "/usr/local/share/vigil"
#endif

void config_manpage(FILE *out, const char *version)
{
    fprintf(out,
            ".\\\" Generated by vigil --config-reference man; do not edit.\n"
            ".TH VIGIL.YAML 5 \"\" \"vigil %s\" \"File formats\"\n"
            ".SH NAME\nvigil.yaml \\- configuration of a Vigil video wall\n"
            ".SH SYNOPSIS\n.B /etc/vigil/vigil.yaml\n"
            ".SH DESCRIPTION\n"
            "A YAML file: the wall's screens, its cameras, the layouts and "
            "patrol plans, the schedule that picks a plan, alerting and the "
            "control API. \\fBvigil \\-\\-check\\fR validates one and "
            "names each error as file:line:column; the wall never starts "
            "on an invalid file, and a reload (SIGHUP, \\fBvigil ctl "
            "reload\\fR) keeps the running one.\n"
            ".PP\nThe keys, by section:\n"
            ".SH KEYS\n",
            version);
    opt_manpage(&cfg_root_table, out);
    fprintf(out,
            ".SH FILES\n.TP\n.I %s/layouts\n"
            "The shipped layouts (1x1 to 6x6, 1+5, 1+7, 2+8, 1+12, 3+4), "
            "used when a config names a layout it does not define.\n"
            ".TP\n.I %s/examples\nExample walls.\n"
            ".SH SEE ALSO\n.BR vigil (1)\n",
            VIGIL_DATADIR, VIGIL_DATADIR);
}

void config_defaults(struct config *c, const char *dir)
{
    opt_defaults(&cfg_root_table, c, dir);
    system_zone(c);
    /* A service's state belongs in its StateDirectory (systemd passes its
     * paths, colon-separated; the sandbox lets it write nowhere else). */
    const char *state = getenv("STATE_DIRECTORY");
    if (state && state[0] == '/') {
        free(c->journal);
        c->journal = xasprintf("%.*s/alerts.jsonl", (int)strcspn(state, ":"),
                               state);
    }
}

void config_free_tables(struct config *c)
{
    opt_free(&cfg_root_table, c);
    for (int i = 0; i < c->n_screens; i++) {
        opt_free(&screen_table, &c->screens[i]);
    }
    for (int i = 0; i < c->n_cameras; i++) {
        opt_free(&camera_table, &c->cameras[i]);
    }
}
