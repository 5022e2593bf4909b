/* Mailbox: newest wins, drops are counted, references move (no copies);
 * and a stress run with real producer and consumer threads (run it under
 * the tsan setup to check the locking). Capture stamps travel with every
 * reference to a frame; decode slots bound how many decode at once. */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include <libavutil/frame.h>

#include "decode/slots.h"
#include "frame/mailbox.h"
#include "frame/stamp.h"
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

static void stamps(void)
{
    AVFrame *f = numbered(1);
    CHECK_INT(frame_stamp_get(f), 0);
    CHECK_INT(frame_stamp_set(f, INT64_C(1795000000123456)), 0);
    AVFrame *ref = av_frame_clone(f);
    av_frame_free(&f);
    CHECK_INT(frame_stamp_get(ref), INT64_C(1795000000123456));
    av_frame_free(&ref);
}

static atomic_int in_slot, most_in_slot;
static struct decode_slots *pool;

static void *decode_job(void *arg)
{
    int64_t *waited = arg;
    *waited = decode_slot_take(pool);
    int now = atomic_fetch_add(&in_slot, 1) + 1;
    int seen = atomic_load(&most_in_slot);
    while (now > seen && !atomic_compare_exchange_weak(&most_in_slot, &seen,
                                                       now)) {
    }
    usleep(20000);
    atomic_fetch_sub(&in_slot, 1);
    decode_slot_give(pool);
    return NULL;
}

static void slots(void)
{
    pool = decode_slots_create(2);
    CHECK_INT(decode_slots_size(pool), 2);
    /* both slots held: a third decode waits until one is given back */
    CHECK_INT(decode_slot_take(pool), 0);
    CHECK_INT(decode_slot_take(pool), 0);
    pthread_t t[6];
    int64_t waited[6] = { 0 };
    pthread_create(&t[0], NULL, decode_job, &waited[0]);
    usleep(50000);
    CHECK_INT(atomic_load(&in_slot), 0);
    decode_slot_give(pool);
    pthread_join(t[0], NULL);
    CHECK(waited[0] >= 40 * 1000000);
    decode_slot_give(pool);
    /* many at once: never more than the pool decode together */
    for (int i = 0; i < 6; i++) {
        pthread_create(&t[i], NULL, decode_job, &waited[i]);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
    }
    CHECK(atomic_load(&most_in_slot) <= 2);
    decode_slots_destroy(pool);
    pool = decode_slots_create(0); /* one per core */
    CHECK(decode_slots_size(pool) >= 1);
    decode_slots_destroy(pool);
    decode_slots_destroy(NULL);
}

int main(void)
{
    RUN(newest_wins);
    RUN(threads);
    RUN(stamps);
    RUN(slots);
    return test_done();
}
