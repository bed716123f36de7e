/* SPDX-License-Identifier: MIT */
/* Decoding of the MC146818-compatible CMOS clock registers, apart from the
 * port I/O (kernel/rtc.c) so that it runs under cmocka: fill a struct
 * rtc_regs_raw with the bytes as read, then rtc_decode() gives a checked
 * struct wall_time. Formats follow status register B: bit 2 (DM) selects
 * binary instead of BCD, bit 1 (24/12) selects 24-hour mode, and in 12-hour
 * mode bit 7 of the hour byte means PM.
 * Policy (STYLE §5): the clock is hostile hardware. A bad BCD digit or any
 * field out of range rejects the whole reading (ERR_CORRUPT, one log line);
 * the caller falls back to a fixed epoch. A century byte that is missing or
 * implausible is tolerated: 20xx is assumed (many boards never set it).
 * Spec: Motorola MC146818A data sheet (registers 0x00-0x0D, Table 3 formats);
 * ACPI 6.4 §5.2.9 Table 5.9 (FADT CENTURY: CMOS index of the century). */
#ifndef KERNEL_LIB_RTC_DECODE_H
#define KERNEL_LIB_RTC_DECODE_H

#include "kernel/lib/civil.h"
#include "kernel/types.h"

/* Status register B bits (MC146818A). */
#define RTC_STATUS_B_24H 0x02u    /* hours run 0..23, else 1..12 with PM flag */
#define RTC_STATUS_B_BINARY 0x04u /* values are binary, else BCD */
/* In 12-hour mode, the hour byte's PM flag. */
#define RTC_HOUR_PM 0x80u
/* Plausible centuries from the century register; others are ignored. */
#define RTC_CENTURY_MIN 19u
#define RTC_CENTURY_MAX 21u
/* Assumed when there is no usable century register. */
#define RTC_CENTURY_DEFAULT 20u

/* The clock registers as read, untrusted. */
struct rtc_regs_raw {
    uint8_t second;    /* CMOS 0x00 */
    uint8_t minute;    /* CMOS 0x02 */
    uint8_t hour;      /* CMOS 0x04, PM flag in bit 7 in 12-hour mode */
    uint8_t day;       /* CMOS 0x07, day of month */
    uint8_t month;     /* CMOS 0x08 */
    uint8_t year;      /* CMOS 0x09, year of century */
    uint8_t century;   /* CMOS[FADT CENTURY], valid when has_century */
    bool has_century;  /* the FADT named a century register */
    uint8_t status_b;  /* CMOS 0x0B */
};

/* Decode *raw into *out (UTC; the RTC is assumed to run in UTC).
 * Returns 0, or ERR_CORRUPT (bad BCD digit or a field out of range; logged
 * with the raw bytes, *out not valid). Context: any. */
int rtc_decode(const struct rtc_regs_raw *raw, struct wall_time *out);

#endif
