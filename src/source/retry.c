#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "source/retry.h"
#include "util/mem.h"

void retry_plan(struct backoff *b, const struct retry_in *in,
                struct retry_out *out)
{
    *out = (struct retry_out){ 0 };
    if (in->ran_ns > RETRY_HEALTHY_NS) {
        backoff_reset(b); /* it was healthy: start backoff over */
    }
    /* A read that timed out was a stall, and is reported as one; a test
     * pattern that ends (the demo's cam-16) is an outage; wrong
     * credentials are never retried at once. */
    if (in->streamed_ns > RETRY_HEALTHY_NS && !in->timed_out &&
        !in->test_pattern && in->fault != SOURCE_FAULT_AUTH) {
        out->quiet = true;
        return;
    }
    int64_t delay = backoff_next(b);
    if (in->err == -ECONNREFUSED && delay > RETRY_REFUSED_NS) {
        /* A refusal costs the camera nothing and says it is up, or
         * booting: look again soon (the pacer still spaces them). */
        delay = RETRY_REFUSED_NS;
    }
    if (in->fault == SOURCE_FAULT_AUTH && delay < RETRY_AUTH_NS) {
        /* Wrong credentials do not fix themselves: no retry storm (and
         * no account lock-out on the camera). */
        delay = RETRY_AUTH_NS;
    }
    out->delay_ns = delay;
}

struct source_pacer {
    pthread_mutex_t lock;
    struct pacer p;
};

struct source_pacer *source_pacer_create(int64_t interval_ns)
{
    struct source_pacer *sp = xzalloc(sizeof(*sp));
    pthread_mutex_init(&sp->lock, NULL);
    sp->p.interval_ns = interval_ns;
    return sp;
}

void source_pacer_destroy(struct source_pacer *sp)
{
    if (!sp) {
        return;
    }
    pthread_mutex_destroy(&sp->lock);
    free(sp);
}

int64_t source_pacer_slot(struct source_pacer *sp, int64_t now_ns)
{
    pthread_mutex_lock(&sp->lock);
    int64_t at = pacer_slot(&sp->p, now_ns);
    pthread_mutex_unlock(&sp->lock);
    return at;
}
