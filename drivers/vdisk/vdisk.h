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
 * only small metadata tables: qcow2 one L2 table and refcount block, VMDK one
 * grain table, VDI/VHD their block maps). The image file is read and written
 * with VFS_IO_NOCACHE (lib/vdisk_file.c), so the host disk's cache passes
 * its bytes as CACHE_DIRECT: hits on lines it already holds are used, misses
 * go straight to vdisk without being inserted or read ahead, and written
 * lines leave the host cache once written back. Repeated reads are served
 * by vdN's cache. `ram` disks answer adjust_cache_size 0 (data already in
 * RAM). Measured (QEMU TCG, scenario vdisk_image_on_fat, 4 MiB file in a
 * qcow2 on a FAT32 RAM boot disk hd7, MEASURE lines), before -> after:
 *   - one read: hd7 held 8936 sectors (a full second copy) -> 136 (FAT and
 *     directory sectors only); vd0 8528 both times; a second read: 0
 *     file-API calls, 0 hd7 misses, 8201 vd0 hits;
 *   - 4 MiB budget: hd7 held 4160 sectors next to vd0's 4096 -> 272 next
 *     to vd0's 7920, so the budget goes to the data the user reads;
 *   - file API: 26 calls for 4 MiB, 2.6-3.5 ms -> 0.43 ms per call (one
 *     copy less, no line bookkeeping).
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
