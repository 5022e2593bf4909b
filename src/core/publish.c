/*
 * The publish point's work (loop thread): the scene for the renderer,
 * built from the patrol's views, the cameras' health, the overrides in
 * force (each screen's status line) and the open alerts (the banner); and
 * the queued events for the control API's stream. engine.c calls both
 * once per loop turn, from its prepare handle.
 */
#include <stdio.h>
#include <string.h>

#include "alert/alert.h"
#include "core/engine_internal.h"
#include "core/health.h"
#include "core/load.h"
#include "core/patrol.h"
#include "render/scene.h"
#include "util/mem.h"
#include "util/time.h"
#include "util/tz.h"

void engine_mark_dirty(struct vigil_engine *e)
{
    e->dirty = true;
}

void engine_queue_event(struct vigil_engine *e, int kind, int index,
                        const char *name, const char *json)
{
    struct engine_event *ev = xzalloc(sizeof(*ev));
    ev->kind = kind;
    ev->index = index;
    ev->name = name ? xstrdup(name) : NULL;
    ev->json = json ? xstrdup(json) : NULL;
    *e->events_tail = ev;
    e->events_tail = &ev->next;
}

void engine_free_events(struct vigil_engine *e)
{
    while (e->events) {
        struct engine_event *ev = e->events;
        e->events = ev->next;
        free(ev->name);
        free(ev->json);
        free(ev);
    }
    e->events_tail = &e->events;
}

/* One override for the status line: "WHAT" or "WHAT until HH:MM:SS". */
static size_t status_item(const struct vigil_engine *e, char *buf, size_t n,
                          size_t size, const char *what, int64_t until_ms)
{
    if (n >= size) {
        return n;
    }
    char t[32] = "";
    if (until_ms != INT64_MAX) {
        vtz_format_local(e->cfg->tz, until_ms, t, sizeof(t));
    }
    return n + (size_t)snprintf(buf + n, size - n, "%s%s%s  ", what,
                                t[0] ? " until " : "", t[0] ? t + 11 : "");
}

/* What an operator should know is overriding the patrol on screen s, and
 * until when, for the wall's status line. */
static void status_line(const struct vigil_engine *e, int s, char *buf,
                        size_t size)
{
    const struct sched_overrides *ov = patrol_overrides(e->patrol);
    const struct config *cfg = e->cfg;
    char what[96];
    size_t n = 0;
    buf[0] = 0;
    if (ov->paused) {
        n = status_item(e, buf, n, size, "PAUSED", ov->pause_until_ms);
    }
    if (ov->plan >= 0) {
        snprintf(what, sizeof(what), "PLAN %s", cfg->plans[ov->plan].name);
        n = status_item(e, buf, n, size, what, ov->plan_until_ms);
    }
    /* a page step without an end is just where the patrol now is */
    if (ov->shift_ms[s] && ov->shift_until_ms[s] != INT64_MAX) {
        n = status_item(e, buf, n, size, "PAGE STEPPED",
                        ov->shift_until_ms[s]);
    }
    if (ov->layout[s] >= 0) {
        snprintf(what, sizeof(what), "LAYOUT %s",
                 cfg->layouts[ov->layout[s]].name);
        n = status_item(e, buf, n, size, what, ov->layout_until_ms[s]);
    }
    for (int i = 0; i < ov->n_pins; i++) {
        const struct sched_pin *p = &ov->pins[i];
        if (p->screen == s) {
            snprintf(what, sizeof(what), "PIN %s", cfg->cameras[p->camera].id);
            n = status_item(e, buf, n, size, what, p->until_ms);
        }
    }
}

void engine_publish_scene(struct vigil_engine *e)
{
    struct scene *sc = scene_create(e->cfg);
    for (int s = 0; s < sc->n_screens; s++) {
        const struct sched_view *v = patrol_view(e->patrol, s);
        sc->screens[s].layout = v->layout;
        sc->screens[s].n_tiles = v->n_tiles;
        memcpy(sc->screens[s].cams, v->cams, sizeof(int) * (size_t)v->n_tiles);
        sc->screens[s].changed_ms = patrol_changed_ms(e->patrol, s);
        status_line(e, s, sc->screens[s].status_line,
                    sizeof(sc->screens[s].status_line));
    }
    for (int i = 0; i < e->n_cams; i++) {
        /* the health states are the scene's, in the same order */
        sc->cams[i].state = (enum scene_cam_state)health_state(e->health, i);
        sc->cams[i].since_ns = health_since(e->health, i);
        sc->cams[i].stream = e->stream[i];
    }
    sc->n_open_alerts = alert_bus_open_count(e->alerts);
    sc->n_banner = alert_bus_banner(e->alerts, sc->banner, 4);
    render_set_scene(e->render, sc);
    scene_unref(sc);
}

void engine_send_events(struct vigil_engine *e)
{
    int64_t now = vt_mono_ns();
    for (struct engine_event *ev = e->events; ev && e->control;
         ev = ev->next) {
        if (ev->kind == EV_CAMERA) {
            struct ctl_camera cam;
            engine_camera_fill(e, ev->index, now, &cam);
            control_event_camera(e->control, &cam);
        } else if (ev->kind == EV_SCREEN) {
            struct ctl_screen scr;
            engine_screen_fill(e, ev->index, &scr);
            control_event_screen(e->control, e->cfg->tz, &scr);
        } else if (ev->kind == EV_LOAD) {
            const struct load_state *l = load_get(e->load);
            control_event_load(e->control, load_shed_name(l->shed),
                               l->decode);
        } else {
            control_event_line(e->control, ev->name, ev->json);
        }
    }
    engine_free_events(e);
}

