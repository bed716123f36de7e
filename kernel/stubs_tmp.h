/* SPDX-License-Identifier: MIT */
/* TEMPORARY: init functions kernel/main.c calls for subsystems in progress
 * (see kernel/stubs_tmp.c). Each moves to its module's header when it lands.
 * Context: thread, once, from kernel_main. */
#ifndef KERNEL_STUBS_TMP_H
#define KERNEL_STUBS_TMP_H

void iso9660_register(void);        /* fs/iso9660: register the ISO9660 probe */
void ata_init(void);                /* drivers/ata: PCI IDE driver + `ata`, `eject`, `load` */
void vdisk_init(void);              /* drivers/vdisk: `vdisk` commands */
void faulty_init(void);             /* blkdev/faulty: `faulty` commands */
void blkbench_register_commands(void); /* `bench read` */

#endif
