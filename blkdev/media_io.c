// SPDX-License-Identifier: MIT
/* Sector I/O on a media (see disk.h). The public media_* calls go through
 * the sector cache (as CACHE_SYS: the partition scan, dhash and other kernel
 * users read metadata-like data). Behind it, the raw driver path that only
 * the cache calls (media_driver_*, disk_priv.h): bounds and read-only checks,
 * splitting into driver-sized requests, and checking every driver answer
 * against the DISKFUNC contract - *numsectors never above the request,
 * progress on success - before anything is believed. A short transfer is
 * reported as a partial count with an error, never as success. */
#include "blkdev/cache.h"
#include "blkdev/disk_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"

enum media_dir { MEDIA_READ, MEDIA_WRITE };

/* One driver call for `want` sectors; returns 0 or ERR_*, *done <= want. */
static int media_driver_call(struct media *m, enum media_dir dir, lba_t lba, uint32_t want,
                             void *buf, uint32_t *done)
{
    struct disk *d = m->disk;
    int count = (int)want;
    int st;

    if (dir == MEDIA_READ)
        st = d->ops.read(d->userdata, buf, (int64_t)lba, &count);
    else
        st = d->ops.write(d->userdata, buf, (int64_t)lba, &count);
    /* Never believe a count beyond the request, or a negative one. */
    if (count < 0 || (uint32_t)count > want) {
        disk_violation(d, dir == MEDIA_READ ? "read returned *numsectors outside 0..request"
                                            : "write returned *numsectors outside 0..request");
        *done = 0;
        return ERR_IO;
    }
    *done = (uint32_t)count;
    if (st == DISK_STATUS_OK && count == 0) {
        disk_violation(d, "transfer succeeded with zero sectors done");
        return ERR_IO;
    }
#ifdef SPINDLE_DEBUG
    if (st != DISK_STATUS_OK && st != DISK_STATUS_GENERAL_ERROR &&
        st != DISK_STATUS_INVALID_CALL && st != DISK_STATUS_NO_MEDIA &&
        st != DISK_STATUS_END_OF_MEDIA && st != DISK_STATUS_NO_MEMORY)
        disk_violation(d, "unknown DISK_STATUS value");
#endif
    int rc = disk_status_to_err(st);
    if (rc == ERR_NOMEDIA)
        disk_noticed_no_media(m);
    return rc;
}

static int media_transfer(struct media *m, enum media_dir dir, lba_t lba, uint32_t count,
                          void *buf, uint32_t *done_out)
{
    uint32_t done = 0;
    int rc = 0;

    /* 1. The media must still be there, and writable for writes. */
    if (m->removed) {
        rc = ERR_NOMEDIA;
        goto out;
    }
    if (dir == MEDIA_WRITE && m->readonly) {
        rc = ERR_ROFS;
        goto out;
    }
    /* 2. Clip at the end of the media (overflow-safe). */
    bool clipped = false;
    if (lba >= m->capacity) {
        rc = count ? ERR_EOM : 0;
        goto out;
    }
    if (count > m->capacity - lba) {
        count = (uint32_t)(m->capacity - lba);
        clipped = true;
    }
    /* 3. Driver requests of at most DISK_MAX_REQUEST_SECTORS, until done or
     *    an error; a short successful answer just continues with the rest. */
    while (done < count) {
        uint32_t want = MIN(count - done, DISK_MAX_REQUEST_SECTORS);
        uint32_t got = 0;
        rc = media_driver_call(m, dir, lba + done, want,
                               (uint8_t *)buf + (size_t)done * m->sector_size, &got);
        done += got;
        if (rc)
            break;
    }
    if (rc == 0 && clipped)
        rc = ERR_EOM;
out:
    if (done_out)
        *done_out = done;
    return rc;
}

int media_driver_read(struct media *m, lba_t lba, uint32_t count, void *buf, uint32_t *done)
{
    return media_transfer(m, MEDIA_READ, lba, count, buf, done);
}

int media_driver_write(struct media *m, lba_t lba, uint32_t count, const void *buf,
                       uint32_t *done)
{
    /* The driver's write takes a const buffer; the shared path does not write it. */
    return media_transfer(m, MEDIA_WRITE, lba, count, (void *)(uintptr_t)buf, done);
}

int media_driver_flush(struct media *m)
{
    if (m->removed)
        return ERR_NOMEDIA;
    struct disk *d = m->disk;
    return disk_status_to_err(d->ops.flush(d->userdata));
}

int media_read(struct media *m, lba_t lba, uint32_t count, void *buf, uint32_t *done)
{
    return cache_read(m, lba, count, buf, CACHE_SYS, done);
}

int media_write(struct media *m, lba_t lba, uint32_t count, const void *buf, uint32_t *done)
{
    return cache_write(m, lba, count, buf, CACHE_SYS, done);
}

int media_flush(struct media *m)
{
    return cache_sync(m);
}

int media_part_read(struct media *m, unsigned number, lba_t lba, uint32_t count, void *buf,
                    uint32_t *done)
{
    return cache_part_read(m, number, lba, count, buf, CACHE_SYS, done);
}

int media_part_write(struct media *m, unsigned number, lba_t lba, uint32_t count,
                     const void *buf, uint32_t *done)
{
    return cache_part_write(m, number, lba, count, buf, CACHE_SYS, done);
}

unsigned media_part_count(const struct media *m)
{
    return m->nparts;
}

const struct part_info *media_part(const struct media *m, unsigned number)
{
    if (number == 0 || number > m->nparts)
        return NULL;
    return &m->parts[number - 1].info;
}

const char *media_part_fs(const struct media *m, unsigned number)
{
    if (number == 0 || number > m->nparts)
        return "none";
    return m->parts[number - 1].fs;
}
