#include <stdarg.h>
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

void vt_thread_name(const char *fmt, ...)
{
    char name[16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof(name), fmt, ap);
    va_end(ap);
    pthread_setname_np(pthread_self(), name);
}
