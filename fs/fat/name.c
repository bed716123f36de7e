// SPDX-License-Identifier: MIT
/* Names on FAT: UTF-8 <-> UTF-16 for long names (FAT spec §7 stores UCS-2 /
 * UTF-16LE), case folding for case-insensitive lookup, the long-name
 * checksum (§7.2), the display form of 8.3 entries (with the Windows NT
 * lower-case flags) and the basis name for new 8.3 aliases (§7.4). Short
 * names are treated as ASCII: bytes above 0x7E show as '_' (no OEM code page
 * tables); names we create only put ASCII into 8.3 fields. */
#include "fs/fat/fat_priv.h"
#include "kernel/err.h"
#include "kernel/lib/kstring.h"

int fat_utf8_to_utf16(const char *s, size_t len, uint16_t *out, size_t max_units)
{
    size_t n = 0;
    const uint8_t *p = (const uint8_t *)s;

    for (size_t i = 0; i < len;) {
        uint32_t cp;
        unsigned extra;
        uint8_t c = p[i++];
        if (c < 0x80) {
            cp = c;
            extra = 0;
        } else if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            extra = 1;
        } else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            extra = 2;
        } else if ((c & 0xF8) == 0xF0) {
            cp = c & 0x07;
            extra = 3;
        } else {
            return ERR_INVAL;
        }
        if (extra > len - i)
            return ERR_INVAL;
        for (unsigned k = 0; k < extra; k++) {
            if ((p[i] & 0xC0) != 0x80)
                return ERR_INVAL;
            cp = (cp << 6) | (p[i++] & 0x3F);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
        static const uint32_t min_cp[4] = { 0, 0x80, 0x800, 0x10000 };
        if (cp < min_cp[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return ERR_INVAL;
        if (cp >= 0x10000) {
            if (max_units - n < 2)
                return ERR_NAMETOOLONG;
            cp -= 0x10000;
            out[n++] = (uint16_t)(0xD800 | (cp >> 10));
            out[n++] = (uint16_t)(0xDC00 | (cp & 0x3FF));
        } else {
            if (n == max_units)
                return ERR_NAMETOOLONG;
            out[n++] = (uint16_t)cp;
        }
    }
    return (int)n;
}

static size_t fat_put_utf8(uint32_t cp, char *out, size_t at, size_t cap)
{
    char b[4];
    size_t k;
    if (cp < 0x80) {
        b[0] = (char)cp;
        k = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        k = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        k = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        k = 4;
    }
    if (cap - at <= k)
        return at; /* no room (keep the NUL): cut here */
    memcpy(out + at, b, k);
    return at + k;
}

void fat_utf16_to_utf8(const uint16_t *u, size_t n, char *out, size_t cap)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = u[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && u[i + 1] >= 0xDC00 &&
            u[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (u[i + 1] - 0xDC00);
            i++;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        size_t next = fat_put_utf8(cp, out, at, cap);
        if (next == at)
            break;
        at = next;
    }
    out[at] = '\0';
}

/* Simple upper-case mapping: ASCII, Latin-1, Greek and Cyrillic basic
 * letters. Enough for the names people type; the rest compares exactly. */
uint16_t fat_unit_upper(uint16_t c)
{
    if (c >= 'a' && c <= 'z')
        return (uint16_t)(c - 32);
    if ((c >= 0xE0 && c <= 0xFE && c != 0xF7))
        return (uint16_t)(c - 32);
    if (c == 0xFF)
        return 0x178;
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
        return (uint16_t)(c - 32);
    if (c >= 0x430 && c <= 0x44F)
        return (uint16_t)(c - 32);
    if (c >= 0x450 && c <= 0x45F)
        return (uint16_t)(c - 80);
    return c;
}

bool fat_units_equal_nocase(const uint16_t *a, size_t an, const uint16_t *b, size_t bn)
{
    if (an != bn)
        return false;
    for (size_t i = 0; i < an; i++) {
        if (fat_unit_upper(a[i]) != fat_unit_upper(b[i]))
            return false;
    }
    return true;
}

uint8_t fat_lfn_checksum(const uint8_t name11[11])
{
    uint8_t sum = 0;
    for (unsigned i = 0; i < 11; i++)
        sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name11[i]);
    return sum;
}

size_t fat_short_to_units(const uint8_t *ent, uint16_t *out)
{
    size_t n = 0;
    unsigned base_len = 8, ext_len = 3;
    bool lower_base = ent[DIR_NTRES] & FAT_NTRES_LOWER_BASE;
    bool lower_ext = ent[DIR_NTRES] & FAT_NTRES_LOWER_EXT;

    while (base_len > 0 && ent[base_len - 1] == ' ')
        base_len--;
    while (ext_len > 0 && ent[8 + ext_len - 1] == ' ')
        ext_len--;
    for (unsigned i = 0; i < base_len; i++) {
        uint8_t c = ent[i];
        if (i == 0 && c == FAT_ENTRY_KANJI_E5)
            c = 0xE5;
        if (c < 0x20 || c > 0x7E)
            c = '_';
        out[n++] = (uint16_t)(lower_base ? ch_lower(c) : c);
    }
    if (ext_len) {
        out[n++] = '.';
        for (unsigned i = 0; i < ext_len; i++) {
            uint8_t c = ent[8 + i];
            if (c < 0x20 || c > 0x7E)
                c = '_';
            out[n++] = (uint16_t)(lower_ext ? ch_lower(c) : c);
        }
    }
    return n;
}

/* FAT spec §6.1: characters never allowed in any name. */
static bool fat_unit_is_forbidden(uint16_t c)
{
    return c < 0x20 || c == '"' || c == '*' || c == '/' || c == ':' || c == '<' || c == '>' ||
           c == '?' || c == '\\' || c == '|' || c == 0x7F;
}

/* Characters allowed in an 8.3 field besides letters and digits. */
static bool fat_unit_is_short_ok(uint16_t c)
{
    if (c >= 'A' && c <= 'Z')
        return true;
    if (c >= '0' && c <= '9')
        return true;
    return c == '$' || c == '%' || c == '\'' || c == '-' || c == '_' || c == '@' ||
           c == '~' || c == '`' || c == '!' || c == '(' || c == ')' || c == '{' || c == '}' ||
           c == '^' || c == '#' || c == '&';
}

int fat_name_check(uint16_t *u, size_t *n)
{
    while (*n > 0 && (u[*n - 1] == '.' || u[*n - 1] == ' '))
        (*n)--;
    if (*n == 0)
        return ERR_INVAL; /* also ".", "..", "   " */
    for (size_t i = 0; i < *n; i++) {
        if (fat_unit_is_forbidden(u[i]))
            return ERR_INVAL;
    }
    return 0;
}

/* One part of an 8.3 name: all characters valid in upper case, with one
 * consistent case. *lower is true if it was all lower case. */
static bool fat_short_part(const uint16_t *u, size_t n, size_t max, uint8_t *out, bool *lower)
{
    bool has_upper = false, has_lower = false;
    if (n > max)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint16_t c = u[i];
        if (c >= 'a' && c <= 'z') {
            has_lower = true;
            c = (uint16_t)(c - 32);
        } else if (c >= 'A' && c <= 'Z') {
            has_upper = true;
        }
        if (!fat_unit_is_short_ok(c))
            return false;
        out[i] = (uint8_t)c;
    }
    *lower = has_lower;
    return !(has_lower && has_upper);
}

bool fat_name_fits_short(const uint16_t *u, size_t n, uint8_t name11[11], uint8_t *ntres)
{
    size_t dot = n;
    bool lb = false, le = false;

    for (size_t i = 0; i < n; i++) {
        if (u[i] == '.') {
            if (dot != n)
                return false; /* two dots */
            dot = i;
        }
    }
    if (dot == 0)
        return false;
    memset(name11, ' ', 11);
    if (!fat_short_part(u, dot, 8, name11, &lb))
        return false;
    if (dot < n && !fat_short_part(u + dot + 1, n - dot - 1, 3, name11 + 8, &le))
        return false;
    if (dot + 1 == n)
        return false; /* "NAME." was cut by fat_name_check already; be safe */
    if (name11[0] == 0xE5)
        name11[0] = FAT_ENTRY_KANJI_E5;
    *ntres = (uint8_t)((lb ? FAT_NTRES_LOWER_BASE : 0) | (le ? FAT_NTRES_LOWER_EXT : 0));
    return true;
}

void fat_name_basis(const uint16_t *u, size_t n, uint8_t name11[11])
{
    size_t dot = n, start = 0, k = 0;

    memset(name11, ' ', 11);
    while (start < n && (u[start] == '.' || u[start] == ' '))
        start++; /* leading dots and blanks are dropped (§7.4) */
    for (size_t i = n; i > start; i--) {
        if (u[i - 1] == '.') {
            dot = i - 1;
            break;
        }
    }
    for (size_t i = start; i < dot && k < 8; i++) {
        uint16_t c = fat_unit_upper(u[i]);
        if (c == ' ' || c == '.')
            continue;
        name11[k++] = (uint8_t)(fat_unit_is_short_ok(c) ? c : '_');
    }
    if (k == 0)
        name11[k++] = '_';
    k = 0;
    for (size_t i = dot + 1; i < n && k < 3; i++) {
        uint16_t c = fat_unit_upper(u[i]);
        if (c == ' ' || c == '.')
            continue;
        name11[8 + k++] = (uint8_t)(fat_unit_is_short_ok(c) ? c : '_');
    }
}
