// SPDX-License-Identifier: MIT
/* CPU bring-up (see arch.h): exception and IRQ gates, then the interrupt
 * controller with every line masked. Interrupts stay off until
 * arch_enable_interrupts(), after the timer and scheduler exist. */
#include "kernel/arch/arch.h"
#include "kernel/arch/cpu.h"
#include "kernel/arch/isr.h"
#include "kernel/arch/pic.h"

void arch_init(void)
{
    idt_init();
    pic_init();
}

void arch_enable_interrupts(void)
{
    cpu_sti();
}
