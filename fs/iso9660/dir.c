// SPDX-License-Identifier: MIT
/* ISO 9660 directories (ECMA-119 §6.8, §9.1): records read block by block
 * into v->blk, grouped into logical entries (a multi-extent file is a run of
 * records with the same identifier, all but the last flagged 0x80, §6.5.1),
 * named from the tree in use (plain, Joliet, or Rock Ridge NM entries found
 * through the SUSP system-use area and its CE continuation areas), and
 * looked up by path. Rock Ridge directory relocation (RRIP §4.1.5) is
 * followed: a CL entry makes a placeholder file the directory it links to,
 * and RE entries (the relocated originals) are hidden. ".." in a path is
 * taken back lexically, never through ".." records (PL is not needed).
 * Policy on bad records (STYLE §5), one log line each:
 *  - a record shorter than 34 bytes, longer than what is left of its block
 *    or directory, or whose identifier overruns it; a multi-extent run with
 *    differing identifiers, no last record, or more than ISO_MAX_EXTENTS
 *    records: reject the directory (ERR_CORRUPT), since the next record
 *    cannot be found reliably;
 *  - an extent outside the volume: the entry is listed, reading it (or
 *    entering it) gives ERR_CORRUPT; the rest of the directory stays usable;
 *  - SUSP entries with a bad length end the scan of that area, a CE outside
 *    the volume or beyond ISO_CE_MAX_HOPS ends the scan, an NM longer than
 *    ISO_RR_NAME_MAX is dropped: tolerate, the plain name is shown instead.
 * Bounds: a directory is at most ISO_DIR_MAX_BYTES, a lookup resolves at
 * most ISO_PATH_MAX_COMPONENTS names, so a looped tree cannot hang a walk.
 * Locking: the caller holds v->lock. */
#include "fs/iso9660/iso_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#define ISO_ID_MAX_BYTES 222u /* 255 - 33: longest identifier a record can hold */

/* RRIP 1.12 §5: the ER identifiers of Rock Ridge (1.09, 1.10, 1.12). */
static const char *const iso_rr_ids[] = { "RRIP_1991A", "IEEE_P1282", "IEEE_1282" };

/* A record after iso_record_parse(): every field bounded by the record. */
struct iso_record {
    uint32_t len;               /* LEN_DR, >= DR_MIN_BYTES */
    uint8_t flags;
    const uint8_t *id;          /* identifier, id_len >= 1 bytes */
    uint32_t id_len;
    const uint8_t *su;          /* system-use area (after LEN_SKP), su_len bytes */
    uint32_t su_len;
    uint64_t data_block;        /* extent + extended attribute length */
    uint32_t data_bytes;
    bool interleaved;
    const uint8_t *time;        /* DR_TIME_BYTES bytes */
};

/* What a SUSP scan found in one record (or the root's "." record). */
struct iso_susp {
    uint8_t nm[ISO_RR_NAME_MAX];
    uint32_t nm_len;
    bool nm_seen, nm_done, nm_bad;
    bool re, cl, sp, rr;
    uint32_t cl_block, sp_skip;
};

/* ---- records -------------------------------------------------------------------------------- */

static int iso_record_parse(const struct iso_vol *v, const uint8_t *r, uint32_t avail,
                            struct iso_record *out)
{
    uint32_t len = r[DR_LEN], id_len = r[DR_NAME_LEN];

    if (len < DR_MIN_BYTES || len > avail || id_len == 0 || id_len > len - DR_NAME)
        return ERR_CORRUPT;
    out->len = len;
    out->flags = r[DR_FLAGS];
    out->id = r + DR_NAME;
    out->id_len = id_len;
    /* §9.1.12: a padding byte follows an even-length identifier. */
    uint32_t su_off = DR_NAME + id_len + (id_len % 2 == 0 ? 1 : 0) + v->susp_skip;
    out->su = r + MIN(su_off, len);
    out->su_len = su_off < len ? len - su_off : 0;
    out->data_block = (uint64_t)le32_at(r, DR_EXTENT) + r[DR_EA_LEN];
    out->data_bytes = le32_at(r, DR_SIZE);
    out->interleaved = r[DR_UNIT_SIZE] != 0 || r[DR_GAP_SIZE] != 0;
    out->time = r + DR_TIME;
    return 0;
}

static bool iso_extent_is_inside(const struct iso_vol *v, uint64_t block, uint64_t bytes)
{
    if (bytes == 0)
        return true; /* empty files may point anywhere (xorriso: a shared block) */
    uint64_t start = block * ISO_BLOCK_BYTES;
    return start < v->vd.limit_bytes && bytes <= v->vd.limit_bytes - start;
}

int iso_dir_check(const struct iso_vol *v, uint32_t block, uint64_t bytes, struct iso_dir *out)
{
    if (bytes == 0 || bytes > ISO_DIR_MAX_BYTES || !iso_extent_is_inside(v, block, bytes)) {
        pr_warn("iso9660: %s: directory outside the volume or too large (block %u, %llu bytes, "
                "limit %llu bytes)", v->name, block, (unsigned long long)bytes,
                (unsigned long long)v->vd.limit_bytes);
        return ERR_CORRUPT;
    }
    out->block = block;
    out->bytes = (uint32_t)bytes;
    return 0;
}

/* ---- SUSP / Rock Ridge ---------------------------------------------------------------------- */

static void iso_susp_entry(const uint8_t *e, uint32_t elen, struct iso_susp *s, bool *ce,
                           uint32_t *ce_block, uint32_t *ce_off, uint32_t *ce_len)
{
    uint8_t a = e[0], b = e[1];
    if (a == 'C' && b == 'E' && elen >= SUSP_CE_BYTES) {
        *ce = true;
        *ce_block = le32_at(e, 4);
        *ce_off = le32_at(e, 12);
        *ce_len = le32_at(e, 20);
    } else if (a == 'N' && b == 'M' && elen >= 5 && !s->nm_done) {
        uint8_t flags = e[4];
        uint32_t n = elen - 5;
        if (flags & (RR_NM_CURRENT | RR_NM_PARENT))
            return;
        s->nm_seen = true;
        if (n > ISO_RR_NAME_MAX - s->nm_len)
            s->nm_bad = true;
        else
            memcpy(s->nm + s->nm_len, e + 5, n);
        if (!s->nm_bad)
            s->nm_len += n;
        if (!(flags & RR_NM_CONTINUE))
            s->nm_done = true;
    } else if (a == 'S' && b == 'P' && elen >= SUSP_SP_BYTES && e[4] == 0xBE && e[5] == 0xEF) {
        s->sp = true;
        s->sp_skip = e[6];
    } else if (a == 'E' && b == 'R' && elen >= 8 && e[4] <= elen - 8) {
        for (unsigned i = 0; i < ARRAY_SIZE(iso_rr_ids); i++) {
            if (strlen(iso_rr_ids[i]) == e[4] && memcmp(e + 8, iso_rr_ids[i], e[4]) == 0)
                s->rr = true;
        }
    } else if ((a == 'R' && b == 'R') || (a == 'P' && b == 'X')) {
        s->rr = true; /* RRIP 1.09 "RR" flags entry; PX in every RR record */
    } else if (a == 'R' && b == 'E') {
        s->re = true;
    } else if (a == 'C' && b == 'L' && elen >= 12) {
        s->cl = true;
        s->cl_block = le32_at(e, 4);
    }
}

/* Scan a system-use area and the continuation areas it chains to. */
static int iso_susp_scan(struct iso_vol *v, const uint8_t *area, uint32_t len, struct iso_susp *s)
{
    for (uint32_t hops = 0;; hops++) {
        bool ce = false;
        uint32_t ce_block = 0, ce_off = 0, ce_len = 0;
        /* 1. Entries of this area; a bad length or ST ends it (SUSP §5.4). */
        for (uint32_t pos = 0; pos + SUSP_HDR_BYTES <= len;) {
            const uint8_t *e = area + pos;
            uint32_t elen = e[2];
            if (elen < SUSP_HDR_BYTES || elen > len - pos)
                break;
            if (e[0] == 'S' && e[1] == 'T')
                break;
            iso_susp_entry(e, elen, s, &ce, &ce_block, &ce_off, &ce_len);
            pos += elen;
        }
        /* 2. Follow CE, bounded (a CE pointing at itself loops). */
        if (!ce || ce_len == 0)
            return 0;
        if (hops + 1 >= ISO_CE_MAX_HOPS) {
            pr_warn("iso9660: %s: more than %u SUSP continuation areas, rest ignored", v->name,
                    ISO_CE_MAX_HOPS);
            return 0;
        }
        len = MIN(ce_len, ISO_CE_MAX_BYTES);
        uint64_t pos = (uint64_t)ce_block * ISO_BLOCK_BYTES + ce_off;
        int rc = iso_read_bytes(v, pos, v->ce, len, CACHE_SYS);
        if (rc == ERR_CORRUPT)
            return 0; /* logged; tolerate (plain names) */
        if (rc)
            return rc;
        area = v->ce;
    }
}

int iso_detect_rr(struct iso_vol *v, struct iso_dir pvd_root, bool *has_rr)
{
    struct iso_susp *s = kzalloc(sizeof(*s));
    struct iso_record rec;
    int rc;

    *has_rr = false;
    v->susp_skip = 0;
    if (!s)
        return ERR_NOMEM;
    /* 1. The root's first record must be "." (§6.8.2.2). */
    uint32_t n = MIN(pvd_root.bytes, ISO_BLOCK_BYTES);
    rc = iso_read_bytes(v, (uint64_t)pvd_root.block * ISO_BLOCK_BYTES, v->blk, n, CACHE_SYS);
    if (rc)
        goto out_free;
    if (iso_record_parse(v, v->blk, n, &rec) || rec.id_len != 1 || rec.id[0] != DR_NAME_DOT) {
        pr_warn("iso9660: %s: root directory does not start with a '.' record", v->name);
        rc = ERR_CORRUPT;
        goto out_free;
    }
    /* 2. SUSP §5.3: SP opens the system-use area of this very record. */
    if (rec.su_len < SUSP_SP_BYTES || rec.su[0] != 'S' || rec.su[1] != 'P')
        goto out_free;
    rc = iso_susp_scan(v, rec.su, rec.su_len, s);
    if (rc || !s->sp)
        goto out_free;
    v->susp_skip = s->sp_skip;
    *has_rr = s->rr;
out_free:
    kfree(s);
    return rc;
}

int iso_dir_at_block(struct iso_vol *v, uint32_t block, struct iso_dir *out)
{
    struct iso_record rec;
    uint64_t start = (uint64_t)block * ISO_BLOCK_BYTES;
    if (start >= v->vd.limit_bytes) {
        pr_warn("iso9660: %s: Rock Ridge link to block %u outside the volume", v->name, block);
        return ERR_CORRUPT;
    }
    uint32_t n = (uint32_t)MIN((uint64_t)ISO_BLOCK_BYTES, v->vd.limit_bytes - start);
    int rc = iso_read_bytes(v, start, v->blk, n, CACHE_SYS);
    if (rc)
        return rc;
    if (iso_record_parse(v, v->blk, n, &rec) || rec.id_len != 1 || rec.id[0] != DR_NAME_DOT ||
        rec.data_block != block) {
        pr_warn("iso9660: %s: Rock Ridge link to block %u is not a directory", v->name, block);
        return ERR_CORRUPT;
    }
    return iso_dir_check(v, block, rec.data_bytes, out);
}

/* ---- the walk ------------------------------------------------------------------------------- */

struct iso_walk {
    struct iso_found f;         /* the entry being assembled */
    struct iso_susp s;
    uint8_t first_id[ISO_ID_MAX_BYTES]; /* identifier of its first record */
    uint32_t first_id_len;
    bool open;                  /* a multi-extent run is in progress */
    bool skip;                  /* assembled, but not reported (RE, associated) */
};

/* Name and kind of a new entry from its first record. */
static int iso_walk_begin(struct iso_vol *v, struct iso_walk *w, const struct iso_record *r)
{
    struct iso_found *f = &w->f;
    memset(f, 0, sizeof(*f));
    w->skip = (r->flags & DR_FLAG_ASSOC) != 0;
    memcpy(w->first_id, r->id, r->id_len);
    w->first_id_len = r->id_len;
    f->is_dir = (r->flags & DR_FLAG_DIR) != 0;
    f->hidden = (r->flags & DR_FLAG_HIDDEN) != 0;
    iso_time_decode(r->time, &f->time);
    if (r->id_len == 1 && r->id[0] == DR_NAME_DOT) {
        f->is_dot = true;
        kstrlcpy(f->name, ".", sizeof(f->name));
    } else if (r->id_len == 1 && r->id[0] == DR_NAME_DOTDOT) {
        f->is_dotdot = true;
        kstrlcpy(f->name, "..", sizeof(f->name));
    } else if (v->names == ISO_NAMES_JOLIET) {
        iso_name_joliet(r->id, r->id_len, f->name, sizeof(f->name));
    } else {
        iso_name_plain(r->id, r->id_len, f->name, sizeof(f->name));
    }
    if (v->names != ISO_NAMES_RR || f->is_dot || f->is_dotdot)
        return 0;
    /* Rock Ridge: NM name, relocation links. */
    memset(&w->s, 0, sizeof(w->s));
    int rc = iso_susp_scan(v, r->su, r->su_len, &w->s);
    if (rc)
        return rc;
    if (w->s.nm_seen && !w->s.nm_bad && w->s.nm_len > 0)
        iso_name_rr(w->s.nm, w->s.nm_len, f->name, sizeof(f->name));
    else if (w->s.nm_bad)
        pr_warn("iso9660: %s: Rock Ridge name longer than %u bytes, showing '%s'", v->name,
                ISO_RR_NAME_MAX, f->name);
    if (w->s.re)
        w->skip = true; /* the relocated directory: reached through its CL */
    if (w->s.cl) {
        f->is_dir = true;
        f->linked = true;
        f->link_block = w->s.cl_block;
    }
    return 0;
}

/* Add the extent of record r to the entry. */
static int iso_walk_extent(struct iso_vol *v, struct iso_walk *w, const struct iso_record *r)
{
    struct iso_found *f = &w->f;
    if (f->nextents == ISO_MAX_EXTENTS) {
        pr_warn("iso9660: %s: '%s' has more than %u extents", v->name, f->name, ISO_MAX_EXTENTS);
        return ERR_CORRUPT;
    }
    if (!iso_extent_is_inside(v, r->data_block, r->data_bytes)) {
        if (!f->bad_extent)
            pr_warn("iso9660: %s: '%s' extent outside the volume (block %llu, %u bytes, limit "
                    "%llu bytes)", v->name, f->name, (unsigned long long)r->data_block,
                    r->data_bytes, (unsigned long long)v->vd.limit_bytes);
        f->bad_extent = true;
    }
    if (r->interleaved)
        f->interleaved = true;
    f->ext[f->nextents].block = (uint32_t)MIN(r->data_block, (uint64_t)UINT32_MAX);
    f->ext[f->nextents].bytes = r->data_bytes;
    f->nextents++;
    f->size += r->data_bytes;
    return 0;
}

int iso_dir_walk(struct iso_vol *v, struct iso_dir dir,
                 int (*fn)(struct iso_vol *v, const struct iso_found *f, void *ctx), void *ctx)
{
    struct iso_walk *w = kmalloc(sizeof(*w));
    struct iso_record r;
    int rc = 0;

    if (!w)
        return ERR_NOMEM;
    w->open = false;
    for (uint32_t base = 0; base < dir.bytes && rc == 0; base += ISO_BLOCK_BYTES) {
        /* 1. One block; records never cross a block boundary (§6.8.1.1). */
        uint32_t blen = MIN(ISO_BLOCK_BYTES, dir.bytes - base);
        rc = iso_read_bytes(v, (uint64_t)dir.block * ISO_BLOCK_BYTES + base, v->blk, blen,
                            CACHE_SYS);
        for (uint32_t pos = 0; rc == 0 && pos < blen && v->blk[pos] != 0; pos += r.len) {
            /* 2. The record, checked against what is left of the block. */
            if (iso_record_parse(v, v->blk + pos, blen - pos, &r)) {
                pr_warn("iso9660: %s: bad record at byte %u of the directory at block %u "
                        "(length %u, id length %u, %u bytes left)", v->name, base + pos,
                        dir.block, v->blk[pos], pos + DR_NAME_LEN < blen ?
                        v->blk[pos + DR_NAME_LEN] : 0, blen - pos);
                rc = ERR_CORRUPT;
                break;
            }
            /* 3. First record of an entry, or the next one of a multi-extent run. */
            if (!w->open) {
                rc = iso_walk_begin(v, w, &r);
            } else if (r.id_len != w->first_id_len || memcmp(r.id, w->first_id, r.id_len)) {
                pr_warn("iso9660: %s: multi-extent run of '%s' broken by another name in the "
                        "directory at block %u", v->name, w->f.name, dir.block);
                rc = ERR_CORRUPT;
            }
            if (rc == 0)
                rc = iso_walk_extent(v, w, &r);
            if (rc)
                break;
            w->open = (r.flags & DR_FLAG_MULTI) != 0;
            /* 4. A complete entry goes to the caller. */
            if (!w->open && !w->skip) {
                if (w->f.is_dir)
                    w->f.size = 0;
                rc = fn(v, &w->f, ctx);
            }
        }
    }
    if (rc == 0 && w->open) {
        pr_warn("iso9660: %s: multi-extent run of '%s' has no last record (directory at "
                "block %u)", v->name, w->f.name, dir.block);
        rc = ERR_CORRUPT;
    }
    kfree(w);
    return rc;
}

int iso_found_dir(struct iso_vol *v, const struct iso_found *f, struct iso_dir *out)
{
    if (f->is_root) {
        *out = v->root;
        return 0;
    }
    if (!f->is_dir)
        return ERR_NOTDIR;
    if (f->linked)
        return iso_dir_at_block(v, f->link_block, out);
    if (f->nextents != 1 || f->bad_extent) {
        pr_warn("iso9660: %s: directory '%s' has %u extents%s", v->name, f->name, f->nextents,
                f->bad_extent ? ", outside the volume" : "");
        return ERR_CORRUPT;
    }
    return iso_dir_check(v, f->ext[0].block, f->ext[0].bytes, out);
}

/* ---- lookup --------------------------------------------------------------------------------- */

struct iso_find {
    const char *comp;           /* the component, len bytes */
    size_t len;
    bool have;                  /* out holds a case-insensitive match */
    struct iso_found *out;
};

static int iso_find_cb(struct iso_vol *v, const struct iso_found *f, void *ctx)
{
    struct iso_find *c = ctx;
    (void)v;
    if (f->is_dot || f->is_dotdot)
        return 0;
    int m = iso_name_match(c->comp, c->len, f->name);
    if (m == 2) {
        *c->out = *f;
        return 1; /* exact: stop */
    }
    if (m == 1 && !c->have) {
        *c->out = *f;
        c->have = true;
    }
    return 0;
}

static void iso_found_root(struct iso_vol *v, struct iso_found *out)
{
    memset(out, 0, sizeof(*out));
    out->is_root = true;
    out->is_dir = true;
    out->time = v->root_time;
}

/* Split path into components with "." dropped and ".." taken back
 * lexically (the ".." records cannot be trusted: xorriso's Joliet tree
 * points them at the folder itself). Returns the count or ERR_NAMETOOLONG. */
static int iso_path_split(const char *p, const char **comp, size_t *len)
{
    int n = 0;
    for (;;) {
        while (*p == '/')
            p++;
        if (!*p)
            return n;
        size_t k = 0;
        while (p[k] && p[k] != '/')
            k++;
        if (k == 2 && p[0] == '.' && p[1] == '.') {
            if (n > 0)
                n--;
        } else if (!(k == 1 && p[0] == '.')) {
            if (n == (int)ISO_PATH_MAX_COMPONENTS)
                return ERR_NAMETOOLONG;
            comp[n] = p;
            len[n] = k;
            n++;
        }
        p += k;
    }
}

int iso_lookup(struct iso_vol *v, const char *path, struct iso_found *out)
{
    const char **comp = kmalloc(ISO_PATH_MAX_COMPONENTS * sizeof(*comp));
    size_t *len = kmalloc(ISO_PATH_MAX_COMPONENTS * sizeof(*len));
    int rc = ERR_NOMEM;

    iso_found_root(v, out);
    if (!comp || !len)
        goto out_free;
    int n = iso_path_split(path, comp, len);
    rc = n < 0 ? n : 0;
    for (int i = 0; i < n && rc == 0; i++) {
        struct iso_find c = { comp[i], len[i], false, out };
        struct iso_dir dir;
        rc = iso_found_dir(v, out, &dir);
        if (rc)
            break;
        if (len[i] >= VFS_NAME_MAX) {
            rc = ERR_NOENT;
            break;
        }
        rc = iso_dir_walk(v, dir, iso_find_cb, &c);
        if (rc == 1 || (rc == 0 && c.have))
            rc = 0;
        else if (rc == 0)
            rc = ERR_NOENT;
    }
out_free:
    kfree(comp);
    kfree(len);
    return rc;
}
