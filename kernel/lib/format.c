// SPDX-License-Identifier: MIT
/* Freestanding printf core (see format.h). Output goes through a bounded
 * writer that counts every character, so truncation never loses the length. */
#include "kernel/lib/format.h"

struct out {
    char *buf;
    size_t size;
    size_t len; /* characters produced so far, including any not stored */
};

enum {
    F_LEFT = 1,
    F_PLUS = 2,
    F_SPACE = 4,
    F_ZERO = 8,
    F_ALT = 16,
};

static void out_char(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void out_pad(struct out *o, char c, int count)
{
    while (count-- > 0)
        out_char(o, c);
}

static void out_string(struct out *o, const char *s, int width, int prec, int flags)
{
    int len = 0;
    if (!s)
        s = "(null)";
    while (s[len] && (prec < 0 || len < prec))
        len++;
    if (!(flags & F_LEFT))
        out_pad(o, ' ', width - len);
    for (int i = 0; i < len; i++)
        out_char(o, s[i]);
    if (flags & F_LEFT)
        out_pad(o, ' ', width - len);
}

/* Formats one integer: magnitude `v`, sign and radix handled here. */
static void out_number(struct out *o, uint64_t v, bool negative, unsigned base, bool upper,
                       int width, int prec, int flags)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    char sign = 0;
    const char *prefix = "";
    int prefix_len = 0;

    /* 1. Digits, least significant first; precision 0 with value 0 prints none. */
    if (v == 0 && prec != 0)
        tmp[n++] = '0';
    while (v) {
        tmp[n++] = digits[v % base];
        v /= base;
    }
    /* 2. Sign and radix prefix. '#' with octal only guarantees a leading
     *    zero, which precision padding may already provide (C11 7.21.6.1). */
    int zeros = prec > n ? prec - n : 0;
    if (negative)
        sign = '-';
    else if (flags & F_PLUS)
        sign = '+';
    else if (flags & F_SPACE)
        sign = ' ';
    if ((flags & F_ALT) && base == 16 && n > 0 && !(n == 1 && tmp[0] == '0')) {
        prefix = upper ? "0X" : "0x";
        prefix_len = 2;
    } else if ((flags & F_ALT) && base == 8 && zeros == 0 && (n == 0 || tmp[n - 1] != '0')) {
        prefix = "0";
        prefix_len = 1;
    }
    /* 3. Padding: zeros go between prefix and digits, spaces outside. */
    int body = n + zeros + prefix_len + (sign ? 1 : 0);
    if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0 && width > body) {
        zeros += width - body;
        body = width;
    }
    if (!(flags & F_LEFT))
        out_pad(o, ' ', width - body);
    if (sign)
        out_char(o, sign);
    for (int i = 0; i < prefix_len; i++)
        out_char(o, prefix[i]);
    out_pad(o, '0', zeros);
    while (n > 0)
        out_char(o, tmp[--n]);
    if (flags & F_LEFT)
        out_pad(o, ' ', width - body);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    while (*fmt) {
        if (*fmt != '%') {
            out_char(&o, *fmt++);
            continue;
        }
        fmt++;
        /* 1. Flags. */
        int flags = 0;
        for (;; fmt++) {
            if (*fmt == '-') flags |= F_LEFT;
            else if (*fmt == '+') flags |= F_PLUS;
            else if (*fmt == ' ') flags |= F_SPACE;
            else if (*fmt == '0') flags |= F_ZERO;
            else if (*fmt == '#') flags |= F_ALT;
            else break;
        }
        /* 2. Width and precision, either may be '*'. */
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                width = width * 10 + (*fmt++ - '0');
        }
        int prec = -1;
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                prec = va_arg(ap, int);
                if (prec < 0)
                    prec = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    prec = prec * 10 + (*fmt++ - '0');
            }
        }
        /* 3. Length modifier: remembered as the argument size in bytes. */
        int lsize = sizeof(int);
        if (*fmt == 'h') {
            fmt++;
            lsize = 2;
            if (*fmt == 'h') {
                fmt++;
                lsize = 1;
            }
        } else if (*fmt == 'l') {
            fmt++;
            lsize = sizeof(long);
            if (*fmt == 'l') {
                fmt++;
                lsize = sizeof(long long);
            }
        } else if (*fmt == 'z' || *fmt == 't') {
            fmt++;
            lsize = sizeof(size_t);
        } else if (*fmt == 'j') {
            fmt++;
            lsize = sizeof(intmax_t);
        }
        /* 4. Conversion. */
        char conv = *fmt ? *fmt++ : 0;
        switch (conv) {
        case 'd':
        case 'i': {
            int64_t v;
            if (lsize == 8)
                v = va_arg(ap, long long);
            else if (lsize == sizeof(long))
                v = va_arg(ap, long);
            else
                v = va_arg(ap, int);
            if (lsize == 1)
                v = (signed char)v;
            else if (lsize == 2)
                v = (short)v;
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            out_number(&o, mag, v < 0, 10, false, width, prec, flags);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            uint64_t v;
            if (lsize == 8)
                v = va_arg(ap, unsigned long long);
            else if (lsize == sizeof(long))
                v = va_arg(ap, unsigned long);
            else
                v = va_arg(ap, unsigned int);
            if (lsize == 1)
                v = (unsigned char)v;
            else if (lsize == 2)
                v = (unsigned short)v;
            unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
            out_number(&o, v, false, base, conv == 'X', width, prec, flags & ~(F_PLUS | F_SPACE));
            break;
        }
        case 'p':
            out_number(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, width, prec,
                       F_ALT | (flags & F_LEFT));
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!(flags & F_LEFT))
                out_pad(&o, ' ', width - 1);
            out_char(&o, c);
            if (flags & F_LEFT)
                out_pad(&o, ' ', width - 1);
            break;
        }
        case 's':
            out_string(&o, va_arg(ap, const char *), width, prec, flags);
            break;
        case '%':
            out_char(&o, '%');
            break;
        case 0:
            break;
        default: /* unknown conversion: print it literally */
            out_char(&o, '%');
            out_char(&o, conv);
            break;
        }
    }
    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
