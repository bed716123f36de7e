// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/format.c (ksnprintf/kvsnprintf). Most cases run
 * the same literal format and arguments through ksnprintf and the host's
 * snprintf and demand identical text and return value, so the compiler's
 * format checking covers both calls. Where format.h documents a deliberate
 * difference from glibc (NULL %p, unknown conversions) the expected text is
 * spelled out. Truncation is checked at every buffer size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

#define BUF_BYTES 512

static char kbuf[BUF_BYTES];
static char hbuf[BUF_BYTES];

/* Compares one ksnprintf result with the host's; `what` is the call's text. */
static void check_like_libc(int line, const char *what, int kret, int hret)
{
    if (kret != hret || strcmp(kbuf, hbuf) != 0) {
        print_error("line %d: %s\n  ours: %d \"%s\"\n  libc: %d \"%s\"\n", line, what, kret, kbuf,
                    hret, hbuf);
        fail();
    }
}

#define LIKE_LIBC(...)                                                                          \
    check_like_libc(__LINE__, #__VA_ARGS__, ksnprintf(kbuf, sizeof(kbuf), __VA_ARGS__),         \
                    snprintf(hbuf, sizeof(hbuf), __VA_ARGS__))

/* Calls kvsnprintf with a format the compiler does not check (deliberately
 * odd formats whose behaviour format.h defines). */
static int unchecked_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* The host's vsnprintf, also without compile-time format checking. */
static int unchecked_libc_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* For flag combinations C defines (one flag overrides another) but GCC warns
 * about, so the format cannot be a checked literal. */
#define LIKE_LIBC_UNCHECKED(fmt, ...)                                                           \
    check_like_libc(__LINE__, fmt, unchecked_format(kbuf, sizeof(kbuf), fmt, __VA_ARGS__),      \
                    unchecked_libc_format(hbuf, sizeof(hbuf), fmt, __VA_ARGS__))

static void test_format_plain_text_and_percent_match_libc(void **state)
{
    (void)state;
    assert_int_equal(unchecked_format(kbuf, sizeof(kbuf), ""), 0);
    assert_string_equal(kbuf, "");
    LIKE_LIBC("hello, world");
    LIKE_LIBC("100%%");
    LIKE_LIBC("%%d%%");
    LIKE_LIBC("a%cb", 'x');
}

static void test_format_signed_decimal_flags_and_widths_match_libc(void **state)
{
    (void)state;
    LIKE_LIBC("%d", 0);
    LIKE_LIBC("%d", 42);
    LIKE_LIBC("%d", -42);
    LIKE_LIBC("%i", 123456789);
    LIKE_LIBC("%d", INT_MAX);
    LIKE_LIBC("%d", INT_MIN);
    LIKE_LIBC("%i", INT_MIN);
    LIKE_LIBC("[%5d]", 42);
    LIKE_LIBC("[%-5d]", 42);
    LIKE_LIBC("[%05d]", 42);
    LIKE_LIBC("[%05d]", -42);
    LIKE_LIBC("[%+d]", 42);
    LIKE_LIBC("[%+d]", -42);
    LIKE_LIBC("[%+d]", 0);
    LIKE_LIBC("[% d]", 42);
    LIKE_LIBC("[% d]", -42);
    LIKE_LIBC("[%+05d]", 42);
    LIKE_LIBC("[% 05d]", 42);
    LIKE_LIBC("[%+-6d]", 42);
    LIKE_LIBC("[%1d]", 12345);
    LIKE_LIBC("[%12d]", INT_MIN);
    LIKE_LIBC("[%012d]", INT_MIN);
    LIKE_LIBC("[%-12d]", INT_MIN);
}

/* C11 7.21.6.1p6: '+' overrides ' ', '-' overrides '0', and a precision
 * makes integer conversions ignore '0'. */
static void test_format_overridden_flags_are_ignored_like_libc(void **state)
{
    (void)state;
    LIKE_LIBC_UNCHECKED("[%-05d]", -42);
    LIKE_LIBC_UNCHECKED("[%0-5d]", 42);
    LIKE_LIBC_UNCHECKED("[%+ d]", 42);
    LIKE_LIBC_UNCHECKED("[% +d]", -42);
    LIKE_LIBC_UNCHECKED("[% +05d]", 42);
    LIKE_LIBC_UNCHECKED("[%08.3d]", 7);
    LIKE_LIBC_UNCHECKED("[%08.3d]", -7);
    LIKE_LIBC_UNCHECKED("[%08.0d]", 0);
    LIKE_LIBC_UNCHECKED("[%010.4x]", 0xabu);
    LIKE_LIBC_UNCHECKED("[%#010.4x]", 0xabu);
    LIKE_LIBC_UNCHECKED("[%-#010o]", 8u);
    LIKE_LIBC_UNCHECKED("[%--++  5d]", 3);
}

static void test_format_precision_on_integers_matches_libc(void **state)
{
    (void)state;
    LIKE_LIBC("[%.0d]", 0);
    LIKE_LIBC("[%.0i]", 0);
    LIKE_LIBC("[%5.0d]", 0);
    LIKE_LIBC("[%-5.0d]", 0);
    LIKE_LIBC("[%+.0d]", 0);
    LIKE_LIBC("[% .0d]", 0);
    LIKE_LIBC("[%.0d]", 7);
    LIKE_LIBC("[%.d]", 0);
    LIKE_LIBC("[%.3d]", 7);
    LIKE_LIBC("[%.3d]", -7);
    LIKE_LIBC("[%.3d]", 12345);
    LIKE_LIBC("[%8.3d]", -7);
    LIKE_LIBC("[%-8.3d]", -7);
    LIKE_LIBC("[%+.5d]", 42);
    LIKE_LIBC("[%.0u]", 0u);
    LIKE_LIBC("[%.0x]", 0u);
    LIKE_LIBC("[%.0o]", 0u);
    LIKE_LIBC("[%.4x]", 0xABu);
    LIKE_LIBC("[%#.4x]", 0xABu);
    LIKE_LIBC("[%10.4X]", 0xABu);
    LIKE_LIBC("[%.20d]", 1);
}

static void test_format_unsigned_hex_octal_match_libc(void **state)
{
    (void)state;
    LIKE_LIBC("%u", 0u);
    LIKE_LIBC("%u", 4000000000u);
    LIKE_LIBC("%u", UINT_MAX);
    LIKE_LIBC("%x", 0u);
    LIKE_LIBC("%x", 0xdeadbeefu);
    LIKE_LIBC("%X", 0xdeadbeefu);
    LIKE_LIBC("%o", 0u);
    LIKE_LIBC("%o", 8u);
    LIKE_LIBC("%o", 0777u);
    LIKE_LIBC("%o", UINT_MAX);
    LIKE_LIBC("[%08x]", 0x1234u);
    LIKE_LIBC("[%-8x]", 0x1234u);
    LIKE_LIBC("[%8X]", 0xABCDu);
}

static void test_format_alternate_form_matches_libc(void **state)
{
    (void)state;
    LIKE_LIBC("[%#x]", 0u);
    LIKE_LIBC("[%#x]", 255u);
    LIKE_LIBC("[%#X]", 255u);
    LIKE_LIBC("[%#10x]", 255u);
    LIKE_LIBC("[%#-10x]", 255u);
    LIKE_LIBC("[%#010x]", 255u);
    LIKE_LIBC("[%#010X]", 255u);
    LIKE_LIBC("[%#.0x]", 0u);
    LIKE_LIBC("[%#o]", 0u);
    LIKE_LIBC("[%#o]", 8u);
    LIKE_LIBC("[%#5o]", 8u);
    LIKE_LIBC("[%#05o]", 8u);
    LIKE_LIBC("[%#.0o]", 0u);
    LIKE_LIBC("[%#.3o]", 8u);   /* "010": precision already gives the leading 0 */
    LIKE_LIBC("[%#.5o]", 8u);   /* "00010" */
    LIKE_LIBC("[%#.2o]", 8u);   /* "010": two digits are not enough, # adds one */
    LIKE_LIBC("[%#8.5o]", 8u);
    LIKE_LIBC("[%#llo]", 01234567012345670123ull);
}

static void test_format_star_width_and_precision_match_libc(void **state)
{
    (void)state;
    LIKE_LIBC("[%*d]", 6, 42);
    LIKE_LIBC("[%*d]", -6, 42); /* negative width means left-justify */
    LIKE_LIBC("[%-*d]", 6, 42);
    LIKE_LIBC("[%*d]", 0, 42);
    LIKE_LIBC("[%.*d]", 4, 42);
    LIKE_LIBC("[%.*d]", -1, 0); /* negative precision is as if omitted */
    LIKE_LIBC("[%.*d]", 0, 0);
    LIKE_LIBC("[%*.*d]", 8, 4, -42);
    LIKE_LIBC("[%0*d]", 6, -42);
    LIKE_LIBC("[%*s]", 6, "ab");
    LIKE_LIBC("[%*s]", -6, "ab");
    LIKE_LIBC("[%.*s]", 3, "abcdef");
    LIKE_LIBC("[%.*s]", -3, "abcdef");
    LIKE_LIBC("[%*.*s|%d]", 7, 2, "abcdef", 5); /* later arguments stay in step */
}

static void test_format_length_modifiers_match_libc(void **state)
{
    (void)state;
    LIKE_LIBC("%hhd", 200);       /* converted to signed char: -56 */
    LIKE_LIBC("%hhd", -129);
    LIKE_LIBC("%hhu", 0x1FF);
    LIKE_LIBC("%hhx", 0xABCD);
    LIKE_LIBC("%hd", 40000);
    LIKE_LIBC("%hd", -32768);
    LIKE_LIBC("%hu", 0x12345);
    LIKE_LIBC("%hx", 0xFFFFFu);
    LIKE_LIBC("%ld", LONG_MIN);
    LIKE_LIBC("%ld", LONG_MAX);
    LIKE_LIBC("%lu", ULONG_MAX);
    LIKE_LIBC("%lx", ULONG_MAX);
    LIKE_LIBC("%lld", LLONG_MIN);
    LIKE_LIBC("%lld", LLONG_MAX);
    LIKE_LIBC("%lli", -1ll);
    LIKE_LIBC("%llu", ULLONG_MAX);
    LIKE_LIBC("%llx", 0x0123456789abcdefull);
    LIKE_LIBC("%llX", 0x0123456789abcdefull);
    LIKE_LIBC("%llo", ULLONG_MAX);
    LIKE_LIBC("[%-25lld]", LLONG_MIN);
    LIKE_LIBC("[%025lld]", LLONG_MIN);
    LIKE_LIBC("[%+lld]", LLONG_MAX);
    LIKE_LIBC("%zu", SIZE_MAX);
    LIKE_LIBC("%zx", (size_t)0x1234);
    LIKE_LIBC("%zd", (ptrdiff_t)-5);
    LIKE_LIBC("%jd", INTMAX_MIN);
    LIKE_LIBC("%ju", UINTMAX_MAX);
    LIKE_LIBC("%td", PTRDIFF_MIN);
    LIKE_LIBC("%td", (ptrdiff_t)77);
    LIKE_LIBC("%d %lld %d", 1, 2ll, 3); /* a 64-bit argument between two ints */
    LIKE_LIBC("%hhd %hd %ld %lld %zu %jd %td", 1, 2, 3l, 4ll, (size_t)5, (intmax_t)6,
              (ptrdiff_t)7);
}

static void test_format_chars_and_strings_match_libc(void **state)
{
    (void)state;
    LIKE_LIBC("%c", 'A');
    LIKE_LIBC("[%3c]", 'A');
    LIKE_LIBC("[%-3c]", 'A');
    LIKE_LIBC("%c%c%c", 'a', 'b', 'c');
    LIKE_LIBC("%c", 0x1C1); /* converted to unsigned char */
    LIKE_LIBC("%s", "");
    LIKE_LIBC("%s", "text");
    LIKE_LIBC("[%8s]", "text");
    LIKE_LIBC("[%-8s]", "text");
    LIKE_LIBC("[%2s]", "text");
    LIKE_LIBC("[%.2s]", "text");
    LIKE_LIBC("[%.0s]", "text");
    LIKE_LIBC("[%.10s]", "text");
    LIKE_LIBC("[%6.2s]", "text");
    LIKE_LIBC("[%-6.2s]", "text");
    LIKE_LIBC("%s=%d", "key", 9);
    LIKE_LIBC("[%-28s] %s", "echo [WORD...]", "print the words"); /* the help layout */
}

static void test_format_nul_char_is_stored_and_counted(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, 'Z', sizeof(buf));
    assert_int_equal(ksnprintf(buf, sizeof(buf), "a%cb", '\0'), 3);
    assert_memory_equal(buf, "a\0b\0", 4);
}

static void test_format_null_string_prints_null_in_parens(void **state)
{
    (void)state;
    const char *nothing = NULL;
    assert_int_equal(unchecked_format(kbuf, sizeof(kbuf), "[%s]", nothing), 8);
    assert_string_equal(kbuf, "[(null)]");
    assert_int_equal(unchecked_format(kbuf, sizeof(kbuf), "[%8s]", nothing), 10);
    assert_string_equal(kbuf, "[  (null)]");
    assert_int_equal(unchecked_format(kbuf, sizeof(kbuf), "[%.3s]", nothing), 5);
    assert_string_equal(kbuf, "[(nu]");
}

static void test_format_pointer_non_null_matches_libc(void **state)
{
    (void)state;
    int object;
    LIKE_LIBC("%p", (void *)&object);
    LIKE_LIBC("%p", (void *)0x1234);
    LIKE_LIBC("[%20p]", (void *)0xabcdef);
    LIKE_LIBC("[%-20p]", (void *)0xabcdef);
    LIKE_LIBC("%p", (void *)UINTPTR_MAX);
}

/* format.h: a NULL pointer prints as "0" (glibc prints "(nil)"). */
static void test_format_pointer_null_prints_zero_not_nil(void **state)
{
    (void)state;
    assert_int_equal(ksnprintf(kbuf, sizeof(kbuf), "%p", (void *)0), 1);
    assert_string_equal(kbuf, "0");
    assert_int_equal(ksnprintf(kbuf, sizeof(kbuf), "[%4p]", (void *)0), 6);
    assert_string_equal(kbuf, "[   0]");
    assert_int_equal(ksnprintf(kbuf, sizeof(kbuf), "[%-4p]", (void *)0), 6);
    assert_string_equal(kbuf, "[0   ]");
}

/* format.h: an unknown conversion is printed as written; a '%' at the very
 * end of the format prints nothing. */
static void test_format_unknown_conversion_prints_literally(void **state)
{
    (void)state;
    assert_int_equal(unchecked_format(kbuf, sizeof(kbuf), "a%yb"), 4);
    assert_string_equal(kbuf, "a%yb");
    assert_int_equal(unchecked_format(kbuf, sizeof(kbuf), "[%5y]%d", 7), 5);
    assert_string_equal(kbuf, "[%y]7");
    assert_int_equal(unchecked_format(kbuf, sizeof(kbuf), "abc%"), 3);
    assert_string_equal(kbuf, "abc");
}

/* Every buffer size from 0 to one past the full length: the return value is
 * always the full length, the stored text is the longest prefix that fits
 * with its NUL, and nothing is written past `size`. */
static void check_truncation(const char *expect_full, int (*render)(char *buf, size_t size))
{
    int full = (int)strlen(expect_full);
    char buf[64];
    assert_true(full + 2 <= (int)sizeof(buf));

    for (size_t size = 0; size <= (size_t)full + 1; size++) {
        memset(buf, '#', sizeof(buf));
        assert_int_equal(render(buf, size), full);
        if (size == 0) {
            assert_int_equal(buf[0], '#');
            continue;
        }
        size_t kept = MIN(size - 1, (size_t)full);
        assert_memory_equal(buf, expect_full, kept);
        assert_int_equal(buf[kept], '\0');
        for (size_t i = size; i < sizeof(buf); i++)
            assert_int_equal(buf[i], '#');
    }
}

static int render_mixed(char *buf, size_t size)
{
    return ksnprintf(buf, size, "%s:%-4d|%#06x|%c%%%lld", "ab", -7, 0x2au, 'z', -123456789012ll);
}

static int render_padded(char *buf, size_t size)
{
    return ksnprintf(buf, size, "[%20s]", "right");
}

static void test_format_small_buffers_truncate_and_return_full_length(void **state)
{
    (void)state;
    char ref[64];
    snprintf(ref, sizeof(ref), "%s:%-4d|%#06x|%c%%%lld", "ab", -7, 0x2au, 'z', -123456789012ll);
    assert_string_equal(ref, "ab:-7  |0x002a|z%-123456789012");
    check_truncation(ref, render_mixed);
    check_truncation("[               right]", render_padded);
}

static void test_format_size_zero_with_null_buffer_only_counts(void **state)
{
    (void)state;
    assert_int_equal(ksnprintf(NULL, 0, "%d-%s", 12345, "abc"), 9);
    assert_int_equal(unchecked_format(NULL, 0, ""), 0);
}

static void test_format_long_output_counts_past_buffer(void **state)
{
    (void)state;
    char buf[4];
    assert_int_equal(ksnprintf(buf, sizeof(buf), "%300d", 1), 300);
    assert_string_equal(buf, "   ");
    assert_int_equal(ksnprintf(buf, sizeof(buf), "%.300d", 1), 300);
    assert_string_equal(buf, "000");
}

static int call_kvsnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int call_kvsnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void test_format_kvsnprintf_takes_a_va_list(void **state)
{
    (void)state;
    assert_int_equal(call_kvsnprintf(kbuf, sizeof(kbuf), "%s %d %llx", "v", -3, 0xffull), 7);
    assert_string_equal(kbuf, "v -3 ff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_plain_text_and_percent_match_libc),
        cmocka_unit_test(test_format_signed_decimal_flags_and_widths_match_libc),
        cmocka_unit_test(test_format_overridden_flags_are_ignored_like_libc),
        cmocka_unit_test(test_format_precision_on_integers_matches_libc),
        cmocka_unit_test(test_format_unsigned_hex_octal_match_libc),
        cmocka_unit_test(test_format_alternate_form_matches_libc),
        cmocka_unit_test(test_format_star_width_and_precision_match_libc),
        cmocka_unit_test(test_format_length_modifiers_match_libc),
        cmocka_unit_test(test_format_chars_and_strings_match_libc),
        cmocka_unit_test(test_format_nul_char_is_stored_and_counted),
        cmocka_unit_test(test_format_null_string_prints_null_in_parens),
        cmocka_unit_test(test_format_pointer_non_null_matches_libc),
        cmocka_unit_test(test_format_pointer_null_prints_zero_not_nil),
        cmocka_unit_test(test_format_unknown_conversion_prints_literally),
        cmocka_unit_test(test_format_small_buffers_truncate_and_return_full_length),
        cmocka_unit_test(test_format_size_zero_with_null_buffer_only_counts),
        cmocka_unit_test(test_format_long_output_counts_past_buffer),
        cmocka_unit_test(test_format_kvsnprintf_takes_a_va_list),
    };
    return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
