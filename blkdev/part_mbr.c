// SPDX-License-Identifier: MIT
/* MBR and EBR-chain parser. Takes the four primary entries of LBA 0 in slot
 * order, then walks the chain of every extended partition (types 0x05, 0x0F,
 * 0x85) in slot order, so logicals are numbered after all primaries (the
 * KolibriOS order, see part.h). In an EBR, data entries are relative to that
 * EBR and the link entry is relative to the start of the outermost extended
 * partition. Loops are caught with a visited set shared by all chains, and at
 * most PART_MAX_EBRS EBRs are read. Policy on bad entries: blkdev/part.h.
 * Does not look at CHS fields, boot code or partition types beyond
 * empty/extended: file systems are identified by probing, not by type. */
#include "blkdev/part_priv.h"

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* Partition table entry (16 bytes), offsets inside the entry. */
#define MBR_BOOT_ACTIVE 0x80
/* Linux numbers logical partitions from 5; table_index follows it. */
#define MBR_FIRST_LOGICAL_INDEX 5

/* An entry as read; values are still untrusted until mbr_check_entry. */
struct mbr_entry_raw {
    uint8_t boot;       /* 0x00 or 0x80 in a valid table */
    uint8_t type;       /* system id, 0 = unused */
    uint32_t start_rel; /* first sector, relative to the table's base */
    uint32_t len;       /* length in sectors */
};

/* State of the EBR walk, shared by all extended partitions of the disk. */
struct mbr_chain {
    lba_t *visited;          /* EBR LBAs read so far (PART_MAX_EBRS entries) */
    unsigned nvisited;       /* used entries of visited */
    unsigned next_index;     /* table_index of the next logical partition */
};

static void mbr_entry_decode(const uint8_t *table, unsigned slot, struct mbr_entry_raw *e)
{
    const uint8_t *p = table + slot * MBR_ENTRY_BYTES;

    e->boot = p[MBR_E_BOOT];
    e->type = p[MBR_E_TYPE];
    e->start_rel = le32_at(p, MBR_E_START);
    e->len = le32_at(p, MBR_E_LEN);
}

static bool mbr_type_is_extended(uint8_t type)
{
    return type == 0x05 || type == 0x0f || type == 0x85;
}

bool mbr_has_signature(const uint8_t *sector)
{
    return le16_at(sector, MBR_SIG_OFF) == MBR_SIGNATURE;
}

bool mbr_has_protective_entry(const uint8_t *sector)
{
    for (unsigned i = 0; i < MBR_ENTRIES; i++) {
        if (sector[MBR_TABLE_OFF + i * MBR_ENTRY_BYTES + MBR_E_TYPE] == MBR_TYPE_GPT_PROTECTIVE)
            return true;
    }
    return false;
}

bool mbr_has_valid_boot_flags(const uint8_t *sector)
{
    for (unsigned i = 0; i < MBR_ENTRIES; i++) {
        uint8_t boot = sector[MBR_TABLE_OFF + i * MBR_ENTRY_BYTES + MBR_E_BOOT];
        if (boot != 0 && boot != MBR_BOOT_ACTIVE)
            return false;
    }
    return true;
}

bool mbr_is_plausible(const uint8_t *sector, lba_t capacity_sectors)
{
    struct mbr_entry_raw e;
    unsigned used = 0;

    if (!mbr_has_valid_boot_flags(sector))
        return false;
    for (unsigned i = 0; i < MBR_ENTRIES; i++) {
        mbr_entry_decode(sector + MBR_TABLE_OFF, i, &e);
        if (e.type == 0)
            continue;
        if (e.start_rel == 0 || e.len == 0 || e.start_rel >= capacity_sectors)
            return false;
        used++;
    }
    return used > 0;
}

/* Turn entry `e` of the table at `base_lba` into an absolute range.
 * Reject (log, return false): length 0, start on the table's own sector,
 * start at or beyond the end. Tolerate: a tail past the end is clamped with a
 * warning. `what` names the entry in the log ("partition", "extended
 * partition"); `index` is its Linux-style number. */
static bool mbr_check_entry(struct part_scan *s, const char *tag, const char *what,
                            unsigned index, lba_t base_lba, const struct mbr_entry_raw *e,
                            lba_t *first, lba_t *count, bool *clamped)
{
    lba_t cap = s->r->capacity_sectors;

    if (e->len == 0) {
        pr_warn("%s: %s: %s %u has length 0, skipped (type 0x%02x, start %u)", tag, s->disk,
                what, index, e->type, e->start_rel);
        return false;
    }
    if (e->start_rel == 0) {
        pr_warn("%s: %s: %s %u starts on its own table sector, skipped (lba %llu)", tag,
                s->disk, what, index, PART_ULL(base_lba));
        return false;
    }
    /* base_lba < cap always, so cap - base_lba does not wrap. */
    if (e->start_rel >= cap - base_lba) {
        pr_warn("%s: %s: %s %u starts beyond the end of the disk, skipped (first %llu, "
                "capacity %llu)",
                tag, s->disk, what, index, PART_ULL(base_lba + e->start_rel), PART_ULL(cap));
        return false;
    }
    *first = base_lba + e->start_rel;
    *count = e->len;
    *clamped = false;
    if (*count > cap - *first) {
        pr_warn("%s: %s: %s %u runs past the end of the disk, clamped (first %llu, count %u, "
                "capacity %llu)",
                tag, s->disk, what, index, PART_ULL(*first), e->len, PART_ULL(cap));
        *count = cap - *first;
        *clamped = true;
    }
    return true;
}

static int mbr_add_data_entry(struct part_scan *s, const char *tag, unsigned index,
                              lba_t base_lba, const struct mbr_entry_raw *e)
{
    struct part_info p = {0};

    if (!mbr_check_entry(s, tag, "partition", index, base_lba, e, &p.first_lba,
                         &p.count_sectors, &p.clamped))
        return 0;
    p.kind = PART_KIND_MBR;
    p.table_index = index;
    p.mbr_type = e->type;
    return part_scan_add(s, tag, &p);
}

static bool mbr_chain_visit(struct part_scan *s, struct mbr_chain *c, lba_t ebr_lba)
{
    for (unsigned i = 0; i < c->nvisited; i++) {
        if (c->visited[i] == ebr_lba) {
            pr_err("ebr: %s: chain loops back to an EBR already read, stopped (lba %llu)",
                   s->disk, PART_ULL(ebr_lba));
            return false;
        }
    }
    if (c->nvisited >= PART_MAX_EBRS) {
        pr_err("ebr: %s: too many EBRs, chain stopped (lba %llu, max %d)", s->disk,
               PART_ULL(ebr_lba), PART_MAX_EBRS);
        return false;
    }
    c->visited[c->nvisited++] = ebr_lba;
    return true;
}

/* Walk the EBR chain of the extended partition [ext_first, +ext_count).
 * Returns 0 (chain done or stopped with a log line), ERR_NOMEM or
 * ERR_NOMEDIA (media gone: the whole scan is abandoned). */
static int mbr_walk_chain(struct part_scan *s, struct mbr_chain *c, lba_t ext_first,
                          lba_t ext_count)
{
    uint8_t table[MBR_ENTRIES * MBR_ENTRY_BYTES];
    lba_t ebr_lba = ext_first;
    int err;

    for (;;) {
        struct mbr_entry_raw link = {0};
        bool have_link = false;

        /* 1. Loop and length guard. */
        if (!mbr_chain_visit(s, c, ebr_lba))
            return 0;
        /* 2. Read the EBR; a read error ends this chain only. */
        err = part_scan_read(s, ebr_lba, 1, s->sector);
        if (err == ERR_NOMEDIA)
            return err;
        if (err) {
            pr_err("ebr: %s: read failed, chain stopped (lba %llu, %s)", s->disk,
                   PART_ULL(ebr_lba), err_name(err));
            return 0;
        }
        if (!mbr_has_signature(s->sector)) {
            pr_err("ebr: %s: bad signature, chain stopped (lba %llu, found 0x%04x)", s->disk,
                   PART_ULL(ebr_lba), le16_at(s->sector, MBR_SIG_OFF));
            return 0;
        }
        memcpy(table, s->sector + MBR_TABLE_OFF, sizeof(table));

        /* 3. Data entries are relative to this EBR; the first extended entry
         * is the link to the next EBR, any further one is ignored. */
        for (unsigned i = 0; i < MBR_ENTRIES; i++) {
            struct mbr_entry_raw e;
            mbr_entry_decode(table, i, &e);
            if (e.type == 0)
                continue;
            if (mbr_type_is_extended(e.type)) {
                if (have_link) {
                    pr_warn("ebr: %s: second link entry ignored (lba %llu, slot %u)", s->disk,
                            PART_ULL(ebr_lba), i + 1);
                } else {
                    link = e;
                    have_link = true;
                }
                continue;
            }
            err = mbr_add_data_entry(s, "ebr", c->next_index++, ebr_lba, &e);
            if (err)
                return err;
        }

        /* 4. Follow the link; it must stay inside the extended partition. */
        if (!have_link)
            return 0;
        if (link.start_rel >= ext_count) {
            pr_err("ebr: %s: link outside the extended partition, chain stopped (lba %llu, "
                   "offset %u, extended first %llu count %llu)",
                   s->disk, PART_ULL(ebr_lba), link.start_rel, PART_ULL(ext_first),
                   PART_ULL(ext_count));
            return 0;
        }
        ebr_lba = ext_first + link.start_rel;
    }
}

int mbr_scan(struct part_scan *s, const uint8_t *mbr)
{
    uint8_t table[MBR_ENTRIES * MBR_ENTRY_BYTES];
    struct mbr_chain chain = {.next_index = MBR_FIRST_LOGICAL_INDEX};
    int err = 0;

    /* 1. Keep a copy of the table: the scratch sector is reused for EBRs. */
    memcpy(table, mbr + MBR_TABLE_OFF, sizeof(table));

    /* 2. Primaries in slot order; extended entries get no number. */
    for (unsigned i = 0; i < MBR_ENTRIES; i++) {
        struct mbr_entry_raw e;
        mbr_entry_decode(table, i, &e);
        if (e.type == 0 || mbr_type_is_extended(e.type))
            continue;
        err = mbr_add_data_entry(s, "mbr", i + 1, 0, &e);
        if (err)
            return err;
    }

    /* 3. Then the logicals of every extended partition, in slot order. */
    for (unsigned i = 0; i < MBR_ENTRIES; i++) {
        struct mbr_entry_raw e;
        lba_t ext_first, ext_count;
        bool clamped;

        mbr_entry_decode(table, i, &e);
        if (!mbr_type_is_extended(e.type))
            continue;
        if (!mbr_check_entry(s, "mbr", "extended partition", i + 1, 0, &e, &ext_first,
                             &ext_count, &clamped))
            continue;
        if (!chain.visited) {
            chain.visited = kmalloc(PART_MAX_EBRS * sizeof(*chain.visited));
            if (!chain.visited)
                return ERR_NOMEM;
        }
        err = mbr_walk_chain(s, &chain, ext_first, ext_count);
        if (err)
            break;
    }
    if (s->out->count == 0 && !err)
        pr_info("mbr: %s: partition table has no usable partitions", s->disk);
    kfree(chain.visited);
    return err;
}
