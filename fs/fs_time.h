/* SPDX-License-Identifier: MIT */
/* File times for file systems that store seconds since an epoch (ext: Unix
 * seconds; NTFS: FILETIME, turned into Unix seconds by the caller): convert
 * them with fs_time_from_unix() into the struct vfs_time of a vfs_info.
 * A time the calendar cannot show (before 1970-01-01, after the end of
 * CIVIL_YEAR_MAX) is shown as 1970-01-01 00:00:00 rather than refused: a
 * bad time stamp must not hide a readable file. FAT and ISO 9660 store
 * broken-down times and do not use this. */
#ifndef FS_FS_TIME_H
#define FS_FS_TIME_H

#include "fs/vfs.h"
#include "kernel/types.h"

/* The UTC time unix_s seconds after 1970-01-01 00:00:00 into *out (every
 * field written); out of the calendar's range gives 1970-01-01 00:00:00.
 * Context: any. */
void fs_time_from_unix(int64_t unix_s, struct vfs_time *out);

#endif
