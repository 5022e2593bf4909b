/* Decode slots: a counting semaphore on a mutex and a condition (see
 * slots.h). `lock` is a leaf. */
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "decode/slots.h"
#include "util/mem.h"
#include "util/time.h"

struct decode_slots {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int size;
    int busy; /* protected by lock */
};

/* The cores this process may run on (taskset, a service's CPUAffinity=,
 * a container's cpuset), not all the machine has: the load shares are of
 * these. */
static int cores_usable(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
        return CPU_COUNT(&set);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    return cores > 0 ? (int)cores : 1;
}

struct decode_slots *decode_slots_create(int n)
{
    struct decode_slots *p = xzalloc(sizeof(*p));
    if (n <= 0) {
        n = cores_usable();
    }
    p->size = n;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    return p;
}

void decode_slots_destroy(struct decode_slots *p)
{
    if (!p) {
        return;
    }
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

int decode_slots_size(const struct decode_slots *p)
{
    return p->size; /* immutable after create */
}

int64_t decode_slot_take(struct decode_slots *p)
{
    pthread_mutex_lock(&p->lock);
    if (p->busy < p->size) {
        p->busy++;
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    int64_t t0 = vt_mono_ns();
    while (p->busy >= p->size) {
        pthread_cond_wait(&p->freed, &p->lock);
    }
    p->busy++;
    pthread_mutex_unlock(&p->lock);
    return vt_mono_ns() - t0;
}

void decode_slot_give(struct decode_slots *p)
{
    pthread_mutex_lock(&p->lock);
    p->busy--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}
