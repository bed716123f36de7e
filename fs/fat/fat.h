/* SPDX-License-Identifier: MIT */
/* FAT12/16/32 with VFAT long names. Call fat_register() once at init (after
 * blkdev_init, before disks appear): it adds the FAT entry to the probe table
 * of blkdev/fsprobe.h, so every partition holding a valid FAT volume is
 * probed ("fat12"/"fat16"/"fat32"), mounted on first use and unmounted when
 * its media goes away. Files are then reached through fs/vfs.h.
 * Implements the Microsoft FAT specification 1.03 (BPB, FAT, directory
 * entries, FSInfo) and its long-name chapter; exFAT is not handled.
 * Files: bpb.c (validation, probe, mount, sync), table.c (FAT entries,
 * chains, allocation), dir.c (entries, long names, lookup), file.c (the
 * operations), name.c (UTF-8/UTF-16, 8.3 names).
 * Context: thread, may sleep. */
#ifndef FS_FAT_FAT_H
#define FS_FAT_FAT_H

/* Register the FAT probe/mount with blkdev. Idempotent. */
void fat_register(void);

#endif
