// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/heap.c: exact accounting, splitting and merging,
 * aligned allocation, in-place realloc, growth through the callback, bad
 * pointer and double free detection, and a randomized fragmentation run that
 * must coalesce back to one free block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/heap.h"

#define ARENA_BYTES (64 * 1024)
#define GROW_MAX 8

/* Grow source for tests: hands out malloc'd arenas of a fixed size, up to a
 * budget, and remembers them for teardown. */
struct grow_src {
    void *bufs[GROW_MAX];
    unsigned calls;     /* grow callbacks seen */
    unsigned budget;    /* arenas it may still hand out */
    size_t arena_bytes; /* size of each arena */
    size_t last_min;    /* min_bytes of the last call */
};

struct fixture {
    struct heap heap;
    void *arena;
    struct grow_src src;
};

static int test_grow(void *ctx, size_t min_bytes, void **out_base, size_t *out_bytes)
{
    struct grow_src *src = ctx;
    size_t bytes = MAX(src->arena_bytes, ALIGN_UP(min_bytes, (size_t)4096));

    src->calls++;
    src->last_min = min_bytes;
    if (src->budget == 0 || src->calls > GROW_MAX)
        return ERR_NOMEM;
    void *p = aligned_alloc(4096, bytes);
    if (!p)
        return ERR_NOMEM;
    src->budget--;
    src->bufs[src->calls - 1] = p;
    *out_base = p;
    *out_bytes = bytes;
    return 0;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    fx->arena = aligned_alloc(4096, ARENA_BYTES);
    fx->src.arena_bytes = ARENA_BYTES;
    heap_init(&fx->heap, test_grow, &fx->src);
    assert_int_equal(heap_add_arena(&fx->heap, fx->arena, ARENA_BYTES), 0);
    klog_clear();
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    for (unsigned i = 0; i < GROW_MAX; i++)
        free(fx->src.bufs[i]);
    free(fx->arena);
    free(fx);
    return 0;
}

static struct kmem_stats stats_of(const struct heap *h)
{
    struct kmem_stats st;
    heap_get_stats(h, &st);
    return st;
}

static void test_heap_new_arena_is_one_free_block(void **state)
{
    struct fixture *fx = *state;
    struct kmem_stats st = stats_of(&fx->heap);

    assert_int_equal(st.total_bytes, ARENA_BYTES);
    assert_int_equal(st.used_bytes, 0);
    assert_int_equal(st.allocations, 0);
    assert_int_equal(st.largest_free, st.free_bytes);
    /* Arena header, fences and rounding cost less than 128 bytes. */
    assert_true(st.free_bytes > ARENA_BYTES - 128 && st.free_bytes < ARENA_BYTES);
    assert_int_equal(heap_free_block_count(&fx->heap), 1);
    assert_int_equal(heap_check(&fx->heap, NULL, 0), 0);
}

static void test_heap_alloc_accounts_exact_block_size(void **state)
{
    struct fixture *fx = *state;
    size_t free0 = stats_of(&fx->heap).free_bytes;
    void *p;

    /* 100 payload + 16 header + 8 footer = 124, rounded to 128. */
    assert_int_equal(heap_alloc(&fx->heap, 100, 0, &p), 0);
    struct kmem_stats st = stats_of(&fx->heap);
    assert_int_equal(st.used_bytes, 128);
    assert_int_equal(st.allocations, 1);
    assert_int_equal(st.free_bytes, free0 - 128);
    assert_int_equal(heap_usable_size(&fx->heap, p), 104);
    assert_int_equal((uintptr_t)p % HEAP_ALIGN, 0);
    assert_int_equal(heap_free_block_count(&fx->heap), 1);
    assert_int_equal(heap_free(&fx->heap, p), 0);
    assert_int_equal(stats_of(&fx->heap).free_bytes, free0);
    assert_int_equal(heap_free_block_count(&fx->heap), 1);
}

static void test_heap_free_merges_with_both_neighbours(void **state)
{
    struct fixture *fx = *state;
    void *a, *b, *c, *d;

    assert_int_equal(heap_alloc(&fx->heap, 200, 0, &a), 0);
    assert_int_equal(heap_alloc(&fx->heap, 200, 0, &b), 0);
    assert_int_equal(heap_alloc(&fx->heap, 200, 0, &c), 0);
    assert_int_equal(heap_alloc(&fx->heap, 200, 0, &d), 0); /* keeps c off the tail */
    assert_int_equal(heap_free(&fx->heap, a), 0);
    assert_int_equal(heap_free(&fx->heap, c), 0);
    assert_int_equal(heap_free_block_count(&fx->heap), 3); /* a, c, tail */
    assert_int_equal(heap_free(&fx->heap, b), 0);            /* joins a and c */
    assert_int_equal(heap_free_block_count(&fx->heap), 2);
    assert_int_equal(heap_check(&fx->heap, NULL, 0), 0);
    assert_int_equal(heap_free(&fx->heap, d), 0);
    assert_int_equal(heap_free_block_count(&fx->heap), 1);
}

static void test_heap_aligned_alloc_returns_slack_to_free_list(void **state)
{
    struct fixture *fx = *state;
    size_t free0 = stats_of(&fx->heap).free_bytes;
    void *p;

    assert_int_equal(heap_alloc(&fx->heap, 512, 4096, &p), 0);
    assert_int_equal((uintptr_t)p % 4096, 0);
    /* Only the aligned block is in use: 512 + 24 -> 544. */
    assert_int_equal(stats_of(&fx->heap).used_bytes, 544);
    assert_int_equal(stats_of(&fx->heap).free_bytes, free0 - 544);
    assert_int_equal(heap_free_block_count(&fx->heap), 2); /* slack before, tail after */
    assert_int_equal(heap_check(&fx->heap, NULL, 0), 0);
    assert_int_equal(heap_free(&fx->heap, p), 0);
    assert_int_equal(heap_free_block_count(&fx->heap), 1);
    assert_int_equal(stats_of(&fx->heap).free_bytes, free0);
}

static void test_heap_bad_alignment_is_rejected(void **state)
{
    struct fixture *fx = *state;
    void *p = NULL;

    assert_int_equal(heap_alloc(&fx->heap, 64, 48, &p), ERR_INVAL);
    assert_int_equal(heap_alloc(&fx->heap, 64, HEAP_MAX_ALIGN * 2, &p), ERR_INVAL);
    assert_null(p);
    assert_int_equal(stats_of(&fx->heap).allocations, 0);
}

static void test_heap_double_free_is_rejected_and_logged(void **state)
{
    struct fixture *fx = *state;
    void *p, *q;

    assert_int_equal(heap_alloc(&fx->heap, 64, 0, &p), 0);
    assert_int_equal(heap_alloc(&fx->heap, 64, 0, &q), 0);
    assert_int_equal(heap_free(&fx->heap, p), 0);
    assert_int_equal(heap_free(&fx->heap, p), ERR_INVAL);
    assert_true(klog_contains("heap: double free"));
    /* q's block is merged into p's on free: a second free of q must be
     * caught through the buried header as well. */
    assert_int_equal(heap_free(&fx->heap, q), 0);
    klog_clear();
    assert_int_equal(heap_free(&fx->heap, q), ERR_INVAL);
    assert_true(klog_contains("heap: double free"));
    assert_int_equal(stats_of(&fx->heap).allocations, 0);
    assert_int_equal(heap_check(&fx->heap, NULL, 0), 0);
}

static void test_heap_bad_pointer_is_rejected_and_logged(void **state)
{
    struct fixture *fx = *state;
    char outside[64] __attribute__((aligned(16)));
    void *p;

    assert_int_equal(heap_free(&fx->heap, outside + 16), ERR_INVAL);
    assert_true(klog_contains("not in any arena"));
    assert_int_equal(heap_alloc(&fx->heap, 256, 0, &p), 0);
    memset(p, 0, 256);
    klog_clear();
    assert_int_equal(heap_free(&fx->heap, (char *)p + 32), ERR_INVAL); /* interior */
    assert_true(klog_contains("heap: bad pointer"));
    assert_int_equal(heap_free(&fx->heap, (char *)p + 1), ERR_INVAL); /* misaligned */
    assert_int_equal(stats_of(&fx->heap).allocations, 1);
    assert_int_equal(heap_check(&fx->heap, NULL, 0), 0);
}

static void test_heap_overrun_is_found_by_check_and_free(void **state)
{
    struct fixture *fx = *state;
    char msg[160] = "";
    void *p;

    assert_int_equal(heap_alloc(&fx->heap, 100, 0, &p), 0);
    memset(p, 0xAB, heap_usable_size(&fx->heap, p) + 4); /* clobbers the footer size */
    assert_int_equal(heap_check(&fx->heap, msg, sizeof(msg)), ERR_CORRUPT);
    assert_non_null(strstr(msg, "footer mismatch"));
    assert_int_equal(heap_free(&fx->heap, p), ERR_CORRUPT);
    assert_true(klog_contains("footer damaged"));
    assert_int_equal(stats_of(&fx->heap).allocations, 1); /* leaked, not followed */
}

static void test_heap_realloc_grows_in_place_when_next_block_is_free(void **state)
{
    struct fixture *fx = *state;
    void *p, *q;

    assert_int_equal(heap_alloc(&fx->heap, 100, 0, &p), 0);
    memset(p, 0x5A, 100);
    assert_int_equal(heap_realloc(&fx->heap, p, 5000, &q), 0);
    assert_ptr_equal(q, p);
    assert_int_equal(stats_of(&fx->heap).used_bytes, ALIGN_UP(5000 + 24, 16));
    for (int i = 0; i < 100; i++)
        assert_int_equal(((unsigned char *)q)[i], 0x5A);
    /* Shrinking gives the tail back to the free block behind. */
    assert_int_equal(heap_realloc(&fx->heap, q, 40, &p), 0);
    assert_ptr_equal(p, q);
    assert_int_equal(stats_of(&fx->heap).used_bytes, 64);
    assert_int_equal(heap_free_block_count(&fx->heap), 1);
    assert_int_equal(heap_check(&fx->heap, NULL, 0), 0);
}

static void test_heap_realloc_moves_when_next_block_is_used(void **state)
{
    struct fixture *fx = *state;
    void *p, *wall, *q;

    assert_int_equal(heap_alloc(&fx->heap, 100, 0, &p), 0);
    assert_int_equal(heap_alloc(&fx->heap, 100, 0, &wall), 0);
    memset(p, 0x33, 100);
    assert_int_equal(heap_realloc(&fx->heap, p, 1000, &q), 0);
    assert_ptr_not_equal(q, p);
    for (int i = 0; i < 100; i++)
        assert_int_equal(((unsigned char *)q)[i], 0x33);
    assert_int_equal(stats_of(&fx->heap).allocations, 2);
    assert_int_equal(heap_check(&fx->heap, NULL, 0), 0);
}

static void test_heap_grows_through_callback_when_arena_is_full(void **state)
{
    struct fixture *fx = *state;
    void *p, *big;

    fx->src.budget = 1;
    assert_int_equal(heap_alloc(&fx->heap, ARENA_BYTES / 2, 0, &p), 0);
    assert_int_equal(fx->src.calls, 0);
    assert_int_equal(heap_alloc(&fx->heap, ARENA_BYTES / 2, 0, &big), 0);
    assert_int_equal(fx->src.calls, 1);
    assert_true(fx->src.last_min >= ARENA_BYTES / 2 + 24);
    assert_int_equal(stats_of(&fx->heap).total_bytes, 2 * ARENA_BYTES);
    assert_int_equal(heap_check(&fx->heap, NULL, 0), 0);
    /* Budget spent: the next miss asks once more and fails cleanly. */
    assert_int_equal(heap_alloc(&fx->heap, ARENA_BYTES / 2, 0, &p), ERR_NOMEM);
    assert_int_equal(fx->src.calls, 2);
    assert_int_equal(heap_free(&fx->heap, big), 0);
    assert_int_equal(heap_free_block_count(&fx->heap), 2); /* one per arena */
}

static void test_heap_huge_request_returns_nomem(void **state)
{
    struct fixture *fx = *state;
    void *p;

    assert_int_equal(heap_alloc(&fx->heap, SIZE_MAX - 8, 0, &p), ERR_NOMEM);
    assert_int_equal(fx->src.calls, 0);
}

/* xorshift32: deterministic, so a failure reproduces. */
static uint32_t rng_next(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

#define STRESS_SLOTS 512
#define STRESS_ROUNDS 6000

static void check_fill(const unsigned char *p, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v)
            fail_msg("fill of %p damaged at byte %zu (0x%02x, expected 0x%02x)", (void *)p, i,
                     p[i], v);
    }
}

static void test_heap_free_all_coalesces_to_one_block(void **state)
{
    struct fixture *fx = *state;
    struct {
        unsigned char *p;
        size_t n;
    } slot[STRESS_SLOTS] = { { 0 } };
    unsigned order[STRESS_SLOTS];
    uint32_t seed = 0x1234567u;
    void *big_arena = aligned_alloc(4096, 1 << 20);
    struct heap h;

    /* A fixed 1 MiB heap, no grow: fragmentation has to be survived. */
    heap_init(&h, NULL, NULL);
    assert_int_equal(heap_add_arena(&h, big_arena, 1 << 20), 0);
    size_t free0 = stats_of(&h).free_bytes;
    (void)fx;

    /* 1. Random allocate/free with fill patterns; every free checks its fill,
     *    so two live blocks that overlapped would show. */
    for (unsigned r = 0; r < STRESS_ROUNDS; r++) {
        unsigned i = rng_next(&seed) % STRESS_SLOTS;
        if (slot[i].p) {
            check_fill(slot[i].p, slot[i].n, (unsigned char)i);
            assert_int_equal(heap_free(&h, slot[i].p), 0);
            slot[i].p = NULL;
            continue;
        }
        size_t n = 1 + rng_next(&seed) % ((rng_next(&seed) & 7) == 0 ? 8000 : 300);
        size_t align = (rng_next(&seed) & 15) == 0 ? (size_t)32 << (rng_next(&seed) % 8) : 0;
        void *p;
        if (heap_alloc(&h, n, align, &p) != 0)
            continue; /* full is fine; corruption is not */
        if (align)
            assert_int_equal((uintptr_t)p % align, 0);
        memset(p, (unsigned char)i, n);
        slot[i].p = p;
        slot[i].n = n;
        if (r % 1000 == 0)
            assert_int_equal(heap_check(&h, NULL, 0), 0);
    }
    assert_int_equal(heap_check(&h, NULL, 0), 0);

    /* 2. Free the rest in random order. */
    for (unsigned i = 0; i < STRESS_SLOTS; i++)
        order[i] = i;
    for (unsigned i = STRESS_SLOTS - 1; i > 0; i--) {
        unsigned j = rng_next(&seed) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (unsigned k = 0; k < STRESS_SLOTS; k++) {
        unsigned i = order[k];
        if (!slot[i].p)
            continue;
        check_fill(slot[i].p, slot[i].n, (unsigned char)i);
        assert_int_equal(heap_free(&h, slot[i].p), 0);
    }

    /* 3. Back to exactly one free block spanning the arena. */
    struct kmem_stats st = stats_of(&h);
    assert_int_equal(heap_check(&h, NULL, 0), 0);
    assert_int_equal(heap_free_block_count(&h), 1);
    assert_int_equal(st.free_bytes, free0);
    assert_int_equal(st.largest_free, free0);
    assert_int_equal(st.used_bytes, 0);
    assert_int_equal(st.allocations, 0);
    free(big_arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_heap_new_arena_is_one_free_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heap_alloc_accounts_exact_block_size, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_heap_free_merges_with_both_neighbours, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_heap_aligned_alloc_returns_slack_to_free_list,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_heap_bad_alignment_is_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heap_double_free_is_rejected_and_logged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_heap_bad_pointer_is_rejected_and_logged, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_heap_overrun_is_found_by_check_and_free, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_heap_realloc_grows_in_place_when_next_block_is_free,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_heap_realloc_moves_when_next_block_is_used, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_heap_grows_through_callback_when_arena_is_full,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_heap_huge_request_returns_nomem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heap_free_all_coalesces_to_one_block, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
