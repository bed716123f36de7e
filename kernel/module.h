/* SPDX-License-Identifier: MIT */
/* Driver modules: ELF32 relocatable objects (ET_REL, EM_386) that GRUB loads
 * as multiboot modules (boot_info.modules[]). Use: every exporting layer
 * registers its export table with ksym_register() during its init (kernel
 * services: kernel/ksyms.c, done here; blkdev: DiskAdd, DiskDel,
 * DiskMediaChanged); then kernel_main calls module_load_all() once, which
 * links each module into kernel heap memory (kernel/lib/elf_reloc.c) and
 * calls its entry point. Finally `modules` lists the outcome per module.
 *
 * Module contract: the object defines a global symbol `START`, called as
 * stdcall `int START(unsigned reason)` with reason MODULE_REASON_LOAD, in
 * thread context (may sleep), once. It returns 0 to stay loaded or nonzero
 * to decline, after undoing everything it did (the image is freed at once).
 * Exports keep their C calling convention: the DISKFUNC ABI (DiskAdd...) is
 * stdcall, everything else (printk, kmalloc, mutex_lock...) is cdecl.
 * A loaded module stays for the life of the kernel (no unload).
 * A bad module (not ELF, truncated, unknown symbol, bad relocation, no START)
 * is rejected with one log line "module: <name>: <what> (<values>)" and the
 * boot goes on. Not done: unloading, module dependencies, running
 * constructors (.init_array), modules larger than ELF_RELOC_MAX_IMAGE_BYTES. */
#ifndef KERNEL_MODULE_H
#define KERNEL_MODULE_H

#include "kernel/lib/ksym.h"
#include "kernel/types.h"

/* The `reason` START gets (KolibriOS drivers also get 1 = DRV_ENTRY). */
#define MODULE_REASON_LOAD 1u

/* Link and start every boot module, in GRUB's order. Registers the kernel
 * export table first (ksyms_kernel_init). Call once, after the block layer
 * (and any other exporter) is initialised and has registered its exports.
 * Each module logs one line: loaded, declined or rejected.
 * Locking: takes the module mutex briefly (not while START runs).
 * Context: thread (kernel_main), may sleep. */
void module_load_all(void);

/* Register the `modules` shell command (name, image size, status of each boot
 * module). Call after shell_init(). */
void module_register_commands(void);

#endif
