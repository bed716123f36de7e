// SPDX-License-Identifier: MIT
/* kernel_main: brings the kernel up in dependency order, then runs the shell
 * on the console. Each step is one subsystem's init; only this file calls the
 * init functions of kernel/, blkdev/ and drivers/ (STYLE §1). */
#include "blkdev/blkbench.h"
#include "blkdev/cache.h"
#include "blkdev/disk.h"
#include "blkdev/disk_cmds.h"
#include "blkdev/faulty.h"
#include "drivers/ahci/ahci.h"
#include "drivers/ata/ata.h"
#include "drivers/ramdisk/bootdisk.h"
#include "fs/fat/fat.h"
#include "fs/fs_cmds.h"
#include "fs/stress.h"
#include "fs/ext/ext.h"
#include "fs/ntfs/ntfs.h"
#include "fs/iso9660/iso9660.h"
#include "drivers/ramdisk/ramdisk.h"
#include "drivers/usb/usb.h"
#include "drivers/vdisk/vdisk.h"
#include "kernel/arch/arch.h"
#include "kernel/assert.h"
#include "kernel/boot_info.h"
#include "kernel/console/console.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/mm/mem.h"
#include "kernel/mm/paging.h"
#include "kernel/mm/pmm.h"
#include "kernel/module.h"
#include "kernel/pci.h"
#include "kernel/power.h"
#include "kernel/rtc.h"
#include "kernel/sched.h"
#include "kernel/shell/shell.h"
#include "kernel/timer.h"

void kernel_main(uint32_t magic, const struct multiboot_info *mbi);

/* The sector cache gets 1/8 of RAM, or `cache=MB` from the command line. */
static void kernel_size_cache(void)
{
    struct pagealloc_stats ps;
    char value[16];
    uint64_t mb;

    pmm_get_stats(&ps);
    uint64_t bytes = (uint64_t)ps.ram_pages * 4096u / 8u;
    if (boot_cmdline_get("cache", value, sizeof(value))) {
        if (kparse_u64(value, &mb) == 0 && mb <= 4096)
            bytes = mb << 20;
        else
            pr_warn("spindle: ignoring bad cache=%s (want megabytes, 0..4096)", value);
    }
    cache_set_budget_bytes(bytes);
}

void kernel_main(uint32_t magic, const struct multiboot_info *mbi)
{
    /* 1. Serial console first, so that every later step can report. */
    console_early_init();
    klog_set_sink(console_log_sink);
    pr_info("spindle: booting");
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        panic("not started by a multiboot loader (magic 0x%08x)", magic);
    boot_info_parse(mbi);
    pr_info("spindle: command line '%s', %u module(s)", boot_info.cmdline,
            boot_info.module_count);

    /* 2. CPU exception and interrupt tables, interrupt controller. */
    arch_init();
    /* 3. Physical pages, paging, heap. */
    mem_init();
    /* 4. Threads, then the 1 kHz timer that drives preemption and sleeps. */
    sched_init();
    timer_init();
    arch_enable_interrupts();
    /* 5. Interrupt-driven console input. */
    console_init();
    /* 6. Firmware tables (power off) and the PCI bus with its drivers. */
    power_init();
    rtc_init(); /* after power_init: the FADT names the RTC century register */
    vm_guard_null_page(); /* after ACPI discovery, which reads the BIOS data area */
    pci_init();

    /* 7. Shell command tables of the core. */
    shell_init();
    console_register_commands();
    mem_register_commands();
    sched_register_commands(); /* threads, irqs, selftest; crash in test kernels */
    pci_register_commands();
    power_register_commands();

    /* 8. Block layer, built-in drivers, then driver modules (last: they link
     *    against every export registered above). */
    blkdev_init();
    fat_register(); /* before any driver adds a disk, so every scan probes FAT */
    iso9660_register();
    ext_register();
    ntfs_register();
    kernel_size_cache();
    cache_start_flusher();
    disk_register_commands();
    cache_register_commands();
    fs_register_commands();
    stress_register_commands();
    module_register_commands();
    blkbench_register_commands();
    faulty_init();
    vdisk_init();
    ramdisk_init();
    bootdisk_init();
    ata_init();
    usb_init();
    ahci_init();
    module_load_all();

    /* 9. The shell runs in this (main) thread for as long as the kernel lives. */
    pr_info("spindle: ready");
    console_shell_run();
}
