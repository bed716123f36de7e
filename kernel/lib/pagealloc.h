/* SPDX-License-Identifier: MIT */
/* Physical page frame allocator (4 KiB pages, physical addresses below 4 GiB).
 * Use: give pagealloc_init() bitmap storage, the firmware memory map and the
 * ranges that must never be handed out (kernel image, boot modules, boot
 * structures, the first 1 MiB); then allocate runs with pagealloc_alloc() and
 * give them back with pagealloc_free().
 *
 * Why a bitmap and not a buddy allocator: a 32-bit kernel has at most 1 Mi
 * pages, so two bitmaps cost 256 KiB for the full 4 GiB. Our callers ask for
 * a few large runs (heap arenas, DMA buffers) with arbitrary page counts,
 * an alignment and an upper address limit; a bitmap answers exactly that
 * (no rounding to powers of two, no per-order limits) with word-at-a-time
 * scans, and a double free or a free of a reserved page is detected exactly.
 * Runs are taken from the top of the allowed window downward, which keeps
 * low memory (below 16 MiB) for devices that can only reach there.
 *
 * The memory map is hostile input, validated here (tolerate-and-clamp, each
 * defect logged once): zero-length entries are ignored; usable entries above
 * 4 GiB are ignored (no PAE) and entries crossing 4 GiB are clamped; usable
 * edges that are not page-aligned are trimmed inward; overlapping usable
 * entries merge; any non-usable entry or reserved range wins over usable RAM
 * (rounded outward to whole pages). RAM beyond the bitmap coverage is ignored.
 *
 * Pure and hardware-free: "physical addresses" are only numbers here, nothing
 * is read or written at them. Locking: none; the caller serialises every call
 * on one allocator (kernel/mm/pmm.c holds a mutex). Context: any that the
 * caller's lock allows; nothing here sleeps or allocates. */
#ifndef KERNEL_LIB_PAGEALLOC_H
#define KERNEL_LIB_PAGEALLOC_H

#include "kernel/types.h"

#define PAGEALLOC_PAGE_BYTES 4096u
#define PAGEALLOC_PAGE_SHIFT 12
/* Highest physical address + 1 we manage: 32-bit kernel without PAE. */
#define PAGEALLOC_PHYS_LIMIT 0x100000000ull
/* uint32_t words of storage pagealloc_init() needs to cover `pages` pages
 * (two bitmaps of one bit per page). 65536 words (256 KiB) cover 4 GiB. */
#define PAGEALLOC_STORAGE_WORDS(pages) (2 * (((size_t)(pages) + 31) / 32))

/* One range of physical memory, in bytes. */
struct pagealloc_region {
    uint64_t base;  /* first byte, physical */
    uint64_t bytes; /* length in bytes; 0 is tolerated and ignored */
    bool usable;    /* memory map: true = RAM we may use; ignored in reserved lists */
};

struct pagealloc_stats {
    uint32_t ram_pages;   /* pages of usable RAM found in the map (before reservations) */
    uint32_t total_pages; /* pages this allocator manages (RAM minus reserved) */
    uint32_t free_pages;  /* managed pages not allocated now */
};

/* All fields are private to pagealloc.c; written only by its functions under
 * the caller's lock. */
struct pagealloc {
    uint32_t *used_map;   /* bit set = page not available (allocated or unmanaged) */
    uint32_t *ram_map;    /* bit set = page is managed RAM (free or allocated) */
    uint32_t page_count;  /* pages covered by the maps, from physical 0 */
    uint32_t ram_pages;   /* see struct pagealloc_stats */
    uint32_t total_pages;
    uint32_t free_pages;
};

/* Build the allocator.
 * storage/storage_words: caller-owned bitmap memory, which must stay valid for
 *   the allocator's lifetime; coverage is storage_words / 2 * 32 pages from
 *   physical 0 (see PAGEALLOC_STORAGE_WORDS), at most 4 GiB.
 * map/map_count: the firmware memory map, in any order, possibly overlapping.
 * reserved/reserved_count: ranges never to hand out (may be NULL/0). These
 *   are expected to overlap RAM and are not logged.
 * Returns 0; ERR_INVAL for bad arguments (NULL storage, fewer than 2 words);
 * ERR_NOMEM if no usable page remains (the allocator is then empty but valid).
 * Logs one line per defective map entry ("pagealloc: map entry N ..."). */
int pagealloc_init(struct pagealloc *pa, uint32_t *storage, size_t storage_words,
                   const struct pagealloc_region *map, size_t map_count,
                   const struct pagealloc_region *reserved, size_t reserved_count);

/* Allocate `pages` physically contiguous pages whose first byte is aligned to
 * align_bytes and whose last byte lies below max_phys.
 * align_bytes: power of two; values below 4096 mean 4096.
 * max_phys: exclusive upper limit in bytes (0x1000000 = below 16 MiB for ISA
 *   DMA, 0x100000000 = below 4 GiB); 0 means no limit.
 * out_phys: physical address of the first page.
 * Returns 0; ERR_INVAL (pages == 0, align not a power of two); ERR_NOMEM (no
 * such run free). Pages are not cleared. */
int pagealloc_alloc(struct pagealloc *pa, size_t pages, uint64_t align_bytes, uint64_t max_phys,
                    uint64_t *out_phys);

/* Give back `pages` pages starting at phys, exactly as allocated (a run may
 * also be freed in parts). Returns 0; ERR_INVAL, with a log line and nothing
 * changed, if phys is unaligned, the range is outside managed RAM, or any
 * page in it is not allocated (double free). */
int pagealloc_free(struct pagealloc *pa, uint64_t phys, size_t pages);

/* True if the page containing phys is managed and allocated now. */
bool pagealloc_is_allocated(const struct pagealloc *pa, uint64_t phys);

void pagealloc_get_stats(const struct pagealloc *pa, struct pagealloc_stats *out);

#endif
