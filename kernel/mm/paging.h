/* SPDX-License-Identifier: MIT */
/* Paging: one address space, identity-mapped (virtual == physical).
 * paging_init() maps [0, pmm_map_top()) -- all RAM, the ACPI tables and the
 * holes between them -- with 4 MiB pages (4 KiB pages when the CPU lacks
 * PSE), the first 4 MiB through a 4 KiB page table; then turns paging on.
 * Device memory is mapped on request, uncached, with mmio_map(); everything
 * else (PCI holes, APIC, ROM) faults until then. vm_guard_null_page() later
 * unmaps page 0 so that NULL dereferences fault.
 * Does not: map anything above 4 GiB (no PAE), unmap, or give user mappings.
 * Intel SDM Vol. 3A §4.3 (32-bit paging), Table 4-4/4-6 (PDE for a 4 MiB
 * page / page table), §4.9 (PCD/PWT), §4.10.4 (TLB invalidation). */
#ifndef KERNEL_MM_PAGING_H
#define KERNEL_MM_PAGING_H

#include "kernel/types.h"

/* Build the page directory and enable paging (CR4.PSE, CR3, CR0.PG|WP).
 * Needs pmm_init() first. Logs one line. Context: single-threaded boot. */
void paging_init(void);

/* Make [phys, phys + bytes) of device memory accessible, uncached
 * (PCD|PWT), and return its virtual address (identity: == phys) in
 * *out_virt. Mapping the same range twice is fine. Page tables come from the
 * page allocator.
 * Returns 0; ERR_INVAL (bytes 0, out_virt NULL, or the range overlaps usable
 * RAM: RAM is never remapped uncached; logged); ERR_RANGE (ends above 4 GiB);
 * ERR_NOMEM (no page for a page table); ERR_BUSY (paging not on yet).
 * Locking: takes the paging mutex, then the pmm mutex.
 * Context: thread; may sleep. Not from IRQ handlers. */
int mmio_map(uint64_t phys, size_t bytes, void **out_virt);

/* True if the byte at p is mapped now (always true before paging is on).
 * Context: any; lock-free read of the tables. */
bool vm_is_mapped(const void *p);

/* Unmap page 0 (0..4 KiB) so NULL and small-offset dereferences fault. Call
 * it after the last reader of the real-mode BIOS data area (acpi_init reads
 * the EBDA pointer at 0x40E): in kernel_main, right after power_init().
 * Context: thread. */
void vm_guard_null_page(void);

#endif
