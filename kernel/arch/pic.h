/* SPDX-License-Identifier: MIT */
/* The two cascaded 8259A interrupt controllers: remapped so IRQ 0-15 arrive
 * at vectors 0x20-0x2F (clear of the CPU exceptions), every line masked until
 * kernel/irq.c unmasks it for a handler. pic_is_spurious() tells the fake
 * IRQ 7/15 that a 8259 raises when a request vanishes before the CPU
 * acknowledged it (its in-service bit is clear); such an IRQ must not get an
 * EOI from the slave (IRQ 15 still needs one to the master for the cascade).
 * Intel 8259A datasheet: ICW1-4, OCW2 (EOI), OCW3 (read ISR).
 * Locking: callers run with interrupts off (IRQ path or under irq's lock). */
#ifndef KERNEL_ARCH_PIC_H
#define KERNEL_ARCH_PIC_H

#include "kernel/types.h"

#define PIC_IRQ_LINES 16
#define PIC_CASCADE_IRQ 2 /* master input wired to the slave; never a device */

/* Remap both PICs to vectors 0x20-0x2F and mask every line. */
void pic_init(void);
void pic_mask(unsigned irq);
void pic_unmask(unsigned irq);
/* End of interrupt for a real IRQ (slave lines notify both PICs). */
void pic_eoi(unsigned irq);
/* True if `irq` (7 or 15) is spurious; for IRQ 15 this also sends the
 * master's EOI that the cascade needs. Always false for other lines. */
bool pic_is_spurious(unsigned irq);

#endif
