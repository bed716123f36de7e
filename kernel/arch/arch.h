/* SPDX-License-Identifier: MIT */
/* CPU setup for kernel_main: arch_init() loads the IDT (CPU exceptions print
 * a register dump and panic, see isr.h) and remaps the 8259 PICs with every
 * IRQ masked (pic.h); kernel/irq.c unmasks lines as handlers attach.
 * arch_enable_interrupts() then turns interrupts on, once the scheduler and
 * the timer are ready. Low-level helpers live in cpu.h. */
#ifndef KERNEL_ARCH_ARCH_H
#define KERNEL_ARCH_ARCH_H

/* Context: boot, interrupts off, before mem_init. */
void arch_init(void);
/* Set EFLAGS.IF. Context: boot, after timer_init. */
void arch_enable_interrupts(void);

#endif
