/* SPDX-License-Identifier: MIT */
/* Image-file virtual disks vd0..vd15 (issue #7): each attached image chain
 * (drivers/vdisk/lib/vd_chain.h: raw, iso, vdi, vhd, vmdk, qcow2, with
 * backing files) becomes a disk through DiskAdd with DISKFUNC callbacks, so
 * the block layer scans its partitions and mounts their file systems like
 * any other disk's. The image files are reached through the file API
 * (vdisk_file.h), so an image may live on any mounted file system, also on
 * another vdN.
 *
 * Shell: `vdisk add PATH [ro] [ss=512|1024|2048|4096] [offset=N]
 * [format=auto|raw|vdi|vhd|vmdk|qcow2|iso] [ram] [base=PATH]...` prints the
 * new name; `vdisk del NAME [force]`, `vdisk list`, `vdisk create PATH FORMAT
 * SIZE_MB [base=PATH]`, `vdisk info PATH`, `vdisk snapshot NAME PATH` (new
 * overlay on top, the old top becomes its read-only base), `vdisk commit
 * NAME` (merge the top overlay into its base and delete the overlay file),
 * `vdisk stats`.
 *
 * VDI differencing images (VirtualBox snapshots) name no parent file, only
 * the parent's uuid. Rule: the parent of a VDI diff is the first candidate
 * whose uuidCreate is the diff's uuidLinkage; candidates are the parent name
 * Spindle stored in the diffs it created, then each `base=PATH` of `vdisk
 * add` in order (vd_chain_open_bases). A candidate with another uuid is
 * refused (ERR_CORRUPT when no candidate fits; the log names both uuids).
 * `vdisk create PATH vdi 0 base=B.vdi` and `vdisk snapshot NAME PATH.vdi`
 * make a VDI diff when the base is a VDI (also `snapshot` to a name without
 * a known extension over a VDI top; qcow2 otherwise), `vdisk commit` merges
 * it into its base (VirtualBox's VDMerge into the parent) and deletes it.
 * A snapshot reopens the chain with every current image as a candidate.
 * `ram` reads the image (and its backing files) into memory once; the disk
 * then runs from that copy and changes are NOT written back - they are lost
 * at `vdisk del` (ImDisk's virtual-memory disk).
 *
 * `vdisk del` refuses (ERR_BUSY) while another vdisk's image lies on the
 * disk: the file API keeps no open handles, so nested vdisks are the only
 * lasting users a disk can have (a file operation in progress holds a media
 * reference and the block layer waits for it). `force` deletes anyway; the
 * nested vdisk's I/O then fails. Every file system is synced first and
 * DiskDel writes back the disk's cache before the media goes.
 *
 * Caching (issue #7 part 7): a virtual disk's sectors are cached once, in
 * the block cache of vdN; the driver keeps no cache of its own (backends keep
 * only small metadata tables). The image file's own reads go through the
 * hosting file system's file-data path, i.e. the host disk's cache as
 * CACHE_APP, so image data can sit in both. Decision for now: accept it and
 * measure, rather than add a "read without inserting" path through vfs/FAT
 * (fs/ and blkdev/ are not this driver's to change; the change is proposed
 * to the lead). Repeated reads never reach the host disk: vdN's cache
 * serves them. `ram` disks answer adjust_cache_size 0 (data already in RAM).
 * Measured (QEMU TCG, scenario vdisk_image_on_fat, 4 MiB file in a qcow2 on
 * a FAT32 RAM boot disk hd7, MEASURE lines):
 *   - room in the cache: one read leaves 8528 sectors in vd0 and 8936 in hd7
 *     (the copy is complete while memory is free); a second read: 0 file-API
 *     calls, 0 hd7 misses, 8201 vd0 hits;
 *   - 4 MiB budget: after the same read hd7 holds 4160 sectors, vd0 4096, so
 *     under pressure the duplicate still takes about half the budget (2Q puts
 *     it in A1in, but hd7's share is its own and is filled all the same);
 *   - file API: 26 vfs_read_file calls for 4 MiB (about 164 KiB each, the
 *     read-ahead window), 2.6-3.5 ms per call including the data; the path
 *     walk per call is small next to that. Read rate through vd0 15.6 MB/s
 *     vs 12.5 MB/s for the image file itself (both hashed, TCG).
 * So the duplicate costs memory, not I/O; the fix is a CACHE_APP read that
 * is not inserted (as large reads already are) for files vdisk opened.
 * Locking: vdisk_state.lock (slots) is never held across a callback or a
 * file operation; each disk's io_lock serialises every use of its chain and
 * is taken inside DISKFUNC callbacks, so it ranks below the block layer's
 * locks and above the hosting disk's (images nest only downwards: an image
 * cannot live on its own disk). Context: thread, may sleep. */
#ifndef DRIVERS_VDISK_VDISK_H
#define DRIVERS_VDISK_VDISK_H

#define VDISK_MAX 16 /* vd0..vd15 */

/* Register the `vdisk` shell command. Call after shell_init() and
 * blkdev_init() (kernel_main does). Context: thread, may sleep. */
void vdisk_init(void);

#endif
