// SPDX-License-Identifier: MIT
/* The metafiles an NTFS mount needs, loaded once ("Files"): $MFT's own
 * record 0 (read at the boot sector's LCN) and the runs of its $DATA, kept
 * in v->mft_runs so that any record can be found without recursion (a
 * fragmented MFT may spread its runs over extent records through an
 * attribute list: those are decoded in vcn order, each extent record read
 * through the runs known so far); $Volume (version, dirty flag, label);
 * $UpCase (the case table of name lookups); $Bitmap (free clusters,
 * counted once); and the root folder.
 * Policy (STYLE §5), one log line each: a record 0 or root that is not
 * what it must be, an MFT smaller than its 16 metafiles or whose runs do
 * not cover it, more than NTFS_MFT_MAX_RUNS runs, a $Bitmap shorter than
 * the volume: reject (ERR_CORRUPT). An NTFS major version other than 1..3:
 * ERR_NOTSUP. Tolerated with a warning: a dirty volume (mounted read-only
 * as always: what a crashed Windows left may be inconsistent) and an
 * $UpCase of the wrong size (ASCII case folding instead).
 * Locking: none; the volume is not yet published. */
#include "fs/ntfs/ntfs_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#define NTFS_BITMAP_CHUNK (64u << 10) /* bytes of $Bitmap read at a time */
#define NTFS_LABEL_MAX_UNITS 128u     /* $VOLUME_NAME: at most 128 UTF-16 units */

/* ---- $MFT ------------------------------------------------------------------------------------ */

struct ntfs_mft_build {
    struct ntfs_vol *v;
    uint32_t cap;
};

static int ntfs_mft_add_run(uint64_t vcn, const struct ntfs_run *r, void *ctx)
{
    struct ntfs_mft_build *b = ctx;
    struct ntfs_vol *v = b->v;
    if (r->sparse) {
        pr_warn("ntfs: %s: $MFT has a sparse run at vcn %llu", v->name, (unsigned long long)vcn);
        return ERR_CORRUPT;
    }
    if (v->mft_nruns == b->cap) {
        if (b->cap >= NTFS_MFT_MAX_RUNS) {
            pr_warn("ntfs: %s: $MFT has more than %u runs", v->name, NTFS_MFT_MAX_RUNS);
            return ERR_NOTSUP;
        }
        uint32_t cap = b->cap ? 2 * b->cap : 16;
        struct ntfs_mft_run *n = krealloc(v->mft_runs, cap * sizeof(*n));
        if (!n)
            return ERR_NOMEM;
        v->mft_runs = n;
        b->cap = cap;
    }
    v->mft_runs[v->mft_nruns++] = (struct ntfs_mft_run){ vcn, r->lcn, r->count };
    return 0;
}

/* Clusters mapped so far (the runs are contiguous from vcn 0). */
static uint64_t ntfs_mft_mapped(const struct ntfs_vol *v)
{
    const struct ntfs_mft_run *last = v->mft_nruns ? &v->mft_runs[v->mft_nruns - 1] : NULL;
    return last ? last->vcn + last->count : 0;
}

/* Records readable through the runs known so far (at most `records`). */
static void ntfs_mft_update_records(struct ntfs_vol *v, uint64_t records)
{
    v->mft_records = MIN(records, (ntfs_mft_mapped(v) << v->b.cluster_shift) / v->b.record_bytes);
}

/* The further extents of $MFT's $DATA, through record 0's attribute list.
 * After each extent, the records it maps become readable: the record of a
 * later extent may lie in an earlier one that is not the first. */
static int ntfs_mft_extents(struct ntfs_vol *v, struct ntfs_mft_build *b, uint64_t records,
                            uint64_t clusters)
{
    struct ntfs_inode in0;
    struct ntfs_stream s;
    struct ntfs_attr a;
    uint64_t rec_no;
    int rc = ntfs_inode_get(v, NTFS_MFT_NO, 0, &in0);
    if (rc)
        return rc;
    rc = ntfs_stream_open(v, &in0, AT_DATA, NULL, 0, &s);
    /* Each extent must add a run (checked); the run cap bounds the loop. */
    while (rc == 0 && ntfs_mft_mapped(v) < clusters) {
        uint64_t next = ntfs_mft_mapped(v);
        rc = ntfs_stream_extent(v, &s, next, &a, &rec_no);
        if (rc == 0 && a.lowest_vcn != next) {
            pr_warn("ntfs: %s: $MFT extent at vcn %llu, expected %llu", v->name,
                    (unsigned long long)a.lowest_vcn, (unsigned long long)next);
            rc = ERR_CORRUPT;
        }
        if (rc == 0)
            rc = ntfs_runs_walk(v, &a, rec_no, ntfs_mft_add_run, b);
        if (rc == 0 && ntfs_mft_mapped(v) == next) {
            pr_warn("ntfs: %s: $MFT extent at vcn %llu maps nothing", v->name,
                    (unsigned long long)next);
            rc = ERR_CORRUPT;
        }
        if (rc == 0)
            ntfs_mft_update_records(v, records);
    }
    ntfs_stream_close(&s);
    ntfs_inode_put(&in0);
    return rc;
}

/* 1. Record 0 straight from the boot sector's LCN. 2. Its first extent's
 * runs. 3. The other extents, if the MFT is longer than they cover. */
static int ntfs_mft_load(struct ntfs_vol *v)
{
    struct ntfs_mft_build b = { v, 0 };
    struct ntfs_attr a;
    uint32_t rb = v->b.record_bytes;
    uint8_t *rec = kmalloc(rb);
    int rc;

    if (!rec)
        return ERR_NOMEM;
    /* 1. */
    rc = ntfs_read_bytes(v, v->b.mft_lcn << v->b.cluster_shift, rec, rb, CACHE_SYS);
    if (rc == 0)
        rc = ntfs_fixup(v, rec, rb, "FILE", "record", NTFS_MFT_NO);
    if (rc == 0)
        rc = ntfs_record_check(v, rec, NTFS_MFT_NO);
    if (rc == 0) {
        rc = ntfs_attr_find_in(v, rec, NTFS_MFT_NO, AT_DATA, NULL, 0, &a);
        if (rc == 0 || (rc == 1 && (a.resident || a.lowest_vcn != 0)))
            rc = ERR_NOENT;
    }
    if (rc == ERR_NOENT) {
        pr_warn("ntfs: %s: $MFT record 0 is not in use or has no usable $DATA", v->name);
        rc = ERR_CORRUPT;
    }
    if (rc < 0)
        goto out_free;
    /* 2. */
    uint64_t records = a.init_size / rb;
    uint64_t clusters = (records * rb + v->b.cluster_bytes - 1) >> v->b.cluster_shift;
    if (records < NTFS_FIRST_USER_NO) {
        pr_warn("ntfs: %s: $MFT too small (%llu records)", v->name,
                (unsigned long long)records);
        rc = ERR_CORRUPT;
        goto out_free;
    }
    rc = ntfs_runs_walk(v, &a, NTFS_MFT_NO, ntfs_mft_add_run, &b);
    if (rc)
        goto out_free;
    ntfs_mft_update_records(v, records);
    /* 3. */
    if (ntfs_mft_mapped(v) < clusters)
        rc = ntfs_mft_extents(v, &b, records, clusters);
out_free:
    kfree(rec);
    return rc;
}

/* ---- $Volume, $UpCase, $Bitmap ---------------------------------------------------------------- */

static int ntfs_volume_info(struct ntfs_vol *v)
{
    struct ntfs_inode in;
    struct ntfs_attr a;
    int rc = ntfs_inode_get(v, NTFS_VOLUME_NO, 0, &in);
    if (rc == 0)
        rc = ntfs_attr_find_in(v, in.rec, in.no, AT_VOLUME_INFORMATION, NULL, 0, &a);
    if (rc == 0 || (rc == 1 && (!a.resident || a.value_len < NTFS_VI_MIN_BYTES))) {
        pr_warn("ntfs: %s: $Volume has no usable volume information", v->name);
        rc = ERR_CORRUPT;
    }
    if (rc < 0)
        goto out_put;
    v->major = a.value[VI_MAJOR];
    v->minor = a.value[VI_MINOR];
    v->dirty = (le16_at(a.value, VI_FLAGS) & NTFS_VOL_DIRTY) != 0;
    if (v->major < 1 || v->major > 3) {
        pr_warn("ntfs: %s: unsupported NTFS version %u.%u, not mounted", v->name, v->major,
                v->minor);
        rc = ERR_NOTSUP;
        goto out_put;
    }
    if (v->dirty)
        pr_warn("ntfs: %s: volume is dirty (not shut down cleanly); mounted read-only, "
                "recent changes may be inconsistent", v->name);
    rc = ntfs_attr_find_in(v, in.rec, in.no, AT_VOLUME_NAME, NULL, 0, &a);
    if (rc == 1 && a.resident)
        ntfs_name_to_utf8(a.value, MIN(a.value_len / 2, NTFS_LABEL_MAX_UNITS), v->label,
                          sizeof(v->label));
    rc = rc < 0 ? rc : 0;
out_put:
    ntfs_inode_put(&in);
    return rc;
}

static int ntfs_upcase_load(struct ntfs_vol *v)
{
    struct ntfs_inode in;
    struct ntfs_stream s;
    const uint32_t bytes = NTFS_UPCASE_UNITS * 2;
    v->upcase = kmalloc(bytes);
    if (!v->upcase)
        return ERR_NOMEM;
    int rc = ntfs_inode_get(v, NTFS_UPCASE_NO, 0, &in);
    if (rc == 0) {
        rc = ntfs_stream_open(v, &in, AT_DATA, NULL, 0, &s);
        if (rc == 0) {
            rc = s.data_size != bytes ? ERR_CORRUPT
                                      : ntfs_stream_read(v, &s, 0, v->upcase, bytes, CACHE_SYS);
            ntfs_stream_close(&s);
        }
        ntfs_inode_put(&in);
    }
    if (rc == ERR_NOMEM || rc == ERR_IO || rc == ERR_NOMEDIA)
        return rc;
    if (rc) {
        pr_warn("ntfs: %s: $UpCase unusable (%s); names are compared with ASCII case "
                "folding", v->name, err_name(rc));
        ntfs_upcase_default(v->upcase);
        return 0;
    }
    /* Bytes as read are little-endian units: each unit is read before it is written. */
    for (uint32_t i = 0; i < NTFS_UPCASE_UNITS; i++)
        v->upcase[i] = le16_at(v->upcase, 2u * i);
    return 0;
}

static uint32_t ntfs_zero_bits(uint8_t b)
{
    uint32_t n = 0;
    for (; b != 0xFF; b |= (uint8_t)(b + 1))
        n++;
    return n;
}

static int ntfs_bitmap_count(struct ntfs_vol *v)
{
    struct ntfs_inode in;
    struct ntfs_stream s;
    uint64_t total = v->b.total_clusters, need = (total + 7) / 8;
    uint8_t *buf = kmalloc(NTFS_BITMAP_CHUNK);
    int rc = buf ? ntfs_inode_get(v, NTFS_BITMAP_NO, 0, &in) : ERR_NOMEM;
    if (rc) {
        kfree(buf);
        return rc;
    }
    rc = ntfs_stream_open(v, &in, AT_DATA, NULL, 0, &s);
    if (rc == 0 && s.data_size < need) {
        pr_warn("ntfs: %s: $Bitmap shorter than the volume (%llu bytes, need %llu)", v->name,
                (unsigned long long)s.data_size, (unsigned long long)need);
        rc = ERR_CORRUPT;
    }
    v->free_clusters = 0;
    for (uint64_t off = 0; rc == 0 && off < need; off += NTFS_BITMAP_CHUNK) {
        uint32_t n = (uint32_t)MIN((uint64_t)NTFS_BITMAP_CHUNK, need - off);
        rc = ntfs_stream_read(v, &s, off, buf, n, CACHE_SYS);
        if (rc)
            break;
        /* Bits past the last cluster in the last byte count as used. */
        if (off + n == need && total % 8)
            buf[n - 1] |= (uint8_t)(0xFF << (total % 8));
        for (uint32_t i = 0; i < n; i++)
            v->free_clusters += ntfs_zero_bits(buf[i]);
    }
    ntfs_stream_close(&s);
    ntfs_inode_put(&in);
    kfree(buf);
    return rc;
}

int ntfs_volume_load(struct ntfs_vol *v)
{
    struct ntfs_inode root;
    int rc = ntfs_mft_load(v);
    if (rc == 0)
        rc = ntfs_volume_info(v);
    if (rc == 0)
        rc = ntfs_upcase_load(v);
    if (rc == 0)
        rc = ntfs_bitmap_count(v);
    if (rc)
        return rc;
    rc = ntfs_inode_get(v, NTFS_ROOT_NO, 0, &root);
    if (rc == 0 && !root.is_dir) {
        pr_warn("ntfs: %s: root record is not a folder", v->name);
        rc = ERR_CORRUPT;
    }
    if (rc == ERR_NOENT) {
        pr_warn("ntfs: %s: root record is not in use", v->name);
        rc = ERR_CORRUPT;
    }
    ntfs_inode_put(&root);
    return rc;
}
