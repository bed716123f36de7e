/* SPDX-License-Identifier: MIT */
/* Shell commands of the block layer (disks, parts, media, dhash, diskcheck,
 * eject, load), shared by the kernel and kdisk. Register after shell_init(). */
#ifndef BLKDEV_DISK_CMDS_H
#define BLKDEV_DISK_CMDS_H

void disk_register_commands(void);
/* `diskcheck NAME [rw]` (diskcheck.c). */
int diskcheck_cmd(int argc, char **argv);

#endif
