// SPDX-License-Identifier: MIT
/* The raw-deflate / zlib decoder against streams made at test time by
 * Python's zlib (the reference implementation): every level 0..9 on
 * incompressible, highly repetitive and mixed data decodes byte-exact; then
 * malformed streams built bit by bit (reserved block type, stored length
 * mismatch, distance before the output start, over-subscribed and incomplete
 * codes, counts above the RFC maxima, unused symbols), every truncation, a
 * too-small output buffer and random bit flips are rejected with
 * ERR_CORRUPT and never read or write out of bounds (ASan). Streams are
 * written to build/host/images/inflate/ by `python3 -c` through system(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "drivers/vdisk/lib/inflate.h"
#include "kernel/err.h"
#include "kernel/lib/kstring.h"

#define INF_DIR "build/host/images/inflate"
#define INF_DATA_BYTES (300u * 1024u)

static struct {
    char root[1024];
    uint8_t *data[3];   /* random, repetitive, mixed */
    size_t bytes[3];
} inf;

static const char *inf_root(void)
{
    if (inf.root[0])
        return inf.root;
    ssize_t n = readlink("/proc/self/exe", inf.root, sizeof(inf.root) - 1);
    if (n <= 0) {
        strcpy(inf.root, ".");
        return inf.root;
    }
    inf.root[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(inf.root, '/');
        if (slash)
            *slash = '\0';
    }
    return inf.root;
}

static uint64_t inf_rng = 0x9e3779b97f4a7c15ull;
static uint32_t inf_rand(void)
{
    inf_rng ^= inf_rng << 13;
    inf_rng ^= inf_rng >> 7;
    inf_rng ^= inf_rng << 17;
    return (uint32_t)(inf_rng >> 11);
}

/* Compress buf with python3 zlib at `level` and `wbits` (-15 raw, 15 zlib);
 * returns a malloc'd stream and its size. */
static uint8_t *inf_compress(const uint8_t *buf, size_t n, int level, int wbits, size_t *out)
{
    char in_path[1200], out_path[1200], cmd[4000];
    snprintf(in_path, sizeof(in_path), "%s/%s/in.bin", inf_root(), INF_DIR);
    snprintf(out_path, sizeof(out_path), "%s/%s/out.bin", inf_root(), INF_DIR);
    FILE *f = fopen(in_path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "python3 -c 'import sys,zlib; c=zlib.compressobj(%d, zlib.DEFLATED, %d); "
             "d=open(sys.argv[1],\"rb\").read(); "
             "open(sys.argv[2],\"wb\").write(c.compress(d)+c.flush())' '%s' '%s'",
             level, wbits, in_path, out_path);
    assert_int_equal(system(cmd), 0);
    f = fopen(out_path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *z = malloc((size_t)sz + 1);
    assert_non_null(z);
    assert_int_equal(fread(z, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *out = (size_t)sz;
    return z;
}

static int inf_setup(void **state)
{
    char cmd[1200];
    (void)state;
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", inf_root(), INF_DIR);
    if (system(cmd) != 0)
        return -1;
    for (int i = 0; i < 3; i++) {
        inf.bytes[i] = INF_DATA_BYTES;
        inf.data[i] = malloc(INF_DATA_BYTES);
        if (!inf.data[i])
            return -1;
    }
    for (size_t i = 0; i < INF_DATA_BYTES; i++)
        inf.data[0][i] = (uint8_t)inf_rand();
    /* Long runs and short periods: matches of every length and distance 1. */
    for (size_t i = 0; i < INF_DATA_BYTES; i++)
        inf.data[1][i] = (i / 4096) % 3 == 0 ? 0 : (uint8_t)("spindle "[i % 8]);
    /* Mixed: words from a small vocabulary with random gaps of noise, so
     * dynamic blocks with long codes and far distances appear. */
    for (size_t i = 0; i < INF_DATA_BYTES;) {
        static const char *const words[] = { "qcow2 ", "cluster ", "refcount ", "L2 table ",
                                             "grain ", "deflate ", "\n", "0123456789" };
        uint32_t r = inf_rand();
        if (r % 17 == 0) {
            inf.data[2][i++] = (uint8_t)(r >> 8);
            continue;
        }
        const char *w = words[r % ARRAY_SIZE(words)];
        for (size_t k = 0; w[k] && i < INF_DATA_BYTES; k++)
            inf.data[2][i++] = (uint8_t)w[k];
    }
    return 0;
}

static int inf_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        free(inf.data[i]);
    return 0;
}

static void inf_check_roundtrip(int which, size_t n)
{
    for (int level = 0; level <= 9; level++) {
        size_t zn, got = 0, used = 0;
        uint8_t *z = inf_compress(inf.data[which], n, level, -15, &zn);
        uint8_t *out = malloc(n + 1);
        assert_non_null(out);
        assert_int_equal(inflate_raw(z, zn, out, n, &got, &used), 0);
        assert_int_equal(got, n);
        assert_int_equal(used, zn);
        assert_memory_equal(out, inf.data[which], n);
        free(out);
        free(z);
    }
}

static void test_inflate_random_data_all_levels_decodes_exactly(void **state)
{
    (void)state;
    inf_check_roundtrip(0, inf.bytes[0]);
}

static void test_inflate_repetitive_data_all_levels_decodes_exactly(void **state)
{
    (void)state;
    inf_check_roundtrip(1, inf.bytes[1]);
}

static void test_inflate_mixed_data_all_levels_decodes_exactly(void **state)
{
    (void)state;
    inf_check_roundtrip(2, inf.bytes[2]);
}

static void test_inflate_empty_and_one_byte_inputs_decode(void **state)
{
    uint8_t out[4];
    size_t zn, got = 99;
    (void)state;
    uint8_t *z = inf_compress(inf.data[0], 0, 6, -15, &zn);
    assert_int_equal(inflate_raw(z, zn, out, 0, &got, NULL), 0);
    assert_int_equal(got, 0);
    free(z);
    z = inf_compress(inf.data[0], 1, 9, -15, &zn);
    assert_int_equal(inflate_raw(z, zn, out, 1, &got, NULL), 0);
    assert_int_equal(got, 1);
    assert_int_equal(out[0], inf.data[0][0]);
    free(z);
}

static void test_inflate_zlib_stream_checks_header_and_adler(void **state)
{
    size_t zn, got = 0, n = 65536;
    (void)state;
    uint8_t *z = inf_compress(inf.data[2], n, 6, 15, &zn);
    uint8_t *out = malloc(n);
    assert_non_null(out);
    assert_int_equal(inflate_zlib(z, zn, out, n, &got), 0);
    assert_int_equal(got, n);
    assert_memory_equal(out, inf.data[2], n);
    /* Adler-32 trailer wrong. */
    z[zn - 1] ^= 1;
    assert_int_equal(inflate_zlib(z, zn, out, n, &got), ERR_CORRUPT);
    z[zn - 1] ^= 1;
    /* Header check bits wrong, then a preset dictionary flag. */
    z[1] ^= 1;
    assert_int_equal(inflate_zlib(z, zn, out, n, &got), ERR_CORRUPT);
    z[1] ^= 1;
    z[1] |= 0x20;
    assert_int_equal(inflate_zlib(z, zn, out, n, &got), ERR_CORRUPT);
    /* Trailer cut off. */
    z[1] &= (uint8_t)~0x20;
    assert_int_equal(inflate_zlib(z, zn - 2, out, n, &got), ERR_CORRUPT);
    free(out);
    free(z);
}

static void test_inflate_every_truncation_is_corrupt(void **state)
{
    size_t zn, n = 20000;
    (void)state;
    for (int which = 0; which < 3; which++) {
        uint8_t *z = inf_compress(inf.data[which], n, which == 0 ? 0 : 6, -15, &zn);
        uint8_t *out = malloc(n);
        assert_non_null(out);
        for (size_t cut = 0; cut < zn; cut += (zn > 4000 ? 7 : 1)) {
            /* An exact-size heap copy so ASan catches any read past `cut`. */
            uint8_t *part = malloc(cut ? cut : 1);
            assert_non_null(part);
            memcpy(part, z, cut);
            assert_int_equal(inflate_raw(part, cut, out, n, NULL, NULL), ERR_CORRUPT);
            free(part);
        }
        free(out);
        free(z);
    }
}

static void test_inflate_output_one_byte_short_is_corrupt(void **state)
{
    (void)state;
    for (int which = 0; which < 3; which++) {
        size_t zn, n = 50000;
        uint8_t *z = inf_compress(inf.data[which], n, 6, -15, &zn);
        uint8_t *out = malloc(n - 1);
        assert_non_null(out);
        assert_int_equal(inflate_raw(z, zn, out, n - 1, NULL, NULL), ERR_CORRUPT);
        free(out);
        free(z);
    }
}

static void test_inflate_random_bit_flips_never_crash(void **state)
{
    size_t zn, n = 30000;
    (void)state;
    uint8_t *z = inf_compress(inf.data[2], n, 9, -15, &zn);
    uint8_t *bad = malloc(zn);
    uint8_t *out = malloc(n);
    assert_non_null(bad);
    assert_non_null(out);
    unsigned rejected = 0;
    for (int round = 0; round < 400; round++) {
        memcpy(bad, z, zn);
        for (int k = 0; k < 1 + round % 4; k++) {
            uint32_t r = inf_rand();
            bad[r % zn] ^= (uint8_t)(1u << (r >> 24) % 8);
        }
        size_t got = 0;
        int err = inflate_raw(bad, zn, out, n, &got, NULL);
        assert_true(err == 0 || err == ERR_CORRUPT);
        if (err)
            rejected++;
        else
            assert_true(got <= n);
    }
    assert_true(rejected > 100);
    free(out);
    free(bad);
    free(z);
}

/* ---- hand-built malformed streams ------------------------------------------- */

struct inf_bw {
    uint8_t buf[64];
    unsigned bit;
};

static void bw_put(struct inf_bw *w, unsigned v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, w->bit++) {
        if ((v >> i) & 1u)
            w->buf[w->bit / 8] |= (uint8_t)(1u << (w->bit % 8));
    }
}

/* Huffman codes go MSB first. */
static void bw_code(struct inf_bw *w, unsigned code, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        bw_put(w, (code >> i) & 1u, 1);
}

static size_t bw_bytes(const struct inf_bw *w)
{
    return (w->bit + 7) / 8;
}

static int bw_inflate(const struct inf_bw *w)
{
    uint8_t out[300];
    return inflate_raw(w->buf, bw_bytes(w), out, sizeof(out), NULL, NULL);
}

static void test_inflate_fixed_block_hand_built_decodes(void **state)
{
    struct inf_bw w = { 0 };
    uint8_t out[16];
    size_t got = 0;
    (void)state;
    /* "aaaaa": literal 'a' then <length 4, distance 1>, then end of block. */
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_code(&w, 0x30 + 'a', 8);
    bw_code(&w, 2, 7);   /* symbol 258: length 4 */
    bw_code(&w, 0, 5);   /* distance symbol 0: distance 1 */
    bw_code(&w, 0, 7);   /* 256 */
    assert_int_equal(inflate_raw(w.buf, bw_bytes(&w), out, sizeof(out), &got, NULL), 0);
    assert_int_equal(got, 5);
    assert_memory_equal(out, "aaaaa", 5);
}

static void test_inflate_reserved_block_type_is_corrupt(void **state)
{
    struct inf_bw w = { 0 };
    (void)state;
    bw_put(&w, 1, 1);
    bw_put(&w, 3, 2);
    bw_put(&w, 0, 16);
    assert_int_equal(bw_inflate(&w), ERR_CORRUPT);
}

static void test_inflate_stored_length_mismatch_is_corrupt(void **state)
{
    struct inf_bw w = { 0 };
    (void)state;
    bw_put(&w, 1, 1);
    bw_put(&w, 0, 2);
    bw_put(&w, 0, 5);
    bw_put(&w, 3, 16);
    bw_put(&w, 0xfffb, 16); /* should be 0xfffc */
    bw_put(&w, 0x636261, 24);
    assert_int_equal(bw_inflate(&w), ERR_CORRUPT);
}

static void test_inflate_stored_length_past_input_is_corrupt(void **state)
{
    struct inf_bw w = { 0 };
    (void)state;
    bw_put(&w, 1, 1);
    bw_put(&w, 0, 2);
    bw_put(&w, 0, 5);
    bw_put(&w, 40, 16);
    bw_put(&w, 40 ^ 0xffff, 16);
    bw_put(&w, 0x636261, 24);
    assert_int_equal(bw_inflate(&w), ERR_CORRUPT);
}

static void test_inflate_distance_before_output_start_is_corrupt(void **state)
{
    struct inf_bw w = { 0 };
    (void)state;
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_code(&w, 0x30 + 'a', 8);
    bw_code(&w, 1, 7);  /* length 3 */
    bw_code(&w, 1, 5);  /* distance 2, but only 1 byte exists */
    bw_code(&w, 0, 7);
    assert_int_equal(bw_inflate(&w), ERR_CORRUPT);
}

static void test_inflate_unused_symbols_are_corrupt(void **state)
{
    struct inf_bw w = { 0 };
    (void)state;
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_code(&w, 0xc0 + 6, 8); /* literal/length symbol 286 */
    bw_code(&w, 0, 7);
    assert_int_equal(bw_inflate(&w), ERR_CORRUPT);

    struct inf_bw d = { 0 };
    bw_put(&d, 1, 1);
    bw_put(&d, 1, 2);
    bw_code(&d, 0x30 + 'a', 8);
    bw_code(&d, 1, 7);
    bw_code(&d, 30, 5); /* distance symbol 30 */
    bw_code(&d, 0, 7);
    assert_int_equal(bw_inflate(&d), ERR_CORRUPT);
}

static void test_inflate_oversubscribed_code_lengths_are_corrupt(void **state)
{
    struct inf_bw w = { 0 };
    (void)state;
    bw_put(&w, 1, 1);
    bw_put(&w, 2, 2);
    bw_put(&w, 0, 5);
    bw_put(&w, 0, 5);
    bw_put(&w, 15, 4); /* 19 code length codes */
    for (int i = 0; i < 19; i++)
        bw_put(&w, 1, 3); /* all of length 1: over-subscribed */
    assert_int_equal(bw_inflate(&w), ERR_CORRUPT);
}

static void test_inflate_incomplete_code_length_code_is_corrupt(void **state)
{
    struct inf_bw w = { 0 };
    (void)state;
    bw_put(&w, 1, 1);
    bw_put(&w, 2, 2);
    bw_put(&w, 0, 5);
    bw_put(&w, 0, 5);
    bw_put(&w, 0, 4); /* 4 code length codes: 16, 17, 18, 0 */
    bw_put(&w, 0, 3);
    bw_put(&w, 0, 3);
    bw_put(&w, 2, 3); /* symbols 18 and 0 of length 2: incomplete */
    bw_put(&w, 2, 3);
    bw_put(&w, 0, 16);
    assert_int_equal(bw_inflate(&w), ERR_CORRUPT);
}

static void test_inflate_counts_above_rfc_maxima_are_corrupt(void **state)
{
    struct inf_bw w = { 0 };
    (void)state;
    bw_put(&w, 1, 1);
    bw_put(&w, 2, 2);
    bw_put(&w, 30, 5); /* HLIT 287 */
    bw_put(&w, 0, 5);
    bw_put(&w, 0, 4);
    bw_put(&w, 0, 16);
    assert_int_equal(bw_inflate(&w), ERR_CORRUPT);

    struct inf_bw d = { 0 };
    bw_put(&d, 1, 1);
    bw_put(&d, 2, 2);
    bw_put(&d, 0, 5);
    bw_put(&d, 31, 5); /* HDIST 32 */
    bw_put(&d, 0, 4);
    bw_put(&d, 0, 16);
    assert_int_equal(bw_inflate(&d), ERR_CORRUPT);
}

static void test_inflate_repeat_without_previous_length_is_corrupt(void **state)
{
    struct inf_bw w = { 0 };
    (void)state;
    bw_put(&w, 1, 1);
    bw_put(&w, 2, 2);
    bw_put(&w, 0, 5);
    bw_put(&w, 0, 5);
    bw_put(&w, 0, 4);  /* code length codes for 16, 17, 18, 0 */
    bw_put(&w, 1, 3);  /* 16: length 1 */
    bw_put(&w, 1, 3);  /* 17: length 1 -> complete {16: 0, 17: 1} */
    bw_put(&w, 0, 3);
    bw_put(&w, 0, 3);
    bw_code(&w, 0, 1); /* symbol 16 first: nothing to repeat */
    bw_put(&w, 0, 2);
    bw_put(&w, 0, 16);
    assert_int_equal(bw_inflate(&w), ERR_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inflate_random_data_all_levels_decodes_exactly),
        cmocka_unit_test(test_inflate_repetitive_data_all_levels_decodes_exactly),
        cmocka_unit_test(test_inflate_mixed_data_all_levels_decodes_exactly),
        cmocka_unit_test(test_inflate_empty_and_one_byte_inputs_decode),
        cmocka_unit_test(test_inflate_zlib_stream_checks_header_and_adler),
        cmocka_unit_test(test_inflate_every_truncation_is_corrupt),
        cmocka_unit_test(test_inflate_output_one_byte_short_is_corrupt),
        cmocka_unit_test(test_inflate_random_bit_flips_never_crash),
        cmocka_unit_test(test_inflate_fixed_block_hand_built_decodes),
        cmocka_unit_test(test_inflate_reserved_block_type_is_corrupt),
        cmocka_unit_test(test_inflate_stored_length_mismatch_is_corrupt),
        cmocka_unit_test(test_inflate_stored_length_past_input_is_corrupt),
        cmocka_unit_test(test_inflate_distance_before_output_start_is_corrupt),
        cmocka_unit_test(test_inflate_unused_symbols_are_corrupt),
        cmocka_unit_test(test_inflate_oversubscribed_code_lengths_are_corrupt),
        cmocka_unit_test(test_inflate_incomplete_code_length_code_is_corrupt),
        cmocka_unit_test(test_inflate_counts_above_rfc_maxima_are_corrupt),
        cmocka_unit_test(test_inflate_repeat_without_previous_length_is_corrupt),
    };
    return cmocka_run_group_tests_name("inflate", tests, inf_setup, inf_teardown);
}
