/* SPDX-License-Identifier: MIT */
/* The interrupt entry path: isr.asm has one stub per vector 0-47 that pushes
 * a uniform struct isr_frame and calls isr_dispatch(), which sends CPU
 * exceptions (0-31) to exception_handle() and hardware IRQs (32-47) to
 * irq_dispatch() (kernel/irq.h), then lets the scheduler preempt on the way
 * out. Vectors 48-255 have no gate: using one raises #GP or #NP, which is
 * reported like any exception. Intel SDM Vol. 3A, 6.12 (exception and
 * interrupt handling), 6.13 (error code). */
#ifndef KERNEL_ARCH_ISR_H
#define KERNEL_ARCH_ISR_H

#include "kernel/types.h"

#define ISR_EXCEPTIONS 32  /* vectors 0-31: CPU exceptions */
#define ISR_IRQ_BASE 32    /* vectors 32-47: 8259 IRQ 0-15 (pic.h) */
#define ISR_STUBS 48       /* stubs in isr.asm, one per vector 0-47 */

/* What the stubs leave on the stack, lowest address first. Ring 0 only: the
 * CPU pushes no SS:ESP, so the interrupted ESP is just above `eflags`. */
struct isr_frame {
    uint32_t gs, fs, es, ds;                        /* pushed by isr_common */
    uint32_t edi, esi, ebp, esp_pusha, ebx, edx, ecx, eax; /* pushad */
    uint32_t vector;                                /* pushed by the stub */
    uint32_t error_code;                            /* CPU's, or 0 from the stub */
    uint32_t eip, cs, eflags;                       /* pushed by the CPU */
};
_Static_assert(sizeof(struct isr_frame) == 17 * 4, "isr.asm frame layout");

/* ESP of the interrupted code (ring 0: just past the CPU-pushed words). */
static inline uint32_t isr_frame_esp(const struct isr_frame *f)
{
    return (uint32_t)(uintptr_t)&f->eflags + 4;
}

/* Stub entry addresses, vector order (isr.asm). */
extern const uint32_t isr_stub_table[ISR_STUBS];

/* Called by isr_common with interrupts off. Context: interrupt. */
void isr_dispatch(struct isr_frame *f);

/* True while a hardware IRQ handler runs (sem_up uses it to defer the
 * reschedule to the end of the interrupt). */
bool isr_in_irq(void);

/* Register dump at KLOG_EMERG, then panic(). Context: exception. */
NORETURN void exception_handle(const struct isr_frame *f);

/* Fill the IDT with the 48 stubs and load it (idt.c). */
void idt_init(void);

#endif
