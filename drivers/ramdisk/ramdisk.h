/* SPDX-License-Identifier: MIT */
/* RAM disks tmp0..tmp9 (the KolibriOS tmpdisk names), made and removed from
 * the shell: `ramdisk add SIZE_MB` allocates zeroed heap memory, registers it
 * with DiskAdd and announces the media; `ramdisk del NAME` calls DiskDel, and
 * the memory is freed in the close callback, after the block layer's last
 * use. Sectors are 512 bytes; the disk is writable; no driver-side cache
 * (adjust_cache_size answers 0). Contents are lost when the disk goes. */
#ifndef DRIVERS_RAMDISK_RAMDISK_H
#define DRIVERS_RAMDISK_RAMDISK_H

/* Register the `ramdisk` shell command. Call after shell_init() and
 * blkdev_init(). Context: thread, may sleep. */
void ramdisk_init(void);

#endif
