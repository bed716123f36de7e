// SPDX-License-Identifier: MIT
/* Names and times of ISO 9660 directory records: the three identifier forms
 * (ECMA-119 §7.5-7.6 plain, Joliet UTF-16BE, Rock Ridge NM bytes) turned
 * into the UTF-8 names the vfs shows, the case-insensitive comparison used
 * by lookup, and the §9.1.5 recording time. All inputs are disk bytes:
 * every output is bounded by `cap` and always NUL-terminated, and nothing a
 * name contains can produce '/' or a control character. */
#include "fs/iso9660/iso_priv.h"
#include "kernel/lib/kstring.h"

#define ISO_REPLACEMENT 0xFFFDu /* U+FFFD for undecodable input */

/* ---- UTF-8 output --------------------------------------------------------------------------- */

struct iso_out {
    char *p;
    size_t cap, n; /* n bytes written; cap includes the NUL */
};

static void iso_out_cp(struct iso_out *o, uint32_t cp)
{
    uint8_t b[4];
    size_t k;

    if (cp == '/' || cp < 0x20 || cp == 0x7F)
        cp = '_';
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | (cp >> 6));
        b[1] = (uint8_t)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | (cp >> 12));
        b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | (cp >> 18));
        b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (uint8_t)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (o->n + k >= o->cap)
        return; /* whole characters only */
    memcpy(o->p + o->n, b, k);
    o->n += k;
}

static void iso_out_end(struct iso_out *o)
{
    if (o->n == 0 && o->cap > 1)
        o->p[o->n++] = '_'; /* an empty name cannot be looked up */
    o->p[o->n] = '\0';
}

/* Decode one UTF-8 sequence at s[*i..len); invalid -> U+FFFD, one byte. */
static uint32_t iso_utf8_next(const uint8_t *s, size_t len, size_t *i)
{
    uint8_t c = s[*i];
    uint32_t cp, min;
    size_t k;

    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        cp = c & 0x1F;
        k = 1;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        cp = c & 0x0F;
        k = 2;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        cp = c & 0x07;
        k = 3;
        min = 0x10000;
    } else {
        (*i)++;
        return ISO_REPLACEMENT;
    }
    if (k > len - *i - 1) {
        (*i)++;
        return ISO_REPLACEMENT;
    }
    for (size_t j = 1; j <= k; j++) {
        if ((s[*i + j] & 0xC0) != 0x80) {
            (*i)++;
            return ISO_REPLACEMENT;
        }
        cp = (cp << 6) | (s[*i + j] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        (*i)++;
        return ISO_REPLACEMENT;
    }
    *i += k + 1;
    return cp;
}

/* ---- the three identifier forms ----------------------------------------------------------- */

void iso_name_plain(const uint8_t *id, size_t len, char *out, size_t cap)
{
    struct iso_out o = { out, cap, 0 };
    size_t n = len;

    /* §7.5.1: NAME.EXT;VERSION - the version goes, then a dot left at the end
     * (a name without extension is written "NAME."). */
    for (size_t i = 0; i < len; i++) {
        if (id[i] == ';') {
            n = i;
            break;
        }
    }
    while (n > 0 && id[n - 1] == '.')
        n--;
    for (size_t i = 0; i < n; i++)
        iso_out_cp(&o, id[i] >= 0x80 ? '_' : id[i]);
    iso_out_end(&o);
}

void iso_name_joliet(const uint8_t *id, size_t len, char *out, size_t cap)
{
    struct iso_out o = { out, cap, 0 };
    size_t units = len / 2;

    /* Joliet names carry the ECMA-119 ";version" too (mkisofs writes ";1"). */
    for (size_t i = units; i > 0; i--) {
        uint16_t u = (uint16_t)(id[2 * (i - 1)] << 8 | id[2 * (i - 1) + 1]);
        if (u == ';') {
            bool digits = i < units;
            for (size_t j = i; j < units; j++) {
                uint16_t d = (uint16_t)(id[2 * j] << 8 | id[2 * j + 1]);
                if (d < '0' || d > '9')
                    digits = false;
            }
            if (digits)
                units = i - 1;
            break;
        }
    }
    for (size_t i = 0; i < units; i++) {
        uint32_t u = (uint32_t)(id[2 * i] << 8 | id[2 * i + 1]);
        if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
            uint32_t lo = (uint32_t)(id[2 * i + 2] << 8 | id[2 * i + 3]);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                iso_out_cp(&o, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
                i++;
                continue;
            }
        }
        if (u >= 0xD800 && u <= 0xDFFF)
            u = ISO_REPLACEMENT;
        iso_out_cp(&o, u);
    }
    iso_out_end(&o);
}

void iso_name_rr(const uint8_t *nm, size_t len, char *out, size_t cap)
{
    struct iso_out o = { out, cap, 0 };
    size_t i = 0;
    while (i < len)
        iso_out_cp(&o, iso_utf8_next(nm, len, &i));
    iso_out_end(&o);
}

/* ---- comparison ----------------------------------------------------------------------------- */

/* Simple upper-case mapping: ASCII, Latin-1, Greek and Cyrillic basic
 * letters (the same set the FAT driver folds). */
static uint32_t iso_cp_upper(uint32_t c)
{
    if (c >= 'a' && c <= 'z')
        return c - 32;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
        return c - 32;
    if (c == 0xFF)
        return 0x178;
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
        return c - 32;
    if (c >= 0x430 && c <= 0x44F)
        return c - 32;
    if (c >= 0x450 && c <= 0x45F)
        return c - 80;
    return c;
}

int iso_name_match(const char *comp, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    if (len == nlen && memcmp(comp, name, len) == 0)
        return 2;
    const uint8_t *a = (const uint8_t *)comp, *b = (const uint8_t *)name;
    size_t i = 0, j = 0;
    while (i < len && j < nlen) {
        if (iso_cp_upper(iso_utf8_next(a, len, &i)) != iso_cp_upper(iso_utf8_next(b, nlen, &j)))
            return 0;
    }
    return i == len && j == nlen ? 1 : 0;
}

/* ---- time ----------------------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's
 * days_from_civil). */
static int64_t iso_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void iso_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

void iso_time_decode(const uint8_t *t, struct vfs_time *out)
{
    memset(out, 0, sizeof(*out));
    unsigned month = t[1], day = t[2], hour = t[3], minute = t[4], second = t[5];
    int offset_q = (int8_t)t[6]; /* quarter hours east of UTC, -48..52 */
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 ||
        second > 59 || offset_q < -48 || offset_q > 52)
        return;
    /* Local time minus the offset is UTC. */
    int64_t s = iso_days_from_civil(1900 + (int64_t)t[0], month, day) * 86400 +
                hour * 3600 + minute * 60 + second - (int64_t)offset_q * 900;
    int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
    int64_t rem = s - days * 86400, y;
    unsigned m, d;
    iso_civil_from_days(days, &y, &m, &d);
    out->year = (uint16_t)y;
    out->month = (uint8_t)m;
    out->day = (uint8_t)d;
    out->hour = (uint8_t)(rem / 3600);
    out->minute = (uint8_t)(rem % 3600 / 60);
    out->second = (uint8_t)(rem % 60);
}
