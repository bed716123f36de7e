// SPDX-License-Identifier: MIT
/* Unit tests for kernel/shell/shell.c and cmds_generic.c: the word splitter
 * (blanks, quotes, escapes, limits), the line executor (';' outside quotes,
 * failure count, exact error lines), the registry (ERR_EXIST, ERR_NOSPC) and
 * the generic commands help, echo, uptime and dmesg. The registry is global:
 * the group setup calls shell_init() and registers the test table once, and
 * the test that fills the registry up runs last. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "tests/host/print_host.h"
#include "tests/host/time_host.h"

#define SEEN_MAX 4

/* What the test commands saw: one record per call, argv copied out. */
static struct {
    int calls;
    int argc[SEEN_MAX];
    char argv[SEEN_MAX][SHELL_MAX_ARGS + 1][64];
    bool argv_terminated[SEEN_MAX]; /* argv[argc] was NULL */
} seen;

static int cmd_t_args(int argc, char **argv)
{
    if (seen.calls < SEEN_MAX) {
        int k = seen.calls;
        seen.argc[k] = argc;
        for (int i = 0; i < argc && i <= SHELL_MAX_ARGS; i++)
            kstrlcpy(seen.argv[k][i], argv[i], sizeof(seen.argv[k][i]));
        seen.argv_terminated[k] = (argv[argc] == NULL);
    }
    seen.calls++;
    return 0;
}

static int cmd_t_fail(int argc, char **argv)
{
    (void)argc;
    return shell_error("%s failed (%d)", argv[0], 7);
}

static int cmd_t_odd(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    kprintf("odd\n");
    return 5; /* any non-zero counts as one failure */
}

static const struct shell_cmd test_cmds[] = {
    { "t_args", "[ARG...]", "record the arguments", cmd_t_args },
    { "t_fail", "", "always fail", cmd_t_fail },
    { "t_odd", "", "return 5", cmd_t_odd },
};

static int group_setup(void **state)
{
    (void)state;
    shell_init();
    return shell_register(test_cmds, ARRAY_SIZE(test_cmds)) == 0 ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof(seen));
    return 0;
}

/* Runs one line with output captured; returns the captured text (valid until
 * the next call) and stores the failure count in *failed. */
static const char *run(const char *line, int *failed)
{
    print_host_capture_begin();
    *failed = shell_execute(line);
    print_host_capture_end();
    return print_host_captured();
}

/* Splits a copy of `line`; returns the count and copies the words to words[]. */
static char split_buf[SHELL_LINE_MAX];
static char *words[SHELL_MAX_ARGS + 2];

static int split(const char *line, int max_args)
{
    kstrlcpy(split_buf, line, sizeof(split_buf));
    memset(words, 0, sizeof(words));
    return shell_split(split_buf, words, max_args);
}

/* ---- shell_split ---------------------------------------------------------------------------- */

static void test_split_plain_words_are_separated(void **state)
{
    (void)state;
    assert_int_equal(split("ls /hd0/1 -l", SHELL_MAX_ARGS), 3);
    assert_string_equal(words[0], "ls");
    assert_string_equal(words[1], "/hd0/1");
    assert_string_equal(words[2], "-l");
    assert_null(words[3]); /* nothing written past the count */
}

static void test_split_runs_of_blanks_count_as_one(void **state)
{
    (void)state;
    assert_int_equal(split("  \t a \t\t b   c \r\n", SHELL_MAX_ARGS), 3);
    assert_string_equal(words[0], "a");
    assert_string_equal(words[1], "b");
    assert_string_equal(words[2], "c");
}

static void test_split_empty_or_blank_line_gives_zero(void **state)
{
    (void)state;
    assert_int_equal(split("", SHELL_MAX_ARGS), 0);
    assert_int_equal(split("   \t  ", SHELL_MAX_ARGS), 0);
    assert_null(words[0]);
}

static void test_split_quotes_keep_blanks_inside_one_word(void **state)
{
    (void)state;
    assert_int_equal(split("echo \"a b\" 'c  d' \"\" ''", SHELL_MAX_ARGS), 5);
    assert_string_equal(words[0], "echo");
    assert_string_equal(words[1], "a b");
    assert_string_equal(words[2], "c  d");
    assert_string_equal(words[3], "");
    assert_string_equal(words[4], "");
}

static void test_split_adjacent_quoted_parts_join_into_one_word(void **state)
{
    (void)state;
    assert_int_equal(split("\"a b\"c x'y'\"z\" 'q'\"'\"", SHELL_MAX_ARGS), 3);
    assert_string_equal(words[0], "a bc");
    assert_string_equal(words[1], "xyz");
    assert_string_equal(words[2], "q'");
}

static void test_split_backslash_escapes_next_char_outside_quotes(void **state)
{
    (void)state;
    assert_int_equal(split("a\\ b \\\"x \\\\ \\'y tail\\", SHELL_MAX_ARGS), 5);
    assert_string_equal(words[0], "a b");
    assert_string_equal(words[1], "\"x");
    assert_string_equal(words[2], "\\");
    assert_string_equal(words[3], "'y");
    assert_string_equal(words[4], "tail\\"); /* a trailing backslash stays literal */
}

static void test_split_backslash_in_double_quotes_escapes_only_quote_and_backslash(void **state)
{
    (void)state;
    assert_int_equal(split("\"a\\\"b\\\\c\\d\"", SHELL_MAX_ARGS), 1);
    assert_string_equal(words[0], "a\"b\\c\\d");
}

static void test_split_backslash_in_single_quotes_is_literal(void **state)
{
    (void)state;
    assert_int_equal(split("'a\\b\\\\' x", SHELL_MAX_ARGS), 2);
    assert_string_equal(words[0], "a\\b\\\\");
    assert_string_equal(words[1], "x");
}

static void test_split_unterminated_quote_is_inval(void **state)
{
    (void)state;
    assert_int_equal(split("echo \"abc", SHELL_MAX_ARGS), ERR_INVAL);
    assert_int_equal(split("echo 'abc", SHELL_MAX_ARGS), ERR_INVAL);
    assert_int_equal(split("echo \"abc\\\"", SHELL_MAX_ARGS), ERR_INVAL);
    assert_int_equal(split("'", SHELL_MAX_ARGS), ERR_INVAL);
}

static void test_split_more_words_than_max_is_range(void **state)
{
    (void)state;
    assert_int_equal(split("a b c", 3), 3);
    assert_string_equal(words[2], "c");
    assert_int_equal(split("a b c d", 3), ERR_RANGE);
    assert_int_equal(split("a b c   ", 3), 3); /* trailing blanks are not a word */
    assert_int_equal(split("a", 0), ERR_RANGE);
    assert_int_equal(split("  ", 0), 0);
}

/* ---- shell_execute -------------------------------------------------------------------------- */

static void test_execute_unknown_command_prints_exact_error(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("nosuch a b", &failed), "error: unknown command 'nosuch'\n");
    assert_int_equal(failed, 1);
}

static void test_execute_passes_all_words_as_argv(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("  t_args one \"two three\" 'four'  ", &failed), "");
    assert_int_equal(failed, 0);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.argc[0], 4);
    assert_string_equal(seen.argv[0][0], "t_args");
    assert_string_equal(seen.argv[0][1], "one");
    assert_string_equal(seen.argv[0][2], "two three");
    assert_string_equal(seen.argv[0][3], "four");
    assert_true(seen.argv_terminated[0]);
}

static void test_execute_semicolon_runs_commands_in_order(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("t_args a;t_args b c ; t_args", &failed), "");
    assert_int_equal(failed, 0);
    assert_int_equal(seen.calls, 3);
    assert_int_equal(seen.argc[0], 2);
    assert_string_equal(seen.argv[0][1], "a");
    assert_int_equal(seen.argc[1], 3);
    assert_string_equal(seen.argv[1][1], "b");
    assert_string_equal(seen.argv[1][2], "c");
    assert_int_equal(seen.argc[2], 1);
}

static void test_execute_semicolon_inside_quotes_or_escaped_does_not_split(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("t_args \"a;b\" 'c;d' e\\;f \"g\\\";h\"", &failed), "");
    assert_int_equal(failed, 0);
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.argc[0], 5);
    assert_string_equal(seen.argv[0][1], "a;b");
    assert_string_equal(seen.argv[0][2], "c;d");
    assert_string_equal(seen.argv[0][3], "e;f");
    assert_string_equal(seen.argv[0][4], "g\";h");
}

static void test_execute_empty_commands_are_skipped(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("", &failed), "");
    assert_int_equal(failed, 0);
    assert_string_equal(run(" ; ;;\t; ", &failed), "");
    assert_int_equal(failed, 0);
    assert_int_equal(seen.calls, 0);
}

static void test_execute_returns_number_of_failed_commands(void **state)
{
    (void)state;
    int failed = -1;
    const char *out = run("t_fail; t_args; nosuch; t_odd; echo ok", &failed);
    assert_string_equal(out, "error: t_fail failed (7)\n"
                             "error: unknown command 'nosuch'\n"
                             "odd\n"
                             "ok\n");
    assert_int_equal(failed, 3);
    assert_int_equal(seen.calls, 1);
}

static void test_execute_unterminated_quote_prints_error_after_earlier_commands(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("echo first; echo \"abc; t_args", &failed),
                        "first\nerror: unterminated quote\n");
    assert_int_equal(failed, 1);
    assert_int_equal(seen.calls, 0); /* the ';' inside the open quote did not split */
}

static void test_execute_too_many_words_prints_error(void **state)
{
    (void)state;
    char line[256] = "t_args";
    int failed = -1;
    for (int i = 1; i < SHELL_MAX_ARGS; i++)
        strcat(line, " w");
    assert_string_equal(run(line, &failed), ""); /* exactly SHELL_MAX_ARGS words */
    assert_int_equal(failed, 0);
    assert_int_equal(seen.argc[0], SHELL_MAX_ARGS);
    assert_true(seen.argv_terminated[0]);
    strcat(line, " w");
    assert_string_equal(run(line, &failed), "error: too many arguments (max 32)\n");
    assert_int_equal(failed, 1);
    assert_int_equal(seen.calls, 1);
}

static void test_execute_line_longer_than_max_prints_error(void **state)
{
    (void)state;
    static char line[SHELL_LINE_MAX + 8];
    static char expect[SHELL_LINE_MAX + 8];
    int failed = -1;

    /* SHELL_LINE_MAX - 1 bytes is the longest line that runs. */
    memcpy(line, "echo ", 5);
    memset(line + 5, 'x', SHELL_LINE_MAX - 1 - 5);
    line[SHELL_LINE_MAX - 1] = '\0';
    memset(expect, 'x', SHELL_LINE_MAX - 1 - 5);
    expect[SHELL_LINE_MAX - 1 - 5] = '\n';
    expect[SHELL_LINE_MAX - 5] = '\0';
    assert_string_equal(run(line, &failed), expect);
    assert_int_equal(failed, 0);

    /* One more byte is rejected before anything runs. */
    memcpy(line, "t_args ", 7);
    line[SHELL_LINE_MAX - 1] = 'x';
    line[SHELL_LINE_MAX] = '\0';
    assert_string_equal(run(line, &failed), "error: line too long (max 1023 bytes)\n");
    assert_int_equal(failed, 1);
    assert_int_equal(seen.calls, 0);
}

/* ---- registry ------------------------------------------------------------------------------- */

static void test_register_taken_name_is_exist_and_adds_nothing(void **state)
{
    (void)state;
    static const struct shell_cmd dup[] = {
        { "t_new", "", "would be new", cmd_t_args },
        { "echo", "", "clashes with the generic echo", cmd_t_args },
    };
    assert_int_equal(shell_register(dup, ARRAY_SIZE(dup)), ERR_EXIST);
    assert_null(shell_find("t_new"));
    assert_string_equal(shell_find("echo")->help, "print the words");
}

static void test_register_same_name_twice_in_one_table_is_exist(void **state)
{
    (void)state;
    static const struct shell_cmd twice[] = {
        { "t_twice", "", "first", cmd_t_args },
        { "t_twice", "", "second", cmd_t_args },
    };
    assert_int_equal(shell_register(twice, ARRAY_SIZE(twice)), ERR_EXIST);
    assert_null(shell_find("t_twice"));
}

static void test_find_known_and_unknown_names(void **state)
{
    (void)state;
    assert_ptr_equal(shell_find("t_fail"), &test_cmds[1]);
    assert_null(shell_find("t_fai"));
    assert_null(shell_find(""));
}

/* ---- generic commands ----------------------------------------------------------------------- */

static void test_echo_quoted_words_print_joined_by_spaces(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("echo \"a b\" 'c d'", &failed), "a b c d\n");
    assert_int_equal(failed, 0);
    assert_string_equal(run("echo", &failed), "\n");
    assert_string_equal(run("echo %s %d", &failed), "%s %d\n"); /* words are not formats */
}

static void test_help_with_name_prints_its_one_line(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("help echo", &failed),
                        "echo [WORD...]               print the words\n");
    assert_int_equal(failed, 0);
    assert_string_equal(run("help t_fail", &failed),
                        "t_fail                       always fail\n");
}

static void test_help_unknown_name_prints_error_line(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("help nosuch", &failed), "error: unknown command 'nosuch'\n");
    assert_int_equal(failed, 1);
    assert_string_equal(run("help a b", &failed), "error: usage: help [COMMAND]\n");
    assert_int_equal(failed, 1);
}

static void test_help_lists_every_command_in_registration_order(void **state)
{
    (void)state;
    int failed = -1;
    assert_string_equal(run("help", &failed),
                        "help [COMMAND]               list commands, or show one\n"
                        "echo [WORD...]               print the words\n"
                        "dmesg                        print the kernel log\n"
                        "uptime                       time since boot\n"
                        "t_args [ARG...]              record the arguments\n"
                        "t_fail                       always fail\n"
                        "t_odd                        return 5\n");
    assert_int_equal(failed, 0);
}

static void test_uptime_prints_fake_clock_seconds(void **state)
{
    (void)state;
    int failed = -1;
    time_host_use_fake(true);
    time_host_advance_ms(61005);
    assert_string_equal(run("uptime", &failed), "up 61.005 s\n");
    assert_int_equal(failed, 0);
    assert_string_equal(run("uptime now", &failed), "error: usage: uptime\n");
    assert_int_equal(failed, 1);
    time_host_use_fake(false);
}

static void test_dmesg_prints_the_log_ring(void **state)
{
    (void)state;
    int failed = -1;
    time_host_use_fake(true);
    time_host_advance_ms(1234);
    klog_clear();
    pr_info("shell: test line %d", 1);
    pr_err("shell: test line %d", 2);
    assert_string_equal(run("dmesg", &failed),
                        "[    1.234] shell: test line 1\n[    1.234] shell: test line 2\n");
    assert_int_equal(failed, 0);
    time_host_use_fake(false);
}

/* Runs last: fills the registry, which cannot be undone. */
static void test_register_beyond_max_tables_is_nospc(void **state)
{
    (void)state;
    static const struct shell_cmd none[1] = { { "unused", "", "", cmd_t_args } };
    static const struct shell_cmd late[] = { { "t_late", "", "too late", cmd_t_args } };
    int added = 0;
    int failed = -1;

    /* Empty tables use up slots without claiming names. */
    while (shell_register(none, 0) == 0) {
        added++;
        assert_true(added <= SHELL_MAX_TABLES);
    }
    /* generic_cmds and test_cmds were registered by the group setup. */
    assert_int_equal(added, SHELL_MAX_TABLES - 2);
    assert_int_equal(shell_register(none, 0), ERR_NOSPC);
    assert_int_equal(shell_register(late, ARRAY_SIZE(late)), ERR_NOSPC);
    assert_null(shell_find("t_late"));
    assert_string_equal(run("echo still works", &failed), "still works\n");
    assert_int_equal(failed, 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup(name, setup)
    const struct CMUnitTest tests[] = {
        T(test_split_plain_words_are_separated),
        T(test_split_runs_of_blanks_count_as_one),
        T(test_split_empty_or_blank_line_gives_zero),
        T(test_split_quotes_keep_blanks_inside_one_word),
        T(test_split_adjacent_quoted_parts_join_into_one_word),
        T(test_split_backslash_escapes_next_char_outside_quotes),
        T(test_split_backslash_in_double_quotes_escapes_only_quote_and_backslash),
        T(test_split_backslash_in_single_quotes_is_literal),
        T(test_split_unterminated_quote_is_inval),
        T(test_split_more_words_than_max_is_range),
        T(test_execute_unknown_command_prints_exact_error),
        T(test_execute_passes_all_words_as_argv),
        T(test_execute_semicolon_runs_commands_in_order),
        T(test_execute_semicolon_inside_quotes_or_escaped_does_not_split),
        T(test_execute_empty_commands_are_skipped),
        T(test_execute_returns_number_of_failed_commands),
        T(test_execute_unterminated_quote_prints_error_after_earlier_commands),
        T(test_execute_too_many_words_prints_error),
        T(test_execute_line_longer_than_max_prints_error),
        T(test_register_taken_name_is_exist_and_adds_nothing),
        T(test_register_same_name_twice_in_one_table_is_exist),
        T(test_find_known_and_unknown_names),
        T(test_echo_quoted_words_print_joined_by_spaces),
        T(test_help_with_name_prints_its_one_line),
        T(test_help_unknown_name_prints_error_line),
        T(test_help_lists_every_command_in_registration_order),
        T(test_uptime_prints_fake_clock_seconds),
        T(test_dmesg_prints_the_log_ring),
        T(test_register_beyond_max_tables_is_nospc), /* must stay last */
    };
#undef T
    return cmocka_run_group_tests_name("shell", tests, group_setup, NULL);
}
