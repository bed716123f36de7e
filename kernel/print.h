/* SPDX-License-Identifier: MIT */
/* Program output (not the log): what shell commands print for the user. In the
 * kernel it goes to the console (serial + VGA); in hosted builds to stdout.
 * Log messages go through printk (kernel/klog.h) instead. */
#ifndef KERNEL_PRINT_H
#define KERNEL_PRINT_H

#include "kernel/types.h"
#include <stdarg.h>

void kwrite(const char *text, size_t len);
void kputs(const char *text); /* no newline added */
void kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
void kvprintf(const char *fmt, va_list ap);

#endif
