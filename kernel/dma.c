// SPDX-License-Identifier: MIT
/* DMA buffers on the page allocator (contract in kernel/dma.h). Every page
 * the allocator manages is identity-mapped, so virt == phys. */
#include "kernel/dma.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/mm/pmm.h"

/* 32-bit bus masters: the default limit. */
#define DMA_DEFAULT_LIMIT 0x100000000ull

int dma_alloc(size_t bytes, size_t align, uint64_t max_phys, struct dma_buf *out)
{
    size_t pages;
    uint64_t phys;
    int rc;

    /* 1. Check the request. */
    if (!out)
        return ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (bytes == 0 || bytes > DMA_MAX_BYTES || (align && !IS_POW2(align))) {
        pr_err("dma: bad request (bytes %zu, align %zu)", bytes, align);
        return ERR_INVAL;
    }
    pages = ALIGN_UP(bytes, (size_t)PMM_PAGE_BYTES) / PMM_PAGE_BYTES;

    /* 2. A contiguous run below the limit, then cleared. */
    rc = pmm_alloc_pages(pages, align, max_phys ? max_phys : DMA_DEFAULT_LIMIT, &phys);
    if (rc) {
        pr_warn("dma: no memory (%zu pages, align %zu, below 0x%llx)", pages, align,
                (unsigned long long)(max_phys ? max_phys : DMA_DEFAULT_LIMIT));
        return rc;
    }
    out->virt = (void *)(uintptr_t)phys;
    out->phys = phys;
    out->bytes = pages * PMM_PAGE_BYTES;
    memset(out->virt, 0, out->bytes);
    return 0;
}

void dma_free(struct dma_buf *b)
{
    if (!b || b->bytes == 0)
        return;
    pmm_free_pages(b->phys, b->bytes / PMM_PAGE_BYTES); /* logs a bad buffer */
    memset(b, 0, sizeof(*b));
}

bool dma_can_direct(const void *buf, size_t bytes)
{
    uintptr_t a = (uintptr_t)buf;
    return a != 0 && (uint64_t)a + bytes <= pmm_map_top();
}
