#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__ /* defined by stdio.h */
#include <malloc.h>
#endif

#include "util/mem.h"

static void *check(void *p)
{
    if (!p) {
        fputs("vigil: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xmalloc(size_t size)
{
    return check(malloc(size ? size : 1));
}

void *xzalloc(size_t size)
{
    return check(calloc(1, size ? size : 1));
}

void *xcalloc(size_t n, size_t size)
{
    return check(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t size)
{
    return check(realloc(p, size ? size : 1));
}

char *xstrdup(const char *s)
{
    return s ? check(strdup(s)) : NULL;
}

char *xasprintf(const char *fmt, ...)
{
    va_list va, va2;
    va_start(va, fmt);
    va_copy(va2, va);
    int n = vsnprintf(NULL, 0, fmt, va);
    va_end(va);
    char *s = xmalloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, va2);
    va_end(va2);
    return s;
}

void xgrow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n <= *cap) {
        return;
    }
    size_t c = *cap ? *cap : 4;
    while (c < n) {
        c *= 2;
    }
    *p = xrealloc(*p, c * size);
    memset((char *)*p + *cap * size, 0, (c - *cap) * size);
    *cap = c;
}

void mem_heap(long long *in_use, long long *kept_free)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 33)
    /* every arena's, and the chunks mmap()ed on their own */
    struct mallinfo2 mi = mallinfo2();
    *in_use = (long long)(mi.uordblks + mi.hblkhd);
    *kept_free = (long long)mi.fordblks;
    if (!*in_use) { /* a sanitizer's allocator answers zeros */
        *in_use = *kept_free = -1;
    }
#else
    *in_use = *kept_free = -1;
#endif
}
