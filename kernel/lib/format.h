/* SPDX-License-Identifier: MIT */
/* printf-style formatting into a buffer, freestanding. Supports the flags
 * "-+ 0#", width and precision (also '*'), length modifiers hh h l ll z j t,
 * and conversions d i u x X o c s p %. Always NUL-terminates when size > 0
 * and returns the length the full output would have had (C99 semantics). */
#ifndef KERNEL_LIB_FORMAT_H
#define KERNEL_LIB_FORMAT_H

#include "kernel/types.h"
#include <stdarg.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

#endif
