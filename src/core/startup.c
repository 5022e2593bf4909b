/*
 * What the engine does once, before its loop runs: load the config (a file
 * or the built-in demo), warn about secret-holding files others can read,
 * and bind the control API with its token. Also the public config entry
 * points that need no engine (--check, the reference, the man page).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/demo.h"
#include "core/engine_internal.h"
#include "util/datadir.h"
#include "util/file.h"
#include "util/log.h"
#include "util/mem.h"

/* Load and validate a config file (NULL path: the demo), logging every
 * error. */
struct config *engine_load_config(const char *path, struct vlog *log)
{
    if (path) {
        return config_load_file(path, log);
    }
    struct cfg_errors errs = { 0 };
    char *text = demo_config_text(ENGINE_FONT_PATH);
    struct config *c = config_load("<demo>", text, config_layouts_dir(),
                                   &errs);
    free(text);
    for (size_t i = 0; i < errs.n; i++) {
        VLOG_ERR(log, "%s", errs.msgs[i]);
    }
    cfg_errors_finish(&errs);
    return c;
}

int vigil_config_check(const char *path, const struct vigil_settings *s)
{
    vlog_setup(s->log_level, s->log_cb, s->log_cookie);
    struct vlog *log = vlog_create(NULL, "config");
    if (access(path, R_OK) != 0) {
        int err = -errno;
        VLOG_ERR(log, "%s: %s", path, strerror(errno));
        vlog_destroy(log);
        return err;
    }
    struct config *c = engine_load_config(path, log);
    vlog_destroy(log);
    if (!c) {
        return VIGIL_ECONFIG;
    }
    config_unref(c);
    return 0;
}

int vigil_config_reference(FILE *out)
{
    config_reference(out);
    return 0;
}

int vigil_config_manpage(FILE *out)
{
    config_manpage(out, vigil_version());
    return 0;
}

/* Read the first line of a token file; NULL (logged) when unreadable or
 * too short. */
static char *read_token(const char *path, struct vlog *log)
{
    char *token = file_first_line(path);
    if (!token) {
        VLOG_ERR(log, "cannot read control.token_file %s", path);
    } else if (strlen(token) < 16) {
        VLOG_ERR(log, "control.token_file %s: the token must be at least "
                      "16 characters", path);
        free(token);
        token = NULL;
    }
    return token;
}

/* Files that hold secrets (camera passwords, the API token, the broker's
 * password) should not be readable by everyone: say so, naming them. */
void engine_check_modes(struct vigil_engine *e)
{
    const char *files[] = { e->set.config_path, e->cfg->token_file,
                            e->cfg->mqtt_password_file };
    const char *what[] = { "config", "control.token_file",
                           "alerts.mqtt.password_file" };
    for (int i = 0; i < 3; i++) {
        char why[96];
        if (files[i] && file_exposed(files[i], why, sizeof(why))) {
            VLOG_WARN(e->log, "%s %s holds secrets but is %s: chmod o-r,g-r "
                              "(or give it the service's group)",
                      what[i], files[i], why);
        }
    }
}

/* Bind the control address; a non-loopback one demands a token. */
int engine_start_control(struct vigil_engine *e,
                         const struct vigil_settings *s)
{
    static const struct control_ops ops = { engine_status, engine_status_free,
                                            engine_journal, engine_snapshot_start,
                                            engine_command };
    const struct config *cfg = e->cfg;
    char *web = datadir_find("web");
    struct control_params p = { cfg->listen_host, cfg->listen_port, NULL,
                                web };
    char *lhost = NULL, *token = NULL;
    if (s->listen) {
        const char *colon = strrchr(s->listen, ':');
        if (colon) {
            lhost = xasprintf("%.*s", (int)(colon - s->listen), s->listen);
            p.host = lhost;
            p.port = atoi(colon + 1);
        }
    }
    int ret = 0;
    if (cfg->token_file && !(token = read_token(cfg->token_file, e->log))) {
        ret = VIGIL_ELISTEN;
    } else if (!token && !control_is_loopback(p.host)) {
        VLOG_ERR(e->log, "control.listen %s is not a loopback address: "
                         "set control.token_file",
                 p.host);
        ret = VIGIL_ELISTEN;
    } else {
        p.token = token;
        e->control = control_create(&e->loop, &p, &ops, e);
        ret = e->control ? 0 : VIGIL_ELISTEN;
    }
    free(token);
    free(lhost);
    free(web);
    return ret;
}

void engine_choose_display(struct vigil_engine *e)
{
    const char *sdl = getenv("SDL_VIDEODRIVER");
    if (!e->set.headless && e->cfg->video_driver == CFG_VIDEO_AUTO &&
        !(sdl && *sdl) && !getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
        VLOG_WARN(e->log, "no display (neither DISPLAY nor WAYLAND_DISPLAY "
                          "is set): running headless; wall.video_driver: "
                          "kmsdrm runs on the console without a desktop");
        e->set.headless = 1;
    }
    if (e->set.headless) {
        VLOG_INFO(e->log, "headless: the wall's status is at /api/status, "
                          "its picture at /api/snapshot.png?screen=ID");
    }
}
