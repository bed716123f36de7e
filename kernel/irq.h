/* SPDX-License-Identifier: MIT */
/* Hardware interrupt lines (8259 IRQ 0-15) and their handlers. A driver
 * attaches a handler with irq_attach() from thread context; the line is
 * unmasked while it has at least one handler. Lines may be shared (PCI INTx):
 * on each interrupt every handler of the line is called, in attach order,
 * and each returns true if its device raised the interrupt. The EOI is sent
 * after all handlers ran. Spurious IRQ 7/15 are counted, never dispatched.
 * Handlers run with interrupts off: they acknowledge the device, record the
 * status and wake the waiter (sem_up), and must not sleep or allocate.
 * `irqs` (registered by irq_register_commands) lists lines, counts and
 * handler names. */
#ifndef KERNEL_IRQ_H
#define KERNEL_IRQ_H

#include "kernel/types.h"

#define IRQ_LINES 16
#define IRQ_NAME_MAX 16 /* handler names are cut to this, for `irqs` */

struct irq_handler;
typedef bool (*irq_handler_fn)(void *ctx);

/* Attach handler(ctx) to line `irq`. name: a short device name (copied).
 * *out (if non-NULL) receives the record for irq_detach.
 * Returns 0, ERR_INVAL (irq >= 16, the cascade line 2, or no handler) or
 * ERR_NOMEM. Context: thread (allocates). Locking: takes the irq spinlock. */
int irq_attach(unsigned irq, bool (*handler)(void *ctx), void *ctx, const char *name,
               struct irq_handler **out);

/* Remove a handler; once this returns the handler will not be called again.
 * The line is masked when its last handler goes. NULL is ignored.
 * Context: thread (frees). Locking: takes the irq spinlock. */
void irq_detach(struct irq_handler *h);

/* Run the handlers of `irq` and send the EOI. Context: interrupt (isr.c). */
void irq_dispatch(unsigned irq);

/* Interrupts seen on a line (spurious ones excluded). Context: any. */
uint64_t irq_count(unsigned irq);

/* Register `irqs`. Context: boot, after shell_init. */
void irq_register_commands(void);

#endif
