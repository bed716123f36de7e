// SPDX-License-Identifier: MIT
/* NTFS names and times: UTF-16LE names (as stored: unaligned, possibly
 * with unpaired surrogates) to UTF-8 and back, the COLLATION_FILE_NAME
 * order of an index (names compared unit by unit after mapping each unit
 * through the volume's $UpCase table, shorter first on a tie, then the raw
 * units when equal ignoring case), and FILETIME (100 ns units since
 * 1601-01-01 UTC) to a struct vfs_time. Pure: no I/O. */
#include "fs/ntfs/ntfs_priv.h"
#include "fs/fs_time.h"
#include "kernel/err.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#define NTFS_REPLACEMENT 0xFFFDu
#define NTFS_EPOCH_DIFF_S 11644473600ull /* seconds from 1601-01-01 to 1970-01-01 */
#define NTFS_TICKS_PER_S 10000000ull

static bool ntfs_is_high(uint32_t u) { return u >= 0xD800 && u <= 0xDBFF; }
static bool ntfs_is_low(uint32_t u) { return u >= 0xDC00 && u <= 0xDFFF; }

/* UTF-8 bytes of code point c into out (room for 4); returns the count. */
static size_t ntfs_utf8_put(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

void ntfs_name_to_utf8(const uint8_t *src, uint32_t n, char *out, size_t cap)
{
    size_t o = 0;
    char tmp[4];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c = le16_at(src, 2u * i);
        if (ntfs_is_high(c) && i + 1 < n && ntfs_is_low(le16_at(src, 2u * (i + 1)))) {
            c = 0x10000 + ((c - 0xD800) << 10) + (le16_at(src, 2u * (i + 1)) - 0xDC00);
            i++;
        } else if (ntfs_is_high(c) || ntfs_is_low(c)) {
            c = NTFS_REPLACEMENT;
        }
        size_t k = ntfs_utf8_put(c, tmp);
        if (k >= cap - o)
            break;
        memcpy(out + o, tmp, k);
        o += k;
    }
    out[o] = '\0';
}

int ntfs_name_from_utf8(const char *s, size_t len, uint16_t *out, uint32_t max)
{
    const uint8_t *p = (const uint8_t *)s;
    uint32_t n = 0;
    for (size_t i = 0; i < len;) {
        /* 1. One code point: lead byte, continuation bytes, no overlongs. */
        uint32_t c = p[i], need, min;
        if (c < 0x80) {
            need = 0, min = 0;
        } else if ((c & 0xE0) == 0xC0) {
            need = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            need = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            need = 3, min = 0x10000, c &= 0x07;
        } else {
            return ERR_NOENT;
        }
        if (need > len - i - 1)
            return ERR_NOENT;
        for (uint32_t k = 1; k <= need; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return ERR_NOENT;
            c = (c << 6) | (p[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return ERR_NOENT;
        i += need + 1;
        /* 2. One unit, or a surrogate pair. */
        uint32_t units = c >= 0x10000 ? 2 : 1;
        if (units > max - n)
            return ERR_NAMETOOLONG;
        if (units == 2) {
            out[n++] = (uint16_t)(0xD800 + ((c - 0x10000) >> 10));
            out[n++] = (uint16_t)(0xDC00 + ((c - 0x10000) & 0x3FF));
        } else {
            out[n++] = (uint16_t)c;
        }
    }
    return (int)n;
}

int ntfs_name_cmp(const struct ntfs_vol *v, const uint16_t *u, uint32_t n, const uint8_t *disk,
                  uint32_t disk_n, bool exact)
{
    uint32_t common = MIN(n, disk_n);
    for (uint32_t i = 0; i < common; i++) {
        uint16_t a = v->upcase[u[i]], b = v->upcase[le16_at(disk, 2u * i)];
        if (a != b)
            return a < b ? -1 : 1;
    }
    if (n != disk_n)
        return n < disk_n ? -1 : 1;
    if (!exact)
        return 0;
    for (uint32_t i = 0; i < n; i++) {
        uint16_t b = le16_at(disk, 2u * i);
        if (u[i] != b)
            return u[i] < b ? -1 : 1;
    }
    return 0;
}

void ntfs_time_to_vfs(uint64_t ft, struct vfs_time *out)
{
    uint64_t s = ft / NTFS_TICKS_PER_S;
    /* Before 1970 is outside the calendar: fs_time_from_unix shows 1970. */
    fs_time_from_unix(s < NTFS_EPOCH_DIFF_S ? -1 : (int64_t)(s - NTFS_EPOCH_DIFF_S), out);
}

void ntfs_upcase_default(uint16_t *up)
{
    for (uint32_t i = 0; i < NTFS_UPCASE_UNITS; i++)
        up[i] = (uint16_t)(i >= 'a' && i <= 'z' ? i - 32 : i);
}
