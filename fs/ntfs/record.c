// SPDX-License-Identifier: MIT
/* NTFS multi-sector records and the attributes inside FILE records: apply
 * an update sequence array (FILE and INDX records alike), read MFT record N
 * through $MFT's map (a record may straddle clusters, and clusters of 512
 * bytes are smaller than a record), check the record header, and step
 * through its attributes one checked header at a time.
 * Policy (STYLE §5), one log line each: a wrong magic, an update sequence
 * array out of place or of the wrong size, a stride that does not end with
 * the sequence number (a torn write), header sizes that disagree with the
 * record size, or an attribute whose length, name, value or mapping pairs
 * leave it: reject (ERR_CORRUPT). A record that is not in use is ERR_NOENT
 * (silent: a stale reference is the caller's to report).
 * Locking: the caller holds v->lock (or owns v during mount). */
#include "fs/ntfs/ntfs_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* "Update sequence": the array starts after the 8-byte magic and count
 * header and must lie in the first stride, before the stride's last word. */
#define NTFS_USA_MIN_OFS 8u

int ntfs_fixup(const struct ntfs_vol *v, uint8_t *buf, uint32_t bytes, const char *magic,
               const char *what, uint64_t no)
{
    uint32_t ofs = le16_at(buf, REC_USA_OFS), count = le16_at(buf, REC_USA_COUNT);

    /* 1. Magic, then the array's place and size. */
    if (memcmp(buf, magic, 4) != 0) {
        pr_warn("ntfs: %s: %s %llu has no %s magic (%02x %02x %02x %02x)", v->name, what,
                (unsigned long long)no, magic, buf[0], buf[1], buf[2], buf[3]);
        return ERR_CORRUPT;
    }
    if (count != bytes / NTFS_FIXUP_STRIDE + 1 || ofs < NTFS_USA_MIN_OFS || ofs % 2 != 0 ||
        ofs + 2u * count > NTFS_FIXUP_STRIDE - 2) {
        pr_warn("ntfs: %s: %s %llu: bad update sequence array (offset %u, %u entries for %u "
                "bytes)", v->name, what, (unsigned long long)no, ofs, count, bytes);
        return ERR_CORRUPT;
    }
    /* 2. Every stride ends with the sequence number; put the saved words back. */
    uint16_t usn = le16_at(buf, ofs);
    for (uint32_t i = 1; i < count; i++) {
        uint32_t end = i * NTFS_FIXUP_STRIDE - 2;
        if (le16_at(buf, end) != usn) {
            pr_warn("ntfs: %s: %s %llu: fixup mismatch in stride %u (0x%04x, sequence 0x%04x)",
                    v->name, what, (unsigned long long)no, i - 1, le16_at(buf, end), usn);
            return ERR_CORRUPT;
        }
        put_le16(buf, end, le16_at(buf, ofs + 2 * i));
    }
    return 0;
}

int ntfs_record_check(const struct ntfs_vol *v, const uint8_t *rec, uint64_t no)
{
    uint32_t rb = v->b.record_bytes;
    uint32_t attrs = le16_at(rec, REC_ATTRS_OFS), used = le32_at(rec, REC_BYTES_USED);
    uint32_t usa_end = le16_at(rec, REC_USA_OFS) + 2u * le16_at(rec, REC_USA_COUNT);

    if (!(le16_at(rec, REC_FLAGS) & NTFS_REC_IN_USE))
        return ERR_NOENT;
    if (le32_at(rec, REC_BYTES_ALLOC) != rb || used > rb || attrs % 8 != 0 || attrs < usa_end ||
        attrs < NTFS_REC_HEADER_BYTES - 8 || attrs > used || used - attrs < 4) {
        pr_warn("ntfs: %s: record %llu: bad header (attributes at %u, %u of %u bytes used, "
                "%u allocated)", v->name, (unsigned long long)no, attrs, used, rb,
                le32_at(rec, REC_BYTES_ALLOC));
        return ERR_CORRUPT;
    }
    return 0;
}

/* The $MFT run holding `vcn` (binary search of the runs kept at mount). */
static const struct ntfs_mft_run *ntfs_mft_run_of(const struct ntfs_vol *v, uint64_t vcn)
{
    uint32_t lo = 0, hi = v->mft_nruns;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct ntfs_mft_run *r = &v->mft_runs[mid];
        if (vcn < r->vcn)
            hi = mid;
        else if (vcn - r->vcn >= r->count)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

int ntfs_record_read(struct ntfs_vol *v, uint64_t no, uint8_t *buf)
{
    uint32_t rb = v->b.record_bytes, cb = v->b.cluster_bytes, done = 0;

    /* 1. A record the MFT holds (its initialized part). */
    if (no >= v->mft_records)
        return ERR_NOENT;
    uint64_t pos = no * rb;
    /* 2. Piece by piece through the runs (a record may straddle clusters). */
    while (done < rb) {
        uint64_t vcn = pos >> v->b.cluster_shift;
        const struct ntfs_mft_run *r = ntfs_mft_run_of(v, vcn);
        if (!r) {
            pr_warn("ntfs: %s: record %llu is not mapped by $MFT (cluster %llu)", v->name,
                    (unsigned long long)no, (unsigned long long)vcn);
            return ERR_CORRUPT;
        }
        uint64_t in_run = ((r->vcn + r->count - vcn) << v->b.cluster_shift) - (pos & (cb - 1));
        uint32_t k = (uint32_t)MIN((uint64_t)(rb - done), in_run);
        uint64_t at = ((r->lcn + (vcn - r->vcn)) << v->b.cluster_shift) + (pos & (cb - 1));
        int rc = ntfs_read_bytes(v, at, buf + done, k, CACHE_SYS);
        if (rc)
            return rc;
        done += k;
        pos += k;
    }
    /* 3. Fixups and header. A never-written record is all zeros: not in use. */
    if (le32_at(buf, 0) == 0)
        return ERR_NOENT;
    int rc = ntfs_fixup(v, buf, rb, "FILE", "record", no);
    return rc ? rc : ntfs_record_check(v, buf, no);
}

/* ---- attributes ----------------------------------------------------------------------------- */

static int ntfs_attr_bad(const struct ntfs_vol *v, uint64_t no, uint32_t pos, uint32_t type,
                         const char *why)
{
    pr_warn("ntfs: %s: record %llu: attribute 0x%x at byte %u: %s", v->name,
            (unsigned long long)no, type, pos, why);
    return ERR_CORRUPT;
}

/* The non-resident part of the header at rec + p (length len). */
static int ntfs_attr_nonres(const struct ntfs_vol *v, const uint8_t *a, uint32_t len,
                            uint64_t no, uint32_t p, struct ntfs_attr *out)
{
    uint64_t max_vcn = NTFS_MAX_SIZE >> v->b.cluster_shift;
    if (len < NTFS_NONRES_HDR_BYTES)
        return ntfs_attr_bad(v, no, p, out->type, "non-resident header too short");
    uint32_t pofs = le16_at(a, AH_PAIRS_OFS);
    out->lowest_vcn = le64_at(a, AH_LOWEST_VCN);
    out->highest_vcn = le64_at(a, AH_HIGHEST_VCN);
    out->alloc_size = le64_at(a, AH_ALLOC_SIZE);
    out->data_size = le64_at(a, AH_DATA_SIZE);
    out->init_size = le64_at(a, AH_INIT_SIZE);
    if (pofs < NTFS_NONRES_HDR_BYTES || pofs >= len)
        return ntfs_attr_bad(v, no, p, out->type, "mapping pairs outside the attribute");
    out->pairs = a + pofs;
    out->pairs_len = len - pofs;
    /* highest_vcn is lowest - 1 for an extent mapping nothing (-1 at 0). */
    if (out->lowest_vcn > max_vcn || out->highest_vcn + 1 > max_vcn ||
        out->highest_vcn + 1 < out->lowest_vcn)
        return ntfs_attr_bad(v, no, p, out->type, "bad vcn range");
    if (out->lowest_vcn == 0 &&
        (out->data_size > NTFS_MAX_SIZE || out->alloc_size > NTFS_MAX_SIZE ||
         out->init_size > out->data_size))
        return ntfs_attr_bad(v, no, p, out->type, "bad sizes");
    return 0;
}

int ntfs_attr_next(const struct ntfs_vol *v, const uint8_t *rec, uint64_t no, uint32_t *pos,
                   struct ntfs_attr *out)
{
    uint32_t used = le32_at(rec, REC_BYTES_USED);
    uint32_t p = *pos ? *pos : le16_at(rec, REC_ATTRS_OFS);

    /* 1. The type; the end marker ends the walk. */
    memset(out, 0, sizeof(*out));
    if (p > used || used - p < 4)
        return ntfs_attr_bad(v, no, p, 0, "no end marker");
    out->type = le32_at(rec, p);
    if (out->type == AT_END)
        return 0;
    /* 2. Length and name inside the used part. */
    const uint8_t *a = rec + p;
    uint32_t len = used - p >= 16 ? le32_at(a, AH_LENGTH) : 0;
    if (len < NTFS_RESIDENT_HDR_BYTES || len % 8 != 0 || len > used - p)
        return ntfs_attr_bad(v, no, p, out->type, "length runs past the record");
    out->resident = a[AH_NONRES] == 0;
    out->flags = le16_at(a, AH_FLAGS);
    out->name_len = a[AH_NAME_LEN];
    uint32_t nofs = le16_at(a, AH_NAME_OFS);
    if (out->name_len && (nofs > len || 2u * out->name_len > len - nofs))
        return ntfs_attr_bad(v, no, p, out->type, "name outside the attribute");
    out->name = a + nofs;
    /* 3. Resident value or non-resident mapping. */
    if (out->resident) {
        uint32_t vofs = le16_at(a, AH_VALUE_OFS);
        out->value_len = le32_at(a, AH_VALUE_LEN);
        if (vofs > len || out->value_len > len - vofs)
            return ntfs_attr_bad(v, no, p, out->type, "value outside the attribute");
        out->value = a + vofs;
        out->data_size = out->init_size = out->alloc_size = out->value_len;
    } else {
        int rc = ntfs_attr_nonres(v, a, len, no, p, out);
        if (rc)
            return rc;
    }
    *pos = p + len;
    return 1;
}

int ntfs_attr_find_in(const struct ntfs_vol *v, const uint8_t *rec, uint64_t no, uint32_t type,
                      const uint8_t *name, uint8_t name_len, struct ntfs_attr *out)
{
    uint32_t pos = 0;
    int rc;
    /* Each step moves at least 24 bytes, so the walk ends within the record. */
    while ((rc = ntfs_attr_next(v, rec, no, &pos, out)) == 1) {
        if (out->type == type && out->name_len == name_len &&
            (name_len == 0 || memcmp(out->name, name, 2u * name_len) == 0))
            return 1;
    }
    return rc;
}
