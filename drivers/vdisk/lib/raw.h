/* SPDX-License-Identifier: MIT */
/* Raw and ISO image backends (vd_backend_raw, vd_backend_iso; declared in
 * vd_formats.h, interface in vd_backend.h). A raw image is the disk's bytes,
 * optionally starting `raw_offset` bytes into the file (ImDisk's image
 * offset, for images with a header we do not parse); its size is the rest of
 * the file, cut down to whole sectors (tolerated with a warning: real dumps
 * have odd tails). Raw is writable inside that size, never grows, and
 * `create` makes a zero-filled file of the asked size through set_size.
 * ISO is raw with 2048-byte sectors, always read-only, and probes by the
 * ISO 9660 volume descriptor ("CD001" at byte 32769, ECMA-119 8.1). Neither
 * has allocation units or parents, so reads never return VD_BLOCK_FREE. */
#ifndef DRIVERS_VDISK_LIB_RAW_H
#define DRIVERS_VDISK_LIB_RAW_H

#include "drivers/vdisk/lib/vd_formats.h"

#define RAW_ISO_SECTOR_BYTES 2048u
#define RAW_ISO_VD_OFFSET 32768u /* first volume descriptor, sector 16 */

#endif
