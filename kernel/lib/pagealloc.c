// SPDX-License-Identifier: MIT
/* Physical page allocator on two bitmaps (see pagealloc.h for the contract and
 * the bitmap-versus-buddy argument). used_map answers "may this page be handed
 * out" in word-sized steps; ram_map remembers which pages are managed at all,
 * so that frees of reserved or never-allocated pages are refused. */
#include "kernel/lib/pagealloc.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

#define PAGE_MASK ((uint64_t)PAGEALLOC_PAGE_BYTES - 1)
/* Pages covering PAGEALLOC_PHYS_LIMIT: the most a bitmap may cover. */
#define PAGEALLOC_MAX_PAGES (uint32_t)(PAGEALLOC_PHYS_LIMIT >> PAGEALLOC_PAGE_SHIFT)

static bool bit_get(const uint32_t *map, uint32_t i)
{
    return (map[i >> 5] >> (i & 31)) & 1u;
}

/* Set bits [lo, hi) of map to value. */
static void bit_set_range(uint32_t *map, uint32_t lo, uint32_t hi, bool value)
{
    while (lo < hi) {
        if ((lo & 31) == 0 && hi - lo >= 32) {
            map[lo >> 5] = value ? ~0u : 0u;
            lo += 32;
            continue;
        }
        if (value)
            map[lo >> 5] |= 1u << (lo & 31);
        else
            map[lo >> 5] &= ~(1u << (lo & 31));
        lo++;
    }
}

/* Number of set bits in [lo, hi). */
static uint32_t bit_count_range(const uint32_t *map, uint32_t lo, uint32_t hi)
{
    uint32_t n = 0;
    while (lo < hi) {
        if ((lo & 31) == 0 && hi - lo >= 32) {
            n += (uint32_t)__builtin_popcount(map[lo >> 5]);
            lo += 32;
            continue;
        }
        n += bit_get(map, lo);
        lo++;
    }
    return n;
}

/* Highest index in [lo, hi) whose bit equals value, or -1 if none. */
static int64_t bit_find_last(const uint32_t *map, uint32_t lo, uint32_t hi, bool value)
{
    while (hi > lo) {
        uint32_t i = hi - 1;
        uint32_t word_lo = i & ~31u;
        uint32_t w = value ? map[i >> 5] : ~map[i >> 5];
        uint32_t mask = (i & 31) == 31 ? ~0u : (1u << ((i & 31) + 1)) - 1;

        if (lo > word_lo)
            mask &= ~((1u << (lo - word_lo)) - 1);
        w &= mask;
        if (w)
            return (int64_t)word_lo + 31 - __builtin_clz(w);
        hi = word_lo;
    }
    return -1;
}

/* Page range [*lo, *hi) of a byte range clamped to the coverage; rounds
 * inward when `inward` (usable RAM), outward otherwise (reservations).
 * Returns false if nothing of it is left. */
static bool pagealloc_page_span(const struct pagealloc *pa, uint64_t base, uint64_t end,
                                bool inward, uint32_t *lo, uint32_t *hi)
{
    uint64_t first = inward ? ALIGN_UP(base, (uint64_t)PAGEALLOC_PAGE_BYTES)
                            : ALIGN_DOWN(base, (uint64_t)PAGEALLOC_PAGE_BYTES);
    uint64_t last = inward ? ALIGN_DOWN(end, (uint64_t)PAGEALLOC_PAGE_BYTES)
                           : ALIGN_UP(end, (uint64_t)PAGEALLOC_PAGE_BYTES);
    uint64_t cover = (uint64_t)pa->page_count << PAGEALLOC_PAGE_SHIFT;

    last = MIN(last, cover);
    if (first >= last)
        return false;
    *lo = (uint32_t)(first >> PAGEALLOC_PAGE_SHIFT);
    *hi = (uint32_t)(last >> PAGEALLOC_PAGE_SHIFT);
    return true;
}

/* End of a range, clamped to 4 GiB without overflow. */
static uint64_t pagealloc_clamped_end(uint64_t base, uint64_t bytes)
{
    if (base >= PAGEALLOC_PHYS_LIMIT || bytes > PAGEALLOC_PHYS_LIMIT - base)
        return PAGEALLOC_PHYS_LIMIT;
    return base + bytes;
}

/* Steps 2a-2e of pagealloc_init for one usable map entry. */
static void pagealloc_add_usable(struct pagealloc *pa, size_t idx, const struct pagealloc_region *r)
{
    uint64_t end;
    uint32_t lo, hi;

    /* 2a. Zero length and entries wholly above 4 GiB are dropped. */
    if (r->bytes == 0) {
        pr_warn("pagealloc: map entry %zu has zero length, ignored (base 0x%llx)", idx,
                (unsigned long long)r->base);
        return;
    }
    if (r->base >= PAGEALLOC_PHYS_LIMIT) {
        pr_info("pagealloc: map entry %zu lies above 4 GiB, ignored (base 0x%llx)", idx,
                (unsigned long long)r->base);
        return;
    }
    /* 2b. Entries crossing 4 GiB (or overflowing) are clamped. */
    end = pagealloc_clamped_end(r->base, r->bytes);
    if (r->bytes > end - r->base)
        pr_info("pagealloc: map entry %zu crosses 4 GiB, clamped (base 0x%llx, bytes 0x%llx)",
                idx, (unsigned long long)r->base, (unsigned long long)r->bytes);
    /* 2c. Trim unaligned edges inward; firmware does this routinely (the
     *     classic 0x9fc00 end of low memory), so only at debug level. */
    if ((r->base & PAGE_MASK) || (end & PAGE_MASK))
        pr_debug("pagealloc: map entry %zu not page-aligned, trimmed (0x%llx..0x%llx)", idx,
                 (unsigned long long)r->base, (unsigned long long)end);
    /* 2d. Clamp to the bitmap coverage. */
    if (end > ((uint64_t)pa->page_count << PAGEALLOC_PAGE_SHIFT))
        pr_warn("pagealloc: map entry %zu reaches past the page bitmap, clamped (end 0x%llx, "
                "covered 0x%llx)", idx, (unsigned long long)end,
                (unsigned long long)pa->page_count << PAGEALLOC_PAGE_SHIFT);
    if (!pagealloc_page_span(pa, r->base, end, true, &lo, &hi)) {
        pr_warn("pagealloc: map entry %zu has no whole page, ignored (0x%llx..0x%llx)", idx,
                (unsigned long long)r->base, (unsigned long long)end);
        return;
    }
    /* 2e. Mark; pages seen before mean overlapping entries, which merge. */
    uint32_t seen = bit_count_range(pa->ram_map, lo, hi);
    if (seen)
        pr_warn("pagealloc: map entry %zu overlaps an earlier entry, merged (%u pages)", idx,
                seen);
    bit_set_range(pa->ram_map, lo, hi, true);
}

/* Withdraw a non-usable range from RAM; returns the pages withdrawn. */
static uint32_t pagealloc_withdraw(struct pagealloc *pa, const struct pagealloc_region *r)
{
    uint32_t lo, hi, hit;

    if (r->bytes == 0 || r->base >= PAGEALLOC_PHYS_LIMIT)
        return 0;
    if (!pagealloc_page_span(pa, r->base, pagealloc_clamped_end(r->base, r->bytes), false,
                             &lo, &hi))
        return 0;
    hit = bit_count_range(pa->ram_map, lo, hi);
    bit_set_range(pa->ram_map, lo, hi, false);
    return hit;
}

int pagealloc_init(struct pagealloc *pa, uint32_t *storage, size_t storage_words,
                   const struct pagealloc_region *map, size_t map_count,
                   const struct pagealloc_region *reserved, size_t reserved_count)
{
    size_t map_words;

    /* 1. Check arguments; lay out the two bitmaps; everything starts
     *    unavailable and unmanaged. */
    if (!pa || !storage || storage_words < 2 || (map_count && !map) ||
        (reserved_count && !reserved))
        return ERR_INVAL;
    memset(pa, 0, sizeof(*pa));
    map_words = MIN(storage_words / 2, (size_t)PAGEALLOC_MAX_PAGES / 32);
    pa->used_map = storage;
    pa->ram_map = storage + map_words;
    pa->page_count = (uint32_t)(map_words * 32);
    memset(pa->used_map, 0xff, map_words * sizeof(uint32_t));
    memset(pa->ram_map, 0, map_words * sizeof(uint32_t));

    /* 2. Usable entries become RAM (validation in pagealloc_add_usable). */
    for (size_t i = 0; i < map_count; i++) {
        if (map[i].usable)
            pagealloc_add_usable(pa, i, &map[i]);
    }
    pa->ram_pages = bit_count_range(pa->ram_map, 0, pa->page_count);

    /* 3. Non-usable entries win over usable ones; firmware should never
     *    overlap them, so say so when it does. */
    for (size_t i = 0; i < map_count; i++) {
        if (map[i].usable)
            continue;
        if (map[i].bytes == 0) {
            pr_warn("pagealloc: map entry %zu has zero length, ignored (base 0x%llx)", i,
                    (unsigned long long)map[i].base);
            continue;
        }
        uint32_t hit = pagealloc_withdraw(pa, &map[i]);
        if (hit)
            pr_warn("pagealloc: map entry %zu (reserved) overlaps usable RAM, %u pages "
                    "withdrawn", i, hit);
    }

    /* 4. Caller reservations (kernel image, modules, low 1 MiB): expected. */
    for (size_t i = 0; i < reserved_count; i++)
        pagealloc_withdraw(pa, &reserved[i]);

    /* 5. Every managed page is free now. */
    for (size_t w = 0; w < map_words; w++)
        pa->used_map[w] = ~pa->ram_map[w];
    pa->total_pages = bit_count_range(pa->ram_map, 0, pa->page_count);
    pa->free_pages = pa->total_pages;
    if (pa->total_pages == 0) {
        pr_err("pagealloc: no usable memory (%zu map entries)", map_count);
        return ERR_NOMEM;
    }
    return 0;
}

int pagealloc_alloc(struct pagealloc *pa, size_t pages, uint64_t align_bytes, uint64_t max_phys,
                    uint64_t *out_phys)
{
    uint64_t align_pages;
    uint32_t limit, s;

    /* 1. Check arguments and work out the window [0, limit) in pages. */
    if (!pa || !out_phys || pages == 0 || (align_bytes && !IS_POW2(align_bytes)))
        return ERR_INVAL;
    align_pages = align_bytes <= PAGEALLOC_PAGE_BYTES ? 1 : align_bytes >> PAGEALLOC_PAGE_SHIFT;
    limit = pa->page_count;
    if (max_phys && (max_phys >> PAGEALLOC_PAGE_SHIFT) < limit)
        limit = (uint32_t)(max_phys >> PAGEALLOC_PAGE_SHIFT);
    if (pages > limit || align_pages > limit)
        return ERR_NOMEM;

    /* 2. Top-down search. Candidate run [s, s + pages): if a page in it is
     *    used, the next candidate must end below that page, so jump to the
     *    highest free page under it and realign. s strictly decreases. */
    s = (uint32_t)ALIGN_DOWN((uint64_t)(limit - pages), align_pages);
    for (;;) {
        int64_t used = bit_find_last(pa->used_map, s, s + (uint32_t)pages, true);
        if (used < 0)
            break;
        int64_t free_below = bit_find_last(pa->used_map, 0, (uint32_t)used, false);
        if (free_below < 0 || (uint64_t)free_below + 1 < pages)
            return ERR_NOMEM;
        s = (uint32_t)ALIGN_DOWN((uint64_t)free_below + 1 - pages, align_pages);
    }

    /* 3. Take it. */
    bit_set_range(pa->used_map, s, s + (uint32_t)pages, true);
    pa->free_pages -= (uint32_t)pages;
    *out_phys = (uint64_t)s << PAGEALLOC_PAGE_SHIFT;
    return 0;
}

int pagealloc_free(struct pagealloc *pa, uint64_t phys, size_t pages)
{
    uint32_t first;

    /* 1. The range must be page-aligned and inside the coverage. */
    if (!pa || pages == 0)
        return ERR_INVAL;
    if ((phys & PAGE_MASK) || phys >= ((uint64_t)pa->page_count << PAGEALLOC_PAGE_SHIFT) ||
        pages > pa->page_count - (phys >> PAGEALLOC_PAGE_SHIFT)) {
        pr_err("pagealloc: free of a bad range (phys 0x%llx, %zu pages)",
               (unsigned long long)phys, pages);
        return ERR_INVAL;
    }
    first = (uint32_t)(phys >> PAGEALLOC_PAGE_SHIFT);

    /* 2. Every page must be managed and allocated; check all before changing
     *    anything, so a bad call leaves the allocator as it was. */
    for (uint32_t i = first; i < first + (uint32_t)pages; i++) {
        if (!bit_get(pa->ram_map, i) || !bit_get(pa->used_map, i)) {
            pr_err("pagealloc: free of a page that is not allocated (phys 0x%llx, run 0x%llx "
                   "+ %zu pages)", (unsigned long long)i << PAGEALLOC_PAGE_SHIFT,
                   (unsigned long long)phys, pages);
            return ERR_INVAL;
        }
    }

    /* 3. Release. */
    bit_set_range(pa->used_map, first, first + (uint32_t)pages, false);
    pa->free_pages += (uint32_t)pages;
    return 0;
}

bool pagealloc_is_allocated(const struct pagealloc *pa, uint64_t phys)
{
    uint64_t pfn = phys >> PAGEALLOC_PAGE_SHIFT;

    if (pfn >= pa->page_count)
        return false;
    return bit_get(pa->ram_map, (uint32_t)pfn) && bit_get(pa->used_map, (uint32_t)pfn);
}

void pagealloc_get_stats(const struct pagealloc *pa, struct pagealloc_stats *out)
{
    out->ram_pages = pa->ram_pages;
    out->total_pages = pa->total_pages;
    out->free_pages = pa->free_pages;
}
