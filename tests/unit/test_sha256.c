// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/sha256.c: the FIPS 180-4 example messages (NIST
 * CAVP/"SHA256.pdf" vectors), the padding boundaries around 55/56/64 bytes,
 * incremental updates split at every offset, and the hex form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/lib/kstring.h"
#include "kernel/lib/sha256.h"

static void digest_hex_of(const void *data, size_t len, char hex[SHA256_HEX_CHARS])
{
    struct sha256 s;
    uint8_t digest[SHA256_DIGEST_BYTES];
    sha256_init(&s);
    sha256_update(&s, data, len);
    sha256_final(&s, digest);
    sha256_hex(digest, hex);
}

static void assert_sha256_hex(const void *data, size_t len, const char *expect)
{
    char hex[SHA256_HEX_CHARS];
    digest_hex_of(data, len, hex);
    assert_string_equal(hex, expect);
}

static void test_sha256_empty_message_matches_fips_vector(void **state)
{
    (void)state;
    assert_sha256_hex("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_sha256_abc_matches_fips_vector(void **state)
{
    (void)state;
    assert_sha256_hex("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_sha256_448_bit_message_matches_fips_vector(void **state)
{
    (void)state;
    static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(strlen(msg) * 8, 448);
    assert_sha256_hex(msg, strlen(msg),
                      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_896_bit_message_matches_fips_vector(void **state)
{
    (void)state;
    static const char msg[] = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                              "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_int_equal(strlen(msg) * 8, 896);
    assert_sha256_hex(msg, strlen(msg),
                      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void test_sha256_million_a_in_chunks_matches_fips_vector(void **state)
{
    (void)state;
    char chunk[1000];
    struct sha256 s;
    uint8_t digest[SHA256_DIGEST_BYTES];
    char hex[SHA256_HEX_CHARS];

    memset(chunk, 'a', sizeof(chunk));
    sha256_init(&s);
    for (int i = 0; i < 1000; i++)
        sha256_update(&s, chunk, sizeof(chunk));
    sha256_final(&s, digest);
    sha256_hex(digest, hex);
    assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Lengths around the padding boundaries: 55 is the longest message whose
 * length field still fits in its last block, 56 and 63 need an extra block,
 * 64/65/119/120 repeat the pattern one block later. Expected values were
 * computed with Python's hashlib.sha256(bytes(range(n))). */
static void test_sha256_padding_boundary_lengths_match_reference(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        const char *hex;
    } cases[] = {
        { 55, "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59" },
        { 56, "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562" },
        { 63, "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488" },
        { 64, "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108" },
        { 65, "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781" },
        { 119, "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6" },
        { 120, "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c" },
    };
    uint8_t msg[128];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)i;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_sha256_hex(msg, cases[i].len, cases[i].hex);
}

static void test_sha256_split_at_every_offset_matches_one_shot(void **state)
{
    (void)state;
    enum { LEN = 131 };
    uint8_t msg[LEN];
    uint8_t whole[SHA256_DIGEST_BYTES], split[SHA256_DIGEST_BYTES];
    char hex[SHA256_HEX_CHARS];
    struct sha256 s;

    for (size_t i = 0; i < LEN; i++)
        msg[i] = (uint8_t)i;
    sha256_init(&s);
    sha256_update(&s, msg, LEN);
    sha256_final(&s, whole);
    /* hashlib.sha256(bytes(range(131))) */
    sha256_hex(whole, hex);
    assert_string_equal(hex, "3acc128faf01077789746edcfd1051d90bc1591342402d9b3cdd06d7315702a4");

    for (size_t cut = 0; cut < LEN; cut++) {
        sha256_init(&s);
        sha256_update(&s, msg, cut);
        sha256_update(&s, msg + cut, LEN - cut);
        sha256_final(&s, split);
        assert_memory_equal(split, whole, sizeof(whole));
    }
}

static void test_sha256_byte_at_a_time_matches_one_shot(void **state)
{
    (void)state;
    uint8_t msg[200];
    uint8_t whole[SHA256_DIGEST_BYTES], bytewise[SHA256_DIGEST_BYTES];
    struct sha256 s;

    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 37 + 11);
    sha256_init(&s);
    sha256_update(&s, msg, sizeof(msg));
    sha256_final(&s, whole);
    sha256_init(&s);
    for (size_t i = 0; i < sizeof(msg); i++)
        sha256_update(&s, msg + i, 1);
    sha256_final(&s, bytewise);
    assert_memory_equal(bytewise, whole, sizeof(whole));
}

static void test_sha256_hex_is_lowercase_and_terminated(void **state)
{
    (void)state;
    uint8_t digest[SHA256_DIGEST_BYTES];
    char hex[SHA256_HEX_CHARS + 1];

    for (size_t i = 0; i < sizeof(digest); i++)
        digest[i] = (uint8_t)(0xF0 + (i % 16));
    digest[0] = 0x0A;
    digest[31] = 0xBC;
    memset(hex, 'Z', sizeof(hex));
    sha256_hex(digest, hex);
    assert_string_equal(hex, "0af1f2f3f4f5f6f7f8f9fafbfcfdfeff"
                             "f0f1f2f3f4f5f6f7f8f9fafbfcfdfebc");
    assert_int_equal(hex[SHA256_HEX_CHARS], 'Z'); /* nothing written past the NUL */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_empty_message_matches_fips_vector),
        cmocka_unit_test(test_sha256_abc_matches_fips_vector),
        cmocka_unit_test(test_sha256_448_bit_message_matches_fips_vector),
        cmocka_unit_test(test_sha256_896_bit_message_matches_fips_vector),
        cmocka_unit_test(test_sha256_million_a_in_chunks_matches_fips_vector),
        cmocka_unit_test(test_sha256_padding_boundary_lengths_match_reference),
        cmocka_unit_test(test_sha256_split_at_every_offset_matches_one_shot),
        cmocka_unit_test(test_sha256_byte_at_a_time_matches_one_shot),
        cmocka_unit_test(test_sha256_hex_is_lowercase_and_terminated),
    };
    return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
