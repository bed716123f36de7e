// SPDX-License-Identifier: MIT
/* Command interpreter core (see shell.h): the registry of command tables,
 * the word splitter and the line executor. Portable: the kernel console and
 * kdisk feed it lines; output goes through kernel/print.h. */
#include "kernel/shell/shell.h"
#include "kernel/err.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"

#include <stdarg.h>

struct shell_table {
    const struct shell_cmd *cmds;
    size_t count;
};

static struct {
    struct shell_table tables[SHELL_MAX_TABLES]; /* written at init, before any thread runs commands */
    size_t ntables;
} shell_state;

const struct shell_cmd *shell_find(const char *name)
{
    for (size_t t = 0; t < shell_state.ntables; t++) {
        for (size_t i = 0; i < shell_state.tables[t].count; i++) {
            if (strcmp(shell_state.tables[t].cmds[i].name, name) == 0)
                return &shell_state.tables[t].cmds[i];
        }
    }
    return NULL;
}

int shell_register(const struct shell_cmd *cmds, size_t count)
{
    if (shell_state.ntables == SHELL_MAX_TABLES)
        return ERR_NOSPC;
    for (size_t i = 0; i < count; i++) {
        if (shell_find(cmds[i].name))
            return ERR_EXIST;
        /* A repeat inside the table itself would be unreachable. */
        for (size_t j = 0; j < i; j++) {
            if (strcmp(cmds[j].name, cmds[i].name) == 0)
                return ERR_EXIST;
        }
    }
    shell_state.tables[shell_state.ntables].cmds = cmds;
    shell_state.tables[shell_state.ntables].count = count;
    shell_state.ntables++;
    return 0;
}

void shell_for_each(void (*fn)(const struct shell_cmd *cmd, void *ctx), void *ctx)
{
    for (size_t t = 0; t < shell_state.ntables; t++) {
        for (size_t i = 0; i < shell_state.tables[t].count; i++)
            fn(&shell_state.tables[t].cmds[i], ctx);
    }
}

int shell_error(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    kprintf("error: %s\n", msg);
    return 1;
}

int shell_split(char *line, char **argv, int max_args)
{
    char *src = line;
    char *dst = line;
    int argc = 0;

    /* Words are rebuilt in place: dst never runs ahead of src, since quotes
     * and backslashes only ever shrink the text. */
    for (;;) {
        /* 1. Skip blanks; stop at the end of the line. */
        while (ch_is_space(*src))
            src++;
        if (!*src)
            return argc;
        if (argc == max_args)
            return ERR_RANGE;
        argv[argc++] = dst;
        /* 2. Copy one word, honouring quotes and escapes, until a blank. */
        char quote = 0;
        while (*src && (quote || !ch_is_space(*src))) {
            char c = *src++;
            if (quote) {
                if (c == quote)
                    quote = 0;
                else if (c == '\\' && quote == '"' && (*src == '"' || *src == '\\'))
                    *dst++ = *src++;
                else
                    *dst++ = c;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '\\' && *src) {
                *dst++ = *src++;
            } else {
                *dst++ = c;
            }
        }
        if (quote)
            return ERR_INVAL;
        /* 3. Terminate the word; src may point at the blank we overwrite. */
        bool at_end = (*src == '\0');
        *dst++ = '\0';
        if (at_end)
            return argc;
        src++;
    }
}

/* Runs one command (no ';' inside). Returns 0 or 1 (failed). */
static int shell_run_one(char *text)
{
    char *argv[SHELL_MAX_ARGS + 1];
    int argc = shell_split(text, argv, SHELL_MAX_ARGS);

    if (argc == ERR_INVAL)
        return shell_error("unterminated quote");
    if (argc == ERR_RANGE)
        return shell_error("too many arguments (max %d)", SHELL_MAX_ARGS);
    if (argc == 0)
        return 0;
    argv[argc] = NULL;
    const struct shell_cmd *cmd = shell_find(argv[0]);
    if (!cmd)
        return shell_error("unknown command '%s'", argv[0]);
    return cmd->run(argc, argv) ? 1 : 0;
}

int shell_execute(const char *line)
{
    char buf[SHELL_LINE_MAX];
    int failed = 0;

    if (kstrlcpy(buf, line, sizeof(buf)) >= sizeof(buf))
        return shell_error("line too long (max %d bytes)", SHELL_LINE_MAX - 1);
    /* Cut at every ';' outside quotes and run the pieces in order. */
    char *start = buf;
    char quote = 0;
    for (char *p = buf;; p++) {
        if (*p == '\\' && p[1] && quote != '\'') {
            p++;
            continue;
        }
        if (quote) {
            if (*p == quote)
                quote = 0;
            else if (!*p)
                return failed + shell_run_one(start); /* reports the open quote */
            continue;
        }
        if (*p == '"' || *p == '\'') {
            quote = *p;
        } else if (*p == ';' || !*p) {
            bool last = !*p;
            *p = '\0';
            failed += shell_run_one(start);
            if (last)
                return failed;
            start = p + 1;
        }
    }
}
