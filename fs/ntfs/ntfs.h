/* SPDX-License-Identifier: MIT */
/* NTFS (versions 1.x to 3.1, as Windows NT 3.51 to 11 and ntfs-3g write
 * it), READ-ONLY. Call ntfs_register() once at init (after blkdev_init,
 * before disks appear): it adds the NTFS entry to the probe table of
 * blkdev/fsprobe.h, so every partition whose boot sector carries the
 * "NTFS    " OEM id and valid geometry is probed ("ntfs"), mounted on
 * first use and unmounted when its media goes away. Files are then reached
 * through fs/vfs.h like FAT, ISO 9660 and ext files.
 * Supported: sectors of 256..4096 bytes, clusters up to 2 MiB (the
 * negative-shift encoding included), MFT records of 512..4096 bytes and
 * index blocks of 512 bytes..64 KiB; update sequence (fixup) checks on
 * every FILE and INDX record; a fragmented $MFT (also through its own
 * attribute list); resident and non-resident attributes, runlists with
 * sparse runs (zeros), attribute lists (files spread over several MFT
 * records), bytes between the initialized and the data size (zeros);
 * folders by $INDEX_ROOT + $INDEX_ALLOCATION + $BITMAP, listed in index
 * order, names looked up by descending the B+ tree: an exact name first,
 * else one equal ignoring case through $UpCase (so of two POSIX names that
 * differ only in case, the exact spelling wins, and a third spelling finds
 * one of them), DOS 8.3 names included; UTF-16 names (surrogate pairs) as
 * UTF-8; attributes (read-only always, hidden, system, folder) and times
 * from $STANDARD_INFORMATION; 64-bit sizes; statfs ("ntfs", free space
 * from $Bitmap counted at mount, label from $VOLUME_NAME). A dirty volume
 * mounts with a warning; $LogFile is never replayed.
 * Not shown in listings: DOS-only names and the metafiles (records 0..15:
 * $MFT, $Bitmap, $Extend...), which stay reachable by name.
 * Refused: reading compressed (LZNT1) or encrypted files (ERR_NOTSUP, one
 * log line: their size is shown); NTFS major versions other than 1..3
 * (ERR_NOTSUP at mount). Ignored: named streams (only the unnamed $DATA is
 * a file's content), extended attributes, security descriptors. Reparse
 * points (symbolic links, junctions) are shown as what they are and never
 * followed: a link ntfs-3g made (Interix style) is a system file holding
 * "IntxLNK\1" and the UTF-16 target. Every write operation
 * fails with ERR_ROFS.
 * Files: super.c (boot sector, probe, mount), volume.c (the metafiles),
 * record.c (fixups, records, attribute headers), runs.c (mapping pairs),
 * stream.c (attribute extents, reads), inode.c (files), index.c (folder
 * B+ trees), name.c (names, case, times), path.c (paths), file.c (the vfs
 * operations).
 * Locking: one mutex per volume, taken by every operation.
 * Context: thread, may sleep. */
#ifndef FS_NTFS_NTFS_H
#define FS_NTFS_NTFS_H

/* Register the NTFS probe/mount with blkdev. Idempotent. */
void ntfs_register(void);

#endif
