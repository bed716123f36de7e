// SPDX-License-Identifier: MIT
/* isr_dispatch: the C side of every interrupt (see isr.h). Exceptions never
 * return; IRQs go to kernel/irq.c, and when the outermost IRQ finishes the
 * scheduler gets its chance to switch threads (time slice over, or a handler
 * woke a thread of higher priority). */
#include "kernel/arch/isr.h"
#include "kernel/irq.h"
#include "kernel/sched_priv.h"

static struct {
    unsigned depth; /* IRQ handlers on the stack; only touched with IF clear */
} isr_state;

bool isr_in_irq(void)
{
    return isr_state.depth != 0;
}

void isr_dispatch(struct isr_frame *f)
{
    if (f->vector < ISR_EXCEPTIONS)
        exception_handle(f);

    isr_state.depth++;
    irq_dispatch(f->vector - ISR_IRQ_BASE);
    isr_state.depth--;

    /* The EOI has been sent: switching now cannot block other IRQs. */
    if (isr_state.depth == 0)
        sched_irq_exit();
}
