/* SPDX-License-Identifier: MIT */
/* In-kernel block I/O benchmark: `bench read NAME MB REQUEST_KB [direct|cache]`
 * reads MB MiB sequentially from sector 0 in REQUEST_KB KiB requests, either
 * straight through the driver (the raw path the cache itself uses, with its
 * contract checks) or through the sector cache as file data (CACHE_APP, as
 * a file read does; media_read's CACHE_SYS would skip the large-read bypass
 * and drop-behind); `bench rand NAME COUNT [direct|cache]` does COUNT 4 KiB
 * reads at pseudo-random aligned offsets. Each prints elapsed time, MB/s
 * (10^6 bytes) and IOPS from time_us(), plus a `BENCH name metric=value`
 * line for tests/bench.py. Read only: it never writes to the disk. */
#ifndef BLKDEV_BLKBENCH_H
#define BLKDEV_BLKBENCH_H

/* Register `bench` with the shell. Context: thread, once, after shell_init. */
void blkbench_register_commands(void);

#endif
