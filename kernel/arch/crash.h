/* SPDX-License-Identifier: MIT */
/* Test kernels only (-DSPINDLE_TEST): the shell command `crash ud|de|gp|pf`
 * raises a CPU exception on purpose, so a QEMU scenario can check the
 * register dump and the test-mode panic (QEMU exits with status 7).
 * In other kernels crash_register_commands() registers nothing. */
#ifndef KERNEL_ARCH_CRASH_H
#define KERNEL_ARCH_CRASH_H

/* Context: boot, after shell_init. */
void crash_register_commands(void);

#endif
