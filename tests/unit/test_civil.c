// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/civil.c and kernel/lib/wallclock.c: leap years
 * (the 100/400 rules), month lengths, reference instants in both directions,
 * a day-by-day round trip over 1970..2200, range rejection, and the wall
 * clock on the hosted fake (set, advance with the fake monotonic clock, out
 * of range falls back to 2024-01-01). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/lib/civil.h"
#include "kernel/lib/wallclock.h"
#include "tests/host/time_host.h"
#include "tests/host/wallclock_host.h"

/* Seconds since the epoch computed once outside this code base, with
 * python3 -c 'import calendar; print(calendar.timegm((Y, M, D, h, m, s, 0, 0, 0)))'. */
struct known_instant {
    struct wall_time t;
    int64_t unix_s;
};

static const struct known_instant known_instants[] = {
    { { 1970, 1, 1, 0, 0, 0 }, 0 },
    { { 1972, 2, 29, 0, 0, 0 }, 68169600 },
    { { 2000, 2, 29, 12, 0, 0 }, 951825600 },
    { { 2024, 1, 1, 0, 0, 0 }, 1704067200 },
    { { 2031, 5, 17, 10, 20, 30 }, 1936779630 },
    { { 2100, 3, 1, 0, 0, 0 }, 4107542400 },
    { { 2107, 12, 31, 23, 59, 59 }, 4354819199 },
    { { 9999, 12, 31, 23, 59, 59 }, 253402300799 },
};

static void assert_wall_time_equal(const struct wall_time *a, const struct wall_time *b)
{
    assert_int_equal(a->year, b->year);
    assert_int_equal(a->month, b->month);
    assert_int_equal(a->day, b->day);
    assert_int_equal(a->hour, b->hour);
    assert_int_equal(a->minute, b->minute);
    assert_int_equal(a->second, b->second);
}

static void test_civil_leap_years_follow_gregorian_rules(void **state)
{
    (void)state;
    assert_true(civil_is_leap_year(2024));
    assert_true(civil_is_leap_year(2000));  /* divisible by 400 */
    assert_false(civil_is_leap_year(1900)); /* century, not by 400 */
    assert_false(civil_is_leap_year(2100));
    assert_false(civil_is_leap_year(2023));
}

static void test_civil_days_in_month_knows_february_and_bad_months(void **state)
{
    (void)state;
    assert_int_equal(civil_days_in_month(2024, 2), 29);
    assert_int_equal(civil_days_in_month(2100, 2), 28);
    assert_int_equal(civil_days_in_month(2031, 4), 30);
    assert_int_equal(civil_days_in_month(2031, 12), 31);
    assert_int_equal(civil_days_in_month(2031, 0), 0);
    assert_int_equal(civil_days_in_month(2031, 13), 0);
}

static void test_civil_known_instants_convert_both_ways(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(known_instants); i++) {
        int64_t s = -1;
        struct wall_time t;
        assert_int_equal(civil_to_unix(&known_instants[i].t, &s), 0);
        assert_int_equal(s, known_instants[i].unix_s);
        assert_int_equal(civil_from_unix(known_instants[i].unix_s, &t), 0);
        assert_wall_time_equal(&t, &known_instants[i].t);
    }
}

static void test_civil_every_day_1970_to_2200_round_trips(void **state)
{
    (void)state;
    int64_t expect_days = 0;
    for (unsigned y = 1970; y <= 2200; y++) {
        for (unsigned m = 1; m <= 12; m++) {
            for (unsigned d = 1; d <= civil_days_in_month(y, m); d++) {
                assert_int_equal(civil_days_from_date(y, m, d), expect_days);
                struct wall_time t;
                assert_int_equal(civil_from_unix(expect_days * 86400 + 86399, &t), 0);
                assert_int_equal(t.year, y);
                assert_int_equal(t.month, m);
                assert_int_equal(t.day, d);
                assert_int_equal(t.hour, 23);
                expect_days++;
            }
        }
    }
}

static void test_civil_invalid_fields_rejected(void **state)
{
    (void)state;
    static const struct wall_time bad[] = {
        { 1969, 12, 31, 23, 59, 59 }, { 2023, 2, 29, 0, 0, 0 }, { 2024, 4, 31, 0, 0, 0 },
        { 2024, 0, 1, 0, 0, 0 },      { 2024, 13, 1, 0, 0, 0 }, { 2024, 1, 0, 0, 0, 0 },
        { 2024, 1, 1, 24, 0, 0 },     { 2024, 1, 1, 0, 60, 0 }, { 2024, 1, 1, 0, 0, 60 },
        { 10000, 1, 1, 0, 0, 0 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        int64_t s = 12345;
        assert_false(civil_is_valid(&bad[i]));
        assert_int_equal(civil_to_unix(&bad[i], &s), ERR_INVAL);
        assert_int_equal(s, 12345);
    }
}

static void test_civil_from_unix_out_of_range_rejected(void **state)
{
    (void)state;
    struct wall_time t = { 1, 2, 3, 4, 5, 6 };
    const struct wall_time untouched = t;
    assert_int_equal(civil_from_unix(-1, &t), ERR_RANGE);
    assert_int_equal(civil_from_unix(253402300800, &t), ERR_RANGE); /* 10000-01-01 */
    assert_wall_time_equal(&t, &untouched);
}

static void test_wallclock_fake_set_advances_with_fake_time(void **state)
{
    (void)state;
    struct wall_time t;
    time_host_use_fake(true);
    wallclock_set_unix(1936779630); /* 2031-05-17 10:20:30 */
    assert_int_equal(wallclock_now(&t), 0);
    assert_wall_time_equal(&t, &known_instants[4].t);
    time_host_advance_ms(90999); /* 90.999 s counts as 90: whole seconds only */
    assert_int_equal(wallclock_now(&t), 0);
    assert_int_equal(t.hour, 10);
    assert_int_equal(t.minute, 22);
    assert_int_equal(t.second, 0);
    wallclock_host_use_real();
    time_host_use_fake(false);
}

static void test_wallclock_source_out_of_range_gives_fallback(void **state)
{
    (void)state;
    struct wall_time t;
    time_host_use_fake(true);
    wallclock_set_unix(-5);
    assert_int_equal(wallclock_now(&t), ERR_RANGE);
    assert_wall_time_equal(&t, &known_instants[3].t); /* 2024-01-01 00:00:00 */
    wallclock_host_use_real();
    time_host_use_fake(false);
}

static void test_wallclock_real_host_clock_is_after_2024(void **state)
{
    (void)state;
    struct wall_time t;
    wallclock_host_use_real();
    assert_int_equal(wallclock_now(&t), 0);
    assert_true(t.year >= 2024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_civil_leap_years_follow_gregorian_rules),
        cmocka_unit_test(test_civil_days_in_month_knows_february_and_bad_months),
        cmocka_unit_test(test_civil_known_instants_convert_both_ways),
        cmocka_unit_test(test_civil_every_day_1970_to_2200_round_trips),
        cmocka_unit_test(test_civil_invalid_fields_rejected),
        cmocka_unit_test(test_civil_from_unix_out_of_range_rejected),
        cmocka_unit_test(test_wallclock_fake_set_advances_with_fake_time),
        cmocka_unit_test(test_wallclock_source_out_of_range_gives_fallback),
        cmocka_unit_test(test_wallclock_real_host_clock_is_after_2024),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
