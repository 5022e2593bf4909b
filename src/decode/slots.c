#include <pthread.h>
#include <unistd.h>

#include "decode/slots.h"
#include "util/time.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static int size;  /* 0: not sized yet */
static int busy;

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

void decode_slots_init(int n)
{
    pthread_mutex_lock(&lock);
    size = n > 0 ? n : cores();
    pthread_cond_broadcast(&freed);
    pthread_mutex_unlock(&lock);
}

int decode_slots_size(void)
{
    pthread_mutex_lock(&lock);
    int n = size ? size : cores();
    pthread_mutex_unlock(&lock);
    return n;
}

int64_t decode_slot_take(void)
{
    pthread_mutex_lock(&lock);
    if (!size) {
        size = cores();
    }
    if (busy < size) {
        busy++;
        pthread_mutex_unlock(&lock);
        return 0;
    }
    int64_t t0 = vt_mono_ns();
    while (busy >= size) {
        pthread_cond_wait(&freed, &lock);
    }
    busy++;
    pthread_mutex_unlock(&lock);
    return vt_mono_ns() - t0;
}

void decode_slot_give(void)
{
    pthread_mutex_lock(&lock);
    busy--;
    pthread_cond_signal(&freed);
    pthread_mutex_unlock(&lock);
}
