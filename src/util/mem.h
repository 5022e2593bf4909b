/*
 * Small allocations that abort on failure (mpv's talloc policy): running
 * out of memory for bookkeeping is not survivable in a meaningful way.
 * Frame and packet allocations do NOT go through here; their failure is
 * handled by dropping the frame.
 */
#ifndef VIGIL_UTIL_MEM_H
#define VIGIL_UTIL_MEM_H

#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t size);
void *xzalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Grow *p (holding *cap elements of `size`) to hold at least n. */
void xgrow(void **p, size_t *cap, size_t n, size_t size);

#define XGROW(arr, cap, n) xgrow((void **)&(arr), &(cap), (n), sizeof(*(arr)))

/* The C library's heap: bytes handed out and not yet freed (what a leak
 * grows), and bytes freed but kept by the allocator (what fragmentation
 * grows; RSS holds both). Both -1 where the C library cannot say. */
void mem_heap(long long *in_use, long long *kept_free);

#endif
