/* SPDX-License-Identifier: MIT */
/* What the kernel learned from the boot loader, validated once in kernel_main
 * and read by any module afterwards: the kernel command line and the list of
 * multiboot modules (driver objects). The raw multiboot structure is not used
 * after boot_info_parse(). */
#ifndef KERNEL_BOOT_INFO_H
#define KERNEL_BOOT_INFO_H

#include "kernel/multiboot.h"
#include "kernel/types.h"

#define BOOT_MAX_MODULES 16
#define BOOT_CMDLINE_MAX 256

struct boot_module {
    uint32_t start_phys; /* first byte */
    uint32_t end_phys;   /* one past the last byte */
    char name[BOOT_CMDLINE_MAX]; /* the module's command line, e.g. "ramdisk_asm" */
};

struct boot_info {
    char cmdline[BOOT_CMDLINE_MAX];
    struct boot_module modules[BOOT_MAX_MODULES];
    unsigned module_count;
    const struct multiboot_info *mbi; /* for mem_init's memory map only */
};

extern struct boot_info boot_info;

/* Copy the command line and module list out of the multiboot structure. */
void boot_info_parse(const struct multiboot_info *mbi);

/* Value of "key=value" on the kernel command line copied into out; returns
 * true if the key is present (a bare "key" gives ""). */
bool boot_cmdline_get(const char *key, char *out, size_t out_len);

/* The first word of module m's string that starts with `prefix`, or NULL.
 * (GRUB passes only the module's arguments; QEMU's -initrd passes
 * "path args"; so callers look for their word anywhere.) */
const char *boot_module_word(const struct boot_module *m, const char *prefix);

#endif
