// SPDX-License-Identifier: MIT
/* The interrupt descriptor table: 256 gates, of which vectors 0-47 point at
 * the isr.asm stubs as ring-0 32-bit interrupt gates (IF is cleared on entry,
 * so handlers never nest). The rest stay not-present. SDM Vol. 3A, 6.11
 * (IDT descriptors, Figure 6-2). */
#include "kernel/arch/isr.h"
#include "kernel/arch/cpu.h"

#define IDT_GATES 256
#define IDT_KERNEL_CS 0x08      /* code selector loaded by boot/boot.asm */
#define IDT_TYPE_INTR32 0x8E    /* present, DPL 0, 32-bit interrupt gate */

/* One gate as the CPU reads it (SDM Vol. 3A, Figure 6-2). */
struct idt_gate_raw {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t zero;
    uint8_t type_attr;
    uint16_t offset_hi;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate_raw) == 8, "IDT gate layout");

static struct {
    struct idt_gate_raw gates[IDT_GATES]; /* written once by idt_init */
} idt_state __attribute__((aligned(8)));

static void idt_set_gate(unsigned vector, uint32_t handler)
{
    struct idt_gate_raw *g = &idt_state.gates[vector];
    g->offset_lo = (uint16_t)(handler & 0xFFFFu);
    g->selector = IDT_KERNEL_CS;
    g->zero = 0;
    g->type_attr = IDT_TYPE_INTR32;
    g->offset_hi = (uint16_t)(handler >> 16);
}

void idt_init(void)
{
    for (unsigned v = 0; v < ISR_STUBS; v++)
        idt_set_gate(v, isr_stub_table[v]);
    struct cpu_idt_ptr p = {
        .limit = (uint16_t)(sizeof(idt_state.gates) - 1),
        .base = (uint32_t)(uintptr_t)idt_state.gates,
    };
    cpu_lidt(&p);
}
