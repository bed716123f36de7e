// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/pagealloc.c: memory map validation (overlaps,
 * zero length, above 4 GiB, unaligned edges, reserved-over-usable),
 * reservations, top-down runs with alignment and limit, and refused frees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/pagealloc.h"

#define KIB 1024ull
#define MIB (1024ull * 1024)
#define GIB (1024ull * MIB)

/* 256 MiB of coverage for most tests; the full 4 GiB for the clamping test. */
static uint32_t small_storage[PAGEALLOC_STORAGE_WORDS(256 * MIB / 4096)];
static uint32_t full_storage[PAGEALLOC_STORAGE_WORDS(4 * GIB / 4096)];
static struct pagealloc pa;

#define USABLE(b, n) { .base = (b), .bytes = (n), .usable = true }
#define RESERVED(b, n) { .base = (b), .bytes = (n), .usable = false }

static int init_small(const struct pagealloc_region *map, size_t n,
                      const struct pagealloc_region *res, size_t nres)
{
    klog_clear();
    return pagealloc_init(&pa, small_storage, ARRAY_SIZE(small_storage), map, n, res, nres);
}

static struct pagealloc_stats stats(void)
{
    struct pagealloc_stats st;
    pagealloc_get_stats(&pa, &st);
    return st;
}

static void test_pagealloc_pc_style_map_counts_exact_pages(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = {
        USABLE(0, 0x9fc00), RESERVED(0x9fc00, 0x400), RESERVED(0xf0000, 0x10000),
        USABLE(0x100000, 128 * MIB - 0x100000), RESERVED(0xfffc0000, 0x40000),
    };
    const struct pagealloc_region res[] = {
        RESERVED(0, MIB),              /* first 1 MiB */
        RESERVED(0x100000, 512 * KIB), /* kernel image */
    };

    assert_int_equal(init_small(map, ARRAY_SIZE(map), res, ARRAY_SIZE(res)), 0);
    /* 0x9f pages below 640 KiB (0x9fc00 trimmed to 0x9f000), 32512 above 1 MiB. */
    assert_int_equal(stats().ram_pages, 159 + 32512);
    assert_int_equal(stats().total_pages, 32512 - 128);
    assert_int_equal(stats().free_pages, 32512 - 128);
    /* The 0x9fc00 edge is routine: a debug line only, no warnings. */
    assert_true(klog_contains("map entry 0 not page-aligned, trimmed (0x0..0x9fc00)"));
    assert_false(klog_contains("ignored"));
    assert_false(klog_contains("overlaps"));
}

static void test_pagealloc_overlapping_map_entries_are_merged(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = {
        USABLE(0x100000, 4 * MIB), USABLE(0x200000, 4 * MIB), USABLE(0x200000, 4 * MIB),
    };

    assert_int_equal(init_small(map, ARRAY_SIZE(map), NULL, 0), 0);
    assert_int_equal(stats().ram_pages, 5 * MIB / 4096); /* 0x100000..0x600000 */
    assert_int_equal(stats().total_pages, 1280);
    assert_true(klog_contains("map entry 1 overlaps an earlier entry, merged (768 pages)"));
    assert_true(klog_contains("map entry 2 overlaps an earlier entry, merged (1024 pages)"));
}

static void test_pagealloc_zero_length_entry_is_ignored(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = { USABLE(0x100000, 0), USABLE(0x200000, MIB) };

    assert_int_equal(init_small(map, ARRAY_SIZE(map), NULL, 0), 0);
    assert_int_equal(stats().total_pages, 256);
    assert_true(klog_contains("map entry 0 has zero length, ignored"));
}

static void test_pagealloc_entries_above_4gib_are_ignored(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = {
        USABLE(4 * GIB, GIB),                /* wholly above: ignored */
        USABLE(4 * GIB - MIB, 2 * MIB),      /* crosses: clamped to 1 MiB */
        USABLE(0x100000, UINT64_MAX),        /* overflows: clamped to 4 GiB */
    };

    klog_clear();
    assert_int_equal(pagealloc_init(&pa, full_storage, ARRAY_SIZE(full_storage), map, 2, NULL,
                                    0), 0);
    assert_int_equal(stats().ram_pages, 256);
    assert_true(klog_contains("map entry 0 lies above 4 GiB, ignored"));
    assert_true(klog_contains("map entry 1 crosses 4 GiB, clamped"));

    assert_int_equal(pagealloc_init(&pa, full_storage, ARRAY_SIZE(full_storage), &map[2], 1,
                                    NULL, 0), 0);
    assert_int_equal(stats().ram_pages, (4 * GIB - 0x100000) / 4096);
}

static void test_pagealloc_ram_beyond_bitmap_is_clamped(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = { USABLE(255 * MIB, 2 * MIB) };

    assert_int_equal(init_small(map, ARRAY_SIZE(map), NULL, 0), 0);
    assert_int_equal(stats().ram_pages, 256);
    assert_true(klog_contains("reaches past the page bitmap"));
}

static void test_pagealloc_unaligned_edges_are_trimmed_inward(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = {
        USABLE(0x100800, 0x3000),  /* 0x100800..0x103800 -> 0x101000..0x103000 */
        USABLE(0x200100, 0xf00),   /* no whole page */
    };
    uint64_t a, b, c;

    assert_int_equal(init_small(map, ARRAY_SIZE(map), NULL, 0), 0);
    assert_int_equal(stats().total_pages, 2);
    assert_true(klog_contains("map entry 1 has no whole page, ignored"));
    assert_int_equal(pagealloc_alloc(&pa, 1, 0, 0, &a), 0);
    assert_int_equal(pagealloc_alloc(&pa, 1, 0, 0, &b), 0);
    assert_int_equal(pagealloc_alloc(&pa, 1, 0, 0, &c), ERR_NOMEM);
    assert_int_equal(a, 0x102000);
    assert_int_equal(b, 0x101000);
    assert_int_equal(stats().free_pages, 0);
}

static void test_pagealloc_reserved_map_entry_overrides_usable(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = {
        RESERVED(0x180800, 0x1000), /* rounded outward: 0x180000..0x182000 */
        USABLE(0x100000, MIB),
    };

    assert_int_equal(init_small(map, ARRAY_SIZE(map), NULL, 0), 0);
    assert_int_equal(stats().ram_pages, 256);
    assert_int_equal(stats().total_pages, 254);
    assert_true(klog_contains("map entry 0 (reserved) overlaps usable RAM, 2 pages withdrawn"));
    assert_false(pagealloc_is_allocated(&pa, 0x180000));
    assert_int_equal(pagealloc_free(&pa, 0x181000, 1), ERR_INVAL);
}

static void test_pagealloc_reserved_ranges_are_never_allocated(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = { USABLE(0, 2 * MIB) };
    const struct pagealloc_region res[] = { RESERVED(0, MIB), RESERVED(0x100000, 0x40000) };
    uint64_t phys;
    unsigned got = 0;

    assert_int_equal(init_small(map, 1, res, 2), 0);
    assert_int_equal(stats().total_pages, 512 - 256 - 64);
    while (pagealloc_alloc(&pa, 1, 0, 0, &phys) == 0) {
        assert_true(phys >= 0x140000 && phys < 2 * MIB);
        got++;
    }
    assert_int_equal(got, 192);
    assert_int_equal(stats().free_pages, 0);
}

static void test_pagealloc_run_respects_alignment_and_limit(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = { USABLE(0x100000, 64 * MIB - 0x100000) };
    uint64_t phys;

    assert_int_equal(init_small(map, 1, NULL, 0), 0);
    /* Highest 64 KiB-aligned run of 16 pages below 16 MiB. */
    assert_int_equal(pagealloc_alloc(&pa, 16, 64 * KIB, 16 * MIB, &phys), 0);
    assert_int_equal(phys, 16 * MIB - 64 * KIB);
    assert_int_equal(pagealloc_alloc(&pa, 16, 64 * KIB, 16 * MIB, &phys), 0);
    assert_int_equal(phys, 16 * MIB - 128 * KIB);
    /* No limit: the top of RAM. */
    assert_int_equal(pagealloc_alloc(&pa, 1, 0, 0, &phys), 0);
    assert_int_equal(phys, 64 * MIB - 4096);
    /* 4 MiB alignment below 4 GiB. */
    assert_int_equal(pagealloc_alloc(&pa, 3, 4 * MIB, 4 * GIB, &phys), 0);
    assert_int_equal(phys, 60 * MIB);
    assert_int_equal(stats().free_pages, stats().total_pages - 36);
}

static void test_pagealloc_run_skips_used_pages(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = { USABLE(0x100000, MIB) };
    uint64_t one, four, aligned;

    assert_int_equal(init_small(map, 1, NULL, 0), 0);
    assert_int_equal(pagealloc_alloc(&pa, 1, 0, 0, &one), 0);
    assert_int_equal(pagealloc_alloc(&pa, 4, 0, 0, &four), 0);
    assert_int_equal(pagealloc_alloc(&pa, 4, 16 * KIB, 0, &aligned), 0);
    assert_int_equal(one, 0x1ff000);
    assert_int_equal(four, 0x1fb000);
    assert_int_equal(aligned, 0x1f4000);
    /* A run larger than what is left fails without side effects. */
    assert_int_equal(pagealloc_alloc(&pa, 256, 0, 0, &aligned), ERR_NOMEM);
    assert_int_equal(stats().free_pages, 256 - 9);
}

static void test_pagealloc_double_free_is_rejected(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = { USABLE(0x100000, MIB) };
    uint64_t phys;

    assert_int_equal(init_small(map, 1, NULL, 0), 0);
    assert_int_equal(pagealloc_alloc(&pa, 2, 0, 0, &phys), 0);
    assert_true(pagealloc_is_allocated(&pa, phys + 4096));
    assert_int_equal(pagealloc_free(&pa, phys, 2), 0);
    assert_int_equal(stats().free_pages, 256);
    assert_int_equal(pagealloc_free(&pa, phys, 2), ERR_INVAL);
    assert_true(klog_contains("free of a page that is not allocated"));
    assert_int_equal(stats().free_pages, 256);
    /* Partly allocated range: refused as a whole, nothing released. */
    assert_int_equal(pagealloc_alloc(&pa, 1, 0, 0, &phys), 0);
    assert_int_equal(pagealloc_free(&pa, phys - 4096, 2), ERR_INVAL);
    assert_true(pagealloc_is_allocated(&pa, phys));
    assert_int_equal(pagealloc_free(&pa, phys + 1, 1), ERR_INVAL);
    assert_int_equal(pagealloc_free(&pa, 300 * MIB, 1), ERR_INVAL);
    assert_int_equal(stats().free_pages, 255);
}

static void test_pagealloc_bad_arguments_are_rejected(void **state)
{
    (void)state;
    const struct pagealloc_region map[] = { USABLE(0x100000, MIB) };
    uint64_t phys = 0;

    assert_int_equal(pagealloc_init(&pa, NULL, 16, map, 1, NULL, 0), ERR_INVAL);
    assert_int_equal(init_small(map, 0, NULL, 0), ERR_NOMEM);
    assert_true(klog_contains("pagealloc: no usable memory"));
    assert_int_equal(init_small(map, 1, NULL, 0), 0);
    assert_int_equal(pagealloc_alloc(&pa, 0, 0, 0, &phys), ERR_INVAL);
    assert_int_equal(pagealloc_alloc(&pa, 1, 3 * 4096, 0, &phys), ERR_INVAL);
    assert_int_equal(pagealloc_alloc(&pa, 1, 0, MIB, &phys), ERR_NOMEM); /* nothing below 1 MiB */
    assert_int_equal(stats().free_pages, 256);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pagealloc_pc_style_map_counts_exact_pages),
        cmocka_unit_test(test_pagealloc_overlapping_map_entries_are_merged),
        cmocka_unit_test(test_pagealloc_zero_length_entry_is_ignored),
        cmocka_unit_test(test_pagealloc_entries_above_4gib_are_ignored),
        cmocka_unit_test(test_pagealloc_ram_beyond_bitmap_is_clamped),
        cmocka_unit_test(test_pagealloc_unaligned_edges_are_trimmed_inward),
        cmocka_unit_test(test_pagealloc_reserved_map_entry_overrides_usable),
        cmocka_unit_test(test_pagealloc_reserved_ranges_are_never_allocated),
        cmocka_unit_test(test_pagealloc_run_respects_alignment_and_limit),
        cmocka_unit_test(test_pagealloc_run_skips_used_pages),
        cmocka_unit_test(test_pagealloc_double_free_is_rejected),
        cmocka_unit_test(test_pagealloc_bad_arguments_are_rejected),
    };
    return cmocka_run_group_tests_name("pagealloc", tests, NULL, NULL);
}
