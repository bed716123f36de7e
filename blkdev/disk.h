/* SPDX-License-Identifier: MIT */
/* Block layer core: the disk registry behind DiskAdd/DiskDel/DiskMediaChanged,
 * the media lifetime, and sector I/O for kernel code.
 *
 * Use: look a disk up (disk_find, takes a disk reference), get its current
 * media (disk_get_media, takes a media reference; for a
 * DISK_NO_INSERT_NOTIFICATION disk this asks the driver), read or write
 * sectors through the media, then media_put and disk_put. A media that was
 * removed stays valid for its holders but every I/O on it fails with
 * ERR_NOMEDIA; the driver's closemedia runs once the last holder lets go, and
 * close once the disk was deleted and the last disk reference is gone.
 *
 * Sector numbers here are whole-disk LBAs (media_*) or partition-relative
 * (media_part_*). Requests that run past the end are clipped: the part that
 * fits is done, *done says how much, and the return is ERR_EOM (KolibriOS's
 * END_OF_MEDIA behaviour).
 * Locking: all functions take the block-layer locks themselves; call them
 * with no block-layer lock held. Context: thread, may sleep. */
#ifndef BLKDEV_DISK_H
#define BLKDEV_DISK_H

#include "blkdev/diskfunc.h"
#include "blkdev/part.h"
#include "kernel/types.h"

#define DISK_NAME_MAX 31         /* characters, KolibriOS limit */
#define DISK_MAX_REQUEST_SECTORS 65536u /* largest single driver request */

struct disk;
struct media;

/* DiskAdd/DiskDel/DiskMediaChanged, snake_case (the ABI exports wrap these). */
int disk_add(const DISKFUNC *funcs, const char *name, void *userdata, int flags,
             struct disk **out);
void disk_del(struct disk *d);
void disk_media_changed(struct disk *d, bool present);

/* Find a registered disk by name (case-insensitive) and take a reference.
 * Returns 0, ERR_NOENT. */
int disk_find(const char *name, struct disk **out);
void disk_get(struct disk *d);
void disk_put(struct disk *d);
const char *disk_name(const struct disk *d);
/* Call fn for every registered disk in registration order, holding a
 * reference during the call. Stops at the first nonzero return. */
int disk_for_each(int (*fn)(struct disk *d, void *ctx), void *ctx);

/* Call fn the same way, newest disk first (the reverse of registration):
 * a disk whose data lives in a file on an older disk (a vdisk image on
 * hd0's FAT) comes before that disk. The names are taken first, so fn may
 * add or delete disks; one deleted meanwhile is skipped. ERR_NOMEM. */
int disk_for_each_newest_first(int (*fn)(struct disk *d, void *ctx), void *ctx);

/* enum err -> DISK_STATUS_*: the one conversion for drivers built into the
 * kernel and blkdev code that plays a driver (faulty.c). 0 -> OK,
 * ERR_NOTSUP/ERR_INVAL -> INVALID_CALL, ERR_NOMEDIA -> NO_MEDIA, ERR_EOM ->
 * END_OF_MEDIA, ERR_NOMEM -> NO_MEMORY, anything else -> GENERAL_ERROR.
 * Context: any. */
int disk_err_to_status(int err);

/* Take a reference to the current media. Returns 0 or ERR_NOMEDIA. */
int disk_get_media(struct disk *d, struct media **out);
void media_put(struct media *m);
struct disk *media_disk(const struct media *m);
uint32_t media_sector_size(const struct media *m);
lba_t media_capacity(const struct media *m); /* sectors */
bool media_is_readonly(const struct media *m);
bool media_is_removed(const struct media *m);
/* Partitions found at insertion, numbered from 1. */
unsigned media_part_count(const struct media *m);
const struct part_info *media_part(const struct media *m, unsigned number);
/* Name of the file system probed on partition `number`, "none" if none. */
const char *media_part_fs(const struct media *m, unsigned number);

/* Whole-disk sector I/O. *done (may be NULL) gets the sectors transferred.
 * Returns 0, ERR_EOM (clipped at the end), ERR_NOMEDIA, ERR_ROFS (write to
 * read-only media), ERR_IO/ERR_NOMEM/ERR_NOTSUP from the driver, ERR_INVAL. */
int media_read(struct media *m, lba_t lba, uint32_t count, void *buf, uint32_t *done);
int media_write(struct media *m, lba_t lba, uint32_t count, const void *buf, uint32_t *done);
int media_flush(struct media *m);
/* The same, relative to partition `number` and bounded by it. */
int media_part_read(struct media *m, unsigned number, lba_t lba, uint32_t count, void *buf,
                    uint32_t *done);
int media_part_write(struct media *m, unsigned number, lba_t lba, uint32_t count,
                     const void *buf, uint32_t *done);

/* Driver extensions: eject/load the tray (ERR_NOTSUP if the driver has none),
 * and the driver's cache size wish for a suggested size in bytes. */
int disk_load_tray(struct disk *d, int flags);
/* True if the driver offers LoadTray (inside its strucsize and set), so
 * ERR_NOTSUP from disk_load_tray is the drive's answer, not a missing
 * operation. */
bool disk_has_tray(const struct disk *d);
unsigned disk_adjust_cache_size(struct disk *d, unsigned suggested_bytes);

/* Counters of contract violations noticed in driver behaviour (tests). */
unsigned disk_contract_violations(const struct disk *d);

/* Set up the block layer: locks, kernel exports for driver modules. */
void blkdev_init(void);

#endif
