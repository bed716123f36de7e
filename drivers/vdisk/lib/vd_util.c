// SPDX-License-Identifier: MIT
/* Helpers shared by the image backends; contract in vd_util.h. The UTF
 * conversions follow RFC 2781 (UTF-16) and RFC 3629 (UTF-8). */
#include "drivers/vdisk/lib/vd_util.h"

#include "kernel/err.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/xorshift.h"
#include "kernel/time.h"

static struct {
    struct xorshift rng; /* UUID source, seeded on first use */
    bool seeded;
    uint32_t calls;      /* mixed into every UUID so two in one tick differ */
} vd_util_state;

bool vd_uuid_is_zero(const uint8_t uuid[16])
{
    for (unsigned i = 0; i < 16; i++) {
        if (uuid[i])
            return false;
    }
    return true;
}

void vd_uuid_generate(uint8_t uuid[16])
{
    uint64_t now = time_us();

    if (!vd_util_state.seeded) {
        xorshift_init(&vd_util_state.rng, (uint32_t)now ^ (uint32_t)(now >> 32) ^ 0x5644u);
        vd_util_state.seeded = true;
    }
    xorshift_fill(&vd_util_state.rng, uuid, 16);
    vd_util_state.calls++;
    uuid[0] ^= (uint8_t)now;
    uuid[1] ^= (uint8_t)(now >> 8);
    uuid[2] ^= (uint8_t)vd_util_state.calls;
    uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40); /* RFC 4122: version 4 */
    uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80); /* RFC 4122: variant 1 */
}

int vd_file_append(struct vd_file *f, uint64_t old_size, uint64_t off, const void *buf,
                   size_t len)
{
    int rc = f->ops->write(f, off, buf, len);

    if (rc < 0 && f->ops->set_size)
        (void)f->ops->set_size(f, old_size); /* shrinking needs no space */
    return rc;
}

static void vd_sift_down(uint64_t *v, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && v[child + 1] > v[child])
            child++;
        if (v[root] >= v[child])
            return;
        uint64_t t = v[root];
        v[root] = v[child];
        v[child] = t;
        root = child;
    }
}

void vd_sort_u64(uint64_t *v, size_t n)
{
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        vd_sift_down(v, i, n);
    for (size_t end = n - 1; end > 0; end--) {
        uint64_t t = v[0];
        v[0] = v[end];
        v[end] = t;
        vd_sift_down(v, 0, end);
    }
}

/* Append code point `cp` as UTF-8 at dst[*pos]; false when it does not fit
 * (one byte is always kept for the NUL). */
static bool vd_put_utf8(char *dst, size_t size, size_t *pos, uint32_t cp)
{
    uint8_t tmp[4];
    size_t n;

    if (cp < 0x80) {
        tmp[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        tmp[0] = (uint8_t)(0xc0 | (cp >> 6));
        tmp[1] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        tmp[0] = (uint8_t)(0xe0 | (cp >> 12));
        tmp[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        tmp[2] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        tmp[0] = (uint8_t)(0xf0 | (cp >> 18));
        tmp[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
        tmp[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        tmp[3] = (uint8_t)(0x80 | (cp & 0x3f));
        n = 4;
    }
    if (size - *pos < n + 1)
        return false;
    memcpy(dst + *pos, tmp, n);
    *pos += n;
    return true;
}

int vd_utf16_to_utf8(const uint8_t *src, size_t bytes, bool big_endian, char *dst,
                     size_t size)
{
    size_t pos = 0;

    if (size == 0)
        return ERR_NAMETOOLONG;
    for (size_t i = 0; i + 1 < bytes; i += 2) {
        uint32_t cp = big_endian ? vd_be16_at(src, i) : (uint32_t)(src[i] | src[i + 1] << 8);
        if (cp == 0)
            break;
        if (cp >= 0xd800 && cp < 0xdc00) {
            uint32_t lo;
            if (i + 3 >= bytes)
                return ERR_CORRUPT;
            lo = big_endian ? vd_be16_at(src, i + 2) : (uint32_t)(src[i + 2] | src[i + 3] << 8);
            if (lo < 0xdc00 || lo >= 0xe000)
                return ERR_CORRUPT;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            i += 2;
        } else if (cp >= 0xdc00 && cp < 0xe000) {
            return ERR_CORRUPT;
        }
        if (!vd_put_utf8(dst, size, &pos, cp))
            return ERR_NAMETOOLONG;
    }
    dst[pos] = '\0';
    return 0;
}

/* Next code point of UTF-8 `s` at *i; -1 for a malformed sequence. */
static int32_t vd_next_utf8(const char *s, size_t *i)
{
    const uint8_t *p = (const uint8_t *)s + *i;
    uint32_t cp;
    unsigned extra;

    if (p[0] < 0x80) {
        (*i)++;
        return p[0];
    }
    if ((p[0] & 0xe0) == 0xc0) {
        cp = p[0] & 0x1f;
        extra = 1;
    } else if ((p[0] & 0xf0) == 0xe0) {
        cp = p[0] & 0x0f;
        extra = 2;
    } else if ((p[0] & 0xf8) == 0xf0) {
        cp = p[0] & 0x07;
        extra = 3;
    } else {
        return -1;
    }
    for (unsigned k = 1; k <= extra; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return -1;
        cp = (cp << 6) | (p[k] & 0x3f);
    }
    if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
        return -1;
    *i += extra + 1;
    return (int32_t)cp;
}

static void vd_put_unit(uint8_t *dst, size_t off, uint16_t u, bool big_endian)
{
    if (big_endian) {
        vd_put_be16(dst, off, u);
    } else {
        dst[off] = (uint8_t)u;
        dst[off + 1] = (uint8_t)(u >> 8);
    }
}

int vd_utf8_to_utf16(const char *src, bool big_endian, uint8_t *dst, size_t size,
                     size_t *out_bytes)
{
    size_t i = 0, pos = 0;

    memset(dst, 0, size);
    while (src[i]) {
        int32_t cp = vd_next_utf8(src, &i);
        if (cp < 0)
            return ERR_INVAL;
        if (cp >= 0x10000) {
            if (size - pos < 4)
                return ERR_NAMETOOLONG;
            cp -= 0x10000;
            vd_put_unit(dst, pos, (uint16_t)(0xd800 + (cp >> 10)), big_endian);
            vd_put_unit(dst, pos + 2, (uint16_t)(0xdc00 + (cp & 0x3ff)), big_endian);
            pos += 4;
        } else {
            if (size - pos < 2)
                return ERR_NAMETOOLONG;
            vd_put_unit(dst, pos, (uint16_t)cp, big_endian);
            pos += 2;
        }
    }
    *out_bytes = pos;
    return 0;
}
