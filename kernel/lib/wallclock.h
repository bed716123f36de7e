/* SPDX-License-Identifier: MIT */
/* The wall clock: UTC date and time of day for file time stamps and `date`.
 * Each build provides the clock source: the kernel keeps the CMOS RTC time
 * read at boot plus time_ms() since then (kernel/rtc.c, set by rtc_init());
 * the hosted build reads the host's clock, or a fake that tests set
 * (tests/host/wallclock_host.h). wallclock_now() (kernel/lib/wallclock.c) is
 * the same on both and turns the source into a broken-down struct wall_time.
 * Callers always get a usable time: a clock that was never set, or that holds
 * a value outside the calendar range, reads as WALLCLOCK_FALLBACK_UNIX plus
 * the time since boot, and the return code says so. Not done: time zones
 * (everything is UTC), NTP, writing the RTC back. */
#ifndef KERNEL_LIB_WALLCLOCK_H
#define KERNEL_LIB_WALLCLOCK_H

#include "kernel/lib/civil.h"
#include "kernel/types.h"

/* 2024-01-01 00:00:00 UTC: the time of a machine whose clock is unknown
 * (the fixed stamp FAT used before there was a clock). */
#define WALLCLOCK_FALLBACK_UNIX 1704067200

/* Seconds since 1970-01-01 00:00:00 UTC now, into *unix_s.
 * Returns 0, or ERR_NOENT when the clock was never set (then *unix_s is
 * WALLCLOCK_FALLBACK_UNIX plus the seconds since boot).
 * Locking: none needed (see wallclock_set_unix). Context: any.
 * Provided by the build: kernel/rtc.c or tests/host/wallclock_host.c. */
int wallclock_now_unix(int64_t *unix_s);

/* Make the clock read unix_s now and advance with time_ms() from here.
 * Kernel: rtc_init() calls it once at boot, before any other thread reads the
 * clock; it is not synchronised against concurrent readers. Hosted: switches
 * to the fake clock (tests). Context: thread. */
void wallclock_set_unix(int64_t unix_s);

/* The current UTC time, broken down, into *out (always filled).
 * Returns 0, ERR_NOENT (clock never set: the fallback time is given) or
 * ERR_RANGE (the source is outside CIVIL_YEAR_MIN..MAX: the fallback epoch
 * is given). Context: any. */
int wallclock_now(struct wall_time *out);

#endif
