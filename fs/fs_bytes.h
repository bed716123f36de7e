/* SPDX-License-Identifier: MIT */
/* Byte-addressed reads of a partition through the sector cache, for file
 * systems whose structures are not sector-aligned (ext: 1 KiB blocks on
 * 4 KiB sectors; ISO 9660: 2 KiB blocks on 512-byte sectors). The file
 * system fills a struct fs_bytes from its mounted volume, then calls
 * fs_bytes_read() for every range it has bounds-checked itself; the module
 * checks the range once more against the volume's end, splits it into
 * whole-sector cache requests of at most FS_BYTES_RUN_MAX_BYTES and goes
 * through the caller's bounce buffer for partial sectors. It does not
 * write, and it keeps no state: the volume's lock serialises the bounce
 * buffer. fs_bytes_data_class() maps the VFS I/O flags onto the cache
 * class of file data (every file system's reads, and FAT's writes). */
#ifndef FS_FS_BYTES_H
#define FS_FS_BYTES_H

#include "blkdev/cache.h"
#include "fs/vfs.h"
#include "kernel/types.h"

#define FS_BYTES_RUN_MAX_BYTES (1024u * 1024) /* largest single cache request */
#define FS_BYTES_NO_LIMIT UINT64_MAX          /* limit_bytes: only the partition's end */

/* Where to read. Built by the file system (on the stack is fine); nothing
 * here is owned by this module. */
struct fs_bytes {
    struct media *m;        /* the media; the caller keeps it alive */
    unsigned part;          /* 1-based partition number */
    uint32_t sector_bytes;  /* media sector size, 512..4096 */
    uint64_t limit_bytes;   /* reads must end at or before this byte (volume size) */
    uint8_t *bounce;        /* one media sector of scratch, used under the volume's lock */
    const char *fs;         /* file system name, first word of log lines ("ext") */
    const char *name;       /* volume name for log lines ("hd0/1") */
};

/* Read bytes [pos, pos+len) of partition src->part into buf.
 * Returns 0 with all len bytes in buf; ERR_CORRUPT (one log line) when the
 * range leaves src->limit_bytes or the partition (the on-disk structure that
 * pointed there is wrong); ERR_IO for a short transfer; or the cache's error
 * (ERR_NOMEDIA, ERR_NOENT, ERR_NOMEM...). On error buf holds an
 * unspecified prefix of the range.
 * Locking: the caller holds whatever serialises src->bounce (the volume's
 * lock, or nothing before the volume is published); no spinlock.
 * Context: thread, may sleep (cache I/O). */
int fs_bytes_read(const struct fs_bytes *src, uint64_t pos, void *buf, uint32_t len,
                  enum cache_class cls);

/* The cache class for file data read or written with VFS flags `vfs_flags`
 * (enum vfs_io_flag bits): CACHE_DIRECT with VFS_IO_NOCACHE, else CACHE_APP. */
static inline enum cache_class fs_bytes_data_class(unsigned vfs_flags)
{
    return (vfs_flags & VFS_IO_NOCACHE) ? CACHE_DIRECT : CACHE_APP;
}

#endif
