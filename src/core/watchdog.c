/* The watchdog's decision; see watchdog.h. Pure. */
#include "core/watchdog.h"

void watchdog_init(struct watchdog *w, int64_t period_ns)
{
    *w = (struct watchdog){ .period_ns = period_ns,
                            .max_age_ns = period_ns / 2 };
}

int64_t watchdog_interval_ns(const struct watchdog *w)
{
    return w->period_ns / 4;
}

enum watchdog_verdict watchdog_check(struct watchdog *w, int64_t now_ns,
                                     int64_t beat_ns, bool *changed)
{
    /* Pinged at most a quarter period apart while the heartbeat is
     * younger than half a period: a stall is noticed within half a period
     * and systemd acts one period after the last ping. */
    bool stalled = now_ns - beat_ns > w->max_age_ns;
    *changed = stalled != w->stalled;
    if (stalled && !w->stalled) {
        w->stalled_since_ns = beat_ns;
    }
    w->stalled = stalled;
    return stalled ? WATCHDOG_WITHHOLD : WATCHDOG_PING;
}
