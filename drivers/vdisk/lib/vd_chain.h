/* SPDX-License-Identifier: MIT */
/* Image chains: an opened virtual disk = a top image plus its backing
 * (parent) images, any format each. This layer probes formats, opens and
 * validates chains (no cycles, at most VD_CHAIN_MAX images, sizes
 * compatible), reads through the chain (VD_BLOCK_FREE falls through to the
 * parent, zeroes below the last one), does copy-on-write for writes into
 * differencing images, and implements create, snapshot (new overlay on top,
 * base becomes read-only) and commit (merge the top overlay into its parent).
 * Hardware-free; see vd_backend.h for the backend and file interfaces.
 * Errors: negative ERR_*; ERR_CORRUPT for malformed images and bad chains,
 * ERR_NOTSUP for an unknown format, ERR_ROFS for writes to a read-only chain.
 * Locking: none inside; callers serialise per chain. Context: thread. */
#ifndef DRIVERS_VDISK_LIB_VD_CHAIN_H
#define DRIVERS_VDISK_LIB_VD_CHAIN_H

#include "drivers/vdisk/lib/vd_backend.h"

#define VD_CHAIN_MAX 16 /* images in one chain, top included */

struct vd_chain;

/* The backend called `name` ("raw", "iso", "vdi", "vhd", "vmdk", "qcow2"),
 * or NULL. */
const struct vd_backend *vd_backend_by_name(const char *name);

#define VD_BACKEND_EXTRA_MAX 4 /* registered backends besides the built-in ones */

/* Add a backend (a module's format, a test's fake) to the registry; it is
 * probed before the built-in ones and must stay valid until unregistered.
 * 0, ERR_EXIST (same name already there), ERR_NOSPC (table full).
 * Locking: none; register before any chain is opened. Context: thread. */
int vd_backend_register(const struct vd_backend *b);
void vd_backend_unregister(const struct vd_backend *b);

/* Find the format of `f` by content (raw only when nothing else matches;
 * "iso" when an ISO9660 volume descriptor is at byte 32768 and the file
 * size is a multiple of 2048). 0 and *out, or ERR_*. */
int vd_probe(struct vd_file *f, const struct vd_backend **out);

/* Open `f` (ownership passes to the chain, also on error) and its backing
 * files. `format` NULL or "auto" = probe. `raw_offset`: byte offset of the
 * disk inside a raw image (ImDisk style), must be 0 for other formats
 * (ERR_INVAL; with "auto" a nonzero offset means raw). VD_OPEN_READONLY
 * opens every image read-only; parents are always read-only. Parents are
 * found through backend->open_parent or f->ops->open_relative(info.parent)
 * and probed by content. Chain checks (ERR_CORRUPT, one log line): a file
 * name already in the chain (compared case-insensitively), a UUID seen
 * twice, a parent whose UUID is not the child's recorded parent UUID, a
 * parent with another sector size, more than VD_CHAIN_MAX images. A parent
 * smaller than its child reads as zeroes past its end.
 * VD_OPEN_INFO: a parent that cannot be opened (other than ERR_CORRUPT) only
 * ends the walk with a warning; the chain is then read-only and
 * vd_chain_read returns ERR_NOENT. Other errors: the backend's or the
 * file's (ERR_NOENT for a missing parent, ERR_NOMEM). */
int vd_chain_open(struct vd_file *f, const char *format, unsigned flags, uint64_t raw_offset,
                  struct vd_chain **out);

#define VD_CHAIN_BASES_MAX 16 /* candidate parents: one per image of the longest chain */

/* vd_chain_open with candidate parents for differencing images whose format
 * names no parent file (info.parent_by_uuid: VDI diffs). Rule, per such
 * image: the candidates are its stored name hint (info.parent, if any)
 * followed by bases[0..nbases) in order (paths resolved like a backing
 * name: relative to the child's folder, an absolute one as is; a base that
 * is already in the chain is skipped). The first candidate whose uuid equals
 * the child's parent_uuid becomes the parent and its name is written into
 * the child's info.parent. Candidates whose uuid differs are logged and
 * skipped. No candidate at all: ERR_NOENT ("names no parent file").
 * Candidates, none matching: ERR_CORRUPT. Images with a stored parent name
 * (qcow2, vmdk, vhd) ignore bases. nbases <= VD_CHAIN_BASES_MAX (else
 * ERR_INVAL, `f` closed). Other results as vd_chain_open. */
int vd_chain_open_bases(struct vd_file *f, const char *format, unsigned flags,
                        uint64_t raw_offset, const char *const *bases, unsigned nbases,
                        struct vd_chain **out);
void vd_chain_close(struct vd_chain *c);

uint64_t vd_chain_size(const struct vd_chain *c);        /* bytes */
uint32_t vd_chain_sector_size(const struct vd_chain *c); /* 512 or 2048 */
bool vd_chain_readonly(const struct vd_chain *c);
unsigned vd_chain_depth(const struct vd_chain *c);       /* images, >= 1 */
/* Image `i` (0 = top). */
const struct vd_info *vd_chain_info(const struct vd_chain *c, unsigned i);
/* "top.qcow2(qcow2) <- base.vdi(vdi)" into buf; returns buf. */
const char *vd_chain_describe(const struct vd_chain *c, char *buf, size_t size);

/* Byte offset and length multiples of the sector size (ERR_INVAL), inside
 * the disk (ERR_EOM); whole request or an error. Writes: ERR_ROFS on a
 * read-only chain; copy-on-write as described in vd_backend.h. */
int vd_chain_read(struct vd_chain *c, uint64_t off, void *buf, size_t len);
int vd_chain_write(struct vd_chain *c, uint64_t off, const void *buf, size_t len);
int vd_chain_flush(struct vd_chain *c);

/* Create an image of `format` in `f` (closed afterwards, also on error):
 * 0, ERR_NOTSUP (unknown format, no create, or a parent the format cannot
 * record), ERR_INVAL (bad size or variant), ERR_ROFS, or the file's error.
 * opts->parent is stored as given (the caller makes it relative to `f`). */
int vd_create(struct vd_file *f, const char *format, const struct vd_create_opts *opts);

/* Merge the top image's allocated data into its parent, then reopen the
 * chain with the parent on top (the overlay file is left as it is; its
 * owner deletes it). The parent is reopened read-write (through the top's
 * open_parent/open_relative) before anything is copied. ERR_INVAL without
 * a parent, ERR_ROFS for a read-only chain or parent, ERR_NOTSUP when the
 * parent is smaller than the top. On a copy error the chain stays as it
 * was (top still on top; the parent may hold part of the data, which the
 * top still hides). */
int vd_chain_commit(struct vd_chain *c);

#endif
