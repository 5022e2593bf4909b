#include <pthread.h>

#include <libavutil/frame.h>

#include "frame/mailbox.h"
#include "util/mem.h"

struct mailbox {
    pthread_mutex_t lock;
    /* all below protected by lock */
    AVFrame *frame;
    uint64_t gen;
    uint64_t drops;
    /* set before producers start, read-only afterwards */
    mailbox_wake_fn wake;
    void *wake_ctx;
};

struct mailbox *mailbox_create(void)
{
    struct mailbox *mb = xzalloc(sizeof(*mb));
    pthread_mutex_init(&mb->lock, NULL);
    return mb;
}

void mailbox_set_wake(struct mailbox *mb, mailbox_wake_fn fn, void *ctx)
{
    mb->wake = fn;
    mb->wake_ctx = ctx;
}

void mailbox_destroy(struct mailbox *mb)
{
    if (!mb) {
        return;
    }
    av_frame_free(&mb->frame);
    pthread_mutex_destroy(&mb->lock);
    free(mb);
}

int mailbox_put(struct mailbox *mb, AVFrame **frame)
{
    AVFrame *old;
    pthread_mutex_lock(&mb->lock);
    old = mb->frame;
    mb->frame = *frame;
    mb->gen++;
    if (old) {
        mb->drops++;
    }
    pthread_mutex_unlock(&mb->lock);
    *frame = NULL;
    int dropped = old != NULL;
    av_frame_free(&old); /* outside the lock: may free pool buffers */
    if (mb->wake) {
        mb->wake(mb->wake_ctx);
    }
    return dropped;
}

AVFrame *mailbox_take(struct mailbox *mb, uint64_t *seen_gen)
{
    AVFrame *f = NULL;
    pthread_mutex_lock(&mb->lock);
    if (mb->gen != *seen_gen) {
        f = mb->frame;
        mb->frame = NULL;
        *seen_gen = mb->gen;
    }
    pthread_mutex_unlock(&mb->lock);
    return f;
}

uint64_t mailbox_generation(struct mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    uint64_t g = mb->gen;
    pthread_mutex_unlock(&mb->lock);
    return g;
}

uint64_t mailbox_drops(struct mailbox *mb)
{
    pthread_mutex_lock(&mb->lock);
    uint64_t d = mb->drops;
    pthread_mutex_unlock(&mb->lock);
    return d;
}
