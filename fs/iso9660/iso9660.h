/* SPDX-License-Identifier: MIT */
/* ISO 9660 (ECMA-119) CD file systems, read-only, with Joliet and Rock
 * Ridge names and multi-extent files. Call iso9660_register() once at init
 * (after blkdev_init, before disks appear): it adds the ISO 9660 entry to
 * the probe table of blkdev/fsprobe.h, so every partition holding a valid
 * primary volume descriptor is probed ("iso9660"), mounted on first use and
 * unmounted when its media goes away. Files are then reached through
 * fs/vfs.h. A CD has no partition table: blkdev exposes the whole media as
 * partition 1, so a disc in cd0 is /cd0/1/.
 * Names: Rock Ridge (exact POSIX names) when the primary tree carries it,
 * else Joliet (UTF-16 names), else the plain ECMA-119 names without their
 * ";1" version and trailing '.'; lookup ignores case either way.
 * Every write operation fails with ERR_ROFS.
 * Implements ECMA-119 4th ed. §8-9, Joliet 1995, SUSP 1.12 (IEEE P1281) and
 * RRIP 1.12 (IEEE P1282) names and directory relocation; not implemented:
 * interleaved files, extended attribute records (skipped), ISO 9660:1999
 * trees, RR symlinks/devices (shown as the files they are stored as), zisofs.
 * Files: volume.c (descriptors, probe, mount, block I/O), dir.c (records,
 * SUSP/RR, walks, lookup), name.c (names, UTF-8/UTF-16, times), file.c (the
 * operations).
 * Context: thread, may sleep. */
#ifndef FS_ISO9660_ISO9660_H
#define FS_ISO9660_ISO9660_H

/* Register the ISO 9660 probe/mount with blkdev. Idempotent. */
void iso9660_register(void);

#endif
