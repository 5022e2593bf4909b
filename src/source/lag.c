/* A stream's lag behind real time (see lag.h). */
#include "source/lag.h"

#define LAG_WINDOW_NS INT64_C(1000000000)        /* the lag held's */
#define LAG_PERIOD_NS (30 * INT64_C(1000000000)) /* the baseline's */

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

int64_t lag_clock_update(struct lag_clock *c, int64_t now_ns, int64_t pts_ns)
{
    int64_t off = now_ns - pts_ns;
    /* the media time stepped back, or on by more than the time between
     * the two reads */
    int64_t step = pts_ns - c->pts_ns, read = now_ns - c->read_ns;
    if (!c->set || step < -LAG_JUMP_NS || step - read > LAG_JUMP_NS) {
        c->set = true;
        c->base_ns = c->base_before_ns = off;
        c->period_ns = now_ns;
        c->window_ns = now_ns;
        c->low_ns = INT64_MAX;
        c->held_ns = 0;
    } else if (now_ns - c->period_ns >= LAG_PERIOD_NS) {
        c->base_before_ns = c->base_ns;
        c->base_ns = off;
        c->period_ns = now_ns;
    }
    c->pts_ns = pts_ns;
    c->read_ns = now_ns;
    c->base_ns = min64(c->base_ns, off);
    int64_t lag = off - min64(c->base_ns, c->base_before_ns);
    if (now_ns - c->window_ns >= LAG_WINDOW_NS) {
        if (c->low_ns != INT64_MAX) {
            c->held_ns = c->low_ns;
        }
        c->low_ns = INT64_MAX;
        c->window_ns = now_ns;
    }
    c->low_ns = min64(c->low_ns, lag);
    return lag;
}

int64_t lag_clock_held(const struct lag_clock *c)
{
    return c->held_ns;
}
