/* SPDX-License-Identifier: MIT */
/* The sector cache API (STYLE §1 seam): the way file systems and the shell
 * read and write sectors of a media. Sectors are whole-disk LBAs
 * (cache_read/write) or relative to a partition and bounded by it
 * (cache_part_read/write). The class tells the cache what the data is:
 * CACHE_SYS for file-system metadata (FAT, directories, boot sectors - kept
 * in preference), CACHE_APP for file contents.
 * Returns as media_read/media_write in disk.h: 0, ERR_EOM (clipped, *done
 * says how much), ERR_NOMEDIA, ERR_ROFS, ERR_IO... A write may be delayed
 * (write-back): cache_sync() makes it durable and reports any write-back
 * error that happened since the last successful sync.
 * STATUS: pass-through (every call goes to the driver) until the cache
 * manager of issue #4 lands behind this same API.
 * Locking: none held by the caller. Context: thread, may sleep. */
#ifndef BLKDEV_CACHE_H
#define BLKDEV_CACHE_H

#include "blkdev/disk.h"

enum cache_class {
    CACHE_APP = 0, /* file data */
    CACHE_SYS = 1, /* file-system metadata */
};

int cache_read(struct media *m, lba_t lba, uint32_t count, void *buf, enum cache_class cls,
               uint32_t *done);
int cache_write(struct media *m, lba_t lba, uint32_t count, const void *buf,
                enum cache_class cls, uint32_t *done);
int cache_part_read(struct media *m, unsigned part, lba_t lba, uint32_t count, void *buf,
                    enum cache_class cls, uint32_t *done);
int cache_part_write(struct media *m, unsigned part, lba_t lba, uint32_t count,
                     const void *buf, enum cache_class cls, uint32_t *done);
/* Write back every dirty sector of m, then flush the device's own cache. */
int cache_sync(struct media *m);

#endif
