// SPDX-License-Identifier: MIT
/* Partition scan and file-system probe of a newly inserted media: the glue
 * between a struct media and the sector-reader seam of part.h / fsprobe.h. */
#include "blkdev/cache.h"
#include "blkdev/disk_priv.h"
#include "blkdev/fsprobe.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

/* Context of a reader limited to one partition (or the whole media). */
struct media_window {
    struct media *m;
    lba_t first_lba;
    lba_t count_sectors;
};

static int media_window_read(void *ctx, lba_t lba, uint32_t count, void *buf)
{
    struct media_window *w = ctx;
    uint32_t done = 0;
    if (lba >= w->count_sectors || count > w->count_sectors - lba)
        return ERR_EOM;
    int rc = media_read(w->m, w->first_lba + lba, count, buf, &done);
    if (rc == 0 && done != count)
        rc = ERR_IO;
    return rc;
}

void media_scan_parts(struct media *m)
{
    struct media_window whole = { m, 0, m->capacity };
    struct part_reader r = {
        .ctx = &whole,
        .disk_name = m->disk->name,
        .sector_size = m->sector_size,
        .capacity_sectors = m->capacity,
        .read = media_window_read,
    };
    struct part_table table;

    /* 1. Partition table. */
    int rc = part_scan(&r, &table);
    if (rc) {
        pr_warn("disk: %s: partition scan failed (%s)", m->disk->name, err_name(rc));
        return;
    }
    if (table.count == 0)
        goto out_free_table;
    /* 2. Keep the partitions, each with the name of the file system on it. */
    m->parts = kzalloc(table.count * sizeof(*m->parts));
    if (!m->parts) {
        pr_err("disk: %s: out of memory for %u partitions", m->disk->name, table.count);
        goto out_free_table;
    }
    m->nparts = table.count;
    for (unsigned i = 0; i < table.count; i++) {
        struct media_part *mp = &m->parts[i];
        mp->info = table.parts[i];
        struct media_window w = { m, mp->info.first_lba, mp->info.count_sectors };
        struct part_reader pr = r;
        pr.ctx = &w;
        pr.capacity_sectors = mp->info.count_sectors;
        mutex_init(&mp->mount_lock, "fs-mount");
        mp->probe = fsprobe_run(&pr, mp->fs, sizeof(mp->fs));
    }
out_free_table:
    part_table_free(&table);
}

static int media_part_mounted(struct media *m, unsigned part, bool mount,
                              const struct fsprobe **probe_out, void **fs_out)
{
    if (part == 0 || part > m->nparts)
        return ERR_NOENT;
    struct media_part *mp = &m->parts[part - 1];
    if (!mp->probe || !mp->probe->mount)
        return ERR_NODEV;
    mutex_lock(&mp->mount_lock);
    if (!mp->mount_tried && mount) {
        mp->mount_tried = true;
        mp->mount_err = mp->probe->mount(m, part, &mp->fs_instance);
        if (mp->mount_err) {
            mp->fs_instance = NULL;
            pr_warn("disk: %s: partition %u: %s not mounted (%s)", m->disk->name, part,
                    mp->fs, err_name(mp->mount_err));
        }
    }
    void *fs = mp->fs_instance;
    mutex_unlock(&mp->mount_lock);
    if (!fs)
        return ERR_NODEV;
    *probe_out = mp->probe;
    *fs_out = fs;
    return 0;
}

int fsprobe_mounted(struct media *m, unsigned part, const struct fsprobe **probe_out,
                    void **fs_out)
{
    return media_part_mounted(m, part, true, probe_out, fs_out);
}

int fsprobe_if_mounted(struct media *m, unsigned part, const struct fsprobe **probe_out,
                       void **fs_out)
{
    return media_part_mounted(m, part, false, probe_out, fs_out);
}

static int media_sync_fs_cb(struct disk *d, void *ctx)
{
    int *first_err = ctx;
    struct media *m;
    if (disk_get_media(d, &m))
        return 0;
    for (unsigned n = 1; n <= m->nparts; n++) {
        const struct fsprobe *probe;
        void *fs;
        if (fsprobe_if_mounted(m, n, &probe, &fs) || !probe->sync)
            continue;
        int rc = probe->sync(fs);
        if (rc && !*first_err)
            *first_err = rc;
    }
    int rc = cache_sync(m);
    if (rc && !*first_err)
        *first_err = rc;
    media_put(m);
    return 0; /* every disk gets its chance */
}

int fsprobe_sync_all(void)
{
    int first_err = 0;
    int rc = disk_for_each_newest_first(media_sync_fs_cb, &first_err);
    return first_err ? first_err : rc;
}

void media_unmount_parts(struct media *m)
{
    for (unsigned i = 0; i < m->nparts; i++) {
        struct media_part *mp = &m->parts[i];
        /* The last media reference is gone: nobody can be using the instance. */
        if (mp->fs_instance)
            mp->probe->unmount(mp->fs_instance);
        mp->fs_instance = NULL;
    }
}

void media_free_parts(struct media *m)
{
    kfree(m->parts);
    m->parts = NULL;
    m->nparts = 0;
}
