// SPDX-License-Identifier: MIT
/* ext directories ("Directory Entries"): the linear walk over the entries
 * of a directory, block by block (or over the inline area of an inline-data
 * directory), and the lookup of one name in one directory. Hashed (htree)
 * directories are walked the same way: their index blocks look like one
 * unused entry spanning the block, and the root block's ".." entry spans
 * the index ("Hash Tree Directories"), so every real entry is seen once.
 * The checksum tail of a metadata_csum block is an unused entry as well.
 * Policy on bad entries (STYLE §5), one log line each:
 *  - rec_len below 12, not a multiple of 4, past the end of its block, or
 *    too short for its name; an inode number above inodes_count: reject the
 *    directory (ERR_CORRUPT), since the next entry cannot be found safely;
 *  - a name holding NUL or '/', or an empty name: the entry is skipped
 *    (it could not be named in a path), the rest stays usable;
 *  - a directory larger than EXT_DIR_MAX_BYTES: reject;
 *  - a hole in a directory: skipped (Linux tolerates them since largedir).
 * Locking: the caller holds v->lock. Walks allocate their own block buffer,
 * so a callback may look other paths up. */
#include "fs/ext/ext_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#define EXT_DIRENT_MIN_BYTES 12u  /* header + a name of up to 4 bytes */
#define EXT_FT_DIR 2u             /* file_type of a directory */
#define EXT_INLINE_PARENT_BYTES 4u /* an inline directory starts with its parent's number */
#define EXT_MAX_REC_LEN 65535u    /* rec_len of a 64 KiB block's only entry */

/* rec_len as stored -> bytes ("Linear Directories": 64 KiB blocks keep the
 * top bits in the low two). */
static uint32_t ext_rec_len(uint32_t raw, uint32_t block_bytes)
{
    if (block_bytes < 65536)
        return raw;
    if (raw == EXT_MAX_REC_LEN || raw == 0)
        return 65536;
    return (raw & 65532u) | ((raw & 3u) << 16);
}

static bool ext_name_ok(const uint8_t *name, uint32_t len)
{
    if (len == 0)
        return false;
    for (uint32_t i = 0; i < len; i++) {
        if (name[i] == '\0' || name[i] == '/')
            return false;
    }
    return true;
}

/* Report one entry whose header was checked; skips unusable names. */
static int ext_dir_emit(struct ext_vol *v, const struct ext_inode *dir, uint32_t ino,
                        uint8_t type, const uint8_t *name, uint32_t name_len, ext_dir_fn fn,
                        void *ctx, struct ext_dirent *d)
{
    if (!ext_name_ok(name, name_len)) {
        pr_warn("ext: %s: directory %u: entry for inode %u has an unusable name, skipped",
                v->name, dir->ino, ino);
        return 0;
    }
    d->ino = ino;
    d->type = type;
    d->name_len = name_len;
    memcpy(d->name, name, name_len);
    d->name[name_len] = '\0';
    return fn(v, d, ctx);
}

/* The entries of one block (or inline area) of n bytes at byte `base` of
 * the directory. */
static int ext_dir_region(struct ext_vol *v, const struct ext_inode *dir, const uint8_t *buf,
                          uint32_t n, uint64_t base, ext_dir_fn fn, void *ctx,
                          struct ext_dirent *d)
{
    bool filetype = (v->sb.incompat & EXT_INCOMPAT_FILETYPE) != 0;
    uint32_t pos = 0;

    while (pos < n) {
        /* 1. The header, if a whole minimal entry is left. */
        uint32_t ino = 0, rec = 0, name_len = 0;
        if (n - pos >= EXT_DIRENT_MIN_BYTES) {
            ino = le32_at(buf, pos);
            rec = ext_rec_len(le16_at(buf, pos + 4), v->sb.block_bytes);
            name_len = filetype ? buf[pos + 6] : le16_at(buf, pos + 6);
        }
        /* 2. Its length and inode number (see the header for the policy). */
        if (rec < EXT_DIRENT_MIN_BYTES || rec % 4 != 0 || rec > n - pos ||
            name_len > EXT_NAME_MAX || (ino != 0 && EXT_DIRENT_HDR_BYTES + name_len > rec)) {
            pr_warn("ext: %s: directory %u: bad entry at byte %llu (rec_len %u, name_len %u)",
                    v->name, dir->ino, (unsigned long long)(base + pos), rec, name_len);
            return ERR_CORRUPT;
        }
        if (ino > v->sb.inodes_count) {
            pr_warn("ext: %s: directory %u: entry at byte %llu names inode %u (of %u)",
                    v->name, dir->ino, (unsigned long long)(base + pos), ino,
                    v->sb.inodes_count);
            return ERR_CORRUPT;
        }
        /* 3. A used entry goes to fn; unused ones (inode 0) are skipped. */
        if (ino != 0) {
            int rc = ext_dir_emit(v, dir, ino, filetype ? buf[pos + 7] : 0,
                                  buf + pos + EXT_DIRENT_HDR_BYTES, name_len, fn, ctx, d);
            if (rc)
                return rc;
        }
        pos += rec;
    }
    return 0;
}

/* "Inline Directories": the parent's number, then entries in the rest of
 * i_block and in the system.data value. "." and ".." are not stored. */
static int ext_dir_walk_inline(struct ext_vol *v, const struct ext_inode *dir, ext_dir_fn fn,
                               void *ctx, struct ext_dirent *d)
{
    uint8_t *data = kmalloc(EXT_INLINE_MAX_BYTES);
    uint32_t len = 0;
    int rc;

    if (!data)
        return ERR_NOMEM;
    rc = ext_inode_inline(v, dir, data, EXT_INLINE_MAX_BYTES, &len);
    if (rc)
        goto out_free;
    uint32_t parent = le32_at(data, 0);
    if (parent == 0 || parent > v->sb.inodes_count) {
        pr_warn("ext: %s: inline directory %u has a bad parent (%u)", v->name, dir->ino,
                parent);
        rc = ERR_CORRUPT;
        goto out_free;
    }
    rc = ext_dir_emit(v, dir, dir->ino, EXT_FT_DIR, (const uint8_t *)".", 1, fn, ctx, d);
    if (rc == 0)
        rc = ext_dir_emit(v, dir, parent, EXT_FT_DIR, (const uint8_t *)"..", 2, fn, ctx, d);
    if (rc == 0)
        rc = ext_dir_region(v, dir, data + EXT_INLINE_PARENT_BYTES,
                            EXT_N_BLOCK_BYTES - EXT_INLINE_PARENT_BYTES,
                            EXT_INLINE_PARENT_BYTES, fn, ctx, d);
    if (rc == 0 && len > EXT_N_BLOCK_BYTES)
        rc = ext_dir_region(v, dir, data + EXT_N_BLOCK_BYTES, len - EXT_N_BLOCK_BYTES,
                            EXT_N_BLOCK_BYTES, fn, ctx, d);
out_free:
    kfree(data);
    return rc;
}

int ext_dir_walk(struct ext_vol *v, const struct ext_inode *dir, ext_dir_fn fn, void *ctx)
{
    uint32_t bs = v->sb.block_bytes;
    struct ext_dirent *d;
    uint8_t *blk = NULL;
    int rc = ERR_NOMEM;

    /* 1. A directory of a size we walk. */
    if (!ext_inode_is_dir(dir))
        return ERR_NOTDIR;
    if (dir->size > EXT_DIR_MAX_BYTES) {
        pr_warn("ext: %s: directory %u too large (%llu bytes, at most %u)", v->name, dir->ino,
                (unsigned long long)dir->size, EXT_DIR_MAX_BYTES);
        return ERR_CORRUPT;
    }
    d = kmalloc(sizeof(*d));
    if (!d)
        return ERR_NOMEM;
    /* 2. Inline: the entries live in the inode. */
    if (dir->flags & EXT_FL_INLINE_DATA) {
        rc = ext_dir_walk_inline(v, dir, fn, ctx, d);
        goto out_free;
    }
    blk = kmalloc(bs);
    if (!blk)
        goto out_free;
    /* 3. One block at a time; a size that is not a whole number of blocks
     *    (never written by Linux) ends with the bytes it covers. A hole
     *    (or an uninitialized extent) holds no entries and is skipped, as
     *    Linux's readdir does: e2fsck may leave holes in large folders. */
    rc = 0;
    for (uint64_t off = 0; off < dir->size && rc == 0;) {
        struct ext_run run;
        rc = ext_map(v, dir, off / bs, &run);
        if (rc)
            break;
        if (run.zero) {
            off += MIN(run.count, (uint64_t)EXT_DIR_MAX_BYTES) * bs;
            continue;
        }
        /* 4. Every block of the run, mapped once (the run is a copy, so a
         *    callback's own lookups may reuse the mapping scratch). */
        for (uint64_t i = 0; i < run.count && off < dir->size && rc == 0; i++) {
            uint32_t n = (uint32_t)MIN((uint64_t)bs, dir->size - off);
            rc = ext_read_bytes(v, (run.pblk + i) * bs, blk, n, CACHE_SYS);
            if (rc == 0)
                rc = ext_dir_region(v, dir, blk, n, off, fn, ctx, d);
            off += bs;
        }
    }
out_free:
    kfree(blk);
    kfree(d);
    return rc;
}

struct ext_find {
    const char *name;
    size_t len;
    uint32_t ino;
};

static int ext_find_cb(struct ext_vol *v, const struct ext_dirent *d, void *ctx)
{
    struct ext_find *f = ctx;
    (void)v;
    if (d->name_len != f->len || memcmp(d->name, f->name, f->len) != 0)
        return 0;
    f->ino = d->ino;
    return 1;
}

int ext_dir_find(struct ext_vol *v, const struct ext_inode *dir, const char *name, size_t len,
                 uint32_t *ino_out)
{
    struct ext_find f = { name, len, 0 };
    if (len == 0 || len > EXT_NAME_MAX)
        return ERR_NOENT;
    int rc = ext_dir_walk(v, dir, ext_find_cb, &f);
    if (rc == 1) {
        *ino_out = f.ino;
        return 0;
    }
    return rc ? rc : ERR_NOENT;
}
