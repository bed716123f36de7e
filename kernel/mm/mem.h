/* SPDX-License-Identifier: MIT */
/* Memory bring-up and the `mem` shell command. kernel_main calls mem_init()
 * once, early and single-threaded: it parses the multiboot memory map into
 * the page allocator (kernel/mm/pmm.h), turns on identity paging
 * (kernel/mm/paging.h) and creates the kernel heap (kernel/kmem.h), then logs
 * one line with RAM and heap sizes. Failures are logged and leave the later
 * parts off (no heap: kmalloc returns NULL); it never panics.
 * After shell_init(), mem_register_commands() adds `mem` and `mem check`. */
#ifndef KERNEL_MM_MEM_H
#define KERNEL_MM_MEM_H

/* Context: boot, single-threaded, before the scheduler. */
void mem_init(void);

/* Register `mem` (page and heap statistics) and `mem check` (heap integrity
 * walk). Call once after shell_init(). Context: thread. */
void mem_register_commands(void);

#endif
