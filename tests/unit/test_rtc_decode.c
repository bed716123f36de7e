// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/rtc_decode.c: BCD and binary values, 24-hour and
 * 12-hour clocks (12 AM / 12 PM edge cases), the century register (used,
 * missing, implausible), and hostile readings (bad BCD digit, absent chip
 * reading 0xFF, 30 February) rejected with one log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/rtc_decode.h"

#define B_BCD_24H RTC_STATUS_B_24H
#define B_BIN_24H (RTC_STATUS_B_24H | RTC_STATUS_B_BINARY)
#define B_BCD_12H 0x00u
#define B_BIN_12H RTC_STATUS_B_BINARY

/* 2031-05-17 10:20:30 in BCD, 24-hour, with QEMU's century register. */
static struct rtc_regs_raw qemu_bcd(void)
{
    return (struct rtc_regs_raw){ .second = 0x30, .minute = 0x20, .hour = 0x10, .day = 0x17,
                                  .month = 0x05, .year = 0x31, .century = 0x20,
                                  .has_century = true, .status_b = B_BCD_24H };
}

static void assert_time(const struct wall_time *t, unsigned y, unsigned mo, unsigned d,
                        unsigned h, unsigned mi, unsigned s)
{
    assert_int_equal(t->year, y);
    assert_int_equal(t->month, mo);
    assert_int_equal(t->day, d);
    assert_int_equal(t->hour, h);
    assert_int_equal(t->minute, mi);
    assert_int_equal(t->second, s);
}

static void test_rtc_decode_bcd_24h_with_century(void **state)
{
    (void)state;
    struct rtc_regs_raw r = qemu_bcd();
    struct wall_time t;
    assert_int_equal(rtc_decode(&r, &t), 0);
    assert_time(&t, 2031, 5, 17, 10, 20, 30);
}

static void test_rtc_decode_binary_24h(void **state)
{
    (void)state;
    struct rtc_regs_raw r = { .second = 59, .minute = 59, .hour = 23, .day = 31, .month = 12,
                              .year = 99, .century = 20, .has_century = true,
                              .status_b = B_BIN_24H };
    struct wall_time t;
    assert_int_equal(rtc_decode(&r, &t), 0);
    assert_time(&t, 2099, 12, 31, 23, 59, 59);
}

static void test_rtc_decode_12h_midnight_noon_and_pm(void **state)
{
    (void)state;
    struct rtc_regs_raw r = qemu_bcd();
    struct wall_time t;
    r.status_b = B_BCD_12H;
    r.hour = 0x12; /* 12 AM */
    assert_int_equal(rtc_decode(&r, &t), 0);
    assert_int_equal(t.hour, 0);
    r.hour = 0x12 | RTC_HOUR_PM; /* 12 PM */
    assert_int_equal(rtc_decode(&r, &t), 0);
    assert_int_equal(t.hour, 12);
    r.hour = 0x11 | RTC_HOUR_PM; /* 11 PM */
    assert_int_equal(rtc_decode(&r, &t), 0);
    assert_int_equal(t.hour, 23);
    r.status_b = B_BIN_12H;
    r.hour = 7 | RTC_HOUR_PM;
    assert_int_equal(rtc_decode(&r, &t), 0);
    assert_int_equal(t.hour, 19);
}

static void test_rtc_decode_no_century_register_assumes_20xx(void **state)
{
    (void)state;
    struct rtc_regs_raw r = qemu_bcd();
    struct wall_time t;
    r.has_century = false;
    r.century = 0x19; /* ignored without the FADT index */
    assert_int_equal(rtc_decode(&r, &t), 0);
    assert_int_equal(t.year, 2031);
}

static void test_rtc_decode_implausible_century_tolerated_as_20xx(void **state)
{
    (void)state;
    struct rtc_regs_raw r = qemu_bcd();
    struct wall_time t;
    klog_clear();
    r.century = 0x5a; /* bad BCD digit */
    assert_int_equal(rtc_decode(&r, &t), 0);
    assert_int_equal(t.year, 2031);
    assert_true(klog_contains("rtc: cmos: century register ignored (0x5a), assuming 2000"));
    r.century = 0x21; /* plausible: used */
    assert_int_equal(rtc_decode(&r, &t), 0);
    assert_int_equal(t.year, 2131);
    r.century = 0x19; /* 1931: before the calendar range, rejected */
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
}

static void test_rtc_decode_bad_bcd_digit_rejected(void **state)
{
    (void)state;
    struct rtc_regs_raw r = qemu_bcd();
    struct wall_time t;
    klog_clear();
    r.minute = 0x1a;
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
    assert_true(klog_contains("rtc: cmos: invalid clock reading (sec 0x30 min 0x1a hour 0x10"));
}

static void test_rtc_decode_absent_chip_all_ff_rejected(void **state)
{
    (void)state;
    struct rtc_regs_raw r = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, true, 0xff };
    struct wall_time t;
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
    r.status_b = B_BCD_24H;
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
}

static void test_rtc_decode_out_of_range_fields_rejected(void **state)
{
    (void)state;
    struct wall_time t;
    struct rtc_regs_raw r = qemu_bcd();
    r.month = 0x02;
    r.day = 0x30; /* 30 February */
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
    r = qemu_bcd();
    r.hour = 0x24;
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
    r = qemu_bcd();
    r.second = 0x60;
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
    r = qemu_bcd();
    r.month = 0x00;
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
    r = qemu_bcd();
    r.status_b = B_BCD_12H;
    r.hour = 0x13; /* no 13 o'clock on a 12-hour clock */
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
    r.hour = 0x00 | RTC_HOUR_PM;
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
    r = qemu_bcd();
    r.status_b = B_BIN_24H;
    r.year = 100;
    assert_int_equal(rtc_decode(&r, &t), ERR_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rtc_decode_bcd_24h_with_century),
        cmocka_unit_test(test_rtc_decode_binary_24h),
        cmocka_unit_test(test_rtc_decode_12h_midnight_noon_and_pm),
        cmocka_unit_test(test_rtc_decode_no_century_register_assumes_20xx),
        cmocka_unit_test(test_rtc_decode_implausible_century_tolerated_as_20xx),
        cmocka_unit_test(test_rtc_decode_bad_bcd_digit_rejected),
        cmocka_unit_test(test_rtc_decode_absent_chip_all_ff_rejected),
        cmocka_unit_test(test_rtc_decode_out_of_range_fields_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
