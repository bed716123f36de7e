// SPDX-License-Identifier: MIT
/* 8259A pair (see pic.h). The initialisation words follow the datasheet
 * order ICW1..ICW4 with a short io_wait() between writes, as old boards
 * need. */
#include "kernel/arch/pic.h"
#include "kernel/hwio.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1

#define PIC_ICW1_INIT 0x10   /* start initialisation */
#define PIC_ICW1_ICW4 0x01   /* ICW4 follows */
#define PIC_ICW4_8086 0x01   /* 8086/88 mode */
#define PIC_OCW2_EOI 0x20    /* non-specific end of interrupt */
#define PIC_OCW3_READ_ISR 0x0B
#define PIC_VECTOR_MASTER 0x20
#define PIC_VECTOR_SLAVE 0x28
#define PIC_SPURIOUS_BIT 0x80 /* ISR bit of IRQ 7 (master) or 15 (slave) */

static struct {
    uint16_t mask; /* bit n set = IRQ n masked; written with interrupts off */
} pic_state;

static void pic_write_mask(void)
{
    outb(PIC1_DATA, (uint8_t)(pic_state.mask & 0xFF));
    outb(PIC2_DATA, (uint8_t)(pic_state.mask >> 8));
}

void pic_init(void)
{
    /* 1. ICW1: edge triggered, cascaded, ICW4 needed. */
    outb(PIC1_CMD, PIC_ICW1_INIT | PIC_ICW1_ICW4);
    io_wait();
    outb(PIC2_CMD, PIC_ICW1_INIT | PIC_ICW1_ICW4);
    io_wait();
    /* 2. ICW2: vector bases. */
    outb(PIC1_DATA, PIC_VECTOR_MASTER);
    io_wait();
    outb(PIC2_DATA, PIC_VECTOR_SLAVE);
    io_wait();
    /* 3. ICW3: slave on master input 2; slave identity 2. */
    outb(PIC1_DATA, 1u << PIC_CASCADE_IRQ);
    io_wait();
    outb(PIC2_DATA, PIC_CASCADE_IRQ);
    io_wait();
    /* 4. ICW4: 8086 mode, normal EOI. */
    outb(PIC1_DATA, PIC_ICW4_8086);
    io_wait();
    outb(PIC2_DATA, PIC_ICW4_8086);
    io_wait();
    /* 5. Everything masked except the cascade, which slave lines need. */
    pic_state.mask = (uint16_t)~(1u << PIC_CASCADE_IRQ);
    pic_write_mask();
}

void pic_mask(unsigned irq)
{
    if (irq >= PIC_IRQ_LINES || irq == PIC_CASCADE_IRQ)
        return;
    pic_state.mask |= (uint16_t)(1u << irq);
    pic_write_mask();
}

void pic_unmask(unsigned irq)
{
    if (irq >= PIC_IRQ_LINES)
        return;
    pic_state.mask &= (uint16_t)~(1u << irq);
    pic_write_mask();
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        outb(PIC2_CMD, PIC_OCW2_EOI);
    outb(PIC1_CMD, PIC_OCW2_EOI);
}

static uint8_t pic_read_isr(uint16_t cmd_port)
{
    outb(cmd_port, PIC_OCW3_READ_ISR);
    return inb(cmd_port);
}

bool pic_is_spurious(unsigned irq)
{
    if (irq == 7)
        return (pic_read_isr(PIC1_CMD) & PIC_SPURIOUS_BIT) == 0;
    if (irq == 15) {
        if (pic_read_isr(PIC2_CMD) & PIC_SPURIOUS_BIT)
            return false;
        /* The master did see its cascade input: acknowledge that one. */
        outb(PIC1_CMD, PIC_OCW2_EOI);
        return true;
    }
    return false;
}
