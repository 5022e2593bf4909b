/*
 * Operator commands (loop thread), typed: from the control API and from
 * the wall's keys and clicks alike. A command resolves its names against
 * the running config, changes the patrol through its functions (or
 * acknowledges an alert, or reloads the config), is journalled as an
 * "override" event and re-evaluates the patrol at once; the scene goes
 * out at the end of the loop turn.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "core/cameras.h"
#include "core/engine_internal.h"
#include "core/health.h"
#include "core/patrol.h"
#include "sched/sched.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/time.h"

static const char *const names[] = {
    [CTL_CMD_PAUSE] = "pause",       [CTL_CMD_RESUME] = "resume",
    [CTL_CMD_NEXT] = "next",         [CTL_CMD_PREV] = "prev",
    [CTL_CMD_PAGE] = "page",         [CTL_CMD_PLAN] = "plan",
    [CTL_CMD_PIN] = "pin",           [CTL_CMD_LAYOUT] = "layout",
    [CTL_CMD_FULLSCREEN] = "fullscreen", [CTL_CMD_SCHEDULE] = "schedule",
    [CTL_CMD_RELOAD] = "reload",     [CTL_CMD_ACK] = "ack",
    [CTL_CMD_CLOSE] = "close",
};

static int fail(struct ctl_result *res, int err, const char *msg)
{
    snprintf(res->error, sizeof(res->error), "%s", msg);
    return err;
}

/* The screen a command names: its index, -1 for every screen (none
 * named), or -ENOENT (unknown). */
static int screen_of(const struct vigil_engine *e,
                     const struct ctl_command *cmd, struct ctl_result *res)
{
    if (!cmd->screen) {
        return -1;
    }
    int s = config_find_screen(e->cfg, cmd->screen);
    return s >= 0 && s < SCHED_MAX_SCREENS
               ? s
               : fail(res, -ENOENT, "unknown screen");
}

/* The one screen a command acts on: the one named, or the only one. */
static int target_screen(const struct vigil_engine *e,
                         const struct ctl_command *cmd, const char *what,
                         struct ctl_result *res)
{
    int s = screen_of(e, cmd, res);
    if (s == -1 && e->n_screens == 1) {
        return 0;
    }
    return s == -1 ? fail(res, -EINVAL, what) : s;
}

static int cmd_plan(struct vigil_engine *e, const struct ctl_command *cmd,
                    int64_t now, int64_t until, struct ctl_result *res)
{
    int plan = -1;
    if (!cmd->clear) {
        for (int i = 0; cmd->name && i < e->cfg->n_plans; i++) {
            if (!strcmp(e->cfg->plans[i].name, cmd->name)) {
                plan = i;
            }
        }
        if (plan < 0) {
            return fail(res, -ENOENT, "unknown plan");
        }
    }
    return patrol_set_plan(e->patrol, plan, now, until);
}

static int cmd_pin(struct vigil_engine *e, const struct ctl_command *cmd,
                   int64_t until, struct ctl_result *res)
{
    int s = target_screen(e, cmd, "pin needs a screen", res);
    if (s < 0) {
        return s;
    }
    int cam = cmd->clear ? -1 : config_find_camera(e->cfg, cmd->camera);
    if (!cmd->clear && cam < 0) {
        return fail(res, -ENOENT, "unknown camera");
    }
    int ret = patrol_pin(e->patrol, s, cmd->tile, cam, until);
    return ret == -EBUSY    ? fail(res, ret, "too many pins")
           : ret == -EINVAL ? fail(res, ret, "no such tile")
                            : ret;
}

static int cmd_layout(struct vigil_engine *e, const struct ctl_command *cmd,
                      int64_t until, struct ctl_result *res)
{
    int s = target_screen(e, cmd, "layout needs a screen", res);
    if (s < 0) {
        return s;
    }
    int l = cmd->clear ? -1 : config_find_layout(e->cfg, cmd->name);
    if (!cmd->clear && l < 0) {
        return fail(res, -ENOENT, "unknown layout");
    }
    return patrol_set_layout(e->patrol, s, l, until);
}

/* {camera}: that camera alone; {tile}: that tile's (again: back); neither
 * (or null): back. */
static int cmd_fullscreen(struct vigil_engine *e,
                          const struct ctl_command *cmd,
                          struct ctl_result *res)
{
    int s = target_screen(e, cmd, "fullscreen needs a screen", res);
    if (s < 0) {
        return s;
    }
    int ret;
    if (cmd->camera) {
        int cam = config_find_camera(e->cfg, cmd->camera);
        ret = cam < 0 ? -ENOENT : patrol_fullscreen(e->patrol, s, cam);
    } else if (cmd->tile >= 0) {
        ret = patrol_fullscreen_tile(e->patrol, s, cmd->tile);
    } else {
        ret = patrol_fullscreen(e->patrol, s, -1);
    }
    return ret == -ENOENT    ? fail(res, ret, "no camera there")
           : ret == -ENOTSUP ? fail(res, ret, "no 1x1 layout")
                             : ret;
}

static int cmd_alert(struct vigil_engine *e, const struct ctl_command *cmd,
                     int64_t now, struct ctl_result *res)
{
    const char *by = cmd->by ? cmd->by : "operator";
    int ret = cmd->kind == CTL_CMD_ACK
                  ? alert_bus_ack(e->alerts, cmd->alert, by, cmd->note, now)
                  : alert_bus_close(e->alerts, cmd->alert, by, cmd->note,
                                    now);
    if (ret == -ENOENT) {
        return fail(res, ret, "no such open alert");
    }
    if (ret == -EALREADY) {
        return fail(res, ret, "already acknowledged");
    }
    engine_mark_dirty(e); /* the banner; the journal has the event */
    return ret;
}

/* Journal an operator's override with the arguments it was given. */
static void journal_override(struct vigil_engine *e,
                             const struct ctl_command *cmd, int64_t now)
{
    struct alert_field f[8];
    int n = 0;
    f[n++] = (struct alert_field){ "action", ALERT_FIELD_STR,
                                   names[cmd->kind], 0, 0 };
    if (cmd->screen) {
        f[n++] = (struct alert_field){ "screen", ALERT_FIELD_STR,
                                       cmd->screen, 0, 0 };
    }
    if (cmd->tile >= 0) {
        f[n++] = (struct alert_field){ "tile", ALERT_FIELD_INT, NULL,
                                       cmd->tile, 0 };
    }
    if (cmd->camera) {
        f[n++] = (struct alert_field){ "camera", ALERT_FIELD_STR,
                                       cmd->camera, 0, 0 };
    }
    if (cmd->name) {
        f[n++] = (struct alert_field){ cmd->kind == CTL_CMD_PLAN ? "plan"
                                                                 : "layout",
                                       ALERT_FIELD_STR, cmd->name, 0, 0 };
    }
    if (cmd->kind == CTL_CMD_PAGE) {
        f[n++] = (struct alert_field){ "page", ALERT_FIELD_INT, NULL,
                                       cmd->page, 0 };
    }
    if (cmd->for_ms) {
        f[n++] = (struct alert_field){ "for_s", ALERT_FIELD_NUM, NULL, 0,
                                       cmd->for_ms / 1000.0 };
    }
    alert_bus_journal(e->alerts, "override", f, n, now);
}

/* Reload the config file: validated first; on any error the running
 * config stays and the errors come back with file:line:column. Every key
 * that may change live applies at once and is answered; a change to a key
 * that needs a restart refuses the whole reload, naming the keys. */
static int cmd_reload(struct vigil_engine *e, struct ctl_result *res)
{
    if (!e->set.config_path) {
        return fail(res, -ENOTSUP, "the built-in demo has no file to reload");
    }
    struct cfg_errors errs = { 0 };
    struct config *c = config_load(e->set.config_path, NULL,
                                   config_layouts_dir(), &errs);
    if (!c) {
        for (size_t i = 0; i < errs.n; i++) {
            ctl_result_add(res, "%s", errs.msgs[i]);
            VLOG_WARN(e->log, "reload: %s", errs.msgs[i]);
        }
        cfg_errors_finish(&errs);
        return fail(res, VIGIL_ECONFIG,
                    "the config is invalid; the running one stays");
    }
    cfg_errors_finish(&errs);
    struct cfg_diff diff;
    config_diff(e->cfg, c, &diff);
    if (diff.n_restart) {
        for (int i = 0; i < diff.n; i++) {
            if (diff.keys[i].restart) {
                ctl_result_add(res, "%s", diff.keys[i].key);
                VLOG_WARN(e->log, "reload refused: %s needs a restart",
                          diff.keys[i].key);
            }
        }
        cfg_diff_finish(&diff);
        config_unref(c);
        return fail(res, VIGIL_ERESTART,
                    "these parts need a restart; the running config stays");
    }
    struct config *old = e->cfg;
    e->cfg = c;
    int dropped = patrol_rebind(e->patrol, c);
    struct health_rules hr = { c->stall_after_ms };
    health_set_rules(e->health, &hr);
    alert_bus_set_config(e->alerts, c);
    cameras_reconfigure(e->cams, c);
    for (int i = 0; i < diff.n; i++) {
        ctl_result_add(res, "%s", diff.keys[i].key);
    }
    VLOG_INFO(e->log, "config reloaded: %d change(s) applied%s", diff.n,
              dropped ? "; overrides naming what is gone were dropped" : "");
    struct alert_field f[] = {
        { "changes", ALERT_FIELD_INT, NULL, diff.n, 0 },
        { "overrides_dropped", ALERT_FIELD_INT, NULL, dropped, 0 },
    };
    alert_bus_journal(e->alerts, "config_reloaded", f, 2, vt_wall_ms());
    cfg_diff_finish(&diff);
    config_unref(old);
    engine_patrol_update(e);
    return 0;
}

int engine_command(void *ctx, const struct ctl_command *cmd,
                   struct ctl_result *res)
{
    struct vigil_engine *e = ctx;
    int64_t now = vt_wall_ms();
    int64_t until = cmd->for_ms > 0 ? now + cmd->for_ms : INT64_MAX;
    int ret = 0, s;
    switch (cmd->kind) {
    case CTL_CMD_PAUSE:
        ret = patrol_pause(e->patrol, now, until);
        break;
    case CTL_CMD_RESUME:
        patrol_resume(e->patrol);
        break;
    case CTL_CMD_NEXT:
    case CTL_CMD_PREV:
        s = screen_of(e, cmd, res);
        ret = s < -1 ? s
                     : patrol_step(e->patrol, s,
                                   cmd->kind == CTL_CMD_NEXT ? 1 : -1, now,
                                   until);
        break;
    case CTL_CMD_PAGE:
        s = target_screen(e, cmd, "page needs a screen", res);
        ret = s < 0 ? s : patrol_goto(e->patrol, s, cmd->page, now, until);
        if (ret == -EINVAL && s >= 0) {
            ret = fail(res, ret, "no such page");
        }
        break;
    case CTL_CMD_PLAN:
        ret = cmd_plan(e, cmd, now, until, res);
        break;
    case CTL_CMD_PIN:
        ret = cmd_pin(e, cmd, until, res);
        break;
    case CTL_CMD_LAYOUT:
        ret = cmd_layout(e, cmd, until, res);
        break;
    case CTL_CMD_FULLSCREEN:
        ret = cmd_fullscreen(e, cmd, res);
        break;
    case CTL_CMD_SCHEDULE:
        patrol_clear(e->patrol); /* drop every override */
        break;
    case CTL_CMD_RELOAD:
        return cmd_reload(e, res);
    case CTL_CMD_ACK:
    case CTL_CMD_CLOSE:
        return cmd_alert(e, cmd, now, res);
    }
    if (ret < 0) {
        return ret;
    }
    journal_override(e, cmd, now);
    VLOG_INFO(e->log, "operator: %s", names[cmd->kind]);
    engine_patrol_update(e);
    return 0;
}

/* The newest open alert nobody has acknowledged yet; NULL: none. */
static const char *newest_raised(const struct vigil_engine *e)
{
    int n;
    const struct alert *list = alert_bus_open(e->alerts, &n);
    for (int i = n - 1; i >= 0; i--) {
        if (!list[i].acked && !list[i].cleared) {
            return list[i].id;
        }
    }
    return NULL;
}

void engine_run_input(struct vigil_engine *e, const struct render_input *in)
{
    const struct config *cfg = e->cfg;
    if (in->screen < 0 || in->screen >= e->n_screens) {
        return;
    }
    struct ctl_command cmd = { .screen = cfg->screens[in->screen].id,
                               .tile = -1, .page = -1 };
    char alert_id[16];
    switch (in->action) {
    case RENDER_NEXT:
        cmd.kind = CTL_CMD_NEXT;
        break;
    case RENDER_PREV:
        cmd.kind = CTL_CMD_PREV;
        break;
    case RENDER_PAUSE_TOGGLE:
        cmd.kind = patrol_paused(e->patrol) ? CTL_CMD_RESUME : CTL_CMD_PAUSE;
        break;
    case RENDER_FULLSCREEN:
        cmd.kind = CTL_CMD_FULLSCREEN;
        cmd.tile = in->tile >= 0 ? in->tile : -1;
        cmd.clear = in->tile < 0;
        break;
    case RENDER_PLAN: {
        const struct sched_overrides *ov = patrol_overrides(e->patrol);
        cmd.kind = CTL_CMD_PLAN;
        cmd.clear = in->index >= cfg->n_plans || ov->plan == in->index;
        cmd.name = cmd.clear ? NULL : cfg->plans[in->index].name;
        break;
    }
    case RENDER_ACK_NEWEST: {
        const char *id = newest_raised(e);
        if (!id) {
            return;
        }
        snprintf(alert_id, sizeof(alert_id), "%s", id);
        cmd.kind = CTL_CMD_ACK;
        cmd.alert = alert_id;
        cmd.by = "wall";
        break;
    }
    default:
        return;
    }
    struct ctl_result res = { .error = "" };
    engine_command(e, &cmd, &res);
    ctl_result_finish(&res);
}
