/*
 * Minimal test harness: each test program is its own process (meson runs
 * it with a timeout). A failed CHECK prints the expression and both values
 * and marks the run failed; the program exits non-zero at the end.
 */
#ifndef VIGIL_TEST_H
#define VIGIL_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                          \
    do {                                                                     \
        test_checks++;                                                       \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            test_failures++;                                                 \
        }                                                                    \
    } while (0)

#define CHECK_INT(a, b)                                                      \
    do {                                                                     \
        long long va_ = (long long)(a), vb_ = (long long)(b);                \
        test_checks++;                                                       \
        if (va_ != vb_) {                                                    \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n",        \
                    __FILE__, __LINE__, #a, #b, va_, vb_);                   \
            test_failures++;                                                 \
        }                                                                    \
    } while (0)

#define CHECK_STR(a, b)                                                      \
    do {                                                                     \
        const char *sa_ = (a), *sb_ = (b);                                   \
        test_checks++;                                                       \
        if (!sa_ || !sb_ || strcmp(sa_, sb_)) {                              \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",    \
                    __FILE__, __LINE__, #a, #b, sa_ ? sa_ : "(null)",        \
                    sb_ ? sb_ : "(null)");                                   \
            test_failures++;                                                 \
        }                                                                    \
    } while (0)

#define RUN(fn)                                                              \
    do {                                                                     \
        int before_ = test_failures;                                         \
        fn();                                                                \
        fprintf(stderr, "%s %s\n", test_failures == before_ ? "ok  " : "FAIL", \
                #fn);                                                        \
    } while (0)

static inline int test_done(void)
{
    fprintf(stderr, "%d checks, %d failed\n", test_checks, test_failures);
    return test_failures ? 1 : 0;
}

#endif
