// SPDX-License-Identifier: MIT
/* ext inodes ("Index Nodes"): find an inode through its group's inode
 * table, check it into a struct ext_inode, read its content (through the
 * block map or extent tree of map.c, or from the inode itself for inline
 * data) and describe it as a struct vfs_info.
 * Policy on bad inodes (STYLE §5), one log line each, all rejected with
 * ERR_CORRUPT (the inode cannot be used; the rest of the volume can): an
 * inode number outside 1..inodes_count, an unknown file type (a free inode
 * named by a directory entry), i_extra_isize beyond the inode or not a
 * multiple of 4 (Linux refuses both), a size beyond 2^32 blocks (no block
 * map or extent tree can address it), a malformed inline-data attribute.
 * Times: seconds are the signed 32-bit field plus the two epoch bits of
 * the _extra field when the inode has one ("Inode Timestamps"); times
 * before 1970 show as 1970-01-01 00:00:00.
 * Locking: the caller holds v->lock. */
#include "fs/ext/ext_priv.h"
#include "fs/fs_time.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#define EXT_INODE_CORE_BYTES 0x98u /* through i_crtime_extra */
#define EXT_EPOCH_MASK 3u

static bool ext_mode_known(uint16_t mode)
{
    switch (mode & EXT_MODE_FMT) {
    case 0x1000: /* fifo */
    case 0x2000: /* character device */
    case EXT_MODE_DIR:
    case 0x6000: /* block device */
    case EXT_MODE_REG:
    case EXT_MODE_LNK:
    case 0xC000: /* socket */
        return true;
    default:
        return false;
    }
}

bool ext_inode_is_dir(const struct ext_inode *in)
{
    return (in->mode & EXT_MODE_FMT) == EXT_MODE_DIR;
}

bool ext_inode_is_symlink(const struct ext_inode *in)
{
    return (in->mode & EXT_MODE_FMT) == EXT_MODE_LNK;
}

/* A time field and, if the inode is large enough, its _extra field. */
static int64_t ext_time(const uint8_t *raw, uint32_t field, uint32_t extra_field,
                        uint32_t extra_isize)
{
    int64_t s = (int32_t)le32_at(raw, field);
    if (extra_field + 4 <= EXT_GOOD_OLD_INODE_BYTES + extra_isize)
        s += (int64_t)(le32_at(raw, extra_field) & EXT_EPOCH_MASK) << 32;
    return s;
}

int ext_inode_get(struct ext_vol *v, uint32_t ino, struct ext_inode *out)
{
    const struct ext_sb *sb = &v->sb;
    uint8_t raw[EXT_INODE_CORE_BYTES];
    uint64_t table;
    int rc;

    /* 1. Where the inode is. */
    memset(out, 0, sizeof(*out));
    if (ino == 0 || ino > sb->inodes_count) {
        pr_warn("ext: %s: inode number out of range (%u, %u inodes)", v->name, ino,
                sb->inodes_count);
        return ERR_CORRUPT;
    }
    uint32_t group = (ino - 1) / sb->inodes_per_group, index = (ino - 1) % sb->inodes_per_group;
    rc = ext_group_inode_table(v, group, &table);
    if (rc)
        return rc;
    out->raw_pos = table * sb->block_bytes + (uint64_t)index * sb->inode_bytes;
    /* 2. The fixed part (and the times of a large inode). */
    uint32_t n = MIN(sb->inode_bytes, EXT_INODE_CORE_BYTES);
    rc = ext_read_bytes(v, out->raw_pos, raw, n, CACHE_SYS);
    if (rc)
        return rc;
    out->ino = ino;
    out->mode = le16_at(raw, IN_MODE);
    out->flags = le32_at(raw, IN_FLAGS);
    out->blocks_lo = le32_at(raw, IN_BLOCKS_LO);
    out->file_acl = le32_at(raw, IN_FILE_ACL_LO);
    out->size = le32_at(raw, IN_SIZE_LO);
    if ((out->mode & EXT_MODE_FMT) == EXT_MODE_REG || (sb->incompat & EXT_INCOMPAT_LARGEDIR))
        out->size |= (uint64_t)le32_at(raw, IN_SIZE_HI) << 32;
    if (sb->inode_bytes > EXT_GOOD_OLD_INODE_BYTES)
        out->extra_isize = le16_at(raw, IN_EXTRA_ISIZE);
    memcpy(out->block, raw + IN_BLOCK, EXT_N_BLOCK_BYTES);
    /* 3. Checks (see the header). */
    if (!ext_mode_known(out->mode)) {
        pr_warn("ext: %s: inode %u is not in use (mode 0%o)", v->name, ino, out->mode);
        return ERR_CORRUPT;
    }
    if (out->extra_isize > sb->inode_bytes - EXT_GOOD_OLD_INODE_BYTES ||
        out->extra_isize % 4 != 0) {
        pr_warn("ext: %s: inode %u has a bad extra size (%u, inode size %u)", v->name, ino,
                out->extra_isize, sb->inode_bytes);
        return ERR_CORRUPT;
    }
    if (out->size >> 32 >= sb->block_bytes) {
        pr_warn("ext: %s: inode %u is too large (%llu bytes)", v->name, ino,
                (unsigned long long)out->size);
        return ERR_CORRUPT;
    }
    if ((out->flags & EXT_FL_INLINE_DATA) && !(sb->incompat & EXT_INCOMPAT_INLINE_DATA)) {
        pr_warn("ext: %s: inode %u has inline data, the volume does not", v->name, ino);
        return ERR_CORRUPT;
    }
    /* 4. Times. */
    uint32_t ex = out->extra_isize;
    out->atime_s = ext_time(raw, IN_ATIME, IN_ATIME_EXTRA, ex);
    out->mtime_s = ext_time(raw, IN_MTIME, IN_MTIME_EXTRA, ex);
    out->ctime_s = ext_time(raw, IN_CTIME, IN_CTIME_EXTRA, ex);
    if (ex >= EXT_EXTRA_CRTIME_END) {
        out->has_crtime = true;
        out->crtime_s = ext_time(raw, IN_CRTIME, IN_CRTIME_EXTRA, ex);
    }
    return 0;
}

/* ---- inline data ("Inline Data") ----------------------------------------------------------- */

/* Find the "system.data" value in the in-inode attribute area ibody[0,len):
 * the magic, then entries up to a zero word; values are addressed from the
 * first entry. *off and *size give the value, or size 0 when there is none. */
static int ext_inline_value(struct ext_vol *v, uint32_t ino, const uint8_t *ibody, uint32_t len,
                            uint32_t *off, uint32_t *size)
{
    *off = *size = 0;
    if (len < 4 || le32_at(ibody, 0) != EXT_XATTR_MAGIC)
        return 0; /* no attributes: the content is i_block alone */
    const uint8_t *base = ibody + 4;
    uint32_t room = len - 4, pos = 0;
    while (pos + 4 <= room && le32_at(base, pos) != 0) {
        if (pos + EXT_XATTR_ENTRY_BYTES > room)
            goto corrupt;
        uint32_t name_len = base[pos], index = base[pos + 1];
        uint32_t voff = le16_at(base, pos + 2), vinum = le32_at(base, pos + 4);
        uint32_t vsize = le32_at(base, pos + 8);
        uint32_t entry = (EXT_XATTR_ENTRY_BYTES + name_len + 3) & ~3u;
        if (entry > room - pos)
            goto corrupt;
        if (index == EXT_XATTR_INDEX_SYSTEM && name_len == 4 &&
            memcmp(base + pos + EXT_XATTR_ENTRY_BYTES, "data", 4) == 0) {
            if (vinum != 0 || voff > room || vsize > room - voff)
                goto corrupt;
            *off = 4 + voff;
            *size = vsize;
            return 0;
        }
        pos += entry;
    }
    return 0;
corrupt:
    pr_warn("ext: %s: inode %u has a malformed attribute area (entry at byte %u)", v->name, ino,
            pos);
    return ERR_CORRUPT;
}

int ext_inode_inline(struct ext_vol *v, const struct ext_inode *in, uint8_t *out, uint32_t cap,
                     uint32_t *len_out)
{
    uint32_t n = MIN(v->sb.inode_bytes, EXT_INODE_READ_MAX), voff, vsize;
    uint32_t body = EXT_GOOD_OLD_INODE_BYTES + in->extra_isize;
    uint8_t *raw;
    int rc;

    if (cap < EXT_INLINE_MAX_BYTES)
        return ERR_INVAL;
    memcpy(out, in->block, EXT_N_BLOCK_BYTES);
    *len_out = EXT_N_BLOCK_BYTES;
    if (body >= n)
        return 0;
    raw = kmalloc(n);
    if (!raw)
        return ERR_NOMEM;
    rc = ext_read_bytes(v, in->raw_pos, raw, n, CACHE_SYS);
    if (rc == 0)
        rc = ext_inline_value(v, in->ino, raw + body, n - body, &voff, &vsize);
    if (rc == 0 && vsize > 0) {
        memcpy(out + EXT_N_BLOCK_BYTES, raw + body + voff, vsize);
        *len_out += vsize;
    }
    kfree(raw);
    return rc;
}

/* ---- content -------------------------------------------------------------------------------- */

static int ext_inline_read(struct ext_vol *v, const struct ext_inode *in, uint64_t off,
                           uint8_t *buf, uint32_t len)
{
    uint8_t *data = kmalloc(EXT_INLINE_MAX_BYTES);
    uint32_t have = 0;
    if (!data)
        return ERR_NOMEM;
    int rc = ext_inode_inline(v, in, data, EXT_INLINE_MAX_BYTES, &have);
    if (rc == 0) {
        /* Past the stored bytes (a size larger than the inline area):
         * zeros, as a hole would read. */
        memset(buf, 0, len);
        if (off < have)
            memcpy(buf, data + off, (size_t)MIN((uint64_t)len, have - off));
    }
    kfree(data);
    return rc;
}

int ext_inode_read(struct ext_vol *v, const struct ext_inode *in, uint64_t off, void *buf,
                   uint32_t len, enum cache_class cls)
{
    uint8_t *p = buf;
    uint32_t bs = v->sb.block_bytes;

    if (in->flags & EXT_FL_INLINE_DATA)
        return ext_inline_read(v, in, off, p, len);
    while (len > 0) {
        struct ext_run run;
        uint64_t lblk = off / bs;
        uint32_t within = (uint32_t)(off % bs);
        int rc = ext_map(v, in, lblk, &run);
        if (rc)
            return rc;
        /* Runs are capped so the byte count below cannot overflow. */
        uint64_t run_bytes = MIN(run.count, (uint64_t)EXT_RUN_MAX_BYTES) * bs - within;
        uint32_t k = (uint32_t)MIN((uint64_t)len, run_bytes);
        if (run.zero)
            memset(p, 0, k);
        else
            rc = ext_read_bytes(v, run.pblk * bs + within, p, k, cls);
        if (rc)
            return rc;
        off += k;
        p += k;
        len -= k;
    }
    return 0;
}

/* ---- information ---------------------------------------------------------------------------- */

void ext_inode_info(const struct ext_inode *in, struct vfs_info *out)
{
    uint16_t fmt = in->mode & EXT_MODE_FMT;
    memset(out, 0, sizeof(*out));
    out->attr = VFS_ATTR_READONLY;
    if (fmt == EXT_MODE_DIR)
        out->attr |= VFS_ATTR_DIR;
    else if (fmt != EXT_MODE_REG && fmt != EXT_MODE_LNK)
        out->attr |= VFS_ATTR_SYSTEM; /* device, fifo, socket: no content here */
    out->size = fmt == EXT_MODE_REG || fmt == EXT_MODE_LNK ? in->size : 0;
    fs_time_from_unix(in->has_crtime ? in->crtime_s : in->ctime_s, &out->ctime);
    fs_time_from_unix(in->mtime_s, &out->mtime);
    fs_time_from_unix(in->atime_s, &out->atime);
}
