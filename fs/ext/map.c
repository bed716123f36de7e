// SPDX-License-Identifier: MIT
/* File block mapping: logical block -> run of physical blocks, through the
 * extent tree of an EXT_FL_EXTENTS inode ("Extent Tree") or the classic
 * block map otherwise ("Direct/Indirect Block Addressing": 12 direct
 * pointers, then one single, one double and one triple indirect block).
 * A run is as long as the mapping stays contiguous (to the end of an
 * extent, or over consecutive pointers of one indirect block), so a
 * sequential read asks once per extent rather than once per block. Holes
 * (a zero pointer, a gap between extents) and uninitialized extents come
 * back as runs that read as zeros.
 * Policy (STYLE §5): a tree node with a bad magic, more entries than fit,
 * a depth that does not go down by one per level or starts above
 * EXT_EXTENT_MAX_DEPTH, an empty index, an empty extent, or any pointer or
 * extent outside the volume: reject the read (ERR_CORRUPT, one log line).
 * The depth check bounds every walk; nothing here loops on disk data.
 * Locking: the caller holds v->lock; v->map_blk is used as scratch. */
#include "fs/ext/ext_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"

/* Extent header / index / leaf fields ("Extent Tree"). */
enum { EH_MAGIC = 0, EH_ENTRIES = 2, EH_MAX = 4, EH_DEPTH = 6 };
enum { EI_BLOCK = 0, EI_LEAF_LO = 4, EI_LEAF_HI = 8 };
enum { EE_BLOCK = 0, EE_LEN = 4, EE_START_HI = 6, EE_START_LO = 8 };

#define EXT_HOLE_TO_END ((uint64_t)1 << 32) /* a hole with nothing mapped after it */

static int ext_map_bad(struct ext_vol *v, const struct ext_inode *in, const char *what,
                       uint64_t value)
{
    pr_warn("ext: %s: inode %u: %s (%llu)", v->name, in->ino, what, (unsigned long long)value);
    return ERR_CORRUPT;
}

/* A physical range that data may occupy: inside the volume, not block 0. */
static bool ext_blocks_ok(const struct ext_vol *v, uint64_t start, uint64_t count)
{
    return start != 0 && start < v->sb.blocks_count && count <= v->sb.blocks_count - start;
}

static void ext_run_zero(struct ext_run *out, uint64_t count)
{
    out->pblk = 0;
    out->count = count ? count : 1;
    out->zero = true;
}

/* ---- extent tree ---------------------------------------------------------------------------- */

/* Check the header of a node of node_bytes bytes; *entries, *depth. */
static int ext_node_check(struct ext_vol *v, const struct ext_inode *in, const uint8_t *node,
                          uint32_t node_bytes, int want_depth, uint32_t *entries,
                          uint32_t *depth)
{
    uint32_t cap = (node_bytes - EXT_EXTENT_ENTRY_BYTES) / EXT_EXTENT_ENTRY_BYTES;
    if (le16_at(node, EH_MAGIC) != EXT_EXTENT_MAGIC)
        return ext_map_bad(v, in, "bad extent header magic", le16_at(node, EH_MAGIC));
    *entries = le16_at(node, EH_ENTRIES);
    *depth = le16_at(node, EH_DEPTH);
    if (le16_at(node, EH_MAX) > cap || *entries > le16_at(node, EH_MAX))
        return ext_map_bad(v, in, "extent node has too many entries", *entries);
    if ((want_depth < 0 && *depth > EXT_EXTENT_MAX_DEPTH) ||
        (want_depth >= 0 && *depth != (uint32_t)want_depth))
        return ext_map_bad(v, in, "bad extent tree depth", *depth);
    return 0;
}

/* The leaf: the extent holding lblk, or the hole up to the next one. */
static int ext_map_leaf(struct ext_vol *v, const struct ext_inode *in, const uint8_t *node,
                        uint32_t entries, uint64_t lblk, uint64_t next, struct ext_run *out)
{
    for (uint32_t i = 0; i < entries; i++) {
        const uint8_t *e = node + EXT_EXTENT_ENTRY_BYTES * (i + 1);
        uint64_t first = le32_at(e, EE_BLOCK);
        uint32_t raw_len = le16_at(e, EE_LEN);
        bool uninit = raw_len > EXT_EXTENT_INIT_MAX;
        uint32_t len = uninit ? raw_len - EXT_EXTENT_INIT_MAX : raw_len;
        uint64_t start = le32_at(e, EE_START_LO) | ((uint64_t)le16_at(e, EE_START_HI) << 32);
        if (first > lblk) {
            next = MIN(next, first);
            break;
        }
        if (lblk >= first + len)
            continue;
        if (len == 0 || !ext_blocks_ok(v, start, len))
            return ext_map_bad(v, in, "extent outside the volume", start);
        out->pblk = uninit ? 0 : start + (lblk - first);
        out->count = first + len - lblk;
        out->zero = uninit;
        return 0;
    }
    ext_run_zero(out, next - lblk);
    return 0;
}

static int ext_map_extents(struct ext_vol *v, const struct ext_inode *in, uint64_t lblk,
                           struct ext_run *out)
{
    const uint8_t *node = in->block;
    uint32_t node_bytes = EXT_N_BLOCK_BYTES, entries = 0, depth = 0;
    uint64_t next = EXT_HOLE_TO_END; /* first logical block a later entry covers */
    int want = -1;

    if (lblk >= EXT_HOLE_TO_END) {
        ext_run_zero(out, 1); /* extents address 32-bit logical blocks only */
        return 0;
    }
    /* 1. One level per iteration; the depth check bounds the loop. */
    for (;;) {
        int rc = ext_node_check(v, in, node, node_bytes, want, &entries, &depth);
        if (rc)
            return rc;
        if (depth == 0) /* 2. A leaf: the extent, or a hole. */
            return ext_map_leaf(v, in, node, entries, lblk, next, out);
        /* 3. An index: the last entry starting at or before lblk. */
        if (entries == 0)
            return ext_map_bad(v, in, "empty extent index", depth);
        uint32_t pick = entries;
        for (uint32_t i = 0; i < entries; i++) {
            const uint8_t *e = node + EXT_EXTENT_ENTRY_BYTES * (i + 1);
            if (le32_at(e, EI_BLOCK) > lblk) {
                next = MIN(next, (uint64_t)le32_at(e, EI_BLOCK));
                break;
            }
            pick = i;
        }
        if (pick == entries) {
            ext_run_zero(out, next - lblk); /* before the first child */
            return 0;
        }
        const uint8_t *e = node + EXT_EXTENT_ENTRY_BYTES * (pick + 1);
        uint64_t child = le32_at(e, EI_LEAF_LO) | ((uint64_t)le16_at(e, EI_LEAF_HI) << 32);
        if (!ext_blocks_ok(v, child, 1))
            return ext_map_bad(v, in, "extent index points outside the volume", child);
        /* 4. Down one level (the child's position was taken above, so the
         *    scratch block may be overwritten). */
        rc = ext_read_bytes(v, child * v->sb.block_bytes, v->map_blk, v->sb.block_bytes,
                            CACHE_SYS);
        if (rc)
            return rc;
        node = v->map_blk;
        node_bytes = v->sb.block_bytes;
        want = (int)depth - 1;
    }
}

/* ---- block map ------------------------------------------------------------------------------ */

/* Extend a data run over the following pointers of the same table. */
static void ext_extend(struct ext_vol *v, const uint8_t *table, uint32_t idx, uint32_t n,
                       uint64_t ptr, struct ext_run *out)
{
    out->pblk = ptr;
    out->count = 1;
    out->zero = false;
    for (uint32_t i = idx + 1; i < n; i++) {
        uint64_t p = le32_at(table, 4 * i);
        if (p != ptr + out->count || !ext_blocks_ok(v, p, 1))
            break;
        out->count++;
    }
}

/* A hole at table[idx]: as long as the zero pointers that follow. */
static void ext_zeros(const uint8_t *table, uint32_t idx, uint32_t n, struct ext_run *out)
{
    uint64_t count = 1;
    for (uint32_t i = idx + 1; i < n && le32_at(table, 4 * i) == 0; i++)
        count++;
    ext_run_zero(out, count);
}

static int ext_map_blockmap(struct ext_vol *v, const struct ext_inode *in, uint64_t lblk,
                            struct ext_run *out)
{
    uint64_t per = v->sb.block_bytes / 4, span = 1, rel = lblk - EXT_NDIR_BLOCKS;
    unsigned level;

    /* 1. Direct pointers. */
    if (lblk < EXT_NDIR_BLOCKS) {
        uint64_t p = le32_at(in->block, 4 * lblk);
        if (p == 0) {
            ext_zeros(in->block, (uint32_t)lblk, EXT_NDIR_BLOCKS, out);
            return 0;
        }
        if (!ext_blocks_ok(v, p, 1))
            return ext_map_bad(v, in, "block pointer outside the volume", p);
        ext_extend(v, in->block, (uint32_t)lblk, EXT_NDIR_BLOCKS, p, out);
        return 0;
    }
    /* 2. Which indirect tree (1..3) and the span of one of its leaves. */
    for (level = 1; level <= 3; level++) {
        span *= per;
        if (rel < span)
            break;
        rel -= span;
    }
    if (level > 3) {
        ext_run_zero(out, 1); /* beyond the triple indirect block: nothing there */
        return 0;
    }
    uint64_t p = le32_at(in->block, 4 * (EXT_NDIR_BLOCKS + level - 1));
    /* 3. Down the tree: span is what one pointer of this level covers. */
    for (;;) {
        if (p == 0) {
            ext_run_zero(out, span - rel % span);
            return 0;
        }
        if (!ext_blocks_ok(v, p, 1))
            return ext_map_bad(v, in, "indirect block outside the volume", p);
        int rc = ext_read_bytes(v, p * v->sb.block_bytes, v->map_blk, v->sb.block_bytes,
                                CACHE_SYS);
        if (rc)
            return rc;
        span /= per;
        uint32_t idx = (uint32_t)(rel / span % per);
        p = le32_at(v->map_blk, 4 * idx);
        if (span > 1)
            continue;
        /* 4. The leaf table: a data run or a hole. */
        if (p == 0) {
            ext_zeros(v->map_blk, idx, (uint32_t)per, out);
            return 0;
        }
        if (!ext_blocks_ok(v, p, 1))
            return ext_map_bad(v, in, "block pointer outside the volume", p);
        ext_extend(v, v->map_blk, idx, (uint32_t)per, p, out);
        return 0;
    }
}

int ext_map(struct ext_vol *v, const struct ext_inode *in, uint64_t lblk, struct ext_run *out)
{
    if (in->flags & EXT_FL_EXTENTS)
        return ext_map_extents(v, in, lblk, out);
    return ext_map_blockmap(v, in, lblk, out);
}
