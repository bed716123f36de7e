/* SPDX-License-Identifier: MIT */
/* printf-style formatting into a buffer, freestanding. Supports the flags
 * "-+ 0#", width and precision (also '*'), length modifiers hh h l ll z j t,
 * and conversions d i u x X o c s p %. Always NUL-terminates when size > 0
 * and returns the length the full output would have had (C99 semantics);
 * with size 0 nothing is written and buf may be NULL.
 * Output equals C11 snprintf for every defined combination, except:
 *   %s of NULL prints "(null)"; %p prints like %#lx ("0x1f00") and NULL as
 *   "0" (glibc: "(nil)"), ignoring the '+', ' ' and '0' flags;
 *   an unknown conversion prints '%' and the character, without padding
 *   ("%5y" -> "%y"); a lone '%' at the end of fmt prints nothing.
 * No floating point. Context: any; no locks, no allocation. */
#ifndef KERNEL_LIB_FORMAT_H
#define KERNEL_LIB_FORMAT_H

#include "kernel/types.h"
#include <stdarg.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

#endif
