// SPDX-License-Identifier: MIT
/* COM1 16550 driver (see serial.h). The receive ring is filled by the IRQ
 * handler and drained by one reader, the shell thread; `rx_ready` counts
 * bytes in the ring so the reader sleeps instead of polling. */
#include "kernel/console/serial.h"
#include "kernel/hwio.h"
#include "kernel/irq.h"
#include "kernel/sync.h"

/* PC16550D register offsets from the base port, and the bits we use. */
#define COM1_BASE 0x3F8
#define COM1_IRQ 4
#define UART_DATA 0        /* RBR / THR; DLL when DLAB=1 */
#define UART_IER 1         /* interrupt enable; DLM when DLAB=1 */
#define UART_FCR 2         /* FIFO control (write) */
#define UART_LCR 3         /* line control */
#define UART_MCR 4         /* modem control */
#define UART_LSR 5         /* line status */
#define UART_IER_RX 0x01   /* received data available */
#define UART_LCR_8N1 0x03
#define UART_LCR_DLAB 0x80
/* Enable FIFOs, clear only the transmit FIFO (bytes typed before the kernel
 * started stay readable), 14-byte receive trigger. */
#define UART_FCR_ENABLE 0xC5
#define UART_MCR_DTR_RTS_OUT2 0x0B /* OUT2 gates the IRQ line on PCs */
#define UART_MCR_LOOP 0x10
#define UART_LSR_DR 0x01   /* data ready */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_DIVISOR_115200 1
/* THRE wait per byte: 115200 baud sends a byte in ~87 us; allow far more. */
#define SERIAL_TX_SPIN_LIMIT 100000

#define SERIAL_RX_RING 256 /* bytes; typed input, a power of two */

static struct {
    bool present;              /* UART answered the loopback test */
    bool irq_mode;             /* input arrives by IRQ (else polled) */
    uint8_t rx[SERIAL_RX_RING]; /* written by the IRQ handler only */
    volatile uint32_t rx_head; /* IRQ handler advances */
    volatile uint32_t rx_tail; /* reader advances */
    uint32_t rx_dropped;       /* bytes lost to a full ring */
    struct semaphore rx_ready; /* one unit per byte in the ring */
    struct irq_handler *irq;
} serial_state;

bool serial_init(void)
{
    /* 1. Interrupts off, 115200 baud, 8N1. */
    outb(COM1_BASE + UART_IER, 0);
    outb(COM1_BASE + UART_LCR, UART_LCR_DLAB);
    outb(COM1_BASE + UART_DATA, UART_DIVISOR_115200 & 0xFF);
    outb(COM1_BASE + UART_IER, UART_DIVISOR_115200 >> 8);
    outb(COM1_BASE + UART_LCR, UART_LCR_8N1);
    outb(COM1_BASE + UART_FCR, UART_FCR_ENABLE);
    /* 2. Is there a UART? A byte already waiting (typed before we started)
     *    proves it, and the loopback test would overwrite that byte; else
     *    loop a byte back: a missing UART reads back 0xFF or garbage. */
    uint8_t lsr = inb(COM1_BASE + UART_LSR);
    if (lsr != 0xFF && (lsr & UART_LSR_DR)) {
        serial_state.present = true;
    } else {
        outb(COM1_BASE + UART_MCR, UART_MCR_LOOP | 0x0F);
        outb(COM1_BASE + UART_DATA, 0xA5);
        serial_state.present = inb(COM1_BASE + UART_DATA) == 0xA5;
    }
    /* 3. Normal operation with OUT2 set so the IRQ can reach the PIC. */
    outb(COM1_BASE + UART_MCR, UART_MCR_DTR_RTS_OUT2);
    return serial_state.present;
}

void serial_write(const char *text, size_t len)
{
    if (!serial_state.present)
        return;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n')
            serial_write("\r", 1);
        for (int spin = 0; spin < SERIAL_TX_SPIN_LIMIT; spin++) {
            if (inb(COM1_BASE + UART_LSR) & UART_LSR_THRE)
                break;
        }
        outb(COM1_BASE + UART_DATA, (uint8_t)text[i]);
    }
}

/* IRQ 4: move every received byte into the ring. Runs with interrupts off. */
static bool serial_irq(void *ctx)
{
    (void)ctx;
    bool handled = false;
    while (inb(COM1_BASE + UART_LSR) & UART_LSR_DR) {
        uint8_t c = inb(COM1_BASE + UART_DATA);
        handled = true;
        if (serial_state.rx_head - serial_state.rx_tail == SERIAL_RX_RING) {
            serial_state.rx_dropped++;
            continue;
        }
        serial_state.rx[serial_state.rx_head % SERIAL_RX_RING] = c;
        serial_state.rx_head++;
        sem_up(&serial_state.rx_ready);
    }
    return handled;
}

int serial_enable_irq(void)
{
    if (!serial_state.present)
        return 0;
    sem_init(&serial_state.rx_ready, 0);
    int rc = irq_attach(COM1_IRQ, serial_irq, NULL, "com1", &serial_state.irq);
    if (rc)
        return rc;
    serial_state.irq_mode = true;
    outb(COM1_BASE + UART_IER, UART_IER_RX);
    return 0;
}

int serial_getc(void)
{
    if (!serial_state.irq_mode) {
        /* Before IRQs work: poll the UART directly. */
        while (!(inb(COM1_BASE + UART_LSR) & UART_LSR_DR))
            continue;
        return inb(COM1_BASE + UART_DATA);
    }
    sem_down(&serial_state.rx_ready);
    uint8_t c = serial_state.rx[serial_state.rx_tail % SERIAL_RX_RING];
    serial_state.rx_tail++;
    return c;
}
