// SPDX-License-Identifier: MIT
/* kernel/sync.h on one CPU. Interrupts off is the lock for every object's
 * fields: a spinlock is just "interrupts off" plus an owner for checks; the
 * sleeping objects keep a FIFO of waiting threads and hand a released mutex
 * or a posted semaphore unit directly to the first waiter, so a thread that
 * is woken never has to race for what it waited on (no barging, no lost
 * wake-ups) and FIFO order is kept.
 * Before sched_init the boot flow is the only thread: an uncontended mutex
 * works, a contended one panics, and a semaphore wait polls (an IRQ handler
 * may post it) instead of sleeping. */
#include "kernel/sync.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/isr.h"
#include "kernel/err.h"
#include "kernel/sched_priv.h"
#include "kernel/time.h"

/* ---- spinlock ------------------------------------------------------------ */

void spin_init(struct spinlock *lock, const char *name)
{
    lock->held = false;
    lock->saved_flags = 0;
    lock->owner = NULL;
    lock->name = name;
}

void spin_lock(struct spinlock *lock)
{
    uint32_t flags = cpu_irq_save();
    /* One CPU: a held lock here can only be our own, i.e. a deadlock. */
    if (lock->held)
        panic("spinlock %s: taken twice by '%s'", lock->name ? lock->name : "?",
              thread_name());
    lock->held = true;
    lock->owner = sched_current();
    lock->saved_flags = flags;
}

void spin_unlock(struct spinlock *lock)
{
    KASSERT(lock->held);
    uint32_t flags = lock->saved_flags;
    lock->held = false;
    lock->owner = NULL;
    cpu_irq_restore(flags);
}

bool spin_is_held(const struct spinlock *lock)
{
    return lock->held && lock->owner == sched_current();
}

/* ---- mutex ---------------------------------------------------------------- */

void mutex_init(struct mutex *m, const char *name)
{
    m->owner = NULL;
    rq_fifo_init(&m->waiters);
    m->name = name;
}

void mutex_lock(struct mutex *m)
{
    struct thread *self = sched_current();
    uint32_t flags = cpu_irq_save();

    if (!m->owner) {
        m->owner = self;
        cpu_irq_restore(flags);
        return;
    }
    if (m->owner == self)
        panic("mutex %s: locked twice by '%s'", m->name ? m->name : "?", thread_name());
    if (!sched_can_block(flags))
        panic("mutex %s: contended where '%s' cannot sleep", m->name ? m->name : "?",
              thread_name());
    /* mutex_unlock hands ownership over before waking us. */
    sched_block_locked(&m->waiters, THREAD_BLOCKED, SCHED_NO_DEADLINE);
    KASSERT(m->owner == self);
    cpu_irq_restore(flags);
}

bool mutex_trylock(struct mutex *m)
{
    bool got = false;
    uint32_t flags = cpu_irq_save();
    if (!m->owner) {
        m->owner = sched_current();
        got = true;
    }
    cpu_irq_restore(flags);
    return got;
}

void mutex_unlock(struct mutex *m)
{
    uint32_t flags = cpu_irq_save();
    if (m->owner != sched_current())
        panic("mutex %s: unlocked by '%s', which does not hold it", m->name ? m->name : "?",
              thread_name());
    struct thread *next = sched_wake_one_locked(&m->waiters);
    m->owner = next; /* commit point: ownership passes (or the mutex is free) */
    cpu_irq_restore(flags);
    sched_preempt_point();
}

bool mutex_is_held(const struct mutex *m)
{
    return m->owner == sched_current();
}

/* ---- semaphore ------------------------------------------------------------ */

void sem_init(struct semaphore *s, unsigned count)
{
    s->count = count;
    rq_fifo_init(&s->waiters);
}

/* Wait without a scheduler (early boot, interrupts off): poll for a unit. */
static int sem_poll(struct semaphore *s, uint64_t deadline_us)
{
    for (;;) {
        uint32_t flags = cpu_irq_save();
        if (s->count > 0) {
            s->count--;
            cpu_irq_restore(flags);
            return 0;
        }
        cpu_irq_restore(flags);
        if (deadline_us != SCHED_NO_DEADLINE && time_us() >= deadline_us)
            return ERR_TIMEOUT;
        udelay(10);
    }
}

static int sem_down_until(struct semaphore *s, uint64_t deadline_us)
{
    uint32_t flags = cpu_irq_save();
    if (s->count > 0) {
        s->count--;
        cpu_irq_restore(flags);
        return 0;
    }
    if (!sched_can_block(flags)) {
        cpu_irq_restore(flags);
        return sem_poll(s, deadline_us);
    }
    /* sem_up gives its unit straight to us: on 0 there is nothing to take. */
    int rc = sched_block_locked(&s->waiters, THREAD_BLOCKED, deadline_us);
    cpu_irq_restore(flags);
    return rc;
}

void sem_down(struct semaphore *s)
{
    sem_down_until(s, SCHED_NO_DEADLINE);
}

int sem_down_timeout(struct semaphore *s, uint32_t timeout_ms)
{
    if (timeout_ms == 0)
        return sem_trydown(s) ? 0 : ERR_TIMEOUT;
    return sem_down_until(s, time_us() + (uint64_t)timeout_ms * 1000u);
}

bool sem_trydown(struct semaphore *s)
{
    bool got = false;
    uint32_t flags = cpu_irq_save();
    if (s->count > 0) {
        s->count--;
        got = true;
    }
    cpu_irq_restore(flags);
    return got;
}

void sem_up(struct semaphore *s)
{
    uint32_t flags = cpu_irq_save();
    if (!sched_wake_one_locked(&s->waiters))
        s->count++;
    cpu_irq_restore(flags);
    /* In an IRQ handler the switch happens at IRQ exit instead. */
    sched_preempt_point();
}

/* ---- condvar -------------------------------------------------------------- */

void cond_init(struct condvar *c)
{
    rq_fifo_init(&c->waiters);
}

/* Release m, wait on c until signalled or deadline_us, take m again. */
static int cond_wait_until(struct condvar *c, struct mutex *m, uint64_t deadline_us)
{
    if (!mutex_is_held(m))
        panic("condvar: wait by '%s' without holding mutex %s", thread_name(),
              m->name ? m->name : "?");
    uint32_t flags = cpu_irq_save();
    if (!sched_can_block(flags))
        panic("condvar: wait where '%s' cannot sleep", thread_name());
    /* Release and block with interrupts off throughout, so no signal can
     * slip in between (mutex_unlock may wake a locker but cannot switch). */
    mutex_unlock(m);
    int rc = sched_block_locked(&c->waiters, THREAD_BLOCKED, deadline_us);
    cpu_irq_restore(flags);
    mutex_lock(m);
    return rc;
}

void cond_wait(struct condvar *c, struct mutex *m)
{
    cond_wait_until(c, m, SCHED_NO_DEADLINE);
}

int cond_wait_timeout(struct condvar *c, struct mutex *m, uint32_t timeout_ms)
{
    if (timeout_ms == 0)
        return ERR_TIMEOUT;
    return cond_wait_until(c, m, time_us() + (uint64_t)timeout_ms * 1000u);
}

void cond_signal(struct condvar *c)
{
    uint32_t flags = cpu_irq_save();
    sched_wake_one_locked(&c->waiters);
    cpu_irq_restore(flags);
    sched_preempt_point();
}

void cond_broadcast(struct condvar *c)
{
    uint32_t flags = cpu_irq_save();
    while (sched_wake_one_locked(&c->waiters))
        ;
    cpu_irq_restore(flags);
    sched_preempt_point();
}
