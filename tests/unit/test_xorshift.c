// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/xorshift.c: the first words of the stream for a
 * few seeds (seed 0 stands for 0x9E3779B9), little-endian byte order, and
 * that producing the stream in pieces gives the same bytes as one fill. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/lib/kstring.h"
#include "kernel/lib/xorshift.h"

/* Expected words were computed once, outside this code base, with:
 *   python3 -c 'M=0xffffffff
 *   for seed in (0, 1, 12345):
 *       x = seed or 0x9E3779B9
 *       for _ in range(4):
 *           x ^= (x << 13) & M; x ^= x >> 17; x ^= (x << 5) & M; print(hex(x))'
 * Seed 1 also matches Marsaglia's published xorshift32 sequence
 * (270369, 67634689, 2647435461, ...). */
struct known_stream {
    uint32_t seed;
    uint32_t words[4];
};

static const struct known_stream known_streams[] = {
    { 0, { 0x510c4619u, 0xe02e553eu, 0x7bb98f3au, 0x0183a8b5u } },
    { 1, { 0x00042021u, 0x04080601u, 0x9dcca8c5u, 0x1255994fu } },
    { 12345, { 0xc6e5747au, 0x652a09afu, 0xa7e08fa0u, 0x748e41eau } },
};

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_xorshift_known_seeds_give_reference_words(void **state)
{
    (void)state;
    for (size_t k = 0; k < ARRAY_SIZE(known_streams); k++) {
        struct xorshift x;
        uint8_t bytes[16];
        xorshift_init(&x, known_streams[k].seed);
        xorshift_fill(&x, bytes, sizeof(bytes));
        for (int i = 0; i < 4; i++)
            assert_int_equal(le32(bytes + 4 * i), known_streams[k].words[i]);
    }
}

static void test_xorshift_words_are_emitted_little_endian(void **state)
{
    (void)state;
    static const uint8_t expect[8] = { 0x21, 0x20, 0x04, 0x00, 0x01, 0x06, 0x08, 0x04 };
    struct xorshift x;
    uint8_t bytes[8];
    xorshift_init(&x, 1);
    xorshift_fill(&x, bytes, sizeof(bytes));
    assert_memory_equal(bytes, expect, sizeof(expect));
}

static void test_xorshift_seed_zero_equals_golden_ratio_seed(void **state)
{
    (void)state;
    struct xorshift a, b;
    uint8_t out_a[64], out_b[64];
    xorshift_init(&a, 0);
    xorshift_init(&b, XORSHIFT_ZERO_SEED);
    xorshift_fill(&a, out_a, sizeof(out_a));
    xorshift_fill(&b, out_b, sizeof(out_b));
    assert_int_equal(XORSHIFT_ZERO_SEED, 0x9E3779B9u);
    assert_memory_equal(out_a, out_b, sizeof(out_a));
}

static void test_xorshift_fill_in_odd_pieces_matches_one_fill(void **state)
{
    (void)state;
    enum { TOTAL = 1000 };
    static const size_t pieces[] = { 1, 3, 7, 2, 5, 11, 4, 13, 0, 6, 64, 9, 1, 1, 1 };
    uint8_t whole[TOTAL], pieced[TOTAL];
    struct xorshift x;

    xorshift_init(&x, 12345);
    xorshift_fill(&x, whole, TOTAL);

    /* Cycle through the piece lengths until the buffer is full. */
    xorshift_init(&x, 12345);
    memset(pieced, 0xAA, sizeof(pieced));
    size_t done = 0;
    for (size_t i = 0; done < TOTAL; i = (i + 1) % ARRAY_SIZE(pieces)) {
        size_t n = MIN(pieces[i], (size_t)TOTAL - done);
        xorshift_fill(&x, pieced + done, n);
        done += n;
    }
    assert_memory_equal(pieced, whole, TOTAL);
}

static void test_xorshift_fill_zero_length_changes_nothing(void **state)
{
    (void)state;
    struct xorshift a, b;
    uint8_t out_a[12], out_b[12];
    uint8_t untouched = 0x5A;
    xorshift_init(&a, 7);
    xorshift_init(&b, 7);
    xorshift_fill(&a, out_a, 3);
    xorshift_fill(&a, &untouched, 0);
    xorshift_fill(&a, out_a + 3, 9);
    xorshift_fill(&b, out_b, 12);
    assert_int_equal(untouched, 0x5A);
    assert_memory_equal(out_a, out_b, sizeof(out_a));
}

static void test_xorshift_init_restarts_a_partly_used_stream(void **state)
{
    (void)state;
    struct xorshift x;
    uint8_t first[8], again[8];
    xorshift_init(&x, 99);
    xorshift_fill(&x, first, sizeof(first));
    xorshift_fill(&x, again, 3); /* leave one unused byte in the current word */
    xorshift_init(&x, 99);
    xorshift_fill(&x, again, sizeof(again));
    assert_memory_equal(first, again, sizeof(first));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xorshift_known_seeds_give_reference_words),
        cmocka_unit_test(test_xorshift_words_are_emitted_little_endian),
        cmocka_unit_test(test_xorshift_seed_zero_equals_golden_ratio_seed),
        cmocka_unit_test(test_xorshift_fill_in_odd_pieces_matches_one_fill),
        cmocka_unit_test(test_xorshift_fill_zero_length_changes_nothing),
        cmocka_unit_test(test_xorshift_init_restarts_a_partly_used_stream),
    };
    return cmocka_run_group_tests_name("xorshift", tests, NULL, NULL);
}
