/*
 * Running as a service: systemd's notification protocol (libsystemd's
 * sd_notify) and SIGHUP. READY=1 once the wall is up (its first picture
 * composed, the control API listening), a STATUS= line that `systemctl
 * status` shows, WATCHDOG=1 pings only while the render thread's
 * heartbeat is fresh (watchdog.c decides), RELOADING=1 around a SIGHUP
 * reload and STOPPING=1 on the way out. Without systemd (no
 * NOTIFY_SOCKET) every notification is a no-op and the wall runs as it
 * always did. Loop thread.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "core/engine_internal.h"
#include "core/health.h"
#include "core/patrol.h"
#include "render/render.h"
#include "util/log.h"
#include "util/time.h"

#define STARTING_POLL_MS 50
#define STATUS_EVERY_MS 5000

static void notify(struct vigil_engine *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void notify(struct vigil_engine *e, const char *fmt, ...)
{
#ifdef HAVE_LIBSYSTEMD
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    int ret = sd_notify(0, msg);
    if (ret < 0) {
        VLOG_WARN(e->log, "systemd notification failed: %s",
                  strerror(-ret));
    }
#else
    (void)e;
    (void)fmt;
#endif
}

/* "12 cameras: 11 live, 1 down; plan night" */
static void status_line(struct vigil_engine *e, char *buf, size_t size)
{
    int n[4] = { 0 };
    for (int i = 0; i < e->n_cams; i++) {
        n[health_state(e->health, i)]++;
    }
    int rule;
    int64_t since;
    int plan = patrol_plan(e->patrol, &rule, &since);
    snprintf(buf, size, "%d cameras: %d live, %d stalled, %d down, %d "
                        "connecting; plan %s",
             e->n_cams, n[HEALTH_LIVE], n[HEALTH_STALLED], n[HEALTH_DOWN],
             n[HEALTH_CONNECTING],
             plan >= 0 ? e->cfg->plans[plan].name : "-");
}

static void service_tick(uv_timer_t *t)
{
    struct vigil_engine *e = t->data;
    struct engine_service *sv = &e->service;
    int64_t now = vt_mono_ns();
    if (!sv->ready) {
        if (!e->render || render_frames_composed(e->render) == 0) {
            return; /* not up yet */
        }
        sv->ready = true;
        char st[160];
        status_line(e, st, sizeof(st));
        notify(e, "READY=1\nSTATUS=%s", st);
        VLOG_INFO(e->log, "up: %s", st);
        int64_t every = STATUS_EVERY_MS;
        if (sv->wd.period_ns) {
            int64_t wd = watchdog_interval_ns(&sv->wd) / VT_MS;
            every = wd < every ? (wd > 0 ? wd : 1) : every;
        }
        uv_timer_start(t, service_tick, (uint64_t)every, (uint64_t)every);
        sv->status_ns = now;
    }
    if (sv->wd.period_ns) {
        bool changed;
        enum watchdog_verdict v = watchdog_check(
            &sv->wd, now, render_heartbeat(e->render), &changed);
        if (v == WATCHDOG_PING) {
            notify(e, "WATCHDOG=1");
        }
        if (changed && v == WATCHDOG_WITHHOLD) {
            VLOG_ERR(e->log, "the render thread has not turned for %lld ms: "
                             "watchdog pings withheld (systemd restarts a "
                             "wall that stays stuck)",
                     (long long)((now - render_heartbeat(e->render)) /
                                 VT_MS));
        } else if (changed) {
            VLOG_WARN(e->log, "the render thread turns again: watchdog "
                              "pings resumed");
        }
    }
    if (now - sv->status_ns >= STATUS_EVERY_MS * VT_MS) {
        char st[160];
        status_line(e, st, sizeof(st));
        notify(e, "STATUS=%s", st);
        sv->status_ns = now;
    }
}

static void on_hangup(uv_signal_t *s, int signum)
{
    struct vigil_engine *e = s->data;
    (void)signum;
    VLOG_INFO(e->log, "SIGHUP: reloading %s",
              e->set.config_path ? e->set.config_path : "(the demo)");
    notify(e, "RELOADING=1");
    struct ctl_command cmd = { .kind = CTL_CMD_RELOAD };
    struct ctl_result res = { 0 };
    int ret = engine_command(e, &cmd, &res);
    if (ret < 0) {
        /* the errors and refused keys were logged by the reload */
        VLOG_ERR(e->log, "reload failed: %s; the running config stays",
                 res.error[0] ? res.error : vigil_strerror(ret));
    }
    ctl_result_finish(&res);
    if (e->service.ready) {
        notify(e, "READY=1"); /* before the first picture it waits for it */
    }
}

void engine_service_init(struct vigil_engine *e)
{
    struct engine_service *sv = &e->service;
    uv_signal_init(&e->loop, &sv->sighup);
    uv_timer_init(&e->loop, &sv->timer);
    sv->sighup.data = sv->timer.data = e;
    uint64_t usec = 0;
    int64_t period = 0;
#ifdef HAVE_LIBSYSTEMD
    if (sd_watchdog_enabled(0, &usec) > 0) {
        period = (int64_t)usec * 1000;
    }
#endif
    watchdog_init(&sv->wd, period);
    uv_signal_start(&sv->sighup, on_hangup, SIGHUP);
}

void engine_service_start(struct vigil_engine *e)
{
    struct engine_service *sv = &e->service;
    if (sv->wd.period_ns) {
        VLOG_INFO(e->log, "systemd watchdog: a ping every %lld ms while "
                          "the render thread turns",
                  (long long)(watchdog_interval_ns(&sv->wd) / VT_MS));
    }
    uv_timer_start(&sv->timer, service_tick, STARTING_POLL_MS,
                   STARTING_POLL_MS);
}

void engine_service_stopping(struct vigil_engine *e)
{
    /* sd_notify sends one datagram: any thread */
    notify(e, "STOPPING=1");
}

void engine_service_close(struct vigil_engine *e)
{
    uv_timer_stop(&e->service.timer);
    uv_close((uv_handle_t *)&e->service.timer, NULL);
    uv_close((uv_handle_t *)&e->service.sighup, NULL);
}
