/* SPDX-License-Identifier: MIT */
/* Internals shared by the thread module (sched.c, thread.c, sync.c, timer.c,
 * arch/isr.c): the thread record and the block/wake primitives everything
 * that waits is built from. Not for use outside those files.
 *
 * Model: one CPU, so "locked" means "interrupts off". A thread is in exactly
 * one state; READY threads sit on the runqueue, BLOCKED ones on one wait FIFO
 * (a mutex, semaphore, condvar or join queue) through the same `node`, and a
 * SLEEPING or timed BLOCKED thread also has `timeout` armed. Whoever wakes a
 * thread (sem_up, mutex handoff, the tick expiring its timeout) unlinks it
 * from both and stores the reason in wait_result, so a waiter never has to
 * re-check which of the two happened. */
#ifndef KERNEL_SCHED_PRIV_H
#define KERNEL_SCHED_PRIV_H

#include "kernel/lib/runqueue.h"
#include "kernel/sched.h"
#include "kernel/thread.h"

#define THREAD_STACK_BYTES (16 * 1024)
#define THREAD_CANARY_WORDS 8           /* guard words at the stack's low end */
#define THREAD_CANARY 0x57AC6A4Du       /* value of each guard word */
#define THREAD_STACK_FILL 0xCDCDCDCDu   /* unused stack, for the high-water mark */
#define SCHED_SLICE_TICKS 10            /* round-robin time slice, in 1 ms ticks */
#define SCHED_NO_DEADLINE UINT64_MAX

struct thread {
    uint32_t saved_esp;          /* switch.asm stores/loads it at offset 0 */
    uint32_t id;                 /* unique, 0 = main; set once */
    char name[THREAD_NAME_MAX];  /* set once at creation */
    enum thread_prio prio;       /* fixed at creation */
    enum thread_state state;     /* written with interrupts off */
    struct rq_node node;         /* runqueue (READY) or one wait FIFO (BLOCKED) */
    struct timeout_entry timeout;/* armed while a sleep or timed wait is pending */
    int wait_result;             /* 0 = woken, ERR_TIMEOUT = deadline passed */
    thread_fn fn;                /* entry point and its argument */
    void *arg;
    int exit_code;               /* valid once DEAD */
    bool detached;               /* no handle: freed by the reaper on exit */
    bool heap_owned;             /* record and stack came from kmalloc */
    struct rq_fifo joiners;      /* the thread_join caller waiting for DEAD */
    uint32_t *stack_base;        /* lowest word (guard canary); NULL = boot stack */
    size_t stack_bytes;          /* 0 for the boot stack */
    uint64_t ticks;              /* timer ticks spent running; IRQ writes */
    struct thread *all_next;     /* list of every thread, for `threads` */
};

/* sched.c ---------------------------------------------------------------- */

/* The running thread; the boot flow is "main" even before sched_init. */
struct thread *sched_current(void);
/* True once sched_init has run. */
bool sched_is_running(void);
/* May a thread that saved `flags` (cpu_irq_save) block here? False before
 * sched_init, in an IRQ handler, or when interrupts were already off. */
bool sched_can_block(uint32_t flags);
/* Give t an id, list it and make it READY. Interrupts off. */
void sched_add_locked(struct thread *t);
/* Drop a DEAD thread from the thread list. Interrupts off. */
void sched_unlist_locked(struct thread *t);
/* Block the current thread in `state` on wq (NULL: none) until woken or
 * until deadline_us (SCHED_NO_DEADLINE: none). Returns wait_result.
 * Interrupts off; they are off again on return. */
int sched_block_locked(struct rq_fifo *wq, enum thread_state state, uint64_t deadline_us);
/* Make a BLOCKED/SLEEPING t READY with `result`. Interrupts off. Context: any. */
void sched_wake_locked(struct thread *t, int result);
/* Wake the first waiter of wq with 0; returns it, or NULL if wq was empty. */
struct thread *sched_wake_one_locked(struct rq_fifo *wq);
/* Put the current thread at the tail of its level and run the next one. */
void sched_yield_locked(void);
/* Mark the current thread DEAD and switch away for good. Interrupts off. */
NORETURN void sched_exit_locked(void);
/* Switch now if a wake-up made a higher-priority thread ready. Call after
 * restoring interrupts; does nothing in IRQs or with interrupts off. */
void sched_preempt_point(void);
/* Timer IRQ: account the tick, expire timeouts, end time slices. */
void sched_tick(void);
/* End of the outermost IRQ: switch if a reschedule was requested. */
void sched_irq_exit(void);

/* thread.c --------------------------------------------------------------- */

/* Set up a thread on a caller-provided stack (the idle thread). */
void thread_init_static(struct thread *t, const char *name, thread_fn fn, void *arg,
                        enum thread_prio prio, void *stack, size_t stack_bytes);
/* Panic if t's guard canary was overwritten. Interrupts off. */
void thread_check_stack(const struct thread *t);
/* Deepest stack use seen so far, in bytes (0 if unknown). */
size_t thread_stack_used_bytes(const struct thread *t);

/* sched_selftest.c ------------------------------------------------------- */

/* Add "threads" to the selftest registry (kernel/selftest.h). */
void sched_selftest_register(void);

/* switch.asm ------------------------------------------------------------- */

/* Save callee-saved registers and ESP into *save_esp, load next_esp and
 * return into the other thread. Interrupts off. */
void arch_switch(uint32_t *save_esp, uint32_t next_esp);

#endif
