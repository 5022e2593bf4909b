/*
 * The engine's write side (loop thread): operator commands from the API
 * and from the wall's keys and clicks. Each command changes the overrides
 * (or acknowledges an alert, or reloads the config), is journalled as an
 * "override" event and re-evaluates the patrol at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "core/engine.h"
#include "core/engine_internal.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

/* ---- operator commands (loop thread) ---- */

static json_t *cmd_error(const char *msg)
{
    return json_pack("{s:s}", "error", msg);
}

/* End of an override from "for_s" (seconds from now); INT64_MAX without. */
static int64_t until_of(json_t *args, int64_t now)
{
    json_t *f = json_object_get(args, "for_s");
    if (!json_is_number(f) || json_number_value(f) <= 0) {
        return INT64_MAX;
    }
    return now + (int64_t)(json_number_value(f) * 1000.0);
}

/* Screen named by args["screen"]: its index, -1 for all (absent), -2 when
 * unknown. */
static int screen_arg(const struct vigil_engine *e, json_t *args)
{
    const char *id = json_string_value(json_object_get(args, "screen"));
    if (!id) {
        return -1;
    }
    int s = config_find_screen(e->cfg, id);
    return s >= 0 ? s : -2;
}

/* The one screen a command acts on: args["screen"], or the only screen.
 * Returns its index, or minus the HTTP status with *reply set. */
static int target_screen(const struct vigil_engine *e, json_t *args,
                         const char *what, json_t **reply)
{
    int sc = screen_arg(e, args);
    if (sc == -1 && e->cfg->n_screens == 1) {
        sc = 0;
    }
    if (sc == -2) {
        *reply = cmd_error("unknown screen");
        return -404;
    }
    if (sc < 0 || sc >= SCHED_MAX_SCREENS) {
        *reply = cmd_error(what);
        return -400;
    }
    return sc;
}

static int cmd_page(struct vigil_engine *e, json_t *args, int dir,
                    int64_t now, json_t **reply)
{
    int only = screen_arg(e, args);
    if (only == -2) {
        *reply = cmd_error("unknown screen");
        return 404;
    }
    for (int s = 0; s < e->cfg->n_screens && s < SCHED_MAX_SCREENS; s++) {
        if (only >= 0 && s != only) {
            continue;
        }
        e->ov.shift_ms[s] += sched_page_step(&e->sched[s], &e->views[s],
                                             now, dir);
        e->ov.shift_until_ms[s] = until_of(args, now);
    }
    return 200;
}

static int cmd_pin(struct vigil_engine *e, json_t *args, int64_t now,
                   json_t **reply)
{
    int s = target_screen(e, args, "pin needs a screen", reply);
    json_t *tile = json_object_get(args, "tile");
    json_t *cam = json_object_get(args, "camera");
    if (s < 0) {
        return -s;
    }
    if (!json_is_integer(tile)) {
        *reply = cmd_error("pin needs a tile");
        return 400;
    }
    int t = (int)json_integer_value(tile);
    struct sched_overrides *ov = &e->ov;
    for (int i = 0; i < ov->n_pins; i++) { /* replace an earlier pin */
        if (ov->pins[i].screen == s && ov->pins[i].tile == t) {
            ov->pins[i] = ov->pins[--ov->n_pins];
            break;
        }
    }
    if (json_is_null(cam) || !cam) {
        return 200; /* unpin */
    }
    int c = json_is_string(cam)
                ? config_find_camera(e->cfg, json_string_value(cam))
                : -1;
    if (c < 0 || t < 0 || t >= e->views[s].n_tiles) {
        *reply = cmd_error(c < 0 ? "unknown camera" : "no such tile");
        return c < 0 ? 404 : 400;
    }
    if (ov->n_pins >= SCHED_MAX_PINS) {
        *reply = cmd_error("too many pins");
        return 409;
    }
    ov->pins[ov->n_pins++] = (struct sched_pin){ s, t, c,
                                                 until_of(args, now) };
    return 200;
}

static int cmd_plan(struct vigil_engine *e, json_t *args, int64_t now,
                    json_t **reply)
{
    json_t *name = json_object_get(args, "plan");
    if (json_is_null(name)) {
        e->ov.plan = -1;
        return 200;
    }
    for (int i = 0; json_is_string(name) && i < e->cfg->n_plans; i++) {
        if (!strcmp(e->cfg->plans[i].name, json_string_value(name))) {
            e->ov.plan = i;
            e->ov.plan_since_ms = now;
            e->ov.plan_until_ms = until_of(args, now);
            return 200;
        }
    }
    *reply = cmd_error("unknown plan");
    return 404;
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* What a reload cannot change live: cameras (their workers and alert
 * state), screens (windows), the control address and the alert sinks.
 * Appends the names of what differs to `changed`. */
static void immutable_changes(const struct config *a, const struct config *b,
                              json_t *changed)
{
    bool cams = a->n_cameras == b->n_cameras;
    for (int i = 0; cams && i < a->n_cameras; i++) {
        const struct cfg_camera *x = &a->cameras[i], *y = &b->cameras[i];
        cams = str_eq(x->id, y->id) && str_eq(x->url, y->url) &&
               str_eq(x->sub, y->sub) && str_eq(x->name, y->name) &&
               x->transport == y->transport;
    }
    bool screens = a->n_screens == b->n_screens;
    for (int i = 0; screens && i < a->n_screens; i++) {
        screens = str_eq(a->screens[i].id, b->screens[i].id) &&
                  a->screens[i].width == b->screens[i].width &&
                  a->screens[i].height == b->screens[i].height &&
                  a->screens[i].fullscreen == b->screens[i].fullscreen;
    }
    if (!cams) {
        json_array_append_new(changed, json_string("cameras"));
    }
    if (!screens) {
        json_array_append_new(changed, json_string("wall.screens"));
    }
    if (!str_eq(a->listen_host, b->listen_host) ||
        a->listen_port != b->listen_port ||
        !str_eq(a->token_file, b->token_file)) {
        json_array_append_new(changed, json_string("control"));
    }
    if (!str_eq(a->journal, b->journal) || !str_eq(a->mqtt_url, b->mqtt_url) ||
        !str_eq(a->mqtt_topic, b->mqtt_topic) ||
        !str_eq(a->webhook_url, b->webhook_url) ||
        a->n_exec_argv != b->n_exec_argv || !str_eq(a->wall_name, b->wall_name)) {
        json_array_append_new(changed, json_string("alerts/wall.name"));
    }
}

/* Reload the config file: validated first; on any error the running
 * config stays and the errors come back with file:line:column. Plans,
 * layouts, schedule, calendars, fit and labels apply at once; a change to
 * cameras, screens, control or alert sinks needs a restart (409). */
static int cmd_reload(struct vigil_engine *e, json_t **reply)
{
    if (!e->set.config_path) {
        *reply = cmd_error("the built-in demo has no file to reload");
        return 409;
    }
    struct cfg_errors errs = { 0 };
    struct config *c = config_load(e->set.config_path, NULL,
                                   config_layouts_dir(), &errs);
    if (!c) {
        json_t *list = json_array();
        for (size_t i = 0; i < errs.n; i++) {
            json_array_append_new(list, json_string(errs.msgs[i]));
            VLOG_WARN(e->log, "reload: %s", errs.msgs[i]);
        }
        cfg_errors_finish(&errs);
        *reply = json_pack("{s:s, s:o}", "error",
                           "the config is invalid; the running one stays",
                           "errors", list);
        return 400;
    }
    cfg_errors_finish(&errs);
    json_t *changed = json_array();
    immutable_changes(e->cfg, c, changed);
    if (json_array_size(changed)) {
        config_unref(c);
        *reply = json_pack("{s:s, s:o}", "error",
                           "these parts need a restart; the running config "
                           "stays",
                           "changed", changed);
        return 409;
    }
    json_decref(changed);
    config_unref(e->cfg);
    e->cfg = c;
    /* indices into the old config's plans and layouts mean nothing now */
    sched_overrides_init(&e->ov);
    e->ov.full_layout = config_find_layout(c, "1x1");
    e->plan = -1;
    e->sched_plan = -1;
    json_t *ev = json_pack("{s:s}", "event", "config_reloaded");
    alert_bus_journal(e->alerts, ev, vt_wall_ms());
    json_decref(ev);
    VLOG_INFO(e->log, "config reloaded");
    engine_sched_update(e);
    return 200;
}

/* Go to page N (0-based) of a screen: shift its clock so that page starts
 * now. */
static int cmd_goto(struct vigil_engine *e, json_t *args, int64_t now,
                    json_t **reply)
{
    int sc = target_screen(e, args, "page needs a screen", reply);
    json_t *page = json_object_get(args, "page");
    if (sc < 0) {
        return -sc;
    }
    if (!json_is_integer(page)) {
        *reply = cmd_error("page needs a page number");
        return 400;
    }
    const struct sched_screen *ss = &e->sched[sc];
    int want = (int)json_integer_value(page);
    if (want < 0 || want >= ss->n_pages) {
        *reply = cmd_error("no such page");
        return 400;
    }
    /* the offset of page `want` within the cycle, against where the
     * schedule's own clock (with the current shift) stands */
    int64_t off = 0;
    for (int i = 0; i < want; i++) {
        off += ss->pages[i].dwell_ms;
    }
    int64_t base = e->epoch_ms; /* cycle starts at epoch + k*cycle */
    int64_t into = (now - base) % ss->cycle_ms;
    e->ov.shift_ms[sc] = off - into;
    e->ov.shift_until_ms[sc] = until_of(args, now);
    return 200;
}

static int cmd_layout(struct vigil_engine *e, json_t *args, int64_t now,
                      json_t **reply)
{
    int sc = target_screen(e, args, "layout needs a screen", reply);
    json_t *name = json_object_get(args, "layout");
    if (sc < 0) {
        return -sc;
    }
    if (json_is_null(name) || !name) {
        e->ov.layout[sc] = -1; /* back to the plan's layout */
        return 200;
    }
    int l = json_is_string(name)
                ? config_find_layout(e->cfg, json_string_value(name))
                : -1;
    if (l < 0) {
        *reply = cmd_error("unknown layout");
        return 404;
    }
    e->ov.layout[sc] = l;
    e->ov.layout_until_ms[sc] = until_of(args, now);
    return 200;
}

/* Full screen: {screen, tile} shows that tile's camera alone, {screen,
 * camera} a camera by id; again with the same tile, or tile null, goes
 * back. */
static int cmd_fullscreen(struct vigil_engine *e, json_t *args,
                          json_t **reply)
{
    int sc = target_screen(e, args, "fullscreen needs a screen", reply);
    if (sc < 0) {
        return -sc;
    }
    if (e->ov.full_layout < 0) {
        *reply = cmd_error("no 1x1 layout");
        return 409;
    }
    json_t *tile = json_object_get(args, "tile");
    json_t *cam = json_object_get(args, "camera");
    int c = -1;
    if (json_is_string(cam)) {
        c = config_find_camera(e->cfg, json_string_value(cam));
    } else if (json_is_integer(tile) && e->ov.fullscreen[sc] < 0) {
        int t = (int)json_integer_value(tile);
        c = t >= 0 && t < e->views[sc].n_tiles ? e->views[sc].cams[t] : -1;
    } else if (json_is_integer(tile) || json_is_null(tile) ||
               (!tile && !cam)) {
        e->ov.fullscreen[sc] = -1; /* toggle back */
        return 200;
    }
    if (c < 0) {
        *reply = cmd_error("no camera there");
        return 404;
    }
    e->ov.fullscreen[sc] = c;
    return 200;
}

int engine_command(void *ctx, const char *name, json_t *args, json_t **reply)
{
    struct vigil_engine *e = ctx;
    int64_t now = vt_wall_ms();
    int status = 200;
    if (!strcmp(name, "pause")) {
        if (!e->ov.paused) {
            e->ov.paused = true;
            e->ov.paused_at_ms = now;
        }
        e->ov.pause_until_ms = until_of(args, now);
    } else if (!strcmp(name, "resume")) {
        /* back to the clock: the page the schedule says now */
        e->ov.paused = false;
        e->ov.pause_until_ms = INT64_MAX;
    } else if (!strcmp(name, "next") || !strcmp(name, "prev")) {
        status = cmd_page(e, args, name[0] == 'n' ? 1 : -1, now, reply);
    } else if (!strcmp(name, "plan")) {
        status = cmd_plan(e, args, now, reply);
    } else if (!strcmp(name, "pin")) {
        status = cmd_pin(e, args, now, reply);
    } else if (!strcmp(name, "page")) {
        status = cmd_goto(e, args, now, reply);
    } else if (!strcmp(name, "layout")) {
        status = cmd_layout(e, args, now, reply);
    } else if (!strcmp(name, "fullscreen")) {
        status = cmd_fullscreen(e, args, reply);
    } else if (!strcmp(name, "reload")) {
        return cmd_reload(e, reply);
    } else if (!strcmp(name, "schedule")) {
        int full = e->ov.full_layout;
        sched_overrides_init(&e->ov); /* drop every override */
        e->ov.full_layout = full;
    } else if (!strcmp(name, "ack") || !strcmp(name, "close")) {
        const char *id = json_string_value(json_object_get(args, "alert"));
        const char *by = json_string_value(json_object_get(args, "by"));
        const char *note = json_string_value(json_object_get(args, "note"));
        if (!id) {
            *reply = cmd_error("'alert' (the alert id) is required");
            return 400;
        }
        int ret = name[0] == 'a'
                      ? alert_bus_ack(e->alerts, id, by ? by : "operator",
                                      note, now)
                      : alert_bus_close(e->alerts, id, by ? by : "operator",
                                        note, now);
        if (ret == -ENOENT) {
            *reply = cmd_error("no such open alert");
            return 404;
        }
        if (ret == -EALREADY) {
            *reply = cmd_error("already acknowledged");
            return 409;
        }
        engine_publish_scene(e);
        return 200; /* the journal has the event itself */
    } else {
        *reply = cmd_error("no such command");
        return 404;
    }
    if (status == 200) {
        json_t *ev = json_pack("{s:s, s:s}", "event", "override", "action",
                               name);
        json_object_update_missing(ev, args);
        alert_bus_journal(e->alerts, ev, now);
        json_decref(ev);
        VLOG_INFO(e->log, "operator: %s", name);
        engine_sched_update(e);
    }
    return status;
}

/* Loop thread: a key or click becomes the same command the API runs. */
void engine_run_input(struct vigil_engine *e, const struct render_input *in)
{
    const struct config *cfg = e->cfg;
    json_t *args = json_pack("{s:s}", "screen", cfg->screens[in->screen].id);
    json_t *reply = NULL;
    const char *cmd = in->command;
    if (!strcmp(cmd, "pause_toggle")) {
        cmd = e->ov.paused ? "resume" : "pause";
    } else if (!strcmp(cmd, "fullscreen")) {
        json_object_set_new(args, "tile", in->tile >= 0
                                              ? json_integer(in->tile)
                                              : json_null());
    } else if (!strcmp(cmd, "plan_index")) {
        cmd = "plan";
        json_object_set_new(
            args, "plan",
            in->index < cfg->n_plans && e->ov.plan != in->index
                ? json_string(cfg->plans[in->index].name)
                : json_null());
    } else if (!strcmp(cmd, "ack_newest")) {
        json_t *open = alert_bus_open_json(e->alerts); /* newest first */
        size_t i;
        json_t *a;
        const char *id = NULL;
        json_array_foreach(open, i, a)
        {
            if (!strcmp(json_string_value(json_object_get(a, "state")),
                        "raised")) {
                id = json_string_value(json_object_get(a, "alert"));
                break;
            }
        }
        if (id) {
            json_object_set_new(args, "alert", json_string(id));
            json_object_set_new(args, "by", json_string("wall"));
        }
        cmd = "ack";
        int st = id ? engine_command(e, cmd, args, &reply) : 404;
        (void)st;
        json_decref(open);
        json_decref(args);
        json_decref(reply);
        return;
    }
    engine_command(e, cmd, args, &reply);
    json_decref(args);
    json_decref(reply);
}
