/* SPDX-License-Identifier: MIT */
/* The command interpreter shared by the kernel console and the host tool kdisk.
 * Subsystems register static command tables (shell_register) at init; then
 * shell_execute() runs one input line: it splits it at unquoted ';' into
 * commands, splits each into words (quotes "..." and '...', backslash escapes),
 * looks the first word up and runs it. It never touches hardware; input comes
 * from the kernel's line editor or from kdisk's stdin / -c.
 * Output contract: a command prints its result lines via kprintf; an error is
 * one line "error: ...". Unknown command -> "error: unknown command 'x'". */
#ifndef KERNEL_SHELL_SHELL_H
#define KERNEL_SHELL_SHELL_H

#include "kernel/types.h"

#define SHELL_PROMPT "spindle> "
#define SHELL_MAX_ARGS 32     /* words per command; more is an error */
#define SHELL_LINE_MAX 1024   /* bytes per input line */
#define SHELL_MAX_TABLES 32   /* registered command tables */

struct shell_cmd {
    const char *name;  /* the command word */
    const char *args;  /* synopsis of the arguments, "" if none */
    const char *help;  /* one line for `help` */
    /* argv[0] is the command name. Returns 0 on success, 1 after printing an
     * "error: " line (use shell_error). */
    int (*run)(int argc, char **argv);
};

/* Register a table of `count` commands; the table must stay valid forever.
 * Returns 0, ERR_NOSPC (too many tables) or ERR_EXIST (a name is already
 * registered, or appears twice in the table); on error nothing is added.
 * Context: init time, before commands run (no locking). */
int shell_register(const struct shell_cmd *cmds, size_t count);

/* Split `line` into words in place. Returns the word count (>= 0), or
 * ERR_INVAL for an unterminated quote, ERR_RANGE for too many words. */
int shell_split(char *line, char **argv, int max_args);

/* Run one input line (may hold several ';'-separated commands). Returns the
 * number of commands that failed (0 = all succeeded). */
int shell_execute(const char *line);

/* Print "error: <message>\n" and return 1, for `return shell_error(...)`. */
int shell_error(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Find a registered command by name, NULL if none. */
const struct shell_cmd *shell_find(const char *name);

/* Call fn for each registered command, in registration order. */
void shell_for_each(void (*fn)(const struct shell_cmd *cmd, void *ctx), void *ctx);

/* Registers help and the portable generic commands (help, dmesg, uptime, echo). */
void shell_init(void);

#endif
