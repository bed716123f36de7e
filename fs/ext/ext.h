/* SPDX-License-Identifier: MIT */
/* ext2, ext3 and ext4 file systems, READ-ONLY. Call ext_register() once at
 * init (after blkdev_init, before disks appear): it adds the ext entry to
 * the probe table of blkdev/fsprobe.h, so every partition whose super block
 * (byte 1024, magic 0xEF53) is valid is probed ("ext2", "ext3" or "ext4"),
 * mounted on first use and unmounted when its media goes away. Files are
 * then reached through fs/vfs.h like FAT and ISO 9660 files.
 * Supported: 1..64 KiB blocks; 32- and 64-bit group descriptors (64bit),
 * meta_bg, flex_bg, sparse_super(2); inode sizes 128..block size
 * (extra_isize: creation times); block maps (direct, single, double,
 * triple indirect) and extent trees of any depth (uninitialized extents and
 * holes read as zeros); inline data (files and folders); filetype;
 * htree folders, read linearly; huge_file, dir_nlink, bigalloc, quota,
 * metadata_csum (checksums are not verified: every structure is
 * bounds-checked instead); symbolic links (in the inode or in a block),
 * followed inside the volume (an absolute target starts at the volume's
 * root) at most 40 per lookup. A journal is never replayed: a volume with
 * needs_recovery mounts with a warning.
 * Refused (ERR_NOTSUP at mount, one log line): the INCOMPAT features
 * compression, journal_dev, ea_inode, dirdata, encrypt, casefold and
 * unknown ones. Names are bytes: shown as they are (meant as UTF-8) and
 * matched exactly (case matters); an entry whose name holds NUL or '/' is
 * skipped with a warning. Sizes are 64-bit; times are UTC with real years
 * (1970..2446; earlier times show as 1970-01-01). Every write operation
 * fails with ERR_ROFS, like ISO 9660.
 * Files: super.c (super block, probe, mount, descriptors, byte reads),
 * inode.c (inodes, content, inline data, times), map.c (block maps and
 * extent trees), dir.c (entries, lookup in one folder), path.c (paths and
 * symbolic links), file.c (the vfs operations).
 * Context: thread, may sleep. */
#ifndef FS_EXT_EXT_H
#define FS_EXT_EXT_H

/* Register the ext probe/mount with blkdev. Idempotent. */
void ext_register(void);

#endif
