/*
 * Snapshots (see snapshots.h). Finished pixels are pushed by the main
 * thread onto `done` under `lock` (a leaf) and the async handle is rung;
 * the loop drains the list and queues one PNG encoding per picture on
 * libuv's pool. The object lives until its handle is closed and its last
 * encoding has come back (`refs`).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/snapshots.h"
#include "render/render.h"
#include "util/mem.h"
#include "util/png.h"

struct result {
    uint64_t token;
    uint8_t *rgb;
    int w, h;
    int64_t composed_us;
    struct result *next;
};

struct job {
    uv_work_t req;
    struct snapshots *s;
    struct result *r;
    uint8_t *png;
    size_t len;
    int ret;
};

struct snapshots {
    uv_loop_t *loop;
    uv_async_t async;
    snapshots_reply_fn reply;
    void *ctx;
    int refs;          /* the handle and each encoding (loop thread) */
    int closing;
    int pending;       /* requested, not answered (loop thread) */
    pthread_mutex_t lock;
    struct result *done; /* protected by lock */
};

static void unref(struct snapshots *s)
{
    if (--s->refs > 0) {
        return;
    }
    for (struct result *r = s->done, *n; r; r = n) {
        n = r->next;
        free(r->rgb);
        free(r);
    }
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static void answer(struct snapshots *s, uint64_t token, uint8_t *png,
                   size_t len)
{
    s->pending--;
    if (s->closing) {
        free(png);
        return;
    }
    s->reply(s->ctx, token, png, len);
}

/* libuv pool thread */
static void encode(uv_work_t *req)
{
    struct job *j = req->data;
    /* when the picture was composed, for measuring latency from outside */
    char composed[24];
    snprintf(composed, sizeof(composed), "%lld",
             (long long)j->r->composed_us);
    const char *const texts[] = { "vigil:composed_us", composed, NULL };
    j->ret = j->r->rgb ? png_encode_rgb(j->r->rgb, j->r->w, j->r->h, texts,
                                        &j->png, &j->len)
                       : -EIO;
}

static void encoded(uv_work_t *req, int status)
{
    struct job *j = req->data;
    struct snapshots *s = j->s;
    if (j->ret == 0 && status == 0) {
        answer(s, j->r->token, j->png, j->len);
    } else {
        free(j->png);
        answer(s, j->r->token, NULL, 0);
    }
    free(j->r->rgb);
    free(j->r);
    free(j);
    unref(s);
}

static void drain(uv_async_t *a)
{
    struct snapshots *s = a->data;
    pthread_mutex_lock(&s->lock);
    struct result *list = s->done;
    s->done = NULL;
    pthread_mutex_unlock(&s->lock);
    while (list) {
        struct result *r = list;
        list = r->next;
        struct job *j = xzalloc(sizeof(*j));
        j->s = s;
        j->r = r;
        j->req.data = j;
        s->refs++;
        if (uv_queue_work(s->loop, &j->req, encode, encoded) != 0) {
            j->ret = -EIO;
            encoded(&j->req, -1);
        }
    }
}

struct snapshots *snapshots_create(uv_loop_t *loop, snapshots_reply_fn reply,
                                   void *ctx)
{
    struct snapshots *s = xzalloc(sizeof(*s));
    s->loop = loop;
    s->reply = reply;
    s->ctx = ctx;
    s->refs = 1;
    pthread_mutex_init(&s->lock, NULL);
    if (uv_async_init(loop, &s->async, drain) != 0) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    s->async.data = s;
    return s;
}

static void closed(uv_handle_t *h)
{
    unref(h->data);
}

void snapshots_close(struct snapshots *s)
{
    if (!s) {
        return;
    }
    s->closing = 1;
    uv_close((uv_handle_t *)&s->async, closed);
}

void snapshots_request(struct snapshots *s, struct render *r, int screen,
                       uint64_t token)
{
    s->pending++;
    render_request_snapshot(r, screen, token);
}

int snapshots_pending(const struct snapshots *s)
{
    return s->pending;
}

void snapshots_done(struct snapshots *s, uint64_t token, uint8_t *rgb, int w,
                    int h, int64_t composed_us)
{
    struct result *r = xzalloc(sizeof(*r));
    *r = (struct result){ token, rgb, w, h, composed_us, NULL };
    pthread_mutex_lock(&s->lock);
    r->next = s->done;
    s->done = r;
    pthread_mutex_unlock(&s->lock);
    uv_async_send(&s->async);
}
