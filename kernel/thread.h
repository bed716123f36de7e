/* SPDX-License-Identifier: MIT */
/* Kernel threads: create, exit, join, yield. Scheduling is preemptive (PIT
 * tick) with fixed priorities and round robin inside a priority. A thread
 * that returns from its function exits with that return value.
 * Hosted builds map this onto pthreads (priorities are ignored there). */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include "kernel/types.h"

struct thread;
typedef int (*thread_fn)(void *arg);

enum thread_prio {
    THREAD_PRIO_IDLE = 0,
    THREAD_PRIO_LOW = 1,
    THREAD_PRIO_NORMAL = 2,
    THREAD_PRIO_HIGH = 3,
    THREAD_PRIO_COUNT
};

/* Start `fn(arg)` in a new thread. On success *out (if non-NULL) is a handle
 * that must be passed to thread_join() once; with out == NULL the thread is
 * detached and frees itself on exit. Returns 0, ERR_NOMEM or ERR_INVAL. */
int thread_create(const char *name, thread_fn fn, void *arg, enum thread_prio prio,
                  struct thread **out);
/* Wait for `t` to exit, store its exit code, free the handle. */
int thread_join(struct thread *t, int *exit_code);
NORETURN void thread_exit(int code);
void thread_yield(void);
/* Name of the calling thread ("?" outside a thread). */
const char *thread_name(void);

#endif
