// SPDX-License-Identifier: MIT
/* QCOW2 image backend; contract and rejection policy in qcow2.h. Open
 * parses the header into struct qcow2 (trusted), loads and checks the L1 and
 * refcount tables; reads and writes walk L1 -> L2 with one cached L2 table,
 * one cached refcount block and one cached inflated cluster. Layout facts:
 * QEMU docs/interop/qcow2.txt ("Header", "Host cluster management",
 * "Cluster mapping", "Compressed Clusters Descriptor"). */
#include "drivers/vdisk/lib/qcow2.h"

#include "drivers/vdisk/lib/inflate.h"
#include "drivers/vdisk/lib/vd_util.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

/* Header field offsets (qcow2.txt "Header"). */
enum {
    QH_MAGIC = 0, QH_VERSION = 4, QH_BACKING_OFF = 8, QH_BACKING_SIZE = 16,
    QH_CLUSTER_BITS = 20, QH_SIZE = 24, QH_CRYPT = 32, QH_L1_SIZE = 36, QH_L1_OFF = 40,
    QH_RT_OFF = 48, QH_RT_CLUSTERS = 56, QH_NB_SNAPSHOTS = 60, QH_SNAPSHOTS_OFF = 64,
    QH_INCOMPAT = 72, QH_COMPAT = 80, QH_AUTOCLEAR = 88, QH_REFCOUNT_ORDER = 96,
    QH_HEADER_LEN = 100, QH_COMPRESSION = 104,
    QH_V2_BYTES = 72, QH_V3_MIN_BYTES = 104, QH_V3_BYTES = 112,
};

#define QCOW2_INCOMPAT_DIRTY (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2 (1ull << 4)

#define QCOW2_OFLAG_COPIED (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO 1ull
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ull  /* L1/L2 host offset, bits 9..55 */
/* Compressed clusters are read through a window of at least this much of
 * the file: qemu-img packs them in disk order, so one file read serves
 * several of them on a sequential read (vdisk_bench: 6 file reads per MiB of
 * disk before, 2-3 after). */
#define QCOW2_WINDOW_BYTES (256u * 1024)
#define QCOW2_RT_OFFSET_MASK 0xfffffffffffffe00ull
#define QCOW2_MAX_BACKING_BYTES 1023u            /* QEMU's limit */
#define QCOW2_MAX_SNAPSHOTS 65536u               /* QEMU's limit */
#define QCOW2_MAX_DISK_BYTES (1ull << 50)        /* 1 PiB: far above any use, keeps math safe */
#define QCOW2_EXT_BACKING_FORMAT 0xe2792acau     /* header extension type */
#define QCOW2_ALLOC_SKIP_MAX 1024u               /* in-use clusters past EOF we step over */
#define QCOW2_REFBLOCK_DEPTH_MAX 3u              /* nested refcount-block allocations */

enum qcow2_kind { QK_FREE, QK_ZERO, QK_NORMAL, QK_COMPRESSED };

/* Trusted state of one open image (img->priv). */
struct qcow2 {
    struct vd_file *f;
    unsigned version;          /* 2 or 3 */
    unsigned cluster_bits;     /* 9..21 */
    uint32_t cluster_bytes;
    unsigned l2_bits;          /* log2 entries per L2 table */
    unsigned refcount_order;   /* 0..6 */
    unsigned rb_bits;          /* log2 entries per refcount block */
    uint64_t disk_bytes;       /* virtual size, 512-aligned */
    uint64_t file_bytes;       /* current host file size, kept up to date */
    uint64_t alloc_next;       /* next cluster offset to allocate (end of file) */
    uint32_t l1_size;
    uint64_t l1_offset;
    uint64_t *l1;              /* native copy of the L1 table */
    uint64_t rt_offset;
    uint32_t rt_entries;
    uint64_t *rt;              /* native copy of the refcount table */
    uint64_t autoclear;        /* cleared on the first write */
    bool has_backing;
    uint64_t l2_cache_off;     /* host offset of l2_cache, 0 = empty */
    uint8_t *l2_cache;         /* one L2 table, as on disk */
    uint64_t rb_cache_off;     /* host offset of rb_cache, 0 = empty */
    uint8_t *rb_cache;         /* one refcount block, as on disk */
    uint64_t zc_entry;         /* L2 entry whose cluster zc holds, 0 = empty */
    uint8_t *zc;               /* inflated cluster (lazy) */
    uint8_t *cbuf;             /* window of compressed input, w_cap bytes (lazy) */
    size_t w_cap;              /* >= 2 clusters + 512 and >= QCOW2_WINDOW_BYTES */
    uint64_t w_off;            /* file offset of cbuf[0] */
    size_t w_len;              /* valid bytes in cbuf; 0 after any write */
    uint8_t *tmp;              /* cluster-sized merge buffer (lazy) */
};

/* ---- small helpers ------------------------------------------------------------ */

static int qcow2_read_at(struct qcow2 *s, uint64_t off, void *buf, size_t len)
{
    int err = s->f->ops->read(s->f, off, buf, len);
    return err == ERR_EOM ? ERR_CORRUPT : err;
}

/* Range [off, off+len) lies inside the file. */
static bool qcow2_in_file(const struct qcow2 *s, uint64_t off, uint64_t len)
{
    return off <= s->file_bytes && len <= s->file_bytes - off;
}

static void *qcow2_lazy(uint8_t **p, size_t bytes)
{
    if (!*p)
        *p = kmalloc(bytes);
    return *p;
}

/* Check a host offset of an L1 entry, L2 entry or refcount-table entry. */
static int qcow2_check_host(const struct qcow2 *s, uint64_t host, const char *what,
                            uint64_t index)
{
    if (host & (s->cluster_bytes - 1) || host < s->cluster_bytes ||
        !qcow2_in_file(s, host, s->cluster_bytes)) {
        pr_err("qcow2: %s: %s %llu points outside the file or unaligned (0x%llx, file %llu)\n",
               s->f->name, what, (unsigned long long)index, (unsigned long long)host,
               (unsigned long long)s->file_bytes);
        return ERR_CORRUPT;
    }
    return 0;
}

static uint64_t qcow2_rc_get(const struct qcow2 *s, const uint8_t *blk, uint64_t i)
{
    unsigned bits = 1u << s->refcount_order;

    switch (s->refcount_order) {
    case 3: return blk[i];
    case 4: return vd_be16_at(blk, (size_t)i * 2);
    case 5: return vd_be32_at(blk, (size_t)i * 4);
    case 6: return vd_be64_at(blk, (size_t)i * 8);
    default: return (blk[(i * bits) / 8] >> ((i * bits) % 8)) & ((1u << bits) - 1);
    }
}

/* Store refcount v of entry i; returns the byte offset and length to write. */
static void qcow2_rc_set(const struct qcow2 *s, uint8_t *blk, uint64_t i, uint64_t v,
                         size_t *at, size_t *len)
{
    unsigned bits = 1u << s->refcount_order;

    switch (s->refcount_order) {
    case 3: blk[i] = (uint8_t)v; *at = (size_t)i; *len = 1; return;
    case 4: vd_put_be16(blk, (size_t)i * 2, (uint16_t)v); *at = (size_t)i * 2; *len = 2; return;
    case 5: vd_put_be32(blk, (size_t)i * 4, (uint32_t)v); *at = (size_t)i * 4; *len = 4; return;
    case 6: vd_put_be64(blk, (size_t)i * 8, v); *at = (size_t)i * 8; *len = 8; return;
    default: {
        size_t byte = (size_t)((i * bits) / 8);
        unsigned shift = (unsigned)((i * bits) % 8), mask = ((1u << bits) - 1) << shift;
        blk[byte] = (uint8_t)((blk[byte] & ~mask) | (((unsigned)v << shift) & mask));
        *at = byte;
        *len = 1;
    }
    }
}

static uint64_t qcow2_rc_max(const struct qcow2 *s)
{
    return s->refcount_order == 6 ? UINT64_MAX : (1ull << (1u << s->refcount_order)) - 1;
}

/* ---- probe and open -------------------------------------------------------------- */

static int qcow2_probe(struct vd_file *f)
{
    uint8_t m[4];
    int err = f->ops->read(f, 0, m, sizeof(m));

    if (err == ERR_EOM)
        return ERR_NOTSUP;
    if (err)
        return err;
    return vd_be32_at(m, 0) == QCOW2_MAGIC ? 0 : ERR_NOTSUP;
}

/* Version, sizes and features of the header in h[QH_V3_BYTES] (zero-padded
 * past the file end) into s; sets *force_ro for tolerated states. */
static int qcow2_parse_header(struct qcow2 *s, const uint8_t *h, bool *force_ro)
{
    const char *name = s->f->name;
    uint64_t incompat = 0, size, l1_need, span;
    uint32_t header_len = QH_V2_BYTES;
    unsigned cb;

    /* 1. Magic, version, cluster size. */
    if (vd_be32_at(h, QH_MAGIC) != QCOW2_MAGIC) {
        pr_err("qcow2: %s: bad magic (0x%08x)\n", name, (unsigned)vd_be32_at(h, QH_MAGIC));
        return ERR_CORRUPT;
    }
    s->version = vd_be32_at(h, QH_VERSION);
    if (s->version != 2 && s->version != 3) {
        pr_err("qcow2: %s: unsupported version %u\n", name, s->version);
        return ERR_NOTSUP;
    }
    cb = vd_be32_at(h, QH_CLUSTER_BITS);
    if (cb < 9 || cb > 21) {
        pr_err("qcow2: %s: cluster_bits %u outside 9..21\n", name, cb);
        return ERR_CORRUPT;
    }
    s->cluster_bits = cb;
    s->cluster_bytes = 1u << cb;
    s->l2_bits = cb - 3;
    s->refcount_order = 4;
    /* 2. Version 3 fields: header length, features, refcount width,
     *    compression type. */
    if (s->version == 3) {
        header_len = vd_be32_at(h, QH_HEADER_LEN);
        if (header_len < QH_V3_MIN_BYTES || header_len % 8 || header_len > s->cluster_bytes) {
            pr_err("qcow2: %s: bad header_length %u\n", name, (unsigned)header_len);
            return ERR_CORRUPT;
        }
        incompat = vd_be64_at(h, QH_INCOMPAT);
        s->autoclear = vd_be64_at(h, QH_AUTOCLEAR);
        s->refcount_order = vd_be32_at(h, QH_REFCOUNT_ORDER);
        if (s->refcount_order > 6) {
            pr_err("qcow2: %s: refcount_order %u above 6\n", name, s->refcount_order);
            return ERR_CORRUPT;
        }
        if (incompat & ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT |
                         QCOW2_INCOMPAT_COMPRESSION)) {
            pr_err("qcow2: %s: unsupported incompatible features (0x%llx)\n", name,
                   (unsigned long long)incompat);
            return ERR_NOTSUP;
        }
        if (header_len > QH_COMPRESSION && h[QH_COMPRESSION] != 0) {
            pr_err("qcow2: %s: compression type %u is not zlib\n", name, h[QH_COMPRESSION]);
            return ERR_NOTSUP;
        }
        if (incompat & QCOW2_INCOMPAT_COMPRESSION) {
            pr_err("qcow2: %s: compression-type bit set for zlib\n", name);
            return ERR_CORRUPT;
        }
    }
    s->rb_bits = cb + 3 - s->refcount_order;
    if (vd_be32_at(h, QH_CRYPT) != 0) {
        pr_err("qcow2: %s: encrypted images are not supported (method %u)\n", name,
               (unsigned)vd_be32_at(h, QH_CRYPT));
        return ERR_NOTSUP;
    }
    /* 3. Virtual size and the L1 table it needs. */
    size = vd_be64_at(h, QH_SIZE);
    if (size > QCOW2_MAX_DISK_BYTES) {
        pr_err("qcow2: %s: virtual size %llu too large\n", name, (unsigned long long)size);
        return ERR_CORRUPT;
    }
    if (size % 512)
        pr_warn("qcow2: %s: virtual size %llu not a multiple of 512, cut\n", name,
                (unsigned long long)size);
    s->disk_bytes = size - size % 512;
    span = (uint64_t)1 << (cb + s->l2_bits);
    l1_need = (size + span - 1) >> (cb + s->l2_bits);
    s->l1_size = vd_be32_at(h, QH_L1_SIZE);
    s->l1_offset = vd_be64_at(h, QH_L1_OFF);
    if (s->l1_size < l1_need || s->l1_size > QCOW2_MAX_L1_ENTRIES) {
        pr_err("qcow2: %s: L1 size %u does not fit virtual size (need %llu, max %u)\n", name,
               (unsigned)s->l1_size, (unsigned long long)l1_need, QCOW2_MAX_L1_ENTRIES);
        return ERR_CORRUPT;
    }
    if (s->l1_size && (s->l1_offset & (s->cluster_bytes - 1) || s->l1_offset == 0 ||
                       !qcow2_in_file(s, s->l1_offset, (uint64_t)s->l1_size * 8))) {
        pr_err("qcow2: %s: L1 table at 0x%llx (%u entries) outside the file or unaligned\n",
               name, (unsigned long long)s->l1_offset, (unsigned)s->l1_size);
        return ERR_CORRUPT;
    }
    /* 4. Refcount table: aligned, inside the file, not on the header or L1. */
    s->rt_offset = vd_be64_at(h, QH_RT_OFF);
    uint32_t rt_clusters = vd_be32_at(h, QH_RT_CLUSTERS);
    uint64_t rt_bytes = (uint64_t)rt_clusters << cb;
    if (rt_clusters == 0 || rt_bytes > QCOW2_MAX_RT_BYTES ||
        s->rt_offset & (s->cluster_bytes - 1) || s->rt_offset == 0 ||
        !qcow2_in_file(s, s->rt_offset, rt_bytes)) {
        pr_err("qcow2: %s: refcount table at 0x%llx (%u clusters) outside the file, on the "
               "header or unaligned\n", name, (unsigned long long)s->rt_offset,
               (unsigned)rt_clusters);
        return ERR_CORRUPT;
    }
    if (s->l1_size && s->rt_offset < s->l1_offset + (uint64_t)s->l1_size * 8 &&
        s->l1_offset < s->rt_offset + rt_bytes) {
        pr_err("qcow2: %s: L1 table and refcount table overlap\n", name);
        return ERR_CORRUPT;
    }
    s->rt_entries = (uint32_t)(rt_bytes / 8);
    /* 5. Snapshots (not used, but a table past the file is corrupt). */
    uint32_t nb_snap = vd_be32_at(h, QH_NB_SNAPSHOTS);
    if (nb_snap > QCOW2_MAX_SNAPSHOTS ||
        (nb_snap && !qcow2_in_file(s, vd_be64_at(h, QH_SNAPSHOTS_OFF), 1))) {
        pr_err("qcow2: %s: bad snapshot table (%u snapshots)\n", name, (unsigned)nb_snap);
        return ERR_CORRUPT;
    }
    /* 6. Tolerated states that forbid writing. */
    if (incompat & (QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT) || nb_snap) {
        pr_warn("qcow2: %s: %s, opened read-only\n", name,
                incompat & QCOW2_INCOMPAT_CORRUPT ? "marked corrupt"
                : incompat & QCOW2_INCOMPAT_DIRTY ? "dirty (refcounts need repair)"
                                                  : "has internal snapshots");
        *force_ro = true;
    }
    return 0;
}

/* Backing file name from the header into info->parent. */
static int qcow2_parse_backing(struct qcow2 *s, const uint8_t *h, struct vd_info *info)
{
    uint64_t off = vd_be64_at(h, QH_BACKING_OFF);
    uint32_t len = vd_be32_at(h, QH_BACKING_SIZE);
    int err;

    if (off == 0)
        return 0;
    if (len == 0 || len > QCOW2_MAX_BACKING_BYTES || off > s->cluster_bytes ||
        !qcow2_in_file(s, off, len)) {
        pr_err("qcow2: %s: bad backing file name (offset %llu, %u bytes)\n", s->f->name,
               (unsigned long long)off, (unsigned)len);
        return ERR_CORRUPT;
    }
    if (len >= sizeof(info->parent)) {
        pr_err("qcow2: %s: backing file name too long (%u bytes)\n", s->f->name, (unsigned)len);
        return ERR_NOTSUP;
    }
    err = qcow2_read_at(s, off, info->parent, len);
    if (err)
        return err;
    info->parent[len] = '\0';
    if (strlen(info->parent) != len) {
        pr_err("qcow2: %s: NUL inside the backing file name\n", s->f->name);
        return ERR_CORRUPT;
    }
    s->has_backing = true;
    return 0;
}

/* Read a table of n big-endian u64 at off into a native array; every
 * non-zero entry's offset (under mask) must be a cluster inside the file. */
static int qcow2_load_table(struct qcow2 *s, uint64_t off, uint32_t n, uint64_t mask,
                            const char *what, uint64_t **out)
{
    uint8_t *raw;
    uint64_t *t;
    int err;

    *out = NULL;
    t = kzalloc((size_t)MAX(n, 1u) * 8);
    if (!t)
        return ERR_NOMEM;
    if (n == 0) {
        *out = t;
        return 0;
    }
    raw = kmalloc((size_t)n * 8);
    if (!raw) {
        kfree(t);
        return ERR_NOMEM;
    }
    err = qcow2_read_at(s, off, raw, (size_t)n * 8);
    for (uint32_t i = 0; !err && i < n; i++) {
        t[i] = vd_be64_at(raw, (size_t)i * 8);
        if (t[i] & mask)
            err = qcow2_check_host(s, t[i] & mask, what, i);
    }
    kfree(raw);
    if (err) {
        kfree(t);
        return err;
    }
    *out = t;
    return 0;
}

static void qcow2_free(struct qcow2 *s)
{
    kfree(s->l1);
    kfree(s->rt);
    kfree(s->l2_cache);
    kfree(s->rb_cache);
    kfree(s->zc);
    kfree(s->cbuf);
    kfree(s->tmp);
    kfree(s);
}

static int qcow2_open(struct vd_image *img, unsigned flags)
{
    struct qcow2 *s;
    uint8_t h[QH_V3_BYTES];
    bool force_ro = false;
    int err;

    (void)flags;
    /* 1. Header: at most QH_V3_BYTES, zero-padded if the file is shorter. */
    s = kzalloc(sizeof(*s));
    if (!s)
        return ERR_NOMEM;
    s->f = img->file;
    err = s->f->ops->get_size(s->f, &s->file_bytes);
    if (err)
        goto err_free;
    memset(h, 0, sizeof(h));
    if (s->file_bytes < QH_V2_BYTES) {
        pr_err("qcow2: %s: file too small for a header (%llu bytes)\n", s->f->name,
               (unsigned long long)s->file_bytes);
        err = ERR_CORRUPT;
        goto err_free;
    }
    err = qcow2_read_at(s, 0, h, (size_t)MIN(s->file_bytes, (uint64_t)sizeof(h)));
    if (err)
        goto err_free;
    /* 2. Parse and check it; the backing name. */
    err = qcow2_parse_header(s, h, &force_ro);
    if (err)
        goto err_free;
    err = qcow2_parse_backing(s, h, &img->info);
    if (err)
        goto err_free;
    /* 3. L1 and refcount tables, every entry checked. */
    err = qcow2_load_table(s, s->l1_offset, s->l1_size, QCOW2_OFFSET_MASK, "L1 entry", &s->l1);
    if (err)
        goto err_free;
    err = qcow2_load_table(s, s->rt_offset, s->rt_entries, QCOW2_RT_OFFSET_MASK,
                           "refcount table entry", &s->rt);
    if (err)
        goto err_free;
    /* 4. Caches; fill in the info. */
    s->l2_cache = kmalloc(s->cluster_bytes);
    s->rb_cache = kmalloc(s->cluster_bytes);
    if (!s->l2_cache || !s->rb_cache) {
        err = ERR_NOMEM;
        goto err_free;
    }
    s->alloc_next = ALIGN_UP(s->file_bytes, (uint64_t)s->cluster_bytes);
    kstrlcpy(img->info.format, "qcow2", sizeof(img->info.format));
    kstrlcpy(img->info.variant, s->version == 3 ? "v3" : "v2", sizeof(img->info.variant));
    img->info.disk_bytes = s->disk_bytes;
    img->info.sector_size = 512;
    img->info.block_bytes = s->cluster_bytes;
    if (force_ro)
        img->readonly = true;
    img->priv = s;
    return 0;

err_free:
    qcow2_free(s);
    img->priv = NULL;
    return err;
}

static void qcow2_close(struct vd_image *img)
{
    if (img->priv)
        qcow2_free(img->priv);
    img->priv = NULL;
}

/* ---- lookup ------------------------------------------------------------------------ */

/* Load the L2 table at host offset l2 into the cache. */
static int qcow2_l2_load(struct qcow2 *s, uint64_t l2)
{
    int err;

    if (s->l2_cache_off == l2)
        return 0;
    s->l2_cache_off = 0;
    err = qcow2_read_at(s, l2, s->l2_cache, s->cluster_bytes);
    if (err)
        return err;
    s->l2_cache_off = l2;
    return 0;
}

/* L2 entry of virtual cluster vcl (0 when its L2 table is not allocated);
 * *l2 = host offset of the L2 table or 0. */
static int qcow2_entry(struct qcow2 *s, uint64_t vcl, uint64_t *entry, uint64_t *l2)
{
    uint64_t l1i = vcl >> s->l2_bits;
    int err;

    *entry = 0;
    *l2 = 0;
    if (l1i >= s->l1_size)
        return ERR_CORRUPT; /* excluded by the L1 size check at open */
    *l2 = s->l1[l1i] & QCOW2_OFFSET_MASK;
    if (*l2 == 0)
        return 0;
    err = qcow2_l2_load(s, *l2);
    if (err)
        return err;
    *entry = vd_be64_at(s->l2_cache, (size_t)(vcl & ((1u << s->l2_bits) - 1)) * 8);
    return 0;
}

/* Classify an L2 entry and check its host offset. */
static int qcow2_classify(struct qcow2 *s, uint64_t vcl, uint64_t e, enum qcow2_kind *kind,
                          uint64_t *host)
{
    *host = 0;
    if (e & QCOW2_OFLAG_COMPRESSED) {
        unsigned x = 62 - (s->cluster_bits - 8);
        *host = e & ((1ull << x) - 1);
        *kind = QK_COMPRESSED;
        if (*host < s->cluster_bytes || *host >= s->file_bytes) {
            pr_err("qcow2: %s: compressed cluster %llu at 0x%llx outside the file\n",
                   s->f->name, (unsigned long long)vcl, (unsigned long long)*host);
            return ERR_CORRUPT;
        }
        return 0;
    }
    *host = e & QCOW2_OFFSET_MASK;
    if (e & QCOW2_OFLAG_ZERO) {
        if (s->version < 3) {
            pr_err("qcow2: %s: zero flag in a version 2 image (cluster %llu)\n", s->f->name,
                   (unsigned long long)vcl);
            return ERR_CORRUPT;
        }
        *kind = QK_ZERO;
    } else {
        *kind = *host ? QK_NORMAL : QK_FREE;
    }
    if (*host)
        return qcow2_check_host(s, *host, "L2 entry of cluster", vcl);
    return 0;
}

/* Inflate the compressed cluster of entry e into s->zc. */
static int qcow2_inflate(struct qcow2 *s, uint64_t vcl, uint64_t e, uint64_t coff)
{
    unsigned x = 62 - (s->cluster_bits - 8);
    uint64_t sectors = ((e >> x) & ((1ull << (s->cluster_bits - 8)) - 1)) + 1;
    uint64_t csize = sectors * 512 - (coff & 511);
    size_t got = 0;
    int err;

    if (s->zc_entry == e)
        return 0;
    s->w_cap = MAX((size_t)2 * s->cluster_bytes + 512, (size_t)QCOW2_WINDOW_BYTES);
    if (!qcow2_lazy(&s->zc, s->cluster_bytes) || !qcow2_lazy(&s->cbuf, s->w_cap))
        return ERR_NOMEM;
    s->zc_entry = 0;
    /* The last compressed cluster may end inside its final sector at EOF. */
    csize = MIN(csize, s->file_bytes - coff);
    /* A miss refills the window from coff, as far as it and the file go. */
    if (coff < s->w_off || coff - s->w_off > s->w_len || csize > s->w_len - (coff - s->w_off)) {
        size_t fill = (size_t)MIN((uint64_t)s->w_cap, s->file_bytes - coff);
        s->w_len = 0;
        err = qcow2_read_at(s, coff, s->cbuf, fill);
        if (err)
            return err;
        s->w_off = coff;
        s->w_len = fill;
    }
    err = inflate_raw(s->cbuf + (coff - s->w_off), (size_t)csize, s->zc, s->cluster_bytes,
                      &got, NULL);
    if (err == ERR_NOMEM)
        return err;
    if (err || got != s->cluster_bytes) {
        pr_err("qcow2: %s: compressed cluster %llu at 0x%llx does not inflate (%s, %zu of "
               "%u bytes)\n", s->f->name, (unsigned long long)vcl, (unsigned long long)coff,
               err_name(err), got, (unsigned)s->cluster_bytes);
        return ERR_CORRUPT;
    }
    s->zc_entry = e;
    return 0;
}

/* ---- read ------------------------------------------------------------------------------ */

static int qcow2_read(struct vd_image *img, uint64_t off, void *buf, size_t len, size_t *done)
{
    struct qcow2 *s = img->priv;
    uint64_t vcl = off >> s->cluster_bits, e, l2, host, next_host;
    size_t in = (size_t)(off & (s->cluster_bytes - 1));
    size_t n = MIN(len, (size_t)s->cluster_bytes - in);
    enum qcow2_kind kind, k2;
    int err;

    *done = 0;
    if (off > s->disk_bytes || len > s->disk_bytes - off)
        return ERR_RANGE;
    /* 1. Classify the first cluster. */
    err = qcow2_entry(s, vcl, &e, &l2);
    if (!err)
        err = qcow2_classify(s, vcl, e, &kind, &host);
    if (err)
        return err;
    if (kind == QK_COMPRESSED) {
        err = qcow2_inflate(s, vcl, e, host);
        if (err)
            return err;
        memcpy(buf, s->zc + in, n);
        *done = n;
        return 0;
    }
    /* 2. Extend over following clusters of the same kind in the same L2
     *    table (contiguous on the host for normal clusters). */
    next_host = host + s->cluster_bytes;
    while (n < len && ((vcl + 1) >> s->l2_bits) == (vcl >> s->l2_bits)) {
        uint64_t e2 = 0, h2;
        vcl++;
        if (l2)
            e2 = vd_be64_at(s->l2_cache, (size_t)(vcl & ((1u << s->l2_bits) - 1)) * 8);
        err = qcow2_classify(s, vcl, e2, &k2, &h2);
        if (err || k2 != kind || (kind == QK_NORMAL && h2 != next_host))
            break;
        next_host += s->cluster_bytes;
        n += MIN(len - n, (size_t)s->cluster_bytes);
    }
    /* 3. Deliver. */
    *done = n;
    if (kind == QK_FREE)
        return VD_BLOCK_FREE;
    if (kind == QK_ZERO) {
        memset(buf, 0, n);
        return 0;
    }
    return qcow2_read_at(s, host + in, buf, n);
}

/* ---- allocation and refcounts --------------------------------------------------------- */

static int qcow2_rb_load(struct qcow2 *s, uint64_t rb)
{
    int err;

    if (s->rb_cache_off == rb)
        return 0;
    s->rb_cache_off = 0;
    err = qcow2_read_at(s, rb, s->rb_cache, s->cluster_bytes);
    if (err)
        return err;
    s->rb_cache_off = rb;
    return 0;
}

/* Refcount of the cluster at host offset `host` (0 without a block). */
static int qcow2_refcount(struct qcow2 *s, uint64_t host, uint64_t *rc)
{
    uint64_t cl = host >> s->cluster_bits, rti = cl >> s->rb_bits, rb;
    int err;

    *rc = 0;
    if (rti >= s->rt_entries)
        return 0;
    rb = s->rt[rti] & QCOW2_RT_OFFSET_MASK;
    if (!rb)
        return 0;
    err = qcow2_rb_load(s, rb);
    if (err)
        return err;
    *rc = qcow2_rc_get(s, s->rb_cache, cl & ((1ull << s->rb_bits) - 1));
    return 0;
}

/* Append `len` bytes at a freshly allocated offset (the file is cut back
 * if the write fails, so ERR_NOSPC leaves no tail). */
static int qcow2_append(struct qcow2 *s, uint64_t off, const void *buf, size_t len)
{
    int err = vd_file_append(s->f, s->file_bytes, off, buf, len);
    if (err)
        return err;
    if (off + len > s->file_bytes)
        s->file_bytes = off + len;
    return 0;
}

/* Next free cluster at the end of the file. */
static int qcow2_alloc(struct qcow2 *s, uint64_t *out)
{
    for (unsigned i = 0; i < QCOW2_ALLOC_SKIP_MAX; i++) {
        uint64_t off = s->alloc_next, rc;
        int err = qcow2_refcount(s, off, &rc);
        if (err)
            return err;
        s->alloc_next += s->cluster_bytes;
        if (rc == 0) {
            *out = off;
            return 0;
        }
    }
    pr_err("qcow2: %s: clusters past the end of the file are in use\n", s->f->name);
    return ERR_CORRUPT;
}

static int qcow2_refcount_add(struct qcow2 *s, uint64_t host, int delta, unsigned depth);

/* Allocate, write and hook up a new refcount block for table index rti. */
static int qcow2_refblock_new(struct qcow2 *s, uint64_t rti, unsigned depth)
{
    uint64_t nb, self;
    uint8_t be[8];
    size_t at, len;
    int err;

    /* 1. A cluster at the end, zeroed; if it covers itself, count itself. */
    err = qcow2_alloc(s, &nb);
    if (err)
        return err;
    s->rb_cache_off = 0;
    memset(s->rb_cache, 0, s->cluster_bytes);
    self = nb >> s->cluster_bits;
    if ((self >> s->rb_bits) == rti)
        qcow2_rc_set(s, s->rb_cache, self & ((1ull << s->rb_bits) - 1), 1, &at, &len);
    err = qcow2_append(s, nb, s->rb_cache, s->cluster_bytes);
    if (err)
        return err;
    s->rb_cache_off = nb;
    /* 2. Otherwise its refcount goes into another block (nested, bounded). */
    if ((self >> s->rb_bits) != rti) {
        err = qcow2_refcount_add(s, nb, 1, depth + 1);
        if (err)
            return err;
    }
    /* 3. Point the refcount table at it: the block is now in use. */
    vd_put_be64(be, 0, nb);
    err = s->f->ops->write(s->f, s->rt_offset + rti * 8, be, 8);
    if (err)
        return err;
    s->rt[rti] = nb;
    return 0;
}

/* Add delta (+1/-1) to the refcount of the cluster at `host`. */
static int qcow2_refcount_add(struct qcow2 *s, uint64_t host, int delta, unsigned depth)
{
    uint64_t cl = host >> s->cluster_bits, rti = cl >> s->rb_bits, idx, v, rb;
    size_t at, len;
    int err;

    if (depth > QCOW2_REFBLOCK_DEPTH_MAX)
        return ERR_CORRUPT;
    if (rti >= s->rt_entries) {
        pr_err("qcow2: %s: refcount table full (cluster %llu needs entry %llu of %u)\n",
               s->f->name, (unsigned long long)cl, (unsigned long long)rti,
               (unsigned)s->rt_entries);
        return ERR_NOSPC;
    }
    if (!(s->rt[rti] & QCOW2_RT_OFFSET_MASK)) {
        if (delta < 0)
            goto err_underflow;
        err = qcow2_refblock_new(s, rti, depth);
        if (err)
            return err;
    }
    rb = s->rt[rti] & QCOW2_RT_OFFSET_MASK;
    err = qcow2_rb_load(s, rb);
    if (err)
        return err;
    idx = cl & ((1ull << s->rb_bits) - 1);
    v = qcow2_rc_get(s, s->rb_cache, idx);
    if (delta < 0 && v == 0)
        goto err_underflow;
    if (delta > 0 && v == qcow2_rc_max(s)) {
        pr_err("qcow2: %s: refcount of cluster %llu would overflow\n", s->f->name,
               (unsigned long long)cl);
        return ERR_RANGE;
    }
    qcow2_rc_set(s, s->rb_cache, idx, delta > 0 ? v + 1 : v - 1, &at, &len);
    err = s->f->ops->write(s->f, rb + at, s->rb_cache + at, len);
    if (err)
        s->rb_cache_off = 0;
    return err;

err_underflow:
    pr_err("qcow2: %s: refcount of in-use cluster %llu is already 0\n", s->f->name,
           (unsigned long long)cl);
    return ERR_CORRUPT;
}

/* Drop the references an old L2 entry held (after it was replaced). */
static int qcow2_release(struct qcow2 *s, enum qcow2_kind kind, uint64_t e, uint64_t host)
{
    if (kind == QK_COMPRESSED) {
        unsigned x = 62 - (s->cluster_bits - 8);
        uint64_t sectors = ((e >> x) & ((1ull << (s->cluster_bits - 8)) - 1)) + 1;
        uint64_t first = (host & ~511ull) >> s->cluster_bits;
        uint64_t last = ((host & ~511ull) + sectors * 512 - 1) >> s->cluster_bits;
        for (uint64_t c = first; c <= last; c++) {
            int err = qcow2_refcount_add(s, c << s->cluster_bits, -1, 0);
            if (err)
                return err;
        }
        return 0;
    }
    if (host)
        return qcow2_refcount_add(s, host, -1, 0);
    return 0;
}

/* ---- write ----------------------------------------------------------------------------- */

/* The autoclear bits describe data we do not maintain (bitmaps): clear them
 * before the first change (qcow2.txt "autoclear_features"). */
static int qcow2_clear_autoclear(struct qcow2 *s)
{
    uint8_t zero[8] = { 0 };
    int err;

    if (!s->autoclear)
        return 0;
    err = s->f->ops->write(s->f, QH_AUTOCLEAR, zero, sizeof(zero));
    if (!err)
        s->autoclear = 0;
    return err;
}

/* Old content of a cluster that is about to be replaced, into s->tmp. */
static int qcow2_old_content(struct qcow2 *s, uint64_t vcl, enum qcow2_kind kind, uint64_t e,
                             uint64_t host)
{
    int err;

    if (kind == QK_NORMAL)
        return qcow2_read_at(s, host, s->tmp, s->cluster_bytes);
    if (kind == QK_COMPRESSED) {
        err = qcow2_inflate(s, vcl, e, host);
        if (!err)
            memcpy(s->tmp, s->zc, s->cluster_bytes);
        return err;
    }
    memset(s->tmp, 0, s->cluster_bytes);
    return 0;
}

/* Point virtual cluster vcl at `host` (L2 entry, new L2 table and L1 entry
 * if needed): the steps after the data and its refcount are on disk. */
static int qcow2_map(struct qcow2 *s, uint64_t vcl, uint64_t l2, uint64_t host)
{
    uint64_t l1i = vcl >> s->l2_bits, entry = host | QCOW2_OFLAG_COPIED;
    size_t idx = (size_t)(vcl & ((1u << s->l2_bits) - 1)) * 8;
    uint8_t be[8];
    int err;

    vd_put_be64(be, 0, entry);
    if (l2) {
        /* Existing table: one 8-byte write is the commit point. */
        err = s->f->ops->write(s->f, l2 + idx, be, 8);
        if (err)
            return err;
        if (s->l2_cache_off == l2)
            vd_put_be64(s->l2_cache, idx, entry);
        return 0;
    }
    /* New table: write it whole, count it, then the L1 entry commits. */
    err = qcow2_alloc(s, &l2);
    if (err)
        return err;
    s->l2_cache_off = 0;
    memset(s->l2_cache, 0, s->cluster_bytes);
    vd_put_be64(s->l2_cache, idx, entry);
    err = qcow2_append(s, l2, s->l2_cache, s->cluster_bytes);
    if (!err)
        err = qcow2_refcount_add(s, l2, 1, 0);
    if (err)
        return err;
    s->l2_cache_off = l2;
    vd_put_be64(be, 0, l2 | QCOW2_OFLAG_COPIED);
    err = s->f->ops->write(s->f, s->l1_offset + l1i * 8, be, 8);
    if (err)
        return err;
    s->l1[l1i] = l2 | QCOW2_OFLAG_COPIED;
    return 0;
}

static int qcow2_write(struct vd_image *img, uint64_t off, const void *buf, size_t len,
                       unsigned flags, size_t *done)
{
    struct qcow2 *s = img->priv;
    uint64_t vcl = off >> s->cluster_bits, e, l2, host, rc, cstart, fresh;
    size_t in = (size_t)(off & (s->cluster_bytes - 1));
    size_t n = MIN(len, (size_t)s->cluster_bytes - in), ulen;
    const uint8_t *data = buf;
    enum qcow2_kind kind;
    int err;

    *done = 0;
    s->w_len = 0; /* the window may cover what this write changes */
    if (img->readonly)
        return ERR_ROFS;
    if (off > s->disk_bytes || len > s->disk_bytes - off)
        return ERR_RANGE;
    cstart = vcl << s->cluster_bits;
    ulen = (size_t)MIN((uint64_t)s->cluster_bytes, s->disk_bytes - cstart);
    /* 1. Where the cluster is now. */
    err = qcow2_clear_autoclear(s);
    if (!err)
        err = qcow2_entry(s, vcl, &e, &l2);
    if (!err)
        err = qcow2_classify(s, vcl, e, &kind, &host);
    if (err)
        return err;
    /* 2. Allocated and not shared: write in place. */
    if (kind == QK_NORMAL) {
        rc = 1;
        if (!(e & QCOW2_OFLAG_COPIED))
            err = qcow2_refcount(s, host, &rc);
        if (err)
            return err;
        if (rc == 1) {
            err = s->f->ops->write(s->f, host + in, buf, n);
            if (!err)
                *done = n;
            return err;
        }
    }
    /* 3. A partial write into a free cluster over a backing file: the chain
     *    reads the old content from the backing file. */
    if (kind == QK_FREE && s->has_backing && !(flags & VD_WRITE_FULL_BLOCK) &&
        (in != 0 || n < ulen)) {
        *done = n;
        return VD_BLOCK_FREE;
    }
    /* 4. Build the new cluster: the caller's bytes over the old content
     *    (zeroes for free and zero clusters). */
    if (in != 0 || n < s->cluster_bytes) {
        if (!qcow2_lazy(&s->tmp, s->cluster_bytes))
            return ERR_NOMEM;
        if (in != 0 || n < ulen || !(flags & VD_WRITE_FULL_BLOCK) || kind != QK_FREE) {
            err = qcow2_old_content(s, vcl, kind, e, host);
            if (err)
                return err;
        } else {
            memset(s->tmp, 0, s->cluster_bytes);
        }
        memcpy(s->tmp + in, buf, n);
        data = s->tmp;
    }
    /* 5. Data -> refcount -> L2 (-> L1) -> release the old cluster. */
    err = qcow2_alloc(s, &fresh);
    if (!err)
        err = qcow2_append(s, fresh, data, s->cluster_bytes);
    if (!err)
        err = qcow2_refcount_add(s, fresh, 1, 0);
    if (!err)
        err = qcow2_map(s, vcl, l2, fresh);
    if (!err && kind != QK_FREE)
        err = qcow2_release(s, kind, e, host);
    if (err)
        return err;
    if (s->zc_entry == e)
        s->zc_entry = 0;
    *done = n;
    return 0;
}

static int qcow2_flush(struct vd_image *img)
{
    struct qcow2 *s = img->priv;
    return s->f->ops->flush ? s->f->ops->flush(s->f) : 0;
}

/* ---- create ---------------------------------------------------------------------------- */

/* QEMU's driver name for a backing format of ours. */
static const char *qcow2_backing_format(const struct vd_create_opts *o)
{
    if (!o->parent_info || !o->parent_info->format[0])
        return NULL;
    if (strcmp(o->parent_info->format, "vhd") == 0)
        return "vpc";
    return o->parent_info->format;
}

static int qcow2_create(struct vd_file *f, const struct vd_create_opts *o)
{
    const unsigned cb = QCOW2_DEFAULT_CLUSTER_BITS;
    const uint32_t cs = 1u << cb;
    unsigned version = 3, hlen = QH_V3_BYTES;
    uint64_t l1_size, l1_clusters, span = (uint64_t)1 << (cb + cb - 3);
    const char *fmt = qcow2_backing_format(o);
    size_t plen = o->parent ? strlen(o->parent) : 0, at;
    uint8_t *c;
    int err = 0;

    /* 1. Check the request. */
    if (o->variant && (strcmp(o->variant, "v2") == 0 || strcmp(o->variant, "0.10") == 0)) {
        version = 2;
        hlen = QH_V2_BYTES;
    } else if (o->variant && strcmp(o->variant, "v3") != 0 && strcmp(o->variant, "1.1") != 0 &&
               strcmp(o->variant, "dynamic") != 0) {
        return ERR_INVAL;
    }
    if (o->disk_bytes == 0 || o->disk_bytes % 512 || o->disk_bytes > QCOW2_MAX_DISK_BYTES ||
        plen > QCOW2_MAX_BACKING_BYTES || (fmt && strlen(fmt) > 16))
        return ERR_INVAL;
    l1_size = (o->disk_bytes + span - 1) / span;
    l1_clusters = MAX((l1_size * 8 + cs - 1) / cs, 1ull);
    c = kzalloc(cs);
    if (!c)
        return ERR_NOMEM;
    /* 2. L1 (zero) at cluster 3, refcount block at 2 counting clusters
     *    0..3+L1, refcount table at 1. */
    for (uint64_t i = 0; i < l1_clusters && !err; i++)
        err = f->ops->write(f, (3 + i) * cs, c, cs);
    for (uint64_t i = 0; i < 3 + l1_clusters; i++)
        vd_put_be16(c, (size_t)i * 2, 1);
    if (!err)
        err = f->ops->write(f, 2ull * cs, c, cs);
    memset(c, 0, cs);
    vd_put_be64(c, 0, 2ull * cs);
    if (!err)
        err = f->ops->write(f, 1ull * cs, c, cs);
    if (err)
        goto out_free;
    /* 3. Header last, so a half-made file has no magic. */
    memset(c, 0, cs);
    vd_put_be32(c, QH_MAGIC, QCOW2_MAGIC);
    vd_put_be32(c, QH_VERSION, version);
    vd_put_be32(c, QH_CLUSTER_BITS, cb);
    vd_put_be64(c, QH_SIZE, o->disk_bytes);
    vd_put_be32(c, QH_L1_SIZE, (uint32_t)l1_size);
    vd_put_be64(c, QH_L1_OFF, 3ull * cs);
    vd_put_be64(c, QH_RT_OFF, 1ull * cs);
    vd_put_be32(c, QH_RT_CLUSTERS, 1);
    if (version == 3) {
        vd_put_be32(c, QH_REFCOUNT_ORDER, 4);
        vd_put_be32(c, QH_HEADER_LEN, hlen);
    }
    at = hlen;
    if (fmt && plen) {
        size_t flen = strlen(fmt);
        vd_put_be32(c, at, QCOW2_EXT_BACKING_FORMAT);
        vd_put_be32(c, at + 4, (uint32_t)flen);
        memcpy(c + at + 8, fmt, flen);
        at += 8 + ALIGN_UP(flen, (size_t)8);
    }
    at += 8; /* end-of-extensions marker: type 0, length 0 */
    if (plen) {
        memcpy(c + at, o->parent, plen);
        vd_put_be64(c, QH_BACKING_OFF, at);
        vd_put_be32(c, QH_BACKING_SIZE, (uint32_t)plen);
    }
    err = f->ops->write(f, 0, c, cs);
    if (!err && f->ops->flush)
        err = f->ops->flush(f);

out_free:
    kfree(c);
    return err;
}

const struct vd_backend vd_backend_qcow2 = {
    .name = "qcow2",
    .probe = qcow2_probe,
    .open = qcow2_open,
    .close = qcow2_close,
    .read = qcow2_read,
    .write = qcow2_write,
    .flush = qcow2_flush,
    .create = qcow2_create,
    .open_parent = NULL,
};
