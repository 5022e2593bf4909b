/* A stream's lag behind real time (see lag.h). */
#include "source/lag.h"

#define LAG_WINDOW_NS INT64_C(1000000000)        /* the worst lag's */
#define LAG_PERIOD_NS (30 * INT64_C(1000000000)) /* the baseline's */

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t lag_clock_update(struct lag_clock *c, int64_t now_ns, int64_t pts_ns)
{
    int64_t off = now_ns - pts_ns;
    int64_t moved = c->set ? off - c->offset_ns : 0;
    if (!c->set || moved > LAG_JUMP_NS || moved < -LAG_JUMP_NS) {
        c->set = true;
        c->base_ns = c->base_before_ns = off;
        c->period_ns = now_ns;
    } else if (now_ns - c->period_ns >= LAG_PERIOD_NS) {
        c->base_before_ns = c->base_ns;
        c->base_ns = off;
        c->period_ns = now_ns;
    }
    c->offset_ns = off;
    c->base_ns = min64(c->base_ns, off);
    int64_t lag = off - min64(c->base_ns, c->base_before_ns);
    if (now_ns - c->window_ns >= LAG_WINDOW_NS) {
        c->worst_before_ns = c->worst_ns;
        c->worst_ns = 0;
        c->window_ns = now_ns;
    }
    c->worst_ns = lag > c->worst_ns ? lag : c->worst_ns;
    return lag;
}

int64_t lag_clock_worst(const struct lag_clock *c)
{
    return c->worst_ns > c->worst_before_ns ? c->worst_ns
                                            : c->worst_before_ns;
}
