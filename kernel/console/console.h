/* SPDX-License-Identifier: MIT */
/* The kernel console: output to COM1 and the VGA text screen, input from COM1
 * through the line editor, and the shell loop. Bring-up is two-step:
 * console_early_init() (polled, before anything else) and console_init()
 * (interrupt-driven input, after the IRQ layer and threads are up).
 * Implements kernel/print.h (kprintf...) for the kernel build. */
#ifndef KERNEL_CONSOLE_CONSOLE_H
#define KERNEL_CONSOLE_CONSOLE_H

#include "kernel/types.h"

void console_early_init(void);
void console_init(void);
/* klog sink: writes log lines to the console. */
void console_log_sink(int level, const char *line, size_t len);
/* Registers the kernel-only shell commands owned by the console. */
void console_register_commands(void);
/* Read-eval-print loop: prompt, read a line, run it. Never returns. */
NORETURN void console_shell_run(void);

#endif
