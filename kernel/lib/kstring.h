/* SPDX-License-Identifier: MIT */
/* String and memory functions. The C standard names (memcpy, strlen, ...) come
 * from kernel/libc/string.c in the kernel and from the C library in hosted
 * builds; the k-prefixed helpers are ours in both (kernel/lib/kstring.c). */
#ifndef KERNEL_LIB_KSTRING_H
#define KERNEL_LIB_KSTRING_H

#include "kernel/types.h"

#ifdef SPINDLE_HOSTED
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
#endif

/* Copy at most size-1 bytes and NUL-terminate; returns strlen(src) (so a
 * result >= size means truncation). */
size_t kstrlcpy(char *dst, const char *src, size_t size);
/* ASCII case-insensitive compare. */
int kstrcasecmp(const char *a, const char *b);
int kstrncasecmp(const char *a, const char *b, size_t n);
/* Duplicate with kmalloc; NULL when out of memory. */
char *kstrdup(const char *s);

static inline bool ch_is_digit(int c) { return c >= '0' && c <= '9'; }
static inline bool ch_is_space(int c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static inline bool ch_is_lower(int c) { return c >= 'a' && c <= 'z'; }
static inline bool ch_is_upper(int c) { return c >= 'A' && c <= 'Z'; }
static inline bool ch_is_xdigit(int c)
{
    return ch_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline int ch_lower(int c) { return ch_is_upper(c) ? c + 32 : c; }
static inline int ch_upper(int c) { return ch_is_lower(c) ? c - 32 : c; }

/* Parse an unsigned decimal or 0x-hex number that must fill the whole string
 * (no sign, no blanks; "0x" alone is junk). Returns 0 or ERR_INVAL (NULL,
 * empty, junk, or a value above UINT64_MAX); *out is written only on success. */
int kparse_u64(const char *s, uint64_t *out);

#endif
