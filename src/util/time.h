/* Clocks and threads. Pure modules never call these: they take "now" as
 * an argument. */
#ifndef VIGIL_UTIL_TIME_H
#define VIGIL_UTIL_TIME_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define VT_MS INT64_C(1000000)
#define VT_S INT64_C(1000000000)

/* Monotonic nanoseconds (CLOCK_MONOTONIC). */
int64_t vt_mono_ns(void);
/* Wall-clock milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t vt_wall_ms(void);
/* The same in microseconds. */
int64_t vt_wall_us(void);

/* A condition variable whose timed waits take vt_mono_ns() deadlines
 * (CLOCK_MONOTONIC), so a wall-clock step never stretches a wait. */
void vt_cond_init_mono(pthread_cond_t *c);
/* pthread_cond_timedwait on such a condition, until the vt_mono_ns()
 * instant `until`; returns what it returns (ETIMEDOUT once it is due). */
int vt_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t until);

/* Name the calling thread (what top -H, perf and gdb show), cut to the
 * 15 bytes Linux keeps. */
void vt_thread_name(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

#endif
