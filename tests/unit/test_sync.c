// SPDX-License-Identifier: MIT
/* Contract tests for kernel/sync.h and kernel/thread.h, run on the hosted
 * shims (pthreads). Every piece of portable code relies on these semantics:
 * mutual exclusion, ERR_TIMEOUT after about the requested time, sem_up waking
 * a waiter, condvar timeouts, exit codes through thread_join. The kernel's own
 * implementation is checked by the in-kernel `selftest threads`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/sync.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define MUTEX_THREADS 4
#define MUTEX_ROUNDS 20000

static struct {
    struct mutex lock;     /* protects counter */
    volatile long counter; /* incremented by the workers */
    struct semaphore sem;
    struct condvar cond;
    bool flag;             /* condition for cond, under lock */
} ts;

static int mutex_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < MUTEX_ROUNDS; i++) {
        mutex_lock(&ts.lock);
        long v = ts.counter; /* read-modify-write split on purpose */
        ts.counter = v + 1;
        mutex_unlock(&ts.lock);
    }
    return 0;
}

static void test_mutex_four_threads_count_exactly(void **state)
{
    (void)state;
    struct thread *t[MUTEX_THREADS];
    mutex_init(&ts.lock, "test");
    ts.counter = 0;
    for (int i = 0; i < MUTEX_THREADS; i++)
        assert_int_equal(thread_create("mx", mutex_worker, NULL, THREAD_PRIO_NORMAL, &t[i]), 0);
    for (int i = 0; i < MUTEX_THREADS; i++)
        assert_int_equal(thread_join(t[i], NULL), 0);
    assert_int_equal(ts.counter, MUTEX_THREADS * MUTEX_ROUNDS);
    assert_false(mutex_is_held(&ts.lock));
}

static struct semaphore holder_ready, holder_release;

static int mutex_holder(void *arg)
{
    (void)arg;
    mutex_lock(&ts.lock);
    sem_up(&holder_ready);
    sem_down(&holder_release);
    mutex_unlock(&ts.lock);
    return 0;
}

static void test_mutex_trylock_held_by_other_fails(void **state)
{
    (void)state;
    struct thread *t;
    mutex_init(&ts.lock, "test");
    sem_init(&holder_ready, 0);
    sem_init(&holder_release, 0);
    assert_int_equal(thread_create("hold", mutex_holder, NULL, THREAD_PRIO_NORMAL, &t), 0);
    sem_down(&holder_ready);
    assert_false(mutex_trylock(&ts.lock));
    assert_false(mutex_is_held(&ts.lock));
    sem_up(&holder_release);
    assert_int_equal(thread_join(t, NULL), 0);
    assert_true(mutex_trylock(&ts.lock));
    assert_true(mutex_is_held(&ts.lock));
    mutex_unlock(&ts.lock);
}

static void test_sem_down_timeout_empty_times_out_after_the_time(void **state)
{
    (void)state;
    sem_init(&ts.sem, 0);
    uint64_t t0 = time_ms();
    assert_int_equal(sem_down_timeout(&ts.sem, 50), ERR_TIMEOUT);
    uint64_t took = time_ms() - t0;
    assert_true(took >= 49);
    assert_true(took < 1000);
    assert_false(sem_trydown(&ts.sem));
}

static int sem_upper(void *arg)
{
    (void)arg;
    sleep_ms(20);
    sem_up(&ts.sem);
    return 5;
}

static void test_sem_up_from_other_thread_wakes_waiter(void **state)
{
    (void)state;
    struct thread *t;
    int code = -1;
    sem_init(&ts.sem, 0);
    assert_int_equal(thread_create("up", sem_upper, NULL, THREAD_PRIO_NORMAL, &t), 0);
    uint64_t t0 = time_ms();
    assert_int_equal(sem_down_timeout(&ts.sem, 5000), 0);
    assert_true(time_ms() - t0 < 4000);
    assert_int_equal(thread_join(t, &code), 0);
    assert_int_equal(code, 5);
    assert_false(sem_trydown(&ts.sem)); /* the one unit was consumed */
}

static void test_sem_counts_units(void **state)
{
    (void)state;
    sem_init(&ts.sem, 2);
    assert_true(sem_trydown(&ts.sem));
    assert_int_equal(sem_down_timeout(&ts.sem, 0), 0);
    assert_false(sem_trydown(&ts.sem));
    sem_up(&ts.sem);
    sem_down(&ts.sem);
    assert_false(sem_trydown(&ts.sem));
}

static void test_cond_wait_timeout_unsignalled_times_out_holding_mutex(void **state)
{
    (void)state;
    mutex_init(&ts.lock, "test");
    cond_init(&ts.cond);
    mutex_lock(&ts.lock);
    uint64_t t0 = time_ms();
    assert_int_equal(cond_wait_timeout(&ts.cond, &ts.lock, 30), ERR_TIMEOUT);
    assert_true(time_ms() - t0 >= 29);
    assert_true(mutex_is_held(&ts.lock));
    mutex_unlock(&ts.lock);
}

static int cond_setter(void *arg)
{
    (void)arg;
    sleep_ms(10);
    mutex_lock(&ts.lock);
    ts.flag = true;
    cond_broadcast(&ts.cond);
    mutex_unlock(&ts.lock);
    return 0;
}

static void test_cond_wait_signalled_sees_condition(void **state)
{
    (void)state;
    struct thread *t;
    mutex_init(&ts.lock, "test");
    cond_init(&ts.cond);
    ts.flag = false;
    assert_int_equal(thread_create("cv", cond_setter, NULL, THREAD_PRIO_NORMAL, &t), 0);
    mutex_lock(&ts.lock);
    int rc = 0;
    while (!ts.flag && rc == 0)
        rc = cond_wait_timeout(&ts.cond, &ts.lock, 5000);
    assert_int_equal(rc, 0);
    assert_true(ts.flag);
    mutex_unlock(&ts.lock);
    assert_int_equal(thread_join(t, NULL), 0);
}

static int returns_seven(void *arg)
{
    (void)arg;
    return 7;
}

static int exits_42(void *arg)
{
    (void)arg;
    thread_exit(42);
}

static void test_thread_join_returns_exit_code(void **state)
{
    (void)state;
    struct thread *a, *b;
    int ca = 0, cb = 0;
    assert_int_equal(thread_create("r7", returns_seven, NULL, THREAD_PRIO_NORMAL, &a), 0);
    assert_int_equal(thread_create("e42", exits_42, NULL, THREAD_PRIO_HIGH, &b), 0);
    assert_int_equal(thread_join(a, &ca), 0);
    assert_int_equal(thread_join(b, &cb), 0);
    assert_int_equal(ca, 7);
    assert_int_equal(cb, 42);
}

static void test_thread_create_bad_args_is_inval(void **state)
{
    (void)state;
    struct thread *t;
    assert_int_equal(thread_create("x", NULL, NULL, THREAD_PRIO_NORMAL, &t), ERR_INVAL);
    assert_int_equal(thread_create("x", returns_seven, NULL, THREAD_PRIO_COUNT, &t),
                     ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutex_four_threads_count_exactly),
        cmocka_unit_test(test_mutex_trylock_held_by_other_fails),
        cmocka_unit_test(test_sem_down_timeout_empty_times_out_after_the_time),
        cmocka_unit_test(test_sem_up_from_other_thread_wakes_waiter),
        cmocka_unit_test(test_sem_counts_units),
        cmocka_unit_test(test_cond_wait_timeout_unsignalled_times_out_holding_mutex),
        cmocka_unit_test(test_cond_wait_signalled_sees_condition),
        cmocka_unit_test(test_thread_join_returns_exit_code),
        cmocka_unit_test(test_thread_create_bad_args_is_inval),
    };
    return cmocka_run_group_tests_name("sync", tests, NULL, NULL);
}
