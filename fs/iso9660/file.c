// SPDX-License-Identifier: MIT
/* The file operations of an ISO 9660 volume (struct vfs_fs_ops for
 * fs/vfs.c): read at any offset (across the extents of a multi-extent
 * file), list (without "." and ".."), get info, statfs. Every operation
 * that would change the volume returns ERR_ROFS, and sync has nothing to
 * do. File data goes through the cache as CACHE_APP (CACHE_DIRECT when read
 * with VFS_IO_NOCACHE) in runs of at most
 * FS_BYTES_RUN_MAX_BYTES; directories as CACHE_SYS.
 * Shown attributes: VFS_ATTR_READONLY always, VFS_ATTR_DIR, and
 * VFS_ATTR_HIDDEN for the existence flag; the three times are the record's
 * recording time (UTC).
 * Locking: takes v->lock; a list callback runs with it held. */
#include "fs/iso9660/iso_priv.h"
#include "fs/fs_bytes.h"
#include "fs/fs_ro.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

static void iso_found_info(const struct iso_found *f, struct vfs_info *out)
{
    memset(out, 0, sizeof(*out));
    out->attr = VFS_ATTR_READONLY | (f->is_dir ? VFS_ATTR_DIR : 0) |
                (f->hidden ? VFS_ATTR_HIDDEN : 0);
    out->ctime = f->time;
    out->mtime = f->time;
    out->atime = f->time;
    out->size = f->is_dir ? 0 : f->size;
    if (!f->is_root)
        kstrlcpy(out->name, f->name, sizeof(out->name));
}

/* Bytes [off, off+len) of the file f (which covers them), extent by extent. */
static int iso_file_io(struct iso_vol *v, const struct iso_found *f, uint64_t off, uint8_t *buf,
                       uint32_t len, enum cache_class cls)
{
    uint64_t ext_start = 0;
    for (unsigned i = 0; i < f->nextents && len > 0; i++) {
        const struct iso_extent *e = &f->ext[i];
        if (off >= ext_start + e->bytes) {
            ext_start += e->bytes;
            continue;
        }
        uint32_t within = (uint32_t)(off - ext_start);
        uint32_t n = MIN(len, e->bytes - within);
        int rc = iso_read_bytes(v, (uint64_t)e->block * ISO_BLOCK_BYTES + within, buf, n, cls);
        if (rc)
            return rc;
        off += n;
        buf += n;
        len -= n;
        ext_start += e->bytes;
    }
    return 0;
}

static int iso_op_read(void *fs, const char *path, uint64_t off, void *buf, uint32_t len,
                       unsigned flags, uint32_t *done)
{
    struct iso_vol *v = fs;
    struct iso_found *f = kmalloc(sizeof(*f));
    int rc;

    *done = 0;
    if (!f)
        return ERR_NOMEM;
    mutex_lock(&v->lock);
    /* 1. The file, and whether it can be read at all. */
    rc = iso_lookup(v, path, f);
    if (rc)
        goto out_unlock;
    if (f->is_dir) {
        rc = ERR_ISDIR;
        goto out_unlock;
    }
    if (f->bad_extent) {
        rc = ERR_CORRUPT; /* logged by the walk */
        goto out_unlock;
    }
    if (f->interleaved) {
        pr_warn("iso9660: %s: '%s' is interleaved, not supported", v->name, f->name);
        rc = ERR_NOTSUP;
        goto out_unlock;
    }
    /* 2. The bytes that exist; a short read ends with ERR_EOM. */
    if (off >= f->size) {
        rc = ERR_EOM;
        goto out_unlock;
    }
    uint32_t n = (uint32_t)MIN((uint64_t)len, f->size - off);
    rc = iso_file_io(v, f, off, buf, n, fs_bytes_data_class(flags));
    if (rc == 0) {
        *done = n;
        if (n < len)
            rc = ERR_EOM;
    }
out_unlock:
    mutex_unlock(&v->lock);
    kfree(f);
    return rc;
}

struct iso_list_ctx {
    vfs_list_fn fn;
    void *ctx;
    struct vfs_info info;
};

static int iso_list_cb(struct iso_vol *v, const struct iso_found *f, void *ctx)
{
    struct iso_list_ctx *c = ctx;
    (void)v;
    if (f->is_dot || f->is_dotdot)
        return 0;
    iso_found_info(f, &c->info);
    return c->fn(&c->info, c->ctx);
}

static int iso_op_list(void *fs, const char *path, vfs_list_fn fn, void *ctx)
{
    struct iso_vol *v = fs;
    struct iso_found *f = kmalloc(sizeof(*f));
    struct iso_list_ctx *c = kmalloc(sizeof(*c));
    struct iso_dir dir;
    int rc = ERR_NOMEM;

    if (!f || !c)
        goto out_free;
    c->fn = fn;
    c->ctx = ctx;
    mutex_lock(&v->lock);
    rc = iso_lookup(v, path, f);
    if (rc == 0)
        rc = iso_found_dir(v, f, &dir);
    if (rc == 0)
        rc = iso_dir_walk(v, dir, iso_list_cb, c);
    mutex_unlock(&v->lock);
out_free:
    kfree(f);
    kfree(c);
    return rc;
}

static int iso_op_get_info(void *fs, const char *path, struct vfs_info *out)
{
    struct iso_vol *v = fs;
    struct iso_found *f = kmalloc(sizeof(*f));
    if (!f)
        return ERR_NOMEM;
    mutex_lock(&v->lock);
    int rc = iso_lookup(v, path, f);
    mutex_unlock(&v->lock);
    if (rc == 0)
        iso_found_info(f, out);
    kfree(f);
    return rc;
}

static int iso_op_statfs(void *fs, struct vfs_statfs *out)
{
    struct iso_vol *v = fs;
    memset(out, 0, sizeof(*out));
    kstrlcpy(out->fs_name, "iso9660", sizeof(out->fs_name));
    out->total_bytes = (uint64_t)v->vd.volume_blocks * ISO_BLOCK_BYTES;
    out->free_bytes = 0;
    kstrlcpy(out->label, v->vd.label, sizeof(out->label));
    return 0;
}

const struct vfs_fs_ops iso_vfs_ops = {
    .read = iso_op_read,
    .list = iso_op_list,
    .create = fs_ro_create,
    .write = fs_ro_write,
    .set_end = fs_ro_set_end,
    .get_info = iso_op_get_info,
    .set_info = fs_ro_set_info,
    .remove = fs_ro_remove,
    .mkdir = fs_ro_mkdir,
    .rename = fs_ro_rename,
    .statfs = iso_op_statfs,
    .sync = fs_ro_sync,
};
