/* SPDX-License-Identifier: MIT */
/* The kernel services exported to driver modules (kernel/lib/ksym.h): heap,
 * string functions, time, locks, threads, IRQs, PCI and the log. blkdev
 * registers its own DISKFUNC exports; nothing here knows about it. */
#ifndef KERNEL_KSYMS_H
#define KERNEL_KSYMS_H

/* Register the kernel export table. Idempotent: later calls do nothing.
 * Returns 0 or the ksym_register error (logged). Context: thread, may sleep. */
int ksyms_kernel_init(void);

#endif
