/* SPDX-License-Identifier: MIT */
/* VirtualBox VDI backend (vd_backend_vdi; declared in vd_formats.h,
 * interface in vd_backend.h): VDI 1.1 "normal" (dynamic) and "fixed"
 * images, read and write. Layout (VirtualBox VDICore.h, QEMU block/vdi.c):
 * a 512-byte header sector (0x40 signature 0xbeda107f, version 1.1, offsets
 * of the block map and the data area, disk size, block size, block counts,
 * UUIDs), a block map of little-endian u32 entries (index of the block in
 * the data area, 0xffffffff free, 0xfffffffe zero), then the data blocks.
 *
 * Rejected with ERR_CORRUPT and a log line: bad signature (when opened as
 * vdi), header size outside 0x180..0x1b8, sector size other than 512, block
 * size not a power of two in 4 KiB..64 MiB, zero or unaligned disk size, a
 * disk larger than its blocks, more than VDI_MAX_BLOCKS blocks, map or data
 * offsets unaligned, overlapping the header or beyond the file, map entries
 * pointing past the file or past blocks_in_image, two entries sharing a
 * block. ERR_NOTSUP: other versions, undo and differencing images (their
 * parent is named only in VirtualBox's media registry), block_extra != 0.
 * Tolerated with a warning: blocks_allocated disagreeing with the map
 * (the count is rewritten from the map on the next allocation).
 *
 * Writing a block that is free or "zero" allocates it at the next free
 * index: the whole block (zeroes + new data) is written first, then the map
 * entry, then blocks_allocated; a failed data write cuts the file back, so
 * ERR_NOSPC leaves the image as it was. Create makes dynamic (default) or
 * fixed ("fixed"/"static") images with 1 MiB blocks. */
#ifndef DRIVERS_VDISK_LIB_VDI_H
#define DRIVERS_VDISK_LIB_VDI_H

#include "drivers/vdisk/lib/vd_formats.h"

#define VDI_SIGNATURE 0xbeda107fu
#define VDI_VERSION_1_1 0x00010001u
#define VDI_MAX_BLOCKS (1u << 21) /* 2 TiB at 1 MiB blocks; the map is then 8 MiB */
#define VDI_DEFAULT_BLOCK_BYTES (1u << 20)

#endif
