/* SPDX-License-Identifier: MIT */
/* TEMPORARY: weak stand-ins for the init functions of subsystems that are
 * being written right now (ATA, ISO9660, vdisk, fault injection, block
 * benchmark). Each real module's strong definition replaces its stand-in at
 * link time; this file is deleted once all of them exist. */
#include "kernel/stubs_tmp.h"

__attribute__((weak)) void iso9660_register(void) {}
__attribute__((weak)) void ata_init(void) {}
__attribute__((weak)) void vdisk_init(void) {}
__attribute__((weak)) void faulty_init(void) {}
__attribute__((weak)) void blkbench_register_commands(void) {}
