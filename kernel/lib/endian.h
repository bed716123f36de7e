/* SPDX-License-Identifier: MIT */
/* Explicit little-endian loads and stores on byte buffers (STYLE §7): on-disk
 * and wire records are read field by field at a byte offset, never by casting
 * a packed struct onto a buffer that may be unaligned. The caller guarantees
 * that off + field size lies inside the buffer. Context: any. */
#ifndef KERNEL_LIB_ENDIAN_H
#define KERNEL_LIB_ENDIAN_H

#include "kernel/types.h"

static inline uint16_t le16_at(const void *buf, size_t off)
{
    const uint8_t *p = (const uint8_t *)buf + off;
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t le32_at(const void *buf, size_t off)
{
    const uint8_t *p = (const uint8_t *)buf + off;
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static inline uint64_t le64_at(const void *buf, size_t off)
{
    return (uint64_t)le32_at(buf, off) | ((uint64_t)le32_at(buf, off + 4) << 32);
}

static inline void put_le16(void *buf, size_t off, uint16_t v)
{
    uint8_t *p = (uint8_t *)buf + off;
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void put_le32(void *buf, size_t off, uint32_t v)
{
    put_le16(buf, off, (uint16_t)v);
    put_le16(buf, off + 2, (uint16_t)(v >> 16));
}

static inline void put_le64(void *buf, size_t off, uint64_t v)
{
    put_le32(buf, off, (uint32_t)v);
    put_le32(buf, off + 4, (uint32_t)(v >> 32));
}

#endif
