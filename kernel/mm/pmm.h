/* SPDX-License-Identifier: MIT */
/* Physical memory manager: the kernel's one page allocator. pmm_init() reads
 * the multiboot memory map (or mem_lower/mem_upper when there is none),
 * reserves what the boot left in memory, and builds a kernel/lib/pagealloc.h
 * allocator; then pmm_alloc_pages() and pmm_free_pages() hand out physically
 * contiguous page runs. Every page it manages lies below pmm_map_top() and so
 * is identity-mapped once paging is on (virtual address == physical).
 * Reserved and never handed out: the first 1 MiB (BIOS data, EBDA, ROMs,
 * real-mode leftovers), the kernel image __kernel_start..__kernel_end, the
 * multiboot information, memory map and module list, and every module.
 * Locking: one internal mutex; callers must not hold it (kmem and paging take
 * their own lock first, so the order is kmem/paging -> pmm).
 * Context: thread (or single-threaded boot); never from IRQ handlers. */
#ifndef KERNEL_MM_PMM_H
#define KERNEL_MM_PMM_H

#include "kernel/boot_info.h"
#include "kernel/lib/pagealloc.h"
#include "kernel/types.h"

#define PMM_PAGE_BYTES PAGEALLOC_PAGE_BYTES

/* Parse the boot loader's memory information in bi->mbi and build the
 * allocator. Returns 0; ERR_NOENT (no memory information at all); ERR_NOMEM
 * (no usable page left after reservations). Each problem is logged. Called
 * once by mem_init. */
int pmm_init(const struct boot_info *bi);

/* Allocate `pages` contiguous pages aligned to align_bytes (power of two,
 * 0 = page) lying wholly below max_phys (exclusive; 0 = anywhere). Contents
 * are not cleared. Fills *out_phys. Returns 0, ERR_INVAL, or ERR_NOMEM
 * (also before pmm_init). */
int pmm_alloc_pages(size_t pages, uint64_t align_bytes, uint64_t max_phys, uint64_t *out_phys);

/* Free pages from pmm_alloc_pages. Returns 0 or ERR_INVAL (logged; bad range
 * or double free, nothing changed). */
int pmm_free_pages(uint64_t phys, size_t pages);

/* Page counts (all zero before pmm_init). */
void pmm_get_stats(struct pagealloc_stats *out);

/* True if [phys, phys + bytes) touches RAM the firmware reported usable. */
bool pmm_overlaps_ram(uint64_t phys, uint64_t bytes);

/* End (exclusive, bytes) of the memory that must be identity-mapped: the
 * highest usable RAM, ACPI table or NVS range, and the reserved tail right
 * after a usable range (where SeaBIOS keeps its ACPI tables), below 4 GiB. */
uint64_t pmm_map_top(void);

#endif
