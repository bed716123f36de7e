/* SPDX-License-Identifier: MIT */
/* Hosted layouts of the kernel/sync.h objects, on pthreads. Owner tracking
 * makes lock_assert_held() real in unit tests. */
#ifndef TESTS_HOST_SYNC_IMPL_H
#define TESTS_HOST_SYNC_IMPL_H

#include <pthread.h>
#include <stdbool.h>

struct spinlock {
    pthread_mutex_t m;
    pthread_t owner;  /* valid while held */
    bool held;        /* written under m */
    const char *name;
};

struct mutex {
    pthread_mutex_t m;
    pthread_t owner;
    bool held;
    const char *name;
};

struct semaphore {
    pthread_mutex_t m;
    pthread_cond_t c;
    unsigned count;
};

struct condvar {
    pthread_cond_t c;
};

#endif
