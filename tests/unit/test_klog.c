// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/klog.c: the "[    s.mmm] msg\n" line format on a
 * fake clock, reading back with a cursor (whole and in small pieces), ring
 * wrap-around that always restarts a reader at a whole line, the console
 * sink's level filter, truncation of long messages, and klog_contains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "tests/host/time_host.h"

#define SINK_BYTES 4096

/* What the console sink received. */
static struct {
    char text[SINK_BYTES]; /* lines concatenated, NUL-terminated */
    size_t len;
    int calls;
    int levels[16];        /* level of each call, first 16 */
} sink;

static void capture_sink(int level, const char *line, size_t len)
{
    assert_true(sink.len + len < sizeof(sink.text));
    assert_true(len > 0);
    assert_int_equal(line[len - 1], '\n');
    memcpy(sink.text + sink.len, line, len);
    sink.len += len;
    sink.text[sink.len] = '\0';
    if (sink.calls < 16)
        sink.levels[sink.calls] = level;
    sink.calls++;
}

static int setup(void **state)
{
    (void)state;
    time_host_use_fake(true); /* clock at 0 */
    klog_clear();
    memset(&sink, 0, sizeof(sink));
    klog_set_sink(capture_sink);
    klog_set_console_level(KLOG_INFO);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    klog_set_sink(NULL);
    klog_set_console_level(KLOG_INFO);
    time_host_use_fake(false);
    return 0;
}

/* The cursor a new reader lands on: klog_clear() does not rewind offsets, so
 * "cursor 0" means "the oldest kept line", wherever that is. */
static uint64_t reader_start(void)
{
    uint64_t cursor = 0;
    char unused;
    assert_int_equal(klog_read(&cursor, &unused, 0), 0);
    return cursor;
}

/* Reads everything from *cursor on into a malloc'd string. */
static char *read_rest(uint64_t *cursor)
{
    size_t cap = KLOG_RING_BYTES + 1;
    char *text = malloc(cap);
    size_t used = 0;
    size_t n;
    assert_non_null(text);
    while ((n = klog_read(cursor, text + used, cap - 1 - used)) > 0)
        used += n;
    text[used] = '\0';
    return text;
}

static void assert_log_equals(const char *expect)
{
    uint64_t cursor = 0;
    char *text = read_rest(&cursor);
    assert_string_equal(text, expect);
    free(text);
}

/* ---- line format ---------------------------------------------------------------------------- */

static void test_printk_stores_timestamped_line(void **state)
{
    (void)state;
    printk(KLOG_INFO, "disk: %s: %d sectors", "hd0", 2048);
    time_host_advance_ms(1234);
    pr_err("second");
    assert_log_equals("[    0.000] disk: hd0: 2048 sectors\n"
                      "[    1.234] second\n");
}

static void test_printk_timestamp_widens_past_five_digit_seconds(void **state)
{
    (void)state;
    time_host_advance_ms(12345678);
    pr_info("a");
    time_host_advance_ms(100000000 - 12345678 + 7);
    pr_info("b");
    assert_log_equals("[12345.678] a\n"
                      "[100000.007] b\n");
}

static void test_printk_trailing_newlines_are_not_doubled(void **state)
{
    (void)state;
    pr_info("one\n");
    pr_info("two\n\n");
    pr_info("%s", "");
    pr_info("\n");
    assert_log_equals("[    0.000] one\n"
                      "[    0.000] two\n"
                      "[    0.000] \n"
                      "[    0.000] \n");
}

static void test_printk_overlong_message_is_cut_to_line_max(void **state)
{
    (void)state;
    static char msg[KLOG_LINE_MAX * 2];
    static char expect[KLOG_LINE_MAX * 4];
    uint64_t cursor = 0;

    /* Exactly KLOG_LINE_MAX bytes is kept whole; more is cut to that. */
    memset(msg, 'y', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    msg[KLOG_LINE_MAX] = '\0';
    pr_info("%s", msg);
    msg[KLOG_LINE_MAX] = 'y';
    pr_info("%s", msg);
    pr_info("%sz", msg); /* the cut also drops what follows */

    int n = snprintf(expect, sizeof(expect), "[    0.000] %.*s\n", KLOG_LINE_MAX, msg);
    char *text = read_rest(&cursor);
    assert_int_equal(strlen(text), 3 * (size_t)n);
    for (int i = 0; i < 3; i++)
        assert_memory_equal(text + i * n, expect, (size_t)n);
    free(text);
    assert_int_equal(sink.calls, 3);
    assert_int_equal(sink.len, 3 * (size_t)n);
}

static void test_printk_cut_message_ending_in_newline_keeps_one_newline(void **state)
{
    (void)state;
    static char msg[KLOG_LINE_MAX + 1];
    memset(msg, 'q', KLOG_LINE_MAX - 1);
    msg[KLOG_LINE_MAX - 1] = '\n';
    msg[KLOG_LINE_MAX] = '\0';
    pr_info("%s\n", msg); /* KLOG_LINE_MAX + 1 bytes, the last two newlines */
    uint64_t cursor = 0;
    char *text = read_rest(&cursor);
    assert_int_equal(strlen(text), 12 + KLOG_LINE_MAX - 1 + 1);
    assert_int_equal(text[strlen(text) - 1], '\n');
    assert_int_equal(text[strlen(text) - 2], 'q');
    free(text);
}

/* ---- reading -------------------------------------------------------------------------------- */

static void test_klog_read_returns_exactly_what_was_written(void **state)
{
    (void)state;
    char buf[256];
    uint64_t start = reader_start();
    uint64_t cursor = 0;
    pr_info("alpha");
    pr_warn("beta %d", 2);
    static const char expect[] = "[    0.000] alpha\n[    0.000] beta 2\n";
    size_t n = klog_read(&cursor, buf, sizeof(buf));
    assert_int_equal(n, sizeof(expect) - 1);
    assert_memory_equal(buf, expect, n);
    assert_int_equal(cursor - start, sizeof(expect) - 1);
    assert_int_equal(klog_read(&cursor, buf, sizeof(buf)), 0);
    assert_int_equal(cursor - start, sizeof(expect) - 1);
}

static void test_klog_read_small_buffer_continues_at_cursor(void **state)
{
    (void)state;
    static const char expect[] = "[    0.000] first line\n[    0.000] second\n";
    char got[sizeof(expect)];
    char piece[5];
    size_t used = 0;
    uint64_t start = reader_start();
    uint64_t cursor = start;
    size_t n;

    pr_info("first line");
    pr_info("second");
    while ((n = klog_read(&cursor, piece, sizeof(piece))) > 0) {
        assert_true(n <= sizeof(piece));
        assert_true(used + n < sizeof(got));
        memcpy(got + used, piece, n);
        used += n;
        assert_int_equal(cursor - start, used);
    }
    got[used] = '\0';
    assert_string_equal(got, expect);
}

static void test_klog_read_zero_length_buffer_copies_nothing(void **state)
{
    (void)state;
    char c = 'Z';
    uint64_t start = reader_start();
    uint64_t cursor = start;
    pr_info("x");
    assert_int_equal(klog_read(&cursor, &c, 0), 0);
    assert_int_equal(c, 'Z');
    assert_int_equal(cursor, start);
    char *text = read_rest(&cursor);
    assert_string_equal(text, "[    0.000] x\n");
    free(text);
}

static void test_klog_read_caught_up_reader_sees_only_new_lines(void **state)
{
    (void)state;
    uint64_t cursor = 0;
    pr_info("old");
    free(read_rest(&cursor));
    time_host_advance_ms(5);
    pr_info("new");
    char *text = read_rest(&cursor);
    assert_string_equal(text, "[    0.005] new\n");
    free(text);
}

static void test_klog_clear_hides_old_lines_from_every_reader(void **state)
{
    (void)state;
    uint64_t early = 0, late = 0;
    pr_info("before");
    free(read_rest(&late));
    klog_clear();
    assert_log_equals("");
    pr_info("after");
    char *text = read_rest(&early);
    assert_string_equal(text, "[    0.000] after\n");
    free(text);
    text = read_rest(&late);
    assert_string_equal(text, "[    0.000] after\n");
    free(text);
}

/* ---- wrap-around ---------------------------------------------------------------------------- */

/* Logs `count` lines "[    0.000] w<index, 5 digits>-<pad x's>" of exactly
 * `line_bytes` bytes each (with the '\n'). */
static void log_fixed_lines(int first, int count, int line_bytes)
{
    char pad[128];
    int pad_len = line_bytes - 12 - 7 - 1; /* prefix, "w00000-", '\n' */
    assert_true(pad_len >= 0 && pad_len < (int)sizeof(pad));
    memset(pad, 'x', (size_t)pad_len);
    pad[pad_len] = '\0';
    for (int i = first; i < first + count; i++)
        pr_debug("w%05d-%s", i, pad);
}

/* Expected text of lines first..last-1 as log_fixed_lines writes them. */
static char *fixed_lines_text(int first, int last, int line_bytes)
{
    char *text = malloc((size_t)(last - first) * (size_t)line_bytes + 1);
    int pad_len = line_bytes - 12 - 7 - 1;
    assert_non_null(text);
    char *p = text;
    for (int i = first; i < last; i++) {
        p += sprintf(p, "[    0.000] w%05d-", i);
        memset(p, 'x', (size_t)pad_len);
        p += pad_len;
        *p++ = '\n';
    }
    *p = '\0';
    return text;
}

/* Writes `total` fixed lines and checks a reader at 0 gets exactly the newest
 * lines that fit in the ring, starting at a whole line. */
static void check_wrap(int line_bytes, int total)
{
    int keep = KLOG_RING_BYTES / line_bytes; /* whole lines that fit */
    assert_true(total > keep);
    uint64_t start = reader_start();
    log_fixed_lines(0, total, line_bytes);

    uint64_t cursor = 0;
    char *got = read_rest(&cursor);
    char *expect = fixed_lines_text(total - keep, total, line_bytes);
    assert_int_equal(strlen(got), (size_t)keep * (size_t)line_bytes);
    assert_memory_equal(got, "[    0.000] w", 13);
    assert_string_equal(got, expect);
    assert_int_equal(cursor - start, (uint64_t)total * (uint64_t)line_bytes);
    free(expect);
    free(got);
}

static void test_klog_wrap_unaligned_lines_reader_starts_at_oldest_whole_line(void **state)
{
    (void)state;
    check_wrap(40, 2000); /* 65536 / 40 leaves a partial line's worth of space */
}

static void test_klog_wrap_aligned_lines_keeps_every_fitting_line(void **state)
{
    (void)state;
    check_wrap(32, 2048 + 10); /* 2048 lines fill the ring exactly */
}

static void test_klog_wrap_mixed_line_lengths_reader_starts_at_line_start(void **state)
{
    (void)state;
    uint64_t cursor = 0;
    for (int i = 0; i < 3000; i++)
        pr_debug("m%d-%.*s", i, i % 50, "..................................................");
    char *got = read_rest(&cursor);
    /* Find the first line number and check the whole tail is contiguous. */
    int first = -1;
    assert_int_equal(sscanf(got, "[    0.000] m%d-", &first), 1);
    assert_true(first > 0);
    char *p = got;
    for (int i = first; i < 3000; i++) {
        char expect[96];
        int n = snprintf(expect, sizeof(expect), "[    0.000] m%d-%.*s\n", i, i % 50,
                         "..................................................");
        assert_memory_equal(p, expect, (size_t)n);
        p += n;
    }
    assert_int_equal(*p, '\0');
    assert_true(strlen(got) <= KLOG_RING_BYTES);
    /* The line before `first` would not have fitted as well. */
    int before = snprintf(NULL, 0, "[    0.000] m%d-%.*s\n", first - 1, (first - 1) % 50,
                          "..................................................");
    assert_true(strlen(got) + (size_t)before > KLOG_RING_BYTES);
    free(got);
}

static void test_klog_wrap_reader_left_behind_resumes_at_whole_line(void **state)
{
    (void)state;
    char buf[20];
    uint64_t start = reader_start();
    uint64_t cursor = 0;
    log_fixed_lines(0, 10, 40);
    /* Stop mid-line in line 0, then let the writer lap the reader. */
    assert_int_equal(klog_read(&cursor, buf, 15), 15);
    assert_memory_equal(buf, "[    0.000] w00", 15);
    assert_int_equal(cursor - start, 15);
    log_fixed_lines(10, 2000, 40);
    char *got = read_rest(&cursor);
    char *expect = fixed_lines_text(2010 - KLOG_RING_BYTES / 40, 2010, 40);
    assert_string_equal(got, expect);
    free(expect);
    free(got);
}

/* ---- console sink --------------------------------------------------------------------------- */

static void test_sink_gets_only_lines_at_or_below_console_level(void **state)
{
    (void)state;
    klog_set_console_level(KLOG_WARN);
    assert_int_equal(klog_console_level(), KLOG_WARN);
    pr_err("e");
    pr_warn("w");
    pr_notice("n");
    pr_info("i");
    pr_debug("d");
    printk(KLOG_EMERG, "m");
    assert_int_equal(sink.calls, 3);
    assert_string_equal(sink.text, "[    0.000] e\n[    0.000] w\n[    0.000] m\n");
    assert_int_equal(sink.levels[0], KLOG_ERR);
    assert_int_equal(sink.levels[1], KLOG_WARN);
    assert_int_equal(sink.levels[2], KLOG_EMERG);
    /* The ring keeps every level. */
    assert_log_equals("[    0.000] e\n[    0.000] w\n[    0.000] n\n[    0.000] i\n"
                      "[    0.000] d\n[    0.000] m\n");
}

static void test_sink_default_level_passes_info_not_debug(void **state)
{
    (void)state;
    pr_info("i");
    pr_debug("d");
    assert_int_equal(sink.calls, 1);
    assert_string_equal(sink.text, "[    0.000] i\n");
}

static void test_sink_removed_gets_nothing(void **state)
{
    (void)state;
    klog_set_sink(NULL);
    pr_err("quiet");
    assert_int_equal(sink.calls, 0);
    assert_log_equals("[    0.000] quiet\n");
}

/* ---- klog_contains -------------------------------------------------------------------------- */

static void test_klog_contains_finds_text_inside_one_line(void **state)
{
    (void)state;
    pr_warn("gpt: hd0: header CRC mismatch (stored 0x%x)", 0x1234u);
    pr_info("next line");
    assert_true(klog_contains("header CRC mismatch"));
    assert_true(klog_contains("(stored 0x1234)"));
    assert_true(klog_contains("[    0.000] next"));
    assert_true(klog_contains("line"));
}

static void test_klog_contains_misses_absent_or_cross_line_text(void **state)
{
    (void)state;
    pr_info("abc");
    pr_info("def");
    assert_false(klog_contains("abd"));
    assert_false(klog_contains("abc\n"));
    assert_false(klog_contains("abc["));
    assert_false(klog_contains("abcdef"));
    klog_clear();
    assert_false(klog_contains("abc"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_printk_stores_timestamped_line),
        T(test_printk_timestamp_widens_past_five_digit_seconds),
        T(test_printk_trailing_newlines_are_not_doubled),
        T(test_printk_overlong_message_is_cut_to_line_max),
        T(test_printk_cut_message_ending_in_newline_keeps_one_newline),
        T(test_klog_read_returns_exactly_what_was_written),
        T(test_klog_read_small_buffer_continues_at_cursor),
        T(test_klog_read_zero_length_buffer_copies_nothing),
        T(test_klog_read_caught_up_reader_sees_only_new_lines),
        T(test_klog_clear_hides_old_lines_from_every_reader),
        T(test_klog_wrap_unaligned_lines_reader_starts_at_oldest_whole_line),
        T(test_klog_wrap_aligned_lines_keeps_every_fitting_line),
        T(test_klog_wrap_mixed_line_lengths_reader_starts_at_line_start),
        T(test_klog_wrap_reader_left_behind_resumes_at_whole_line),
        T(test_sink_gets_only_lines_at_or_below_console_level),
        T(test_sink_default_level_passes_info_not_debug),
        T(test_sink_removed_gets_nothing),
        T(test_klog_contains_finds_text_inside_one_line),
        T(test_klog_contains_misses_absent_or_cross_line_text),
    };
#undef T
    return cmocka_run_group_tests_name("klog", tests, NULL, NULL);
}
