// SPDX-License-Identifier: MIT
/* Self-test registry and the `selftest` command (see selftest.h). The table
 * is written at boot or by thread code only, under a mutex. */
#include "kernel/selftest.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/sync.h"

static struct {
    struct mutex lock; /* protects tests and count */
    struct {
        const char *name;
        selftest_fn fn;
    } tests[SELFTEST_MAX];
    size_t count;
} selftest_state;

int selftest_register(const char *name, selftest_fn fn)
{
    int rc = 0;
    if (!name || !fn)
        return ERR_INVAL;
    mutex_lock(&selftest_state.lock);
    for (size_t i = 0; i < selftest_state.count; i++) {
        if (strcmp(selftest_state.tests[i].name, name) == 0) {
            rc = ERR_EXIST;
            goto out_unlock;
        }
    }
    if (selftest_state.count >= SELFTEST_MAX) {
        rc = ERR_NOSPC;
        goto out_unlock;
    }
    selftest_state.tests[selftest_state.count].name = name;
    selftest_state.tests[selftest_state.count].fn = fn;
    selftest_state.count++;
out_unlock:
    mutex_unlock(&selftest_state.lock);
    return rc;
}

bool selftest_check(bool ok, const char *what, const char *details_fmt, ...)
{
    if (ok) {
        kprintf("pass %s\n", what);
        return true;
    }
    char details[160];
    va_list ap;
    va_start(ap, details_fmt);
    kvsnprintf(details, sizeof(details), details_fmt, ap);
    va_end(ap);
    kprintf("FAIL %s (%s)\n", what, details);
    return false;
}

static selftest_fn selftest_find(const char *name)
{
    selftest_fn fn = NULL;
    mutex_lock(&selftest_state.lock);
    for (size_t i = 0; i < selftest_state.count; i++) {
        if (strcmp(selftest_state.tests[i].name, name) == 0)
            fn = selftest_state.tests[i].fn;
    }
    mutex_unlock(&selftest_state.lock);
    return fn;
}

static int selftest_cmd(int argc, char **argv)
{
    if (argc == 1) {
        mutex_lock(&selftest_state.lock);
        for (size_t i = 0; i < selftest_state.count; i++)
            kprintf("%s\n", selftest_state.tests[i].name);
        mutex_unlock(&selftest_state.lock);
        return 0;
    }
    if (argc != 2)
        return shell_error("usage: selftest [NAME]");
    selftest_fn fn = selftest_find(argv[1]);
    if (!fn)
        return shell_error("no such selftest (%s)", argv[1]);
    if (fn() == 0) {
        kprintf("selftest %s: ok\n", argv[1]);
        return 0;
    }
    kprintf("selftest %s: FAILED\n", argv[1]);
    return shell_error("selftest %s failed", argv[1]);
}

static const struct shell_cmd selftest_cmds[] = {
    { "selftest", "[NAME]", "run an in-kernel self test; no NAME lists them", selftest_cmd },
};

void selftest_register_commands(void)
{
    int rc = shell_register(selftest_cmds, ARRAY_SIZE(selftest_cmds));
    if (rc < 0)
        pr_err("selftest: cannot register shell commands (%s)", err_name(rc));
}
