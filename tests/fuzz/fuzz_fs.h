/* SPDX-License-Identifier: MIT */
/* Shared body of the file-system harnesses (header-only, one includer per
 * binary): the fuzz input becomes a disk through a tiny DISKFUNC driver, is
 * registered with DiskAdd like any disk (partition scan, file-system probe,
 * cache), and every partition's tree is walked through the vfs, reading
 * every file; then DiskDel. The input is the start of the image: sectors
 * past its end read as zeros, up to the size the caller derives from the
 * input (so a seed can be an image with its trailing zeros cut off). Writes
 * are accepted and dropped. Limits keep one input well under the timeout. */
#ifndef TESTS_FUZZ_FUZZ_FS_H
#define TESTS_FUZZ_FUZZ_FS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev/cache.h"
#include "blkdev/disk.h"
#include "fs/vfs.h"
#include "kernel/err.h"

#define FZ_MAX_DEPTH 8          /* folder nesting walked */
#define FZ_MAX_ENTRIES 512      /* entries visited per input */
#define FZ_READ_CAP (256u << 10) /* bytes read per file */
#define FZ_MAX_SECTORS (1u << 17) /* largest disk an input may claim: FAT counts free
                                    clusters at mount, O(clusters) */

struct fz_disk {
    const uint8_t *data;
    size_t len;
    uint32_t ss;
    uint64_t sectors;
};

static int STDCALL fz_querymedia(void *ud, DISKMEDIAINFO *info)
{
    struct fz_disk *d = ud;
    info->flags = 0;
    info->sectorsize = d->ss;
    info->capacity = d->sectors;
    return DISK_STATUS_OK;
}

static int STDCALL fz_read(void *ud, void *buf, int64_t start, int *n)
{
    struct fz_disk *d = ud;
    if (start < 0 || *n <= 0 || (uint64_t)start >= d->sectors) {
        *n = 0;
        return DISK_STATUS_END_OF_MEDIA;
    }
    uint64_t cnt = (uint64_t)*n;
    if (cnt > d->sectors - (uint64_t)start)
        cnt = d->sectors - (uint64_t)start;
    uint64_t off = (uint64_t)start * d->ss, bytes = cnt * d->ss;
    memset(buf, 0, (size_t)bytes);
    if (off < d->len)
        memcpy(buf, d->data + off, (size_t)(bytes < d->len - off ? bytes : d->len - off));
    *n = (int)cnt;
    return DISK_STATUS_OK;
}

static int STDCALL fz_write(void *ud, const void *buf, int64_t start, int *n)
{
    struct fz_disk *d = ud;
    (void)buf;
    if (start < 0 || *n <= 0 || (uint64_t)start >= d->sectors) {
        *n = 0;
        return DISK_STATUS_END_OF_MEDIA;
    }
    if ((uint64_t)*n > d->sectors - (uint64_t)start)
        *n = (int)(d->sectors - (uint64_t)start);
    return DISK_STATUS_OK;
}

static DISKFUNC fz_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .querymedia = fz_querymedia,
    .read = fz_read,
    .write = fz_write,
};

struct fz_walk {
    unsigned entries;
    uint8_t *buf;
};

struct fz_names {
    char (*name)[VFS_NAME_MAX];
    bool *dir;
    unsigned n, cap;
};

static int fz_collect(const struct vfs_info *e, void *ctx)
{
    struct fz_names *l = ctx;
    if (l->n == l->cap)
        return 1; /* enough */
    if (strnlen(e->name, VFS_NAME_MAX) == VFS_NAME_MAX)
        abort(); /* a name must come back NUL-terminated */
    memcpy(l->name[l->n], e->name, VFS_NAME_MAX);
    l->dir[l->n] = (e->attr & VFS_ATTR_DIR) != 0;
    l->n++;
    return 0;
}

static void fz_walk_dir(struct fz_walk *w, const char *path, unsigned depth)
{
    struct fz_names l;
    if (depth > FZ_MAX_DEPTH || w->entries >= FZ_MAX_ENTRIES)
        return;
    l.cap = FZ_MAX_ENTRIES - w->entries;
    l.n = 0;
    l.name = malloc(sizeof(*l.name) * l.cap);
    l.dir = malloc(sizeof(*l.dir) * l.cap);
    vfs_list(path, fz_collect, &l);
    w->entries += l.n;
    size_t plen = strlen(path);
    char *child = malloc(plen + 1 + VFS_NAME_MAX + 1);
    for (unsigned i = 0; i < l.n; i++) {
        if (!strcmp(l.name[i], ".") || !strcmp(l.name[i], ".."))
            continue;
        memcpy(child, path, plen);
        child[plen] = '/';
        strcpy(child + plen + 1, l.name[i]);
        struct vfs_info info;
        vfs_get_info(child, &info);
        if (l.dir[i]) {
            fz_walk_dir(w, child, depth + 1);
            continue;
        }
        uint64_t off = 0;
        while (off < FZ_READ_CAP) {
            uint32_t done = 0;
            int rc = vfs_read_file(child, off, w->buf, 65536, &done);
            if (done > 65536)
                abort();
            off += done;
            if (rc || done == 0)
                break;
        }
    }
    free(child);
    free(l.name);
    free(l.dir);
}

/* Register the input as disk "fz" of `sectors` sectors of `ss` bytes, walk
 * every partition, unregister. */
static void fz_run_disk(const uint8_t *data, size_t len, uint32_t ss, uint64_t sectors)
{
    static uint8_t buf[65536];
    struct fz_disk d = { data, len, ss, sectors };
    struct disk *h;
    struct media *m;
    char root[32];

    if (sectors == 0)
        return;
    if (disk_add(&fz_funcs, "fz", &d, 0, &h))
        abort();
    disk_media_changed(h, true);
    if (disk_get_media(h, &m) == 0) {
        unsigned parts = media_part_count(m);
        media_put(m);
        struct fz_walk w = { 0, buf };
        for (unsigned p = 1; p <= parts && p <= 4; p++) {
            struct vfs_statfs st;
            snprintf(root, sizeof(root), "/fz/%u", p);
            vfs_statfs(root, &st);
            fz_walk_dir(&w, root, 0);
        }
    }
    disk_del(h); /* the last reference: close runs here, `d` may go */
}

#endif
