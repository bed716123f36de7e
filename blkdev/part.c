// SPDX-License-Identifier: MIT
/* Driver of the partition scan: checks the reader, reads LBA 0, decides
 * between GPT, MBR and the whole-media fallback (boot-sector detection lives
 * here), and owns the result table: numbering, overlap check and the
 * PART_MAX_PARTITIONS cap in part_scan_add(). The table parsers are in
 * part_mbr.c and part_gpt.c. Contract and policy: blkdev/part.h. */
#include "blkdev/part.h"

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

#include "blkdev/part_priv.h"

/* BPB fields of a FAT/NTFS boot sector (Microsoft FAT spec, "BPB structure"),
 * and the exFAT boot sector fields (exFAT spec 3.1). */
#define BS_JMP_SHORT 0xeb
#define BS_JMP_NEAR 0xe9
#define BS_OEM_OFF 3
#define BPB_BYTES_PER_SECTOR_OFF 11
#define BPB_SECTORS_PER_CLUSTER_OFF 13
#define BPB_RESERVED_SECTORS_OFF 14
#define BPB_NUM_FATS_OFF 16
#define EXFAT_BYTES_SHIFT_OFF 108
#define EXFAT_CLUSTER_SHIFT_OFF 109
#define PART_INITIAL_ALLOC 8

/* Reasons for the whole-media fallback, named in the log line. */
static const char *const part_whole_reason[] = {
    "empty media: LBA 0 is all zeros",
    "no 0x55AA signature in LBA 0",
    "file-system boot sector in LBA 0",
    "invalid boot flag in LBA 0, not a partition table",
    "ISO9660 volume at byte 32768 (hybrid CD image)",
};

enum part_whole_why { WHOLE_EMPTY, WHOLE_NO_SIG, WHOLE_BOOT_SECTOR, WHOLE_BAD_FLAGS, WHOLE_ISO };

#define ISO_VD_BYTE 32768u /* ISO9660: first volume descriptor (block 16 of 2048) */

static bool part_is_all_zero(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != 0)
            return false;
    }
    return true;
}

static bool part_bps_is_sane(uint16_t bps)
{
    return IS_POW2(bps) && bps >= 512 && bps <= 4096;
}

/* FAT, NTFS or exFAT boot sector: jump instruction, then a BPB whose sizes
 * make sense. exFAT zeroes the old BPB and keeps shifts at 108/109; NTFS has
 * no FATs and may encode large clusters as a negative shift (0xF4 = 2^12),
 * so it is recognised by its OEM name. */
static bool part_is_fs_boot_sector(const uint8_t *s)
{
    uint16_t bps = le16_at(s, BPB_BYTES_PER_SECTOR_OFF);
    uint8_t spc = s[BPB_SECTORS_PER_CLUSTER_OFF];

    if (s[0] != BS_JMP_SHORT && s[0] != BS_JMP_NEAR)
        return false;
    if (memcmp(s + BS_OEM_OFF, "EXFAT   ", 8) == 0) {
        uint8_t bshift = s[EXFAT_BYTES_SHIFT_OFF];
        uint8_t cshift = s[EXFAT_CLUSTER_SHIFT_OFF];
        return bshift >= 9 && bshift <= 12 && cshift <= 25 - bshift;
    }
    if (memcmp(s + BS_OEM_OFF, "NTFS    ", 8) == 0)
        return part_bps_is_sane(bps) && spc != 0;
    return part_bps_is_sane(bps) && IS_POW2(spc) && le16_at(s, BPB_RESERVED_SECTORS_OFF) != 0 &&
           s[BPB_NUM_FATS_OFF] != 0;
}

static int part_add_whole(struct part_scan *s, enum part_whole_why why)
{
    struct part_info p = {0};

    pr_info("part: %s: no partition table, using the whole media (%s, %llu sectors)", s->disk,
            part_whole_reason[why], PART_ULL(s->r->capacity_sectors));
    s->out->kind = PART_KIND_WHOLE;
    s->out->mbr_disk_id = 0; /* bytes 440..443 are boot code here, not an id */
    p.kind = PART_KIND_WHOLE;
    p.first_lba = 0;
    p.count_sectors = s->r->capacity_sectors;
    return part_scan_add(s, "part", &p);
}

/* True if [a, a+alen) and [b, b+blen) share a sector; both lie inside the
 * disk, so the sums cannot overflow. */
static bool part_ranges_overlap(lba_t a, lba_t alen, lba_t b, lba_t blen)
{
    return a < b + blen && b < a + alen;
}

int part_scan_read(struct part_scan *s, lba_t lba, uint32_t count, void *buf)
{
    int err;

    if (count == 0 || lba >= s->r->capacity_sectors || count > s->r->capacity_sectors - lba)
        return ERR_RANGE;
    err = s->r->read(s->r->ctx, lba, count, buf);
    if (err > 0 || err <= ERR_LAST_)
        err = ERR_IO; /* not an ERR_* code: do not trust it */
    return err;
}

int part_scan_add(struct part_scan *s, const char *tag, const struct part_info *p)
{
    struct part_table *t = s->out;
    lba_t cap = s->r->capacity_sectors;

    /* 1. Enforce the cap; log only the first partition that is dropped. */
    if (t->count >= PART_MAX_PARTITIONS) {
        if (!s->full) {
            pr_warn("%s: %s: too many partitions, ignoring the rest (max %d)", tag, s->disk,
                    PART_MAX_PARTITIONS);
        }
        s->full = true;
        return 0;
    }
    /* 2. The parsers bound every range; this is the last line of defence. */
    if (p->count_sectors == 0 || p->first_lba >= cap || p->count_sectors > cap - p->first_lba) {
        pr_err("%s: %s: partition outside the disk, skipped (first %llu, count %llu, "
               "capacity %llu)",
               tag, s->disk, PART_ULL(p->first_lba), PART_ULL(p->count_sectors), PART_ULL(cap));
        return 0;
    }
    /* 3. Drop a partition that overlaps an accepted one (KolibriOS
     * disk_add_partition does the same): two file systems on the same sectors
     * would destroy each other. */
    for (unsigned i = 0; i < t->count; i++) {
        const struct part_info *q = &t->parts[i];
        if (part_ranges_overlap(p->first_lba, p->count_sectors, q->first_lba,
                                q->count_sectors)) {
            pr_err("%s: %s: partition overlaps partition %u, skipped (first %llu, count %llu; "
                   "%u: first %llu, count %llu)",
                   tag, s->disk, q->number, PART_ULL(p->first_lba), PART_ULL(p->count_sectors),
                   q->number, PART_ULL(q->first_lba), PART_ULL(q->count_sectors));
            return 0;
        }
    }
    /* 4. Grow the array (doubling, bounded by the cap) and append. */
    if (t->count == s->alloc) {
        unsigned n = s->alloc ? MIN(s->alloc * 2, (unsigned)PART_MAX_PARTITIONS)
                              : PART_INITIAL_ALLOC;
        struct part_info *np = krealloc(t->parts, n * sizeof(*np));
        if (!np)
            return ERR_NOMEM;
        t->parts = np;
        s->alloc = n;
    }
    t->parts[t->count] = *p;
    t->parts[t->count].number = t->count + 1; /* KolibriOS: number = list position */
    t->count++;
    return 0;
}

/* Does an ISO9660 volume descriptor ("\x01CD001\x01"...) start at byte
 * 32768? Hybrid CD images (grub-mkrescue, isohybrid) also carry an MBR
 * whose entries point into the ISO; the file system is the whole media.
 * Returns 0 (answer in *iso) or ERR_NOMEM; a read error just means no. */
static int part_probe_iso9660(struct part_scan *s, bool *iso)
{
    uint32_t ss = s->r->sector_size;
    lba_t lba = ISO_VD_BYTE / ss;
    *iso = false;
    if (lba >= s->r->capacity_sectors)
        return 0;
    uint8_t *sec = kmalloc(ss);
    if (!sec)
        return ERR_NOMEM;
    *iso = part_scan_read(s, lba, 1, sec) == 0 &&
           memcmp(sec + ISO_VD_BYTE % ss + 1, "CD001", 5) == 0 && sec[ISO_VD_BYTE % ss + 6] == 1;
    kfree(sec);
    return 0;
}

/* Does a used MBR entry start at or below the sector of byte 32768? Real
 * disks start partitions far later (2048, or 63 on old CHS layouts), hybrid
 * CD images at 0 or 1. */
static bool part_mbr_covers_iso_descriptors(const uint8_t *lba0, uint32_t sector_size)
{
    for (unsigned i = 0; i < MBR_ENTRIES; i++) {
        const uint8_t *e = lba0 + MBR_TABLE_OFF + i * MBR_ENTRY_BYTES;
        if (e[MBR_E_TYPE] != 0 && le32_at(e, MBR_E_START) <= ISO_VD_BYTE / sector_size)
            return true;
    }
    return false;
}

static bool part_reader_is_sane(const struct part_reader *r, const char *disk)
{
    if (!r->read) {
        pr_err("part: %s: reader has no read function", disk);
        return false;
    }
    if (!IS_POW2(r->sector_size) || r->sector_size < PART_MIN_SECTOR_BYTES ||
        r->sector_size > PART_MAX_SECTOR_BYTES) {
        pr_err("part: %s: unsupported sector size (%u, want a power of two in %u..%u)", disk,
               r->sector_size, PART_MIN_SECTOR_BYTES, PART_MAX_SECTOR_BYTES);
        return false;
    }
    if (r->capacity_sectors == 0) {
        pr_err("part: %s: media has no sectors (capacity 0)", disk);
        return false;
    }
    return true;
}

int part_scan(const struct part_reader *r, struct part_table *out)
{
    struct part_scan s = {0};
    const uint8_t *lba0;
    int err;

    /* 1. Check the arguments; the reader's geometry is external data too. */
    if (!out)
        return ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (!r)
        return ERR_INVAL;
    s.r = r;
    s.disk = r->disk_name ? r->disk_name : "?";
    s.out = out;
    if (!part_reader_is_sane(r, s.disk))
        return ERR_INVAL;

    /* 2. Read LBA 0; without it there is nothing to decide on. */
    s.sector = kmalloc(r->sector_size);
    if (!s.sector)
        return ERR_NOMEM;
    err = part_scan_read(&s, 0, 1, s.sector);
    if (err) {
        pr_err("part: %s: cannot read LBA 0 (%s)", s.disk, err_name(err));
        goto out_free;
    }
    lba0 = s.sector;
    out->mbr_disk_id = le32_at(lba0, MBR_DISK_ID_OFF);

    /* 3. Classify LBA 0. 3a. Empty or unsigned: whole media (go to 4). */
    if (!mbr_has_signature(lba0)) {
        bool empty = part_is_all_zero(lba0, r->sector_size);
        err = part_add_whole(&s, empty ? WHOLE_EMPTY : WHOLE_NO_SIG);
        goto out_done;
    }
    /* 3b. A boot sector with a BPB is a superfloppy unless its entry area
     * happens to hold a fully plausible table (then it is an MBR whose boot
     * code starts with a jump, go to 3c). */
    if (part_is_fs_boot_sector(lba0) && !mbr_is_plausible(lba0, r->capacity_sectors)) {
        err = part_add_whole(&s, WHOLE_BOOT_SECTOR);
        goto out_done;
    }
    /* 3c. A protective entry means GPT, also in a hybrid MBR. */
    if (mbr_has_protective_entry(lba0)) {
        out->kind = PART_KIND_GPT;
        err = gpt_scan(&s);
        goto out_done;
    }
    /* 3c'. A hybrid CD image: an MBR entry covers the ISO9660 descriptors
     * at byte 32768 and they are there (only then is that sector read). */
    if (part_mbr_covers_iso_descriptors(lba0, r->sector_size)) {
        bool iso;
        err = part_probe_iso9660(&s, &iso);
        if (err || iso) {
            if (!err)
                err = part_add_whole(&s, WHOLE_ISO);
            goto out_done;
        }
    }
    /* 3d. Boot flags other than 0x00/0x80: not a partition table. */
    if (!mbr_has_valid_boot_flags(lba0)) {
        err = part_add_whole(&s, WHOLE_BAD_FLAGS);
        goto out_done;
    }
    /* 3e. A plain MBR; mbr_scan keeps its own copy as the scratch sector is
     * reused for EBRs. */
    out->kind = PART_KIND_MBR;
    err = mbr_scan(&s, lba0);

out_done:
    /* 4. On error nothing of the partial table is handed out. */
    if (err)
        part_table_free(out);
out_free:
    kfree(s.sector);
    return err;
}

void part_table_free(struct part_table *t)
{
    if (!t)
        return;
    kfree(t->parts);
    memset(t, 0, sizeof(*t));
}

int part_format_guid(const uint8_t guid[16], char *buf, size_t len)
{
    int n;

    if (!guid || !buf)
        return ERR_INVAL;
    /* UEFI 2.6 Appendix A: Data1..Data3 little-endian, Data4 as bytes. */
    n = ksnprintf(buf, len, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                  (unsigned)le32_at(guid, 0), (unsigned)le16_at(guid, 4),
                  (unsigned)le16_at(guid, 6), guid[8], guid[9], guid[10], guid[11], guid[12],
                  guid[13], guid[14], guid[15]);
    return (size_t)n >= len ? ERR_NOSPC : 0;
}

int part_format_type(const struct part_info *p, char *buf, size_t len)
{
    char guid[40];
    int n;

    if (!p || !buf)
        return ERR_INVAL;
    switch (p->kind) {
    case PART_KIND_MBR:
        n = ksnprintf(buf, len, "mbr:0x%02x", p->mbr_type);
        break;
    case PART_KIND_GPT:
        part_format_guid(p->gpt_type_guid, guid, sizeof(guid));
        n = ksnprintf(buf, len, "gpt:%s", guid);
        break;
    case PART_KIND_WHOLE:
        n = ksnprintf(buf, len, "whole");
        break;
    default:
        if (len > 0)
            buf[0] = '\0';
        return ERR_INVAL;
    }
    return (size_t)n >= len ? ERR_NOSPC : 0;
}
