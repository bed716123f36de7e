/* SPDX-License-Identifier: MIT */
/* Pure scheduling policy, free of hardware so that it is unit-tested hosted
 * (tests/unit/test_runqueue.c). Three intrusive containers:
 *  - rq_fifo: a FIFO of rq_node (a wait queue, or one priority level);
 *  - runqueue: one rq_fifo per priority; pick-next takes the head of the
 *    highest non-empty level, so priorities are fixed and each level is round
 *    robin (a thread that used its slice is pushed at the tail again, one
 *    preempted early by a higher priority goes back to the head);
 *  - timeout_list: entries ordered by deadline (equal deadlines keep insertion
 *    order); expire pops entries whose deadline has passed.
 * The caller embeds the nodes in its own objects (container_of) and provides
 * all locking: in the kernel every call runs with interrupts off.
 * Nothing here allocates, sleeps or knows what a thread is. */
#ifndef KERNEL_LIB_RUNQUEUE_H
#define KERNEL_LIB_RUNQUEUE_H

#include "kernel/types.h"

/* Priority levels a runqueue holds; enum thread_prio fits (kernel/thread.h). */
#define RQ_MAX_PRIO 8

struct rq_fifo;

struct rq_node {
    struct rq_node *next;  /* toward the tail; NULL at the tail */
    struct rq_node *prev;  /* toward the head; NULL at the head */
    struct rq_fifo *queue; /* FIFO holding this node, NULL when on none */
};

struct rq_fifo {
    struct rq_node *head; /* next to leave */
    struct rq_node *tail; /* last to arrive */
    size_t count;         /* nodes queued */
};

struct runqueue {
    struct rq_fifo level[RQ_MAX_PRIO]; /* one FIFO per priority, 0 = lowest */
    unsigned levels;                   /* priorities in use, 1..RQ_MAX_PRIO */
};

struct timeout_entry {
    struct timeout_entry *next; /* later (or equal) deadline; NULL at the end */
    uint64_t deadline_us;       /* absolute time at which the entry expires */
    bool armed;                 /* on a timeout_list */
};

struct timeout_list {
    struct timeout_entry *head; /* earliest deadline */
};

/* ---- rq_fifo ---- */

void rq_fifo_init(struct rq_fifo *q);
static inline bool rq_fifo_is_empty(const struct rq_fifo *q) { return q->head == NULL; }
/* True if n sits on some FIFO (any, not necessarily a given one). */
static inline bool rq_node_is_queued(const struct rq_node *n) { return n->queue != NULL; }
void rq_node_init(struct rq_node *n);
/* Append n at the tail. n must not be queued (asserted). */
void rq_fifo_push(struct rq_fifo *q, struct rq_node *n);
/* Insert n at the head (it leaves next). n must not be queued (asserted). */
void rq_fifo_push_head(struct rq_fifo *q, struct rq_node *n);
/* Remove and return the head, NULL if empty. */
struct rq_node *rq_fifo_pop(struct rq_fifo *q);
/* Unlink n from whichever FIFO holds it. Returns false if it was on none. */
bool rq_node_unlink(struct rq_node *n);

/* ---- runqueue ---- */

/* levels: number of priorities (1..RQ_MAX_PRIO). Returns 0 or ERR_INVAL. */
int runqueue_init(struct runqueue *rq, unsigned levels);
/* Make n ready at priority prio (< levels, asserted), behind its peers. */
void runqueue_push(struct runqueue *rq, struct rq_node *n, unsigned prio);
/* Same, but ahead of its peers: for a thread preempted by a higher priority
 * before its slice ended, so it resumes first and round robin stays fair. */
void runqueue_push_head(struct runqueue *rq, struct rq_node *n, unsigned prio);
/* Remove and return the head of the highest non-empty level; NULL if none.
 * *prio_out (if non-NULL) receives that level. */
struct rq_node *runqueue_pop(struct runqueue *rq, unsigned *prio_out);
/* Highest level holding a node, or -1 when every level is empty. */
int runqueue_highest(const struct runqueue *rq);
/* Nodes ready across all levels. */
size_t runqueue_count(const struct runqueue *rq);

/* ---- timeout_list ---- */

void timeout_list_init(struct timeout_list *l);
void timeout_entry_init(struct timeout_entry *e);
/* Arm e to expire at deadline_us; an armed e is moved (re-armed). */
void timeout_insert(struct timeout_list *l, struct timeout_entry *e, uint64_t deadline_us);
/* Disarm e. Returns false if it was not armed (already expired). */
bool timeout_remove(struct timeout_list *l, struct timeout_entry *e);
/* Pop and disarm the earliest entry if its deadline is <= now_us, else NULL.
 * Call in a loop to expire everything that is due. */
struct timeout_entry *timeout_expire(struct timeout_list *l, uint64_t now_us);
/* Earliest armed deadline, or UINT64_MAX when the list is empty. */
uint64_t timeout_next_deadline(const struct timeout_list *l);

#endif
