/* Mailbox: newest wins, drops are counted, references move (no copies);
 * and a stress run with real producer and consumer threads (run it under
 * the tsan setup to check the locking). */
#include <pthread.h>

#include <libavutil/frame.h>

#include "frame/mailbox.h"
#include "test.h"

static AVFrame *numbered(int n)
{
    AVFrame *f = av_frame_alloc();
    f->width = 16;
    f->height = 16;
    f->format = 0; /* yuv420p */
    av_frame_get_buffer(f, 0);
    f->pts = n;
    return f;
}

static void newest_wins(void)
{
    struct mailbox *mb = mailbox_create();
    uint64_t seen = 0;
    CHECK(mailbox_take(mb, &seen) == NULL);
    AVFrame *a = numbered(1), *b = numbered(2);
    uint8_t *data_b = b->data[0];
    CHECK_INT(mailbox_put(mb, &a), 0);
    CHECK(a == NULL); /* moved */
    CHECK_INT(mailbox_put(mb, &b), 1);
    CHECK_INT(mailbox_drops(mb), 1);
    AVFrame *got = mailbox_take(mb, &seen);
    CHECK(got != NULL);
    CHECK_INT(got->pts, 2);
    CHECK(got->data[0] == data_b); /* the same buffer: no copy */
    CHECK(mailbox_take(mb, &seen) == NULL);
    av_frame_free(&got);
    mailbox_destroy(mb);
    mailbox_destroy(NULL);
}

struct stress {
    struct mailbox *mb;
    int n;
    int last_seen;
    int out_of_order;
    int taken;
};

static void *producer(void *arg)
{
    struct stress *s = arg;
    for (int i = 1; i <= s->n; i++) {
        AVFrame *f = numbered(i);
        mailbox_put(s->mb, &f);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    struct stress *s = arg;
    uint64_t seen = 0;
    while (s->last_seen < s->n) {
        AVFrame *f = mailbox_take(s->mb, &seen);
        if (f) {
            if (f->pts <= s->last_seen) {
                s->out_of_order++;
            }
            s->last_seen = (int)f->pts;
            s->taken++;
            av_frame_free(&f);
        }
    }
    return NULL;
}

static void threads(void)
{
    struct stress s = { .mb = mailbox_create(), .n = 20000 };
    pthread_t p, c;
    pthread_create(&c, NULL, consumer, &s);
    pthread_create(&p, NULL, producer, &s);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    CHECK_INT(s.out_of_order, 0);
    CHECK_INT(s.last_seen, s.n);
    /* every frame was either taken or counted as dropped */
    CHECK_INT((uint64_t)s.taken + mailbox_drops(s.mb), (uint64_t)s.n);
    mailbox_destroy(s.mb);
}

int main(void)
{
    RUN(newest_wins);
    RUN(threads);
    return test_done();
}
