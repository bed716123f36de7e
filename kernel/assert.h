/* SPDX-License-Identifier: MIT */
/* KASSERT for our own invariants only (never for external data, STYLE §5),
 * and panic() for kernel state that is already corrupt. In hosted builds a
 * failed assertion aborts the test process. */
#ifndef KERNEL_ASSERT_H
#define KERNEL_ASSERT_H

#include "kernel/types.h"

NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#define KASSERT(cond)                                                                  \
    do {                                                                               \
        if (!(cond))                                                                   \
            panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__);         \
    } while (0)

#endif
