// SPDX-License-Identifier: MIT
/* `selftest threads`: proves on the real scheduler what the hosted
 * tests/unit/test_sync.c proves on pthreads, plus what only the kernel can
 * show - preemption of threads that never yield, priorities, and timing of
 * the tick-driven sleeps and timeouts. Runs in the shell thread (NORMAL
 * priority) and takes about half a second. Timing bounds allow for QEMU/TCG
 * jitter: a wait may end late by SELFTEST_SLACK_MS, never early. */
#include "kernel/arch/cpu.h"
#include "kernel/err.h"
#include "kernel/sched_priv.h"
#include "kernel/selftest.h"
#include "kernel/sync.h"
#include "kernel/time.h"
#include "kernel/timer.h"

#define SELFTEST_SLACK_MS 25
#define SELFTEST_BUSY_MS 200     /* how long each busy thread spins */
#define SELFTEST_MUTEX_THREADS 4
#define SELFTEST_MUTEX_ROUNDS 4000 /* x 5 us: a thread needs about two slices */

static struct {
    volatile unsigned last_runner;  /* busy thread that ran most recently */
    struct mutex lock;              /* protects counter */
    volatile unsigned long counter;
    volatile unsigned contended;    /* mutex_trylock failures (a holder was preempted) */
    struct semaphore sem;
    char order[4];                  /* start order of the priority test threads */
    volatile unsigned order_len;
} st;

struct st_busy {
    unsigned id;
    volatile uint64_t loops;
    volatile unsigned turns; /* times it got the CPU back from the other */
};

static int st_busy_fn(void *arg)
{
    struct st_busy *b = arg;
    uint64_t end = time_ms() + SELFTEST_BUSY_MS;
    while (time_ms() < end) {
        b->loops++;
        if (st.last_runner != b->id) {
            st.last_runner = b->id;
            b->turns++;
        }
    }
    return 0;
}

static bool st_preemption(void)
{
    struct st_busy a = { .id = 1 }, b = { .id = 2 };
    struct thread *ta, *tb;
    st.last_runner = 0;
    if (thread_create("st-busy1", st_busy_fn, &a, THREAD_PRIO_NORMAL, &ta) < 0)
        return selftest_check(false, "preemption", "thread_create failed");
    if (thread_create("st-busy2", st_busy_fn, &b, THREAD_PRIO_NORMAL, &tb) < 0) {
        thread_join(ta, NULL);
        return selftest_check(false, "preemption", "thread_create failed");
    }
    thread_join(ta, NULL);
    thread_join(tb, NULL);
    /* Without preemption the first thread would spin alone: 1 turn each. */
    return selftest_check(a.turns >= 3 && b.turns >= 3,
                          "preemption: two busy threads interleave without yielding",
                          "turns %u and %u, loops %llu and %llu", a.turns, b.turns,
                          (unsigned long long)a.loops, (unsigned long long)b.loops);
}

static int st_mutex_fn(void *arg)
{
    (void)arg;
    for (int i = 0; i < SELFTEST_MUTEX_ROUNDS; i++) {
        if (!mutex_trylock(&st.lock)) {
            st.contended++;
            mutex_lock(&st.lock);
        }
        unsigned long v = st.counter; /* a preemption here would lose updates */
        /* Yield once while holding the lock, so that contention is certain
         * even when a loaded host delivers few timer ticks. */
        if (i == 0)
            thread_yield();
        udelay(5);
        st.counter = v + 1;
        mutex_unlock(&st.lock);
    }
    return 0;
}

static bool st_mutex(void)
{
    struct thread *t[SELFTEST_MUTEX_THREADS];
    unsigned started = 0;
    mutex_init(&st.lock, "selftest");
    st.counter = 0;
    st.contended = 0;
    for (; started < SELFTEST_MUTEX_THREADS; started++) {
        if (thread_create("st-mutex", st_mutex_fn, NULL, THREAD_PRIO_NORMAL, &t[started]) < 0)
            break;
    }
    for (unsigned i = 0; i < started; i++)
        thread_join(t[i], NULL);
    unsigned long want = (unsigned long)SELFTEST_MUTEX_THREADS * SELFTEST_MUTEX_ROUNDS;
    return selftest_check(started == SELFTEST_MUTEX_THREADS && st.counter == want &&
                              st.contended > 0,
                          "mutex: 4 threads preempted inside the lock count exactly",
                          "started %u, counter %lu of %lu, contended %u", started,
                          st.counter, want, st.contended);
}

static int st_sem_upper_fn(void *arg)
{
    (void)arg;
    sleep_ms(20);
    sem_up(&st.sem);
    return 0;
}

static bool st_semaphore(void)
{
    bool ok = true;

    /* 1. Nobody posts: ERR_TIMEOUT after 50 ms, not earlier. */
    sem_init(&st.sem, 0);
    uint64_t t0 = time_us();
    int rc = sem_down_timeout(&st.sem, 50);
    uint64_t ms = (time_us() - t0) / 1000u;
    ok &= selftest_check(rc == ERR_TIMEOUT && ms >= 50 && ms <= 50 + SELFTEST_SLACK_MS,
                         "semaphore: empty wait times out after 50 ms", "rc %s, %llu ms",
                         err_name(rc), (unsigned long long)ms);

    /* 2. Another thread posts after 20 ms: the waiter wakes with 0. */
    struct thread *t;
    if (thread_create("st-semup", st_sem_upper_fn, NULL, THREAD_PRIO_NORMAL, &t) < 0)
        return selftest_check(false, "semaphore: sem_up wakes waiter", "thread_create failed");
    t0 = time_us();
    rc = sem_down_timeout(&st.sem, 1000);
    ms = (time_us() - t0) / 1000u;
    thread_join(t, NULL);
    ok &= selftest_check(rc == 0 && ms >= 19 && ms <= 20 + SELFTEST_SLACK_MS,
                         "semaphore: sem_up from another thread wakes the waiter",
                         "rc %s after %llu ms", err_name(rc), (unsigned long long)ms);
    ok &= selftest_check(!sem_trydown(&st.sem), "semaphore: the posted unit was consumed",
                         "a unit is left over");
    return ok;
}

static bool st_condvar(void)
{
    struct condvar c;
    cond_init(&c);
    mutex_init(&st.lock, "selftest");
    mutex_lock(&st.lock);
    uint64_t t0 = time_us();
    int rc = cond_wait_timeout(&c, &st.lock, 20);
    uint64_t ms = (time_us() - t0) / 1000u;
    bool held = mutex_is_held(&st.lock);
    mutex_unlock(&st.lock);
    return selftest_check(rc == ERR_TIMEOUT && held && ms >= 20 && ms <= 20 + SELFTEST_SLACK_MS,
                          "condvar: unsignalled wait times out holding the mutex",
                          "rc %s, held %d, %llu ms", err_name(rc), held,
                          (unsigned long long)ms);
}

static bool st_sleep(void)
{
    uint64_t t0 = time_us();
    sleep_ms(30);
    uint64_t us = time_us() - t0;
    return selftest_check(us >= 30000 && us <= (30 + SELFTEST_SLACK_MS) * 1000u,
                          "sleep_ms(30) sleeps 30 ms", "%llu us", (unsigned long long)us);
}

static int st_return7_fn(void *arg)
{
    (void)arg;
    return 7;
}

static int st_exit42_fn(void *arg)
{
    (void)arg;
    thread_exit(42);
}

static int st_detached_fn(void *arg)
{
    (void)arg;
    sem_up(&st.sem);
    return 0;
}

static bool st_join(void)
{
    struct thread *a, *b;
    int ca = -1, cb = -1, ra, rb;
    sem_init(&st.sem, 0);
    if (thread_create("st-ret7", st_return7_fn, NULL, THREAD_PRIO_NORMAL, &a) < 0 ||
        thread_create("st-exit42", st_exit42_fn, NULL, THREAD_PRIO_LOW, &b) < 0)
        return selftest_check(false, "join", "thread_create failed");
    ra = thread_join(a, &ca);
    rb = thread_join(b, &cb);
    int rd = thread_create("st-detached", st_detached_fn, NULL, THREAD_PRIO_NORMAL, NULL);
    int rs = rd == 0 ? sem_down_timeout(&st.sem, 1000) : rd;
    return selftest_check(ra == 0 && rb == 0 && ca == 7 && cb == 42 && rs == 0,
                          "join: exit codes of return 7 and thread_exit(42); detached ran",
                          "join %d/%d, codes %d/%d, detached %s", ra, rb, ca, cb,
                          err_name(rs));
}

static int st_order_fn(void *arg)
{
    uint32_t flags = cpu_irq_save();
    if (st.order_len < sizeof(st.order) - 1)
        st.order[st.order_len++] = (char)(uintptr_t)arg;
    cpu_irq_restore(flags);
    return 0;
}

static bool st_priority(void)
{
    struct thread *n, *h;
    st.order_len = 0;
    st.order[0] = st.order[1] = st.order[2] = st.order[3] = 0;
    /* The NORMAL thread is queued behind us; the HIGH one must run at once,
     * before thread_create even returns to this NORMAL thread. */
    if (thread_create("st-normal", st_order_fn, (void *)(uintptr_t)'N', THREAD_PRIO_NORMAL,
                      &n) < 0)
        return selftest_check(false, "priority", "thread_create failed");
    if (thread_create("st-high", st_order_fn, (void *)(uintptr_t)'H', THREAD_PRIO_HIGH,
                      &h) < 0) {
        thread_join(n, NULL);
        return selftest_check(false, "priority", "thread_create failed");
    }
    unsigned seen_at_return = st.order_len;
    char first = st.order[0];
    thread_join(n, NULL);
    thread_join(h, NULL);
    return selftest_check(first == 'H' && seen_at_return == 1 && st.order[1] == 'N',
                          "priority: a HIGH thread runs before NORMAL ones",
                          "order '%s', %u ran before create returned", st.order,
                          seen_at_return);
}

/* A TSC calibrated too high would make time_us run slow, and ticks would
 * then outrun it. The converse cannot be checked: a loaded QEMU host merges
 * late PIT interrupts (lost ticks), which is why deadlines use time_us. */
static bool st_clock(uint64_t t0_us, uint64_t ticks0)
{
    uint64_t us = time_us() - t0_us;
    uint64_t ticks = timer_ticks() - ticks0;
    uint64_t tick_us = ticks * 1000000u / TIMER_HZ;
    return selftest_check(ticks > 0 && tick_us <= us + us / 20 + 2000,
                          "clock: PIT ticks do not outrun time_us",
                          "%llu us by time_us, %llu ticks", (unsigned long long)us,
                          (unsigned long long)ticks);
}

static int sched_selftest_threads(void)
{
    bool ok = true;
    uint64_t t0_us = time_us(), ticks0 = timer_ticks();
    ok &= st_preemption();
    ok &= st_mutex();
    ok &= st_semaphore();
    ok &= st_condvar();
    ok &= st_sleep();
    ok &= st_join();
    ok &= st_priority();
    ok &= st_clock(t0_us, ticks0);
    return ok ? 0 : 1;
}

void sched_selftest_register(void)
{
    selftest_register("threads", sched_selftest_threads);
}
