/* SPDX-License-Identifier: MIT */
/* Locks and waiting (STYLE §6).
 *  - spinlock: disables interrupts (saved and restored), guards short sections,
 *    never held while sleeping. Usable from IRQ handlers.
 *  - mutex: sleeping lock with an owner; not recursive; thread context only.
 *  - semaphore: counting; sem_up() is allowed from IRQ handlers, so drivers
 *    wait for completion with sem_down_timeout() instead of polling.
 *  - condvar: wait for a condition under a mutex, with optional timeout.
 * Order: take a mutex before a spinlock, never the other way round.
 * lock_assert_held() is real in debug and hosted builds.
 * The struct layouts differ between the kernel (kernel/sync_impl.h) and hosted
 * builds (tests/host/sync_impl.h, on pthreads); code only uses this API. */
#ifndef KERNEL_SYNC_H
#define KERNEL_SYNC_H

#include "kernel/types.h"

#ifdef SPINDLE_HOSTED
#include "tests/host/sync_impl.h"
#else
#include "kernel/sync_impl.h"
#endif

void spin_init(struct spinlock *lock, const char *name);
void spin_lock(struct spinlock *lock);   /* saves IF, disables interrupts */
void spin_unlock(struct spinlock *lock); /* restores the saved IF */
bool spin_is_held(const struct spinlock *lock); /* by the calling CPU/thread */

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
void mutex_unlock(struct mutex *m);
bool mutex_is_held(const struct mutex *m); /* by the calling thread */

void sem_init(struct semaphore *s, unsigned count);
void sem_down(struct semaphore *s);
/* Returns 0, or ERR_TIMEOUT after timeout_ms without a unit. */
int sem_down_timeout(struct semaphore *s, uint32_t timeout_ms);
bool sem_trydown(struct semaphore *s);
void sem_up(struct semaphore *s); /* Context: any, including IRQ. */

void cond_init(struct condvar *c);
/* Atomically releases m and waits; m is held again on return. */
void cond_wait(struct condvar *c, struct mutex *m);
/* Returns 0 when signalled (or spuriously woken), ERR_TIMEOUT on timeout. */
int cond_wait_timeout(struct condvar *c, struct mutex *m, uint32_t timeout_ms);
void cond_signal(struct condvar *c);
void cond_broadcast(struct condvar *c);

/* Debug check that the caller holds `m` (a mutex or spinlock). */
#if defined(SPINDLE_HOSTED) || defined(SPINDLE_DEBUG)
#define lock_assert_held(l) KASSERT(_Generic((l), \
    struct mutex *: mutex_is_held((const struct mutex *)(l)), \
    struct spinlock *: spin_is_held((const struct spinlock *)(l))))
#else
#define lock_assert_held(l) ((void)(l))
#endif

#include "kernel/assert.h"

#endif
