// SPDX-License-Identifier: MIT
/* kernel/kmem.h on the kernel/lib/heap.h algorithm. kmem_init takes a first
 * arena of contiguous pages; later misses grow the heap by whole page runs
 * (at least KMEM_GROW_BYTES) from the page allocator. All pages are
 * identity-mapped, so an arena's virtual address is its physical address.
 * Out of memory: the registered reclaimers run once, unlocked (they free
 * through kfree), then the allocation is retried; if that fails too the
 * caller gets NULL. Nothing here panics.
 * Locking: kmem_state.lock (a mutex) serialises the heap; the grow callback
 * runs under it and takes the pmm mutex (order kmem -> pmm).
 * Context: thread only, never from IRQ handlers (the mutex may sleep);
 * before the scheduler starts the uncontended mutex is fine. */
#include "kernel/kmem.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/heap.h"
#include "kernel/lib/kstring.h"
#include "kernel/mm/mem_priv.h"
#include "kernel/mm/pmm.h"
#include "kernel/sync.h"

#define KMEM_INITIAL_MAX_BYTES (64u * 1024 * 1024) /* first arena cap */
#define KMEM_INITIAL_MIN_BYTES (256u * 1024)       /* below this, give up */
/* Growth step: large enough that arenas stay few (kfree walks them). */
#define KMEM_GROW_BYTES (4u * 1024 * 1024)
/* Reclaimers: the sector cache and a few more are expected. */
#define KMEM_MAX_RECLAIMERS 8

static struct {
    struct mutex lock;  /* protects heap and reclaimers */
    struct heap heap;   /* the kernel heap */
    bool lock_ready;    /* lock initialised (start of kmem_init) */
    bool ready;         /* heap usable: set once by kmem_init */
    kmem_reclaim_fn reclaimers[KMEM_MAX_RECLAIMERS];
    unsigned reclaimer_count;
} kmem_state;

/* heap_grow_fn: a run of at least min_bytes, preferably KMEM_GROW_BYTES. */
static int kmem_grow(void *ctx, size_t min_bytes, void **out_base, size_t *out_bytes)
{
    size_t min_pages = ALIGN_UP(min_bytes, (size_t)PMM_PAGE_BYTES) / PMM_PAGE_BYTES;
    size_t pages = MAX(min_pages, (size_t)KMEM_GROW_BYTES / PMM_PAGE_BYTES);
    uint64_t phys;

    (void)ctx;
    if (min_bytes > HEAP_ARENA_MAX_BYTES)
        return ERR_NOMEM;
    if (pmm_alloc_pages(pages, 0, 0, &phys) != 0) {
        pages = min_pages;
        if (pmm_alloc_pages(pages, 0, 0, &phys) != 0)
            return ERR_NOMEM;
    }
    *out_base = (void *)(uintptr_t)phys;
    *out_bytes = pages * PMM_PAGE_BYTES;
    return 0;
}

int kmem_init(void)
{
    struct pagealloc_stats ps;
    size_t bytes;
    uint64_t phys;

    /* 1. The heap, empty, growing from the page allocator. */
    mutex_init(&kmem_state.lock, "kmem");
    kmem_state.lock_ready = true;
    heap_init(&kmem_state.heap, kmem_grow, NULL);

    /* 2. First arena: a quarter of RAM up to 64 MiB, halved until it fits. */
    pmm_get_stats(&ps);
    bytes = MIN((size_t)ps.total_pages / 4, (size_t)KMEM_INITIAL_MAX_BYTES / PMM_PAGE_BYTES) *
            PMM_PAGE_BYTES;
    for (;; bytes /= 2) {
        bytes = ALIGN_DOWN(bytes, (size_t)PMM_PAGE_BYTES);
        if (bytes < KMEM_INITIAL_MIN_BYTES) {
            pr_err("kmem: no memory for the heap (%u pages free)", ps.free_pages);
            return ERR_NOMEM;
        }
        if (pmm_alloc_pages(bytes / PMM_PAGE_BYTES, 0, 0, &phys) == 0)
            break;
    }
    if (heap_add_arena(&kmem_state.heap, (void *)(uintptr_t)phys, bytes) != 0) {
        pmm_free_pages(phys, bytes / PMM_PAGE_BYTES);
        return ERR_NOMEM;
    }
    kmem_state.ready = true;
    return 0;
}

/* Ask every reclaimer, unlocked, to give back about `bytes`. */
static void kmem_reclaim(size_t bytes)
{
    kmem_reclaim_fn fns[KMEM_MAX_RECLAIMERS];
    unsigned n;

    mutex_lock(&kmem_state.lock);
    n = kmem_state.reclaimer_count;
    memcpy(fns, kmem_state.reclaimers, n * sizeof(fns[0]));
    mutex_unlock(&kmem_state.lock);
    for (unsigned i = 0; i < n; i++)
        fns[i](bytes);
}

/* Allocation or reallocation with one reclaim-and-retry round. */
static void *kmem_get(void *old, size_t bytes, size_t align)
{
    void *p = NULL;
    int rc = ERR_NOMEM;

    if (!kmem_state.ready)
        return NULL;
    for (int attempt = 0; attempt < 2 && rc == ERR_NOMEM; attempt++) {
        if (attempt == 1)
            kmem_reclaim(bytes);
        mutex_lock(&kmem_state.lock);
        rc = old ? heap_realloc(&kmem_state.heap, old, bytes, &p)
                 : heap_alloc(&kmem_state.heap, bytes, align, &p);
        mutex_unlock(&kmem_state.lock);
    }
    if (rc == ERR_NOMEM)
        pr_warn("kmem: out of memory (%zu bytes, align %zu)", bytes, align);
    else if (rc)
        pr_err("kmem: allocation refused (%zu bytes, align %zu, %s)", bytes, align,
               err_name(rc));
    return rc ? NULL : p;
}

void *kmalloc(size_t bytes)
{
    return kmem_get(NULL, bytes, HEAP_ALIGN);
}

void *kzalloc(size_t bytes)
{
    void *p = kmem_get(NULL, bytes, HEAP_ALIGN);
    if (p)
        memset(p, 0, bytes);
    return p;
}

void *krealloc(void *ptr, size_t bytes)
{
    return kmem_get(ptr, bytes, HEAP_ALIGN);
}

void *kmalloc_aligned(size_t bytes, size_t align)
{
    return kmem_get(NULL, bytes, align);
}

void kfree(void *ptr)
{
    if (!ptr || !kmem_state.ready)
        return;
    mutex_lock(&kmem_state.lock);
    heap_free(&kmem_state.heap, ptr); /* a bad pointer is logged and refused */
    mutex_unlock(&kmem_state.lock);
}

void kmem_get_stats(struct kmem_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!kmem_state.ready)
        return;
    mutex_lock(&kmem_state.lock);
    heap_get_stats(&kmem_state.heap, out);
    mutex_unlock(&kmem_state.lock);
}

void kmem_register_reclaimer(kmem_reclaim_fn fn)
{
    /* Works before kmem_init too: boot runs single-threaded until then. */
    if (kmem_state.lock_ready)
        mutex_lock(&kmem_state.lock);
    if (kmem_state.reclaimer_count < KMEM_MAX_RECLAIMERS)
        kmem_state.reclaimers[kmem_state.reclaimer_count++] = fn;
    else
        pr_err("kmem: too many reclaimers, one dropped (cap %u)", KMEM_MAX_RECLAIMERS);
    if (kmem_state.lock_ready)
        mutex_unlock(&kmem_state.lock);
}

int kmem_check(char *msg, size_t msg_len)
{
    int rc;

    if (!kmem_state.ready) {
        kstrlcpy(msg, "no heap", msg_len);
        return ERR_NOENT;
    }
    mutex_lock(&kmem_state.lock);
    rc = heap_check(&kmem_state.heap, msg, msg_len);
    mutex_unlock(&kmem_state.lock);
    return rc;
}
