// SPDX-License-Identifier: MIT
/* NTFS mapping pairs ("Data runs"): the runlist of one non-resident
 * attribute extent, decoded pair by pair. Each pair is a header byte (low
 * nibble: bytes of the run length, high nibble: bytes of the signed LCN
 * delta from the previous run of this extent, 0 = sparse), then both
 * numbers little-endian; a 0 header ends the list. The first LCN of each
 * extent is relative to 0.
 * Policy (STYLE §5), one log line each, ERR_CORRUPT: a length of 0 bytes
 * or over 8, a delta over 8 bytes, a pair cut off by the attribute's end,
 * a zero or negative run length, a run past the extent's highest vcn, an
 * LCN that leaves the volume, or a list that ends before the highest vcn.
 * Every number stays below the volume's cluster count or NTFS_MAX_SIZE
 * clusters, so no sum can wrap. Pure over the attribute's bytes: no I/O. */
#include "fs/ntfs/ntfs_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"

static int ntfs_runs_bad(const struct ntfs_vol *v, uint64_t no, uint32_t type, uint32_t at,
                         const char *why)
{
    pr_warn("ntfs: %s: record %llu: attribute 0x%x: runlist byte %u: %s", v->name,
            (unsigned long long)no, type, at, why);
    return ERR_CORRUPT;
}

/* n bytes little-endian at p, sign-extended when is_signed. */
static int64_t ntfs_runs_num(const uint8_t *p, uint32_t n, bool is_signed)
{
    uint64_t x = 0;
    for (uint32_t i = 0; i < n; i++)
        x |= (uint64_t)p[i] << (8 * i);
    if (is_signed && n < 8 && (p[n - 1] & 0x80))
        x |= ~0ull << (8 * n);
    return (int64_t)x;
}

int ntfs_runs_walk(const struct ntfs_vol *v, const struct ntfs_attr *a, uint64_t no,
                   ntfs_run_fn fn, void *ctx)
{
    const uint8_t *p = a->pairs;
    uint64_t vcn = a->lowest_vcn, end = a->highest_vcn + 1, total = v->b.total_clusters;
    int64_t lcn = 0;
    uint32_t i = 0;

    /* Each pair takes at least two bytes, so the loop ends within pairs_len. */
    while (vcn < end) {
        /* 1. The header byte and the sizes of both numbers. */
        if (i >= a->pairs_len || p[i] == 0)
            return ntfs_runs_bad(v, no, a->type, i, "ends before the highest vcn");
        uint32_t lb = p[i] & 0x0F, ob = p[i] >> 4;
        if (lb == 0 || lb > 8 || ob > 8 || 1 + lb + ob > a->pairs_len - i)
            return ntfs_runs_bad(v, no, a->type, i, "malformed pair");
        /* 2. The length: positive and inside the extent. */
        int64_t len = ntfs_runs_num(p + i + 1, lb, true);
        if (len <= 0 || (uint64_t)len > end - vcn)
            return ntfs_runs_bad(v, no, a->type, i, "run length out of range");
        struct ntfs_run r = { .lcn = 0, .count = (uint64_t)len, .sparse = ob == 0 };
        /* 3. The LCN: previous + delta, the whole run inside the volume. */
        if (ob) {
            int64_t delta = ntfs_runs_num(p + i + 1 + lb, ob, true);
            if ((delta > 0 && (uint64_t)delta >= total) || (delta < 0 && -(delta + 1) >= lcn))
                return ntfs_runs_bad(v, no, a->type, i, "cluster outside the volume");
            lcn += delta;
            if ((uint64_t)lcn >= total || r.count > total - (uint64_t)lcn)
                return ntfs_runs_bad(v, no, a->type, i, "cluster outside the volume");
            r.lcn = (uint64_t)lcn;
        }
        int rc = fn(vcn, &r, ctx);
        if (rc)
            return rc;
        vcn += r.count;
        i += 1 + lb + ob;
    }
    return 0;
}

struct ntfs_runs_from {
    uint64_t vcn;               /* the first vcn the caller wants */
    ntfs_run_fn fn;
    void *ctx;
};

/* Skip the runs before f->vcn and cut the one holding it to start there. */
static int ntfs_runs_from_cb(uint64_t vcn, const struct ntfs_run *r, void *ctx)
{
    struct ntfs_runs_from *f = ctx;
    if (vcn >= f->vcn)
        return f->fn(vcn, r, f->ctx);
    uint64_t skip = f->vcn - vcn;
    if (skip >= r->count) /* runs come in vcn order: a later one may hold it */
        return 0;
    struct ntfs_run cut = { .lcn = r->sparse ? 0 : r->lcn + skip, .count = r->count - skip,
                            .sparse = r->sparse };
    return f->fn(f->vcn, &cut, f->ctx);
}

int ntfs_runs_from(const struct ntfs_vol *v, const struct ntfs_attr *a, uint64_t no,
                   uint64_t vcn, ntfs_run_fn fn, void *ctx)
{
    struct ntfs_runs_from f = { vcn, fn, ctx };
    if (vcn < a->lowest_vcn || vcn > a->highest_vcn)
        return ntfs_runs_bad(v, no, a->type, 0, "vcn outside the extent");
    /* The walk covers lowest..highest or fails, so fn sees vcn first. */
    return ntfs_runs_walk(v, a, no, ntfs_runs_from_cb, &f);
}
