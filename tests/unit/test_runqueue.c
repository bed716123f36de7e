// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/runqueue.c: FIFO order, fixed-priority pick with
 * round robin inside a level, removal from the middle, and the deadline-ordered
 * timeout list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/lib/runqueue.h"

struct item {
    int id;
    struct rq_node node;
    struct timeout_entry to;
};

static struct item items[8];

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < 8; i++) {
        items[i].id = i;
        rq_node_init(&items[i].node);
        timeout_entry_init(&items[i].to);
    }
    return 0;
}

static int id_of(struct rq_node *n)
{
    return n ? container_of(n, struct item, node)->id : -1;
}

static int id_of_to(struct timeout_entry *e)
{
    return e ? container_of(e, struct item, to)->id : -1;
}

static void test_fifo_push_pop_keeps_arrival_order(void **state)
{
    (void)state;
    struct rq_fifo q;
    rq_fifo_init(&q);
    assert_true(rq_fifo_is_empty(&q));
    for (int i = 0; i < 3; i++)
        rq_fifo_push(&q, &items[i].node);
    assert_int_equal(q.count, 3);
    assert_true(rq_node_is_queued(&items[1].node));
    assert_int_equal(id_of(rq_fifo_pop(&q)), 0);
    assert_int_equal(id_of(rq_fifo_pop(&q)), 1);
    assert_int_equal(id_of(rq_fifo_pop(&q)), 2);
    assert_null(rq_fifo_pop(&q));
    assert_false(rq_node_is_queued(&items[1].node));
    assert_int_equal(q.count, 0);
}

static void test_fifo_unlink_middle_keeps_the_rest_linked(void **state)
{
    (void)state;
    struct rq_fifo q;
    rq_fifo_init(&q);
    for (int i = 0; i < 4; i++)
        rq_fifo_push(&q, &items[i].node);
    assert_true(rq_node_unlink(&items[1].node));
    assert_true(rq_node_unlink(&items[3].node)); /* the tail */
    assert_false(rq_node_unlink(&items[3].node)); /* already off */
    assert_int_equal(q.count, 2);
    rq_fifo_push(&q, &items[3].node);
    assert_int_equal(id_of(rq_fifo_pop(&q)), 0);
    assert_int_equal(id_of(rq_fifo_pop(&q)), 2);
    assert_int_equal(id_of(rq_fifo_pop(&q)), 3);
    assert_true(rq_fifo_is_empty(&q));
}

static void test_runqueue_init_bad_levels_is_inval(void **state)
{
    (void)state;
    struct runqueue rq;
    assert_int_equal(runqueue_init(&rq, 0), ERR_INVAL);
    assert_int_equal(runqueue_init(&rq, RQ_MAX_PRIO + 1), ERR_INVAL);
    assert_int_equal(runqueue_init(&rq, RQ_MAX_PRIO), 0);
}

static void test_runqueue_pop_takes_highest_priority_first(void **state)
{
    (void)state;
    struct runqueue rq;
    unsigned prio = 99;
    assert_int_equal(runqueue_init(&rq, 4), 0);
    assert_int_equal(runqueue_highest(&rq), -1);
    assert_null(runqueue_pop(&rq, &prio));
    runqueue_push(&rq, &items[0].node, 1);
    runqueue_push(&rq, &items[1].node, 2);
    runqueue_push(&rq, &items[2].node, 3);
    runqueue_push(&rq, &items[3].node, 2);
    assert_int_equal(runqueue_count(&rq), 4);
    assert_int_equal(runqueue_highest(&rq), 3);
    assert_int_equal(id_of(runqueue_pop(&rq, &prio)), 2);
    assert_int_equal(prio, 3);
    assert_int_equal(id_of(runqueue_pop(&rq, &prio)), 1);
    assert_int_equal(prio, 2);
    assert_int_equal(id_of(runqueue_pop(&rq, &prio)), 3);
    assert_int_equal(id_of(runqueue_pop(&rq, &prio)), 0);
    assert_int_equal(prio, 1);
    assert_int_equal(runqueue_count(&rq), 0);
}

static void test_runqueue_requeue_at_tail_is_round_robin(void **state)
{
    (void)state;
    struct runqueue rq;
    assert_int_equal(runqueue_init(&rq, 4), 0);
    for (int i = 0; i < 3; i++)
        runqueue_push(&rq, &items[i].node, 2);
    /* Each "slice": run the head, then put it back at the tail. */
    int order[6];
    for (int k = 0; k < 6; k++) {
        struct rq_node *n = runqueue_pop(&rq, NULL);
        order[k] = id_of(n);
        runqueue_push(&rq, n, 2);
    }
    int want[6] = { 0, 1, 2, 0, 1, 2 };
    assert_memory_equal(order, want, sizeof(want));
}

static void test_runqueue_push_head_preempted_node_runs_before_peers(void **state)
{
    (void)state;
    struct runqueue rq;
    assert_int_equal(runqueue_init(&rq, 4), 0);
    runqueue_push(&rq, &items[0].node, 2);
    runqueue_push(&rq, &items[1].node, 2);
    runqueue_push_head(&rq, &items[2].node, 2);
    assert_int_equal(id_of(runqueue_pop(&rq, NULL)), 2);
    assert_int_equal(id_of(runqueue_pop(&rq, NULL)), 0);
    assert_int_equal(id_of(runqueue_pop(&rq, NULL)), 1);
    /* Head insert into an empty level sets both ends. */
    runqueue_push_head(&rq, &items[3].node, 1);
    runqueue_push(&rq, &items[4].node, 1);
    assert_int_equal(id_of(runqueue_pop(&rq, NULL)), 3);
    assert_int_equal(id_of(runqueue_pop(&rq, NULL)), 4);
    assert_null(runqueue_pop(&rq, NULL));
}

static void test_runqueue_unlink_removes_blocked_node(void **state)
{
    (void)state;
    struct runqueue rq;
    assert_int_equal(runqueue_init(&rq, 4), 0);
    runqueue_push(&rq, &items[0].node, 3);
    runqueue_push(&rq, &items[1].node, 1);
    assert_true(rq_node_unlink(&items[0].node));
    assert_int_equal(runqueue_highest(&rq), 1);
    assert_int_equal(id_of(runqueue_pop(&rq, NULL)), 1);
}

static void test_timeout_expire_returns_due_entries_in_deadline_order(void **state)
{
    (void)state;
    struct timeout_list l;
    timeout_list_init(&l);
    assert_int_equal(timeout_next_deadline(&l), UINT64_MAX);
    timeout_insert(&l, &items[0].to, 300);
    timeout_insert(&l, &items[1].to, 100);
    timeout_insert(&l, &items[2].to, 200);
    assert_int_equal(timeout_next_deadline(&l), 100);
    assert_null(timeout_expire(&l, 99));
    assert_int_equal(id_of_to(timeout_expire(&l, 250)), 1);
    assert_int_equal(id_of_to(timeout_expire(&l, 250)), 2);
    assert_null(timeout_expire(&l, 250));
    assert_false(items[1].to.armed);
    assert_true(items[0].to.armed);
    assert_int_equal(id_of_to(timeout_expire(&l, 300)), 0);
    assert_int_equal(timeout_next_deadline(&l), UINT64_MAX);
}

static void test_timeout_equal_deadlines_expire_in_insert_order(void **state)
{
    (void)state;
    struct timeout_list l;
    timeout_list_init(&l);
    timeout_insert(&l, &items[3].to, 50);
    timeout_insert(&l, &items[1].to, 50);
    timeout_insert(&l, &items[2].to, 50);
    assert_int_equal(id_of_to(timeout_expire(&l, 50)), 3);
    assert_int_equal(id_of_to(timeout_expire(&l, 50)), 1);
    assert_int_equal(id_of_to(timeout_expire(&l, 50)), 2);
}

static void test_timeout_remove_disarms_and_reinsert_moves(void **state)
{
    (void)state;
    struct timeout_list l;
    timeout_list_init(&l);
    timeout_insert(&l, &items[0].to, 10);
    timeout_insert(&l, &items[1].to, 20);
    assert_true(timeout_remove(&l, &items[0].to));
    assert_false(timeout_remove(&l, &items[0].to));
    assert_int_equal(timeout_next_deadline(&l), 20);
    /* Re-arming an armed entry moves it instead of linking it twice. */
    timeout_insert(&l, &items[1].to, 5);
    timeout_insert(&l, &items[1].to, 40);
    assert_int_equal(timeout_next_deadline(&l), 40);
    assert_int_equal(id_of_to(timeout_expire(&l, 100)), 1);
    assert_null(timeout_expire(&l, 100));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fifo_push_pop_keeps_arrival_order, setup),
        cmocka_unit_test_setup(test_fifo_unlink_middle_keeps_the_rest_linked, setup),
        cmocka_unit_test_setup(test_runqueue_init_bad_levels_is_inval, setup),
        cmocka_unit_test_setup(test_runqueue_pop_takes_highest_priority_first, setup),
        cmocka_unit_test_setup(test_runqueue_requeue_at_tail_is_round_robin, setup),
        cmocka_unit_test_setup(test_runqueue_push_head_preempted_node_runs_before_peers, setup),
        cmocka_unit_test_setup(test_runqueue_unlink_removes_blocked_node, setup),
        cmocka_unit_test_setup(test_timeout_expire_returns_due_entries_in_deadline_order, setup),
        cmocka_unit_test_setup(test_timeout_equal_deadlines_expire_in_insert_order, setup),
        cmocka_unit_test_setup(test_timeout_remove_disarms_and_reinsert_moves, setup),
    };
    return cmocka_run_group_tests_name("runqueue", tests, NULL, NULL);
}
