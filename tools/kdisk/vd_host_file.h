/* SPDX-License-Identifier: MIT */
/* struct vd_file (drivers/vdisk/lib/vd_backend.h) over a host file with
 * pread/pwrite, for kdisk and the host benchmark. Backing files are opened
 * through open_relative: the stored name is resolved against the folder of
 * the opening file (kernel/lib/path.h), an absolute name as is. The vd_file
 * name is the path given (its tail when longer than the name field).
 * Errors: ERR_NOENT (no such file), ERR_ACCESS, ERR_EOM (read past the end),
 * ERR_NOSPC (host disk full), ERR_ROFS (write to a read-only file), ERR_IO.
 * Locking: none (one chain uses one file). Context: host program. */
#ifndef TOOLS_KDISK_VD_HOST_FILE_H
#define TOOLS_KDISK_VD_HOST_FILE_H

#include "drivers/vdisk/lib/vd_backend.h"

/* Open `path`; readonly=false falls back to read-only (f->readonly) when the
 * file cannot be opened for writing. 0 or ERR_*. */
int vd_host_file_open(const char *path, bool readonly, struct vd_file **out);
/* Create or truncate `path` and open it read-write. */
int vd_host_file_create(const char *path, struct vd_file **out);

#endif
