/* SPDX-License-Identifier: MIT */
/* Scheduler: fixed priorities (enum thread_prio), round robin with a 10 ms
 * slice inside a priority, preemption from the 1 kHz timer tick and whenever
 * a wake-up makes a higher-priority thread ready, and an idle thread that
 * halts the CPU. Thread calls are in kernel/thread.h; this header is for
 * kernel_main and for introspection.
 * Boot: sched_init() turns the running boot flow into the thread "main"
 * (priority NORMAL, on the boot stack) and creates "idle"; timer_init() then
 * starts the tick. After shell_init(), sched_register_commands() adds the
 * shell commands `threads`, `irqs`, `selftest` (with `selftest threads`)
 * and, in test kernels, `crash`. */
#ifndef KERNEL_SCHED_H
#define KERNEL_SCHED_H

#include "kernel/thread.h"
#include "kernel/types.h"

#define THREAD_NAME_MAX 24 /* longer names are cut */

enum thread_state {
    THREAD_RUNNING,  /* on the CPU */
    THREAD_READY,    /* on the runqueue */
    THREAD_SLEEPING, /* in sleep_ms */
    THREAD_BLOCKED,  /* waiting on a lock, semaphore, condvar or join */
    THREAD_DEAD,     /* exited, not yet joined or reaped */
};

/* One thread as `threads` shows it; a copy, safe to print at leisure. */
struct thread_info {
    uint32_t id;
    char name[THREAD_NAME_MAX];
    enum thread_prio prio;
    enum thread_state state;
    uint64_t ticks;            /* 1 ms timer ticks spent running */
    size_t stack_used_bytes;   /* high-water mark; 0 = unknown (boot stack) */
    size_t stack_bytes;        /* stack size; 0 = boot stack */
};

/* Turn the boot flow into thread "main" and create the idle thread.
 * Context: boot, interrupts off, once. Needs no heap. */
void sched_init(void);

/* Register the shell commands listed above. Context: boot, after shell_init. */
void sched_register_commands(void);

/* Copy up to `max` threads into out, in creation order. Returns how many
 * threads exist (may exceed max). Context: any (briefly disables interrupts). */
size_t sched_snapshot(struct thread_info *out, size_t max);

/* "idle", "low", "normal", "high"; "?" if out of range. */
const char *thread_prio_name(enum thread_prio prio);
/* "running", "ready", "sleeping", "blocked", "dead". */
const char *thread_state_name(enum thread_state state);

#endif
