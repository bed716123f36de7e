// SPDX-License-Identifier: MIT
/* Shell commands of the block layer: disks, parts, media, dhash, and eject /
 * load, which move the tray of any disk whose driver offers DISKFUNC
 * LoadTray (ATAPI drives on IDE or AHCI alike; the drive's poll reports the
 * media change afterwards). Output formats are part of the shell contract
 * (issue #3) and are relied on by tests on both the kernel and kdisk. */
#include "blkdev/disk_cmds.h"
#include "blkdev/disk.h"
#include "kernel/err.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/sha256.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"

#define DHASH_CHUNK_BYTES (64 * 1024) /* read buffer of dhash */

/* Look up NAME and its media for a command; prints the error line itself. */
static int cmd_get_media(const char *name, struct disk **d, struct media **m)
{
    if (disk_find(name, d))
        return shell_error("no such disk '%s'", name);
    if (disk_get_media(*d, m)) {
        disk_put(*d);
        return shell_error("no media in '%s'", name);
    }
    return 0;
}

static int disks_print_one(struct disk *d, void *ctx)
{
    struct media *m;
    (void)ctx;
    if (disk_get_media(d, &m)) {
        kprintf("%s sectors=0 sector_size=0 media=no ro=no partitions=0\n", disk_name(d));
        return 0;
    }
    kprintf("%s sectors=%llu sector_size=%u media=yes ro=%s partitions=%u\n", disk_name(d),
            (unsigned long long)media_capacity(m), media_sector_size(m),
            media_is_readonly(m) ? "yes" : "no", media_part_count(m));
    media_put(m);
    return 0;
}

static int cmd_disks(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shell_error("usage: disks");
    if (disk_for_each(disks_print_one, NULL))
        return shell_error("out of memory");
    return 0;
}

static int cmd_parts(int argc, char **argv)
{
    struct disk *d;
    struct media *m;
    char type[PART_TYPE_STR_BYTES];

    if (argc != 2)
        return shell_error("usage: parts NAME");
    if (cmd_get_media(argv[1], &d, &m))
        return 1;
    for (unsigned n = 1; n <= media_part_count(m); n++) {
        const struct part_info *p = media_part(m, n);
        part_format_type(p, type, sizeof(type));
        kprintf("%u first=%llu count=%llu type=%s fs=%s\n", n,
                (unsigned long long)p->first_lba, (unsigned long long)p->count_sectors, type,
                media_part_fs(m, n));
    }
    media_put(m);
    disk_put(d);
    return 0;
}

static int cmd_media(int argc, char **argv)
{
    struct disk *d;
    struct media *m;

    if (argc != 2)
        return shell_error("usage: media NAME");
    if (cmd_get_media(argv[1], &d, &m))
        return 1;
    kprintf("flags=0x%x sectorsize=%u capacity=%llu readonly=%s\n",
            media_is_readonly(m) ? DISK_MEDIA_READONLY : 0, media_sector_size(m),
            (unsigned long long)media_capacity(m), media_is_readonly(m) ? "yes" : "no");
    media_put(m);
    disk_put(d);
    return 0;
}

static int cmd_dhash(int argc, char **argv)
{
    struct disk *d;
    struct media *m;
    uint64_t lba, count;
    struct sha256 sha;
    uint8_t digest[SHA256_DIGEST_BYTES];
    char hex[SHA256_HEX_CHARS];
    int failed = 0;

    /* 1. Arguments, then the media and a bounds check against it. */
    if (argc != 4)
        return shell_error("usage: dhash NAME LBA COUNT");
    if (kparse_u64(argv[2], &lba))
        return shell_error("bad LBA (%s)", argv[2]);
    if (kparse_u64(argv[3], &count))
        return shell_error("bad COUNT (%s)", argv[3]);
    if (cmd_get_media(argv[1], &d, &m))
        return 1;
    uint32_t ss = media_sector_size(m);
    lba_t cap = media_capacity(m);
    if (lba > cap || count > cap - lba) {
        failed = shell_error("end of media (lba %llu + count %llu > %llu sectors)",
                             (unsigned long long)lba, (unsigned long long)count,
                             (unsigned long long)cap);
        goto out_put;
    }
    uint8_t *buf = kmalloc(DHASH_CHUNK_BYTES);
    if (!buf) {
        failed = shell_error("out of memory");
        goto out_put;
    }
    /* 2. Hash chunk by chunk. */
    sha256_init(&sha);
    uint32_t per_chunk = DHASH_CHUNK_BYTES / ss;
    while (count > 0) {
        uint32_t n = (uint32_t)MIN(count, (uint64_t)per_chunk);
        uint32_t done = 0;
        int rc = media_read(m, lba, n, buf, &done);
        if (rc) {
            failed = shell_error("read failed at lba %llu (%s)", (unsigned long long)(lba + done),
                                 err_name(rc));
            goto out_free;
        }
        sha256_update(&sha, buf, (size_t)n * ss);
        lba += n;
        count -= n;
    }
    sha256_final(&sha, digest);
    sha256_hex(digest, hex);
    kprintf("%s\n", hex);
out_free:
    kfree(buf);
out_put:
    media_put(m);
    disk_put(d);
    return failed;
}

/* `eject NAME` / `load NAME`: no output on success. The tray moves at once;
 * cached data is not written first (`remove NAME` does that). */
static int cmd_tray(int argc, char **argv, int flags)
{
    struct disk *d;

    if (argc != 2)
        return shell_error("usage: %s NAME", argv[0]);
    if (disk_find(argv[1], &d))
        return shell_error("no such disk '%s'", argv[1]);
    int failed = 0;
    if (!disk_has_tray(d)) {
        failed = shell_error("%s has no tray (the driver offers no LoadTray)", disk_name(d));
    } else {
        int rc = disk_load_tray(d, flags);
        if (rc)
            failed = shell_error("%s %s failed (%s)", argv[0], disk_name(d), err_name(rc));
    }
    disk_put(d);
    return failed;
}

static int cmd_eject(int argc, char **argv)
{
    return cmd_tray(argc, argv, DISK_TRAY_EJECT);
}

static int cmd_load(int argc, char **argv)
{
    return cmd_tray(argc, argv, DISK_TRAY_LOAD);
}

static const struct shell_cmd disk_cmds[] = {
    { "disks", "", "list disks: sectors, sector size, media, partitions", cmd_disks },
    { "parts", "NAME", "list the partitions of a disk", cmd_parts },
    { "media", "NAME", "show the DISKMEDIAINFO of a disk's media", cmd_media },
    { "dhash", "NAME LBA COUNT", "sha256 of COUNT raw sectors from LBA", cmd_dhash },
    { "diskcheck", "NAME [rw]", "DISKFUNC conformance checks of a driver", diskcheck_cmd },
    { "eject", "NAME", "open the tray of a disk that has one (ATAPI drives)", cmd_eject },
    { "load", "NAME", "close the tray of a disk that has one (ATAPI drives)", cmd_load },
};

void disk_register_commands(void)
{
    shell_register(disk_cmds, ARRAY_SIZE(disk_cmds));
}
