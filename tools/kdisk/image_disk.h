/* SPDX-License-Identifier: MIT */
/* kdisk's image-file disk driver: registers a file through DiskAdd with
 * pread/pwrite DISKFUNC callbacks, so everything above it is the kernel's own
 * block layer. A file that cannot be opened for writing becomes read-only
 * media; a partial last sector is ignored (with a warning). A file in an
 * image format (vdi, vhd, vmdk, qcow2, found by content with vd_probe) is
 * opened as an image chain (drivers/vdisk/lib/vd_chain.h, backing files
 * resolved next to it) and presents its virtual disk instead; raw and iso
 * files keep the direct pread/pwrite path. */
#ifndef TOOLS_KDISK_IMAGE_DISK_H
#define TOOLS_KDISK_IMAGE_DISK_H

#include <stdint.h>

/* Open `path` and add it as disk `name` with the given sector size.
 * Returns 0 or a negative ERR_* (message printed to stderr). */
int image_disk_add(const char *name, const char *path, uint32_t sector_size);

#endif
