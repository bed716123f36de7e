// SPDX-License-Identifier: MIT
/* Unit tests for fs/fs_time.c: reference instants land on the right
 * broken-down UTC time (instants computed outside this code base with
 * python3's calendar.timegm), and times before 1970 or past the end of
 * year 9999 show as 1970-01-01 00:00:00 with every field written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fs/fs_time.h"
#include "kernel/lib/kstring.h"

static void assert_vfs_time(const struct vfs_time *t, unsigned year, unsigned month,
                            unsigned day, unsigned hour, unsigned minute, unsigned second)
{
    assert_int_equal(t->year, year);
    assert_int_equal(t->month, month);
    assert_int_equal(t->day, day);
    assert_int_equal(t->hour, hour);
    assert_int_equal(t->minute, minute);
    assert_int_equal(t->second, second);
}

static void test_fs_time_reference_instants_break_down_exactly(void **state)
{
    struct vfs_time t;
    (void)state;
    fs_time_from_unix(0, &t);
    assert_vfs_time(&t, 1970, 1, 1, 0, 0, 0);
    fs_time_from_unix(1704067200, &t);
    assert_vfs_time(&t, 2024, 1, 1, 0, 0, 0);
    fs_time_from_unix(1936779630, &t);
    assert_vfs_time(&t, 2031, 5, 17, 10, 20, 30);
    fs_time_from_unix(253402300799, &t);
    assert_vfs_time(&t, 9999, 12, 31, 23, 59, 59);
}

static void test_fs_time_out_of_range_shows_the_epoch(void **state)
{
    struct vfs_time t;
    (void)state;
    memset(&t, 0xAA, sizeof(t));
    fs_time_from_unix(-1, &t);
    assert_vfs_time(&t, 1970, 1, 1, 0, 0, 0);
    memset(&t, 0xAA, sizeof(t));
    fs_time_from_unix(INT64_MIN, &t);
    assert_vfs_time(&t, 1970, 1, 1, 0, 0, 0);
    memset(&t, 0xAA, sizeof(t));
    fs_time_from_unix(253402300800, &t); /* 10000-01-01 */
    assert_vfs_time(&t, 1970, 1, 1, 0, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fs_time_reference_instants_break_down_exactly),
        cmocka_unit_test(test_fs_time_out_of_range_shows_the_epoch),
    };
    return cmocka_run_group_tests_name("fs_time", tests, NULL, NULL);
}
