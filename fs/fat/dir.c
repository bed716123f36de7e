// SPDX-License-Identifier: MIT
/* Directories (FAT spec §6, §7): reading entries with their long names,
 * lookup by name and by path, adding entries (long-name run + unique ~N
 * alias), removing and rewriting them. A directory is a stream of 32-byte
 * entries addressed by index: the fixed root area on FAT12/16, otherwise a
 * cluster chain (bounded by FAT_DIR_MAX_ENTRIES and by the chain checks of
 * table.c). One directory sector at a time is held in v->sec.
 * Policy on bad entries (STYLE §5): a long-name run that is out of order,
 * has a bad sequence number or whose checksum does not match the 8.3 entry
 * after it is ignored with a warning and the 8.3 name is used (tolerate:
 * real systems leave such orphans, e.g. DOS renames). A folder entry without
 * a first cluster is rejected (ERR_CORRUPT) when it is entered. Bad cluster
 * numbers in entries are caught by the chain walks when the data is used.
 * Locking: the caller holds v->lock. */
#include "fs/fat/fat_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/wallclock.h"

#define FAT_ALIAS_MAX 65536u /* ~N tails tried; a directory has at most 65536 entries */
#define FAT_DIR_DEPTH_MAX 4096u /* ".." links followed when checking ancestry */

/* DOS dates cover 1980-01-01 .. 2107-12-31 (FAT spec §6.1). A wall clock
 * outside that range is clamped to its nearest end rather than wrapped, so a
 * stamp is never younger than it should be by 128 years. */
#define FAT_YEAR_MIN 1980u
#define FAT_YEAR_MAX 2107u

void fat_now(uint16_t *date, uint16_t *time)
{
    struct wall_time w;
    wallclock_now(&w); /* always filled: a fallback instant if the clock is unknown */
    struct vfs_time t = { w.year, w.month, w.day, w.hour, w.minute, w.second };
    if (w.year < FAT_YEAR_MIN) {
        t = (struct vfs_time){ FAT_YEAR_MIN, 1, 1, 0, 0, 0 };
    } else if (w.year > FAT_YEAR_MAX) {
        t = (struct vfs_time){ FAT_YEAR_MAX, 12, 31, 23, 59, 58 };
    }
    fat_time_encode(&t, date, time);
}

void fat_time_decode(uint16_t date, uint16_t time, struct vfs_time *out)
{
    out->year = (uint16_t)(1980 + (date >> 9));
    out->month = (uint8_t)((date >> 5) & 0x0F);
    out->day = (uint8_t)(date & 0x1F);
    out->hour = (uint8_t)(time >> 11);
    out->minute = (uint8_t)((time >> 5) & 0x3F);
    out->second = (uint8_t)((time & 0x1F) * 2);
}

void fat_time_encode(const struct vfs_time *t, uint16_t *date, uint16_t *time)
{
    uint16_t y = t->year < 1980 ? 0 : t->year > 2107 ? 127 : (uint16_t)(t->year - 1980);
    *date = (uint16_t)((y << 9) | ((t->month & 0x0F) << 5) | (t->day & 0x1F));
    *time = (uint16_t)(((t->hour & 0x1F) << 11) | ((t->minute & 0x3F) << 5) |
                       ((t->second / 2) & 0x1F));
}

void fat_ent_set_cluster(uint8_t *raw, uint32_t c)
{
    put_le16(raw, DIR_FST_CLUS_LO, (uint16_t)c);
    put_le16(raw, DIR_FST_CLUS_HI, (uint16_t)(c >> 16));
}

bool fat_found_is_dir(const struct fat_found *f)
{
    return f->is_root || (f->raw[DIR_ATTR] & VFS_ATTR_DIR);
}

struct fat_dir fat_root_dir(const struct fat_vol *v)
{
    struct fat_dir d = { v->bpb.type == FAT_TYPE_32 ? v->bpb.root_cluster : 0 };
    return d;
}

static bool fat_raw_is_dotdot(const uint8_t *raw)
{
    return raw[0] == '.' && raw[1] == '.' && raw[2] == ' ';
}

static bool fat_raw_is_dot(const uint8_t *raw)
{
    return raw[0] == '.' && raw[1] == ' ';
}

int fat_found_dir(const struct fat_vol *v, const struct fat_found *f, struct fat_dir *out)
{
    if (f->is_root) {
        *out = fat_root_dir(v);
        return 0;
    }
    uint32_t c = fat_ent_cluster(v, f->raw);
    if (c == 0 && fat_raw_is_dotdot(f->raw)) {
        *out = fat_root_dir(v); /* ".." of a top-level folder */
        return 0;
    }
    if (!fat_cluster_is_valid(v, c)) {
        pr_warn("fat: %s: folder entry with first cluster %u (entry %u)", v->name, c,
                f->index);
        return ERR_CORRUPT;
    }
    out->first = c;
    return 0;
}

/* ---- entry access ----------------------------------------------------------------------------- */

/* Sector and byte offset of entry `index`; ERR_EOM past the directory's end. */
static int fat_dir_locate(struct fat_vol *v, struct fat_dir dir, uint32_t index,
                          uint32_t *sector, uint32_t *off)
{
    const struct fat_bpb *b = &v->bpb;
    if (index >= FAT_DIR_MAX_ENTRIES)
        return ERR_EOM;
    uint32_t byte = index * FAT_DIRENT_BYTES;
    if (dir.first == 0) {
        if (byte / b->sector_bytes >= b->root_sectors)
            return ERR_EOM;
        *sector = b->root_first + byte / b->sector_bytes;
        *off = byte % b->sector_bytes;
        return 0;
    }
    uint32_t c;
    int rc = fat_chain_nth(v, dir.first, byte / b->cluster_bytes, &c);
    if (rc)
        return rc;
    uint32_t within = byte % b->cluster_bytes;
    *sector = fat_cluster_sector(v, c) + within / b->sector_bytes;
    *off = within % b->sector_bytes;
    return 0;
}

/* Pointer to entry `index` inside v->sec (valid until the next directory
 * access); *sector for fat_dir_put. */
static int fat_dir_get(struct fat_vol *v, struct fat_dir dir, uint32_t index, uint8_t **ent,
                       uint32_t *sector)
{
    uint32_t off;
    int rc = fat_dir_locate(v, dir, index, sector, &off);
    if (rc)
        return rc;
    if (v->sec_lba != *sector) {
        v->sec_lba = UINT32_MAX;
        rc = fat_io_read(v, *sector, 1, v->sec, CACHE_SYS);
        if (rc)
            return rc;
        v->sec_lba = *sector;
    }
    *ent = v->sec + off;
    return 0;
}

/* Write v->sec back as `sector`. The sector may now point at clusters
 * allocated in this operation, which so far live only in the FAT sector
 * LRU: those go into the cache first (allocation before reference,
 * fat_priv.h), so no write-back - the flusher's, or the one cache_write
 * throttles into right after this write - can take the entry without them. */
static int fat_dir_put(struct fat_vol *v, uint32_t sector)
{
    int rc = fat_table_flush(v);
    if (rc)
        return rc;
    return fat_io_write(v, sector, 1, v->sec, CACHE_SYS);
}

/* ---- walking ---------------------------------------------------------------------------------- */

struct fat_lfn {
    bool active;
    unsigned expect;        /* next sequence number wanted */
    unsigned count;         /* entries in the run */
    uint8_t sum;
    uint32_t start;         /* index of its first entry */
    uint16_t units[LFN_MAX_ENTRIES * LFN_UNITS_PER_ENTRY];
};

static void fat_lfn_take(struct fat_lfn *l, const uint8_t *e, unsigned seq)
{
    uint16_t *u = l->units + (seq - 1) * LFN_UNITS_PER_ENTRY;
    for (unsigned i = 0; i < 5; i++)
        u[i] = le16_at(e, LFN_NAME1 + 2 * i);
    for (unsigned i = 0; i < 6; i++)
        u[5 + i] = le16_at(e, LFN_NAME2 + 2 * i);
    for (unsigned i = 0; i < 2; i++)
        u[11 + i] = le16_at(e, LFN_NAME3 + 2 * i);
}

/* Feed one long-name entry to the assembler. */
static void fat_lfn_feed(struct fat_vol *v, struct fat_lfn *l, const uint8_t *e, uint32_t index)
{
    unsigned ord = e[LFN_ORD];
    if (ord & LFN_LAST) {
        unsigned n = ord & 0x1F;
        if (l->active)
            pr_warn("fat: %s: long name cut short at entry %u; ignored", v->name, index);
        l->active = false;
        if (n == 0 || n > LFN_MAX_ENTRIES) {
            pr_warn("fat: %s: long-name entry %u has bad sequence 0x%x; ignored", v->name,
                    index, ord);
            return;
        }
        l->active = true;
        l->count = n;
        l->sum = e[LFN_CHKSUM];
        l->start = index;
        fat_lfn_take(l, e, n);
        l->expect = n - 1;
        return;
    }
    if (!l->active || ord != l->expect || ord == 0 || e[LFN_CHKSUM] != l->sum) {
        if (l->active)
            pr_warn("fat: %s: long-name entry %u out of sequence; name ignored", v->name,
                    index);
        l->active = false;
        return;
    }
    fat_lfn_take(l, e, ord);
    l->expect--;
}

/* The name of a short entry, taking the assembled long name if it belongs. */
static void fat_found_name(struct fat_vol *v, struct fat_lfn *l, struct fat_found *f)
{
    f->lfn_index = f->index;
    if (l->active && l->expect == 0) {
        if (fat_lfn_checksum(f->raw) == l->sum) {
            size_t max = (size_t)l->count * LFN_UNITS_PER_ENTRY, n = 0;
            while (n < max && n < FAT_NAME_UNITS && l->units[n] != 0)
                n++;
            if (n > 0) {
                memcpy(f->units, l->units, n * sizeof(uint16_t));
                f->nunits = n;
                f->lfn_index = l->start;
                l->active = false;
                return;
            }
        }
        pr_warn("fat: %s: long name before entry %u fails its checksum; 8.3 name used",
                v->name, f->index);
    } else if (l->active) {
        pr_warn("fat: %s: incomplete long name before entry %u; 8.3 name used", v->name,
                f->index);
    }
    l->active = false;
    f->nunits = fat_short_to_units(f->raw, f->units);
}

int fat_dir_walk(struct fat_vol *v, struct fat_dir dir,
                 int (*fn)(struct fat_vol *v, const struct fat_found *f, void *ctx), void *ctx)
{
    struct fat_lfn *l = kzalloc(sizeof(*l));
    struct fat_found *f = kzalloc(sizeof(*f));
    int rc = ERR_NOMEM;

    if (!l || !f)
        goto out_free;
    for (uint32_t index = 0;; index++) {
        uint8_t *e;
        uint32_t sector;
        rc = fat_dir_get(v, dir, index, &e, &sector);
        if (rc == ERR_EOM) {
            rc = 0;
            break;
        }
        if (rc)
            break;
        if (e[0] == FAT_ENTRY_FREE)
            break;
        if (e[0] == FAT_ENTRY_DELETED) {
            l->active = false;
            continue;
        }
        if ((e[DIR_ATTR] & FAT_ATTR_MASK) == FAT_ATTR_LFN) {
            fat_lfn_feed(v, l, e, index);
            continue;
        }
        if (e[DIR_ATTR] & VFS_ATTR_VOLUME) {
            l->active = false;
            continue;
        }
        memcpy(f->raw, e, FAT_DIRENT_BYTES);
        f->parent = dir;
        f->index = index;
        f->is_root = false;
        fat_found_name(v, l, f);
        rc = fn(v, f, ctx);
        if (rc)
            break;
    }
out_free:
    kfree(l);
    kfree(f);
    return rc;
}

/* ---- lookup ----------------------------------------------------------------------------------- */

struct fat_find_ctx {
    const uint16_t *u;
    size_t n;
    struct fat_found *out;
};

#define FAT_WALK_FOUND 1 /* positive: stops the walk, never an error code */

static int fat_find_cb(struct fat_vol *v, const struct fat_found *f, void *ctx)
{
    struct fat_find_ctx *c = ctx;
    uint16_t short_units[13];
    (void)v;
    if (!fat_units_equal_nocase(f->units, f->nunits, c->u, c->n)) {
        size_t sn = fat_short_to_units(f->raw, short_units);
        if (!fat_units_equal_nocase(short_units, sn, c->u, c->n))
            return 0;
    }
    *c->out = *f;
    return FAT_WALK_FOUND;
}

int fat_dir_find(struct fat_vol *v, struct fat_dir dir, const uint16_t *u, size_t n,
                 struct fat_found *out)
{
    struct fat_find_ctx c = { u, n, out };
    int rc = fat_dir_walk(v, dir, fat_find_cb, &c);
    if (rc == FAT_WALK_FOUND)
        return 0;
    return rc ? rc : ERR_NOENT;
}

static void fat_found_root(struct fat_vol *v, struct fat_found *out)
{
    memset(out, 0, sizeof(*out));
    out->is_root = true;
    out->parent = fat_root_dir(v);
    out->raw[DIR_ATTR] = VFS_ATTR_DIR;
}

/* Next component of a path: *start and *len, returns false at the end. */
static bool fat_path_next(const char **p, const char **start, size_t *len)
{
    while (**p == '/')
        (*p)++;
    if (!**p)
        return false;
    *start = *p;
    while (**p && **p != '/')
        (*p)++;
    *len = (size_t)(*p - *start);
    return true;
}

int fat_lookup(struct fat_vol *v, const char *path, struct fat_found *out)
{
    uint16_t *u = kmalloc((FAT_NAME_UNITS + 1) * sizeof(uint16_t));
    const char *p = path, *comp;
    size_t len;
    int rc = 0;

    if (!u)
        return ERR_NOMEM;
    fat_found_root(v, out);
    while (fat_path_next(&p, &comp, &len)) {
        struct fat_dir dir;
        if (!fat_found_is_dir(out)) {
            rc = ERR_NOTDIR;
            break;
        }
        rc = fat_found_dir(v, out, &dir);
        if (rc)
            break;
        int n = fat_utf8_to_utf16(comp, len, u, FAT_NAME_UNITS);
        if (n < 0) {
            rc = n == ERR_NAMETOOLONG ? ERR_NOENT : ERR_NOENT;
            break;
        }
        if (n == 1 && u[0] == '.')
            continue;
        rc = fat_dir_find(v, dir, u, (size_t)n, out);
        if (rc)
            break;
        /* ".." of a top-level folder names the root. */
        if (fat_raw_is_dotdot(out->raw) && fat_ent_cluster(v, out->raw) == 0)
            fat_found_root(v, out);
    }
    kfree(u);
    return rc;
}

int fat_lookup_parent(struct fat_vol *v, const char *path, struct fat_dir *dir, uint16_t *u,
                      size_t *n)
{
    struct fat_found *parent = kmalloc(sizeof(*parent));
    size_t end = strlen(path);
    int rc;

    if (!parent)
        return ERR_NOMEM;
    while (end > 0 && path[end - 1] == '/')
        end--;
    size_t slash = end;
    while (slash > 0 && path[slash - 1] != '/')
        slash--;
    if (slash == end) {
        rc = ERR_INVAL; /* no last component: the root itself */
        goto out_free;
    }
    /* 1. The parent folder, from a copy of the path cut at the last '/'. */
    char *head = kmalloc(slash + 1);
    rc = ERR_NOMEM;
    if (!head)
        goto out_free;
    memcpy(head, path, slash);
    head[slash] = '\0';
    rc = fat_lookup(v, head, parent);
    kfree(head);
    if (rc)
        goto out_free;
    if (!fat_found_is_dir(parent)) {
        rc = ERR_NOTDIR;
        goto out_free;
    }
    rc = fat_found_dir(v, parent, dir);
    if (rc)
        goto out_free;
    /* 2. The last component, checked as a FAT name. */
    int units = fat_utf8_to_utf16(path + slash, end - slash, u, FAT_NAME_UNITS);
    if (units < 0) {
        rc = units;
        goto out_free;
    }
    *n = (size_t)units;
    rc = fat_name_check(u, n);
out_free:
    kfree(parent);
    return rc;
}

int fat_dir_is_inside(struct fat_vol *v, struct fat_dir dir, uint32_t ancestor, bool *inside)
{
    struct fat_dir root = fat_root_dir(v);
    for (uint32_t depth = 0; depth < FAT_DIR_DEPTH_MAX; depth++) {
        uint8_t *e;
        uint32_t sector;
        if (dir.first == ancestor) {
            *inside = true;
            return 0;
        }
        if (dir.first == root.first) {
            *inside = false;
            return 0;
        }
        int rc = fat_dir_get(v, dir, 1, &e, &sector);
        if (rc)
            return rc == ERR_EOM ? ERR_CORRUPT : rc;
        if (!fat_raw_is_dotdot(e)) {
            pr_warn("fat: %s: folder at cluster %u has no '..' entry", v->name, dir.first);
            return ERR_CORRUPT;
        }
        uint32_t up = fat_ent_cluster(v, e);
        dir = up == 0 ? root : (struct fat_dir){ up };
    }
    pr_warn("fat: %s: folder nesting deeper than %u", v->name, FAT_DIR_DEPTH_MAX);
    return ERR_CORRUPT;
}

/* ---- adding and removing ---------------------------------------------------------------------- */

struct fat_alias_ctx {
    const uint8_t *basis;
    size_t basis_len;       /* characters of the base part before the blanks */
    uint8_t *used;          /* bitmap of taken ~N */
};

static int fat_alias_cb(struct fat_vol *v, const struct fat_found *f, void *ctx)
{
    struct fat_alias_ctx *c = ctx;
    const uint8_t *r = f->raw;
    (void)v;
    if (memcmp(r + 8, c->basis + 8, 3) != 0)
        return 0;
    for (size_t t = 0; t < 7; t++) {
        if (r[t] != '~')
            continue;
        uint32_t num = 0;
        size_t d = t + 1;
        while (d < 8 && r[d] >= '0' && r[d] <= '9')
            num = num * 10 + (uint32_t)(r[d++] - '0');
        if (d == t + 1 || (d < 8 && r[d] != ' ') || num == 0 || num >= FAT_ALIAS_MAX)
            return 0;
        size_t keep = MIN(c->basis_len, 8 - (d - t));
        if (keep == t && memcmp(r, c->basis, t) == 0)
            c->used[num / 8] |= (uint8_t)(1u << (num % 8));
        return 0;
    }
    return 0;
}

/* Turn `name11` (a basis) into a unique "BASIS~N" alias in dir. */
static int fat_make_alias(struct fat_vol *v, struct fat_dir dir, uint8_t name11[11])
{
    struct fat_alias_ctx c = { name11, 8, kzalloc(FAT_ALIAS_MAX / 8) };
    if (!c.used)
        return ERR_NOMEM;
    while (c.basis_len > 0 && name11[c.basis_len - 1] == ' ')
        c.basis_len--;
    int rc = fat_dir_walk(v, dir, fat_alias_cb, &c);
    uint32_t num = 1;
    while (rc == 0 && num < FAT_ALIAS_MAX && (c.used[num / 8] & (1u << (num % 8))))
        num++;
    kfree(c.used);
    if (rc)
        return rc;
    if (num >= FAT_ALIAS_MAX)
        return ERR_NOSPC;
    char digits[8];
    size_t nd = 0;
    for (uint32_t x = num; x; x /= 10)
        digits[nd++] = (char)('0' + x % 10);
    size_t keep = MIN(c.basis_len, 8 - 1 - nd);
    memset(name11 + keep, ' ', 8 - keep);
    name11[keep] = '~';
    for (size_t i = 0; i < nd; i++)
        name11[keep + 1 + i] = (uint8_t)digits[nd - 1 - i];
    return 0;
}

/* Zero a fresh cluster. */
int fat_zero_cluster(struct fat_vol *v, uint32_t c)
{
    return fat_io_write(v, fat_cluster_sector(v, c), v->bpb.cluster_sectors, v->zero,
                        CACHE_SYS);
}

/* Find `need` consecutive free entries; grows a cluster directory. */
static int fat_dir_find_free(struct fat_vol *v, struct fat_dir dir, uint32_t need,
                             uint32_t *start_out)
{
    uint32_t run = 0, start = 0, index = 0;
    for (;; index++) {
        uint8_t *e;
        uint32_t sector;
        int rc = fat_dir_get(v, dir, index, &e, &sector);
        if (rc == ERR_EOM)
            break;
        if (rc)
            return rc;
        if (e[0] == FAT_ENTRY_FREE || e[0] == FAT_ENTRY_DELETED) {
            if (run++ == 0)
                start = index;
            if (run == need) {
                *start_out = start;
                return 0;
            }
        } else {
            run = 0;
        }
    }
    /* End of the directory's space: the fixed root cannot grow. */
    if (dir.first == 0)
        return ERR_NOSPC;
    if (run == 0)
        start = index;
    uint32_t per_cluster = v->bpb.cluster_bytes / FAT_DIRENT_BYTES;
    uint32_t more = (need - run + per_cluster - 1) / per_cluster;
    if ((uint64_t)index + (uint64_t)more * per_cluster > FAT_DIR_MAX_ENTRIES)
        return ERR_NOSPC;
    /* New clusters are zeroed and written back before the link that makes
     * them part of the folder (fat_priv.h, write ordering). */
    uint32_t len, last, first_new = 0;
    int rc = fat_alloc(v, 0, more, &first_new);
    for (uint32_t k = 0, c = first_new; rc == 0 && k < more; k++) {
        rc = fat_zero_cluster(v, c);
        if (rc == 0 && k + 1 < more)
            rc = fat_next(v, c, &c);
    }
    if (rc == 0)
        rc = fat_table_flush(v);
    if (rc == 0)
        rc = cache_sync(v->m);
    if (rc == 0)
        rc = fat_chain_length(v, dir.first, &len, &last);
    if (rc == 0)
        rc = fat_set(v, last, first_new);
    if (rc && first_new)
        fat_free_chain(v, first_new);
    if (rc == 0)
        *start_out = start;
    return rc;
}

int fat_dir_add(struct fat_vol *v, struct fat_dir dir, const uint16_t *u, size_t n,
                const uint8_t *raw, struct fat_found *out)
{
    uint8_t name11[11], ntres = 0;
    uint32_t nlfn = 0, start;
    int rc;

    /* 1. The 8.3 name: the name itself if it has an exact 8.3 form, else a
     *    basis with a unique ~N tail and the long name in front (§7.4). */
    if (!fat_name_fits_short(u, n, name11, &ntres)) {
        fat_name_basis(u, n, name11);
        rc = fat_make_alias(v, dir, name11);
        if (rc)
            return rc;
        nlfn = (uint32_t)((n + LFN_UNITS_PER_ENTRY - 1) / LFN_UNITS_PER_ENTRY);
    }
    /* 2. Room for the run. */
    rc = fat_dir_find_free(v, dir, nlfn + 1, &start);
    if (rc)
        return rc;
    uint8_t sum = fat_lfn_checksum(name11);
    /* 3. Long-name entries, last part first (§7: ord N|0x40 ... 1). */
    for (uint32_t k = 0; k < nlfn; k++) {
        uint32_t seq = nlfn - k, sector;
        uint8_t *e;
        rc = fat_dir_get(v, dir, start + k, &e, &sector);
        if (rc)
            return rc;
        memset(e, 0, FAT_DIRENT_BYTES);
        e[LFN_ORD] = (uint8_t)(seq | (k == 0 ? LFN_LAST : 0));
        e[LFN_ATTR] = FAT_ATTR_LFN;
        e[LFN_CHKSUM] = sum;
        static const uint8_t pos[13] = { 1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30 };
        for (unsigned i = 0; i < LFN_UNITS_PER_ENTRY; i++) {
            size_t at = (seq - 1) * LFN_UNITS_PER_ENTRY + i;
            uint16_t unit = at < n ? u[at] : at == n ? 0x0000 : 0xFFFF;
            put_le16(e, pos[i], unit);
        }
        rc = fat_dir_put(v, sector);
        if (rc)
            return rc;
    }
    /* 4. The short entry: the template with the new name. */
    uint8_t *e;
    uint32_t sector;
    rc = fat_dir_get(v, dir, start + nlfn, &e, &sector);
    if (rc)
        return rc;
    memcpy(e, raw, FAT_DIRENT_BYTES);
    memcpy(e, name11, 11);
    e[DIR_NTRES] = ntres;
    if (out) {
        memcpy(out->raw, e, FAT_DIRENT_BYTES);
        out->parent = dir;
        out->index = start + nlfn;
        out->lfn_index = start;
        out->is_root = false;
        memcpy(out->units, u, n * sizeof(uint16_t));
        out->nunits = n;
    }
    return fat_dir_put(v, sector);
}

int fat_dir_remove(struct fat_vol *v, const struct fat_found *f)
{
    for (uint32_t i = f->lfn_index; i <= f->index; i++) {
        uint8_t *e;
        uint32_t sector;
        int rc = fat_dir_get(v, f->parent, i, &e, &sector);
        if (rc)
            return rc;
        e[0] = FAT_ENTRY_DELETED;
        rc = fat_dir_put(v, sector);
        if (rc)
            return rc;
    }
    return 0;
}

int fat_dir_update(struct fat_vol *v, const struct fat_found *f)
{
    uint8_t *e;
    uint32_t sector;
    int rc = fat_dir_get(v, f->parent, f->index, &e, &sector);
    if (rc)
        return rc;
    memcpy(e, f->raw, FAT_DIRENT_BYTES);
    return fat_dir_put(v, sector);
}

/* Rewrite the ".." entry (index 1) of folder dir to point at parent. */
int fat_dir_set_dotdot(struct fat_vol *v, struct fat_dir dir, struct fat_dir parent)
{
    uint8_t *e;
    uint32_t sector;
    int rc = fat_dir_get(v, dir, 1, &e, &sector);
    if (rc)
        return rc == ERR_EOM ? ERR_CORRUPT : rc;
    if (!fat_raw_is_dotdot(e))
        return ERR_CORRUPT;
    fat_ent_set_cluster(e, parent.first == fat_root_dir(v).first ? 0 : parent.first);
    return fat_dir_put(v, sector);
}

static int fat_empty_cb(struct fat_vol *v, const struct fat_found *f, void *ctx)
{
    (void)v;
    (void)ctx;
    if (fat_raw_is_dot(f->raw) || fat_raw_is_dotdot(f->raw))
        return 0;
    return FAT_WALK_FOUND;
}

int fat_dir_is_empty(struct fat_vol *v, struct fat_dir dir, bool *empty)
{
    int rc = fat_dir_walk(v, dir, fat_empty_cb, NULL);
    if (rc < 0)
        return rc;
    *empty = rc == 0;
    return 0;
}

/* The root directory's volume-label entry: 0 with *ent / *sector (the entry
 * stays valid until the next directory access), ERR_NOENT if there is none. */
static int fat_dir_find_label(struct fat_vol *v, uint8_t **ent, uint32_t *sector)
{
    struct fat_dir root = fat_root_dir(v);
    for (uint32_t index = 0;; index++) {
        uint8_t *e;
        int rc = fat_dir_get(v, root, index, &e, sector);
        if (rc == ERR_EOM || (rc == 0 && e[0] == FAT_ENTRY_FREE))
            return ERR_NOENT;
        if (rc)
            return rc;
        if (e[0] != FAT_ENTRY_DELETED && (e[DIR_ATTR] & FAT_ATTR_MASK) != FAT_ATTR_LFN &&
            (e[DIR_ATTR] & VFS_ATTR_VOLUME)) {
            *ent = e;
            return 0;
        }
    }
}

int fat_dir_label(struct fat_vol *v, char *out, size_t cap)
{
    uint8_t *e;
    uint32_t sector;
    out[0] = '\0';
    int rc = fat_dir_find_label(v, &e, &sector);
    if (rc && rc != ERR_NOENT)
        return rc;
    if (rc == 0) {
        size_t n = 11;
        while (n > 0 && e[n - 1] == ' ')
            n--;
        size_t k = 0;
        for (size_t i = 0; i < n && k + 1 < cap; i++)
            out[k++] = (e[i] >= 0x20 && e[i] <= 0x7E) ? (char)e[i] : '_';
        out[k] = '\0';
    }
    if (!out[0])
        kstrlcpy(out, v->bpb.label, cap);
    return 0;
}

int fat_dir_set_label(struct fat_vol *v, const uint8_t name11[11])
{
    struct fat_dir root = fat_root_dir(v);
    bool clear = true;
    for (unsigned i = 0; i < 11; i++)
        clear = clear && name11[i] == ' ';
    /* 1. The existing label entry, if any: rename or delete it. */
    uint8_t *e;
    uint32_t sector;
    int rc = fat_dir_find_label(v, &e, &sector);
    if (rc && rc != ERR_NOENT)
        return rc;
    if (rc == 0) {
        if (clear)
            e[0] = FAT_ENTRY_DELETED;
        else
            memcpy(e, name11, 11);
        return fat_dir_put(v, sector);
    }
    if (clear)
        return 0;
    /* 2. None yet: a new entry with only the volume attribute and a time. */
    uint32_t start;
    rc = fat_dir_find_free(v, root, 1, &start);
    if (rc)
        return rc;
    rc = fat_dir_get(v, root, start, &e, &sector);
    if (rc)
        return rc;
    memset(e, 0, FAT_DIRENT_BYTES);
    memcpy(e, name11, 11);
    e[DIR_ATTR] = VFS_ATTR_VOLUME;
    uint16_t date, time;
    fat_now(&date, &time);
    put_le16(e, DIR_WRT_DATE, date);
    put_le16(e, DIR_WRT_TIME, time);
    return fat_dir_put(v, sector);
}
