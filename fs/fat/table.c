// SPDX-License-Identifier: MIT
/* The file allocation table (FAT spec §4): entry access in all three widths,
 * chain walks, allocation and freeing. FAT sectors are kept in a small LRU of
 * FAT_FC_SLOTS sectors of the active copy; a changed sector is written to
 * every copy (both FATs stay identical) by fat_table_flush(), which every
 * changing operation calls before it returns. Frees and cuts are deferred to
 * the next commit (pend_*_map; the ordering is described in fat_priv.h).
 * Policy on bad links (STYLE §5): a chain that reaches a free entry, a bad
 * cluster mark, a reserved value, a number outside the volume, or runs
 * longer than the volume has clusters (a loop) is rejected: ERR_CORRUPT and
 * one log line; the walk stops there. Other chains are unaffected.
 * Locking: the caller holds v->lock. */
#include "fs/fat/fat_priv.h"
#include "kernel/err.h"
#include "kernel/lib/endian.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

/* ---- the sector LRU ------------------------------------------------------------------------ */

static int fat_fc_write_slot(struct fat_vol *v, struct fat_fc_slot *s)
{
    const struct fat_bpb *b = &v->bpb;
    for (uint32_t copy = 0; copy < b->fat_count; copy++) {
        if (!b->fat_mirror && copy != b->fat_active)
            continue;
        int rc = fat_io_write(v, b->fat_first + copy * b->fat_sectors + s->sector, 1, s->buf,
                              CACHE_SYS);
        if (rc)
            return rc;
    }
    s->dirty = false;
    return 0;
}

int fat_table_flush(struct fat_vol *v)
{
    int first_err = 0;
    for (unsigned i = 0; i < FAT_FC_SLOTS; i++) {
        struct fat_fc_slot *s = &v->fc[i];
        if (s->valid && s->dirty) {
            int rc = fat_fc_write_slot(v, s);
            if (rc && !first_err)
                first_err = rc; /* stays dirty: retried by the next flush */
        }
    }
    return first_err;
}

/* The slot holding FAT sector `sector` (index within one copy). */
static int fat_fc_get(struct fat_vol *v, uint32_t sector, struct fat_fc_slot **out)
{
    struct fat_fc_slot *victim = NULL;
    for (unsigned i = 0; i < FAT_FC_SLOTS; i++) {
        struct fat_fc_slot *s = &v->fc[i];
        if (s->valid && s->sector == sector) {
            s->age = ++v->fc_clock;
            *out = s;
            return 0;
        }
        if (!victim || !s->valid || (victim->valid && s->age < victim->age))
            victim = s;
    }
    if (victim->valid && victim->dirty) {
        int rc = fat_fc_write_slot(v, victim);
        if (rc)
            return rc;
    }
    victim->valid = false;
    int rc = fat_io_read(v, v->bpb.fat_first + v->bpb.fat_active * v->bpb.fat_sectors + sector,
                         1, victim->buf, CACHE_SYS);
    if (rc)
        return rc;
    victim->valid = true;
    victim->dirty = false;
    victim->sector = sector;
    victim->age = ++v->fc_clock;
    *out = victim;
    return 0;
}

static int fat_byte_get(struct fat_vol *v, uint32_t off, uint8_t *out)
{
    struct fat_fc_slot *s;
    int rc = fat_fc_get(v, off / v->bpb.sector_bytes, &s);
    if (rc == 0)
        *out = s->buf[off % v->bpb.sector_bytes];
    return rc;
}

static int fat_byte_set(struct fat_vol *v, uint32_t off, uint8_t val)
{
    struct fat_fc_slot *s;
    int rc = fat_fc_get(v, off / v->bpb.sector_bytes, &s);
    if (rc == 0) {
        s->buf[off % v->bpb.sector_bytes] = val;
        s->dirty = true;
    }
    return rc;
}

/* ---- entries -------------------------------------------------------------------------------- */

/* Entry `c` without a range check against the data area (0 and 1 allowed);
 * the FAT size was checked at mount to hold clusters + 2 entries. */
static int fat_raw_get(struct fat_vol *v, uint32_t c, uint32_t *val)
{
    uint8_t b[4] = { 0, 0, 0, 0 };
    int rc = 0;
    switch (v->bpb.type) {
    case FAT_TYPE_12: {
        uint32_t off = c + c / 2;
        rc = fat_byte_get(v, off, &b[0]);
        if (rc == 0)
            rc = fat_byte_get(v, off + 1, &b[1]);
        uint32_t w = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
        *val = (c & 1) ? w >> 4 : w & 0xFFF;
        return rc;
    }
    default: {
        /* FAT16/32 entries are aligned, so one never spans two sectors:
         * one cache-slot lookup per entry, not one per byte. */
        struct fat_fc_slot *s;
        uint32_t width = v->bpb.type == FAT_TYPE_16 ? 2 : 4, off = c * width;
        rc = fat_fc_get(v, off / v->bpb.sector_bytes, &s);
        if (rc)
            return rc;
        const uint8_t *e = s->buf + off % v->bpb.sector_bytes;
        *val = width == 2 ? le16_at(e, 0) : le32_at(e, 0);
        return 0;
    }
    }
}

static void fat_hints_forget(struct fat_vol *v)
{
    for (unsigned i = 0; i < FAT_WALK_HINTS; i++)
        v->hints[i].first = 0;
}

/* The hint slot of the chain at `first`, or NULL. */
static struct fat_walk_hint *fat_hint_find(struct fat_vol *v, uint32_t first)
{
    for (unsigned i = 0; i < FAT_WALK_HINTS; i++)
        if (v->hints[i].first == first)
            return &v->hints[i];
    return NULL;
}

static int fat_raw_set(struct fat_vol *v, uint32_t c, uint32_t val)
{
    int rc = 0;
    fat_hints_forget(v); /* a hint may describe a chain that changed */
    switch (v->bpb.type) {
    case FAT_TYPE_12: {
        uint32_t off = c + c / 2;
        uint8_t b0, b1;
        rc = fat_byte_get(v, off, &b0);
        if (rc == 0)
            rc = fat_byte_get(v, off + 1, &b1);
        if (rc)
            return rc;
        if (c & 1) {
            b0 = (uint8_t)((b0 & 0x0F) | ((val << 4) & 0xF0));
            b1 = (uint8_t)(val >> 4);
        } else {
            b0 = (uint8_t)val;
            b1 = (uint8_t)((b1 & 0xF0) | ((val >> 8) & 0x0F));
        }
        rc = fat_byte_set(v, off, b0);
        return rc ? rc : fat_byte_set(v, off + 1, b1);
    }
    case FAT_TYPE_16:
        rc = fat_byte_set(v, c * 2, (uint8_t)val);
        return rc ? rc : fat_byte_set(v, c * 2 + 1, (uint8_t)(val >> 8));
    default: {
        uint32_t old;
        rc = fat_raw_get(v, c, &old);
        val = (old & 0xF0000000u) | (val & 0x0FFFFFFFu); /* top 4 bits are reserved */
        for (unsigned i = 0; i < 4 && rc == 0; i++)
            rc = fat_byte_set(v, c * 4 + i, (uint8_t)(val >> (8 * i)));
        return rc;
    }
    }
}

static uint32_t fat_eoc(const struct fat_vol *v)
{
    return v->bpb.type == FAT_TYPE_12 ? 0xFFF : v->bpb.type == FAT_TYPE_16 ? 0xFFFF : 0x0FFFFFFF;
}

/* ---- deferred frees and cuts ---------------------------------------------------------------- */

static bool fat_bit_test(const uint32_t *map, uint32_t c)
{
    return map && (map[(c - 2) / 32] >> ((c - 2) % 32)) & 1u;
}

/* Set (on) or clear the bit of c; returns true if it changed. */
static bool fat_bit_put(uint32_t *map, uint32_t c, bool on)
{
    uint32_t bit = 1u << ((c - 2) % 32), *w = &map[(c - 2) / 32];
    if (((*w & bit) != 0) == on)
        return false;
    *w ^= bit;
    return true;
}

/* Both maps, allocated at the first deferral. ERR_NOMEM if they cannot be. */
static int fat_pending_maps(struct fat_vol *v)
{
    size_t bytes = ((size_t)v->bpb.clusters + 31) / 32 * sizeof(uint32_t);
    if (!v->pend_free_map)
        v->pend_free_map = kzalloc(bytes);
    if (!v->pend_eoc_map)
        v->pend_eoc_map = kzalloc(bytes);
    return v->pend_free_map && v->pend_eoc_map ? 0 : ERR_NOMEM;
}

/* c is written again: whatever was deferred for it is void. */
static void fat_pending_forget(struct fat_vol *v, uint32_t c)
{
    if (v->pend_free_map && fat_bit_put(v->pend_free_map, c, false))
        v->pend_free_count--;
    if (v->pend_eoc_map && fat_bit_put(v->pend_eoc_map, c, false))
        v->pend_eoc_count--;
}

int fat_get(struct fat_vol *v, uint32_t c, uint32_t *val)
{
    if (!fat_cluster_is_valid(v, c))
        return ERR_CORRUPT;
    int rc = fat_raw_get(v, c, val);
    if (v->bpb.type == FAT_TYPE_32)
        *val &= 0x0FFFFFFFu;
    if (fat_bit_test(v->pend_free_map, c))
        *val = 0;
    else if (fat_bit_test(v->pend_eoc_map, c))
        *val = fat_eoc(v);
    return rc;
}

int fat_set(struct fat_vol *v, uint32_t c, uint32_t val)
{
    if (!fat_cluster_is_valid(v, c))
        return ERR_CORRUPT;
    fat_pending_forget(v, c);
    return fat_raw_set(v, c, val);
}

int fat_pending_apply(struct fat_vol *v)
{
    if (v->pend_free_count == 0 && v->pend_eoc_count == 0)
        return 0;
    for (uint32_t w = 0; w < (v->bpb.clusters + 31) / 32; w++) {
        uint32_t both = v->pend_free_map[w] | v->pend_eoc_map[w];
        for (; both; both &= both - 1) {
            uint32_t c = 2 + w * 32 + (uint32_t)__builtin_ctz(both);
            bool is_free = fat_bit_test(v->pend_free_map, c);
            int rc = fat_raw_set(v, c, is_free ? 0 : fat_eoc(v));
            if (rc)
                return rc; /* the rest stays pending */
            fat_pending_forget(v, c);
            if (is_free)
                v->free_count++;
        }
    }
    return 0;
}

static enum fat_link fat_classify(const struct fat_vol *v, uint32_t val)
{
    uint32_t eoc_min = fat_eoc(v) - 7; /* 0xFF8 / 0xFFF8 / 0x0FFFFFF8 */
    if (val == 0)
        return FAT_LINK_FREE;
    if (fat_cluster_is_valid(v, val))
        return FAT_LINK_NEXT;
    if (val >= eoc_min)
        return FAT_LINK_END;
    return FAT_LINK_BAD; /* 1, bad-cluster mark, reserved values, beyond the volume */
}

int fat_next(struct fat_vol *v, uint32_t c, uint32_t *next)
{
    uint32_t val;
    int rc = fat_get(v, c, &val);
    if (rc == ERR_CORRUPT)
        pr_warn("fat: %s: chain reaches cluster %u outside 2..%u", v->name, c,
                v->bpb.clusters + 1);
    if (rc)
        return rc;
    switch (fat_classify(v, val)) {
    case FAT_LINK_NEXT:
        *next = val;
        return 0;
    case FAT_LINK_END:
        *next = 0;
        return 0;
    case FAT_LINK_FREE:
        pr_warn("fat: %s: chain runs into free cluster (at %u)", v->name, c);
        return ERR_CORRUPT;
    default:
        pr_warn("fat: %s: bad link in chain (cluster %u -> 0x%x)", v->name, c, val);
        return ERR_CORRUPT;
    }
}

/* ---- chains --------------------------------------------------------------------------------- */

int fat_chain_nth(struct fat_vol *v, uint32_t first, uint32_t index, uint32_t *out)
{
    uint32_t c = first, i = 0;

    if (!fat_cluster_is_valid(v, first)) {
        pr_warn("fat: %s: chain starts at cluster %u outside 2..%u", v->name, first,
                v->bpb.clusters + 1);
        return ERR_CORRUPT;
    }
    /* No chain is longer than the volume: a deeper index cannot exist. */
    if (index >= v->bpb.clusters)
        return ERR_EOM;
    struct fat_walk_hint *h = fat_hint_find(v, first);
    if (h && h->index <= index) {
        c = h->cluster;
        i = h->index;
    }
    while (i < index) {
        uint32_t next;
        int rc = fat_next(v, c, &next);
        if (rc)
            return rc;
        if (next == 0)
            return ERR_EOM;
        c = next;
        i++;
    }
    fat_chain_hint(v, first, index, c);
    *out = c;
    return 0;
}

void fat_chain_hint(struct fat_vol *v, uint32_t first, uint32_t index, uint32_t cluster)
{
    struct fat_walk_hint *h = fat_hint_find(v, first);
    if (!h) {
        h = &v->hints[v->hint_victim];
        v->hint_victim = (v->hint_victim + 1) % FAT_WALK_HINTS;
    }
    *h = (struct fat_walk_hint){ first, index, cluster };
}

int fat_chain_length(struct fat_vol *v, uint32_t first, uint32_t *len, uint32_t *last)
{
    uint32_t c = first, n = 1;

    if (!fat_cluster_is_valid(v, first)) {
        pr_warn("fat: %s: chain starts at cluster %u outside 2..%u", v->name, first,
                v->bpb.clusters + 1);
        return ERR_CORRUPT;
    }
    for (;;) {
        uint32_t next;
        int rc = fat_next(v, c, &next);
        if (rc)
            return rc;
        if (next == 0)
            break;
        if (++n > v->bpb.clusters) {
            pr_warn("fat: %s: chain from cluster %u loops (longer than %u clusters)", v->name,
                    first, v->bpb.clusters);
            return ERR_CORRUPT;
        }
        c = next;
    }
    *len = n;
    *last = c;
    return 0;
}

int fat_alloc(struct fat_vol *v, uint32_t prev, uint32_t count, uint32_t *first_out)
{
    uint32_t total = v->bpb.clusters, got = 0, last = prev, first = 0;
    uint32_t start = prev && fat_cluster_is_valid(v, prev + 1) ? prev + 1 : v->next_free;

    /* 1. Enough free clusters? (the count is exact, so the scan below finds them)
     *    Clusters waiting for a commit become usable only after it. */
    if (count == 0 || count > fat_free_clusters(v))
        return ERR_NOSPC;
    if (count > v->free_count) {
        int rc = fat_vol_commit_locked(v);
        if (rc)
            return rc;
    }
    if (!fat_cluster_is_valid(v, start))
        start = 2;
    /* 2. Scan forward from start (wrapping once), linking as we go: free
     *    clusters right after prev come first, so runs stay contiguous. */
    for (uint32_t k = 0; k < total && got < count; k++) {
        uint32_t c = 2 + (start - 2 + k) % total;
        uint32_t val;
        int rc = fat_raw_get(v, c, &val); /* pending frees still read as used here */
        if (rc)
            return rc;
        if ((v->bpb.type == FAT_TYPE_32 ? val & 0x0FFFFFFFu : val) != 0 ||
            fat_bit_test(v->pend_free_map, c))
            continue;
        rc = fat_set(v, c, fat_eoc(v));
        if (rc == 0 && last)
            rc = fat_set(v, last, c);
        if (rc)
            return rc;
        if (!first)
            first = c;
        last = c;
        got++;
        v->free_count--;
    }
    if (got < count) {
        pr_err("fat: %s: free count was wrong (%u missing); volume needs a check", v->name,
               count - got);
        v->free_count = 0;
        return ERR_CORRUPT;
    }
    v->next_free = fat_cluster_is_valid(v, last + 1) ? last + 1 : 2;
    *first_out = first;
    return 0;
}

int fat_free_chain(struct fat_vol *v, uint32_t first)
{
    uint32_t c = first;
    bool deferred = fat_pending_maps(v) == 0;
    if (!deferred)
        pr_warn("fat: %s: no memory to defer a free; freeing in place (crash-unsafe)",
                v->name);
    for (uint32_t n = 0; c && n < v->bpb.clusters; n++) {
        uint32_t next;
        int rc = fat_next(v, c, &next);
        if (rc)
            return rc;
        if (deferred) {
            /* Point where the chain is dropped: the FAT changes at the next commit. */
            fat_pending_forget(v, c);
            fat_bit_put(v->pend_free_map, c, true);
            v->pend_free_count++;
        } else {
            rc = fat_set(v, c, 0);
            if (rc)
                return rc;
            v->free_count++;
        }
        c = next;
    }
    return 0;
}

int fat_count_free(struct fat_vol *v, uint32_t *out)
{
    uint32_t n = 0;
    for (uint32_t c = 2; c - 2 < v->bpb.clusters; c++) {
        uint32_t val;
        int rc = fat_get(v, c, &val);
        if (rc)
            return rc;
        n += val == 0;
    }
    *out = n;
    return 0;
}

int fat_table_set_clean(struct fat_vol *v, bool clean)
{
    uint32_t bit, val;
    if (v->bpb.type == FAT_TYPE_12)
        return 0; /* FAT12 has no clean-shutdown bit */
    bit = v->bpb.type == FAT_TYPE_16 ? FAT16_CLEAN_BIT : FAT32_CLEAN_BIT;
    int rc = fat_raw_get(v, 1, &val);
    if (rc)
        return rc;
    uint32_t want = clean ? val | bit : val & ~bit;
    return want == val ? 0 : fat_raw_set(v, 1, want);
}

int fat_chain_cut(struct fat_vol *v, uint32_t c)
{
    uint32_t next;
    int rc = fat_next(v, c, &next);
    if (rc == 0 && next && fat_pending_maps(v) == 0) {
        if (fat_bit_put(v->pend_eoc_map, c, true)) /* deferred: see fat_free_chain */
            v->pend_eoc_count++;
    } else if (rc == 0 && next) {
        rc = fat_set(v, c, fat_eoc(v));
    }
    if (rc == 0 && next)
        rc = fat_free_chain(v, next);
    return rc;
}
