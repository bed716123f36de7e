/* SPDX-License-Identifier: MIT */
/* Virtual PC / Hyper-V VHD backend (vd_backend_vhd; declared in
 * vd_formats.h, interface in vd_backend.h): fixed, dynamic and differencing
 * images, read and write, after the "Virtual Hard Disk Image Format
 * Specification" 1.0 (Microsoft, 2006). All fields are big-endian.
 *   fixed:   disk data, then the 512-byte footer.
 *   dynamic: footer copy at 0, dynamic header (1 KiB, at footer.data_offset),
 *            the BAT (u32 sector numbers of blocks, 0xffffffff free), blocks
 *            of [sector bitmap | data], footer at the end.
 *   diff:    dynamic plus a parent (UUID, UTF-16BE name, up to 8 locators);
 *            a sector whose bitmap bit is clear is read from the parent.
 * The footer is taken from the end of the file, or from the copy at 0 when
 * the end one is damaged (tolerated with a warning: the spec keeps the copy
 * for this). Disk size is current_size, except for creators "vpc " and
 * "qemu" whose images are sized by their CHS geometry (as those tools read
 * them), unless the geometry is the 65535/16/255 maximum.
 *
 * Rejected with ERR_CORRUPT and a log line: bad cookie or checksum (footer
 * and dynamic header), unknown disk type, disk size zero, unaligned or above
 * VHD_MAX_DISK_BYTES, header/BAT/locator/block outside the file, BAT too
 * small for the disk or above VHD_MAX_BAT_ENTRIES, block size not a power of
 * two in 4 KiB..256 MiB, two structures overlapping (blocks, BAT, headers,
 * locators), malformed UTF-16 in parent names. Dynamic images read an
 * allocated block whole (as QEMU does); differencing images honour the
 * bitmap.
 *
 * Parents (open_parent): tried in order W2ru (relative, UTF-16LE), the
 * parent unicode name (relative to the child), W2ku (absolute), each with
 * '\' turned into '/' and opened through vd_file_ops.open_relative.
 *
 * Writing a free block allocates it at the footer's place: 1. the footer is
 * written at the new end (a failure cuts the file back: ERR_NOSPC leaves the
 * image unchanged), 2. bitmap and block data over the old footer, 3. the BAT
 * entry (commit point). In a differencing image only the written sectors'
 * bits are set, the rest still come from the parent, so no copy-on-write is
 * needed. Create makes "dynamic" (default, 2 MiB blocks), "fixed", or a
 * differencing image when opts->parent is set (size and UUID from
 * opts->parent_info; locator W2ru and the unicode name both store
 * opts->parent). */
#ifndef DRIVERS_VDISK_LIB_VHD_H
#define DRIVERS_VDISK_LIB_VHD_H

#include "drivers/vdisk/lib/vd_formats.h"

#define VHD_MAX_DISK_BYTES (2040ull << 30) /* the spec's limit for dynamic disks */
#define VHD_MAX_BAT_ENTRIES (1u << 20)     /* 2 TiB at 2 MiB blocks; 4 MiB of BAT */
#define VHD_DEFAULT_BLOCK_BYTES (2u << 20)

#endif
