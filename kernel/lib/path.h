/* SPDX-License-Identifier: MIT */
/* Path arithmetic for names that point at other files: resolve a name stored
 * inside a file (a backing image's "../base.vdi") against the folder of that
 * file, and make the shortest name that leads from one file to another.
 * Paths are '/'-separated; "." and ".." steps and repeated '/' are folded
 * away. An absolute path stays absolute; a relative base gives a relative
 * result, whose leading ".." steps are kept ("../x" has no root to stop at).
 * ".." above "/" stays at "/", as in POSIX. No file system is consulted.
 * Pure string work: built in the kernel and in hosted tests. Locking: none.
 * Context: any. */
#ifndef KERNEL_LIB_PATH_H
#define KERNEL_LIB_PATH_H

#include "kernel/types.h"

/* The last component of `path` (after the last '/'); "" when it ends in '/'. */
const char *path_basename(const char *path);

/* `name` as seen from the folder holding file `base_file`, folded, into
 * out[size]. An absolute `name` ignores base_file. Returns 0, ERR_INVAL
 * (empty name), ERR_NAMETOOLONG (out too small). */
int path_resolve(const char *base_file, const char *name, char *out, size_t size);

/* The name under which file `from_file` should record file `to_file` so
 * that path_resolve(from_file, name) finds it again: `to_file`'s basename
 * when both lie in the same folder, else `to_file` folded. Returns 0,
 * ERR_INVAL (empty to_file), ERR_NAMETOOLONG. */
int path_link_name(const char *from_file, const char *to_file, char *out, size_t size);

#endif
