// SPDX-License-Identifier: MIT
/* Image files over the file API, and RAM copies of them (see vdisk_file.h).
 * Each vd_file keeps its full path; every operation hands that path to
 * fs/vfs.h with VFS_IO_NOCACHE: the virtual disk's own cache holds its
 * sectors, so the image's bytes pass the host disk's cache without staying
 * (blkdev/cache.h, CACHE_DIRECT). flush writes back the sector cache of the
 * disk the file lies on (media_flush), which is where FAT keeps the file's
 * metadata and the image's not yet written bytes. */
#include "drivers/vdisk/lib/vdisk_file.h"
#include "blkdev/disk.h"
#include "fs/vfs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/path.h"
#include "kernel/sync.h"
#include "kernel/time.h"

#define VDISK_FILE_CHUNK_BYTES (1u << 30) /* one vfs call moves at most this (len is u32) */

/* An image file reached through the file API. */
struct vdisk_file {
    struct vd_file base;         /* first: the vd_file pointer is this pointer */
    char path[VFS_NAME_MAX];     /* absolute, folded; constant */
};

/* A RAM copy of an image file. */
struct vdisk_ram_file {
    struct vd_file base;         /* first */
    uint8_t *data;               /* size bytes, cap allocated */
    size_t size, cap;
    size_t max_bytes;            /* limit for growth and for parents loaded later */
    char path[VFS_NAME_MAX];     /* where it came from (parents resolve against it) */
};

static struct {
    struct spinlock lock;        /* protects stats */
    bool ready;
    struct vdisk_file_stats stats;
} vdisk_file_state;


/* ---- helpers ---------------------------------------------------------------------------- */

static void vdisk_file_count(uint64_t *calls, uint64_t *bytes, uint64_t *us, size_t n,
                             uint64_t t0)
{
    uint64_t dt = time_us() - t0;

    spin_lock(&vdisk_file_state.lock);
    (*calls)++;
    *bytes += n;
    *us += dt;
    spin_unlock(&vdisk_file_state.lock);
}

/* The display name: the path, or its tail when it does not fit (the tail is
 * what tells two images apart, and the chain compares names for cycles). */
static void vdisk_file_set_name(struct vd_file *f, const char *path)
{
    size_t len = strlen(path);

    if (len < sizeof(f->name)) {
        kstrlcpy(f->name, path, sizeof(f->name));
        return;
    }
    kstrlcpy(f->name, "...", sizeof(f->name));
    kstrlcpy(f->name + 3, path + len - (sizeof(f->name) - 4), sizeof(f->name) - 3);
}

/* The disk a path lies on: its first component ("/hd0/1/x" -> "hd0"). */
static int vdisk_file_media(const char *path, struct disk **d_out, struct media **m_out)
{
    char name[DISK_NAME_MAX + 1];
    size_t n = 0;
    int rc;

    if (path[0] != '/')
        return ERR_INVAL;
    while (path[1 + n] && path[1 + n] != '/' && n < DISK_NAME_MAX) {
        name[n] = path[1 + n];
        n++;
    }
    name[n] = '\0';
    rc = disk_find(name, d_out);
    if (rc < 0)
        return rc;
    rc = disk_get_media(*d_out, m_out);
    if (rc < 0)
        disk_put(*d_out);
    return rc;
}

/* Fold `path` (absolute) into out and check that it names a regular file;
 * *info gets its attributes and size. */
static int vdisk_file_lookup(const char *path, char out[VFS_NAME_MAX], struct vfs_info *info)
{
    int rc = path_resolve(NULL, path, out, VFS_NAME_MAX);

    if (rc < 0)
        return rc;
    if (out[0] != '/')
        return ERR_INVAL;
    rc = vfs_get_info(out, info);
    if (rc < 0)
        return rc;
    return (info->attr & VFS_ATTR_DIR) ? ERR_ISDIR : 0;
}

static void vdisk_file_init_once(void)
{
    if (!vdisk_file_state.ready) {
        spin_init(&vdisk_file_state.lock, "vdisk-file-stats");
        vdisk_file_state.ready = true;
    }
}

/* ---- vd_file over the file API ---------------------------------------------------------- */

/* Read exactly len bytes of file `path` at off (ERR_EOM if it ends first). */
static int vdisk_file_pread(const char *path, uint64_t off, void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len) {
        uint32_t n = (uint32_t)MIN((size_t)VDISK_FILE_CHUNK_BYTES, len), done = 0;
        uint64_t t0 = time_us();
        int rc = vfs_read_file_ex(path, off, p, n, VFS_IO_NOCACHE, &done);
        vdisk_file_count(&vdisk_file_state.stats.reads, &vdisk_file_state.stats.read_bytes,
                         &vdisk_file_state.stats.read_us, done, t0);
        if (rc < 0)
            return rc; /* ERR_EOM: the file ended first, as vd_file_ops.read wants */
        if (done != n)
            return ERR_IO;
        off += n;
        p += n;
        len -= n;
    }
    return 0;
}

static int vdisk_file_read(struct vd_file *vf, uint64_t off, void *buf, size_t len)
{
    return vdisk_file_pread(((struct vdisk_file *)vf)->path, off, buf, len);
}

static int vdisk_file_write(struct vd_file *vf, uint64_t off, const void *buf, size_t len)
{
    struct vdisk_file *f = (struct vdisk_file *)vf;
    const uint8_t *p = buf;

    if (vf->readonly)
        return ERR_ROFS;
    while (len) {
        uint32_t n = (uint32_t)MIN((size_t)VDISK_FILE_CHUNK_BYTES, len), done = 0;
        uint64_t t0 = time_us();
        int rc = vfs_write_file_ex(f->path, off, p, n, VFS_IO_NOCACHE, &done);
        vdisk_file_count(&vdisk_file_state.stats.writes, &vdisk_file_state.stats.write_bytes,
                         &vdisk_file_state.stats.write_us, done, t0);
        if (rc < 0)
            return rc;
        if (done != n)
            return ERR_IO;
        off += n;
        p += n;
        len -= n;
    }
    return 0;
}

static int vdisk_file_get_size(struct vd_file *vf, uint64_t *bytes)
{
    struct vdisk_file *f = (struct vdisk_file *)vf;
    struct vfs_info info;
    int rc = vfs_get_info(f->path, &info);

    if (rc == 0)
        *bytes = info.size;
    return rc;
}

static int vdisk_file_set_size(struct vd_file *vf, uint64_t bytes)
{
    struct vdisk_file *f = (struct vdisk_file *)vf;

    if (vf->readonly)
        return ERR_ROFS;
    return vfs_set_end(f->path, bytes);
}

/* Durable = written back from the sector cache of the disk holding the file
 * (FAT keeps the file's clusters, its FAT entries and directory entry there). */
static int vdisk_file_flush(struct vd_file *vf)
{
    struct vdisk_file *f = (struct vdisk_file *)vf;
    struct disk *d;
    struct media *m;
    int rc;

    if (vf->readonly)
        return 0;
    rc = vdisk_file_media(f->path, &d, &m);
    if (rc < 0)
        return rc;
    rc = media_flush(m);
    media_put(m);
    disk_put(d);
    spin_lock(&vdisk_file_state.lock);
    vdisk_file_state.stats.flushes++;
    spin_unlock(&vdisk_file_state.lock);
    return rc;
}

static int vdisk_file_open_relative(struct vd_file *vf, const char *name, bool readonly,
                                    struct vd_file **out)
{
    struct vdisk_file *f = (struct vdisk_file *)vf;
    char path[VFS_NAME_MAX];
    int rc = path_resolve(f->path, name, path, sizeof(path));

    if (rc < 0)
        return rc;
    return vdisk_file_open(path, readonly, out);
}

static void vdisk_file_close(struct vd_file *vf)
{
    kfree(vf); /* the file API holds nothing open */
}

static const struct vd_file_ops vdisk_file_ops = {
    .read = vdisk_file_read,
    .write = vdisk_file_write,
    .get_size = vdisk_file_get_size,
    .set_size = vdisk_file_set_size,
    .flush = vdisk_file_flush,
    .open_relative = vdisk_file_open_relative,
    .close = vdisk_file_close,
};

int vdisk_file_open(const char *path, bool readonly, struct vd_file **out)
{
    struct vdisk_file *f;
    struct vfs_info info;
    struct disk *d;
    struct media *m;
    int rc;

    vdisk_file_init_once();
    f = kzalloc(sizeof(*f));
    if (!f)
        return ERR_NOMEM;
    rc = vdisk_file_lookup(path, f->path, &info);
    if (rc < 0) {
        kfree(f);
        return rc;
    }
    f->base.ops = &vdisk_file_ops;
    f->base.readonly = readonly || (info.attr & VFS_ATTR_READONLY);
    if (!f->base.readonly && vdisk_file_media(f->path, &d, &m) == 0) {
        f->base.readonly = media_is_readonly(m);
        media_put(m);
        disk_put(d);
    }
    vdisk_file_set_name(&f->base, f->path);
    *out = &f->base;
    return 0;
}

int vdisk_file_create(const char *path, struct vd_file **out)
{
    char folded[VFS_NAME_MAX];
    uint32_t done = 0;
    int rc = path_resolve(NULL, path, folded, sizeof(folded));

    if (rc < 0)
        return rc;
    rc = vfs_create_file(folded, NULL, 0, &done);
    if (rc < 0)
        return rc;
    return vdisk_file_open(folded, false, out);
}

/* ---- RAM copies ------------------------------------------------------------------------- */

static int vdisk_ram_read(struct vd_file *vf, uint64_t off, void *buf, size_t len)
{
    struct vdisk_ram_file *f = (struct vdisk_ram_file *)vf;

    if (off > f->size || len > f->size - off)
        return ERR_EOM;
    memcpy(buf, f->data + off, len);
    return 0;
}

/* Grow the copy to `bytes` (zero-filled), within max_bytes. */
static int vdisk_ram_grow(struct vdisk_ram_file *f, uint64_t bytes)
{
    if (bytes > f->max_bytes)
        return ERR_NOSPC;
    if (bytes > f->cap) {
        size_t cap = (size_t)MIN((uint64_t)f->max_bytes, MAX(bytes, (uint64_t)f->cap * 2));
        uint8_t *p = krealloc(f->data, cap);
        if (!p)
            return ERR_NOSPC;
        f->data = p;
        f->cap = cap;
    }
    if (bytes > f->size)
        memset(f->data + f->size, 0, (size_t)bytes - f->size);
    return 0;
}

static int vdisk_ram_write(struct vd_file *vf, uint64_t off, const void *buf, size_t len)
{
    struct vdisk_ram_file *f = (struct vdisk_ram_file *)vf;

    if (off > f->max_bytes || len > f->max_bytes - off)
        return ERR_NOSPC;
    if (off + len > f->size) {
        int rc = vdisk_ram_grow(f, off + len);
        if (rc < 0)
            return rc;
        f->size = (size_t)(off + len);
    }
    memcpy(f->data + off, buf, len);
    return 0;
}

static int vdisk_ram_get_size(struct vd_file *vf, uint64_t *bytes)
{
    *bytes = ((struct vdisk_ram_file *)vf)->size;
    return 0;
}

static int vdisk_ram_set_size(struct vd_file *vf, uint64_t bytes)
{
    struct vdisk_ram_file *f = (struct vdisk_ram_file *)vf;

    if (bytes > f->size) {
        int rc = vdisk_ram_grow(f, bytes);
        if (rc < 0)
            return rc;
    }
    f->size = (size_t)bytes;
    return 0;
}

/* Nothing to make durable: the copy is never written back. */
static int vdisk_ram_flush(struct vd_file *vf)
{
    (void)vf;
    return 0;
}

static int vdisk_ram_open_relative(struct vd_file *vf, const char *name, bool readonly,
                                   struct vd_file **out)
{
    struct vdisk_ram_file *f = (struct vdisk_ram_file *)vf;
    char path[VFS_NAME_MAX];
    int rc = path_resolve(f->path, name, path, sizeof(path));

    if (rc < 0)
        return rc;
    rc = vdisk_file_open_ram(path, f->max_bytes, out);
    if (rc == 0)
        (*out)->readonly = readonly;
    return rc;
}

static void vdisk_ram_close(struct vd_file *vf)
{
    struct vdisk_ram_file *f = (struct vdisk_ram_file *)vf;

    kfree(f->data); /* the changes go with it, by design */
    kfree(f);
}

static const struct vd_file_ops vdisk_ram_ops = {
    .read = vdisk_ram_read,
    .write = vdisk_ram_write,
    .get_size = vdisk_ram_get_size,
    .set_size = vdisk_ram_set_size,
    .flush = vdisk_ram_flush,
    .open_relative = vdisk_ram_open_relative,
    .close = vdisk_ram_close,
};

/* 1. Find the file and check its size against the limit.
 * 2. Read it whole into a buffer of that size; any failure frees all. */
int vdisk_file_open_ram(const char *path, size_t max_bytes, struct vd_file **out)
{
    struct vdisk_ram_file *f;
    struct vfs_info info;
    int rc;

    /* 1. */
    vdisk_file_init_once();
    f = kzalloc(sizeof(*f));
    if (!f)
        return ERR_NOMEM;
    rc = vdisk_file_lookup(path, f->path, &info);
    if (rc < 0)
        goto err_free;
    if (info.size > max_bytes) {
        pr_err("vdisk: %s: too large for a RAM copy (%llu bytes, limit %zu)", f->path,
               (unsigned long long)info.size, max_bytes);
        rc = ERR_NOMEM;
        goto err_free;
    }
    /* 2. */
    f->max_bytes = max_bytes;
    f->cap = MAX((size_t)info.size, (size_t)512);
    f->data = kmalloc(f->cap);
    if (!f->data) {
        rc = ERR_NOMEM;
        goto err_free;
    }
    f->size = (size_t)info.size;
    rc = vdisk_file_pread(f->path, 0, f->data, f->size); /* the one read of the original */
    if (rc < 0)
        goto err_free_data;
    f->base.ops = &vdisk_ram_ops;
    f->base.readonly = false;
    vdisk_file_set_name(&f->base, f->path);
    *out = &f->base;
    return 0;

err_free_data:
    kfree(f->data);
err_free:
    kfree(f);
    return rc;
}

void vdisk_file_get_stats(struct vdisk_file_stats *out)
{
    vdisk_file_init_once();
    spin_lock(&vdisk_file_state.lock);
    *out = vdisk_file_state.stats;
    spin_unlock(&vdisk_file_state.lock);
}
