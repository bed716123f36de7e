// SPDX-License-Identifier: MIT
/* Seconds since the Unix epoch to a struct vfs_time (see fs_time.h), by
 * kernel/lib/civil.c; its range error becomes the epoch itself. */
#include "fs/fs_time.h"
#include "kernel/lib/civil.h"
#include "kernel/lib/kstring.h"

void fs_time_from_unix(int64_t unix_s, struct vfs_time *out)
{
    struct wall_time w;
    memset(out, 0, sizeof(*out));
    if (civil_from_unix(unix_s, &w) != 0)
        civil_from_unix(0, &w);
    out->year = w.year;
    out->month = w.month;
    out->day = w.day;
    out->hour = w.hour;
    out->minute = w.minute;
    out->second = w.second;
}
