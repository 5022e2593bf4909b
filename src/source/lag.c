/* A stream's lag behind real time (see lag.h). */
#include "source/lag.h"

#define LAG_WINDOW_NS INT64_C(1000000000)

int64_t lag_clock_update(struct lag_clock *c, int64_t now_ns, int64_t pts_ns)
{
    int64_t lag = c->set ? now_ns - (c->origin_ns + (pts_ns - c->origin_pts))
                         : 0;
    if (!c->set || lag - c->lag_ns > LAG_JUMP_NS ||
        c->lag_ns - lag > LAG_JUMP_NS || lag < 0) {
        /* the first packet, a jump, or one earlier than any before: it
         * sets the pace */
        c->set = true;
        c->origin_ns = now_ns;
        c->origin_pts = pts_ns;
        lag = 0;
    }
    c->lag_ns = lag;
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
