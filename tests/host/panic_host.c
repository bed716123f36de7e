// SPDX-License-Identifier: MIT
/* panic() for hosted builds: print and abort, so the test harness sees it. */
#include "kernel/assert.h"
#include "kernel/lib/format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void panic(const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "panic: %s\n", msg);
    abort();
}
