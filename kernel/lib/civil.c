// SPDX-License-Identifier: MIT
/* Gregorian calendar arithmetic (see civil.h). The day count shifts the year
 * to start on 1 March, so the leap day is the last day of its "year" and
 * month lengths from March on follow the fixed pattern 31,30,31,30,31 that
 * (153 * m + 2) / 5 reproduces; a 400-year era holds exactly 146097 days. */
#include "kernel/lib/civil.h"
#include "kernel/err.h"

#define CIVIL_SECONDS_PER_DAY 86400
#define CIVIL_DAYS_PER_ERA 146097  /* 400 Gregorian years */
#define CIVIL_DAYS_0000_TO_1970 719468 /* 0000-03-01 (era day 0) to 1970-01-01 */

static const uint8_t civil_month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

bool civil_is_leap_year(unsigned year)
{
    return (year % 4u == 0 && year % 100u != 0) || year % 400u == 0;
}

unsigned civil_days_in_month(unsigned year, unsigned month)
{
    if (month < 1 || month > 12)
        return 0;
    if (month == 2 && civil_is_leap_year(year))
        return 29;
    return civil_month_days[month - 1];
}

bool civil_is_valid(const struct wall_time *t)
{
    if (t->year < CIVIL_YEAR_MIN || t->year > CIVIL_YEAR_MAX)
        return false;
    if (t->day < 1 || t->day > civil_days_in_month(t->year, t->month))
        return false;
    return t->hour < 24 && t->minute < 60 && t->second < 60;
}

int64_t civil_days_from_date(unsigned year, unsigned month, unsigned day)
{
    /* Years start in March: January and February belong to the year before. */
    int64_t y = (int64_t)year - (month <= 2 ? 1 : 0);
    int64_t era = y / 400; /* years here are >= 1969, never negative */
    int64_t year_of_era = y - era * 400;                                  /* 0..399 */
    int64_t m = month > 2 ? month - 3 : month + 9;                       /* March = 0 */
    int64_t day_of_year = (153 * m + 2) / 5 + (int64_t)day - 1;          /* 0..365 */
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
                         day_of_year;                                    /* 0..146096 */
    return era * CIVIL_DAYS_PER_ERA + day_of_era - CIVIL_DAYS_0000_TO_1970;
}

int civil_to_unix(const struct wall_time *t, int64_t *unix_s)
{
    if (!civil_is_valid(t))
        return ERR_INVAL;
    int64_t days = civil_days_from_date(t->year, t->month, t->day);
    *unix_s = days * CIVIL_SECONDS_PER_DAY + (int64_t)t->hour * 3600 + (int64_t)t->minute * 60 +
              t->second;
    return 0;
}

int civil_from_unix(int64_t unix_s, struct wall_time *out)
{
    /* 1. Bound the input: 1970-01-01 .. the last second of CIVIL_YEAR_MAX. */
    int64_t last_day = civil_days_from_date(CIVIL_YEAR_MAX, 12, 31);
    if (unix_s < 0 || unix_s / CIVIL_SECONDS_PER_DAY > last_day)
        return ERR_RANGE;

    /* 2. Split into days and the time of day. */
    int64_t days = unix_s / CIVIL_SECONDS_PER_DAY;
    int64_t secs = unix_s % CIVIL_SECONDS_PER_DAY;

    /* 3. Day number to the March-based era, year of era and day of year. */
    int64_t z = days + CIVIL_DAYS_0000_TO_1970;
    int64_t era = z / CIVIL_DAYS_PER_ERA;
    int64_t day_of_era = z - era * CIVIL_DAYS_PER_ERA;                   /* 0..146096 */
    int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
                           day_of_era / 146096) / 365;                    /* 0..399 */
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 -
                                        year_of_era / 100);               /* 0..365 */

    /* 4. Month and day from the 153-day pattern, back to January-based years. */
    int64_t m = (5 * day_of_year + 2) / 153;                              /* March = 0 */
    int64_t month = m < 10 ? m + 3 : m - 9;
    int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
    out->year = (uint16_t)year;
    out->month = (uint8_t)month;
    out->day = (uint8_t)(day_of_year - (153 * m + 2) / 5 + 1);
    out->hour = (uint8_t)(secs / 3600);
    out->minute = (uint8_t)(secs / 60 % 60);
    out->second = (uint8_t)(secs % 60);
    return 0;
}
