// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/kstring.c (kstrlcpy, kstrcasecmp, kstrncasecmp,
 * kstrdup, kparse_u64) and kernel/lib/err.c (err_name). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

/* ---- kstrlcpy ------------------------------------------------------------------------------ */

static void test_kstrlcpy_fitting_source_copies_all_and_returns_length(void **state)
{
    (void)state;
    char dst[8];
    memset(dst, 'X', sizeof(dst));
    assert_int_equal(kstrlcpy(dst, "abc", sizeof(dst)), 3);
    assert_string_equal(dst, "abc");
    assert_int_equal(dst[4], 'X'); /* nothing written after the NUL */
}

static void test_kstrlcpy_exact_fit_keeps_whole_string(void **state)
{
    (void)state;
    char dst[4];
    assert_int_equal(kstrlcpy(dst, "abc", sizeof(dst)), 3);
    assert_string_equal(dst, "abc");
}

static void test_kstrlcpy_long_source_truncates_and_returns_source_length(void **state)
{
    (void)state;
    char dst[5];
    memset(dst, 'X', sizeof(dst));
    assert_int_equal(kstrlcpy(dst, "abcdefgh", sizeof(dst)), 8);
    assert_string_equal(dst, "abcd");
}

static void test_kstrlcpy_size_one_writes_only_nul(void **state)
{
    (void)state;
    char dst[2] = { 'X', 'Y' };
    assert_int_equal(kstrlcpy(dst, "abc", 1), 3);
    assert_int_equal(dst[0], '\0');
    assert_int_equal(dst[1], 'Y');
}

static void test_kstrlcpy_size_zero_writes_nothing(void **state)
{
    (void)state;
    char dst[1] = { 'X' };
    assert_int_equal(kstrlcpy(dst, "hello", 0), 5);
    assert_int_equal(dst[0], 'X');
}

static void test_kstrlcpy_empty_source_gives_empty_string(void **state)
{
    (void)state;
    char dst[4] = "zzz";
    assert_int_equal(kstrlcpy(dst, "", sizeof(dst)), 0);
    assert_string_equal(dst, "");
}

/* ---- kstrcasecmp / kstrncasecmp / kstrdup ------------------------------------------------- */

static void test_kstrcasecmp_different_case_compares_equal(void **state)
{
    (void)state;
    assert_int_equal(kstrcasecmp("Hello", "hELLO"), 0);
    assert_int_equal(kstrcasecmp("", ""), 0);
    assert_int_equal(kstrcasecmp("FAT32", "fat32"), 0);
}

static void test_kstrcasecmp_different_strings_order_by_lowercase(void **state)
{
    (void)state;
    assert_true(kstrcasecmp("apple", "Banana") < 0);
    assert_true(kstrcasecmp("Banana", "apple") > 0);
    /* '_' (0x5F) sits between 'Z' and 'a': folding to lower case puts it first. */
    assert_true(kstrcasecmp("_", "A") < 0);
    assert_true(kstrcasecmp("abc", "ABCD") < 0);
    assert_true(kstrcasecmp("ABCD", "abc") > 0);
}

static void test_kstrcasecmp_non_ascii_bytes_compare_unsigned_and_unfolded(void **state)
{
    (void)state;
    assert_true(kstrcasecmp("\xC3\xA9", "a") > 0); /* 0xC3 is above 'a' as unsigned */
    assert_true(kstrcasecmp("\xC3\xA9", "\xC3\x89") != 0); /* no folding beyond ASCII */
}

static void test_kstrncasecmp_stops_after_n_bytes(void **state)
{
    (void)state;
    assert_int_equal(kstrncasecmp("ABCx", "abcy", 3), 0);
    assert_true(kstrncasecmp("ABCx", "abcy", 4) < 0);
    assert_int_equal(kstrncasecmp("a", "b", 0), 0);
    assert_int_equal(kstrncasecmp("ab", "AB", 10), 0); /* stops at the NUL */
}

static void test_kstrdup_copies_into_new_memory(void **state)
{
    (void)state;
    const char *src = "disk0";
    char *copy = kstrdup(src);
    assert_non_null(copy);
    assert_ptr_not_equal(copy, src);
    assert_string_equal(copy, "disk0");
    kfree(copy);
}

/* ---- kparse_u64 ---------------------------------------------------------------------------- */

static void test_kparse_u64_decimal_parses(void **state)
{
    (void)state;
    uint64_t v = 99;
    assert_int_equal(kparse_u64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(kparse_u64("12345", &v), 0);
    assert_int_equal(v, 12345);
    assert_int_equal(kparse_u64("007", &v), 0);
    assert_int_equal(v, 7);
}

static void test_kparse_u64_hex_parses_either_case(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(kparse_u64("0x1F", &v), 0);
    assert_int_equal(v, 0x1F);
    assert_int_equal(kparse_u64("0XdeadBEEF", &v), 0);
    assert_int_equal(v, 0xDEADBEEFu);
    assert_int_equal(kparse_u64("0x0", &v), 0);
    assert_int_equal(v, 0);
}

static void test_kparse_u64_max_values_parse(void **state)
{
    (void)state;
    uint64_t v = 0;
    assert_int_equal(kparse_u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    v = 0;
    assert_int_equal(kparse_u64("0xffffffffffffffff", &v), 0);
    assert_true(v == UINT64_MAX);
    v = 0;
    assert_int_equal(kparse_u64("0x00000000000000000001", &v), 0); /* leading zeros are fine */
    assert_int_equal(v, 1);
}

static void test_kparse_u64_overflow_is_rejected_and_out_untouched(void **state)
{
    (void)state;
    static const char *const too_big[] = {
        "18446744073709551616",  /* 2^64 */
        "18446744073709551620",  /* 2^64 + 4 */
        "99999999999999999999",
        "0x10000000000000000",   /* 2^64 */
        "0x1ffffffffffffffff",
    };
    for (size_t i = 0; i < ARRAY_SIZE(too_big); i++) {
        uint64_t v = 42;
        assert_int_equal(kparse_u64(too_big[i], &v), ERR_INVAL);
        assert_int_equal(v, 42);
    }
}

static void test_kparse_u64_empty_junk_and_bare_prefix_are_rejected(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "0x", "0X", "x1", "12a", "0x1g", "-1", "+1", " 1", "1 ", "1.5", "0b101", "1e3",
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        uint64_t v = 42;
        assert_int_equal(kparse_u64(bad[i], &v), ERR_INVAL);
        assert_int_equal(v, 42);
    }
}

static void test_kparse_u64_null_string_is_rejected(void **state)
{
    (void)state;
    uint64_t v = 42;
    assert_int_equal(kparse_u64(NULL, &v), ERR_INVAL);
    assert_int_equal(v, 42);
}

/* ---- err_name ------------------------------------------------------------------------------ */

static void test_err_name_every_code_has_its_symbol(void **state)
{
    (void)state;
    static const struct {
        int code;
        const char *name;
    } names[] = {
        { ERR_OK, "ERR_OK" },           { ERR_IO, "ERR_IO" },
        { ERR_NOMEDIA, "ERR_NOMEDIA" }, { ERR_EOM, "ERR_EOM" },
        { ERR_NOMEM, "ERR_NOMEM" },     { ERR_INVAL, "ERR_INVAL" },
        { ERR_CORRUPT, "ERR_CORRUPT" }, { ERR_RANGE, "ERR_RANGE" },
        { ERR_ROFS, "ERR_ROFS" },       { ERR_NOSPC, "ERR_NOSPC" },
        { ERR_NOENT, "ERR_NOENT" },     { ERR_BUSY, "ERR_BUSY" },
        { ERR_TIMEOUT, "ERR_TIMEOUT" }, { ERR_NOTSUP, "ERR_NOTSUP" },
        { ERR_EXIST, "ERR_EXIST" },     { ERR_NOTDIR, "ERR_NOTDIR" },
        { ERR_ISDIR, "ERR_ISDIR" },     { ERR_NOTEMPTY, "ERR_NOTEMPTY" },
        { ERR_NAMETOOLONG, "ERR_NAMETOOLONG" },
        { ERR_ACCESS, "ERR_ACCESS" },   { ERR_FBIG, "ERR_FBIG" },
        { ERR_NODEV, "ERR_NODEV" },     { ERR_OVERFLOW, "ERR_OVERFLOW" },
        { ERR_LOOP, "ERR_LOOP" },
    };
    /* The table above must cover the whole enum: ERR_OK .. ERR_LAST_ + 1. */
    assert_int_equal(ARRAY_SIZE(names), -ERR_LAST_);
    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        assert_string_equal(err_name(names[i].code), names[i].name);
}

static void test_err_name_unknown_code_gives_question_mark(void **state)
{
    (void)state;
    assert_string_equal(err_name(ERR_LAST_), "ERR_?");
    assert_string_equal(err_name(ERR_LAST_ - 1), "ERR_?");
    assert_string_equal(err_name(1), "ERR_?");
    assert_string_equal(err_name(5), "ERR_?");
    assert_string_equal(err_name(-1000000), "ERR_?");
    assert_string_equal(err_name((int)0x80000000u), "ERR_?"); /* INT_MIN */
    assert_string_equal(err_name(0x7fffffff), "ERR_?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kstrlcpy_fitting_source_copies_all_and_returns_length),
        cmocka_unit_test(test_kstrlcpy_exact_fit_keeps_whole_string),
        cmocka_unit_test(test_kstrlcpy_long_source_truncates_and_returns_source_length),
        cmocka_unit_test(test_kstrlcpy_size_one_writes_only_nul),
        cmocka_unit_test(test_kstrlcpy_size_zero_writes_nothing),
        cmocka_unit_test(test_kstrlcpy_empty_source_gives_empty_string),
        cmocka_unit_test(test_kstrcasecmp_different_case_compares_equal),
        cmocka_unit_test(test_kstrcasecmp_different_strings_order_by_lowercase),
        cmocka_unit_test(test_kstrcasecmp_non_ascii_bytes_compare_unsigned_and_unfolded),
        cmocka_unit_test(test_kstrncasecmp_stops_after_n_bytes),
        cmocka_unit_test(test_kstrdup_copies_into_new_memory),
        cmocka_unit_test(test_kparse_u64_decimal_parses),
        cmocka_unit_test(test_kparse_u64_hex_parses_either_case),
        cmocka_unit_test(test_kparse_u64_max_values_parse),
        cmocka_unit_test(test_kparse_u64_overflow_is_rejected_and_out_untouched),
        cmocka_unit_test(test_kparse_u64_empty_junk_and_bare_prefix_are_rejected),
        cmocka_unit_test(test_kparse_u64_null_string_is_rejected),
        cmocka_unit_test(test_err_name_every_code_has_its_symbol),
        cmocka_unit_test(test_err_name_unknown_code_gives_question_mark),
    };
    return cmocka_run_group_tests_name("kstring", tests, NULL, NULL);
}
