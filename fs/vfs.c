// SPDX-License-Identifier: MIT
/* The /DISK/PARTITION/path name space and the sysfunction-70 style file API
 * (contract in vfs.h). A call resolves its path in three steps: the disk
 * (disk_find, a reference), its media (disk_get_media, a reference that
 * keeps the mounted file system alive), the partition's file system
 * (fsprobe_mounted); then it runs one vfs_fs_ops operation and drops the
 * references. "/" and "/DISK" are the virtual root: listable, read-only.
 * KolibriOS codes come from vfs_kolibri_code() only. */
#include "fs/vfs.h"
#include "blkdev/disk.h"
#include "blkdev/fsprobe.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

enum vfs_level { VFS_LEVEL_ROOT, VFS_LEVEL_DISK, VFS_LEVEL_PART };

/* A resolved path: references held until vfs_put. */
struct vfs_target {
    enum vfs_level level;
    struct disk *d;            /* LEVEL_DISK and LEVEL_PART */
    struct media *m;           /* LEVEL_DISK (may be NULL: no media) and LEVEL_PART */
    unsigned part;             /* LEVEL_PART */
    const struct vfs_fs_ops *ops; /* LEVEL_PART */
    void *fs;
    const char *rest;          /* LEVEL_PART: path inside the partition */
};

static void vfs_put(struct vfs_target *t)
{
    if (t->m)
        media_put(t->m);
    if (t->d)
        disk_put(t->d);
    t->m = NULL;
    t->d = NULL;
}

/* 1. "/"; 2. "/DISK" (media optional); 3. "/DISK/N[/rest]" with a mounted fs. */
static int vfs_resolve(const char *path, struct vfs_target *t)
{
    char name[DISK_NAME_MAX + 1];
    const struct fsprobe *probe;
    size_t len = 0;

    memset(t, 0, sizeof(*t));
    if (!path || path[0] != '/')
        return ERR_NOENT;
    while (*path == '/')
        path++;
    if (!*path) {
        t->level = VFS_LEVEL_ROOT;
        return 0;
    }
    while (path[len] && path[len] != '/') {
        if (len == DISK_NAME_MAX)
            return ERR_NOENT;
        name[len] = path[len];
        len++;
    }
    name[len] = '\0';
    path += len;
    if (disk_find(name, &t->d))
        return ERR_NOENT;
    while (*path == '/')
        path++;
    if (!*path) {
        t->level = VFS_LEVEL_DISK;
        if (disk_get_media(t->d, &t->m))
            t->m = NULL;
        return 0;
    }
    uint64_t part = 0;
    len = 0;
    while (path[len] && path[len] != '/')
        len++;
    char num[12];
    int rc = ERR_NOENT;
    if (len == 0 || len >= sizeof(num))
        goto err_put;
    memcpy(num, path, len);
    num[len] = '\0';
    if (kparse_u64(num, &part) || part == 0 || part > 0xFFFF)
        goto err_put;
    if (disk_get_media(t->d, &t->m)) {
        t->m = NULL;
        rc = ERR_NOMEDIA;
        goto err_put;
    }
    if (part > media_part_count(t->m))
        goto err_put;
    rc = fsprobe_mounted(t->m, (unsigned)part, &probe, &t->fs);
    if (rc)
        goto err_put;
    if (!probe->ops) {
        rc = ERR_NODEV;
        goto err_put;
    }
    t->level = VFS_LEVEL_PART;
    t->part = (unsigned)part;
    t->ops = probe->ops;
    t->rest = path + len;
    while (*t->rest == '/')
        t->rest++;
    return 0;
err_put:
    vfs_put(t);
    return rc;
}

/* Resolve a path that must name something inside a partition. */
static int vfs_resolve_part(const char *path, struct vfs_target *t)
{
    int rc = vfs_resolve(path, t);
    if (rc == 0 && t->level != VFS_LEVEL_PART) {
        vfs_put(t);
        return ERR_ACCESS; /* the virtual root is read-only */
    }
    return rc;
}

/* ---- virtual root listings ------------------------------------------------------------------ */

struct vfs_root_ctx {
    vfs_list_fn fn;
    void *ctx;
    struct vfs_info info;
};

static int vfs_list_disk_cb(struct disk *d, void *ctx)
{
    struct vfs_root_ctx *c = ctx;
    memset(&c->info, 0, sizeof(c->info));
    c->info.attr = VFS_ATTR_DIR;
    kstrlcpy(c->info.name, disk_name(d), sizeof(c->info.name));
    return c->fn(&c->info, c->ctx);
}

static int vfs_list_virtual(struct vfs_target *t, vfs_list_fn fn, void *ctx)
{
    struct vfs_root_ctx *c = kzalloc(sizeof(*c));
    int rc = 0;
    if (!c)
        return ERR_NOMEM;
    c->fn = fn;
    c->ctx = ctx;
    if (t->level == VFS_LEVEL_ROOT) {
        rc = disk_for_each(vfs_list_disk_cb, c);
    } else if (t->m) {
        for (unsigned n = 1; n <= media_part_count(t->m) && rc == 0; n++) {
            memset(&c->info, 0, sizeof(c->info));
            c->info.attr = VFS_ATTR_DIR;
            ksnprintf(c->info.name, sizeof(c->info.name), "%u", n);
            rc = fn(&c->info, ctx);
        }
    }
    kfree(c);
    return rc;
}

/* ---- the API -------------------------------------------------------------------------------- */

int vfs_list(const char *path, vfs_list_fn fn, void *ctx)
{
    struct vfs_target t;
    int rc = vfs_resolve(path, &t);
    if (rc)
        return rc;
    if (t.level == VFS_LEVEL_PART)
        rc = t.ops->list(t.fs, t.rest, fn, ctx);
    else
        rc = vfs_list_virtual(&t, fn, ctx);
    vfs_put(&t);
    return rc;
}

struct vfs_folder_ctx {
    uint32_t start, count, seen, stored;
    struct vfs_info *out;
};

static int vfs_folder_cb(const struct vfs_info *e, void *ctx)
{
    struct vfs_folder_ctx *c = ctx;
    if (c->seen >= c->start && c->stored < c->count)
        c->out[c->stored++] = *e;
    c->seen++;
    return 0;
}

int vfs_read_folder(const char *path, uint32_t start, uint32_t count, struct vfs_info *out,
                    uint32_t *n_out, uint32_t *total_out)
{
    struct vfs_folder_ctx c = { start, count, 0, 0, out };
    int rc = vfs_list(path, vfs_folder_cb, &c);
    if (n_out)
        *n_out = c.stored;
    if (total_out)
        *total_out = c.seen;
    if (rc == 0 && c.stored < count)
        rc = ERR_EOM;
    return rc;
}

int vfs_read_file_ex(const char *path, uint64_t offset, void *buf, uint32_t len, unsigned flags,
                     uint32_t *done)
{
    struct vfs_target t;
    *done = 0;
    int rc = vfs_resolve(path, &t);
    if (rc)
        return rc;
    rc = t.level == VFS_LEVEL_PART ? t.ops->read(t.fs, t.rest, offset, buf, len, flags, done)
                                   : ERR_ISDIR;
    vfs_put(&t);
    return rc;
}

int vfs_read_file(const char *path, uint64_t offset, void *buf, uint32_t len, uint32_t *done)
{
    return vfs_read_file_ex(path, offset, buf, len, 0, done);
}

int vfs_create_file(const char *path, const void *buf, uint32_t len, uint32_t *done)
{
    struct vfs_target t;
    *done = 0;
    int rc = vfs_resolve_part(path, &t);
    if (rc)
        return rc;
    rc = t.ops->create(t.fs, t.rest, buf, len, done);
    vfs_put(&t);
    return rc;
}

int vfs_write_file_ex(const char *path, uint64_t offset, const void *buf, uint32_t len,
                      unsigned flags, uint32_t *done)
{
    struct vfs_target t;
    *done = 0;
    int rc = vfs_resolve_part(path, &t);
    if (rc)
        return rc;
    rc = t.ops->write(t.fs, t.rest, offset, buf, len, flags, done);
    vfs_put(&t);
    return rc;
}

int vfs_write_file(const char *path, uint64_t offset, const void *buf, uint32_t len,
                   uint32_t *done)
{
    return vfs_write_file_ex(path, offset, buf, len, 0, done);
}

int vfs_set_end(const char *path, uint64_t size)
{
    struct vfs_target t;
    int rc = vfs_resolve_part(path, &t);
    if (rc)
        return rc;
    rc = t.ops->set_end(t.fs, t.rest, size);
    vfs_put(&t);
    return rc;
}

int vfs_get_info(const char *path, struct vfs_info *out)
{
    struct vfs_target t;
    int rc = vfs_resolve(path, &t);
    if (rc)
        return rc;
    if (t.level == VFS_LEVEL_PART) {
        rc = t.ops->get_info(t.fs, t.rest, out);
    } else {
        memset(out, 0, sizeof(*out));
        out->attr = VFS_ATTR_DIR;
        if (t.d)
            kstrlcpy(out->name, disk_name(t.d), sizeof(out->name));
    }
    vfs_put(&t);
    return rc;
}

int vfs_set_info(const char *path, const struct vfs_info *in)
{
    struct vfs_target t;
    int rc = vfs_resolve_part(path, &t);
    if (rc)
        return rc;
    rc = t.ops->set_info(t.fs, t.rest, in);
    vfs_put(&t);
    return rc;
}

int vfs_delete(const char *path)
{
    struct vfs_target t;
    int rc = vfs_resolve_part(path, &t);
    if (rc)
        return rc;
    rc = t.ops->remove(t.fs, t.rest);
    vfs_put(&t);
    return rc;
}

int vfs_mkdir(const char *path)
{
    struct vfs_target t;
    int rc = vfs_resolve_part(path, &t);
    if (rc)
        return rc;
    rc = t.ops->mkdir(t.fs, t.rest);
    vfs_put(&t);
    return rc;
}

int vfs_rename(const char *from, const char *to)
{
    struct vfs_target a, b;
    int rc = vfs_resolve_part(from, &a);
    if (rc)
        return rc;
    rc = vfs_resolve_part(to, &b);
    if (rc) {
        vfs_put(&a);
        return rc == ERR_NOENT ? ERR_NOENT : rc;
    }
    if (a.fs != b.fs)
        rc = ERR_NOTSUP; /* across partitions: the caller copies */
    else
        rc = a.ops->rename(a.fs, a.rest, b.rest);
    vfs_put(&b);
    vfs_put(&a);
    return rc;
}

int vfs_statfs(const char *path, struct vfs_statfs *out)
{
    struct vfs_target t;
    int rc = vfs_resolve_part(path, &t);
    if (rc)
        return rc == ERR_ACCESS ? ERR_NOTSUP : rc;
    rc = t.ops->statfs(t.fs, out);
    vfs_put(&t);
    return rc;
}

int vfs_set_label(const char *path, const char *label)
{
    struct vfs_target t;
    int rc = vfs_resolve_part(path, &t);
    if (rc)
        return rc == ERR_ACCESS ? ERR_NOTSUP : rc;
    rc = t.ops->set_label ? t.ops->set_label(t.fs, label) : ERR_NOTSUP;
    vfs_put(&t);
    return rc;
}

struct vfs_mounted_ctx {
    bool mount;             /* mount what is not mounted yet */
    int (*fn)(const char *path, void *ctx);
    void *ctx;
    char path[DISK_NAME_MAX + 16];
};

static int vfs_mounted_disk_cb(struct disk *d, void *ctx)
{
    struct vfs_mounted_ctx *c = ctx;
    struct media *m;
    int rc = 0;
    if (disk_get_media(d, &m))
        return 0;
    for (unsigned n = 1; n <= media_part_count(m) && rc == 0; n++) {
        const struct fsprobe *probe;
        void *fs;
        int mrc = c->mount ? fsprobe_mounted(m, n, &probe, &fs)
                           : fsprobe_if_mounted(m, n, &probe, &fs);
        if (mrc || !probe->ops)
            continue;
        ksnprintf(c->path, sizeof(c->path), "/%s/%u", disk_name(d), n);
        rc = c->fn(c->path, c->ctx);
    }
    media_put(m);
    return rc;
}

int vfs_for_each_mounted(int (*fn)(const char *path, void *ctx), void *ctx)
{
    struct vfs_mounted_ctx c = { true, fn, ctx, "" };
    return disk_for_each(vfs_mounted_disk_cb, &c);
}

static int vfs_sync_one(const char *path, void *ctx)
{
    int *first_err = ctx;
    struct vfs_target t;
    int rc = vfs_resolve_part(path, &t);
    if (rc == 0) {
        rc = t.ops->sync(t.fs);
        vfs_put(&t);
    }
    if (rc && !*first_err)
        *first_err = rc;
    return 0; /* keep going: every volume gets its chance */
}

/* Newest disk first: a disk whose image file lies on an older disk (vdN on
 * hdN's FAT; an image can only be attached after its host disk exists)
 * writes its cache into the host disk's file when synced, so the host disk
 * must come after it, or one sync leaves the host's FAT marked dirty and
 * the image's data dirty in the host's cache. */
int vfs_sync_all(void)
{
    int first_err = 0;
    struct vfs_mounted_ctx c = { false, vfs_sync_one, &first_err, "" };
    int rc = disk_for_each_newest_first(vfs_mounted_disk_cb, &c);
    return first_err ? first_err : rc;
}

/* ---- KolibriOS codes ------------------------------------------------------------------------ */

int vfs_kolibri_code(int err)
{
    switch (err) {
    case 0:
        return 0;
    case ERR_NOTSUP:
        return 2;
    case ERR_NODEV:
        return 3;
    case ERR_NOENT:
    case ERR_NOTDIR:
    case ERR_LOOP:
        return 5;
    case ERR_EOM:
        return 6;
    case ERR_NOSPC:
    case ERR_FBIG:
        return 8;
    case ERR_CORRUPT:
    case ERR_OVERFLOW:
        return 9;
    case ERR_ACCESS:
    case ERR_ROFS:
    case ERR_EXIST:
    case ERR_ISDIR:
    case ERR_NOTEMPTY:
    case ERR_INVAL:
    case ERR_NAMETOOLONG:
    case ERR_BUSY:
    case ERR_RANGE:
        return 10;
    case ERR_NOMEM:
        return 12;
    default: /* ERR_IO, ERR_NOMEDIA, ERR_TIMEOUT and anything unknown */
        return 11;
    }
}

const char *vfs_kolibri_message(int code)
{
    switch (code) {
    case 0:
        return "ok";
    case 2:
        return "not supported";
    case 3:
        return "unknown file system";
    case 5:
        return "not found";
    case 6:
        return "end of file";
    case 8:
        return "disk full";
    case 9:
        return "file system error";
    case 10:
        return "access denied";
    case 11:
        return "device error";
    case 12:
        return "out of memory";
    default:
        return "error";
    }
}
