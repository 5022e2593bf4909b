#include "util/backoff.h"

void backoff_init(struct backoff *b, int64_t initial_ns, int64_t max_ns,
                  uint64_t seed)
{
    b->initial_ns = initial_ns;
    b->max_ns = max_ns;
    b->current_ns = 0;
    b->rng = seed ? seed : 0x9E3779B97F4A7C15ull;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

int64_t backoff_next(struct backoff *b)
{
    int64_t d = b->current_ns ? b->current_ns : b->initial_ns;
    b->current_ns = d * 2 > b->max_ns ? b->max_ns : d * 2;
    /* jitter: uniform in [d/2, d] */
    int64_t half = d / 2;
    return half + (int64_t)(xorshift(&b->rng) % (uint64_t)(half + 1));
}

void backoff_reset(struct backoff *b)
{
    b->current_ns = 0;
}

int64_t pacer_slot(struct pacer *p, int64_t want_ns)
{
    int64_t t = want_ns > p->next_ns ? want_ns : p->next_ns;
    p->next_ns = t + p->interval_ns;
    return t;
}
