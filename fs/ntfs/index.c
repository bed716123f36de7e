// SPDX-License-Identifier: MIT
/* NTFS folder indexes ("Index root", "Index records"): the $I30 B+ tree of
 * $FILE_NAME keys. The root node lives in the resident $INDEX_ROOT; larger
 * folders keep their other nodes in INDX blocks of $INDEX_ALLOCATION, each
 * marked in use in the $I30 $BITMAP. An entry with the subnode flag has,
 * in its last 8 bytes, the vcn of the block holding the names that sort
 * before it; the last entry of a node carries no key, only (perhaps) the
 * subnode after every key. A walk is in order: subnode first, then the
 * entry. A lookup descends from the root, comparing with ntfs_name_cmp.
 * Block vcns count clusters when a block is at least a cluster, else
 * 512-byte units (Linux ntfs: index.vcn_size).
 * Policy (STYLE §5), one log line each, ERR_CORRUPT: a root that does not
 * index file names by COLLATION_FILE_NAME, a block size outside 512..64 KiB,
 * a node header or an entry that runs past its node, a node without a last
 * entry, a subnode outside $INDEX_ALLOCATION or free in its $BITMAP, a
 * block whose magic, fixups or own vcn are wrong, a tree deeper than
 * NTFS_INDEX_MAX_DEPTH or a walk that meets a block twice (a cycle).
 * Locking: the caller holds v->lock. A walk allocates its own buffers, so
 * a callback may read other records (not other indexes' v->ext_rec users
 * in between: stream reads reload it each time). */
#include "fs/ntfs/ntfs_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#define NTFS_VCN_UNIT_SMALL_SHIFT 9u    /* 512-byte vcn units of small index blocks */
/* Blocks one index may have: 4 Mi blocks of 4 KiB is a 16 GiB index,
 * millions of names; bounds the visited bitmap of a walk (512 KiB). */
#define NTFS_INDEX_MAX_BLOCKS (1u << 22)

static const uint8_t ntfs_i30[8] = { '$', 0, 'I', 0, '3', 0, '0', 0 };

struct ntfs_index {
    const struct ntfs_inode *dir;
    struct ntfs_stream root;    /* $INDEX_ROOT value (resident copy) */
    struct ntfs_stream alloc;   /* $INDEX_ALLOCATION, when large */
    struct ntfs_stream bitmap;  /* its $BITMAP, when large */
    bool large;
    uint32_t block_bytes;       /* 512..65536 */
    uint32_t unit_shift;        /* vcn << unit_shift = byte offset in alloc */
    uint64_t nblocks;           /* blocks in alloc, <= NTFS_INDEX_MAX_BLOCKS */
    uint8_t *visited;           /* walk only: one bit per block */
};

/* A checked index entry. */
struct ntfs_ientry {
    struct ntfs_dirent d;
    bool last;
    bool has_sub;
    uint64_t sub_vcn;
};

static int ntfs_index_bad(const struct ntfs_vol *v, const struct ntfs_index *ix, uint64_t vcn,
                          const char *why)
{
    pr_warn("ntfs: %s: folder %llu: index %s %llu: %s", v->name,
            (unsigned long long)ix->dir->no, vcn == UINT64_MAX ? "root" : "block",
            (unsigned long long)(vcn == UINT64_MAX ? 0 : vcn), why);
    return ERR_CORRUPT;
}

/* Entries [*start, *end) of the node whose header is at buf + hdr within a
 * region of `region` bytes. */
static int ntfs_node_check(const struct ntfs_vol *v, const struct ntfs_index *ix,
                           const uint8_t *buf, uint32_t hdr, uint32_t region, uint64_t vcn,
                           uint32_t *start, uint32_t *end)
{
    if (hdr > region || region - hdr < NTFS_IH_BYTES)
        return ntfs_index_bad(v, ix, vcn, "node header outside the node");
    uint32_t eofs = le32_at(buf, hdr + IH_ENTRIES_OFS), ilen = le32_at(buf, hdr + IH_INDEX_LEN);
    if (eofs < NTFS_IH_BYTES || eofs % 8 != 0 || ilen < eofs || ilen > region - hdr)
        return ntfs_index_bad(v, ix, vcn, "node header sizes run past the node");
    *start = hdr + eofs;
    *end = hdr + ilen;
    return 0;
}

/* The entry at buf + *p (before end): 1 and *e, or ERR_CORRUPT. */
static int ntfs_entry_next(const struct ntfs_vol *v, const struct ntfs_index *ix,
                           const uint8_t *buf, uint32_t *p, uint32_t end, uint64_t vcn,
                           struct ntfs_ientry *e)
{
    uint32_t at = *p;
    if (at > end || end - at < NTFS_IE_MIN_BYTES)
        return ntfs_index_bad(v, ix, vcn, "entry runs past the node (no last entry)");
    const uint8_t *ie = buf + at;
    uint32_t len = le16_at(ie, IE_LENGTH), key = le16_at(ie, IE_KEY_LEN);
    uint16_t flags = le16_at(ie, IE_FLAGS);
    uint32_t tail = (flags & NTFS_IE_SUBNODE) ? 8 : 0;
    memset(e, 0, sizeof(*e));
    e->last = (flags & NTFS_IE_LAST) != 0;
    e->has_sub = tail != 0;
    if (len < NTFS_IE_MIN_BYTES + tail || len % 8 != 0 || len > end - at ||
        key > len - NTFS_IE_MIN_BYTES - tail)
        return ntfs_index_bad(v, ix, vcn, "entry runs past the node");
    if (!e->last) {
        const uint8_t *fn = ie + IE_KEY;
        if (key < NTFS_FN_MIN_BYTES || fn[FN_NAME_LEN] == 0 ||
            2u * fn[FN_NAME_LEN] > key - NTFS_FN_MIN_BYTES)
            return ntfs_index_bad(v, ix, vcn, "file name runs past its entry");
        e->d.ref = le64_at(ie, IE_REF);
        e->d.fn = fn;
        e->d.name_len = fn[FN_NAME_LEN];
        e->d.name_space = fn[FN_NAMESPACE];
        e->d.name = fn + FN_NAME;
    }
    if (e->has_sub)
        e->sub_vcn = le64_at(ie, len - 8);
    *p = at + len;
    return 1;
}

/* ---- opening ------------------------------------------------------------------------------- */

static void ntfs_index_close(struct ntfs_index *ix)
{
    ntfs_stream_close(&ix->root);
    ntfs_stream_close(&ix->alloc);
    ntfs_stream_close(&ix->bitmap);
    kfree(ix->visited);
}

/* 1. The root: file names, collated as names, a sane block size.
 * 2. A large index: its allocation and bitmap; the block count bounded. */
static int ntfs_index_open(struct ntfs_vol *v, const struct ntfs_inode *dir,
                           struct ntfs_index *ix)
{
    memset(ix, 0, sizeof(*ix));
    ix->dir = dir;
    if (!dir->is_dir)
        return ERR_NOTDIR;
    /* 1. */
    int rc = ntfs_stream_open(v, dir, AT_INDEX_ROOT, ntfs_i30, 4, &ix->root);
    if (rc == 0 && !ix->root.resident)
        rc = ntfs_index_bad(v, ix, UINT64_MAX, "root is not resident");
    if (rc == ERR_NOENT)
        rc = ntfs_index_bad(v, ix, UINT64_MAX, "no $INDEX_ROOT");
    if (rc)
        return rc;
    const uint8_t *r = ix->root.value;
    uint32_t rlen = (uint32_t)ix->root.data_size;
    if (rlen < IR_HEADER + NTFS_IH_BYTES || le32_at(r, IR_TYPE) != AT_FILE_NAME ||
        le32_at(r, IR_COLLATION) != NTFS_COLLATION_FILE_NAME)
        return ntfs_index_bad(v, ix, UINT64_MAX, "does not index file names");
    ix->block_bytes = le32_at(r, IR_BLOCK_BYTES);
    if (ix->block_bytes < NTFS_MIN_INDEX_BYTES || ix->block_bytes > NTFS_MAX_INDEX_BYTES ||
        !IS_POW2(ix->block_bytes))
        return ntfs_index_bad(v, ix, UINT64_MAX, "bad index block size");
    ix->unit_shift = ix->block_bytes >= v->b.cluster_bytes ? v->b.cluster_shift
                                                           : NTFS_VCN_UNIT_SMALL_SHIFT;
    ix->large = (r[IR_HEADER + IH_FLAGS] & NTFS_IH_LARGE) != 0;
    if (!ix->large)
        return 0;
    /* 2. */
    rc = ntfs_stream_open(v, dir, AT_INDEX_ALLOCATION, ntfs_i30, 4, &ix->alloc);
    if (rc == 0)
        rc = ntfs_stream_open(v, dir, AT_BITMAP, ntfs_i30, 4, &ix->bitmap);
    if (rc == ERR_NOENT)
        rc = ntfs_index_bad(v, ix, UINT64_MAX, "large index without allocation or bitmap");
    if (rc)
        return rc;
    ix->nblocks = ix->alloc.data_size / ix->block_bytes;
    if (ix->nblocks > NTFS_INDEX_MAX_BLOCKS)
        return ntfs_index_bad(v, ix, UINT64_MAX, "index allocation too large");
    return 0;
}

/* Read block `vcn` of a large index into buf (block_bytes) and check it;
 * *start and *end are its entries. With ix->visited, a block met twice is a
 * cycle. */
static int ntfs_index_block(struct ntfs_vol *v, struct ntfs_index *ix, uint64_t vcn,
                            uint8_t *buf, uint32_t *start, uint32_t *end)
{
    uint8_t bits;
    /* 1. Inside the allocation, at a block boundary, in use, not yet seen. */
    if (!ix->large || vcn > (NTFS_MAX_SIZE >> ix->unit_shift))
        return ntfs_index_bad(v, ix, vcn, "subnode outside the index allocation");
    uint64_t pos = vcn << ix->unit_shift, idx = pos / ix->block_bytes;
    if (pos % ix->block_bytes != 0 || idx >= ix->nblocks)
        return ntfs_index_bad(v, ix, vcn, "subnode outside the index allocation");
    if (idx / 8 >= ix->bitmap.data_size)
        return ntfs_index_bad(v, ix, vcn, "subnode outside the index bitmap");
    int rc = ntfs_stream_read(v, &ix->bitmap, idx / 8, &bits, 1, CACHE_SYS);
    if (rc)
        return rc;
    if (!(bits & (1u << (idx % 8))))
        return ntfs_index_bad(v, ix, vcn, "subnode is free in the index bitmap");
    if (ix->visited) {
        if (ix->visited[idx / 8] & (1u << (idx % 8)))
            return ntfs_index_bad(v, ix, vcn, "block reached twice (a cycle)");
        ix->visited[idx / 8] |= (uint8_t)(1u << (idx % 8));
    }
    /* 2. The block: fixups, its own vcn, its node header. */
    rc = ntfs_stream_read(v, &ix->alloc, pos, buf, ix->block_bytes, CACHE_SYS);
    if (rc == 0)
        rc = ntfs_fixup(v, buf, ix->block_bytes, "INDX", "index block", vcn);
    if (rc)
        return rc;
    if (le64_at(buf, INDX_VCN) != vcn)
        return ntfs_index_bad(v, ix, vcn, "block names another vcn");
    return ntfs_node_check(v, ix, buf, INDX_HEADER, ix->block_bytes, vcn, start, end);
}

/* ---- walking -------------------------------------------------------------------------------- */

static int ntfs_walk_node(struct ntfs_vol *v, struct ntfs_index *ix, const uint8_t *buf,
                          uint32_t start, uint32_t end, uint64_t vcn, uint32_t depth,
                          ntfs_dir_fn fn, void *ctx)
{
    uint32_t p = start;
    struct ntfs_ientry e;
    int rc;

    /* Every entry moves p forward by at least 16 bytes: the loop ends. */
    for (;;) {
        rc = ntfs_entry_next(v, ix, buf, &p, end, vcn, &e);
        if (rc < 0)
            return rc;
        /* 1. Names before this entry: its subnode. */
        if (e.has_sub) {
            uint32_t cs, ce;
            if (depth + 1 >= NTFS_INDEX_MAX_DEPTH)
                return ntfs_index_bad(v, ix, vcn, "index tree too deep");
            uint8_t *child = kmalloc(ix->block_bytes);
            if (!child)
                return ERR_NOMEM;
            rc = ntfs_index_block(v, ix, e.sub_vcn, child, &cs, &ce);
            if (rc == 0)
                rc = ntfs_walk_node(v, ix, child, cs, ce, e.sub_vcn, depth + 1, fn, ctx);
            kfree(child);
            if (rc)
                return rc;
        }
        /* 2. The entry itself, unless it is the keyless last one. */
        if (e.last)
            return 0;
        rc = fn(v, &e.d, ctx);
        if (rc)
            return rc;
    }
}

int ntfs_index_walk(struct ntfs_vol *v, const struct ntfs_inode *dir, ntfs_dir_fn fn, void *ctx)
{
    struct ntfs_index ix;
    uint32_t start, end;
    int rc = ntfs_index_open(v, dir, &ix);
    if (rc == 0 && ix.large) {
        ix.visited = kzalloc((size_t)(ix.nblocks / 8 + 1));
        if (!ix.visited)
            rc = ERR_NOMEM;
    }
    if (rc == 0)
        rc = ntfs_node_check(v, &ix, ix.root.value, IR_HEADER, (uint32_t)ix.root.data_size,
                             UINT64_MAX, &start, &end);
    if (rc == 0)
        rc = ntfs_walk_node(v, &ix, ix.root.value, start, end, UINT64_MAX, 0, fn, ctx);
    ntfs_index_close(&ix);
    return rc;
}

/* ---- lookup --------------------------------------------------------------------------------- */

/* One descent comparing with ntfs_name_cmp(exact): 0 and *ref, ERR_NOENT. */
static int ntfs_index_descend(struct ntfs_vol *v, struct ntfs_index *ix, uint8_t *blk,
                              const uint16_t *u, uint32_t n, bool exact, uint64_t *ref)
{
    const uint8_t *buf = ix->root.value;
    uint64_t vcn = UINT64_MAX;
    uint32_t start, end, depth = 0;
    struct ntfs_ientry e;
    int rc = ntfs_node_check(v, ix, buf, IR_HEADER, (uint32_t)ix->root.data_size, vcn, &start,
                             &end);
    /* Each node: the first entry not below the name ends the scan. */
    while (rc == 0) {
        uint32_t p = start;
        for (;;) {
            rc = ntfs_entry_next(v, ix, buf, &p, end, vcn, &e);
            if (rc < 0)
                return rc;
            int cmp = e.last ? -1 : ntfs_name_cmp(v, u, n, e.d.name, e.d.name_len, exact);
            if (cmp == 0) {
                *ref = e.d.ref;
                return 0;
            }
            if (cmp < 0)
                break;
        }
        if (!e.has_sub)
            return ERR_NOENT;
        if (++depth >= NTFS_INDEX_MAX_DEPTH)
            return ntfs_index_bad(v, ix, vcn, "index tree too deep");
        vcn = e.sub_vcn;
        rc = ntfs_index_block(v, ix, vcn, blk, &start, &end);
        buf = blk;
    }
    return rc;
}

int ntfs_index_find(struct ntfs_vol *v, const struct ntfs_inode *dir, const uint16_t *u,
                    uint32_t n, uint64_t *ref_out)
{
    struct ntfs_index ix;
    uint8_t *blk = NULL;
    int rc = ntfs_index_open(v, dir, &ix);
    if (rc == 0 && ix.large) {
        blk = kmalloc(ix.block_bytes);
        if (!blk)
            rc = ERR_NOMEM;
    }
    /* The exact name first; then any name equal ignoring case. */
    if (rc == 0)
        rc = ntfs_index_descend(v, &ix, blk, u, n, true, ref_out);
    if (rc == ERR_NOENT)
        rc = ntfs_index_descend(v, &ix, blk, u, n, false, ref_out);
    kfree(blk);
    ntfs_index_close(&ix);
    return rc;
}
