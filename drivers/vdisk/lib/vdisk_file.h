/* SPDX-License-Identifier: MIT */
/* The image files of the vdisk driver: struct vd_file (drivers/vdisk/lib/
 * vd_backend.h) over the kernel file API (fs/vfs.h), so an image on any
 * mounted file system - /hd0/1/, a CD, another vdN - can be attached.
 * Open one with vdisk_file_open (or _create for a new image), hand it to
 * vd_chain_open / vd_create, which own and close it. Backing images are
 * opened through open_relative: the stored name is resolved against the
 * folder of the opening file (kernel/lib/path.h), an absolute name as is.
 * It lives in lib/ because it touches no hardware (only fs/vfs.h and the
 * block layer), so the hosted build has it too: tools/bench/vdisk_bench
 * reads images through exactly this code over a FAT volume.
 *
 * Cost: the file API has no handles, so every read or write names the path
 * and the file system walks it again (a directory lookup per component,
 * served by the sector cache as CACHE_SYS). Measured by the counters below
 * (`vdisk stats`); numbers in vdisk.h.
 *
 * RAM copies (vdisk_file_open_ram): the whole file, and its backing files
 * when the chain opens them, are read into kernel memory once; reads and
 * writes then touch only that copy and nothing is ever written back
 * (ImDisk's "virtual memory" disk: changes are lost at `vdisk del`).
 *
 * Errors: negative ERR_*; ERR_NOENT (no such file), ERR_ISDIR, ERR_EOM (read
 * past the end), ERR_NOSPC (host file system full), ERR_ROFS (read-only file
 * or media), ERR_NOMEM. Locking: none inside beyond the statistics; one
 * vd_file is used by one chain, which its vdisk serialises. Context: thread,
 * may sleep. */
#ifndef DRIVERS_VDISK_LIB_VDISK_FILE_H
#define DRIVERS_VDISK_LIB_VDISK_FILE_H

#include "drivers/vdisk/lib/vd_backend.h"

/* Open the existing file `path` (absolute, "/hd0/1/a.vdi"). readonly=false
 * still gives a read-only vd_file (f->readonly) when the file has the
 * read-only attribute or lies on read-only media. */
int vdisk_file_open(const char *path, bool readonly, struct vd_file **out);
/* Create `path` (truncated to 0 bytes if it exists) and open it read-write. */
int vdisk_file_create(const char *path, struct vd_file **out);
/* Read the whole file into memory (at most `max_bytes`, else ERR_NOMEM) and
 * return a writable vd_file over the copy; its open_relative loads backing
 * files the same way under the same limit each. */
int vdisk_file_open_ram(const char *path, size_t max_bytes, struct vd_file **out);

/* File API traffic of all vdisk files since boot (for `vdisk stats`). */
struct vdisk_file_stats {
    uint64_t reads, read_bytes, read_us;    /* vfs_read_file calls, bytes, time */
    uint64_t writes, write_bytes, write_us; /* vfs_write_file calls, bytes, time */
    uint64_t flushes;
};
void vdisk_file_get_stats(struct vdisk_file_stats *out);

#endif
