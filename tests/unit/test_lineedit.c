// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/lineedit.c: line ends (CR, LF, CRLF each end one
 * line; LF CR ends two), the exact echo text, Backspace/DEL over ASCII and
 * UTF-8, Ctrl-U, Ctrl-C, history walking with ESC [ A / ESC [ B, the line
 * length limit, and ignored control bytes. Each test feeds bytes the way the
 * console does: feed, and call lineedit_reset() after DONE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>

#include "kernel/lib/kstring.h"
#include "kernel/lib/lineedit.h"

#define ECHO_BYTES (LINEEDIT_MAX * 8)
#define MAX_LINES 8

#define UP "\x1b[A"
#define DOWN "\x1b[B"
#define ERASE1 "\b \b"

static struct {
    struct lineedit le;            /* the editor under test */
    char echo[ECHO_BYTES];         /* everything echoed, NUL-terminated */
    size_t echo_len;
    char lines[MAX_LINES][LINEEDIT_MAX]; /* finished lines, in order */
    int nlines;
    int ncancel;                   /* CANCEL results seen */
} t;

static void capture_echo(const char *text, size_t len, void *ctx)
{
    assert_ptr_equal(ctx, &t);
    assert_true(t.echo_len + len < sizeof(t.echo));
    memcpy(t.echo + t.echo_len, text, len);
    t.echo_len += len;
    t.echo[t.echo_len] = '\0';
}

static int setup(void **state)
{
    (void)state;
    memset(&t, 0, sizeof(t));
    lineedit_init(&t.le, capture_echo, &t);
    return 0;
}

static void clear_echo(void)
{
    t.echo_len = 0;
    t.echo[0] = '\0';
}

/* Feeds `len` bytes like the console loop does; records finished lines. */
static void feed_bytes(const char *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        enum lineedit_status st = lineedit_feed(&t.le, bytes[i]);
        if (st == LINEEDIT_DONE) {
            assert_true(t.nlines < MAX_LINES);
            assert_int_equal(strlen(t.le.buf), t.le.len);
            kstrlcpy(t.lines[t.nlines++], t.le.buf, LINEEDIT_MAX);
            lineedit_reset(&t.le);
        } else if (st == LINEEDIT_CANCEL) {
            t.ncancel++;
        } else {
            assert_int_equal(st, LINEEDIT_MORE);
        }
    }
}

static void feed(const char *s)
{
    feed_bytes(s, strlen(s));
}

/* ---- line ends ------------------------------------------------------------------------------ */

static void test_lineedit_cr_ends_line(void **state)
{
    (void)state;
    feed("ls\r");
    assert_int_equal(t.nlines, 1);
    assert_string_equal(t.lines[0], "ls");
}

static void test_lineedit_lf_ends_line(void **state)
{
    (void)state;
    feed("ls\n");
    assert_int_equal(t.nlines, 1);
    assert_string_equal(t.lines[0], "ls");
}

static void test_lineedit_crlf_ends_exactly_one_line(void **state)
{
    (void)state;
    feed("a\r\nb\n");
    assert_int_equal(t.nlines, 2);
    assert_string_equal(t.lines[0], "a");
    assert_string_equal(t.lines[1], "b");
    assert_string_equal(t.echo, "a\nb\n");
}

static void test_lineedit_lf_cr_ends_two_lines(void **state)
{
    (void)state;
    /* Only a LF directly after a CR is swallowed; a CR after a LF is a new line end. */
    feed("a\n\rb");
    assert_int_equal(t.nlines, 2);
    assert_string_equal(t.lines[0], "a");
    assert_string_equal(t.lines[1], "");
    assert_string_equal(t.le.buf, "b");
    assert_int_equal(t.le.len, 1);
}

static void test_lineedit_cr_cr_ends_two_empty_lines(void **state)
{
    (void)state;
    feed("\r\r\r\n\r\n");
    assert_int_equal(t.nlines, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(t.lines[i], "");
    assert_string_equal(t.echo, "\n\n\n\n");
}

static void test_lineedit_lf_swallowed_only_directly_after_cr(void **state)
{
    (void)state;
    feed("a\rx\nb\r\r\n");
    assert_int_equal(t.nlines, 4);
    assert_string_equal(t.lines[0], "a");
    assert_string_equal(t.lines[1], "x");
    assert_string_equal(t.lines[2], "b");
    assert_string_equal(t.lines[3], "");
}

/* ---- echo and editing ---------------------------------------------------------------------- */

static void test_lineedit_typed_chars_are_echoed_and_enter_echoes_newline(void **state)
{
    (void)state;
    feed("echo hi");
    assert_string_equal(t.echo, "echo hi");
    assert_int_equal(t.nlines, 0);
    assert_string_equal(t.le.buf, "echo hi");
    feed("\r");
    assert_string_equal(t.echo, "echo hi\n");
    assert_string_equal(t.lines[0], "echo hi");
}

static void test_lineedit_backspace_and_del_erase_one_char(void **state)
{
    (void)state;
    feed("abc\b");
    assert_string_equal(t.le.buf, "ab");
    feed("\x7f");
    assert_string_equal(t.le.buf, "a");
    assert_int_equal(t.le.len, 1);
    assert_string_equal(t.echo, "abc" ERASE1 ERASE1);
    feed("z\r");
    assert_string_equal(t.lines[0], "az");
}

static void test_lineedit_backspace_on_empty_line_echoes_nothing(void **state)
{
    (void)state;
    feed("\b\x7f\b");
    assert_int_equal(t.le.len, 0);
    assert_string_equal(t.echo, "");
}

static void test_lineedit_backspace_erases_utf8_char_as_one_unit(void **state)
{
    (void)state;
    /* "a", U+00E9 (2 bytes), U+20AC (3 bytes), U+1F600 (4 bytes). */
    feed("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    assert_int_equal(t.le.len, 10);
    clear_echo();
    feed("\x7f");
    assert_string_equal(t.le.buf, "a\xC3\xA9\xE2\x82\xAC");
    feed("\x7f");
    assert_string_equal(t.le.buf, "a\xC3\xA9");
    feed("\b");
    assert_string_equal(t.le.buf, "a");
    assert_int_equal(t.le.len, 1);
    assert_string_equal(t.echo, ERASE1 ERASE1 ERASE1); /* one column per character */
}

static void test_lineedit_ctrl_u_kills_line_erasing_each_column(void **state)
{
    (void)state;
    feed("ab\xC3\xA9");
    clear_echo();
    feed("\x15");
    assert_int_equal(t.le.len, 0);
    assert_string_equal(t.le.buf, "");
    /* Three visible characters: three erasures, not four (one per byte). */
    assert_string_equal(t.echo, ERASE1 ERASE1 ERASE1);
    feed("x\r");
    assert_string_equal(t.lines[0], "x");
}

static void test_lineedit_ctrl_c_cancels_and_discards_line(void **state)
{
    (void)state;
    feed("rm all");
    clear_echo();
    feed("\x03");
    assert_int_equal(t.ncancel, 1);
    assert_int_equal(t.nlines, 0);
    assert_int_equal(t.le.len, 0);
    assert_string_equal(t.le.buf, "");
    assert_string_equal(t.echo, "^C\n");
    feed("ok\r");
    assert_string_equal(t.lines[0], "ok");
    /* The cancelled line is not in the history. */
    feed(UP);
    assert_string_equal(t.le.buf, "ok");
    feed(UP);
    assert_string_equal(t.le.buf, "ok");
}

static void test_lineedit_control_bytes_are_ignored(void **state)
{
    (void)state;
    feed("a\x01\x02\x04\x07\x0b\x0c\x0e\x1a\x1c\x1f" "b");
    assert_string_equal(t.le.buf, "ab");
    assert_string_equal(t.echo, "ab");
}

static void test_lineedit_tab_inserts_a_space(void **state)
{
    (void)state;
    feed("a\tb");
    assert_string_equal(t.le.buf, "a b");
    assert_string_equal(t.echo, "a b");
}

static void test_lineedit_unknown_escape_sequences_are_dropped(void **state)
{
    (void)state;
    /* Right, left, Home ("ESC [ 1 ~"), Delete ("ESC [ 3 ~"), then ESC + other byte. */
    feed("a\x1b[C\x1b[D\x1b[1~\x1b[3~\x1bxb");
    assert_string_equal(t.le.buf, "ab");
    assert_string_equal(t.echo, "ab");
}

static void test_lineedit_control_byte_ends_an_escape_sequence(void **state)
{
    (void)state;
    /* A lone ESC (or a broken sequence) must not swallow Enter or Ctrl-C. */
    feed("a\x1b\r");
    assert_int_equal(t.nlines, 1);
    assert_string_equal(t.lines[0], "a");
    feed("b\x1b[\x03");
    assert_int_equal(t.ncancel, 1);
    feed("c\x1b[1;\b" "d\r");
    assert_string_equal(t.lines[1], "d");
}

/* ---- length limit --------------------------------------------------------------------------- */

static void test_lineedit_long_input_keeps_max_minus_one_bytes(void **state)
{
    (void)state;
    static char input[LINEEDIT_MAX + 50];
    memset(input, 'x', sizeof(input));
    feed_bytes(input, sizeof(input));
    assert_int_equal(t.le.len, LINEEDIT_MAX - 1);
    assert_int_equal(t.le.buf[LINEEDIT_MAX - 1], '\0');
    assert_int_equal(t.echo_len, LINEEDIT_MAX - 1); /* ignored bytes are not echoed */
    /* Editing still works at the limit. */
    feed("\by");
    assert_int_equal(t.le.len, LINEEDIT_MAX - 1);
    assert_int_equal(t.le.buf[LINEEDIT_MAX - 2], 'y');
    feed("\r");
    assert_int_equal(t.nlines, 1);
    assert_int_equal(strlen(t.lines[0]), LINEEDIT_MAX - 1);
}

/* ---- history -------------------------------------------------------------------------------- */

static void test_lineedit_up_recalls_newest_line_first(void **state)
{
    (void)state;
    feed("one\rtwo\r");
    clear_echo();
    feed(UP);
    assert_string_equal(t.le.buf, "two");
    assert_int_equal(t.le.len, 3);
    assert_string_equal(t.echo, "two");
    clear_echo();
    feed(UP);
    assert_string_equal(t.le.buf, "one");
    assert_string_equal(t.echo, ERASE1 ERASE1 ERASE1 "one");
    clear_echo();
    feed(UP); /* no older line: nothing changes */
    assert_string_equal(t.le.buf, "one");
    assert_string_equal(t.echo, "");
    feed("\r");
    assert_string_equal(t.lines[2], "one");
}

static void test_lineedit_down_walks_back_to_empty_line(void **state)
{
    (void)state;
    feed("one\rtwo\r" UP UP);
    assert_string_equal(t.le.buf, "one");
    feed(DOWN);
    assert_string_equal(t.le.buf, "two");
    clear_echo();
    feed(DOWN);
    assert_string_equal(t.le.buf, "");
    assert_int_equal(t.le.len, 0);
    assert_string_equal(t.echo, ERASE1 ERASE1 ERASE1);
    clear_echo();
    feed(DOWN); /* already at the new line */
    assert_string_equal(t.echo, "");
    assert_int_equal(t.le.len, 0);
}

static void test_lineedit_recalled_line_can_be_edited(void **state)
{
    (void)state;
    feed("ls /hd0\r" UP "\b1\r");
    assert_int_equal(t.nlines, 2);
    assert_string_equal(t.lines[1], "ls /hd1");
    feed(UP);
    assert_string_equal(t.le.buf, "ls /hd1");
}

static void test_lineedit_recalled_utf8_line_is_erased_per_character(void **state)
{
    (void)state;
    feed("\xC3\xA9\xC3\xA9\r" "b\r" UP UP);
    assert_string_equal(t.le.buf, "\xC3\xA9\xC3\xA9");
    clear_echo();
    feed(DOWN);
    assert_string_equal(t.echo, ERASE1 ERASE1 "b");
}

static void test_lineedit_history_skips_empty_and_repeated_lines(void **state)
{
    (void)state;
    feed("a\r\rb\rb\r\r");
    feed(UP);
    assert_string_equal(t.le.buf, "b");
    feed(UP);
    assert_string_equal(t.le.buf, "a");
    feed(UP);
    assert_string_equal(t.le.buf, "a");
}

static void test_lineedit_application_mode_arrows_walk_history(void **state)
{
    (void)state;
    /* Terminals in application cursor mode send ESC O A / ESC O B. */
    feed("one\rtwo\r\x1bOA\x1bOA");
    assert_string_equal(t.le.buf, "one");
    feed("\x1bOB");
    assert_string_equal(t.le.buf, "two");
}

static void test_lineedit_history_keeps_newest_entries(void **state)
{
    (void)state;
    char line[16];
    for (int i = 0; i < LINEEDIT_HISTORY + 3; i++) {
        int n = snprintf(line, sizeof(line), "cmd%d\r", i);
        feed_bytes(line, (size_t)n);
        t.nlines = 0; /* only the history matters here */
    }
    /* Walk up to the oldest kept entry: cmd3 (cmd0..cmd2 were pushed out). */
    for (int i = LINEEDIT_HISTORY + 2; i >= 3; i--) {
        feed(UP);
        snprintf(line, sizeof(line), "cmd%d", i);
        assert_string_equal(t.le.buf, line);
    }
    feed(UP);
    assert_string_equal(t.le.buf, "cmd3");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup(name, setup)
    const struct CMUnitTest tests[] = {
        T(test_lineedit_cr_ends_line),
        T(test_lineedit_lf_ends_line),
        T(test_lineedit_crlf_ends_exactly_one_line),
        T(test_lineedit_lf_cr_ends_two_lines),
        T(test_lineedit_cr_cr_ends_two_empty_lines),
        T(test_lineedit_lf_swallowed_only_directly_after_cr),
        T(test_lineedit_typed_chars_are_echoed_and_enter_echoes_newline),
        T(test_lineedit_backspace_and_del_erase_one_char),
        T(test_lineedit_backspace_on_empty_line_echoes_nothing),
        T(test_lineedit_backspace_erases_utf8_char_as_one_unit),
        T(test_lineedit_ctrl_u_kills_line_erasing_each_column),
        T(test_lineedit_ctrl_c_cancels_and_discards_line),
        T(test_lineedit_control_bytes_are_ignored),
        T(test_lineedit_tab_inserts_a_space),
        T(test_lineedit_unknown_escape_sequences_are_dropped),
        T(test_lineedit_control_byte_ends_an_escape_sequence),
        T(test_lineedit_long_input_keeps_max_minus_one_bytes),
        T(test_lineedit_up_recalls_newest_line_first),
        T(test_lineedit_down_walks_back_to_empty_line),
        T(test_lineedit_recalled_line_can_be_edited),
        T(test_lineedit_recalled_utf8_line_is_erased_per_character),
        T(test_lineedit_history_skips_empty_and_repeated_lines),
        T(test_lineedit_application_mode_arrows_walk_history),
        T(test_lineedit_history_keeps_newest_entries),
    };
#undef T
    return cmocka_run_group_tests_name("lineedit", tests, NULL, NULL);
}
