/*
 * Config loading: YAML document -> validated, immutable struct config.
 *
 * Runs on whichever thread asks (start-up on the main thread, a reload on
 * the loop thread); it does file I/O and so never runs on a hot path. The
 * parse goes section by section in dependency order (screens, cameras,
 * layouts, plans, calendars, schedule) and collects every error rather
 * than stopping at the first, so an operator fixes a file in one pass.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/ics.h"
#include "config/layouts.h"
#include "config/yaml.h"
#include "util/civil.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/tz.h"

struct ctx {
    struct yp yp;
    struct config *c;
    char *dir; /* folder of the config file, for relative paths */
};

#define ERR(cx, node, ...) yp_error(&(cx)->yp, node, __VA_ARGS__)

/* ---- errors ---- */

void cfg_errors_add(struct cfg_errors *e, const char *fmt, ...)
{
    XGROW(e->msgs, e->cap, e->n + 1);
    va_list va, va2;
    va_start(va, fmt);
    va_copy(va2, va);
    int n = vsnprintf(NULL, 0, fmt, va);
    va_end(va);
    e->msgs[e->n] = xmalloc((size_t)n + 1);
    vsnprintf(e->msgs[e->n], (size_t)n + 1, fmt, va2);
    va_end(va2);
    e->n++;
}

void cfg_errors_finish(struct cfg_errors *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->msgs[i]);
    }
    free(e->msgs);
    *e = (struct cfg_errors){ 0 };
}

/* ---- small parsers ---- */

bool config_parse_duration(const char *s, int64_t *out_ms)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0 || v > 1e9) {
        return false;
    }
    double mul;
    if (!strcmp(end, "ms")) {
        mul = 1;
    } else if (!strcmp(end, "s")) {
        mul = 1000;
    } else if (!strcmp(end, "m")) {
        mul = 60000;
    } else if (!strcmp(end, "h")) {
        mul = 3600000;
    } else {
        return false;
    }
    *out_ms = (int64_t)(v * mul + 0.5);
    return true;
}

static bool parse_hhmm(const char *s, int *min)
{
    int h, m;
    char tail;
    if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 24 ||
        m < 0 || m > 59 || (h == 24 && m != 0) || strlen(s) != 5) {
        return false;
    }
    *min = h * 60 + m;
    return true;
}

static bool parse_date(const char *s, int32_t *ymd)
{
    int y, mo, d;
    char tail;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30,
                                 31, 31, 30, 31, 30, 31 };
    if (strlen(s) != 10 || sscanf(s, "%d-%d-%d%c", &y, &mo, &d, &tail) != 3 ||
        y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1]) {
        return false;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) {
        return false;
    }
    *ymd = y * 10000 + mo * 100 + d;
    return true;
}

static char *dup_str(struct ctx *cx, struct fy_node *n, const char *what)
{
    const char *s = yp_str(&cx->yp, n, what);
    return s ? xstrdup(s) : NULL;
}

/* ---- lookups ---- */

int config_find_camera(const struct config *c, const char *id)
{
    for (int i = 0; i < c->n_cameras; i++) {
        if (!strcmp(c->cameras[i].id, id)) {
            return i;
        }
    }
    return -1;
}

int config_find_layout(const struct config *c, const char *name)
{
    /* Last definition wins, so a config's inline layout may replace a
     * shipped one of the same name. */
    for (int i = c->n_layouts - 1; i >= 0; i--) {
        if (!strcmp(c->layouts[i].name, name)) {
            return i;
        }
    }
    return -1;
}

int config_find_screen(const struct config *c, const char *id)
{
    for (int i = 0; i < c->n_screens; i++) {
        if (!strcmp(c->screens[i].id, id)) {
            return i;
        }
    }
    return -1;
}

int config_default_plan(const struct config *c)
{
    for (int i = 0; i < c->n_rules; i++) {
        if (!c->rules[i].has_when) {
            return c->rules[i].plan;
        }
    }
    return c->n_plans ? 0 : -1;
}

/* ---- sections ---- */

static const char *const fit_names[] = { "letterbox", "fill", "stretch",
                                         NULL };
static const char *const transport_names[] = { "tcp", "udp", "auto", NULL };
static const char *const hwaccel_names[] = { "auto", "none", "vaapi", "cuda",
                                             NULL };

static void parse_screens(struct ctx *cx, struct fy_node *seq)
{
    struct config *c = cx->c;
    if (!yp_is_seq(&cx->yp, seq, "wall.screens")) {
        return;
    }
    int n = fy_node_sequence_item_count(seq);
    c->screens = xcalloc((size_t)n, sizeof(*c->screens));
    void *it = NULL;
    struct fy_node *sn;
    static const char *const keys[] = { "id", "size", "display",
                                        "fullscreen", NULL };
    while ((sn = fy_node_sequence_iterate(seq, &it))) {
        if (!yp_is_map(&cx->yp, sn, "screen")) {
            continue;
        }
        yp_check_keys(&cx->yp, sn, keys, "screen");
        struct cfg_screen *s = &c->screens[c->n_screens++];
        s->width = 1920;
        s->height = 1080;
        struct fy_node *v;
        if ((v = yp_get(sn, "id"))) {
            s->id = dup_str(cx, v, "screen id");
            if (s->id && config_find_screen(c, s->id) != c->n_screens - 1) {
                ERR(cx, v, "screen '%s' is defined twice", s->id);
            }
        } else {
            ERR(cx, sn, "screen: 'id' is required");
        }
        if (!s->id) {
            s->id = xasprintf("screen-%d", c->n_screens);
        }
        if ((v = yp_get(sn, "size"))) {
            yp_size(&cx->yp, v, "screen size", &s->width, &s->height);
        }
        if ((v = yp_get(sn, "display"))) {
            yp_int(&cx->yp, v, "screen display", 0, 64, &s->display);
        }
        if ((v = yp_get(sn, "fullscreen"))) {
            yp_bool(&cx->yp, v, "screen fullscreen", &s->fullscreen);
        }
    }
    if (!c->n_screens) {
        ERR(cx, seq, "wall.screens: at least one screen is required");
    }
}

static void parse_wall(struct ctx *cx, struct fy_node *w)
{
    struct config *c = cx->c;
    static const char *const keys[] = { "name", "timezone", "fit", "labels",
                                        "screens", NULL };
    if (!w) {
        cfg_errors_add(cx->yp.errs, "%s:1:1: 'wall' section is required",
                       cx->yp.file);
        return;
    }
    if (!yp_is_map(&cx->yp, w, "wall")) {
        return;
    }
    yp_check_keys(&cx->yp, w, keys, "wall");
    struct fy_node *v;
    if ((v = yp_get(w, "name"))) {
        free(c->wall_name);
        c->wall_name = dup_str(cx, v, "wall.name");
    }
    if ((v = yp_get(w, "timezone"))) {
        const char *tz = yp_str(&cx->yp, v, "wall.timezone");
        if (tz) {
            char *zpath = xasprintf("/usr/share/zoneinfo/%s", tz);
            if (strstr(tz, "..") || access(zpath, R_OK) != 0 ||
                !(c->tz = vtz_load(tz))) {
                ERR(cx, v, "wall.timezone: unknown time zone '%s'", tz);
            }
            free(zpath);
            c->timezone = xstrdup(tz);
        }
    }
    int e;
    if ((v = yp_get(w, "fit")) &&
        yp_enum(&cx->yp, v, "wall.fit", fit_names, &e)) {
        c->fit = (enum layout_fit)e;
    }
    if ((v = yp_get(w, "labels"))) {
        yp_bool(&cx->yp, v, "wall.labels", &c->labels);
    }
    if ((v = yp_get(w, "screens"))) {
        parse_screens(cx, v);
    } else {
        ERR(cx, w, "wall: 'screens' is required");
    }
}

static void parse_control(struct ctx *cx, struct fy_node *m)
{
    static const char *const keys[] = { "listen", "token_file", NULL };
    if (!yp_is_map(&cx->yp, m, "control")) {
        return;
    }
    yp_check_keys(&cx->yp, m, keys, "control");
    struct fy_node *v;
    if ((v = yp_get(m, "listen"))) {
        const char *s = yp_str(&cx->yp, v, "control.listen");
        if (s) {
            const char *colon = strrchr(s, ':');
            char *end = NULL;
            long port = colon ? strtol(colon + 1, &end, 10) : -1;
            if (!colon || colon == s || !end || *end || port < 0 ||
                port > 65535) {
                ERR(cx, v, "control.listen: '%s' is not HOST:PORT", s);
            } else {
                const char *h = s;
                size_t hl = (size_t)(colon - s);
                if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') {
                    h++;
                    hl -= 2;
                }
                free(cx->c->listen_host);
                cx->c->listen_host = xmalloc(hl + 1);
                memcpy(cx->c->listen_host, h, hl);
                cx->c->listen_host[hl] = 0;
                cx->c->listen_port = (int)port;
            }
        }
    }
    if ((v = yp_get(m, "token_file"))) {
        cx->c->token_file = dup_str(cx, v, "control.token_file");
    }
}

/* A number in (0, 1]. */
static void parse_fraction(struct ctx *cx, struct fy_node *n,
                           const char *what, double *out)
{
    const char *f = yp_str(&cx->yp, n, what);
    char *end;
    double d = f ? strtod(f, &end) : 0;
    if (f && (*end || d <= 0 || d > 1)) {
        ERR(cx, n, "%s: '%s' is not a number in (0, 1]", what, f);
    } else if (f) {
        *out = d;
    }
}

static void parse_alerts(struct ctx *cx, struct fy_node *m)
{
    struct config *c = cx->c;
    static const char *const keys[] = { "journal", "stall_after",
                                        "raise_after", "clear_after", "mqtt",
                                        "webhook", "exec", "exec_timeout",
                                        "flap", "systemic", NULL };
    static const char *const sys_keys[] = { "min", "fraction", NULL };
    static const char *const flap_keys[] = { "count", "window", "quiet",
                                             NULL };
    static const char *const mqtt_keys[] = { "url", "topic", NULL };
    static const char *const hook_keys[] = { "url", NULL };
    if (!yp_is_map(&cx->yp, m, "alerts")) {
        return;
    }
    yp_check_keys(&cx->yp, m, keys, "alerts");
    struct fy_node *v, *u;
    if ((v = yp_get(m, "journal"))) {
        const char *s = yp_str(&cx->yp, v, "alerts.journal");
        free(c->journal);
        c->journal = !s          ? NULL
                     : s[0] == '/' ? xstrdup(s)
                                   : xasprintf("%s/%s", cx->dir, s);
    }
    if ((v = yp_get(m, "stall_after")) &&
        yp_duration(&cx->yp, v, "alerts.stall_after", &c->stall_after_ms) &&
        c->stall_after_ms < 100) {
        ERR(cx, v, "alerts.stall_after: must be at least 100ms");
    }
    if ((v = yp_get(m, "raise_after"))) {
        yp_duration(&cx->yp, v, "alerts.raise_after", &c->raise_after_ms);
    }
    if ((v = yp_get(m, "clear_after"))) {
        yp_duration(&cx->yp, v, "alerts.clear_after", &c->clear_after_ms);
    }
    if ((v = yp_get(m, "mqtt")) && yp_is_map(&cx->yp, v, "alerts.mqtt")) {
        yp_check_keys(&cx->yp, v, mqtt_keys, "alerts.mqtt");
        if ((u = yp_get(v, "url"))) {
            c->mqtt_url = dup_str(cx, u, "alerts.mqtt.url");
        }
        if ((u = yp_get(v, "topic"))) {
            c->mqtt_topic = dup_str(cx, u, "alerts.mqtt.topic");
        }
    }
    if ((v = yp_get(m, "webhook")) &&
        yp_is_map(&cx->yp, v, "alerts.webhook")) {
        yp_check_keys(&cx->yp, v, hook_keys, "alerts.webhook");
        if ((u = yp_get(v, "url"))) {
            c->webhook_url = dup_str(cx, u, "alerts.webhook.url");
        }
    }
    if ((v = yp_get(m, "exec_timeout"))) {
        int64_t ms;
        if (yp_duration(&cx->yp, v, "alerts.exec_timeout", &ms)) {
            c->exec_timeout_ms = (int)(ms > 3600000 ? 3600000 : ms);
        }
    }
    if ((v = yp_get(m, "flap")) && yp_is_map(&cx->yp, v, "alerts.flap")) {
        yp_check_keys(&cx->yp, v, flap_keys, "alerts.flap");
        if ((u = yp_get(v, "count"))) {
            yp_int(&cx->yp, u, "alerts.flap.count", 0, 1000, &c->flap_count);
        }
        if ((u = yp_get(v, "window"))) {
            yp_duration(&cx->yp, u, "alerts.flap.window", &c->flap_window_ms);
        }
        if ((u = yp_get(v, "quiet"))) {
            yp_duration(&cx->yp, u, "alerts.flap.quiet", &c->flap_quiet_ms);
        }
    }
    if ((v = yp_get(m, "systemic")) &&
        yp_is_map(&cx->yp, v, "alerts.systemic")) {
        yp_check_keys(&cx->yp, v, sys_keys, "alerts.systemic");
        if ((u = yp_get(v, "min"))) {
            yp_int(&cx->yp, u, "alerts.systemic.min", 0, 100000,
                   &c->systemic_min);
        }
        if ((u = yp_get(v, "fraction"))) {
            parse_fraction(cx, u, "alerts.systemic.fraction",
                           &c->systemic_fraction);
        }
    }
    if ((v = yp_get(m, "exec")) && yp_is_seq(&cx->yp, v, "alerts.exec")) {
        int n = fy_node_sequence_item_count(v);
        if (!n) {
            ERR(cx, v, "alerts.exec: the program is missing");
        }
        c->exec_argv = xcalloc((size_t)n + 1, sizeof(char *));
        void *it = NULL;
        while ((u = fy_node_sequence_iterate(v, &it))) {
            char *s = dup_str(cx, u, "alerts.exec argument");
            if (s) {
                c->exec_argv[c->n_exec_argv++] = s;
            }
        }
    }
}

static void parse_performance(struct ctx *cx, struct fy_node *m)
{
    static const char *const keys[] = { "preroll", "load_budget",
                                        "skip_loop_filter", NULL };
    struct config *c = cx->c;
    if (!yp_is_map(&cx->yp, m, "performance")) {
        return;
    }
    yp_check_keys(&cx->yp, m, keys, "performance");
    struct fy_node *v;
    if ((v = yp_get(m, "preroll"))) {
        yp_duration(&cx->yp, v, "performance.preroll", &c->preroll_ms);
    }
    if ((v = yp_get(m, "load_budget"))) {
        parse_fraction(cx, v, "performance.load_budget",
                       &c->load_budget);
    }
    if ((v = yp_get(m, "skip_loop_filter"))) {
        yp_bool(&cx->yp, v, "performance.skip_loop_filter",
                &c->skip_loop_filter);
    }
}

/* How long a connection may take, from the socket to the first packet
 * (a silent or hostile server is given up on after it). */
static void parse_connect_timeout(struct ctx *cx, struct fy_node *v,
                                  const char *what, int64_t *out_ms)
{
    int64_t ms;
    if (!yp_duration(&cx->yp, v, what, &ms)) {
        return;
    }
    if (ms < 500 || ms > 120000) {
        ERR(cx, v, "%s: must be between 500ms and 2m", what);
        return;
    }
    *out_ms = ms;
}

static void parse_defaults(struct ctx *cx, struct fy_node *m)
{
    static const char *const keys[] = { "transport", "hwaccel",
                                        "connect_timeout", NULL };
    if (!yp_is_map(&cx->yp, m, "defaults")) {
        return;
    }
    yp_check_keys(&cx->yp, m, keys, "defaults");
    struct fy_node *v;
    int e;
    if ((v = yp_get(m, "transport")) &&
        yp_enum(&cx->yp, v, "defaults.transport", transport_names, &e)) {
        cx->c->default_transport = (enum cfg_transport)e;
    }
    if ((v = yp_get(m, "hwaccel")) &&
        yp_enum(&cx->yp, v, "defaults.hwaccel", hwaccel_names, &e)) {
        cx->c->default_hwaccel = (enum cfg_hwaccel)e;
    }
    if ((v = yp_get(m, "connect_timeout"))) {
        parse_connect_timeout(cx, v, "defaults.connect_timeout",
                              &cx->c->default_connect_timeout_ms);
    }
}

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

static void parse_camera(struct ctx *cx, struct fy_node *cn)
{
    struct config *c = cx->c;
    static const char *const keys[] = { "id", "name", "url", "sub",
                                        "transport", "hwaccel", "groups",
                                        "connect_timeout", NULL };
    if (!yp_is_map(&cx->yp, cn, "camera")) {
        return;
    }
    yp_check_keys(&cx->yp, cn, keys, "camera");
    struct cfg_camera *cam = &c->cameras[c->n_cameras++];
    cam->transport = c->default_transport;
    cam->hwaccel = c->default_hwaccel;
    cam->connect_timeout_ms = c->default_connect_timeout_ms;
    struct fy_node *v;
    if ((v = yp_get(cn, "id")) && (cam->id = dup_str(cx, v, "camera id"))) {
        if (!valid_id(cam->id)) {
            ERR(cx, v, "camera id '%s': use letters, digits, '-', '_', '.'",
                cam->id);
        } else if (config_find_camera(c, cam->id) != c->n_cameras - 1) {
            ERR(cx, v, "camera '%s' is defined twice", cam->id);
        }
    } else if (!v) {
        ERR(cx, cn, "camera: 'id' is required");
    }
    if (!cam->id) {
        cam->id = xasprintf("#%d", c->n_cameras);
    }
    if ((v = yp_get(cn, "name"))) {
        cam->name = dup_str(cx, v, "camera name");
    }
    if (!cam->name) {
        cam->name = xstrdup(cam->id);
    }
    if ((v = yp_get(cn, "url"))) {
        cam->url = dup_str(cx, v, "camera url");
        if (cam->url && !*cam->url) {
            ERR(cx, v, "camera '%s': url is empty", cam->id);
        }
    } else {
        ERR(cx, cn, "camera '%s': 'url' is required", cam->id);
    }
    if ((v = yp_get(cn, "sub"))) {
        cam->sub = dup_str(cx, v, "camera sub");
    }
    int e;
    if ((v = yp_get(cn, "transport")) &&
        yp_enum(&cx->yp, v, "camera transport", transport_names, &e)) {
        cam->transport = (enum cfg_transport)e;
    }
    if ((v = yp_get(cn, "hwaccel")) &&
        yp_enum(&cx->yp, v, "camera hwaccel", hwaccel_names, &e)) {
        cam->hwaccel = (enum cfg_hwaccel)e;
    }
    if ((v = yp_get(cn, "connect_timeout"))) {
        parse_connect_timeout(cx, v, "camera connect_timeout",
                              &cam->connect_timeout_ms);
    }
    if ((v = yp_get(cn, "groups")) &&
        yp_is_seq(&cx->yp, v, "camera groups")) {
        cam->groups = xcalloc((size_t)fy_node_sequence_item_count(v),
                              sizeof(char *));
        void *it = NULL;
        struct fy_node *g;
        while ((g = fy_node_sequence_iterate(v, &it))) {
            char *s = dup_str(cx, g, "camera group");
            if (s) {
                cam->groups[cam->n_groups++] = s;
            }
        }
    }
}

static void parse_cameras(struct ctx *cx, struct fy_node *seq)
{
    if (!seq) {
        cfg_errors_add(cx->yp.errs, "%s:1:1: 'cameras' section is required",
                       cx->yp.file);
        return;
    }
    if (!yp_is_seq(&cx->yp, seq, "cameras")) {
        return;
    }
    int n = fy_node_sequence_item_count(seq);
    cx->c->cameras = xcalloc((size_t)n, sizeof(*cx->c->cameras));
    void *it = NULL;
    struct fy_node *cn;
    while ((cn = fy_node_sequence_iterate(seq, &it))) {
        parse_camera(cx, cn);
    }
}

/* Cameras of a group, in config order. */
static int group_members(const struct config *c, const char *group,
                         int *out)
{
    int n = 0;
    for (int i = 0; i < c->n_cameras; i++) {
        for (int g = 0; g < c->cameras[i].n_groups; g++) {
            if (!strcmp(c->cameras[i].groups[g], group)) {
                out[n++] = i;
                break;
            }
        }
    }
    return n;
}

static int camera_ref(struct ctx *cx, struct fy_node *n)
{
    const char *id = yp_str(&cx->yp, n, "camera");
    if (!id) {
        return -1;
    }
    int i = config_find_camera(cx->c, id);
    if (i < 0) {
        ERR(cx, n, "unknown camera '%s'", id);
    }
    return i;
}

static void parse_tile(struct ctx *cx, struct fy_node *n, struct cfg_tile *t)
{
    static const char *const keys[] = { "cycle", "dwell", "skip_down", NULL };
    if (fy_node_get_type(n) == FYNT_SCALAR) {
        const char *s = fy_node_get_scalar0(n);
        if (fy_node_is_null(n) || !strcmp(s, "-") || !*s) {
            return; /* a deliberately blank tile */
        }
        int cam = camera_ref(cx, n);
        if (cam >= 0) {
            t->cycle = xmalloc(sizeof(int));
            t->cycle[0] = cam;
            t->n_cycle = 1;
        }
        return;
    }
    if (!yp_is_map(&cx->yp, n, "tile")) {
        return;
    }
    yp_check_keys(&cx->yp, n, keys, "tile");
    struct fy_node *v;
    if ((v = yp_get(n, "dwell")) &&
        yp_duration(&cx->yp, v, "tile dwell", &t->dwell_ms) &&
        t->dwell_ms < 100) {
        ERR(cx, v, "tile dwell: must be at least 100ms");
    }
    if ((v = yp_get(n, "skip_down"))) {
        yp_bool(&cx->yp, v, "tile skip_down", &t->skip_down);
    }
    v = yp_get(n, "cycle");
    if (!v) {
        ERR(cx, n, "tile: 'cycle' is required in a carousel tile");
        return;
    }
    if (!yp_is_seq(&cx->yp, v, "tile cycle")) {
        return;
    }
    t->cycle = xcalloc((size_t)fy_node_sequence_item_count(v), sizeof(int));
    void *it = NULL;
    struct fy_node *cn;
    while ((cn = fy_node_sequence_iterate(v, &it))) {
        int cam = camera_ref(cx, cn);
        if (cam >= 0) {
            t->cycle[t->n_cycle++] = cam;
        }
    }
    if (!t->n_cycle) {
        ERR(cx, v, "tile cycle: no cameras");
    }
}

static void parse_entry_cameras(struct ctx *cx, struct fy_node *v,
                                struct cfg_entry *e)
{
    struct config *c = cx->c;
    e->paginate = true;
    e->cameras = xcalloc((size_t)c->n_cameras + 1, sizeof(int));
    if (fy_node_get_type(v) == FYNT_SCALAR) {
        const char *s = fy_node_get_scalar0(v);
        if (strncmp(s, "group:", 6) != 0) {
            ERR(cx, v, "cameras: expected 'group:NAME' or a list of cameras");
            return;
        }
        e->n_cameras = group_members(c, s + 6, e->cameras);
        if (!e->n_cameras) {
            ERR(cx, v, "cameras: group '%s' has no cameras", s + 6);
        }
        return;
    }
    if (!yp_is_seq(&cx->yp, v, "cameras")) {
        return;
    }
    void *it = NULL;
    struct fy_node *cn;
    while ((cn = fy_node_sequence_iterate(v, &it))) {
        int cam = camera_ref(cx, cn);
        if (cam >= 0 && e->n_cameras < c->n_cameras) {
            e->cameras[e->n_cameras++] = cam;
        }
    }
    if (!e->n_cameras) {
        ERR(cx, v, "cameras: the list is empty");
    }
}

static void parse_pins(struct ctx *cx, struct fy_node *v, struct cfg_entry *e,
                       const struct layout *l)
{
    if (!yp_is_map(&cx->yp, v, "pin")) {
        return;
    }
    e->n_pins = l->n_cells;
    e->pins = xmalloc(sizeof(int) * (size_t)l->n_cells);
    for (int i = 0; i < l->n_cells; i++) {
        e->pins[i] = -1;
    }
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(v, &it))) {
        int tile;
        struct fy_node *k = fy_node_pair_key(pr);
        if (!yp_int(&cx->yp, k, "pin tile", 0, l->n_cells - 1, &tile)) {
            continue;
        }
        int cam = camera_ref(cx, fy_node_pair_value(pr));
        if (cam >= 0) {
            e->pins[tile] = cam;
        }
    }
}

static void parse_entry(struct ctx *cx, struct fy_node *en,
                        struct cfg_entry *e)
{
    struct config *c = cx->c;
    static const char *const keys[] = { "layout", "tiles", "cameras", "pin",
                                        "dwell", NULL };
    e->layout = -1;
    if (!yp_is_map(&cx->yp, en, "plan entry")) {
        return;
    }
    yp_check_keys(&cx->yp, en, keys, "plan entry");
    struct fy_node *v = yp_get(en, "layout");
    const char *ln = v ? yp_str(&cx->yp, v, "layout") : NULL;
    if (!v) {
        ERR(cx, en, "plan entry: 'layout' is required");
    } else if (ln && (e->layout = config_find_layout(c, ln)) < 0) {
        ERR(cx, v, "unknown layout '%s'", ln);
    }
    if ((v = yp_get(en, "dwell")) &&
        yp_duration(&cx->yp, v, "dwell", &e->dwell_ms) && e->dwell_ms < 100) {
        ERR(cx, v, "dwell: must be at least 100ms");
    }
    struct fy_node *tiles = yp_get(en, "tiles");
    struct fy_node *cams = yp_get(en, "cameras");
    if (tiles && cams) {
        ERR(cx, cams, "plan entry: give either 'tiles' or 'cameras', "
                      "not both");
    } else if (!tiles && !cams) {
        ERR(cx, en, "plan entry: 'tiles' or 'cameras' is required");
    }
    const struct layout *l = e->layout >= 0 ? &c->layouts[e->layout] : NULL;
    if (tiles && yp_is_seq(&cx->yp, tiles, "tiles")) {
        int n = fy_node_sequence_item_count(tiles);
        if (l && n > l->n_cells) {
            ERR(cx, tiles, "tiles: %d tiles given but layout '%s' has %d", n,
                l->name, l->n_cells);
        }
        e->tiles = xcalloc((size_t)n, sizeof(*e->tiles));
        void *it = NULL;
        struct fy_node *tn;
        while ((tn = fy_node_sequence_iterate(tiles, &it))) {
            parse_tile(cx, tn, &e->tiles[e->n_tiles++]);
        }
    } else if (cams) {
        parse_entry_cameras(cx, cams, e);
    }
    if ((v = yp_get(en, "pin"))) {
        if (!l) {
            return;
        }
        if (!cams) {
            ERR(cx, v, "pin: only an entry with 'cameras' has pages to pin "
                       "across");
        }
        parse_pins(cx, v, e, l);
        int free_tiles = 0;
        for (int i = 0; i < e->n_pins; i++) {
            free_tiles += e->pins[i] < 0;
        }
        if (!free_tiles && e->n_cameras) {
            ERR(cx, v, "pin: every tile is pinned; no room for the cameras");
        }
    }
}

static void parse_plan(struct ctx *cx, struct fy_node *key,
                       struct fy_node *pn, struct cfg_plan *plan)
{
    struct config *c = cx->c;
    static const char *const keys[] = { "dwell", "screens", NULL };
    plan->name = dup_str(cx, key, "plan name");
    if (!plan->name) {
        plan->name = xstrdup("?");
    }
    plan->dwell_ms = 10000;
    plan->entries = xcalloc((size_t)c->n_screens + 1, sizeof(*plan->entries));
    plan->n_entries = xcalloc((size_t)c->n_screens + 1, sizeof(int));
    if (!yp_is_map(&cx->yp, pn, "plan")) {
        return;
    }
    yp_check_keys(&cx->yp, pn, keys, "plan");
    struct fy_node *v;
    if ((v = yp_get(pn, "dwell")) &&
        yp_duration(&cx->yp, v, "dwell", &plan->dwell_ms) &&
        plan->dwell_ms < 100) {
        ERR(cx, v, "dwell: must be at least 100ms");
    }
    struct fy_node *screens = yp_get(pn, "screens");
    if (!screens) {
        ERR(cx, pn, "plan '%s': 'screens' is required", plan->name);
        return;
    }
    if (!yp_is_map(&cx->yp, screens, "plan screens")) {
        return;
    }
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(screens, &it))) {
        struct fy_node *sk = fy_node_pair_key(pr), *sv = fy_node_pair_value(pr);
        const char *sid = yp_str(&cx->yp, sk, "screen");
        int si = sid ? config_find_screen(c, sid) : -1;
        if (sid && si < 0) {
            ERR(cx, sk, "plan '%s': unknown screen '%s'", plan->name, sid);
        }
        if (si < 0 || !yp_is_seq(&cx->yp, sv, "plan screen entries")) {
            continue;
        }
        int n = fy_node_sequence_item_count(sv);
        plan->entries[si] = xcalloc((size_t)n, sizeof(struct cfg_entry));
        void *it2 = NULL;
        struct fy_node *en;
        while ((en = fy_node_sequence_iterate(sv, &it2))) {
            parse_entry(cx, en, &plan->entries[si][plan->n_entries[si]++]);
        }
        if (!n) {
            ERR(cx, sv, "plan '%s': screen '%s' has no entries", plan->name,
                sid);
        }
    }
}

static void parse_plans(struct ctx *cx, struct fy_node *m)
{
    if (!m) {
        cfg_errors_add(cx->yp.errs, "%s:1:1: 'plans' section is required",
                       cx->yp.file);
        return;
    }
    if (!yp_is_map(&cx->yp, m, "plans")) {
        return;
    }
    int n = fy_node_mapping_item_count(m);
    cx->c->plans = xcalloc((size_t)n, sizeof(*cx->c->plans));
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(m, &it))) {
        parse_plan(cx, fy_node_pair_key(pr), fy_node_pair_value(pr),
                   &cx->c->plans[cx->c->n_plans++]);
    }
    if (!n) {
        ERR(cx, m, "plans: at least one plan is required");
    }
}

static int find_plan(const struct config *c, const char *name)
{
    for (int i = 0; i < c->n_plans; i++) {
        if (!strcmp(c->plans[i].name, name)) {
            return i;
        }
    }
    return -1;
}

/* A list of dates "YYYY-MM-DD" or ranges "YYYY-MM-DD..YYYY-MM-DD" into
 * day-number ranges [from[i], to[i]]. `to` may be NULL (single dates
 * only). */
static void parse_date_list(struct ctx *cx, struct fy_node *seq,
                            const char *what, int32_t **from, int32_t **to,
                            int *n)
{
    if (!yp_is_seq(&cx->yp, seq, what)) {
        return;
    }
    size_t cap = (size_t)fy_node_sequence_item_count(seq) + 1;
    *from = xcalloc(cap, sizeof(int32_t));
    if (to) {
        *to = xcalloc(cap, sizeof(int32_t));
    }
    void *it = NULL;
    struct fy_node *dn;
    while ((dn = fy_node_sequence_iterate(seq, &it))) {
        const char *s = yp_str(&cx->yp, dn, what);
        char a[16] = "", b[16] = "";
        int32_t da, db;
        if (!s) {
            continue;
        }
        const char *dots = strstr(s, "..");
        if (dots && to) {
            snprintf(a, sizeof(a), "%.*s", (int)(dots - s), s);
            snprintf(b, sizeof(b), "%s", dots + 2);
        } else {
            snprintf(a, sizeof(a), "%s", s);
            snprintf(b, sizeof(b), "%s", s);
        }
        if (strlen(s) > 22 || !parse_date(a, &da) || !parse_date(b, &db)) {
            ERR(cx, dn, "%s: '%s' is not a date YYYY-MM-DD%s", what, s,
                to ? " or a range A..B" : "");
            continue;
        }
        if (db < da) {
            ERR(cx, dn, "%s: '%s' ends before it starts", what, s);
            continue;
        }
        (*from)[*n] = civil_ymd_to_days(da);
        if (to) {
            (*to)[*n] = civil_ymd_to_days(db);
        }
        (*n)++;
    }
}

static void parse_calendars(struct ctx *cx, struct fy_node *m)
{
    struct config *c = cx->c;
    static const char *const keys[] = { "ics", "dates", NULL };
    if (!yp_is_map(&cx->yp, m, "calendars")) {
        return;
    }
    c->calendars = xcalloc((size_t)fy_node_mapping_item_count(m) + 1,
                           sizeof(*c->calendars));
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(m, &it))) {
        struct fy_node *k = fy_node_pair_key(pr), *v = fy_node_pair_value(pr);
        struct cfg_calendar *cal = &c->calendars[c->n_calendars++];
        cal->name = dup_str(cx, k, "calendar name");
        if (!cal->name) {
            cal->name = xstrdup("?");
        }
        if (!yp_is_map(&cx->yp, v, "calendar")) {
            continue;
        }
        yp_check_keys(&cx->yp, v, keys, "calendar");
        struct fy_node *u;
        if ((u = yp_get(v, "dates"))) {
            parse_date_list(cx, u, "calendar dates", &cal->days, NULL,
                            &cal->n_days);
        }
        if ((u = yp_get(v, "ics"))) {
            const char *s = yp_str(&cx->yp, u, "calendar ics");
            if (s) {
                cal->ics_path = s[0] == '/' ? xstrdup(s)
                                            : xasprintf("%s/%s", cx->dir, s);
                if (access(cal->ics_path, R_OK) != 0) {
                    ERR(cx, u, "calendar '%s': cannot read '%s': %s",
                        cal->name, s, strerror(errno));
                } else {
                    /* errors name the file as the config wrote it */
                    char *shown = s[0] == '/' || !strcmp(cx->dir, ".")
                                      ? xstrdup(s)
                                      : xasprintf("%s/%s", cx->dir, s);
                    ics_load(cal->ics_path, shown, c->tz, cal,
                             cx->yp.errs);
                    free(shown);
                }
            }
        }
        ics_days_finish(cal);
    }
}

static void parse_when(struct ctx *cx, struct fy_node *m, struct cfg_when *w)
{
    static const char *const keys[] = { "time", "weekdays", "dates",
                                        "calendar", "from_eve", NULL };
    static const char *const days[] = { "mon", "tue", "wed", "thu", "fri",
                                        "sat", "sun", NULL };
    w->calendar = -1;
    w->from_eve_min = -1;
    if (!yp_is_map(&cx->yp, m, "when")) {
        return;
    }
    yp_check_keys(&cx->yp, m, keys, "when");
    struct fy_node *v;
    if ((v = yp_get(m, "time"))) {
        const char *s = yp_str(&cx->yp, v, "when.time");
        char a[8], b[8];
        if (s && (strlen(s) != 11 || s[5] != '-' ||
                  sscanf(s, "%5[0-9:]-%5[0-9:]", a, b) != 2 ||
                  !parse_hhmm(a, &w->time_from_min) ||
                  !parse_hhmm(b, &w->time_to_min))) {
            ERR(cx, v, "when.time: '%s' is not a window HH:MM-HH:MM", s);
        }
        w->has_time = true;
    }
    if ((v = yp_get(m, "weekdays")) &&
        yp_is_seq(&cx->yp, v, "when.weekdays")) {
        void *it = NULL;
        struct fy_node *dn;
        int d;
        while ((dn = fy_node_sequence_iterate(v, &it))) {
            if (yp_enum(&cx->yp, dn, "weekday", days, &d)) {
                w->weekdays |= 1u << d;
            }
        }
    }
    if ((v = yp_get(m, "dates"))) {
        parse_date_list(cx, v, "when.dates", &w->date_from, &w->date_to,
                        &w->n_date_ranges);
    }
    if ((v = yp_get(m, "calendar"))) {
        const char *s = yp_str(&cx->yp, v, "when.calendar");
        for (int i = 0; s && i < cx->c->n_calendars; i++) {
            if (!strcmp(cx->c->calendars[i].name, s)) {
                w->calendar = i;
            }
        }
        if (s && w->calendar < 0) {
            ERR(cx, v, "when.calendar: unknown calendar '%s'", s);
        }
    }
    if ((v = yp_get(m, "from_eve"))) {
        const char *s = yp_str(&cx->yp, v, "when.from_eve");
        if (s && !parse_hhmm(s, &w->from_eve_min)) {
            ERR(cx, v, "when.from_eve: '%s' is not a time HH:MM", s);
        }
        if (!yp_get(m, "calendar")) {
            ERR(cx, v, "when.from_eve: needs a 'calendar'");
        }
    }
}

static void parse_schedule(struct ctx *cx, struct fy_node *seq)
{
    struct config *c = cx->c;
    static const char *const keys[] = { "plan", "when", NULL };
    if (!yp_is_seq(&cx->yp, seq, "schedule")) {
        return;
    }
    c->rules = xcalloc((size_t)fy_node_sequence_item_count(seq) + 1,
                       sizeof(*c->rules));
    void *it = NULL;
    struct fy_node *rn;
    while ((rn = fy_node_sequence_iterate(seq, &it))) {
        if (!yp_is_map(&cx->yp, rn, "schedule rule")) {
            continue;
        }
        yp_check_keys(&cx->yp, rn, keys, "schedule rule");
        struct cfg_rule *r = &c->rules[c->n_rules++];
        struct fy_node *v = yp_get(rn, "plan");
        const char *pn = v ? yp_str(&cx->yp, v, "schedule plan") : NULL;
        r->plan = pn ? find_plan(c, pn) : -1;
        if (!v) {
            ERR(cx, rn, "schedule rule: 'plan' is required");
        } else if (pn && r->plan < 0) {
            ERR(cx, v, "schedule: unknown plan '%s'", pn);
        }
        if ((v = yp_get(rn, "when"))) {
            r->has_when = true;
            parse_when(cx, v, &r->when);
        }
    }
}

/* ---- top level ---- */

static void config_free(struct config *c);

struct config *config_load(const char *path, const char *text,
                           const char *layouts_dir, struct cfg_errors *errs)
{
    struct ctx cx = { .yp = { .file = path, .errs = errs } };
    size_t errs_before = errs->n;
    struct config *c = cx.c = xzalloc(sizeof(*c));
    atomic_init(&c->refs, 1);
    c->path = xstrdup(path);
    c->wall_name = xstrdup("vigil");
    c->labels = true;
    c->listen_host = xstrdup("127.0.0.1");
    c->listen_port = 8080;
    c->exec_timeout_ms = 10000;
    c->default_connect_timeout_ms = 10000;
    c->flap_count = -1;
    c->preroll_ms = 1000;
    c->load_budget = 0.85;
    c->systemic_min = -1;
    const char *slash = strrchr(path, '/');
    cx.dir = slash ? xasprintf("%.*s", (int)(slash - path), path)
                   : xstrdup(".");
    /* Relative paths in a config are relative to the config's folder. */
    c->journal = xasprintf("%s/alerts.jsonl", cx.dir);

    struct fy_document *doc = yp_parse(&cx.yp, text);
    struct fy_node *root = doc ? fy_document_root(doc) : NULL;
    if (doc && !root) {
        cfg_errors_add(errs, "%s:1:1: the file is empty", path);
    } else if (root && yp_is_map(&cx.yp, root, "config")) {
        static const char *const keys[] = { "wall", "control", "alerts",
                                            "defaults", "performance",
                                            "cameras", "layouts", "plans",
                                            "calendars", "schedule", NULL };
        yp_check_keys(&cx.yp, root, keys, "config");
        struct fy_node *v;
        parse_wall(&cx, yp_get(root, "wall"));
        if (!c->tz && !c->timezone) {
            c->tz = vtz_load("UTC");
        }
        if ((v = yp_get(root, "control"))) {
            parse_control(&cx, v);
        }
        if ((v = yp_get(root, "alerts"))) {
            parse_alerts(&cx, v);
        }
        if ((v = yp_get(root, "defaults"))) {
            parse_defaults(&cx, v);
        }
        if ((v = yp_get(root, "performance"))) {
            parse_performance(&cx, v);
        }
        parse_cameras(&cx, yp_get(root, "cameras"));
        layouts_load_dir(c, layouts_dir, errs);
        if ((v = yp_get(root, "layouts"))) {
            layouts_parse_list(c, &cx.yp, v);
        }
        parse_plans(&cx, yp_get(root, "plans"));
        if ((v = yp_get(root, "calendars"))) {
            parse_calendars(&cx, v);
        }
        if ((v = yp_get(root, "schedule"))) {
            parse_schedule(&cx, v);
        }
    }
    fy_document_destroy(doc);
    free(cx.dir);
    if (errs->n > errs_before) {
        config_free(c);
        return NULL;
    }
    return c;
}

#ifndef VIGIL_LAYOUTS_DIR
#define VIGIL_LAYOUTS_DIR "layouts"
#endif

const char *config_layouts_dir(void)
{
    const char *env = getenv("VIGIL_LAYOUTS_DIR");
    return env && *env ? env : VIGIL_LAYOUTS_DIR;
}

struct config *config_load_file(const char *path, struct vlog *log)
{
    struct cfg_errors errs = { 0 };
    struct config *c = config_load(path, NULL, config_layouts_dir(), &errs);
    for (size_t i = 0; i < errs.n; i++) {
        VLOG_ERR(log, "%s", errs.msgs[i]);
    }
    cfg_errors_finish(&errs);
    return c;
}

struct config *config_ref(struct config *c)
{
    if (c) {
        atomic_fetch_add(&c->refs, 1);
    }
    return c;
}

static void free_strv(char **v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

static void config_free(struct config *c)
{
    for (int i = 0; i < c->n_screens; i++) {
        free(c->screens[i].id);
    }
    free(c->screens);
    for (int i = 0; i < c->n_cameras; i++) {
        struct cfg_camera *cam = &c->cameras[i];
        free(cam->id);
        free(cam->name);
        free(cam->url);
        free(cam->sub);
        free_strv(cam->groups, cam->n_groups);
    }
    free(c->cameras);
    for (int i = 0; i < c->n_layouts; i++) {
        layout_finish(&c->layouts[i]);
    }
    free(c->layouts);
    for (int i = 0; i < c->n_plans; i++) {
        struct cfg_plan *p = &c->plans[i];
        for (int s = 0; s < c->n_screens; s++) {
            for (int e = 0; e < p->n_entries[s]; e++) {
                struct cfg_entry *en = &p->entries[s][e];
                for (int t = 0; t < en->n_tiles; t++) {
                    free(en->tiles[t].cycle);
                }
                free(en->tiles);
                free(en->cameras);
                free(en->pins);
            }
            free(p->entries[s]);
        }
        free(p->entries);
        free(p->n_entries);
        free(p->name);
    }
    free(c->plans);
    for (int i = 0; i < c->n_calendars; i++) {
        free(c->calendars[i].name);
        free(c->calendars[i].ics_path);
        free(c->calendars[i].days);
        free(c->calendars[i].span_from);
        free(c->calendars[i].span_to);
    }
    free(c->calendars);
    for (int i = 0; i < c->n_rules; i++) {
        free(c->rules[i].when.date_from);
        free(c->rules[i].when.date_to);
    }
    free(c->rules);
    free_strv(c->exec_argv, c->n_exec_argv);
    free(c->path);
    free(c->wall_name);
    free(c->timezone);
    vtz_free(c->tz);
    free(c->listen_host);
    free(c->token_file);
    free(c->journal);
    free(c->mqtt_url);
    free(c->mqtt_topic);
    free(c->webhook_url);
    free(c);
}

void config_unref(struct config *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1) {
        config_free(c);
    }
}
