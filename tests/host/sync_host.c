// SPDX-License-Identifier: MIT
/* kernel/sync.h on pthreads for hosted builds. Spinlocks become mutexes (no
 * interrupts to disable); condvars and timeouts use CLOCK_MONOTONIC. */
#include "kernel/sync.h"
#include "kernel/err.h"

#include <errno.h>
#include <time.h>

static void host_deadline(struct timespec *ts, uint32_t timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void host_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(c, &attr);
    pthread_condattr_destroy(&attr);
}

/* `held` and `owner` are read without the pthread mutex (by the holder
 * check), so every access to them is atomic (relaxed: only the calling
 * thread's own writes matter for the answer). */
static void host_mark_held(bool *held, pthread_t *owner)
{
    __atomic_store_n(owner, pthread_self(), __ATOMIC_RELAXED);
    __atomic_store_n(held, true, __ATOMIC_RELAXED);
}

static void host_mark_free(bool *held)
{
    __atomic_store_n(held, false, __ATOMIC_RELAXED);
}

static bool host_is_held_by_me(const bool *held, const pthread_t *owner)
{
    return __atomic_load_n(held, __ATOMIC_RELAXED) &&
           pthread_equal(__atomic_load_n(owner, __ATOMIC_RELAXED), pthread_self());
}

void spin_init(struct spinlock *lock, const char *name)
{
    pthread_mutex_init(&lock->m, NULL);
    lock->held = false;
    lock->name = name;
}

void spin_lock(struct spinlock *lock)
{
    pthread_mutex_lock(&lock->m);
    host_mark_held(&lock->held, &lock->owner);
}

void spin_unlock(struct spinlock *lock)
{
    KASSERT(spin_is_held(lock));
    host_mark_free(&lock->held);
    pthread_mutex_unlock(&lock->m);
}

bool spin_is_held(const struct spinlock *lock)
{
    return host_is_held_by_me(&lock->held, &lock->owner);
}

void mutex_init(struct mutex *m, const char *name)
{
    pthread_mutex_init(&m->m, NULL);
    m->held = false;
    m->name = name;
}

void mutex_lock(struct mutex *m)
{
    KASSERT(!mutex_is_held(m)); /* not recursive */
    pthread_mutex_lock(&m->m);
    host_mark_held(&m->held, &m->owner);
}

bool mutex_trylock(struct mutex *m)
{
    if (pthread_mutex_trylock(&m->m) != 0)
        return false;
    host_mark_held(&m->held, &m->owner);
    return true;
}

void mutex_unlock(struct mutex *m)
{
    KASSERT(mutex_is_held(m));
    host_mark_free(&m->held);
    pthread_mutex_unlock(&m->m);
}

bool mutex_is_held(const struct mutex *m)
{
    return host_is_held_by_me(&m->held, &m->owner);
}

void sem_init(struct semaphore *s, unsigned count)
{
    pthread_mutex_init(&s->m, NULL);
    host_cond_init(&s->c);
    s->count = count;
}

void sem_down(struct semaphore *s)
{
    pthread_mutex_lock(&s->m);
    while (s->count == 0)
        pthread_cond_wait(&s->c, &s->m);
    s->count--;
    pthread_mutex_unlock(&s->m);
}

int sem_down_timeout(struct semaphore *s, uint32_t timeout_ms)
{
    struct timespec deadline;
    int rc = 0;

    host_deadline(&deadline, timeout_ms);
    pthread_mutex_lock(&s->m);
    while (s->count == 0) {
        if (pthread_cond_timedwait(&s->c, &s->m, &deadline) == ETIMEDOUT && s->count == 0) {
            rc = ERR_TIMEOUT;
            break;
        }
    }
    if (rc == 0)
        s->count--;
    pthread_mutex_unlock(&s->m);
    return rc;
}

bool sem_trydown(struct semaphore *s)
{
    bool got = false;
    pthread_mutex_lock(&s->m);
    if (s->count > 0) {
        s->count--;
        got = true;
    }
    pthread_mutex_unlock(&s->m);
    return got;
}

void sem_up(struct semaphore *s)
{
    pthread_mutex_lock(&s->m);
    s->count++;
    pthread_cond_signal(&s->c);
    pthread_mutex_unlock(&s->m);
}

void cond_init(struct condvar *c)
{
    host_cond_init(&c->c);
}

void cond_wait(struct condvar *c, struct mutex *m)
{
    KASSERT(mutex_is_held(m));
    host_mark_free(&m->held);
    pthread_cond_wait(&c->c, &m->m);
    host_mark_held(&m->held, &m->owner);
}

int cond_wait_timeout(struct condvar *c, struct mutex *m, uint32_t timeout_ms)
{
    struct timespec deadline;
    KASSERT(mutex_is_held(m));
    host_deadline(&deadline, timeout_ms);
    host_mark_free(&m->held);
    int rc = pthread_cond_timedwait(&c->c, &m->m, &deadline);
    host_mark_held(&m->held, &m->owner);
    return rc == ETIMEDOUT ? ERR_TIMEOUT : 0;
}

void cond_signal(struct condvar *c)
{
    pthread_cond_signal(&c->c);
}

void cond_broadcast(struct condvar *c)
{
    pthread_cond_broadcast(&c->c);
}
