#include <string.h>

#include "render/scene.h"
#include "util/mem.h"

struct scene *scene_create(struct config *cfg)
{
    struct scene *sc = xzalloc(sizeof(*sc));
    atomic_init(&sc->refs, 1);
    sc->cfg = config_ref(cfg);
    sc->n_screens = cfg->n_screens;
    sc->screens = xcalloc((size_t)cfg->n_screens, sizeof(*sc->screens));
    for (int i = 0; i < sc->n_screens; i++) {
        sc->screens[i].layout = -1;
    }
    sc->n_cams = cfg->n_cameras;
    sc->cams = xcalloc((size_t)cfg->n_cameras, sizeof(*sc->cams));
    return sc;
}

struct scene *scene_dup(const struct scene *src)
{
    struct scene *sc = xzalloc(sizeof(*sc));
    atomic_init(&sc->refs, 1);
    sc->cfg = config_ref(src->cfg);
    sc->n_screens = src->n_screens;
    sc->screens = xcalloc((size_t)sc->n_screens, sizeof(*sc->screens));
    memcpy(sc->screens, src->screens,
           sizeof(*sc->screens) * (size_t)sc->n_screens);
    sc->n_cams = src->n_cams;
    sc->cams = xcalloc((size_t)sc->n_cams, sizeof(*sc->cams));
    memcpy(sc->cams, src->cams, sizeof(*sc->cams) * (size_t)sc->n_cams);
    sc->n_open_alerts = src->n_open_alerts;
    sc->n_banner = src->n_banner;
    memcpy(sc->banner, src->banner, sizeof(sc->banner));
    return sc;
}

struct scene *scene_ref(struct scene *sc)
{
    atomic_fetch_add(&sc->refs, 1);
    return sc;
}

void scene_unref(struct scene *sc)
{
    if (!sc || atomic_fetch_sub(&sc->refs, 1) != 1) {
        return;
    }
    config_unref(sc->cfg);
    free(sc->screens);
    free(sc->cams);
    free(sc);
}
