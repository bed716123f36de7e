/* SPDX-License-Identifier: MIT */
/* Monotonic time and delays. time_ms()/time_us() count from boot (kernel: the
 * 1 kHz PIT plus the TSC for sub-millisecond precision; hosted: CLOCK_MONOTONIC).
 * sleep_ms() blocks the calling thread (others run); udelay() busy-waits and
 * is for short hardware settle times only. */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include "kernel/types.h"

uint64_t time_ms(void);
uint64_t time_us(void);
/* Context: thread, may sleep. */
void sleep_ms(uint32_t ms);
/* Context: any. Busy-waits, calibrated at boot. */
void udelay(uint32_t us);

#endif
