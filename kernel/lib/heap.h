/* SPDX-License-Identifier: MIT */
/* Kernel heap algorithm over arenas (the policy-free part of kernel/kmem.h).
 * Use: heap_init() with a grow callback, optionally heap_add_arena() for a
 * first arena; then heap_alloc / heap_realloc / heap_free. When no free block
 * fits, the heap asks the callback once for a new arena and retries.
 *
 * Layout: each block carries a 16-byte header (magic, size, requested bytes)
 * and an 8-byte footer (size, magic) -- Knuth's boundary tags -- so a freed
 * block merges with free neighbours on both sides in O(1); two free blocks
 * are never adjacent. Free blocks sit in segregated lists, four size classes
 * per power of two, with a bitmap of non-empty classes: a request looks at a
 * bounded number of blocks in its own class, then takes the head of the next
 * non-empty larger class. Payloads are 16-byte aligned; larger power-of-two
 * alignments split the slack in front of the aligned block back onto the
 * free lists. Each arena starts with a fence footer and ends with a fence
 * header, so coalescing needs no bounds checks.
 *
 * Bad input from callers is detected, logged and refused, never followed:
 * freeing a pointer outside every arena, a block whose header magic is not
 * "in use" (double free, interior pointer) or whose footer no longer matches
 * its header (overrun) returns an error and leaks the block rather than
 * corrupting the free lists. heap_check() walks everything.
 *
 * Does not: merge adjacent arenas, return arenas to the grow source, lock.
 * Locking: none; the caller serialises all calls on one heap (kmem.c holds
 * its mutex, and the grow callback runs under it). Context: the caller's;
 * nothing here sleeps except through the grow callback. */
#ifndef KERNEL_LIB_HEAP_H
#define KERNEL_LIB_HEAP_H

#include "kernel/kmem.h"
#include "kernel/types.h"

#define HEAP_ALIGN 16u            /* payload alignment and size granule */
#define HEAP_MAX_ALIGN 0x100000u  /* largest alignment heap_alloc accepts (1 MiB) */
#define HEAP_ARENA_MAX_BYTES 0x80000000u /* block sizes are kept in 32 bits */
#define HEAP_CLASS_COUNT 108      /* 4 classes per power of two, 2^5 .. 2^31 */

/* Grow callback: provide a new arena of at least min_bytes. Fills *out_base
 * (16-byte aligned) and *out_bytes and returns 0, or returns a negative
 * ERR_* when there is no more memory. Called with the caller's heap lock
 * held: it must not call back into the same heap. */
typedef int (*heap_grow_fn)(void *ctx, size_t min_bytes, void **out_base, size_t *out_bytes);

struct heap_arena;
struct heap_block;

/* All fields are private to heap.c; written under the caller's lock. */
struct heap {
    struct heap_arena *arenas;                     /* singly linked, newest first */
    struct heap_block *free_lists[HEAP_CLASS_COUNT]; /* doubly linked, per class */
    uint32_t nonempty[(HEAP_CLASS_COUNT + 31) / 32]; /* bit c: free_lists[c] != NULL */
    heap_grow_fn grow;                             /* may be NULL: fixed heap */
    void *grow_ctx;                                /* passed to grow */
    size_t total_bytes;                            /* sum of arena sizes */
    size_t used_bytes;                             /* sum of in-use block sizes */
    size_t free_bytes;                             /* sum of free block sizes */
    size_t allocations;                            /* in-use blocks */
    size_t free_blocks;                            /* free blocks */
};

/* Set up an empty heap. grow may be NULL. Never fails. */
void heap_init(struct heap *h, heap_grow_fn grow, void *grow_ctx);

/* Hand [base, base + bytes) to the heap; it becomes one free block. base is
 * rounded up to 16 bytes. Returns 0, or ERR_INVAL if the span is too small
 * for one block (under about 128 bytes) or larger than HEAP_ARENA_MAX_BYTES.
 * The memory belongs to the heap from then on. */
int heap_add_arena(struct heap *h, void *base, size_t bytes);

/* Allocate bytes (0 is allowed and gives a minimal block) aligned to align
 * (a power of two; 0..16 mean 16; at most HEAP_MAX_ALIGN). Fills *out.
 * Returns 0; ERR_INVAL (bad alignment); ERR_NOMEM (no block, and the grow
 * callback could not help, or bytes exceeds what an arena can hold). */
int heap_alloc(struct heap *h, size_t bytes, size_t align, void **out);

/* Resize the block at ptr (NULL acts as heap_alloc with align 16) to bytes.
 * Shrinks in place; grows in place when the next block is free and large
 * enough; otherwise moves (16-byte alignment only) and copies the payload.
 * Fills *out with the (possibly new) pointer. Returns 0; ERR_NOMEM (ptr is
 * untouched and still valid); ERR_INVAL / ERR_CORRUPT as for heap_free. */
int heap_realloc(struct heap *h, void *ptr, size_t bytes, void **out);

/* Free ptr (NULL is a no-op returning 0). Returns 0; ERR_INVAL (not a block
 * of this heap, or already free; logged "heap: double free ..." or
 * "heap: bad pointer ..."); ERR_CORRUPT (the block's tags were overwritten;
 * logged, and the block is leaked). */
int heap_free(struct heap *h, void *ptr);

/* Payload bytes usable at ptr (at least what was asked for); 0 if ptr is not
 * a live block. */
size_t heap_usable_size(const struct heap *h, const void *ptr);

/* Totals as in kernel/kmem.h; largest_free is the largest free block
 * including its tags. */
void heap_get_stats(const struct heap *h, struct kmem_stats *out);

/* Number of free blocks (1 per arena when nothing is allocated). */
size_t heap_free_block_count(const struct heap *h);

/* Walk every arena block by block and every free list, checking magics, tag
 * agreement, block bounds, that no two free blocks touch, that every free
 * block is listed in its class exactly once, and the totals. Returns 0, or
 * ERR_CORRUPT after logging the first problem and copying its description
 * into msg (msg may be NULL). Bounded by the arena sizes. */
int heap_check(const struct heap *h, char *msg, size_t msg_len);

#endif
