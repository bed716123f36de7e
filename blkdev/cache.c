// SPDX-License-Identifier: MIT
/* Pass-through implementation of blkdev/cache.h: every request goes straight
 * to the media, writes are durable when they return, cache_sync only flushes
 * the device. Replaced by the cache manager of issue #4. */
#include "blkdev/cache.h"

int cache_read(struct media *m, lba_t lba, uint32_t count, void *buf, enum cache_class cls,
               uint32_t *done)
{
    (void)cls;
    return media_read(m, lba, count, buf, done);
}

int cache_write(struct media *m, lba_t lba, uint32_t count, const void *buf,
                enum cache_class cls, uint32_t *done)
{
    (void)cls;
    return media_write(m, lba, count, buf, done);
}

int cache_part_read(struct media *m, unsigned part, lba_t lba, uint32_t count, void *buf,
                    enum cache_class cls, uint32_t *done)
{
    (void)cls;
    return media_part_read(m, part, lba, count, buf, done);
}

int cache_part_write(struct media *m, unsigned part, lba_t lba, uint32_t count,
                     const void *buf, enum cache_class cls, uint32_t *done)
{
    (void)cls;
    return media_part_write(m, part, lba, count, buf, done);
}

int cache_sync(struct media *m)
{
    return media_flush(m);
}
