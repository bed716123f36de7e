/* SPDX-License-Identifier: MIT */
/* The DISKFUNC boundary that every ATA-family driver shares (IDE disks and
 * ATAPI drives in drivers/ata, SATA disks and ATAPI drives in drivers/ahci):
 * a read or write callback first checks and clips its request against the
 * capacity with ata_request_clip(), moves what fits, and finally hands its
 * kernel error to ata_err_to_status(), which defers to blkdev's
 * disk_err_to_status(). Pure code, hosted-testable; no locks, no I/O.
 * DISKFUNC contract (blkdev/diskfunc.h): a request past the end does the
 * part that fits and says END_OF_MEDIA; a request of zero sectors succeeds. */
#ifndef DRIVERS_ATA_LIB_ATA_DISKFUNC_H
#define DRIVERS_ATA_LIB_ATA_DISKFUNC_H

#include "kernel/types.h"

/* Check a request of `count` sectors at `start` against `capacity_sectors`.
 * Returns 0 with *want = the sectors to move (count, clipped at the end;
 * 0 for an empty request) and *clipped = whether it was clipped (the caller
 * ends with ERR_EOM after moving *want); ERR_INVAL (negative start or
 * count); ERR_EOM (a non-empty request that starts at or past the end).
 * *want and *clipped are set on every return. Context: any. */
int ata_request_clip(int64_t start, int count, uint64_t capacity_sectors, uint32_t *want,
                     bool *clipped);

/* DISK_STATUS_* of a driver error: disk_err_to_status (blkdev/disk.h), except
 * that ERR_NOTSUP - how these drivers report a command the device aborted -
 * is a device failure at this boundary (GENERAL_ERROR), not an invalid call
 * by the kernel. Context: any. */
int ata_err_to_status(int err);

#endif
