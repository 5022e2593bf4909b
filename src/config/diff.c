/* Provisional: replaced by the option tables. */
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "util/mem.h"

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void add(struct cfg_diff *d, const char *key, bool restart)
{
    d->keys = xrealloc(d->keys, sizeof(*d->keys) * (size_t)(d->n + 1));
    snprintf(d->keys[d->n].key, sizeof(d->keys[d->n].key), "%s", key);
    d->keys[d->n++].restart = restart;
    d->n_restart += restart;
}

void config_diff(const struct config *a, const struct config *b,
                 struct cfg_diff *out)
{
    memset(out, 0, sizeof(*out));
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
        add(out, "cameras", true);
    }
    if (!screens) {
        add(out, "wall.screens", true);
    }
    if (!str_eq(a->listen_host, b->listen_host) ||
        a->listen_port != b->listen_port ||
        !str_eq(a->token_file, b->token_file)) {
        add(out, "control", true);
    }
    if (!str_eq(a->journal, b->journal) || !str_eq(a->mqtt_url, b->mqtt_url) ||
        !str_eq(a->mqtt_topic, b->mqtt_topic) ||
        !str_eq(a->webhook_url, b->webhook_url) ||
        !str_eq(a->wall_name, b->wall_name)) {
        add(out, "alerts/wall.name", true);
    }
}

void cfg_diff_finish(struct cfg_diff *d)
{
    free(d->keys);
    memset(d, 0, sizeof(*d));
}
