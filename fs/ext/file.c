// SPDX-License-Identifier: MIT
/* The file operations of an ext volume (struct vfs_fs_ops for fs/vfs.c):
 * read at any 64-bit offset, list (without "." and ".."), get info, statfs.
 * Every operation that would change the volume returns ERR_ROFS (as ISO
 * 9660 does) and sync has nothing to do. File data goes through the cache
 * as CACHE_APP (CACHE_DIRECT when read with VFS_IO_NOCACHE) in runs of at
 * most EXT_RUN_MAX_BYTES; inodes, directories and mapping blocks as
 * CACHE_SYS.
 * Shown: VFS_ATTR_READONLY always (the volume is read-only), VFS_ATTR_DIR,
 * VFS_ATTR_SYSTEM for devices, fifos and sockets (size 0, nothing to
 * read). A symbolic link is shown as what it points at (its target's type,
 * size and times); a dangling or looping one as an empty file, which fails
 * to read. Entries whose inode is damaged are left out of a listing (each
 * logged) so the rest of the folder stays visible.
 * Locking: takes v->lock; a list callback runs with it held. */
#include "fs/ext/ext_priv.h"
#include "fs/fs_bytes.h"
#include "fs/fs_ro.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

/* Bytes of a file's content as reads see it (0 for devices and the like). */
static uint64_t ext_content_bytes(const struct ext_inode *in)
{
    return (in->mode & EXT_MODE_FMT) == EXT_MODE_REG ? in->size : 0;
}

static int ext_op_read(void *fs, const char *path, uint64_t off, void *buf, uint32_t len,
                       unsigned flags, uint32_t *done)
{
    struct ext_vol *v = fs;
    struct ext_inode in;
    int rc;

    *done = 0;
    mutex_lock(&v->lock);
    /* 1. The file. */
    rc = ext_resolve(v, EXT_ROOT_INO, path, true, &in);
    if (rc)
        goto out_unlock;
    if (ext_inode_is_dir(&in)) {
        rc = ERR_ISDIR;
        goto out_unlock;
    }
    /* 2. The bytes that exist; a short read ends with ERR_EOM. */
    uint64_t size = ext_content_bytes(&in);
    if (off >= size) {
        rc = ERR_EOM;
        goto out_unlock;
    }
    uint32_t n = (uint32_t)MIN((uint64_t)len, size - off);
    rc = ext_inode_read(v, &in, off, buf, n, fs_bytes_data_class(flags));
    if (rc == 0) {
        *done = n;
        if (n < len)
            rc = ERR_EOM;
    }
out_unlock:
    mutex_unlock(&v->lock);
    return rc;
}

struct ext_list_ctx {
    vfs_list_fn fn;
    void *ctx;
    uint32_t dir_ino;
    struct ext_inode in, target;
    struct vfs_info info;
};

static int ext_list_cb(struct ext_vol *v, const struct ext_dirent *d, void *ctx)
{
    struct ext_list_ctx *c = ctx;
    if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
        return 0;
    int rc = ext_inode_get(v, d->ino, &c->in);
    if (rc == ERR_CORRUPT)
        return 0; /* logged; the other entries stay visible */
    if (rc)
        return rc;
    if (!ext_inode_is_symlink(&c->in)) {
        ext_inode_info(&c->in, &c->info);
    } else if (ext_follow(v, c->dir_ino, &c->in, &c->target) == 0) {
        ext_inode_info(&c->target, &c->info);
    } else {
        ext_inode_info(&c->in, &c->info);
        c->info.size = 0;
    }
    kstrlcpy(c->info.name, d->name, sizeof(c->info.name));
    return c->fn(&c->info, c->ctx);
}

static int ext_op_list(void *fs, const char *path, vfs_list_fn fn, void *ctx)
{
    struct ext_vol *v = fs;
    struct ext_list_ctx *c = kmalloc(sizeof(*c));
    struct ext_inode dir;
    if (!c)
        return ERR_NOMEM;
    c->fn = fn;
    c->ctx = ctx;
    mutex_lock(&v->lock);
    int rc = ext_resolve(v, EXT_ROOT_INO, path, true, &dir);
    if (rc == 0) {
        c->dir_ino = dir.ino;
        rc = ext_dir_walk(v, &dir, ext_list_cb, c);
    }
    mutex_unlock(&v->lock);
    kfree(c);
    return rc;
}

static int ext_op_get_info(void *fs, const char *path, struct vfs_info *out)
{
    struct ext_vol *v = fs;
    struct ext_inode in;
    mutex_lock(&v->lock);
    int rc = ext_resolve(v, EXT_ROOT_INO, path, true, &in);
    mutex_unlock(&v->lock);
    if (rc)
        return rc;
    ext_inode_info(&in, out);
    fs_ro_name_from_path(path, out->name, sizeof(out->name)); /* names match exactly */
    return 0;
}

static int ext_op_statfs(void *fs, struct vfs_statfs *out)
{
    struct ext_vol *v = fs;
    memset(out, 0, sizeof(*out));
    kstrlcpy(out->fs_name, v->sb.fs_name, sizeof(out->fs_name));
    out->total_bytes = v->sb.blocks_count * v->sb.block_bytes;
    out->free_bytes = v->sb.free_blocks * v->sb.block_bytes;
    fs_ro_label_copy(out->label, sizeof(out->label), v->sb.label);
    return 0;
}

const struct vfs_fs_ops ext_vfs_ops = {
    .read = ext_op_read,
    .list = ext_op_list,
    .create = fs_ro_create,
    .write = fs_ro_write,
    .set_end = fs_ro_set_end,
    .get_info = ext_op_get_info,
    .set_info = fs_ro_set_info,
    .remove = fs_ro_remove,
    .mkdir = fs_ro_mkdir,
    .rename = fs_ro_rename,
    .statfs = ext_op_statfs,
    .set_label = fs_ro_set_label,
    .sync = fs_ro_sync,
};
