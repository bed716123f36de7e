// SPDX-License-Identifier: MIT
/* Portable string helpers of kstring.h that the C library does not give us. */
#include "kernel/lib/kstring.h"
#include "kernel/err.h"
#include "kernel/kmem.h"

size_t kstrlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

int kstrncasecmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int ca = ch_lower((unsigned char)a[i]);
        int cb = ch_lower((unsigned char)b[i]);
        if (ca != cb || ca == 0)
            return ca - cb;
    }
    return 0;
}

int kstrcasecmp(const char *a, const char *b)
{
    return kstrncasecmp(a, b, (size_t)-1);
}

char *kstrdup(const char *s)
{
    size_t len = strlen(s) + 1;
    char *copy = kmalloc(len);
    if (copy)
        memcpy(copy, s, len);
    return copy;
}

int kparse_u64(const char *s, uint64_t *out)
{
    unsigned base = 10;
    uint64_t v = 0;

    if (!s || !*s)
        return ERR_INVAL;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!*s)
            return ERR_INVAL;
    }
    for (; *s; s++) {
        unsigned d;
        if (ch_is_digit(*s))
            d = (unsigned)(*s - '0');
        else if (base == 16 && ch_is_xdigit(*s))
            d = (unsigned)(ch_lower(*s) - 'a' + 10);
        else
            return ERR_INVAL;
        if (v > (UINT64_MAX - d) / base)
            return ERR_INVAL;
        v = v * base + d;
    }
    *out = v;
    return 0;
}
