/* SPDX-License-Identifier: MIT */
/* QEMU QCOW2 backend (vd_backend_qcow2; declared in vd_formats.h, interface
 * in vd_backend.h): versions 2 and 3, read and write, following QEMU's
 * docs/interop/qcow2.txt. All fields are big-endian. A 64-bit virtual
 * cluster number splits into an L1 index and an L2 index; L1/L2 entries
 * carry host offsets (bits 9..55) and flags (63 COPIED = refcount 1,
 * 62 compressed, bit 0 zero in v3). Refcounts live in refcount blocks found
 * through the refcount table, 2^refcount_order bits per cluster.
 *
 * Open rejects with ERR_CORRUPT (one log line): bad magic (when opened as
 * qcow2), cluster_bits outside 9..21, v3 header_length < 104, not a multiple
 * of 8 or beyond the first cluster, refcount_order > 6, an L1 too small for
 * the virtual size or above QCOW2_MAX_L1_ENTRIES, L1 / refcount table / L1 or
 * refcount-block entries unaligned, past the end of the file or overlapping
 * the header, the L1 and refcount tables overlapping, a bad backing-name
 * range, v2 entries with the zero flag. ERR_NOTSUP: encryption, unknown or
 * unsupported incompatible features (external data file, extended L2),
 * compression types other than zlib, backing names of 256+ bytes.
 * Tolerated: a virtual size not a multiple of 512 (cut, with a warning);
 * the dirty bit, the corrupt bit and internal snapshots (the image opens
 * read-only with a warning: refcounts may be stale, or clusters shared).
 * L2 entries are checked when used: a bad one fails that request with
 * ERR_CORRUPT; a compressed cluster must inflate to exactly one cluster.
 *
 * Reads: unallocated clusters give VD_BLOCK_FREE (the chain reads the
 * backing file), zero clusters give zeroes, compressed clusters are inflated.
 * Writes go in place into allocated clusters with refcount 1. Anything else
 * (free, zero, compressed, shared) gets a new cluster at the end of the file,
 * written in the order data -> refcount -> L2 -> L1 -> release of the old
 * cluster, so an interrupted write leaves at worst a leaked cluster. A
 * partial write into a free cluster of an image with a backing file answers
 * VD_BLOCK_FREE (the chain does the copy-on-write). New refcount blocks are
 * allocated as needed; a full refcount table is not grown (ERR_NOSPC).
 * Writable opens clear the autoclear feature bits on the first write.
 * Create: version 3 (variant "v2" or "0.10" for version 2), 64 KiB clusters,
 * 16-bit refcounts, optional backing name and backing-format extension.
 * Internal snapshots are never read or written. */
#ifndef DRIVERS_VDISK_LIB_QCOW2_H
#define DRIVERS_VDISK_LIB_QCOW2_H

#include "drivers/vdisk/lib/vd_formats.h"

#define QCOW2_MAGIC 0x514649fbu            /* "QFI\xfb" */
#define QCOW2_MAX_L1_ENTRIES (1u << 20)    /* 8 MiB of L1: 512 TiB at 64 KiB clusters */
#define QCOW2_MAX_RT_BYTES (8u << 20)      /* refcount table held in memory */
#define QCOW2_DEFAULT_CLUSTER_BITS 16u

#endif
