// SPDX-License-Identifier: MIT
/* Boot-module disks (see bootdisk.h). */
#include "drivers/ramdisk/bootdisk.h"
#include "drivers/ramdisk/memclip.h"
#include "kernel/boot_info.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

struct bootdisk {
    uint8_t *data;        /* the module's bytes, identity-mapped */
    uint32_t sector_size; /* 512, 1024, 2048 or 4096 */
    uint64_t sectors;
    char name[32];
};

static int STDCALL bootdisk_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct bootdisk *bd = userdata;
    info->flags = 0;
    info->sectorsize = bd->sector_size;
    info->capacity = bd->sectors;
    return DISK_STATUS_OK;
}

static int STDCALL bootdisk_read(void *userdata, void *buffer, int64_t start, int *numsectors)
{
    struct bootdisk *bd = userdata;
    uint32_t count;
    int status = memclip(bd->sectors, start, *numsectors, &count);
    if (count)
        memcpy(buffer, bd->data + (uint64_t)start * bd->sector_size,
               (size_t)count * bd->sector_size);
    *numsectors = (int)count;
    return status;
}

static int STDCALL bootdisk_write(void *userdata, const void *buffer, int64_t start,
                                  int *numsectors)
{
    struct bootdisk *bd = userdata;
    uint32_t count;
    int status = memclip(bd->sectors, start, *numsectors, &count);
    if (count)
        memcpy(bd->data + (uint64_t)start * bd->sector_size, buffer,
               (size_t)count * bd->sector_size);
    *numsectors = (int)count;
    return status;
}

static void STDCALL bootdisk_close(void *userdata)
{
    kfree(userdata); /* the module memory itself stays reserved */
}

static DISKFUNC bootdisk_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = bootdisk_close,
    .querymedia = bootdisk_querymedia,
    .read = bootdisk_read,
    .write = bootdisk_write,
};

/* Parse "disk:NAME[:SS]" (first word of the module string). */
static int bootdisk_parse(const char *cmd, struct bootdisk *bd)
{
    const char *p = cmd + strlen(BOOTDISK_PREFIX);
    size_t n = 0;
    uint64_t ss = 512;

    while (p[n] && p[n] != ':' && p[n] != ' ' && n + 1 < sizeof(bd->name)) {
        bd->name[n] = p[n];
        n++;
    }
    bd->name[n] = '\0';
    if (p[n] == ':') {
        char num[8];
        size_t k = 0;
        p += n + 1;
        while (p[k] && p[k] != ' ' && k + 1 < sizeof(num)) {
            num[k] = p[k];
            k++;
        }
        num[k] = '\0';
        if (kparse_u64(num, &ss) || (ss != 512 && ss != 1024 && ss != 2048 && ss != 4096))
            return ERR_INVAL;
    }
    bd->sector_size = (uint32_t)ss;
    return n ? 0 : ERR_INVAL;
}

void bootdisk_init(void)
{
    for (unsigned i = 0; i < boot_info.module_count; i++) {
        const struct boot_module *bm = &boot_info.modules[i];
        const char *word = boot_module_word(bm, BOOTDISK_PREFIX);
        if (!word)
            continue;
        /* 1. Name and sector size from the module string, size from GRUB. */
        struct bootdisk *bd = kzalloc(sizeof(*bd));
        if (!bd) {
            pr_err("bootdisk: out of memory for '%s'", bm->name);
            continue;
        }
        if (bootdisk_parse(word, bd)) {
            pr_err("bootdisk: bad module string '%s' (want disk:NAME[:SECTORSIZE])", bm->name);
            kfree(bd);
            continue;
        }
        bd->data = (uint8_t *)(uintptr_t)bm->start_phys;
        bd->sectors = (bm->end_phys - bm->start_phys) / bd->sector_size;
        if (bd->sectors == 0) {
            pr_err("bootdisk: %s: module smaller than one sector (%u bytes)", bd->name,
                   bm->end_phys - bm->start_phys);
            kfree(bd);
            continue;
        }
        /* 2. Register like any driver; the block layer scans it at insertion. */
        void *h = DiskAdd(&bootdisk_funcs, bd->name, bd, 0);
        if (!h) {
            kfree(bd);
            continue;
        }
        pr_info("bootdisk: %s: %llu sectors of %u bytes from boot module %u", bd->name,
                (unsigned long long)bd->sectors, bd->sector_size, i);
        DiskMediaChanged(h, 1);
    }
}
