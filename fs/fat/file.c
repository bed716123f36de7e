// SPDX-License-Identifier: MIT
/* The file operations of a FAT volume (struct vfs_fs_ops for fs/vfs.c):
 * read, list, create/rewrite, write at any offset, set end, get/set info,
 * delete, mkdir, rename/move, statfs, sync. Each operation takes the volume
 * lock, resolves its path, and - if it changes anything - marks the volume
 * dirty first and writes the FAT back (both copies) before it returns.
 * File data goes through the cache as CACHE_APP (CACHE_DIRECT for reads and
 * writes with VFS_IO_NOCACHE: virtual disk images) in runs of contiguous
 * clusters; metadata as CACHE_SYS.
 * Order of writes for a growing file: FAT chain, then data, then the
 * directory entry, so a crash leaves at worst lost clusters, never a size
 * that covers unwritten clusters.
 * Locking: takes v->lock; a list callback runs with it held. */
#include "fs/fat/fat_priv.h"
#include "fs/fs_bytes.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#define FAT_RUN_MAX_BYTES (1024u * 1024) /* largest single data request */

/* ---- helpers ------------------------------------------------------------------------------- */

static uint32_t fat_ent_size(const uint8_t *raw)
{
    return le32_at(raw, DIR_FILE_SIZE);
}

static void fat_found_info(const struct fat_found *f, struct vfs_info *out)
{
    memset(out, 0, sizeof(*out));
    if (f->is_root) {
        out->attr = VFS_ATTR_DIR;
        return;
    }
    const uint8_t *r = f->raw;
    out->attr = r[DIR_ATTR] & FAT_ATTR_MASK;
    fat_time_decode(le16_at(r, DIR_CRT_DATE), le16_at(r, DIR_CRT_TIME), &out->ctime);
    fat_time_decode(le16_at(r, DIR_LST_ACC_DATE), 0, &out->atime);
    fat_time_decode(le16_at(r, DIR_WRT_DATE), le16_at(r, DIR_WRT_TIME), &out->mtime);
    out->size = (out->attr & VFS_ATTR_DIR) ? 0 : fat_ent_size(r);
    fat_utf16_to_utf8(f->units, f->nunits, out->name, sizeof(out->name));
}

static void fat_touch(uint8_t *raw, bool created)
{
    uint16_t date, time;
    fat_now(&date, &time);
    put_le16(raw, DIR_WRT_DATE, date);
    put_le16(raw, DIR_WRT_TIME, time);
    put_le16(raw, DIR_LST_ACC_DATE, date);
    if (created) {
        put_le16(raw, DIR_CRT_DATE, date);
        put_le16(raw, DIR_CRT_TIME, time);
        raw[DIR_CRT_TIME_TENTH] = 0;
    }
}

static bool fat_found_is_dot(const struct fat_found *f)
{
    return !f->is_root && f->raw[0] == '.' &&
           (f->raw[1] == ' ' || (f->raw[1] == '.' && f->raw[2] == ' '));
}

/* Start a changing operation: lock, then the dirty bit. */
static int fat_change_begin(struct fat_vol *v)
{
    mutex_lock(&v->lock);
    int rc = fat_vol_begin_write(v);
    if (rc)
        mutex_unlock(&v->lock);
    return rc;
}

/* End it: the FAT goes to disk whatever happened; first error wins. */
static int fat_change_end(struct fat_vol *v, int rc)
{
    int frc = fat_table_flush(v);
    mutex_unlock(&v->lock);
    return rc ? rc : frc;
}

/* ---- data ---------------------------------------------------------------------------------- */

/* Bytes [off, off+n) of the contiguous sectors from `base`, through the
 * bounce buffer for partial sectors. */
static int fat_span_io(struct fat_vol *v, uint32_t base, uint32_t off, uint8_t *buf, uint32_t n,
                       bool write, enum cache_class cls)
{
    uint32_t bps = v->bpb.sector_bytes;
    while (n > 0) {
        uint32_t sector = base + off / bps, within = off % bps;
        int rc;
        if (within == 0 && n >= bps) {
            uint32_t count = n / bps;
            rc = write ? fat_io_write(v, sector, count, buf, cls)
                       : fat_io_read(v, sector, count, buf, cls);
            if (rc)
                return rc;
            off += count * bps;
            buf += count * bps;
            n -= count * bps;
            continue;
        }
        uint32_t k = MIN(n, bps - within);
        rc = fat_io_read(v, sector, 1, v->bounce, cls);
        if (rc)
            return rc;
        if (write) {
            memcpy(v->bounce + within, buf, k);
            rc = fat_io_write(v, sector, 1, v->bounce, cls);
            if (rc)
                return rc;
        } else {
            memcpy(buf, v->bounce + within, k);
        }
        off += k;
        buf += k;
        n -= k;
    }
    return 0;
}

/* Bytes [off, off+len) of the chain at `first`, which must cover them. */
static int fat_chain_io(struct fat_vol *v, uint32_t first, uint32_t off, uint8_t *buf,
                        uint32_t len, bool write, enum cache_class cls)
{
    uint32_t cs = v->bpb.cluster_bytes;
    while (len > 0) {
        uint32_t c, within = off % cs;
        int rc = fat_chain_nth(v, first, off / cs, &c);
        if (rc == ERR_EOM) {
            pr_warn("fat: %s: chain at %u ends before byte %u of its file", v->name, first,
                    off);
            return ERR_CORRUPT;
        }
        if (rc)
            return rc;
        /* Extend the run over physically consecutive clusters. */
        uint32_t run_bytes = cs - within, last = c;
        while (run_bytes < len && run_bytes < FAT_RUN_MAX_BYTES) {
            uint32_t next;
            rc = fat_next(v, last, &next);
            if (rc)
                return rc;
            if (next != last + 1)
                break;
            last = next;
            run_bytes += cs;
        }
        uint32_t n = MIN(len, run_bytes);
        rc = fat_span_io(v, fat_cluster_sector(v, c), within, buf, n, write, cls);
        if (rc)
            return rc;
        off += n;
        buf += n;
        len -= n;
    }
    return 0;
}

/* Make the chain of f at least `need` clusters long. On a full volume it
 * grows as far as it can; *have gets the final length. ERR_NOSPC then. */
static int fat_grow(struct fat_vol *v, struct fat_found *f, uint32_t need, uint32_t *have)
{
    uint32_t first = fat_ent_cluster(v, f->raw), len = 0, last = 0, new_first;
    uint32_t cs = v->bpb.cluster_bytes;
    uint32_t size_clusters = (uint32_t)(((uint64_t)fat_ent_size(f->raw) + cs - 1) / cs);
    int rc = 0;

    /* 1. Within the size the chain is long enough (I/O finds out if a damaged
     *    one is not): no walk, so writing a big file is not quadratic. */
    if (first != 0 && need <= size_clusters) {
        *have = need;
        return 0;
    }
    /* 2. The end of the chain: jump to the size's last cluster (the walk
     *    hint makes that cheap for appends), then follow any clusters
     *    allocated beyond the size. */
    if (first != 0) {
        len = MAX(size_clusters, 1u);
        rc = fat_chain_nth(v, first, len - 1, &last);
        if (rc == ERR_EOM) {
            pr_warn("fat: %s: chain at %u shorter than its file (%u clusters)", v->name, first,
                    size_clusters);
            return ERR_CORRUPT;
        }
        for (uint32_t next; rc == 0; last = next) {
            rc = fat_next(v, last, &next);
            if (rc == 0 && next == 0)
                break;
            if (rc == 0 && ++len > v->bpb.clusters) {
                pr_warn("fat: %s: chain from cluster %u loops", v->name, first);
                rc = ERR_CORRUPT;
            }
        }
        if (rc)
            return rc;
    }
    *have = len;
    if (need <= len)
        return 0;
    uint32_t want = need - len, got = MIN(want, fat_free_clusters(v));
    if (got == 0)
        return ERR_NOSPC;
    rc = fat_alloc(v, last, got, &new_first);
    if (rc)
        return rc;
    if (first == 0)
        fat_ent_set_cluster(f->raw, new_first);
    else
        fat_chain_hint(v, first, len - 1, last); /* the prefix did not change */
    *have = len + got;
    return got < want ? ERR_NOSPC : 0;
}

static int fat_write_locked(struct fat_vol *v, struct fat_found *f, uint64_t off,
                            const uint8_t *buf, uint32_t len, enum cache_class cls,
                            uint32_t *done);

/* Zeros from the current end of f up to `end`. */
static int fat_fill_zeros(struct fat_vol *v, struct fat_found *f, uint32_t end,
                          enum cache_class cls)
{
    uint32_t size = fat_ent_size(f->raw);
    while (size < end) {
        uint32_t n = MIN(end - size, v->bpb.cluster_bytes), done = 0;
        int rc = fat_write_locked(v, f, size, v->zero, n, cls, &done);
        if (rc)
            return rc;
        size += n;
    }
    return 0;
}

static int fat_write_locked(struct fat_vol *v, struct fat_found *f, uint64_t off,
                            const uint8_t *buf, uint32_t len, enum cache_class cls,
                            uint32_t *done)
{
    uint32_t cs = v->bpb.cluster_bytes, have = 0;
    int rc, grow_rc;

    *done = 0;
    /* 1. Files end at 4 GiB - 1; a gap after the end is zeros. */
    if (off > VFS_FILE_MAX || len > VFS_FILE_MAX - off)
        return ERR_FBIG;
    uint32_t size = fat_ent_size(f->raw);
    if (off > size) {
        rc = fat_fill_zeros(v, f, (uint32_t)off, cls);
        if (rc)
            return rc;
    }
    if (len == 0)
        return 0;
    /* 2. Clusters first (a full volume clips the write). */
    uint32_t end = (uint32_t)(off + len);
    uint32_t need = (uint32_t)(((uint64_t)end + cs - 1) / cs);
    grow_rc = fat_grow(v, f, need, &have);
    if (grow_rc && grow_rc != ERR_NOSPC)
        return grow_rc;
    if ((uint64_t)have * cs < end)
        end = (uint32_t)MIN((uint64_t)have * cs, (uint64_t)end);
    if (end <= off)
        return grow_rc;
    /* 3. The data. */
    rc = fat_chain_io(v, fat_ent_cluster(v, f->raw), (uint32_t)off, (uint8_t *)buf,
                      end - (uint32_t)off, true, cls);
    if (rc)
        return rc;
    /* 4. The entry: size, first cluster, time, archive bit (commit point). */
    if (end > fat_ent_size(f->raw))
        put_le32(f->raw, DIR_FILE_SIZE, end);
    fat_touch(f->raw, false);
    f->raw[DIR_ATTR] |= VFS_ATTR_ARCHIVE;
    rc = fat_dir_update(v, f);
    if (rc)
        return rc;
    *done = end - (uint32_t)off;
    return grow_rc;
}

/* Cut or extend f to `size` bytes. */
static int fat_set_end_locked(struct fat_vol *v, struct fat_found *f, uint64_t size)
{
    uint32_t cs = v->bpb.cluster_bytes;
    if (size > VFS_FILE_MAX)
        return ERR_FBIG;
    uint32_t old = fat_ent_size(f->raw);
    if (size > old)
        return fat_fill_zeros(v, f, (uint32_t)size, CACHE_APP);
    uint32_t first = fat_ent_cluster(v, f->raw);
    uint32_t keep = (uint32_t)((size + cs - 1) / cs);
    int rc = 0;
    if (first != 0 && keep == 0) {
        rc = fat_free_chain(v, first);
        fat_ent_set_cluster(f->raw, 0);
    } else if (first != 0) {
        uint32_t c;
        rc = fat_chain_nth(v, first, keep - 1, &c);
        if (rc == 0)
            rc = fat_chain_cut(v, c);
        else if (rc == ERR_EOM)
            rc = 0; /* chain already shorter (damaged): nothing to free */
    }
    if (rc)
        return rc;
    put_le32(f->raw, DIR_FILE_SIZE, (uint32_t)size);
    fat_touch(f->raw, false);
    f->raw[DIR_ATTR] |= VFS_ATTR_ARCHIVE;
    return fat_dir_update(v, f);
}

/* A read that reaches the end of a file checks that the chain ends there
 * too: a chain with a loop never ends, so this catches every loop in the
 * part of a file that was read. A chain merely longer than the file is
 * tolerated with a warning (fsck.fat truncates those). */
static int fat_check_chain_end(struct fat_vol *v, uint32_t first, uint32_t size)
{
    uint32_t c, next, len, last;
    int rc = fat_chain_nth(v, first, (size - 1) / v->bpb.cluster_bytes, &c);
    if (rc == 0)
        rc = fat_next(v, c, &next);
    if (rc || next == 0)
        return rc == ERR_EOM ? ERR_CORRUPT : rc;
    rc = fat_chain_length(v, first, &len, &last);
    if (rc == 0)
        pr_warn("fat: %s: chain at %u is longer than its file (%u clusters for %u bytes)",
                v->name, first, len, size);
    return rc;
}

/* ---- the operations ------------------------------------------------------------------------- */

static int fat_op_read(void *fs, const char *path, uint64_t off, void *buf, uint32_t len,
                       unsigned flags, uint32_t *done)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    int rc;

    *done = 0;
    if (!f)
        return ERR_NOMEM;
    mutex_lock(&v->lock);
    rc = fat_lookup(v, path, f);
    if (rc)
        goto out_unlock;
    if (fat_found_is_dir(f)) {
        rc = ERR_ISDIR;
        goto out_unlock;
    }
    uint32_t size = fat_ent_size(f->raw);
    if (off >= size) {
        rc = ERR_EOM;
        goto out_unlock;
    }
    uint32_t n = (uint32_t)MIN((uint64_t)len, size - off);
    rc = fat_chain_io(v, fat_ent_cluster(v, f->raw), (uint32_t)off, buf, n, false,
                      fs_bytes_data_class(flags));
    if (rc == 0 && off + n == size)
        rc = fat_check_chain_end(v, fat_ent_cluster(v, f->raw), size);
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

struct fat_list_ctx {
    vfs_list_fn fn;
    void *ctx;
    struct vfs_info info;
};

static int fat_list_cb(struct fat_vol *v, const struct fat_found *f, void *ctx)
{
    struct fat_list_ctx *c = ctx;
    (void)v;
    if (fat_found_is_dot(f))
        return 0;
    fat_found_info(f, &c->info);
    return c->fn(&c->info, c->ctx);
}

static int fat_op_list(void *fs, const char *path, vfs_list_fn fn, void *ctx)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    struct fat_list_ctx *c = kmalloc(sizeof(*c));
    struct fat_dir dir;
    int rc = ERR_NOMEM;

    if (!f || !c)
        goto out_free;
    c->fn = fn;
    c->ctx = ctx;
    mutex_lock(&v->lock);
    rc = fat_lookup(v, path, f);
    if (rc == 0 && !fat_found_is_dir(f))
        rc = ERR_NOTDIR;
    if (rc == 0)
        rc = fat_found_dir(v, f, &dir);
    if (rc == 0)
        rc = fat_dir_walk(v, dir, fat_list_cb, c);
    mutex_unlock(&v->lock);
out_free:
    kfree(f);
    kfree(c);
    return rc;
}

/* Create the entry for a new file or folder at path (must not exist). */
static int fat_new_entry(struct fat_vol *v, const char *path, uint8_t attr, uint32_t cluster,
                         struct fat_found *out, struct fat_dir *parent_out)
{
    uint16_t *u = kmalloc((FAT_NAME_UNITS + 1) * sizeof(uint16_t));
    uint8_t raw[FAT_DIRENT_BYTES];
    struct fat_dir dir;
    size_t n;
    int rc;

    if (!u)
        return ERR_NOMEM;
    rc = fat_lookup_parent(v, path, &dir, u, &n);
    if (rc == 0) {
        rc = fat_dir_find(v, dir, u, n, out);
        rc = rc == 0 ? ERR_EXIST : rc == ERR_NOENT ? 0 : rc;
    }
    if (rc == 0) {
        memset(raw, 0, sizeof(raw));
        raw[DIR_ATTR] = attr;
        fat_ent_set_cluster(raw, cluster);
        fat_touch(raw, true);
        rc = fat_dir_add(v, dir, u, n, raw, out);
    }
    if (rc == 0 && parent_out)
        *parent_out = dir;
    kfree(u);
    return rc;
}

static int fat_op_create(void *fs, const char *path, const void *buf, uint32_t len,
                         uint32_t *done)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    int rc;

    *done = 0;
    if (!f)
        return ERR_NOMEM;
    rc = fat_change_begin(v);
    if (rc)
        goto out_free;
    /* 1. An existing file is cut to zero; else a new entry. */
    rc = fat_lookup(v, path, f);
    if (rc == 0) {
        if (fat_found_is_dir(f))
            rc = ERR_ISDIR;
        else
            rc = fat_set_end_locked(v, f, 0);
    } else if (rc == ERR_NOENT) {
        rc = fat_new_entry(v, path, VFS_ATTR_ARCHIVE, 0, f, NULL);
    }
    /* 2. The data. */
    if (rc == 0)
        rc = fat_write_locked(v, f, 0, buf, len, CACHE_APP, done);
    rc = fat_change_end(v, rc);
out_free:
    kfree(f);
    return rc;
}

static int fat_op_write(void *fs, const char *path, uint64_t off, const void *buf,
                        uint32_t len, unsigned flags, uint32_t *done)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    int rc;

    *done = 0;
    if (!f)
        return ERR_NOMEM;
    rc = fat_change_begin(v);
    if (rc)
        goto out_free;
    rc = fat_lookup(v, path, f);
    if (rc == 0 && fat_found_is_dir(f))
        rc = ERR_ISDIR;
    if (rc == 0)
        rc = fat_write_locked(v, f, off, buf, len, fs_bytes_data_class(flags), done);
    rc = fat_change_end(v, rc);
out_free:
    kfree(f);
    return rc;
}

static int fat_op_set_end(void *fs, const char *path, uint64_t size)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    int rc;

    if (!f)
        return ERR_NOMEM;
    rc = fat_change_begin(v);
    if (rc)
        goto out_free;
    rc = fat_lookup(v, path, f);
    if (rc == 0 && fat_found_is_dir(f))
        rc = ERR_ISDIR;
    if (rc == 0)
        rc = fat_set_end_locked(v, f, size);
    rc = fat_change_end(v, rc);
out_free:
    kfree(f);
    return rc;
}

static int fat_op_get_info(void *fs, const char *path, struct vfs_info *out)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    if (!f)
        return ERR_NOMEM;
    mutex_lock(&v->lock);
    int rc = fat_lookup(v, path, f);
    if (rc == 0)
        fat_found_info(f, out);
    mutex_unlock(&v->lock);
    kfree(f);
    return rc;
}

static int fat_op_set_info(void *fs, const char *path, const struct vfs_info *in)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    uint16_t date, time;
    int rc;

    if (!f)
        return ERR_NOMEM;
    rc = fat_change_begin(v);
    if (rc)
        goto out_free;
    rc = fat_lookup(v, path, f);
    if (rc == 0 && (f->is_root || fat_found_is_dot(f)))
        rc = ERR_ACCESS;
    if (rc == 0) {
        uint8_t keep = f->raw[DIR_ATTR] & (VFS_ATTR_DIR | VFS_ATTR_VOLUME);
        uint8_t settable = VFS_ATTR_READONLY | VFS_ATTR_HIDDEN | VFS_ATTR_SYSTEM |
                           VFS_ATTR_ARCHIVE;
        f->raw[DIR_ATTR] = (uint8_t)(keep | (in->attr & settable));
        fat_time_encode(&in->ctime, &date, &time);
        put_le16(f->raw, DIR_CRT_DATE, date);
        put_le16(f->raw, DIR_CRT_TIME, time);
        fat_time_encode(&in->atime, &date, &time);
        put_le16(f->raw, DIR_LST_ACC_DATE, date);
        fat_time_encode(&in->mtime, &date, &time);
        put_le16(f->raw, DIR_WRT_DATE, date);
        put_le16(f->raw, DIR_WRT_TIME, time);
        rc = fat_dir_update(v, f);
    }
    rc = fat_change_end(v, rc);
out_free:
    kfree(f);
    return rc;
}

static int fat_op_remove(void *fs, const char *path)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    int rc;

    if (!f)
        return ERR_NOMEM;
    rc = fat_change_begin(v);
    if (rc)
        goto out_free;
    /* 1. Find it; the root and dot entries cannot go. */
    rc = fat_lookup(v, path, f);
    if (rc == 0 && (f->is_root || fat_found_is_dot(f)))
        rc = ERR_ACCESS;
    /* 2. A folder must be empty. */
    if (rc == 0 && fat_found_is_dir(f)) {
        struct fat_dir dir;
        bool empty = false;
        rc = fat_found_dir(v, f, &dir);
        if (rc == 0)
            rc = fat_dir_is_empty(v, dir, &empty);
        if (rc == 0 && !empty)
            rc = ERR_NOTEMPTY;
    }
    /* 3. Entries first, then the clusters (a crash leaves lost clusters). */
    if (rc == 0)
        rc = fat_dir_remove(v, f);
    if (rc == 0 && fat_ent_cluster(v, f->raw) != 0)
        rc = fat_free_chain(v, fat_ent_cluster(v, f->raw));
    rc = fat_change_end(v, rc);
out_free:
    kfree(f);
    return rc;
}

static int fat_op_mkdir(void *fs, const char *path)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    struct fat_dir parent;
    uint32_t c = 0;
    int rc;

    if (!f)
        return ERR_NOMEM;
    rc = fat_change_begin(v);
    if (rc)
        goto out_free;
    /* 1. The parent folder (for ".."), and a fresh cluster. */
    uint16_t *u = kmalloc((FAT_NAME_UNITS + 1) * sizeof(uint16_t));
    size_t n;
    rc = u ? fat_lookup_parent(v, path, &parent, u, &n) : ERR_NOMEM;
    kfree(u);
    if (rc == 0)
        rc = fat_alloc(v, 0, 1, &c);
    /* 2. Zeroed, with "." and ".." (FAT spec §6.7: ".." of a top-level folder is
     *    0), and written back before any entry refers to it (fat_priv.h). */
    if (rc == 0)
        rc = fat_zero_cluster(v, c);
    if (rc == 0) {
        uint8_t *s = v->bounce;
        memset(s, 0, v->bpb.sector_bytes);
        memset(s, ' ', 11);
        s[0] = '.';
        s[DIR_ATTR] = VFS_ATTR_DIR;
        fat_touch(s, true);
        fat_ent_set_cluster(s, c);
        memcpy(s + FAT_DIRENT_BYTES, s, FAT_DIRENT_BYTES);
        s[FAT_DIRENT_BYTES + 1] = '.';
        fat_ent_set_cluster(s + FAT_DIRENT_BYTES,
                            parent.first == fat_root_dir(v).first ? 0 : parent.first);
        rc = fat_io_write(v, fat_cluster_sector(v, c), 1, s, CACHE_SYS);
    }
    if (rc == 0)
        rc = fat_table_flush(v);
    if (rc == 0)
        rc = cache_sync(v->m);
    /* 3. The entry in the parent. */
    if (rc == 0)
        rc = fat_new_entry(v, path, VFS_ATTR_DIR, c, f, &parent);
    if (rc && c)
        fat_free_chain(v, c);
    rc = fat_change_end(v, rc);
out_free:
    kfree(f);
    return rc;
}

static int fat_op_rename(void *fs, const char *from, const char *to)
{
    struct fat_vol *v = fs;
    struct fat_found *f = kmalloc(sizeof(*f));
    struct fat_found *other = kmalloc(sizeof(*other));
    uint16_t *u = kmalloc((FAT_NAME_UNITS + 1) * sizeof(uint16_t));
    struct fat_dir dir, moved;
    size_t n;
    int rc = ERR_NOMEM;

    if (!f || !other || !u)
        goto out_free;
    rc = fat_change_begin(v);
    if (rc)
        goto out_free;
    /* 1. Source, destination folder and name. */
    rc = fat_lookup(v, from, f);
    if (rc == 0 && (f->is_root || fat_found_is_dot(f)))
        rc = ERR_ACCESS;
    if (rc == 0)
        rc = fat_lookup_parent(v, to, &dir, u, &n);
    /* 2. The name may only be taken by the source itself (a case change). */
    if (rc == 0) {
        rc = fat_dir_find(v, dir, u, n, other);
        if (rc == 0 && (other->parent.first != f->parent.first || other->index != f->index))
            rc = ERR_EXIST;
        else if (rc == 0 || rc == ERR_NOENT)
            rc = 0;
    }
    /* 3. A folder cannot move into its own subtree. */
    bool is_dir = fat_found_is_dir(f);
    if (rc == 0 && is_dir) {
        bool inside = false;
        rc = fat_found_dir(v, f, &moved);
        if (rc == 0)
            rc = fat_dir_is_inside(v, dir, moved.first, &inside);
        if (rc == 0 && inside)
            rc = ERR_INVAL;
    }
    /* 4. New entry, written back; then drop the old one (a crash leaves the
     *    file twice, never lost: fat_priv.h), then fix "..". */
    if (rc == 0)
        rc = fat_dir_add(v, dir, u, n, f->raw, other);
    if (rc == 0) {
        rc = fat_table_flush(v);
        if (rc == 0)
            rc = cache_sync(v->m);
        if (rc) /* not durable: undo the add, the old entry stays the only one */
            fat_dir_remove(v, other);
    }
    if (rc == 0)
        rc = fat_dir_remove(v, f);
    if (rc == 0 && is_dir && dir.first != f->parent.first)
        rc = fat_dir_set_dotdot(v, moved, dir);
    rc = fat_change_end(v, rc);
out_free:
    kfree(f);
    kfree(other);
    kfree(u);
    return rc;
}

static int fat_op_statfs(void *fs, struct vfs_statfs *out)
{
    struct fat_vol *v = fs;
    memset(out, 0, sizeof(*out));
    mutex_lock(&v->lock);
    out->total_bytes = (uint64_t)v->bpb.clusters * v->bpb.cluster_bytes;
    out->free_bytes = (uint64_t)fat_free_clusters(v) * v->bpb.cluster_bytes;
    int rc = fat_dir_label(v, out->label, sizeof(out->label));
    mutex_unlock(&v->lock);
    switch (v->bpb.type) {
    case FAT_TYPE_12:
        kstrlcpy(out->fs_name, "fat12", sizeof(out->fs_name));
        break;
    case FAT_TYPE_16:
        kstrlcpy(out->fs_name, "fat16", sizeof(out->fs_name));
        break;
    default:
        kstrlcpy(out->fs_name, "fat32", sizeof(out->fs_name));
        break;
    }
    return rc;
}

/* A label as FAT stores it: up to 11 printable ASCII characters, upper-cased,
 * none of the characters 8.3 names forbid, blank-padded. "" = no label. */
static int fat_label_encode(const char *label, uint8_t out[11])
{
    size_t n = strlen(label);
    if (n > 11)
        return ERR_NAMETOOLONG;
    memset(out, ' ', 11);
    for (size_t i = 0; i < n; i++) {
        char c = label[i];
        if ((uint8_t)c < 0x20 || (uint8_t)c > 0x7E || strchr("\"*+,./:;<=>?[\\]|", c))
            return ERR_INVAL;
        out[i] = (uint8_t)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    if (n > 0 && label[0] == ' ')
        return ERR_INVAL;
    return 0;
}

/* Write the label into a boot sector (and FAT32's backup copy) that has the
 * extended boot signature; older boot sectors have no label field. */
static int fat_bpb_set_label(struct fat_vol *v, const uint8_t name11[11])
{
    int rc = fat_io_read(v, 0, 1, v->bounce, CACHE_SYS);
    if (rc || v->bounce[v->bpb.state_offset + 1] != 0x29)
        return rc;
    uint32_t backup = v->bpb.type == FAT_TYPE_32 ? le16_at(v->bounce, BPB32_BK_BOOT_SEC) : 0;
    bool blank = name11[0] == ' ';
    memcpy(v->bounce + v->bpb.state_offset + 6, blank ? (const uint8_t *)"NO NAME    " : name11,
           11);
    rc = fat_io_write(v, 0, 1, v->bounce, CACHE_SYS);
    if (rc == 0 && backup != 0 && backup < v->bpb.fat_first)
        rc = fat_io_write(v, backup, 1, v->bounce, CACHE_SYS);
    return rc;
}

static int fat_op_set_label(void *fs, const char *label)
{
    struct fat_vol *v = fs;
    uint8_t name11[11];
    int rc = fat_label_encode(label, name11);
    if (rc)
        return rc;
    rc = fat_change_begin(v);
    if (rc)
        return rc;
    /* Directory entry first (what Windows and mtools show), then the BPB. */
    rc = fat_dir_set_label(v, name11);
    if (rc == 0)
        rc = fat_bpb_set_label(v, name11);
    if (rc == 0) {
        size_t n = 11;
        while (n > 0 && name11[n - 1] == ' ')
            n--;
        memcpy(v->bpb.label, name11, n);
        v->bpb.label[n] = '\0';
    }
    return fat_change_end(v, rc);
}

static int fat_op_sync(void *fs)
{
    struct fat_vol *v = fs;
    mutex_lock(&v->lock);
    int rc = fat_vol_sync_locked(v);
    mutex_unlock(&v->lock);
    return rc;
}

const struct vfs_fs_ops fat_vfs_ops = {
    .read = fat_op_read,
    .list = fat_op_list,
    .create = fat_op_create,
    .write = fat_op_write,
    .set_end = fat_op_set_end,
    .get_info = fat_op_get_info,
    .set_info = fat_op_set_info,
    .remove = fat_op_remove,
    .mkdir = fat_op_mkdir,
    .rename = fat_op_rename,
    .statfs = fat_op_statfs,
    .set_label = fat_op_set_label,
    .sync = fat_op_sync,
};
