#include "util/mem.h"
#include "util/msgq.h"

struct msgq_item {
    char *s;
    struct msgq_item *next;
};

void msgq_init(struct msgq *q, int max)
{
    *q = (struct msgq){ .max = max };
}

bool msgq_push(struct msgq *q, char *s)
{
    if (q->count >= q->max) {
        q->dropped++;
        free(s);
        return false;
    }
    struct msgq_item *it = xzalloc(sizeof(*it));
    it->s = s;
    if (q->tail) {
        q->tail->next = it;
    } else {
        q->head = it;
    }
    q->tail = it;
    q->count++;
    return true;
}

const char *msgq_head(const struct msgq *q)
{
    return q->head ? q->head->s : NULL;
}

void msgq_pop(struct msgq *q)
{
    struct msgq_item *it = q->head;
    if (!it) {
        return;
    }
    q->head = it->next;
    if (!q->head) {
        q->tail = NULL;
    }
    q->count--;
    free(it->s);
    free(it);
}

void msgq_finish(struct msgq *q)
{
    while (q->head) {
        msgq_pop(q);
    }
}
