/* SPDX-License-Identifier: MIT */
/* Proleptic Gregorian calendar arithmetic for the wall clock, shared by the
 * kernel and the hosted build: check a broken-down UTC time with
 * civil_is_valid(), turn it into seconds since 1970-01-01 00:00:00 UTC with
 * civil_to_unix(), and back with civil_from_unix(). Days are counted with the
 * era (400-year cycle) method, so every conversion is a few integer divisions
 * and no table walk. Leap rule: divisible by 4, except centuries that are not
 * divisible by 400 (ISO 8601 / Gregorian calendar).
 * Not done: time zones, daylight saving, leap seconds (second 60 is invalid),
 * years before 1970 or after CIVIL_YEAR_MAX. */
#ifndef KERNEL_LIB_CIVIL_H
#define KERNEL_LIB_CIVIL_H

#include "kernel/types.h"

/* Accepted years. The lower bound keeps Unix times non-negative; the upper
 * one keeps a year in four digits for printing. */
#define CIVIL_YEAR_MIN 1970u
#define CIVIL_YEAR_MAX 9999u

/* A broken-down UTC time, as a clock chip or a file system stores it. */
struct wall_time {
    uint16_t year;  /* CIVIL_YEAR_MIN..CIVIL_YEAR_MAX */
    uint8_t month;  /* 1..12 */
    uint8_t day;    /* 1..civil_days_in_month() */
    uint8_t hour;   /* 0..23 */
    uint8_t minute; /* 0..59 */
    uint8_t second; /* 0..59 */
};

/* True if `year` has a 29 February. Context: any. */
bool civil_is_leap_year(unsigned year);

/* Days in `month` (1..12) of `year`; 0 for a month out of range. Context: any. */
unsigned civil_days_in_month(unsigned year, unsigned month);

/* True if every field of *t lies in its range above (day checked against the
 * month and leap year). Context: any. */
bool civil_is_valid(const struct wall_time *t);

/* Days from 1970-01-01 to year-month-day. The caller has checked the date
 * with civil_is_valid() (or knows it is valid). Context: any. */
int64_t civil_days_from_date(unsigned year, unsigned month, unsigned day);

/* Seconds since 1970-01-01 00:00:00 UTC of *t into *unix_s.
 * Returns 0, or ERR_INVAL when *t is not valid (nothing written).
 * Context: any. */
int civil_to_unix(const struct wall_time *t, int64_t *unix_s);

/* The broken-down time of unix_s seconds since the epoch into *out.
 * Returns 0, or ERR_RANGE when unix_s is negative or past the end of
 * CIVIL_YEAR_MAX (nothing written). Context: any. */
int civil_from_unix(int64_t unix_s, struct wall_time *out);

#endif
