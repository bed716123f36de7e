// SPDX-License-Identifier: MIT
/* kernel/thread.h on pthreads for hosted builds. Priorities are ignored. */
#include "kernel/thread.h"
#include "kernel/err.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct thread {
    pthread_t pt;
    thread_fn fn;
    void *arg;
    int exit_code;
    bool detached;
    char name[32];
};

static __thread struct thread *thread_host_self;

static void *thread_host_trampoline(void *p)
{
    struct thread *t = p;
    thread_host_self = t;
    t->exit_code = t->fn(t->arg);
    if (t->detached)
        free(t);
    return NULL;
}

int thread_create(const char *name, thread_fn fn, void *arg, enum thread_prio prio,
                  struct thread **out)
{
    if (!fn || prio >= THREAD_PRIO_COUNT)
        return ERR_INVAL;
    struct thread *t = calloc(1, sizeof(*t));
    if (!t)
        return ERR_NOMEM;
    t->fn = fn;
    t->arg = arg;
    t->detached = (out == NULL);
    strncpy(t->name, name ? name : "thread", sizeof(t->name) - 1);
    if (pthread_create(&t->pt, NULL, thread_host_trampoline, t) != 0) {
        free(t);
        return ERR_NOMEM;
    }
    if (out)
        *out = t;
    else
        pthread_detach(t->pt);
    return 0;
}

int thread_join(struct thread *t, int *exit_code)
{
    if (!t || t->detached)
        return ERR_INVAL;
    pthread_join(t->pt, NULL);
    if (exit_code)
        *exit_code = t->exit_code;
    free(t);
    return 0;
}

void thread_exit(int code)
{
    struct thread *t = thread_host_self;
    if (t) {
        t->exit_code = code;
        if (t->detached)
            free(t);
    }
    pthread_exit(NULL);
}

void thread_yield(void)
{
    sched_yield();
}

const char *thread_name(void)
{
    return thread_host_self ? thread_host_self->name : "main";
}
