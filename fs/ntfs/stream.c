// SPDX-License-Identifier: MIT
/* NTFS attribute streams: open one attribute (type + name) of a file, map
 * a vcn to clusters and read bytes. An attribute may be split into extents
 * over several MFT records; the file's $ATTRIBUTE_LIST ("Attribute list")
 * then names, for each extent, its first vcn and the record holding it.
 * Mapping a vcn takes the last extent that starts at or before it, loads
 * that record into v->ext_rec when it is not the base record, and decodes
 * the extent's runs (runs.c). Nothing is cached between calls: a read
 * decodes the runs of each extent it crosses once.
 * Policy (STYLE §5), one log line each: an attribute list entry that runs
 * past the list, an extent record that belongs to another file or lacks
 * the extent the list promised, or a first extent that is not at vcn 0:
 * ERR_CORRUPT. Compressed (LZNT1) and encrypted data are refused with
 * ERR_NOTSUP: their size is shown, their bytes are not.
 * Locking: the caller holds v->lock (or owns v during mount). */
#include "fs/ntfs/ntfs_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* One checked attribute list entry. */
struct ntfs_al_entry {
    uint32_t type;
    uint64_t start_vcn;
    uint64_t ref;
    const uint8_t *name;
    uint8_t name_len;
};

/* Step through in->alist: 1 and *out, 0 at its end, ERR_CORRUPT. */
static int ntfs_al_next(const struct ntfs_vol *v, const struct ntfs_inode *in, uint32_t *pos,
                        struct ntfs_al_entry *out)
{
    uint32_t p = *pos, n = in->alist_bytes;
    const uint8_t *e = in->alist + p;
    if (p >= n)
        return 0;
    uint32_t len = n - p >= NTFS_AL_ENTRY_MIN ? le16_at(e, AL_LENGTH) : 0;
    uint32_t nofs = len ? e[AL_NAME_OFS] : 0;
    if (len < NTFS_AL_ENTRY_MIN || len > n - p ||
        (e[AL_NAME_LEN] && (nofs > len || 2u * e[AL_NAME_LEN] > len - nofs))) {
        pr_warn("ntfs: %s: record %llu: attribute list entry at byte %u runs past the list "
                "(%u bytes of %u)", v->name, (unsigned long long)in->no, p, len, n);
        return ERR_CORRUPT;
    }
    out->type = le32_at(e, AL_TYPE);
    out->start_vcn = le64_at(e, AL_START_VCN);
    out->ref = le64_at(e, AL_REF);
    out->name = e + nofs;
    out->name_len = e[AL_NAME_LEN];
    *pos = p + len;
    return 1;
}

static bool ntfs_name_eq(const uint8_t *a, uint8_t alen, const uint8_t *b, uint8_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, 2u * alen) == 0);
}

/* The record holding an extent: the base record, or record `ref` read
 * into v->ext_rec and checked to belong to `in`. */
static int ntfs_extent_record(struct ntfs_vol *v, const struct ntfs_inode *in, uint64_t ref,
                              const uint8_t **rec_out)
{
    uint64_t no = NTFS_REF_NO(ref);
    if (no == in->no) {
        *rec_out = in->rec;
        return 0;
    }
    int rc = ntfs_record_read(v, no, v->ext_rec);
    if (rc == 0 && NTFS_REF_NO(le64_at(v->ext_rec, REC_BASE_REF)) != in->no)
        rc = ERR_NOENT;
    if (rc == ERR_NOENT) {
        pr_warn("ntfs: %s: record %llu: extent record %llu is not in use or belongs to another "
                "file", v->name, (unsigned long long)in->no, (unsigned long long)no);
        rc = ERR_CORRUPT;
    }
    *rec_out = v->ext_rec;
    return rc;
}

/* The extent of (type, name) covering vcn (vcn 0 also finds a resident or
 * empty first extent) into *a, pointing into in->rec or v->ext_rec. *rec_no
 * is the record it is in. ERR_NOENT when the file has no such attribute. */
static int ntfs_extent_find(struct ntfs_vol *v, const struct ntfs_inode *in, uint32_t type,
                            const uint8_t *name, uint8_t name_len, uint64_t vcn,
                            struct ntfs_attr *a, uint64_t *rec_no)
{
    const uint8_t *rec = in->rec;
    uint64_t want_start = 0;
    int rc;

    /* 1. With an attribute list: the last extent starting at or before vcn. */
    if (in->alist) {
        struct ntfs_al_entry e, best = { 0 };
        bool found = false;
        uint32_t pos = 0;
        while ((rc = ntfs_al_next(v, in, &pos, &e)) == 1) {
            if (e.type != type || !ntfs_name_eq(e.name, e.name_len, name, name_len) ||
                e.start_vcn > vcn || (found && e.start_vcn < best.start_vcn))
                continue;
            best = e;
            found = true;
        }
        if (rc)
            return rc;
        if (!found)
            return ERR_NOENT;
        rc = ntfs_extent_record(v, in, best.ref, &rec);
        if (rc)
            return rc;
        want_start = best.start_vcn;
        *rec_no = NTFS_REF_NO(best.ref);
    } else {
        *rec_no = in->no;
    }
    /* 2. In that record: the extent that starts there (list) or covers vcn. */
    uint32_t pos = 0;
    while ((rc = ntfs_attr_next(v, rec, *rec_no, &pos, a)) == 1) {
        if (a->type != type || !ntfs_name_eq(a->name, a->name_len, name, name_len))
            continue;
        if (a->resident ? vcn == 0
                        : (in->alist ? a->lowest_vcn == want_start
                                     : a->lowest_vcn <= vcn && (vcn <= a->highest_vcn ||
                                                                a->lowest_vcn == vcn)))
            return 0;
    }
    if (rc)
        return rc;
    if (in->alist) {
        pr_warn("ntfs: %s: record %llu: extent at vcn %llu of attribute 0x%x missing from "
                "record %llu", v->name, (unsigned long long)in->no,
                (unsigned long long)want_start, type, (unsigned long long)*rec_no);
        return ERR_CORRUPT;
    }
    return ERR_NOENT;
}

int ntfs_stream_open(struct ntfs_vol *v, const struct ntfs_inode *in, uint32_t type,
                     const uint8_t *name, uint8_t name_len, struct ntfs_stream *out)
{
    struct ntfs_attr a;
    uint64_t rec_no;

    memset(out, 0, sizeof(*out));
    if (name_len > sizeof(out->name) / 2)
        return ERR_NOENT;
    int rc = ntfs_extent_find(v, in, type, name, name_len, 0, &a, &rec_no);
    if (rc)
        return rc;
    if (!a.resident && a.lowest_vcn != 0) {
        pr_warn("ntfs: %s: record %llu: attribute 0x%x does not start at vcn 0", v->name,
                (unsigned long long)in->no, type);
        return ERR_CORRUPT;
    }
    out->in = in;
    out->type = type;
    if (name_len)
        memcpy(out->name, name, 2u * name_len);
    out->name_len = name_len;
    out->resident = a.resident;
    out->flags = a.flags;
    out->data_size = a.data_size;
    out->init_size = a.init_size;
    if (a.resident) {
        out->value = kmalloc(a.value_len ? a.value_len : 1);
        if (!out->value)
            return ERR_NOMEM;
        memcpy(out->value, a.value, a.value_len);
    }
    return 0;
}

void ntfs_stream_close(struct ntfs_stream *s)
{
    kfree(s->value);
    s->value = NULL;
}

int ntfs_stream_extent(struct ntfs_vol *v, const struct ntfs_stream *s, uint64_t vcn,
                       struct ntfs_attr *a, uint64_t *rec_no)
{
    int rc = ntfs_extent_find(v, s->in, s->type, s->name, s->name_len, vcn, a, rec_no);
    if (rc == 0 && a->resident)
        rc = ERR_NOENT;
    if (rc == ERR_NOENT) {
        pr_warn("ntfs: %s: record %llu: attribute 0x%x has no extent for vcn %llu", v->name,
                (unsigned long long)s->in->no, s->type, (unsigned long long)vcn);
        return ERR_CORRUPT;
    }
    return rc;
}

/* One read of a non-resident stream, handed from run to run of an extent. */
struct ntfs_read_ctx {
    struct ntfs_vol *v;
    uint64_t off;               /* next byte of the stream to read */
    uint8_t *p;                 /* where it goes */
    uint32_t len;               /* bytes still wanted, all below the initialized size */
    enum cache_class cls;
};

/* Run r from vcn on (vcn is the first cluster of c->off or after it): its
 * part of the request. Returns 1 when nothing more is wanted. */
static int ntfs_stream_read_run(uint64_t vcn, const struct ntfs_run *r, void *ctx)
{
    struct ntfs_read_ctx *c = ctx;
    uint32_t shift = c->v->b.cluster_shift;
    uint64_t within = c->off - (vcn << shift);
    uint32_t k = (uint32_t)MIN((uint64_t)c->len, (r->count << shift) - within);
    int rc = 0;
    if (r->sparse)
        memset(c->p, 0, k);
    else
        rc = ntfs_read_bytes(c->v, (r->lcn << shift) + within, c->p, k, c->cls);
    if (rc)
        return rc;
    c->off += k;
    c->p += k;
    c->len -= k;
    return c->len == 0;
}

int ntfs_stream_read(struct ntfs_vol *v, const struct ntfs_stream *s, uint64_t off, void *buf,
                     uint32_t len, enum cache_class cls)
{
    uint32_t shift = v->b.cluster_shift;
    uint8_t *p = buf;

    /* 1. Data we cannot decode (resident values are never compressed). */
    if ((s->flags & NTFS_ATTR_ENCRYPTED) || (!s->resident && (s->flags & NTFS_ATTR_COMPRESSED))) {
        pr_warn("ntfs: %s: record %llu: %s data is not supported", v->name,
                (unsigned long long)s->in->no,
                (s->flags & NTFS_ATTR_ENCRYPTED) ? "encrypted" : "compressed");
        return ERR_NOTSUP;
    }
    /* 2. Resident: a copy of the value. */
    if (s->resident) {
        if (off > s->data_size || len > s->data_size - off)
            return ERR_CORRUPT;
        memcpy(p, s->value + off, len);
        return 0;
    }
    /* 3. Extent by extent, decoding each extent's runs once (the first
     *    call reads at least one byte: the extent maps off's cluster);
     *    past the initialized size, zeros. */
    while (len > 0) {
        if (off >= s->init_size) {
            memset(p, 0, len);
            return 0;
        }
        struct ntfs_read_ctx c = { v, off, p, (uint32_t)MIN((uint64_t)len, s->init_size - off),
                                   cls };
        struct ntfs_attr a;
        uint64_t rec_no;
        int rc = ntfs_stream_extent(v, s, off >> shift, &a, &rec_no);
        if (rc == 0)
            rc = ntfs_runs_from(v, &a, rec_no, off >> shift, ntfs_stream_read_run, &c);
        if (rc < 0)
            return rc;
        uint32_t k = (uint32_t)(c.off - off);
        off += k;
        p += k;
        len -= k;
    }
    return 0;
}
