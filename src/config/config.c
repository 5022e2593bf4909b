/*
 * Config loading: YAML document -> validated, immutable struct config.
 *
 * Runs on whichever thread asks (start-up on the main thread, a reload on
 * the loop thread); it does file I/O and so never runs on a hot path.
 * Every key is in an option table (tables.c, plans.c, options.c does the
 * walking): defaults are set from the tables, then the document is parsed
 * section by section in dependency order (wall and its screens, control,
 * alerts, defaults, performance, cameras, layouts, plans, calendars,
 * schedule), collecting every error rather than stopping at the first, so
 * an operator fixes a file in one pass.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/layouts.h"
#include "config/options.h"
#include "config/yaml.h"
#include "util/datadir.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/tz.h"

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

/* ---- durations ---- */

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

/* ---- top level ---- */

static void config_free(struct config *c);

struct config *config_load(const char *path, const char *text,
                           const char *layouts_dir, struct cfg_errors *errs)
{
    struct cfg_ctx cx = { .yp = { .file = path, .errs = errs } };
    size_t errs_before = errs->n;
    struct config *c = cx.c = xzalloc(sizeof(*c));
    atomic_init(&c->refs, 1);
    c->path = xstrdup(path);
    const char *slash = strrchr(path, '/');
    cx.dir = slash ? xasprintf("%.*s", (int)(slash - path), path)
                   : xstrdup(".");
    /* Relative paths in a config are relative to the config's folder. */
    config_defaults(c, cx.dir);
    struct fy_document *doc = yp_parse(&cx.yp, text);
    struct fy_node *root = doc ? fy_document_root(doc) : NULL;
    if (doc && !root) {
        cfg_errors_add(errs, "%s:1:1: the file is empty", path);
    } else if (root) {
        layouts_load_dir(c, layouts_dir, errs);
        opt_parse(&cx, root, &cfg_root_table, c);
    }
    fy_document_destroy(doc);
    free(cx.dir);
    if (errs->n > errs_before) {
        config_free(c);
        return NULL;
    }
    return c;
}

static char *layouts_dir;

static void find_layouts(void)
{
    layouts_dir = datadir_find("layouts");
}

const char *config_layouts_dir(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, find_layouts);
    return layouts_dir;
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

static void config_free(struct config *c)
{
    config_free_tables(c);
    free(c->screens);
    free(c->cameras);
    for (int i = 0; i < c->n_layouts; i++) {
        layout_finish(&c->layouts[i]);
    }
    free(c->layouts);
    cfg_free_plans(c);
    free(c->path);
    free(c->timezone);
    vtz_free(c->tz);
    free(c);
}

void config_unref(struct config *c)
{
    if (c && atomic_fetch_sub(&c->refs, 1) == 1) {
        config_free(c);
    }
}
