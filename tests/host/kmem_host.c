// SPDX-License-Identifier: MIT
/* kernel/kmem.h on malloc, with the fault plan of kmem_host.h. Thread-safe. */
#include "tests/host/kmem_host.h"
#include "kernel/kmem.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KMEM_HOST_MAX_RECLAIMERS 8

static struct {
    pthread_mutex_t lock; /* protects the counters and the plan */
    unsigned count;       /* allocations since reset */
    unsigned fail_at;     /* 0 = never */
    bool fail_persistent;
    long live;
    kmem_reclaim_fn reclaimers[KMEM_HOST_MAX_RECLAIMERS];
    unsigned nreclaimers;
} kmem_host = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Counts one allocation and says whether the plan makes it fail. */
static bool kmem_host_should_fail(void)
{
    bool fail;
    pthread_mutex_lock(&kmem_host.lock);
    kmem_host.count++;
    fail = kmem_host.fail_at != 0 &&
           (kmem_host.count == kmem_host.fail_at ||
            (kmem_host.fail_persistent && kmem_host.count > kmem_host.fail_at));
    if (!fail)
        kmem_host.live++;
    pthread_mutex_unlock(&kmem_host.lock);
    return fail;
}

void kmem_host_reset(void)
{
    pthread_mutex_lock(&kmem_host.lock);
    kmem_host.count = 0;
    kmem_host.fail_at = 0;
    kmem_host.fail_persistent = false;
    pthread_mutex_unlock(&kmem_host.lock);
}

void kmem_host_fail_nth(unsigned n, bool persistent)
{
    pthread_mutex_lock(&kmem_host.lock);
    kmem_host.fail_at = n ? kmem_host.count + n : 0;
    kmem_host.fail_persistent = persistent;
    pthread_mutex_unlock(&kmem_host.lock);
}

unsigned kmem_host_alloc_count(void)
{
    return kmem_host.count;
}

long kmem_host_live(void)
{
    return kmem_host.live;
}

void *kmalloc(size_t bytes)
{
    if (kmem_host_should_fail())
        return NULL;
    return malloc(bytes ? bytes : 1);
}

void *kzalloc(size_t bytes)
{
    if (kmem_host_should_fail())
        return NULL;
    return calloc(1, bytes ? bytes : 1);
}

void *krealloc(void *ptr, size_t bytes)
{
    if (!ptr)
        return kmalloc(bytes);
    if (kmem_host_should_fail())
        return NULL;
    pthread_mutex_lock(&kmem_host.lock);
    kmem_host.live--; /* the old block is replaced, not added */
    pthread_mutex_unlock(&kmem_host.lock);
    return realloc(ptr, bytes ? bytes : 1);
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    pthread_mutex_lock(&kmem_host.lock);
    kmem_host.live--;
    pthread_mutex_unlock(&kmem_host.lock);
    free(ptr);
}

void *kmalloc_aligned(size_t bytes, size_t align)
{
    void *p = NULL;
    if (align < sizeof(void *))
        align = sizeof(void *);
    if (kmem_host_should_fail())
        return NULL;
    if (posix_memalign(&p, align, bytes ? bytes : 1) != 0) {
        pthread_mutex_lock(&kmem_host.lock);
        kmem_host.live--;
        pthread_mutex_unlock(&kmem_host.lock);
        return NULL;
    }
    return p;
}

void kmem_get_stats(struct kmem_stats *out)
{
    memset(out, 0, sizeof(*out));
    out->allocations = (size_t)(kmem_host.live > 0 ? kmem_host.live : 0);
}

void kmem_register_reclaimer(kmem_reclaim_fn fn)
{
    pthread_mutex_lock(&kmem_host.lock);
    if (kmem_host.nreclaimers < KMEM_HOST_MAX_RECLAIMERS)
        kmem_host.reclaimers[kmem_host.nreclaimers++] = fn;
    pthread_mutex_unlock(&kmem_host.lock);
}

size_t kmem_host_run_reclaimers(size_t bytes)
{
    kmem_reclaim_fn fns[KMEM_HOST_MAX_RECLAIMERS];
    pthread_mutex_lock(&kmem_host.lock);
    unsigned n = kmem_host.nreclaimers;
    memcpy(fns, kmem_host.reclaimers, sizeof(fns));
    pthread_mutex_unlock(&kmem_host.lock);
    size_t freed = 0;
    for (unsigned i = 0; i < n; i++)
        freed += fns[i](bytes);
    return freed;
}
