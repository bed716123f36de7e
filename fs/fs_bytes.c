// SPDX-License-Identifier: MIT
/* Byte-addressed partition reads through the sector cache (see fs_bytes.h):
 * whole aligned sectors go straight into the caller's buffer in runs of at
 * most FS_BYTES_RUN_MAX_BYTES; a range that starts or ends inside a sector
 * takes that sector through the bounce buffer. The cache bounds every
 * request by the partition; its ERR_EOM means the file system followed a
 * pointer past the end and becomes ERR_CORRUPT here. */
#include "fs/fs_bytes.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

/* 1. Check the range against the volume (the last line of defence: the
 *    file system checks every extent or block before it gets here).
 * 2. Per step: an aligned stretch of at least one sector is read in place;
 *    otherwise one sector goes through the bounce buffer and the wanted
 *    part of it is copied out.
 * 3. A short transfer is ERR_IO; a read clipped at the partition's end is
 *    ERR_CORRUPT (logged); any error ends the read. */
int fs_bytes_read(const struct fs_bytes *src, uint64_t pos, void *buf, uint32_t len,
                  enum cache_class cls)
{
    uint32_t ss = src->sector_bytes;
    uint8_t *out = buf;

    /* 1. Inside the volume. */
    if (pos > src->limit_bytes || len > src->limit_bytes - pos) {
        pr_warn("%s: %s: read outside the volume (byte %llu, %u bytes, limit %llu)", src->fs,
                src->name, (unsigned long long)pos, len, (unsigned long long)src->limit_bytes);
        return ERR_CORRUPT;
    }
    while (len > 0) {
        lba_t sector = pos / ss;
        uint32_t within = (uint32_t)(pos % ss), done = 0, want, k;
        int rc;
        /* 2. In place, or through the bounce buffer. */
        if (within == 0 && len >= ss) {
            want = MIN(len, FS_BYTES_RUN_MAX_BYTES) / ss;
            rc = cache_part_read(src->m, src->part, sector, want, out, cls, &done);
            k = want * ss;
        } else {
            want = 1;
            rc = cache_part_read(src->m, src->part, sector, 1, src->bounce, cls, &done);
            k = MIN(len, ss - within);
            if (rc == 0 && done == 1)
                memcpy(out, src->bounce + within, k);
        }
        /* 3. Short or clipped transfers. */
        if (rc == 0 && done != want)
            rc = ERR_IO;
        if (rc == ERR_EOM) {
            pr_warn("%s: %s: read beyond the partition (byte %llu)", src->fs, src->name,
                    (unsigned long long)pos);
            rc = ERR_CORRUPT;
        }
        if (rc)
            return rc;
        pos += k;
        out += k;
        len -= k;
    }
    return 0;
}
