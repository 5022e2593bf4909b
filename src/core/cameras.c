/*
 * The cameras at run time (see cameras.h): sources and mailboxes, the
 * loop's status copies and the sampled rates. A camera with `sub` has two
 * sources, one per stream, each with its own mailbox; the scene tells the
 * renderer which one to show.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/cameras.h"
#include "frame/mailbox.h"
#include "util/mem.h"
#include "util/time.h"

struct cam {
    struct source *src, *sub_src;  /* sub_src NULL without `sub` */
    struct source_status st, sub_st; /* loop thread copies */
    /* rates over the last second: pictures received on the stream shown,
     * decoded (both streams), taken for display */
    uint64_t prev_in, prev_dec, prev_out;
    double fps_in, fps_dec, fps_out;
};

struct cameras {
    int n;
    struct cam *cams;
    struct mailbox **mb;      /* n main mailboxes, then n sub (or NULL) */
    struct source_pacer *pacer;
    struct decode_slots *slots;
};

struct cameras *cameras_create(const struct config *cfg,
                               struct source_pacer *pacer,
                               struct decode_slots *slots)
{
    struct cameras *cs = xzalloc(sizeof(*cs));
    cs->n = cfg->n_cameras;
    cs->cams = xcalloc((size_t)cs->n + 1, sizeof(*cs->cams));
    cs->mb = xcalloc(2 * (size_t)cs->n + 1, sizeof(*cs->mb));
    cs->pacer = pacer;
    cs->slots = slots;
    for (int i = 0; i < cs->n; i++) {
        cs->mb[i] = mailbox_create();
        cs->mb[cs->n + i] = cfg->cameras[i].sub ? mailbox_create() : NULL;
    }
    return cs;
}

void cameras_destroy(struct cameras *cs)
{
    if (!cs) {
        return;
    }
    cameras_stop(cs);
    for (int i = 0; i < 2 * cs->n; i++) {
        mailbox_destroy(cs->mb[i]);
    }
    free(cs->mb);
    free(cs->cams);
    free(cs);
}

struct mailbox *const *cameras_mailboxes(const struct cameras *cs, bool sub)
{
    return cs->mb + (sub ? cs->n : 0);
}

/* How long a hidden camera's reader may nap (src/source): its packets
 * are seen up to that late, so a short stall budget shortens it. */
static int64_t nap_for(const struct config *cfg)
{
    int64_t third = cfg->stall_after_ms * VT_MS / 3;
    return cfg->stall_after_ms && third < SOURCE_NAP_NS ? third
                                                        : SOURCE_NAP_NS;
}

int cameras_start(struct cameras *cs, const struct config *cfg,
                  const struct frame_caps *caps, void (*on_status)(void *),
                  void *ctx)
{
    int ret = 0;
    int64_t now = vt_mono_ns();
    for (int i = 0; i < cs->n; i++) {
        const struct cfg_camera *cc = &cfg->cameras[i];
        struct source_params sp = {
            .name = cc->id,
            .url = cc->url,
            .transport = cc->transport,
            .mailbox = cs->mb[i],
            .caps = *caps,
            .on_status = on_status,
            .cb_ctx = ctx,
            .seed = 0x9E3779B97F4A7C15ull * (uint64_t)(i + 1) ^ (uint64_t)now,
            .connect_timeout_ns = cc->connect_timeout_ms * VT_MS,
            .nap_ns = nap_for(cfg),
            .pacer = cs->pacer,
            .slots = cs->slots,
            .decode = { .threads = 1, .hwaccel = cc->hwaccel },
        };
        struct cam *c = &cs->cams[i];
        if (!(c->src = source_create(&sp))) {
            ret = -EAGAIN;
        }
        if (cc->sub) {
            char name[160];
            snprintf(name, sizeof(name), "%s/sub", cc->id);
            sp.name = name;
            sp.url = cc->sub;
            sp.mailbox = cs->mb[cs->n + i];
            sp.seed ^= 0x5bd1e995;
            if (!(c->sub_src = source_create(&sp))) {
                ret = -EAGAIN;
            }
        }
    }
    return ret;
}

void cameras_stop(struct cameras *cs)
{
    /* every worker stops (and closes its session) at once; then each is
     * joined */
    for (int i = 0; i < cs->n; i++) {
        source_stop(cs->cams[i].src);
        source_stop(cs->cams[i].sub_src);
    }
    for (int i = 0; i < cs->n; i++) {
        source_destroy(cs->cams[i].src);
        source_destroy(cs->cams[i].sub_src);
        cs->cams[i].src = cs->cams[i].sub_src = NULL;
    }
}

void cameras_refresh(struct cameras *cs)
{
    for (int i = 0; i < cs->n; i++) {
        struct cam *c = &cs->cams[i];
        if (c->src) {
            source_status_get(c->src, &c->st);
        }
        if (c->sub_src) {
            source_status_get(c->sub_src, &c->sub_st);
        }
    }
}

const struct source_status *cameras_status(const struct cameras *cs, int i,
                                           bool sub)
{
    return sub ? &cs->cams[i].sub_st : &cs->cams[i].st;
}

bool cameras_has_sub(const struct cameras *cs, int i)
{
    return cs->mb[cs->n + i] != NULL;
}

/* sub_st stays zero without a substream */
struct cam_counts cameras_counts(const struct cameras *cs, int i)
{
    const struct source_status *m = &cs->cams[i].st, *s = &cs->cams[i].sub_st;
    struct mailbox *sub_mb = cs->mb[cs->n + i];
    return (struct cam_counts){
        .frames = m->frames + s->frames,
        .shed_frames = m->shed_frames + s->shed_frames,
        .dropped = mailbox_drops(cs->mb[i]) +
                   (sub_mb ? mailbox_drops(sub_mb) : 0),
        .reconnects = m->reconnects + s->reconnects,
        .decode_errors = m->decode_errors + s->decode_errors,
        .bytes = m->bytes + s->bytes,
        .decode_ns = m->decode_ns + s->decode_ns,
        .decode_wait_ns = m->decode_wait_ns + s->decode_wait_ns,
    };
}

void cameras_set_decode(struct cameras *cs, int i, int stream,
                        const struct source_decode *d)
{
    struct cam *c = &cs->cams[i];
    struct source_decode off = *d;
    off.on = off.keyframes_only = false;
    off.threads = 1;
    off.tile_w = off.tile_h = 0;
    if (c->src) {
        source_set_decode(c->src, stream == 0 ? d : &off);
    }
    if (c->sub_src) {
        source_set_decode(c->sub_src, stream == 1 ? d : &off);
    }
}

void cameras_reconfigure(struct cameras *cs, const struct config *cfg)
{
    int64_t nap = nap_for(cfg);
    for (int i = 0; i < cs->n; i++) {
        struct source *src[2] = { cs->cams[i].src, cs->cams[i].sub_src };
        for (int k = 0; k < 2; k++) {
            if (src[k]) {
                source_set_connect_timeout(
                    src[k], cfg->cameras[i].connect_timeout_ms * VT_MS);
                source_set_nap(src[k], nap);
            }
        }
    }
}

/* A rate that stops (a camera hidden, or shown again) reads right a
 * second later, never a stale or window-skewed figure. */
void cameras_sample_rates(struct cameras *cs, int64_t dt_ns,
                          const uint64_t *shown, const int *stream)
{
    double dt = (double)dt_ns / VT_S;
    for (int i = 0; i < cs->n; i++) {
        struct cam *c = &cs->cams[i];
        uint64_t in = (stream[i] ? &c->sub_st : &c->st)->packets;
        uint64_t dec = c->st.frames + c->sub_st.frames;
        uint64_t out = shown[i];
        if (dt > 0) {
            /* the stream shown may just have changed: never negative */
            c->fps_in = in >= c->prev_in ? (double)(in - c->prev_in) / dt : 0;
            c->fps_dec = (double)(dec - c->prev_dec) / dt;
            c->fps_out = (double)(out - c->prev_out) / dt;
        }
        c->prev_in = in;
        c->prev_dec = dec;
        c->prev_out = out;
    }
}

void cameras_rates(const struct cameras *cs, int i, double *in, double *dec,
                   double *out)
{
    *in = cs->cams[i].fps_in;
    *dec = cs->cams[i].fps_dec;
    *out = cs->cams[i].fps_out;
}
