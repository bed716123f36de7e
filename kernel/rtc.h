/* SPDX-License-Identifier: MIT */
/* The CMOS real-time clock and the kernel's wall clock. rtc_init() (called
 * once by kernel_main after power_init, whose ACPI discovery names the
 * century register) reads the MC146818-compatible clock through ports
 * 0x70/0x71, sets the wall clock (kernel/lib/wallclock.h) from it and
 * registers the shell command `date`. From then on the wall clock is that
 * boot reading plus time_ms(); the RTC is not read again.
 * A clock that does not answer or reads invalid values (kernel/lib/rtc_decode.h)
 * leaves one log line, and the wall clock starts at WALLCLOCK_FALLBACK_UNIX.
 * Not done: writing the RTC, alarms, periodic interrupts, local-time RTCs.
 * Spec: MC146818A data sheet (UIP in register A, formats in register B);
 * ACPI 6.4 §5.2.9 Table 5.9 (FADT CENTURY). */
#ifndef KERNEL_RTC_H
#define KERNEL_RTC_H

/* Read the RTC, set the wall clock, log one line with the time (or why the
 * fallback is used), register `date`. Context: thread, once at boot, after
 * power_init() and timer_init(), before any thread reads the wall clock. */
void rtc_init(void);

#endif
