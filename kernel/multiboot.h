/* SPDX-License-Identifier: MIT */
/* Multiboot (v1) information structure as GRUB hands it over (Multiboot
 * Specification 0.6.96, section 3.3). Raw layout: every field is checked
 * against `flags` before use, and addresses are physical (identity-mapped). */
#ifndef KERNEL_MULTIBOOT_H
#define KERNEL_MULTIBOOT_H

#include "kernel/types.h"

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

enum multiboot_info_flag {
    MB_INFO_MEMORY = 1u << 0,   /* mem_lower, mem_upper */
    MB_INFO_CMDLINE = 1u << 2,  /* cmdline */
    MB_INFO_MODS = 1u << 3,     /* mods_count, mods_addr */
    MB_INFO_MEM_MAP = 1u << 6,  /* mmap_length, mmap_addr */
};

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower_kb;
    uint32_t mem_upper_kb;
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;
    uint32_t mmap_addr;
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_info) == 72, "multiboot info layout");

/* One memory map entry; `size` does not count itself (spec 3.3). */
struct multiboot_mmap_entry {
    uint32_t size;
    uint64_t addr;
    uint64_t len;
    uint32_t type; /* 1 = available RAM */
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "multiboot mmap layout");

#define MULTIBOOT_MEMORY_AVAILABLE 1

struct multiboot_module {
    uint32_t mod_start; /* physical, first byte */
    uint32_t mod_end;   /* physical, one past the last byte */
    uint32_t string;    /* physical address of the module's command line */
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct multiboot_module) == 16, "multiboot module layout");

#endif
