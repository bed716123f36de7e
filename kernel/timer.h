/* SPDX-License-Identifier: MIT */
/* The system clock (implements kernel/time.h): PIT channel 0 at 1 kHz on
 * IRQ 0 drives preemption, sleeps and timeouts (sched_tick); time_us() reads
 * the TSC, calibrated against PIT channel 2 at boot, and falls back to
 * ticks plus a latch of the PIT counter on CPUs without a TSC. Before
 * timer_init the clock reads 0 and udelay() is a rough port-0x80 loop.
 * Intel 8254 datasheet (modes 0 and 2, counter latch); ISA port 0x61 bits
 * 0 (channel 2 gate), 1 (speaker) and 5 (channel 2 output). */
#ifndef KERNEL_TIMER_H
#define KERNEL_TIMER_H

#include "kernel/types.h"

#define TIMER_HZ 1000

/* Calibrate the TSC, start the 1 kHz tick and attach IRQ 0.
 * Context: boot, after sched_init, interrupts still off. Panics if IRQ 0
 * cannot be attached (nothing would ever wake a sleeper). */
void timer_init(void);

/* Ticks since timer_init. Context: any. */
uint64_t timer_ticks(void);

/* Measured TSC frequency in Hz, 0 if the TSC is not used. */
uint64_t timer_tsc_hz(void);

#endif
