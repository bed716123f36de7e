/* SPDX-License-Identifier: MIT */
/* kdisk's image-file disk driver: registers a file through DiskAdd with
 * pread/pwrite DISKFUNC callbacks, so everything above it is the kernel's own
 * block layer. A file that cannot be opened for writing becomes read-only
 * media; a partial last sector is ignored (with a warning). */
#ifndef TOOLS_KDISK_IMAGE_DISK_H
#define TOOLS_KDISK_IMAGE_DISK_H

#include <stdint.h>

/* Open `path` and add it as disk `name` with the given sector size.
 * Returns 0 or a negative ERR_* (message printed to stderr). */
int image_disk_add(const char *name, const char *path, uint32_t sector_size);

#endif
