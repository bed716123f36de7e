/* SPDX-License-Identifier: MIT */
/* Boot-module disks: every multiboot module whose command line starts with
 * "disk:NAME" or "disk:NAME:SECTORSIZE" (e.g. GRUB `module /hd7.img disk:hd7`,
 * or QEMU `-initrd "hd7.img disk:hd7"`) becomes a writable memory-backed disk
 * NAME holding the module's bytes (512-byte sectors unless given; a partial
 * last sector is ignored). This is how tests hand the kernel a disk image
 * made by sfdisk/sgdisk/mkfs without a disk controller driver. The memory is
 * the module's own (reserved at boot) and is never freed. */
#ifndef DRIVERS_RAMDISK_BOOTDISK_H
#define DRIVERS_RAMDISK_BOOTDISK_H

#include "kernel/types.h"

#define BOOTDISK_PREFIX "disk:"

/* Register every boot-module disk. Call after blkdev_init(). */
void bootdisk_init(void);

#endif
