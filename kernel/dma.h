/* SPDX-License-Identifier: MIT */
/* DMA buffers for drivers: physically contiguous, zeroed memory with both
 * addresses, so a driver never translates pointers itself. dma_alloc() takes
 * whole pages from the page allocator below a caller-given physical limit
 * (0x100000000 for 32-bit bus masters, 0x1000000 for ISA DMA); dma_free()
 * gives them back. The memory is ordinary cached RAM: x86 DMA is cache
 * coherent, so no flushing is needed; device registers are mapped with
 * mmio_map() (kernel/mm/paging.h) instead.
 * Locking: the page allocator's mutex, taken inside.
 * Context: thread; may sleep. Not from IRQ handlers. */
#ifndef KERNEL_DMA_H
#define KERNEL_DMA_H

#include "kernel/types.h"

/* Largest single buffer: a whole AHCI command table set or USB ring fits. */
#define DMA_MAX_BYTES (16u * 1024 * 1024)

struct dma_buf {
    void *virt;    /* CPU address of the first byte (identity: == phys) */
    uint64_t phys; /* bus address of the first byte */
    size_t bytes;  /* usable length: the request rounded up to whole pages */
};

/* Allocate `bytes` (1..DMA_MAX_BYTES) of zeroed, physically contiguous
 * memory whose first byte is aligned to `align` (power of two; 0..4096 mean
 * one page) and whose last byte lies below max_phys (exclusive; 0 means
 * below 4 GiB). Fills *out. Returns 0; ERR_INVAL (bad size or alignment,
 * out NULL); ERR_NOMEM (no such run free; *out is cleared). */
int dma_alloc(size_t bytes, size_t align, uint64_t max_phys, struct dma_buf *out);

/* Free a buffer from dma_alloc and clear *b. NULL or an already cleared
 * buffer is a no-op. */
void dma_free(struct dma_buf *b);

/* True if a 32-bit bus master can use [buf, buf + bytes) in place, with its
 * CPU address as bus address: RAM below pmm_map_top() (kernel/mm/pmm.h) is
 * identity-mapped, so such a range is physically contiguous. False for NULL.
 * Alignment a descriptor format needs is the caller's check. Otherwise the
 * driver copies through a dma_alloc() bounce buffer. Context: any. */
bool dma_can_direct(const void *buf, size_t bytes);

#endif
