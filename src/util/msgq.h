/*
 * A bounded FIFO of strings (alert payloads waiting for a sink). Not
 * locked: the owner holds its own lock around every call.
 */
#ifndef VIGIL_UTIL_MSGQ_H
#define VIGIL_UTIL_MSGQ_H

#include <stdbool.h>

struct msgq_item;

struct msgq {
    struct msgq_item *head, *tail;
    int count, max;
    unsigned long dropped;  /* refused because the queue was full */
};

void msgq_init(struct msgq *q, int max);
/* Append s (ownership moves in). Returns false, frees s and counts a drop
 * when the queue is full. */
bool msgq_push(struct msgq *q, char *s);
/* The oldest string (still owned by the queue), or NULL. */
const char *msgq_head(const struct msgq *q);
/* Drop the oldest string. */
void msgq_pop(struct msgq *q);
void msgq_finish(struct msgq *q);

#endif
