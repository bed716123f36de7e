/* SPDX-License-Identifier: MIT */
/* Request clipping shared by the memory-backed disk drivers (ramdisk.c,
 * bootdisk.c): the DISKFUNC contract for a request against `sectors`. */
#ifndef DRIVERS_RAMDISK_MEMCLIP_H
#define DRIVERS_RAMDISK_MEMCLIP_H

#include "blkdev/diskfunc.h"
#include "kernel/types.h"

/* Clip a request to a disk of `sectors` sectors. Returns DISK_STATUS_OK with
 * *count sectors to move (== requested), DISK_STATUS_END_OF_MEDIA with the
 * part that fits, or DISK_STATUS_INVALID_CALL (negative start or count;
 * nothing to move). */
static inline int memclip(uint64_t sectors, int64_t start, int requested, uint32_t *count)
{
    *count = 0;
    if (start < 0 || requested < 0)
        return DISK_STATUS_INVALID_CALL;
    if (requested == 0)
        return DISK_STATUS_OK;
    if ((uint64_t)start >= sectors)
        return DISK_STATUS_END_OF_MEDIA;
    uint64_t room = sectors - (uint64_t)start;
    *count = (uint32_t)MIN((uint64_t)requested, room);
    return *count < (uint32_t)requested ? DISK_STATUS_END_OF_MEDIA : DISK_STATUS_OK;
}

#endif
