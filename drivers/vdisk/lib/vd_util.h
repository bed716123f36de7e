/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the image backends of drivers/vdisk/lib/:
 * big-endian field access (VHD and QCOW2 store big-endian; little-endian
 * lives in kernel/lib/endian.h), a data-before-metadata file append that
 * undoes a partial growth, a u64 sort for overlap checks, UTF-16 <-> UTF-8
 * for parent names, and random UUIDs for new images.
 * Hardware-free, built freestanding and hosted. Locking: none (the random
 * UUID source is not thread-safe; callers serialise per chain, and a race
 * only makes two UUIDs share some bits). Context: thread. */
#ifndef DRIVERS_VDISK_LIB_VD_UTIL_H
#define DRIVERS_VDISK_LIB_VD_UTIL_H

#include "drivers/vdisk/lib/vd_backend.h"
#include "kernel/types.h"

static inline uint16_t vd_be16_at(const void *buf, size_t off)
{
    const uint8_t *p = (const uint8_t *)buf + off;
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t vd_be32_at(const void *buf, size_t off)
{
    const uint8_t *p = (const uint8_t *)buf + off;
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t vd_be64_at(const void *buf, size_t off)
{
    return ((uint64_t)vd_be32_at(buf, off) << 32) | vd_be32_at(buf, off + 4);
}

static inline void vd_put_be16(void *buf, size_t off, uint16_t v)
{
    uint8_t *p = (uint8_t *)buf + off;
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void vd_put_be32(void *buf, size_t off, uint32_t v)
{
    uint8_t *p = (uint8_t *)buf + off;
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void vd_put_be64(void *buf, size_t off, uint64_t v)
{
    vd_put_be32(buf, off, (uint32_t)(v >> 32));
    vd_put_be32(buf, off + 4, (uint32_t)v);
}

static inline bool vd_is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

/* True when all 16 bytes are zero ("no identity"). */
bool vd_uuid_is_zero(const uint8_t uuid[16]);

/* A random version-4 UUID (byte order as stored; no endianness games). */
void vd_uuid_generate(uint8_t uuid[16]);

/* Write `len` bytes at `off` of `f`, where the write grows the file from
 * `old_size` bytes. If it fails, the file is cut back to `old_size` so a
 * full host file system leaves no half-written tail behind. Returns 0 or the
 * write's ERR_* (ERR_NOSPC when the host is full). */
int vd_file_append(struct vd_file *f, uint64_t old_size, uint64_t off, const void *buf,
                   size_t len);

/* Sort `n` values ascending in place (heap sort: no recursion, no memory). */
void vd_sort_u64(uint64_t *v, size_t n);

/* Decode `bytes` bytes of UTF-16 (big- or little-endian, stopping at a NUL
 * unit) into NUL-terminated UTF-8 in dst[size]. 0, ERR_CORRUPT for a broken
 * surrogate pair, ERR_NAMETOOLONG when dst is too small. */
int vd_utf16_to_utf8(const uint8_t *src, size_t bytes, bool big_endian, char *dst,
                     size_t size);

/* Encode UTF-8 `src` as UTF-16 into dst[size] bytes (zero-padded), storing
 * the encoded length in *out_bytes. 0, ERR_INVAL for bad UTF-8,
 * ERR_NAMETOOLONG when it does not fit. */
int vd_utf8_to_utf16(const char *src, bool big_endian, uint8_t *dst, size_t size,
                     size_t *out_bytes);

#endif
