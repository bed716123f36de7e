/* SPDX-License-Identifier: MIT */
/* Shell commands of the file layer (ls, stat, hash, cat, write, verify, cp,
 * mv, rm, mkdir, rmdir, truncate, df) over fs/vfs.h. `sync` belongs to
 * blkdev/cache_cmds.c, which first calls fsprobe_sync_all(). Output formats are
 * part of the shell contract (issue #5), shared by the kernel and kdisk:
 *   ls PATH        one line per entry: "d|f SIZE NAME" (folders size 0)
 *   stat PATH      "d|f SIZE attr=0xAA created=Y-M-D h:m:s modified=... accessed=Y-M-D"
 *   hash PATH      "SHA256 SIZE PATH" (lowercase hex)
 *   verify ...     "ok" or "mismatch at OFFSET"
 *   df             "PATH FS size=BYTES free=BYTES" per mounted partition
 *   errors         "error: CODE MESSAGE" with the KolibriOS code (vfs.h)
 * Context: thread (shell). */
#ifndef FS_FS_CMDS_H
#define FS_FS_CMDS_H

/* Register the commands with the shell. Call once at init. */
void fs_register_commands(void);

#endif
