/*
 * One-slot, newest-wins frame mailbox between a camera's worker and the
 * renderer. Live video never queues: putting a frame into a full mailbox
 * frees the old one and counts a drop.
 *
 * Ownership: mailbox_put() takes the caller's reference (the AVFrame
 * pointer is moved in; the caller must not touch it afterwards);
 * mailbox_take() hands the reference to the caller. No frame data is ever
 * copied here.
 *
 * Thread-safety: any number of producers and consumers; one private
 * mutex (a leaf lock: nothing else is locked while it is held).
 */
#ifndef VIGIL_FRAME_MAILBOX_H
#define VIGIL_FRAME_MAILBOX_H

#include <stdint.h>

struct AVFrame;
struct mailbox;

/* Called after every put, outside the mailbox lock (the consumer's
 * wake-up: it must be cheap and safe from any thread). */
typedef void (*mailbox_wake_fn)(void *ctx);

struct mailbox *mailbox_create(void);
/* Set the consumer's wake-up (NULL: none). Call before producers start:
 * the consumer does this when it takes the mailbox on. */
void mailbox_set_wake(struct mailbox *mb, mailbox_wake_fn fn, void *ctx);
void mailbox_destroy(struct mailbox *mb);

/* Move *frame in (sets *frame = NULL) and wake the consumer. Returns 1
 * when an unread frame was replaced (a drop), else 0. */
int mailbox_put(struct mailbox *mb, struct AVFrame **frame);

/* Take the newest frame if its generation differs from *seen_gen; updates
 * *seen_gen. Returns NULL when nothing new is waiting. */
struct AVFrame *mailbox_take(struct mailbox *mb, uint64_t *seen_gen);

/* Generation of the newest frame put (0: none yet). */
uint64_t mailbox_generation(struct mailbox *mb);
/* Frames replaced before anyone took them. */
uint64_t mailbox_drops(struct mailbox *mb);

#endif
