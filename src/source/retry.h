/*
 * What a camera's worker does after a session ends, and the pacer that
 * spaces reconnects across cameras. The policy is pure (a step of the
 * backoff and a few facts about the session), so it is tested on its own.
 *
 * Thread: a camera's worker (the pacer is shared, under its own lock).
 */
#ifndef VIGIL_SOURCE_RETRY_H
#define VIGIL_SOURCE_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "source/source.h"
#include "util/backoff.h"

/* A session that ran this long was healthy. */
#define RETRY_HEALTHY_NS (10 * INT64_C(1000000000))
/* The longest wait after a refused connection: a camera that reboots
 * refuses for a while, then answers. */
#define RETRY_REFUSED_NS (5 * INT64_C(1000000000))
/* The shortest wait after wrong credentials. */
#define RETRY_AUTH_NS (15 * INT64_C(1000000000))

struct retry_in {
    int64_t ran_ns;         /* since the attempt began (connect included) */
    int64_t streamed_ns;    /* since it connected; 0: never connected */
    bool timed_out;         /* a read or the connect ran out of time */
    bool test_pattern;      /* a lavfi source, not a camera */
    enum source_fault fault;
    int err;                /* the error that ended it (-errno, VIGIL_E*) */
};

struct retry_out {
    /* Retry at once and say nothing: the camera ended a healthy session
     * (end of stream, a reset, a session dropped on its own timer); the
     * outage begins only if the retry fails. */
    bool quiet;
    int64_t delay_ns;       /* the wait before the retry, when not quiet */
};

void retry_plan(struct backoff *b, const struct retry_in *in,
                struct retry_out *out);

/* The next reconnect slot at or after now_ns (monotonic). */
int64_t source_pacer_slot(struct source_pacer *sp, int64_t now_ns);

#endif
