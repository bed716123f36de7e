// SPDX-License-Identifier: MIT
/* Boundary-tag heap with segregated free lists (contract in heap.h).
 * Invariants kept by every public function:
 *  - an arena is [arena header][fence footer][block]...[block][fence header];
 *  - a block's header and footer agree on size and magic;
 *  - no two free blocks are adjacent (freeing merges with both neighbours);
 *  - every free block is on the list of its size class, and the class bit in
 *    nonempty is set exactly when that list is non-empty;
 *  - the counters in struct heap equal what a walk of the arenas finds. */
#include "kernel/lib/heap.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

#include <stdarg.h>

#define HEAP_MAGIC_USED 0xA110CA7Eu  /* block header/footer: allocated */
#define HEAP_MAGIC_FREE 0xF4EEB10Cu  /* block header/footer: on a free list */
#define HEAP_MAGIC_DEAD 0xDEADB10Cu  /* tag swallowed by a merge; stale pointers hit this */
#define HEAP_MAGIC_FENCE 0xFE0CE0FEu /* arena start footer and end header, size 0 */
#define HEAP_MAGIC_ARENA 0xA4E4A5EAu /* struct heap_arena */

/* Blocks looked at per class before moving to a larger class; the second,
 * unbounded pass only runs when the bounded one found nothing. */
#define HEAP_CLASS_SCAN_LIMIT 8

/* Block header, at the start of every block; the payload follows it. */
struct heap_block {
    uint32_t magic;     /* HEAP_MAGIC_USED / _FREE (or _FENCE for the arena end) */
    uint32_t size;      /* whole block in bytes, tags included; multiple of HEAP_ALIGN */
    uint32_t req_bytes; /* payload bytes asked for (in use), 0 when free */
    uint32_t pad;       /* keeps the payload 16-byte aligned */
};

/* Block footer: the last 8 bytes of every block. */
struct heap_footer {
    uint32_t size;  /* copy of the header's size */
    uint32_t magic; /* copy of the header's magic */
};

/* Free-list links, in the payload of a free block. */
struct heap_links {
    struct heap_block *next;
    struct heap_block *prev;
};

/* Start of every arena. */
struct heap_arena {
    uint32_t magic;           /* HEAP_MAGIC_ARENA */
    uint32_t bytes;           /* whole arena, as counted in total_bytes */
    struct heap_arena *next;  /* older arena */
    struct heap_block *first; /* first real block */
    struct heap_block *end;   /* fence header (size 0) one past the last block */
};

#define HEAP_HDR_BYTES ((uint32_t)sizeof(struct heap_block))
#define HEAP_FTR_BYTES ((uint32_t)sizeof(struct heap_footer))
#define HEAP_MIN_BLOCK \
    ((uint32_t)ALIGN_UP(HEAP_HDR_BYTES + sizeof(struct heap_links) + HEAP_FTR_BYTES, HEAP_ALIGN))
/* Arena bytes that never become a block: header, fence footer (with the
 * rounding before the first block) and fence header, plus base rounding. */
#define HEAP_ARENA_OVERHEAD \
    ((uint32_t)(ALIGN_UP(sizeof(struct heap_arena) + HEAP_FTR_BYTES, HEAP_ALIGN) + \
                HEAP_HDR_BYTES + HEAP_ALIGN))

_Static_assert(sizeof(struct heap_block) == HEAP_ALIGN, "payload must stay 16-byte aligned");
_Static_assert(sizeof(struct heap_footer) == 8, "footer layout");

/* ---- block helpers ------------------------------------------------------------------ */

static struct heap_footer *heap_footer_of(const struct heap_block *b)
{
    return (struct heap_footer *)((char *)b + b->size - HEAP_FTR_BYTES);
}

static struct heap_block *heap_next_of(const struct heap_block *b)
{
    return (struct heap_block *)((char *)b + b->size);
}

static struct heap_footer *heap_prev_footer(const struct heap_block *b)
{
    return (struct heap_footer *)((char *)b - HEAP_FTR_BYTES);
}

static struct heap_links *heap_links_of(const struct heap_block *b)
{
    return (struct heap_links *)(b + 1);
}

static void heap_set_tags(struct heap_block *b, uint32_t size, uint32_t magic, uint32_t req)
{
    b->magic = magic;
    b->size = size;
    b->req_bytes = req;
    b->pad = 0;
    struct heap_footer *f = heap_footer_of(b);
    f->size = size;
    f->magic = magic;
}

/* Size class of a block size (>= HEAP_MIN_BLOCK, < 2^32): the power of two
 * and the next two bits below it. */
static unsigned heap_class_of(uint32_t size)
{
    unsigned p = 31u - (unsigned)__builtin_clz(size);
    return (p - 5u) * 4u + ((size >> (p - 2u)) & 3u);
}

/* Block size for a payload of `bytes`; false if it cannot exist. */
static bool heap_block_size_for(size_t bytes, uint32_t *out)
{
    if (bytes > HEAP_ARENA_MAX_BYTES - HEAP_ARENA_OVERHEAD - HEAP_HDR_BYTES - HEAP_FTR_BYTES)
        return false;
    uint32_t size = (uint32_t)ALIGN_UP(bytes + HEAP_HDR_BYTES + HEAP_FTR_BYTES, HEAP_ALIGN);
    *out = MAX(size, HEAP_MIN_BLOCK);
    return true;
}

/* ---- free lists --------------------------------------------------------------------- */

static void heap_list_insert(struct heap *h, struct heap_block *b)
{
    unsigned c = heap_class_of(b->size);
    struct heap_links *l = heap_links_of(b);

    l->prev = NULL;
    l->next = h->free_lists[c];
    if (l->next)
        heap_links_of(l->next)->prev = b;
    h->free_lists[c] = b;
    h->nonempty[c >> 5] |= 1u << (c & 31);
}

static void heap_list_remove(struct heap *h, struct heap_block *b)
{
    unsigned c = heap_class_of(b->size);
    struct heap_links *l = heap_links_of(b);

    if (l->prev)
        heap_links_of(l->prev)->next = l->next;
    else
        h->free_lists[c] = l->next;
    if (l->next)
        heap_links_of(l->next)->prev = l->prev;
    if (!h->free_lists[c])
        h->nonempty[c >> 5] &= ~(1u << (c & 31));
}

/* Turn [b, b + size) into a listed free block. */
static void heap_make_free(struct heap *h, struct heap_block *b, uint32_t size)
{
    heap_set_tags(b, size, HEAP_MAGIC_FREE, 0);
    heap_list_insert(h, b);
    h->free_bytes += size;
    h->free_blocks++;
}

/* Take a free block off its list (its tags are rewritten by the caller). */
static void heap_take_free(struct heap *h, struct heap_block *b)
{
    heap_list_remove(h, b);
    h->free_bytes -= b->size;
    h->free_blocks--;
}

/* Mark the tags of a block that a merge swallowed, so a stale pointer to it
 * is recognised instead of followed. */
static void heap_bury(struct heap_block *b)
{
    heap_footer_of(b)->magic = HEAP_MAGIC_DEAD;
    b->magic = HEAP_MAGIC_DEAD;
}

/* Release [b, b + size) (not on any list, not counted as used), merging it
 * with the following block when that one is free. */
static void heap_release_span(struct heap *h, struct heap_block *b, uint32_t size)
{
    struct heap_block *n = (struct heap_block *)((char *)b + size);

    if (n->magic == HEAP_MAGIC_FREE) {
        heap_take_free(h, n);
        size += n->size;
        heap_bury(n);
    }
    heap_make_free(h, b, size);
}

/* ---- finding a block ---------------------------------------------------------------- */

/* Lowest non-empty class >= c, or HEAP_CLASS_COUNT. */
static unsigned heap_next_nonempty(const struct heap *h, unsigned c)
{
    while (c < HEAP_CLASS_COUNT) {
        uint32_t w = h->nonempty[c >> 5] & (~0u << (c & 31));
        if (w)
            return (c & ~31u) + (unsigned)__builtin_ctz(w);
        c = (c & ~31u) + 32;
    }
    return HEAP_CLASS_COUNT;
}

/* Does a block of `size` with its payload aligned to `align` fit in free
 * block b? *lead gets the bytes to split off in front (0 or >= MIN_BLOCK). */
static bool heap_fits(const struct heap_block *b, uint32_t size, size_t align, uint32_t *lead)
{
    uintptr_t payload = (uintptr_t)b + HEAP_HDR_BYTES;
    uintptr_t q = ALIGN_UP(payload, (uintptr_t)align);

    if (q != payload && q - payload < HEAP_MIN_BLOCK)
        q = ALIGN_UP(payload + HEAP_MIN_BLOCK, (uintptr_t)align);
    if (q - payload > b->size || size > b->size - (q - payload))
        return false;
    *lead = (uint32_t)(q - payload);
    return true;
}

static struct heap_block *heap_find_fit(const struct heap *h, uint32_t size, size_t align,
                                        uint32_t *lead)
{
    /* Pass 1 looks at a few blocks per class (O(1)-ish); pass 2 at all of
     * them, so a fitting block is never missed before growing. */
    for (unsigned limit = HEAP_CLASS_SCAN_LIMIT;; limit = UINT32_MAX) {
        unsigned c = heap_next_nonempty(h, heap_class_of(size));
        for (; c < HEAP_CLASS_COUNT; c = heap_next_nonempty(h, c + 1)) {
            unsigned n = 0;
            for (struct heap_block *b = h->free_lists[c]; b && n < limit;
                 b = heap_links_of(b)->next, n++) {
                if (heap_fits(b, size, align, lead))
                    return b;
            }
        }
        if (limit == UINT32_MAX)
            return NULL;
    }
}

/* Allocate `size` bytes at `lead` into free block b; returns the payload. */
static void *heap_carve(struct heap *h, struct heap_block *b, uint32_t size, uint32_t lead,
                        size_t req)
{
    uint32_t total = b->size;

    heap_take_free(h, b);
    /* b's neighbours are not free (invariant), so the pieces split off below
     * need no merging. */
    if (lead) {
        heap_make_free(h, b, lead);
        b = (struct heap_block *)((char *)b + lead);
        total -= lead;
    }
    if (total - size >= HEAP_MIN_BLOCK) {
        heap_make_free(h, (struct heap_block *)((char *)b + size), total - size);
        total = size;
    }
    heap_set_tags(b, total, HEAP_MAGIC_USED, (uint32_t)req);
    h->used_bytes += total;
    h->allocations++;
    return b + 1;
}

/* ---- pointer validation ------------------------------------------------------------- */

static const struct heap_arena *heap_arena_of(const struct heap *h, uintptr_t hdr)
{
    for (const struct heap_arena *a = h->arenas; a; a = a->next) {
        if (hdr >= (uintptr_t)a->first && hdr < (uintptr_t)a->end)
            return a;
    }
    return NULL;
}

/* Check that ptr is the payload of a live block of h; *out gets the block.
 * With `quiet`, nothing is logged. Returns 0, ERR_INVAL or ERR_CORRUPT. */
static int heap_validate(const struct heap *h, const void *ptr, bool quiet,
                         struct heap_block **out)
{
    uintptr_t hdr = (uintptr_t)ptr - HEAP_HDR_BYTES;
    const struct heap_arena *a;
    struct heap_block *b;
    struct heap_footer *f;

    /* 1. Must be aligned and inside an arena. */
    if (((uintptr_t)ptr & (HEAP_ALIGN - 1)) || (uintptr_t)ptr < HEAP_HDR_BYTES ||
        !(a = heap_arena_of(h, hdr))) {
        if (!quiet)
            pr_err("heap: bad pointer %p (not in any arena)", ptr);
        return ERR_INVAL;
    }
    /* 2. The header magic tells live, freed and foreign apart. */
    b = (struct heap_block *)hdr;
    if (b->magic == HEAP_MAGIC_FREE || b->magic == HEAP_MAGIC_DEAD) {
        if (!quiet)
            pr_err("heap: double free of %p (magic 0x%08x)", ptr, b->magic);
        return ERR_INVAL;
    }
    if (b->magic != HEAP_MAGIC_USED) {
        if (!quiet)
            pr_err("heap: bad pointer %p (magic 0x%08x)", ptr, b->magic);
        return ERR_INVAL;
    }
    /* 3. Size within the arena, footer in agreement (an overrun shows here). */
    if (b->size < HEAP_MIN_BLOCK || (b->size & (HEAP_ALIGN - 1)) ||
        b->size > (uintptr_t)a->end - hdr) {
        if (!quiet)
            pr_err("heap: block %p header damaged (size %u)", ptr, b->size);
        return ERR_CORRUPT;
    }
    f = heap_footer_of(b);
    if (f->size != b->size || f->magic != HEAP_MAGIC_USED) {
        if (!quiet)
            pr_err("heap: block %p footer damaged (header size %u, footer size %u, magic "
                   "0x%08x)", ptr, b->size, f->size, f->magic);
        return ERR_CORRUPT;
    }
    *out = b;
    return 0;
}

/* Free neighbours must have agreeing tags before we merge with them. */
static int heap_check_neighbours(const struct heap_block *b)
{
    const struct heap_block *n = heap_next_of(b);
    const struct heap_footer *pf = heap_prev_footer(b);

    if (n->magic == HEAP_MAGIC_FREE &&
        (heap_footer_of(n)->size != n->size || heap_footer_of(n)->magic != HEAP_MAGIC_FREE)) {
        pr_err("heap: free block %p after %p damaged (size %u)", (const void *)n,
               (const void *)(b + 1), n->size);
        return ERR_CORRUPT;
    }
    if (pf->magic == HEAP_MAGIC_FREE) {
        const struct heap_block *p = (const struct heap_block *)((const char *)b - pf->size);
        if (p->magic != HEAP_MAGIC_FREE || p->size != pf->size) {
            pr_err("heap: free block before %p damaged (footer size %u)",
                   (const void *)(b + 1), pf->size);
            return ERR_CORRUPT;
        }
    }
    return 0;
}

/* ---- public ------------------------------------------------------------------------- */

void heap_init(struct heap *h, heap_grow_fn grow, void *grow_ctx)
{
    memset(h, 0, sizeof(*h));
    h->grow = grow;
    h->grow_ctx = grow_ctx;
}

int heap_add_arena(struct heap *h, void *base, size_t bytes)
{
    uintptr_t start = ALIGN_UP((uintptr_t)base, (uintptr_t)HEAP_ALIGN);
    struct heap_arena *a;
    struct heap_footer *fence;

    /* 1. Round the span to 16 bytes and bound it. */
    if (!base || bytes < start - (uintptr_t)base)
        return ERR_INVAL;
    bytes = ALIGN_DOWN(bytes - (start - (uintptr_t)base), (size_t)HEAP_ALIGN);
    if (bytes < HEAP_ARENA_OVERHEAD + HEAP_MIN_BLOCK || bytes > HEAP_ARENA_MAX_BYTES) {
        pr_err("heap: arena %p rejected (%zu bytes, allowed %u..%u)", base, bytes,
               HEAP_ARENA_OVERHEAD + HEAP_MIN_BLOCK, HEAP_ARENA_MAX_BYTES);
        return ERR_INVAL;
    }

    /* 2. Arena header, fences, then one free block in between. */
    a = (struct heap_arena *)start;
    a->magic = HEAP_MAGIC_ARENA;
    a->bytes = (uint32_t)bytes;
    a->first = (struct heap_block *)ALIGN_UP(start + sizeof(*a) + HEAP_FTR_BYTES,
                                              (uintptr_t)HEAP_ALIGN);
    a->end = (struct heap_block *)(start + bytes - HEAP_HDR_BYTES);
    fence = heap_prev_footer(a->first);
    fence->size = 0;
    fence->magic = HEAP_MAGIC_FENCE;
    a->end->magic = HEAP_MAGIC_FENCE;
    a->end->size = 0;
    a->end->req_bytes = 0;
    a->end->pad = 0;
    heap_make_free(h, a->first, (uint32_t)((uintptr_t)a->end - (uintptr_t)a->first));

    /* 3. Publish. */
    a->next = h->arenas;
    h->arenas = a;
    h->total_bytes += bytes;
    return 0;
}

int heap_alloc(struct heap *h, size_t bytes, size_t align, void **out)
{
    struct heap_block *b;
    uint32_t size, lead = 0;

    /* 1. Check the request. */
    if (!h || !out)
        return ERR_INVAL;
    if (align < HEAP_ALIGN)
        align = HEAP_ALIGN;
    if (!IS_POW2(align) || align > HEAP_MAX_ALIGN)
        return ERR_INVAL;
    if (!heap_block_size_for(bytes, &size))
        return ERR_NOMEM;

    /* 2. Look for a fitting free block; if none, grow once and look again. */
    b = heap_find_fit(h, size, align, &lead);
    if (!b && h->grow) {
        void *base = NULL;
        size_t got = 0;
        size_t want = (size_t)size + HEAP_ARENA_OVERHEAD +
                      (align > HEAP_ALIGN ? align + HEAP_MIN_BLOCK : 0);
        if (h->grow(h->grow_ctx, want, &base, &got) == 0 && heap_add_arena(h, base, got) == 0)
            b = heap_find_fit(h, size, align, &lead);
    }
    if (!b)
        return ERR_NOMEM;

    /* 3. Split it up. */
    *out = heap_carve(h, b, size, lead, bytes);
    return 0;
}

int heap_free(struct heap *h, void *ptr)
{
    struct heap_block *b;
    struct heap_footer *pf;
    uint32_t size;
    int rc;

    /* 1. Validate the block and both free neighbours before touching anything. */
    if (!ptr)
        return 0;
    rc = heap_validate(h, ptr, false, &b);
    if (rc == 0)
        rc = heap_check_neighbours(b);
    if (rc)
        return rc;

    /* 2. Out of the in-use totals. */
    size = b->size;
    h->used_bytes -= size;
    h->allocations--;

    /* 3. Merge with a free block in front (the one behind merges in step 4). */
    pf = heap_prev_footer(b);
    if (pf->magic == HEAP_MAGIC_FREE) {
        struct heap_block *p = (struct heap_block *)((char *)b - pf->size);
        heap_take_free(h, p);
        size += p->size;
        heap_bury(b);
        b = p;
    }
    /* 4. Merge with a free block behind, and list the result. */
    heap_release_span(h, b, size);
    return 0;
}

int heap_realloc(struct heap *h, void *ptr, size_t bytes, void **out)
{
    struct heap_block *b, *n;
    uint32_t size, cur;
    void *moved;
    int rc;

    /* 1. NULL is a plain allocation; anything else must be a live block. */
    if (!h || !out)
        return ERR_INVAL;
    if (!ptr)
        return heap_alloc(h, bytes, HEAP_ALIGN, out);
    rc = heap_validate(h, ptr, false, &b);
    if (rc == 0)
        rc = heap_check_neighbours(b);
    if (rc)
        return rc;
    if (!heap_block_size_for(bytes, &size))
        return ERR_NOMEM;
    cur = b->size;

    /* 2. Shrink (or same size) in place; a large enough tail is released. */
    if (size <= cur) {
        if (cur - size >= HEAP_MIN_BLOCK) {
            heap_set_tags(b, size, HEAP_MAGIC_USED, (uint32_t)bytes);
            heap_release_span(h, heap_next_of(b), cur - size);
            h->used_bytes -= cur - size;
        } else {
            b->req_bytes = (uint32_t)bytes;
        }
        *out = ptr;
        return 0;
    }

    /* 3. Grow in place by taking (part of) a free next block. */
    n = heap_next_of(b);
    if (n->magic == HEAP_MAGIC_FREE && n->size >= size - cur) {
        uint32_t combined = cur + n->size;
        heap_take_free(h, n);
        heap_bury(n);
        if (combined - size >= HEAP_MIN_BLOCK) {
            /* The block after n is not free (invariant): no merge needed. */
            heap_make_free(h, (struct heap_block *)((char *)b + size), combined - size);
            combined = size;
        }
        heap_set_tags(b, combined, HEAP_MAGIC_USED, (uint32_t)bytes);
        h->used_bytes += combined - cur;
        *out = ptr;
        return 0;
    }

    /* 4. Move: allocate, copy the old payload, free the old block. */
    rc = heap_alloc(h, bytes, HEAP_ALIGN, &moved);
    if (rc)
        return rc;
    memcpy(moved, ptr, MIN((size_t)(cur - HEAP_HDR_BYTES - HEAP_FTR_BYTES), bytes));
    heap_free(h, ptr);
    *out = moved;
    return 0;
}

size_t heap_usable_size(const struct heap *h, const void *ptr)
{
    struct heap_block *b;

    if (!ptr || heap_validate(h, ptr, true, &b) != 0)
        return 0;
    return b->size - HEAP_HDR_BYTES - HEAP_FTR_BYTES;
}

void heap_get_stats(const struct heap *h, struct kmem_stats *out)
{
    out->total_bytes = h->total_bytes;
    out->used_bytes = h->used_bytes;
    out->free_bytes = h->free_bytes;
    out->allocations = h->allocations;
    out->largest_free = 0;
    /* The largest free block is in the highest non-empty class. */
    for (unsigned c = HEAP_CLASS_COUNT; c-- > 0;) {
        if (!h->free_lists[c])
            continue;
        for (const struct heap_block *b = h->free_lists[c]; b; b = heap_links_of(b)->next)
            out->largest_free = MAX(out->largest_free, (size_t)b->size);
        break;
    }
}

size_t heap_free_block_count(const struct heap *h)
{
    return h->free_blocks;
}

/* ---- integrity check ---------------------------------------------------------------- */

PRINTF_LIKE(3, 4)
static int heap_check_fail(char *msg, size_t msg_len, const char *fmt, ...)
{
    char line[160];
    va_list ap;

    va_start(ap, fmt);
    kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    pr_err("heap: check failed: %s", line);
    if (msg && msg_len)
        kstrlcpy(msg, line, msg_len);
    return ERR_CORRUPT;
}

int heap_check(const struct heap *h, char *msg, size_t msg_len)
{
    size_t used = 0, free_bytes = 0, allocs = 0, free_blocks = 0, total = 0, listed = 0;
    size_t arena_limit = h->total_bytes / (HEAP_ARENA_OVERHEAD + HEAP_MIN_BLOCK) + 1;
    size_t arenas = 0;

    /* 1. Walk each arena block by block (each step advances >= MIN_BLOCK, and
     *    the arena list is bounded by what total_bytes allows). */
    for (const struct heap_arena *a = h->arenas; a; a = a->next) {
        if (++arenas > arena_limit)
            return heap_check_fail(msg, msg_len, "arena list longer than %zu", arena_limit);
        if (a->magic != HEAP_MAGIC_ARENA || a->end->magic != HEAP_MAGIC_FENCE ||
            heap_prev_footer(a->first)->magic != HEAP_MAGIC_FENCE)
            return heap_check_fail(msg, msg_len, "arena %p header or fences damaged",
                                   (const void *)a);
        total += a->bytes;
        bool prev_free = false;
        const struct heap_block *b = a->first;
        while (b != a->end) {
            const struct heap_footer *f;
            /* 1a. Magic, size bounds, footer agreement. */
            if (b->magic != HEAP_MAGIC_USED && b->magic != HEAP_MAGIC_FREE)
                return heap_check_fail(msg, msg_len, "block %p bad magic 0x%08x",
                                       (const void *)b, b->magic);
            if (b->size < HEAP_MIN_BLOCK || (b->size & (HEAP_ALIGN - 1)) ||
                b->size > (uintptr_t)a->end - (uintptr_t)b)
                return heap_check_fail(msg, msg_len, "block %p bad size %u",
                                       (const void *)b, b->size);
            f = heap_footer_of(b);
            if (f->size != b->size || f->magic != b->magic)
                return heap_check_fail(msg, msg_len,
                                       "block %p footer mismatch (size %u/%u, magic 0x%08x)",
                                       (const void *)b, b->size, f->size, f->magic);
            /* 1b. Tally; two free neighbours mean a missed merge. */
            if (b->magic == HEAP_MAGIC_FREE) {
                if (prev_free)
                    return heap_check_fail(msg, msg_len, "adjacent free blocks at %p",
                                           (const void *)b);
                free_bytes += b->size;
                free_blocks++;
            } else {
                used += b->size;
                allocs++;
            }
            prev_free = b->magic == HEAP_MAGIC_FREE;
            b = heap_next_of(b);
        }
    }

    /* 2. Every list: right class, sane links, bit in agreement, and no more
     *    nodes than free blocks exist (that also stops a cycle). */
    for (unsigned c = 0; c < HEAP_CLASS_COUNT; c++) {
        bool bit = (h->nonempty[c >> 5] >> (c & 31)) & 1u;
        if (bit != (h->free_lists[c] != NULL))
            return heap_check_fail(msg, msg_len, "class %u bitmap bit %d disagrees with list",
                                   c, bit);
        const struct heap_block *prev = NULL;
        for (const struct heap_block *b = h->free_lists[c]; b; b = heap_links_of(b)->next) {
            if (++listed > free_blocks)
                return heap_check_fail(msg, msg_len, "free lists hold more than %zu blocks",
                                       free_blocks);
            if (!heap_arena_of(h, (uintptr_t)b) || b->magic != HEAP_MAGIC_FREE ||
                heap_class_of(b->size) != c || heap_links_of(b)->prev != prev)
                return heap_check_fail(msg, msg_len, "free list %u entry %p invalid", c,
                                       (const void *)b);
            prev = b;
        }
    }
    if (listed != free_blocks)
        return heap_check_fail(msg, msg_len, "%zu free blocks but %zu listed", free_blocks,
                               listed);

    /* 3. Counters. */
    if (total != h->total_bytes || used != h->used_bytes || free_bytes != h->free_bytes ||
        allocs != h->allocations || free_blocks != h->free_blocks)
        return heap_check_fail(msg, msg_len,
                               "totals disagree (used %zu/%zu, free %zu/%zu, allocs %zu/%zu)",
                               used, h->used_bytes, free_bytes, h->free_bytes, allocs,
                               h->allocations);
    return 0;
}
