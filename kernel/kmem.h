/* SPDX-License-Identifier: MIT */
/* Kernel heap. kmalloc/kzalloc/krealloc/kfree behave like their C library
 * cousins; kmalloc_aligned returns memory aligned to a power of two (freed
 * with kfree). Out of memory returns NULL and never panics.
 * Context: may not be called from IRQ handlers. Thread-safe.
 * In hosted builds these wrap malloc, with a fault plan for tests
 * (tests/host/kmem_host.h: fail the Nth allocation). */
#ifndef KERNEL_KMEM_H
#define KERNEL_KMEM_H

#include "kernel/types.h"

void *kmalloc(size_t bytes);
void *kzalloc(size_t bytes);
void *krealloc(void *ptr, size_t bytes);
void kfree(void *ptr);
void *kmalloc_aligned(size_t bytes, size_t align);

struct kmem_stats {
    size_t total_bytes;  /* heap arena size */
    size_t used_bytes;   /* bytes in live allocations (payload + headers) */
    size_t free_bytes;   /* bytes in free blocks */
    size_t largest_free; /* largest single free block */
    size_t allocations;  /* live allocation count */
};
void kmem_get_stats(struct kmem_stats *out);

/* Memory-pressure hook: the heap calls each registered reclaimer, in order,
 * when an allocation would fail, asking it to free about `bytes`. The reclaimer
 * returns bytes it freed. Used by the sector cache to give memory back. */
typedef size_t (*kmem_reclaim_fn)(size_t bytes);
void kmem_register_reclaimer(kmem_reclaim_fn fn);

#endif
