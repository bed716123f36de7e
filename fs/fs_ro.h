/* SPDX-License-Identifier: MIT */
/* What the read-only file systems (ext, NTFS, ISO 9660) share in their
 * struct vfs_fs_ops: point the operations that would change the volume at
 * the fs_ro_* stubs (each answers ERR_ROFS and touches nothing; sync has
 * nothing to flush), fill vfs_info.name from the path with
 * fs_ro_name_from_path() when names match as the path spells them, and
 * copy a volume label into a fixed field with fs_ro_label_copy().
 * Pure: no I/O, no state. Locking: none. Context: any. */
#ifndef FS_FS_RO_H
#define FS_FS_RO_H

#include "fs/vfs.h"
#include "kernel/types.h"

/* The write side of struct vfs_fs_ops (see vfs.h for the parameters):
 * ERR_ROFS, with *done = 0 where there is one. */
int fs_ro_create(void *fs, const char *path, const void *buf, uint32_t len, uint32_t *done);
int fs_ro_write(void *fs, const char *path, uint64_t off, const void *buf, uint32_t len,
                unsigned flags, uint32_t *done);
int fs_ro_set_end(void *fs, const char *path, uint64_t size);
int fs_ro_set_info(void *fs, const char *path, const struct vfs_info *in);
int fs_ro_remove(void *fs, const char *path);
int fs_ro_mkdir(void *fs, const char *path);
int fs_ro_rename(void *fs, const char *from, const char *to);
int fs_ro_set_label(void *fs, const char *label);
/* Nothing is ever dirty: 0. */
int fs_ro_sync(void *fs);

/* The last component of `path` (trailing '/' ignored; "" for the root)
 * into out[cap], cut to cap - 1 bytes and NUL-terminated. */
void fs_ro_name_from_path(const char *path, char *out, size_t cap);

/* NUL-terminated `label` into out[cap] (cap >= 1), cut if needed only at
 * the start of a UTF-8 character. */
void fs_ro_label_copy(char *out, size_t cap, const char *label);

#endif
