/* SPDX-License-Identifier: MIT */
/* In-kernel self tests, run from the shell: a subsystem registers a named
 * test with selftest_register() (any time, even before shell_init), and
 * `selftest NAME` runs it while `selftest` lists the names. A test prints
 * one line per check, "pass <what>" or "FAIL <what> (<values>)", and
 * returns 0 if every check passed, 1 otherwise; the command then prints
 * "selftest NAME: ok" or "selftest NAME: FAILED" (what the QEMU scenarios
 * match). Tests run in the shell's thread and may sleep. */
#ifndef KERNEL_SELFTEST_H
#define KERNEL_SELFTEST_H

#include "kernel/types.h"

#define SELFTEST_MAX 16 /* registered tests; more are refused */

typedef int (*selftest_fn)(void);

/* name must stay valid forever. Returns 0, ERR_INVAL (NULL), ERR_EXIST (name
 * taken) or ERR_NOSPC (table full). Context: thread or boot. */
int selftest_register(const char *name, selftest_fn fn);

/* Register the `selftest` shell command. Context: boot, after shell_init. */
void selftest_register_commands(void);

/* Helper for tests: print "pass <what>" or "FAIL <what> (<details>)" and
 * return ok, so that a test can write `failed |= !selftest_check(...)`. */
bool selftest_check(bool ok, const char *what, const char *details_fmt, ...)
    PRINTF_LIKE(3, 4);

#endif
