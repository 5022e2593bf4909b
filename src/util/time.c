#include <stdio.h>
#include <time.h>

#include "util/time.h"

int64_t vt_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * VT_S + ts.tv_nsec;
}

int64_t vt_wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t vt_wall_ms(void)
{
    return vt_wall_us() / 1000;
}

void vt_format_rfc3339(int64_t wall_ms, char *buf, size_t size)
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) {
        off = -off;
    }
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02ld:%02ld",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)(wall_ms % 1000), sign, off / 60,
             off % 60);
}

void vt_cond_init_mono(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
}

int vt_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t until)
{
    struct timespec ts = { (time_t)(until / VT_S), (long)(until % VT_S) };
    return pthread_cond_timedwait(c, m, &ts);
}
