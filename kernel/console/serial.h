/* SPDX-License-Identifier: MIT */
/* 16550 UART on COM1 (I/O 0x3F8, IRQ 4), 115200 8N1. Output is polled with a
 * bounded wait per byte (a missing UART never hangs the kernel); input is
 * interrupt-driven into a ring once serial_enable_irq() succeeds, polled
 * before that. Reference: TI PC16550D data sheet (registers and LSR bits). */
#ifndef KERNEL_CONSOLE_SERIAL_H
#define KERNEL_CONSOLE_SERIAL_H

#include "kernel/types.h"

/* Program the UART; returns false if no UART answers (loopback test). */
bool serial_init(void);
/* Send bytes, translating "\n" to "\r\n". Context: any; caller serialises. */
void serial_write(const char *text, size_t len);
/* Switch input to IRQ 4. Returns 0 or the irq_attach error (stays polled). */
int serial_enable_irq(void);
/* Next received byte; blocks (sleeps in IRQ mode, polls before). */
int serial_getc(void);

#endif
