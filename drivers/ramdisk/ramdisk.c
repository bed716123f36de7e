// SPDX-License-Identifier: MIT
/* RAM disk driver (see ramdisk.h): the smallest complete DISKFUNC driver in
 * C. Each disk is one slot of a fixed table; a slot is taken from `ramdisk
 * add` until the block layer calls close, so a name is not reused while the
 * old disk may still be in use. Reads and writes are memcpy with full bounds
 * checks: a request running past the end does the part that fits and reports
 * DISK_STATUS_END_OF_MEDIA with the honest count (DISKFUNC contract, KolibriOS
 * blkdev/disk.inc). The sector data needs no lock, as with real hardware:
 * ordering requests for the same sectors is the caller's business. */
#include "drivers/ramdisk/ramdisk.h"
#include "drivers/ramdisk/memclip.h"
#include "blkdev/diskfunc.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/sync.h"

/* tmp0..tmp9, as in KolibriOS. */
#define RAMDISK_MAX 10
#define RAMDISK_SECTOR_BYTES 512u
#define RAMDISK_MIB (1024u * 1024u)
/* Upper bound before any multiplication: a 32-bit kernel cannot hold more. */
#define RAMDISK_MAX_MB 2048u
/* Page alignment: memcpy-friendly and keeps big blocks off small-heap bins. */
#define RAMDISK_ALIGN 4096u
#define RAMDISK_NAME_MAX 8

/* One RAM disk slot. `in_use` and `handle` are written under the lock;
 * `data` and `sectors` are set before DiskAdd and read-only until close. */
struct ramdisk {
    bool in_use;       /* taken from `ramdisk add` until close */
    void *handle;      /* DiskAdd's handle; NULL once `ramdisk del` ran */
    uint8_t *data;     /* sectors * 512 bytes, zeroed; freed in close */
    uint64_t sectors;
    char name[RAMDISK_NAME_MAX]; /* "tmpN" */
};

static struct {
    struct mutex lock;  /* protects in_use and handle of every slot */
    struct ramdisk disks[RAMDISK_MAX];
} ramdisk_state;

/* ---- DISKFUNC callbacks ----------------------------------------------------------------- */

/* Last call for the disk: only now may the memory go. */
static void STDCALL ramdisk_close(void *userdata)
{
    struct ramdisk *rd = userdata;

    kfree(rd->data); /* the block layer is done with every sector */
    pr_info("ramdisk: %s: closed, %llu sectors freed", rd->name,
            (unsigned long long)rd->sectors);
    mutex_lock(&ramdisk_state.lock);
    rd->data = NULL;
    rd->sectors = 0;
    rd->in_use = false;
    mutex_unlock(&ramdisk_state.lock);
}

static int STDCALL ramdisk_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct ramdisk *rd = userdata;

    info->flags = 0;
    info->sectorsize = RAMDISK_SECTOR_BYTES;
    info->capacity = rd->sectors;
    return DISK_STATUS_OK;
}

static int STDCALL ramdisk_read(void *userdata, void *buffer, int64_t startsector,
                                int *numsectors)
{
    struct ramdisk *rd = userdata;
    uint32_t count;
    int status = memclip(rd->sectors, startsector, *numsectors, &count);

    if (count)
        memcpy(buffer, rd->data + (uint64_t)startsector * RAMDISK_SECTOR_BYTES,
               (size_t)count * RAMDISK_SECTOR_BYTES);
    *numsectors = (int)count;
    return status;
}

static int STDCALL ramdisk_write(void *userdata, const void *buffer, int64_t startsector,
                                 int *numsectors)
{
    struct ramdisk *rd = userdata;
    uint32_t count;
    int status = memclip(rd->sectors, startsector, *numsectors, &count);

    if (count)
        memcpy(rd->data + (uint64_t)startsector * RAMDISK_SECTOR_BYTES, buffer,
               (size_t)count * RAMDISK_SECTOR_BYTES);
    *numsectors = (int)count;
    return status;
}

/* Nothing sits between the caller and the memory. */
static int STDCALL ramdisk_flush(void *userdata)
{
    (void)userdata;
    return DISK_STATUS_OK;
}

/* The data already is in RAM: caching it again would only double it. */
static unsigned STDCALL ramdisk_adjust_cache_size(void *userdata, unsigned suggested_bytes)
{
    (void)userdata;
    (void)suggested_bytes;
    return 0;
}

/* No closemedia (the media lives as long as the disk) and no LoadTray. */
static DISKFUNC ramdisk_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = ramdisk_close,
    .querymedia = ramdisk_querymedia,
    .read = ramdisk_read,
    .write = ramdisk_write,
    .flush = ramdisk_flush,
    .adjust_cache_size = ramdisk_adjust_cache_size,
};

/* ---- shell ---------------------------------------------------------------------------------- */

/* `ramdisk add SIZE_MB`: prints the new disk's name. */
static int ramdisk_cmd_add(const char *size_arg)
{
    struct kmem_stats stats;
    struct ramdisk *rd = NULL;
    uint64_t size_mb;

    /* 1. Size: at least 1 MiB, at most half of the free heap. */
    if (kparse_u64(size_arg, &size_mb) != 0)
        return shell_error("bad size '%s' (want a number of MiB)", size_arg);
    if (size_mb == 0)
        return shell_error("size must be at least 1 MiB (0)");
    kmem_get_stats(&stats);
    size_t limit_mb = stats.free_bytes / 2 / RAMDISK_MIB;
    if (size_mb > RAMDISK_MAX_MB || size_mb > limit_mb)
        return shell_error("size too large (%llu MiB, at most %zu MiB: half the free heap)",
                           (unsigned long long)size_mb, limit_mb);
    size_t bytes = (size_t)size_mb * RAMDISK_MIB;
    /* 2. Reserve a free slot. */
    mutex_lock(&ramdisk_state.lock);
    for (unsigned i = 0; i < RAMDISK_MAX && !rd; i++) {
        if (!ramdisk_state.disks[i].in_use) {
            rd = &ramdisk_state.disks[i];
            rd->in_use = true;
            ksnprintf(rd->name, sizeof(rd->name), "tmp%u", i);
        }
    }
    mutex_unlock(&ramdisk_state.lock);
    if (!rd)
        return shell_error("no free RAM disk name (all %d in use)", RAMDISK_MAX);
    /* 3. Zeroed memory. */
    rd->data = kmalloc_aligned(bytes, RAMDISK_ALIGN);
    if (!rd->data) {
        pr_err("ramdisk: %s: out of memory (%zu bytes)", rd->name, bytes);
        goto err_release_slot;
    }
    memset(rd->data, 0, bytes);
    rd->sectors = bytes / RAMDISK_SECTOR_BYTES;
    /* 4. Register, then announce the media. */
    void *handle = DiskAdd(&ramdisk_funcs, rd->name, rd, 0);
    if (!handle)
        goto err_free_data;
    mutex_lock(&ramdisk_state.lock);
    rd->handle = handle;
    mutex_unlock(&ramdisk_state.lock);
    DiskMediaChanged(handle, 1);
    pr_info("ramdisk: %s: added (%llu sectors)", rd->name, (unsigned long long)rd->sectors);
    kprintf("%s\n", rd->name);
    return 0;

err_free_data:
    kfree(rd->data);
    rd->data = NULL;
err_release_slot:
    mutex_lock(&ramdisk_state.lock);
    rd->in_use = false;
    mutex_unlock(&ramdisk_state.lock);
    return shell_error("cannot create %s (%llu MiB, see dmesg)", rd->name,
                       (unsigned long long)size_mb);
}

/* `ramdisk del NAME`: the disk vanishes now; close frees it later. */
static int ramdisk_cmd_del(const char *name)
{
    void *handle = NULL;

    mutex_lock(&ramdisk_state.lock);
    for (unsigned i = 0; i < RAMDISK_MAX; i++) {
        struct ramdisk *rd = &ramdisk_state.disks[i];
        if (rd->in_use && rd->handle && strcmp(rd->name, name) == 0) {
            handle = rd->handle;
            rd->handle = NULL; /* a second del finds nothing */
            break;
        }
    }
    mutex_unlock(&ramdisk_state.lock);
    if (!handle)
        return shell_error("no such RAM disk (%s)", name);
    DiskDel(handle); /* may run close right here: our lock is not held */
    return 0;
}

static int ramdisk_cmd(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "add") == 0)
        return ramdisk_cmd_add(argv[2]);
    if (argc == 3 && strcmp(argv[1], "del") == 0)
        return ramdisk_cmd_del(argv[2]);
    return shell_error("usage: ramdisk add SIZE_MB | ramdisk del NAME");
}

static const struct shell_cmd ramdisk_cmds[] = {
    { "ramdisk", "add SIZE_MB | del NAME", "create a zeroed RAM disk tmpN, or delete one",
      ramdisk_cmd },
};

void ramdisk_init(void)
{
    mutex_init(&ramdisk_state.lock, "ramdisk");
    shell_register(ramdisk_cmds, ARRAY_SIZE(ramdisk_cmds));
}
