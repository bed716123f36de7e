/* SPDX-License-Identifier: MIT */
/* Power off and reboot. power_init() (kernel_main) runs the ACPI discovery
 * (kernel/acpi.h) and logs what it found; power_off() then enters ACPI S5
 * through PM1a/PM1b_CNT, power_reboot() tries the ACPI reset register, the
 * keyboard controller, port 0xCF9 and finally a triple fault, and
 * power_qemu_exit() ends a QEMU run with a chosen status for tests. The
 * commands `poweroff` and `reboot` are registered by power_register_commands().
 * Not done: sleep states other than S5, and any AML evaluation (_PTS, _GTS).
 * Spec: ACPI 6.4 §4.8.3.2.1 (PM1_CNT: SCI_EN, SLP_TYP, SLP_EN), §7.4.2 (\_S5),
 * §16.1.7 (transitioning to S5), §4.8.3.6 (reset register). */
#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

#include "kernel/types.h"

/* isa-debug-exit port used by the test runner (-device isa-debug-exit,
 * iobase=0xf4,iosize=4). */
#define POWER_QEMU_EXIT_PORT 0xf4

/* Find the ACPI tables needed for power off and log a summary (or that the
 * QEMU defaults will be used). Context: thread, once at boot. */
void power_init(void);

/* Turn the machine off (ACPI S5). If the ACPI data is missing or the write
 * has no effect, the QEMU/Bochs default PM1a_CNT ports are tried (one log
 * line), then the CPU halts for good. Prints nothing on success.
 * Context: thread; interrupts are disabled on the way out. */
NORETURN void power_off(void);

/* Reset the machine: ACPI reset register if the FADT has one, else the 8042
 * keyboard controller (0xFE to port 0x64), else port 0xCF9, else a triple
 * fault. Each fallback step is logged. Context: thread. */
NORETURN void power_reboot(void);

/* Leave QEMU with exit status (code << 1) | 1 through isa-debug-exit (port
 * 0xf4) if present, else power off (exit status 0). Used by test-mode
 * panics. code 0..255. Context: any. */
NORETURN void power_qemu_exit(int code);

/* Register the `poweroff` and `reboot` shell commands. Call after shell_init(). */
void power_register_commands(void);

#endif
