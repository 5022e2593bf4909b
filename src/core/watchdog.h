/*
 * The service watchdog's decision, pure (a fake clock tests it). systemd
 * restarts a service whose pings stop; Vigil pings only while both of its
 * threads are alive: the loop thread by being the one that asks, the
 * render thread by a heartbeat it stamps on every turn of its loop (at
 * least twice a second, even with nothing to draw). A render thread stuck
 * in a display server or a driver stops the pings, and the wall is
 * restarted instead of showing a frozen picture.
 */
#ifndef VIGIL_CORE_WATCHDOG_H
#define VIGIL_CORE_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

struct watchdog {
    int64_t period_ns;   /* systemd's WatchdogSec (WATCHDOG_USEC) */
    int64_t max_age_ns;  /* a heartbeat older than this is a stall */
    bool stalled;        /* the last verdict withheld the ping */
    int64_t stalled_since_ns;
};

/* period_ns: the interval systemd allows between pings (0: no watchdog). */
void watchdog_init(struct watchdog *w, int64_t period_ns);

/* How often the loop thread should ask (a quarter of the period). */
int64_t watchdog_interval_ns(const struct watchdog *w);

enum watchdog_verdict {
    WATCHDOG_PING,       /* both threads alive */
    WATCHDOG_WITHHOLD,   /* the render thread has stalled */
};

/* Asked on the loop thread at now_ns with the render thread's last
 * heartbeat. *changed is set when the verdict differs from the last one
 * (for one log line per stall, not one per ask). */
enum watchdog_verdict watchdog_check(struct watchdog *w, int64_t now_ns,
                                     int64_t beat_ns, bool *changed);

#endif
