/* SPDX-License-Identifier: MIT */
/* VirtualBox VDI backend (vd_backend_vdi; declared in vd_formats.h,
 * interface in vd_backend.h): VDI 1.1 "normal" (dynamic), "fixed" and
 * "diff" (differencing) images, read and write. Layout (VirtualBox
 * VDICore.h, QEMU block/vdi.c): a 512-byte header sector (0x40 signature
 * 0xbeda107f, version 1.1, type, comment, offsets of the block map and the
 * data area, disk size, block size, block counts, uuidCreate, uuidModify,
 * uuidLinkage, uuidParentModify), a block map of little-endian u32 entries
 * (index of the block in the data area, 0xffffffff free, 0xfffffffe zero),
 * then the data blocks.
 *
 * Differencing images (type 4): a free block reads through to the parent
 * (VD_BLOCK_FREE), a "zero" block reads as zeroes. A block is allocated
 * whole: a write into a free block answers VD_BLOCK_FREE so the chain copies
 * the parent's block and writes it back with VD_WRITE_FULL_BLOCK. The header
 * names no parent file (VirtualBox keeps that in its .vbox media registry),
 * only the parent's uuidCreate (uuidLinkage): info.parent_by_uuid is set and
 * the chain picks the parent among candidates by that uuid (vd_chain.h,
 * vd_chain_open_bases). Diffs we create also carry a hint in the comment
 * field, "spindle-parent:" + the parent's name relative to the diff, which
 * becomes info.parent (a candidate like any other: the uuid decides).
 * Create with a parent makes a diff: the parent must be a VDI with a uuid
 * (else ERR_NOTSUP), the size must equal the parent's (VDCreateDiff;
 * ERR_INVAL), the block size is the parent's; uuidLinkage and
 * uuidParentModify are copied from the parent. Not done: uuidModify is not
 * renewed on writes (VirtualBox renews it on the first write) and
 * uuidParentModify is recorded but not checked at open (nor by VirtualBox's
 * VDOpen, which checks the linkage only).
 *
 * Rejected with ERR_CORRUPT and a log line: bad signature (when opened as
 * vdi), header size outside 0x180..0x1b8, sector size other than 512, block
 * size not a power of two in 4 KiB..64 MiB, zero or unaligned disk size, a
 * disk larger than its blocks, more than VDI_MAX_BLOCKS blocks, map or data
 * offsets unaligned, overlapping the header or beyond the file, map entries
 * pointing past the file or past blocks_in_image, two entries sharing a
 * block, a diff whose uuidLinkage is zero or its own uuidCreate.
 * ERR_NOTSUP: other versions, undo images, block_extra != 0.
 * Tolerated with a warning: blocks_allocated disagreeing with the map
 * (the count is rewritten from the map on the next allocation).
 *
 * Writing a block that is free (not in a diff) or "zero" allocates it at
 * the next free index: the whole block (zeroes + new data) is written first,
 * then the map entry, then blocks_allocated; a failed data write cuts the
 * file back, so ERR_NOSPC leaves the image as it was. Create makes dynamic
 * (default) or fixed ("fixed"/"static") images with 1 MiB blocks. */
#ifndef DRIVERS_VDISK_LIB_VDI_H
#define DRIVERS_VDISK_LIB_VDI_H

#include "drivers/vdisk/lib/vd_formats.h"

#define VDI_SIGNATURE 0xbeda107fu
#define VDI_VERSION_1_1 0x00010001u
#define VDI_MAX_BLOCKS (1u << 21) /* 2 TiB at 1 MiB blocks; the map is then 8 MiB */
#define VDI_DEFAULT_BLOCK_BYTES (1u << 20)

#endif
