/* SPDX-License-Identifier: MIT */
/* The kernel export table that driver modules link against. Each subsystem
 * that exports functions registers one static table of {name, address} at
 * init (kernel/ksyms.c for kernel services, blkdev for DiskAdd and friends);
 * the module loader (kernel/module.c) then resolves each undefined symbol of
 * a module with ksym_lookup(). Names are the C names exactly as a module
 * spells them (no underscore prefix: modules are ELF). Registration is the
 * only way in, so kernel/ never includes the layers above it (STYLE §1).
 * Not done here: versioning, unregistering (exports live forever).
 * Portable: also built hosted, so blkdev can register in both builds. */
#ifndef KERNEL_LIB_KSYM_H
#define KERNEL_LIB_KSYM_H

#include "kernel/types.h"

/* One export. Both fields must stay valid forever (static tables). */
struct ksym {
    const char *name; /* symbol name, e.g. "DiskAdd" */
    void *addr;       /* its address */
};

/* Exporting tables: kernel services, blkdev, and room for a few more. */
#define KSYM_MAX_TABLES 8

/* Helper for table entries: KSYM_ENTRY(printk). */
#define KSYM_ENTRY(sym) { #sym, (void *)(sym) }

/* Register `count` exports. The table is not copied and must stay valid.
 * Returns 0; ERR_INVAL (NULL table, count 0, an entry without name or
 * address); ERR_EXIST (a name is already exported, by this table or another;
 * logged, nothing registered); ERR_NOSPC (KSYM_MAX_TABLES reached).
 * Locking: takes the ksym mutex. Context: thread, may sleep. */
int ksym_register(const struct ksym *table, size_t count);

/* Address of export `name`. Returns 0 and fills *out_addr, or ERR_NOENT.
 * Locking: takes the ksym mutex. Context: thread, may sleep. */
int ksym_lookup(const char *name, void **out_addr);

/* Number of exports registered (for logs and tests). */
size_t ksym_count(void);

/* Forget every table (hosted tests only; the kernel never unregisters). */
void ksym_reset(void);

#endif
