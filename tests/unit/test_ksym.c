// SPDX-License-Identifier: MIT
/* Tests for kernel/lib/ksym.c, the export table modules link against:
 * lookups across tables, and each refusal with its exact code and no side
 * effect on what was registered before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/ksym.h"

static int export_a, export_b, export_c;

static const struct ksym table_one[] = {
    { "alpha", &export_a },
    { "beta", &export_b },
};
static const struct ksym table_two[] = {
    { "gamma", &export_c },
};

static int reset(void **state)
{
    (void)state;
    ksym_reset();
    return 0;
}

static void test_ksym_lookup_finds_entries_of_every_table(void **state)
{
    (void)state;
    void *addr = NULL;

    assert_int_equal(ksym_register(table_one, ARRAY_SIZE(table_one)), 0);
    assert_int_equal(ksym_register(table_two, ARRAY_SIZE(table_two)), 0);
    assert_int_equal(ksym_count(), 3);
    assert_int_equal(ksym_lookup("beta", &addr), 0);
    assert_ptr_equal(addr, &export_b);
    assert_int_equal(ksym_lookup("gamma", &addr), 0);
    assert_ptr_equal(addr, &export_c);
    assert_int_equal(ksym_lookup("delta", &addr), ERR_NOENT);
    assert_ptr_equal(addr, &export_c);
}

static void test_ksym_duplicate_name_rejected_and_logged(void **state)
{
    (void)state;
    static const struct ksym again[] = { { "zeta", &export_a }, { "alpha", &export_c } };
    static const struct ksym twice[] = { { "eta", &export_a }, { "eta", &export_b } };
    void *addr;

    assert_int_equal(ksym_register(table_one, ARRAY_SIZE(table_one)), 0);
    klog_clear();
    assert_int_equal(ksym_register(again, ARRAY_SIZE(again)), ERR_EXIST);
    assert_true(klog_contains("ksym: export registered twice (alpha)"));
    assert_int_equal(ksym_register(twice, ARRAY_SIZE(twice)), ERR_EXIST);
    /* Nothing of the refused tables is visible. */
    assert_int_equal(ksym_lookup("zeta", &addr), ERR_NOENT);
    assert_int_equal(ksym_lookup("alpha", &addr), 0);
    assert_ptr_equal(addr, &export_a);
    assert_int_equal(ksym_count(), 2);
}

static void test_ksym_bad_table_rejected_as_inval(void **state)
{
    (void)state;
    static const struct ksym no_addr[] = { { "x", NULL } };
    static const struct ksym no_name[] = { { "", &export_a } };

    assert_int_equal(ksym_register(NULL, 1), ERR_INVAL);
    assert_int_equal(ksym_register(table_one, 0), ERR_INVAL);
    assert_int_equal(ksym_register(no_addr, 1), ERR_INVAL);
    assert_int_equal(ksym_register(no_name, 1), ERR_INVAL);
    assert_int_equal(ksym_count(), 0);
}

static void test_ksym_table_limit_gives_nospc(void **state)
{
    (void)state;
    static struct ksym tables[KSYM_MAX_TABLES + 1][1];
    static char names[KSYM_MAX_TABLES + 1][8];

    for (unsigned i = 0; i <= KSYM_MAX_TABLES; i++) {
        names[i][0] = 'n';
        names[i][1] = (char)('a' + i);
        tables[i][0].name = names[i];
        tables[i][0].addr = &export_a;
    }
    for (unsigned i = 0; i < KSYM_MAX_TABLES; i++)
        assert_int_equal(ksym_register(tables[i], 1), 0);
    assert_int_equal(ksym_register(tables[KSYM_MAX_TABLES], 1), ERR_NOSPC);
    assert_int_equal(ksym_count(), KSYM_MAX_TABLES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ksym_lookup_finds_entries_of_every_table, reset),
        cmocka_unit_test_setup(test_ksym_duplicate_name_rejected_and_logged, reset),
        cmocka_unit_test_setup(test_ksym_bad_table_rejected_as_inval, reset),
        cmocka_unit_test_setup(test_ksym_table_limit_gives_nospc, reset),
    };
    return cmocka_run_group_tests_name("ksym", tests, NULL, NULL);
}
