// SPDX-License-Identifier: MIT
/* Shell commands of the sector cache: `cache` (statistics), `cache size MB`,
 * `cache drop`, `sync` and `remove NAME`, shared by the kernel and kdisk.
 * `remove` is the safe-removal procedure: write back, flush the device's
 * cache, eject when the driver can, and only then say "safe to remove". */
#include "blkdev/cache.h"
#include "blkdev/fsprobe.h"
#include "blkdev/cache_priv.h"
#include "blkdev/disk.h"
#include "kernel/err.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"

#define CACHE_CMD_MAX_MB (1u << 20) /* `cache size`: 1 TiB is far above any RAM we run on */

/* "hits=... misses=..." part shared by the global and per-disk lines. */
static void cache_print_counters(const struct cache_stats *s)
{
    uint64_t looked = s->hits + s->misses;
    unsigned pct10 = looked ? (unsigned)(s->hits * 1000 / looked) : 0;
    kprintf(" limit=%lluKiB cached=%llu dirty=%llu hits=%llu misses=%llu hit_ratio=%u.%u%%"
            " ra_used=%llu ra_wasted=%llu evictions=%llu writebacks=%llu wb_errors=%llu"
            " reads=%llu read_avg=%llu writes=%llu write_avg=%llu\n",
            (unsigned long long)(s->limit_bytes / 1024), (unsigned long long)s->cached_sectors,
            (unsigned long long)s->dirty_sectors, (unsigned long long)s->hits,
            (unsigned long long)s->misses, pct10 / 10, pct10 % 10,
            (unsigned long long)s->ra_used, (unsigned long long)s->ra_wasted,
            (unsigned long long)s->evictions, (unsigned long long)s->writebacks,
            (unsigned long long)s->wb_errors, (unsigned long long)s->driver_reads,
            (unsigned long long)(s->driver_reads ? s->driver_read_sectors / s->driver_reads : 0),
            (unsigned long long)s->driver_writes,
            (unsigned long long)(s->driver_writes ? s->driver_write_sectors / s->driver_writes
                                                  : 0));
}

static int cache_cmd_stats(void)
{
    struct cache_stats s;
    struct media **ms;
    size_t n;

    cache_get_global_stats(&s);
    kprintf("all");
    cache_print_counters(&s);
    if (cache_snapshot_media(&ms, &n))
        return shell_error("out of memory");
    for (size_t i = 0; i < n; i++) {
        if (cache_get_stats(ms[i], &s) == 0) {
            kprintf("%s state=%s", disk_name(media_disk(ms[i])),
                    cache_state_name(cache_get_state(ms[i])));
            cache_print_counters(&s);
        }
        media_put(ms[i]);
    }
    kfree(ms);
    return 0;
}

static int cache_cmd(int argc, char **argv)
{
    uint64_t mb;

    if (argc == 1)
        return cache_cmd_stats();
    if (argc == 3 && strcmp(argv[1], "size") == 0) {
        if (kparse_u64(argv[2], &mb) || mb > CACHE_CMD_MAX_MB)
            return shell_error("bad size in MB (%s)", argv[2]);
        if (cache_set_budget_bytes(mb << 20))
            return shell_error("no memory for a %llu MB cache", (unsigned long long)mb);
        kprintf("cache budget %llu MB\n", (unsigned long long)mb);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "drop") == 0) {
        int rc = cache_drop_all();
        if (rc)
            return shell_error("cache drop: write-back failed (%s), dirty data kept",
                               err_name(rc));
        return 0;
    }
    return shell_error("usage: cache [size MB | drop]");
}

/* File systems and caches disk by disk, newest first (fsprobe_sync_all),
 * then whatever the caches of media not reached there still hold. */
static int sync_cmd(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return shell_error("usage: sync");
    int frc = fsprobe_sync_all();
    int rc = cache_sync_all();
    if (!rc)
        rc = frc;
    if (rc)
        return shell_error("sync failed (%s); see dmesg, the data stays dirty", err_name(rc));
    return 0;
}

static int remove_cmd(int argc, char **argv)
{
    struct disk *d;
    struct media *m;
    int failed = 0;

    if (argc != 2)
        return shell_error("usage: remove NAME");
    if (disk_find(argv[1], &d))
        return shell_error("no such disk '%s'", argv[1]);
    if (disk_get_media(d, &m)) {
        disk_put(d);
        return shell_error("no media in '%s'", argv[1]);
    }
    /* 1. Every dirty sector to the media, then the device's own cache. */
    int rc = cache_sync(m);
    if (rc) {
        failed = shell_error("%s: not safe to remove: flush failed (%s), state %s", argv[1],
                             err_name(rc), cache_state_name(cache_get_state(m)));
        goto out_put;
    }
    /* 2. Eject when the driver has a tray (ERR_NOTSUP: it has none). */
    rc = disk_load_tray(d, DISK_TRAY_EJECT);
    if (rc && rc != ERR_NOTSUP) {
        failed = shell_error("%s: eject failed (%s)", argv[1], err_name(rc));
        goto out_put;
    }
    kprintf("safe to remove %s\n", argv[1]);
out_put:
    media_put(m);
    disk_put(d);
    return failed;
}

static const struct shell_cmd cache_cmds[] = {
    { "cache", "[size MB | drop]", "sector cache statistics; set its size; write back and empty",
      cache_cmd },
    { "sync", "", "write every dirty sector back and flush the devices", sync_cmd },
    { "remove", "NAME", "flush a disk and eject it, then say when it is safe to pull",
      remove_cmd },
};

void cache_register_commands(void)
{
    shell_register(cache_cmds, ARRAY_SIZE(cache_cmds));
}
