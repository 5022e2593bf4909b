/* The service watchdog on a fake clock: with WatchdogSec=2 the loop thread
 * asks every 500 ms; a render thread that turns (a heartbeat every
 * 100-500 ms) gets a ping each time; one that stops turning loses the
 * pings within 1 s, with one "changed" for the log, and gets them back
 * when it turns again. */
#include "core/watchdog.h"
#include "test.h"
#include "util/time.h"

static void pings_while_alive(void)
{
    struct watchdog w;
    watchdog_init(&w, 2 * VT_S);
    CHECK_INT(watchdog_interval_ns(&w), 500 * VT_MS);
    int64_t now = 100 * VT_S, beat = now;
    bool changed;
    for (int i = 0; i < 20; i++) {
        now += 500 * VT_MS;
        beat = now - (i % 5) * 100 * VT_MS; /* turned 0-400 ms ago */
        CHECK_INT(watchdog_check(&w, now, beat, &changed), WATCHDOG_PING);
        CHECK(!changed);
    }
}

static void stall_stops_pings(void)
{
    struct watchdog w;
    watchdog_init(&w, 2 * VT_S);
    int64_t now = 100 * VT_S;
    int64_t beat = now; /* the render thread's last turn, then it hangs */
    bool changed;
    int pings = 0, changes = 0;
    int64_t last_ping = now;
    for (int i = 0; i < 12; i++) { /* 6 s of asking every 500 ms */
        now += 500 * VT_MS;
        if (watchdog_check(&w, now, beat, &changed) == WATCHDOG_PING) {
            pings++;
            last_ping = now;
        }
        changes += changed;
    }
    /* pings while the beat is at most 1 s old: at +0.5 s and +1 s */
    CHECK_INT(pings, 2);
    CHECK_INT(last_ping - beat, 1 * VT_S);
    CHECK_INT(changes, 1);
    CHECK(w.stalled);
    CHECK_INT(w.stalled_since_ns, beat);
    /* systemd restarts 2 s after the last ping: 3 s after the hang */

    /* it turns again */
    now += 500 * VT_MS;
    beat = now - 50 * VT_MS;
    CHECK_INT(watchdog_check(&w, now, beat, &changed), WATCHDOG_PING);
    CHECK(changed);
    now += 500 * VT_MS;
    beat = now;
    CHECK_INT(watchdog_check(&w, now, beat, &changed), WATCHDOG_PING);
    CHECK(!changed);
}

static void no_watchdog(void)
{
    struct watchdog w;
    watchdog_init(&w, 0);
    CHECK_INT(watchdog_interval_ns(&w), 0);
}

int main(void)
{
    RUN(pings_while_alive);
    RUN(stall_stops_pings);
    RUN(no_watchdog);
    return test_done();
}
