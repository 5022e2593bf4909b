/*
 * Decode slots: how many pictures may be decoded at once. Each camera
 * reads on its own thread and takes a slot only while it decodes, so at
 * most as many pictures are decoded at once as the pool has slots (one
 * per core: one thread per decoder, parallel across streams), and a burst
 * (a page switch's GOP catch-ups) queues instead of thrashing. The time
 * spent waiting for a slot is the measure of decode contention.
 *
 * The engine owns one pool and hands it to its sources, like the
 * reconnect pacer; nothing here is process-wide.
 *
 * Thread-safety: any thread; the pool must outlive its users.
 */
#ifndef VIGIL_DECODE_SLOTS_H
#define VIGIL_DECODE_SLOTS_H

#include <stdint.h>

struct decode_slots;

/* A pool of n slots; n <= 0: one per core this process may run on. Never NULL (allocation
 * aborts). */
struct decode_slots *decode_slots_create(int n);
/* Accepts NULL. No slot may be held. */
void decode_slots_destroy(struct decode_slots *p);
int decode_slots_size(const struct decode_slots *p);
/* Take a slot, blocking while all are taken. Returns the ns waited. */
int64_t decode_slot_take(struct decode_slots *p);
void decode_slot_give(struct decode_slots *p);

#endif
