// SPDX-License-Identifier: MIT
/* The file operations of an NTFS volume (struct vfs_fs_ops for fs/vfs.c):
 * read the unnamed $DATA at any 64-bit offset, list, get info, statfs.
 * Every operation that would change the volume returns ERR_ROFS and sync
 * has nothing to do. File data goes through the cache as CACHE_APP
 * (CACHE_DIRECT with VFS_IO_NOCACHE); records and indexes as CACHE_SYS.
 * Listings are in index (collation) order and leave out: DOS-only 8.3
 * names (the Win32 name of the same file is listed), the metafiles of
 * records 0..15 ($MFT, $Bitmap, $Extend... and the root's own "."), as
 * Linux and KolibriOS do (they stay reachable by name: "/$UpCase"), names
 * holding '/' or NUL or named "." or ".." (logged) and entries whose
 * record is damaged or stale (logged), so the rest of the folder stays
 * visible. get_info reports the name as the path spelt it (lookups
 * ignore case).
 * Locking: takes v->lock; a list callback runs with it held. */
#include "fs/fs_bytes.h"
#include "fs/fs_ro.h"
#include "fs/ntfs/ntfs_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

static int ntfs_op_read(void *fs, const char *path, uint64_t off, void *buf, uint32_t len,
                        unsigned flags, uint32_t *done)
{
    struct ntfs_vol *v = fs;
    struct ntfs_inode in;
    struct ntfs_stream s;
    int rc;

    *done = 0;
    mutex_lock(&v->lock);
    /* 1. The file and its unnamed $DATA (none: an empty file). */
    rc = ntfs_resolve(v, path, &in);
    if (rc)
        goto out_unlock;
    rc = in.is_dir ? ERR_ISDIR : ntfs_stream_open(v, &in, AT_DATA, NULL, 0, &s);
    if (rc == ERR_NOENT) {
        rc = ERR_EOM;
        goto out_put;
    }
    if (rc)
        goto out_put;
    /* 2. The bytes that exist; a short read ends with ERR_EOM. */
    if (off >= s.data_size) {
        rc = ERR_EOM;
    } else {
        uint32_t n = (uint32_t)MIN((uint64_t)len, s.data_size - off);
        rc = ntfs_stream_read(v, &s, off, buf, n, fs_bytes_data_class(flags));
        if (rc == 0) {
            *done = n;
            rc = n < len ? ERR_EOM : 0;
        }
    }
    ntfs_stream_close(&s);
out_put:
    ntfs_inode_put(&in);
out_unlock:
    mutex_unlock(&v->lock);
    return rc;
}

struct ntfs_list_ctx {
    vfs_list_fn fn;
    void *ctx;
    uint64_t dir_no;
    struct vfs_info info;
};

/* A name a path can reach: no '/' or NUL, and not "." or ".." (a path
 * takes those as the folder itself and its parent, and vfs_list promises
 * listings without them; NTFS stores neither, bar the root's own "."). */
static bool ntfs_name_usable(const struct ntfs_dirent *d)
{
    if (d->name_len <= 2 && le16_at(d->name, 0) == '.' &&
        (d->name_len == 1 || le16_at(d->name, 2) == '.'))
        return false;
    for (uint32_t i = 0; i < d->name_len; i++) {
        uint16_t u = le16_at(d->name, 2u * i);
        if (u == 0 || u == '/')
            return false;
    }
    return true;
}

static int ntfs_list_cb(struct ntfs_vol *v, const struct ntfs_dirent *d, void *ctx)
{
    struct ntfs_list_ctx *c = ctx;
    struct ntfs_inode in;
    uint64_t no = NTFS_REF_NO(d->ref);

    /* 1. Entries not shown (see the file header). */
    if (d->name_space == NTFS_NS_DOS || no < NTFS_FIRST_USER_NO)
        return 0;
    if (!ntfs_name_usable(d)) {
        pr_warn("ntfs: %s: folder %llu: entry for record %llu has an unusable name, skipped",
                v->name, (unsigned long long)c->dir_no, (unsigned long long)no);
        return 0;
    }
    /* 2. Its record; a damaged or stale one is left out. */
    int rc = ntfs_inode_get(v, no, NTFS_REF_SEQ(d->ref), &in);
    if (rc == ERR_NOENT)
        pr_warn("ntfs: %s: folder %llu: entry for record %llu is stale, skipped", v->name,
                (unsigned long long)c->dir_no, (unsigned long long)no);
    if (rc == 0) {
        rc = ntfs_inode_info(v, &in, &c->info);
        ntfs_inode_put(&in);
    }
    if (rc == ERR_NOENT || rc == ERR_CORRUPT || rc == ERR_NOTSUP)
        return 0; /* logged; the other entries stay visible */
    if (rc)
        return rc;
    ntfs_name_to_utf8(d->name, d->name_len, c->info.name, sizeof(c->info.name));
    return c->fn(&c->info, c->ctx);
}

static int ntfs_op_list(void *fs, const char *path, vfs_list_fn fn, void *ctx)
{
    struct ntfs_vol *v = fs;
    struct ntfs_list_ctx *c = kmalloc(sizeof(*c));
    struct ntfs_inode dir;
    if (!c)
        return ERR_NOMEM;
    c->fn = fn;
    c->ctx = ctx;
    mutex_lock(&v->lock);
    int rc = ntfs_resolve(v, path, &dir);
    if (rc == 0) {
        c->dir_no = dir.no;
        rc = ntfs_index_walk(v, &dir, ntfs_list_cb, c);
        ntfs_inode_put(&dir);
    }
    mutex_unlock(&v->lock);
    kfree(c);
    return rc;
}

static int ntfs_op_get_info(void *fs, const char *path, struct vfs_info *out)
{
    struct ntfs_vol *v = fs;
    struct ntfs_inode in;
    mutex_lock(&v->lock);
    int rc = ntfs_resolve(v, path, &in);
    if (rc == 0) {
        rc = ntfs_inode_info(v, &in, out);
        ntfs_inode_put(&in);
    }
    mutex_unlock(&v->lock);
    if (rc)
        return rc;
    fs_ro_name_from_path(path, out->name, sizeof(out->name)); /* as the path spelt it */
    return 0;
}

static int ntfs_op_statfs(void *fs, struct vfs_statfs *out)
{
    struct ntfs_vol *v = fs;
    memset(out, 0, sizeof(*out));
    kstrlcpy(out->fs_name, "ntfs", sizeof(out->fs_name));
    out->total_bytes = v->b.total_clusters * v->b.cluster_bytes;
    out->free_bytes = v->free_clusters * v->b.cluster_bytes;
    fs_ro_label_copy(out->label, sizeof(out->label), v->label);
    return 0;
}

const struct vfs_fs_ops ntfs_vfs_ops = {
    .read = ntfs_op_read,
    .list = ntfs_op_list,
    .create = fs_ro_create,
    .write = fs_ro_write,
    .set_end = fs_ro_set_end,
    .get_info = ntfs_op_get_info,
    .set_info = fs_ro_set_info,
    .remove = fs_ro_remove,
    .mkdir = fs_ro_mkdir,
    .rename = fs_ro_rename,
    .statfs = ntfs_op_statfs,
    .set_label = fs_ro_set_label,
    .sync = fs_ro_sync,
};
