/*
 * Decode slots: the decoder worker pool's size. Each camera reads on its
 * own thread and takes a slot only while it decodes, so at most as many
 * pictures are decoded at once as the machine has cores (one thread per
 * decoder, parallel across streams), and a burst (a page switch's GOP
 * catch-ups) queues instead of thrashing. The time spent waiting for a
 * slot is the measure of decode contention.
 *
 * Thread-safety: any thread.
 */
#ifndef VIGIL_DECODE_SLOTS_H
#define VIGIL_DECODE_SLOTS_H

#include <stdint.h>

/* Size the pool; n <= 0: the online cores. Before the first take, or it
 * sizes itself to the cores. */
void decode_slots_init(int n);
int decode_slots_size(void);
/* Take a slot, blocking while all are taken. Returns the ns waited. */
int64_t decode_slot_take(void);
void decode_slot_give(void);

#endif
