/* SPDX-License-Identifier: MIT */
/* VMware VMDK backend (vd_backend_vmdk; declared in vd_formats.h, interface
 * in vd_backend.h), after VMware's "Virtual Disk Format 5.0" and QEMU's
 * block/vmdk.c. An image is either a hosted sparse extent file ("KDMV"
 * header, little-endian, with an embedded text descriptor: monolithicSparse
 * and streamOptimized) or a text descriptor file whose extent lines name
 * FLAT, ZERO or SPARSE extent files opened through
 * vd_file_ops.open_relative (monolithicFlat, twoGbMaxExtent*). A sparse
 * extent maps grains through a grain directory (GD) of grain tables (GT);
 * GTE 0 = unallocated (VD_BLOCK_FREE), GTE 1 = zero grain when the header
 * says so. streamOptimized grains are zlib-compressed behind 12-byte grain
 * markers; its GD may sit in the footer (gdOffset = GD_AT_END).
 *
 * Rejected with ERR_CORRUPT (one log line): bad magic, versions outside
 * 1..3, grain size not a power of two in 1..VMDK_MAX_GRAIN_SECTORS, GTEs per
 * GT outside 1..512, GD / GT / grain offsets past the file end, a GD larger
 * than VMDK_MAX_GD_ENTRIES, a bad footer, a descriptor without extents or
 * with malformed extent lines, extents that do not fit their files, more
 * than VMDK_MAX_EXTENTS extents, compressed grains that do not inflate or
 * whose marker names another grain. ERR_NOTSUP: VMFSSPARSE/SESPARSE and
 * NOACCESS extents, compression other than deflate. Tolerated: a last
 * compressed grain shorter than a grain (the rest reads as zeroes, as QEMU
 * writes it), an unclean-shutdown flag.
 *
 * Writes (sparse and flat; streamOptimized and ZERO extents are read-only,
 * the image is opened read-only with a note): an unallocated or zero grain
 * gets a new grain at the end of its extent file, written in the order
 * grain data -> redundant GT entry -> GT entry (-> new GTs, then GD entries
 * when the GT did not exist). A partial write to an unallocated grain of an
 * image with a parent answers VD_BLOCK_FREE (the chain does copy-on-write).
 * Create: monolithicSparse only (64 KiB grains, redundant GD), no parent. */
#ifndef DRIVERS_VDISK_LIB_VMDK_H
#define DRIVERS_VDISK_LIB_VMDK_H

#include "drivers/vdisk/lib/vd_formats.h"

#define VMDK_SPARSE_MAGIC 0x564d444bu      /* "KDMV" little-endian */
#define VMDK_MAX_GRAIN_SECTORS 4096u       /* 2 MiB grains; VMware uses 128 */
#define VMDK_MAX_GD_ENTRIES (1u << 20)     /* 4 MiB of GD in memory */
#define VMDK_MAX_EXTENTS 1024u             /* 2 TiB of twoGbMaxExtent files */
#define VMDK_MAX_DESCRIPTOR_BYTES (64u << 10)

#endif
