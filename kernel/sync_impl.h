/* SPDX-License-Identifier: MIT */
/* Kernel layouts of the kernel/sync.h objects (single CPU). An all-zero
 * object is a valid unlocked / zero-count / empty one, so statically
 * allocated locks work before their *_init call; calling *_init is still
 * the rule (it names the lock for diagnostics).
 * Wait FIFOs hold struct thread through its rq_node (kernel/sched_priv.h);
 * they are only touched with interrupts off. */
#ifndef KERNEL_SYNC_IMPL_H
#define KERNEL_SYNC_IMPL_H

#include "kernel/lib/runqueue.h"
#include "kernel/types.h"

struct thread;

struct spinlock {
    bool held;              /* taken; only changes with interrupts off */
    uint32_t saved_flags;   /* EFLAGS of the holder before spin_lock */
    struct thread *owner;   /* holder, for spin_is_held and recursion checks */
    const char *name;       /* for panic messages */
};

struct mutex {
    struct thread *owner;   /* NULL = free; handed directly to the next waiter */
    struct rq_fifo waiters; /* blocked lockers, FIFO */
    const char *name;
};

struct semaphore {
    unsigned count;         /* units available; 0 while anyone waits */
    struct rq_fifo waiters; /* blocked sem_down callers, FIFO */
};

struct condvar {
    struct rq_fifo waiters; /* threads in cond_wait, FIFO */
};

#endif
