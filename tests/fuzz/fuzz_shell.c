// SPDX-License-Identifier: MIT
/* libFuzzer harness: the shell parser (kernel/shell: line splitting at ';',
 * quotes, escapes, word splitting) and the faulty disk's rule parser, which
 * reads text from the shell. The input is one line. A probe command checks
 * what reaches a command: argc in range, argv[argc] NULL, every word a
 * string inside the line buffer. Output is captured, not printed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev/faulty.h"
#include "kernel/err.h"
#include "kernel/shell/shell.h"
#include "tests/host/print_host.h"

static int fz_probe(int argc, char **argv)
{
    if (argc < 1 || argc > SHELL_MAX_ARGS || argv[argc] != NULL)
        abort();
    for (int i = 0; i < argc; i++) {
        if (strnlen(argv[i], SHELL_LINE_MAX) >= SHELL_LINE_MAX)
            abort();
    }
    return argc & 1;
}

static const struct shell_cmd fz_cmds[] = {
    { "p", "", "fuzz probe", fz_probe },
    { "q", "", "fuzz probe", fz_probe },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static bool ready;
    char line[SHELL_LINE_MAX + 16], why[96];
    char *argv[SHELL_MAX_ARGS + 1];

    if (!ready) {
        shell_init();
        faulty_init();
        shell_register(fz_cmds, 2);
        ready = true;
    }
    if (len > SHELL_LINE_MAX + 8)
        return 0;
    memcpy(line, data, len);
    line[len] = '\0';
    print_host_capture_begin();
    /* 1. The whole line through the executor (also "faulty set x RULES"). */
    shell_execute(line);
    /* 2. The splitter alone, on the same text, with a small argv. */
    int n = shell_split(line, argv, 4);
    if (n > 4 || (n < 0 && n != ERR_INVAL && n != ERR_RANGE))
        abort();
    /* 3. The rule parser on the raw text. */
    memcpy(line, data, len);
    line[len] = '\0';
    faulty_check_rules(line, why, sizeof(why));
    print_host_capture_end();
    return 0;
}
