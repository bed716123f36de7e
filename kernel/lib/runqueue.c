// SPDX-License-Identifier: MIT
/* Run queues, wait FIFOs and the deadline-ordered timeout list (see
 * runqueue.h). Doubly linked FIFOs make removal of a waiter that timed out
 * O(1); the timeout list is a sorted singly linked list, which is fine for
 * the handful of sleepers a kernel like this has (insert is O(n)). */
#include "kernel/lib/runqueue.h"
#include "kernel/assert.h"
#include "kernel/err.h"

void rq_fifo_init(struct rq_fifo *q)
{
    q->head = NULL;
    q->tail = NULL;
    q->count = 0;
}

void rq_node_init(struct rq_node *n)
{
    n->next = NULL;
    n->prev = NULL;
    n->queue = NULL;
}

void rq_fifo_push(struct rq_fifo *q, struct rq_node *n)
{
    KASSERT(n->queue == NULL);
    n->next = NULL;
    n->prev = q->tail;
    if (q->tail)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    n->queue = q;
    q->count++;
}

void rq_fifo_push_head(struct rq_fifo *q, struct rq_node *n)
{
    KASSERT(n->queue == NULL);
    n->prev = NULL;
    n->next = q->head;
    if (q->head)
        q->head->prev = n;
    else
        q->tail = n;
    q->head = n;
    n->queue = q;
    q->count++;
}

bool rq_node_unlink(struct rq_node *n)
{
    struct rq_fifo *q = n->queue;
    if (!q)
        return false;
    if (n->prev)
        n->prev->next = n->next;
    else
        q->head = n->next;
    if (n->next)
        n->next->prev = n->prev;
    else
        q->tail = n->prev;
    q->count--;
    rq_node_init(n);
    return true;
}

struct rq_node *rq_fifo_pop(struct rq_fifo *q)
{
    struct rq_node *n = q->head;
    if (n)
        rq_node_unlink(n);
    return n;
}

int runqueue_init(struct runqueue *rq, unsigned levels)
{
    if (levels == 0 || levels > RQ_MAX_PRIO)
        return ERR_INVAL;
    for (unsigned i = 0; i < RQ_MAX_PRIO; i++)
        rq_fifo_init(&rq->level[i]);
    rq->levels = levels;
    return 0;
}

void runqueue_push(struct runqueue *rq, struct rq_node *n, unsigned prio)
{
    KASSERT(prio < rq->levels);
    rq_fifo_push(&rq->level[prio], n);
}

void runqueue_push_head(struct runqueue *rq, struct rq_node *n, unsigned prio)
{
    KASSERT(prio < rq->levels);
    rq_fifo_push_head(&rq->level[prio], n);
}

int runqueue_highest(const struct runqueue *rq)
{
    for (int p = (int)rq->levels - 1; p >= 0; p--) {
        if (!rq_fifo_is_empty(&rq->level[p]))
            return p;
    }
    return -1;
}

struct rq_node *runqueue_pop(struct runqueue *rq, unsigned *prio_out)
{
    int p = runqueue_highest(rq);
    if (p < 0)
        return NULL;
    if (prio_out)
        *prio_out = (unsigned)p;
    return rq_fifo_pop(&rq->level[p]);
}

size_t runqueue_count(const struct runqueue *rq)
{
    size_t n = 0;
    for (unsigned p = 0; p < rq->levels; p++)
        n += rq->level[p].count;
    return n;
}

void timeout_list_init(struct timeout_list *l)
{
    l->head = NULL;
}

void timeout_entry_init(struct timeout_entry *e)
{
    e->next = NULL;
    e->deadline_us = 0;
    e->armed = false;
}

bool timeout_remove(struct timeout_list *l, struct timeout_entry *e)
{
    if (!e->armed)
        return false;
    for (struct timeout_entry **pp = &l->head; *pp; pp = &(*pp)->next) {
        if (*pp == e) {
            *pp = e->next;
            e->next = NULL;
            e->armed = false;
            return true;
        }
    }
    /* Armed but not on this list: the caller mixed up lists. */
    KASSERT(!"timeout entry armed on another list");
    return false;
}

void timeout_insert(struct timeout_list *l, struct timeout_entry *e, uint64_t deadline_us)
{
    if (e->armed)
        timeout_remove(l, e);
    /* Walk past every entry due no later than this one, so equal deadlines
     * expire in the order they were armed. */
    struct timeout_entry **pp = &l->head;
    while (*pp && (*pp)->deadline_us <= deadline_us)
        pp = &(*pp)->next;
    e->deadline_us = deadline_us;
    e->next = *pp;
    e->armed = true;
    *pp = e;
}

struct timeout_entry *timeout_expire(struct timeout_list *l, uint64_t now_us)
{
    struct timeout_entry *e = l->head;
    if (!e || e->deadline_us > now_us)
        return NULL;
    l->head = e->next;
    e->next = NULL;
    e->armed = false;
    return e;
}

uint64_t timeout_next_deadline(const struct timeout_list *l)
{
    return l->head ? l->head->deadline_us : UINT64_MAX;
}
