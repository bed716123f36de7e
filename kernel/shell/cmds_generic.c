// SPDX-License-Identifier: MIT
/* Commands every build of the shell has (kernel and kdisk): help, echo,
 * dmesg, uptime. They use only the portable kernel API. */
#include "kernel/shell/shell.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/time.h"

struct help_ctx {
    const char *only; /* print just this command, or NULL for all */
    bool found;
};

static void help_print_one(const struct shell_cmd *cmd, void *p)
{
    struct help_ctx *ctx = p;
    if (ctx->only && strcmp(ctx->only, cmd->name) != 0)
        return;
    ctx->found = true;
    char synopsis[64];
    if (cmd->args && *cmd->args)
        ksnprintf(synopsis, sizeof(synopsis), "%s %s", cmd->name, cmd->args);
    else
        kstrlcpy(synopsis, cmd->name, sizeof(synopsis));
    kprintf("%-28s %s\n", synopsis, cmd->help);
}

static int cmd_help(int argc, char **argv)
{
    struct help_ctx ctx = { argc > 1 ? argv[1] : NULL, false };
    if (argc > 2)
        return shell_error("usage: help [COMMAND]");
    shell_for_each(help_print_one, &ctx);
    if (ctx.only && !ctx.found)
        return shell_error("unknown command '%s'", ctx.only);
    return 0;
}

static int cmd_echo(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        kprintf(i + 1 < argc ? "%s " : "%s", argv[i]);
    kputs("\n");
    return 0;
}

static int cmd_dmesg(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shell_error("usage: dmesg");
    char chunk[256];
    uint64_t cursor = 0;
    size_t n;
    while ((n = klog_read(&cursor, chunk, sizeof(chunk))) > 0)
        kwrite(chunk, n);
    return 0;
}

static int cmd_uptime(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shell_error("usage: uptime");
    uint64_t ms = time_ms();
    kprintf("up %u.%03u s\n", (unsigned)(ms / 1000), (unsigned)(ms % 1000));
    return 0;
}

static const struct shell_cmd generic_cmds[] = {
    { "help", "[COMMAND]", "list commands, or show one", cmd_help },
    { "echo", "[WORD...]", "print the words", cmd_echo },
    { "dmesg", "", "print the kernel log", cmd_dmesg },
    { "uptime", "", "time since boot", cmd_uptime },
};

void shell_init(void)
{
    shell_register(generic_cmds, ARRAY_SIZE(generic_cmds));
}
