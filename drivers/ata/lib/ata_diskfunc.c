// SPDX-License-Identifier: MIT
/* DISKFUNC request clipping and status conversion of the ATA-family
 * drivers (contract in ata_diskfunc.h). */
#include "drivers/ata/lib/ata_diskfunc.h"
#include "blkdev/disk.h"
#include "blkdev/diskfunc.h"
#include "kernel/err.h"

int ata_request_clip(int64_t start, int count, uint64_t capacity_sectors, uint32_t *want,
                     bool *clipped)
{
    *want = 0;
    *clipped = false;
    if (count < 0 || start < 0)
        return ERR_INVAL;
    if ((uint64_t)start >= capacity_sectors)
        return count ? ERR_EOM : 0;
    /* Overflow-safe: the room left is computed, never start + count. */
    uint64_t room = capacity_sectors - (uint64_t)start;
    *clipped = (uint64_t)count > room;
    *want = *clipped ? (uint32_t)room : (uint32_t)count;
    return 0;
}

int ata_err_to_status(int err)
{
    return disk_err_to_status(err == ERR_NOTSUP ? ERR_IO : err);
}
