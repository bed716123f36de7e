/* SPDX-License-Identifier: MIT */
/* VGA text mode (80x25 at 0xB8000) mirror of the console output, for
 * `make run GUI=1`. Output only; scrolls; moves the hardware cursor. */
#ifndef KERNEL_CONSOLE_VGA_H
#define KERNEL_CONSOLE_VGA_H

#include "kernel/types.h"

void vga_init(void);
/* Context: any; the caller serialises (console lock). */
void vga_write(const char *text, size_t len);

#endif
