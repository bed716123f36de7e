// SPDX-License-Identifier: MIT
/* GPT parser (UEFI 2.6 §5.3: Table 18 header, Tables 19-20 entries). Reads
 * the primary header at LBA 1, validates it and its entry array (one bounded
 * read, CRC-checked), and falls back to the backup header when anything is
 * wrong. Then reports every used entry inside the usable LBA range, with its
 * GUIDs, attributes and UTF-8 name. It does not repair or rewrite either copy,
 * and does not compare primary and backup. Policy: blkdev/part.h. */
#include "blkdev/part_priv.h"

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/crc32.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* Header fields (UEFI 2.6 Table 18), byte offsets. */
#define GPT_H_SIGNATURE 0
#define GPT_H_REVISION 8
#define GPT_H_SIZE 12
#define GPT_H_CRC 16
#define GPT_H_MY_LBA 24
#define GPT_H_ALTERNATE_LBA 32
#define GPT_H_FIRST_USABLE 40
#define GPT_H_LAST_USABLE 48
#define GPT_H_DISK_GUID 56
#define GPT_H_ENTRIES_LBA 72
#define GPT_H_ENTRY_COUNT 80
#define GPT_H_ENTRY_SIZE 84
#define GPT_H_ENTRIES_CRC 88
#define GPT_HEADER_MIN_BYTES 92 /* the fields above; the rest is reserved */
_Static_assert(GPT_H_ENTRIES_CRC + 4 == GPT_HEADER_MIN_BYTES, "GPT header layout");

#define GPT_SIGNATURE "EFI PART"
#define GPT_REVISION_1_0 0x00010000u
#define GPT_PRIMARY_LBA 1

/* Entry fields (UEFI 2.6 Table 20), byte offsets. */
#define GPT_E_TYPE_GUID 0
#define GPT_E_UNIQUE_GUID 16
#define GPT_E_FIRST_LBA 32
#define GPT_E_LAST_LBA 40
#define GPT_E_ATTRIBUTES 48
#define GPT_E_NAME 56
#define GPT_ENTRY_MIN_BYTES 128
_Static_assert(GPT_E_NAME + PART_GPT_NAME_UNITS * 2 == GPT_ENTRY_MIN_BYTES, "GPT entry layout");

/* Largest entry we accept: the spec allows 128 * 2^n; no tool writes more
 * than 128, and one 4096-byte sector per entry is already absurd. */
#define GPT_MAX_ENTRY_BYTES 4096u
/* Largest entry array read in one go: 1 MiB = 8192 entries of 128 bytes, 64
 * times the usual 128 entries (16 KiB), far above what any tool creates,
 * and still a harmless allocation on a 128 MiB machine. */
#define GPT_MAX_ARRAY_BYTES (1024u * 1024u)

/* A header after gpt_read_header() accepted it (native values, trusted). */
struct gpt_header {
    lba_t my_lba;            /* where it was read */
    lba_t alternate_lba;     /* the other copy (not used once trusted) */
    lba_t first_usable_lba;  /* partitions must lie in first..last usable */
    lba_t last_usable_lba;
    lba_t entries_lba;       /* first sector of the entry array */
    uint32_t entry_count;    /* entries in the array, >= 1 */
    uint32_t entry_bytes;    /* size of one entry, 128..GPT_MAX_ENTRY_BYTES */
    uint32_t entries_crc;    /* CRC32 of entry_count * entry_bytes bytes */
    uint8_t disk_guid[16];
};

static bool gpt_guid_is_zero(const uint8_t *guid)
{
    for (unsigned i = 0; i < 16; i++) {
        if (guid[i])
            return false;
    }
    return true;
}

/* Read and validate the header at `lba` into *h. *alternate_hint is set to
 * the header's AlternateLBA once signature, CRC and MyLBA have been checked,
 * so a header that fails later still tells where its twin is.
 * Returns 0, ERR_CORRUPT (logged) or the reader's error (logged). */
static int gpt_read_header(struct part_scan *s, lba_t lba, struct gpt_header *h,
                           lba_t *alternate_hint)
{
    uint8_t *b = s->sector;
    lba_t cap = s->r->capacity_sectors;
    uint32_t hsize, stored_crc, crc;
    uint64_t array_bytes, array_sectors;
    int err;

    /* 1. Read one sector of the disk's size. */
    err = part_scan_read(s, lba, 1, b);
    if (err) {
        pr_err("gpt: %s: header read failed (lba %llu, %s)", s->disk, PART_ULL(lba),
               err_name(err));
        return err == ERR_RANGE ? ERR_CORRUPT : err;
    }
    /* 2. Signature, revision, header size (92..sector size). */
    if (memcmp(b + GPT_H_SIGNATURE, GPT_SIGNATURE, 8) != 0) {
        pr_err("gpt: %s: bad header signature (lba %llu, found 0x%016llx)", s->disk,
               PART_ULL(lba), PART_ULL(le64_at(b, GPT_H_SIGNATURE)));
        return ERR_CORRUPT;
    }
    if (le32_at(b, GPT_H_REVISION) != GPT_REVISION_1_0) {
        pr_err("gpt: %s: unsupported header revision (lba %llu, 0x%08x, want 0x%08x)", s->disk,
               PART_ULL(lba), le32_at(b, GPT_H_REVISION), GPT_REVISION_1_0);
        return ERR_CORRUPT;
    }
    hsize = le32_at(b, GPT_H_SIZE);
    if (hsize < GPT_HEADER_MIN_BYTES || hsize > s->r->sector_size) {
        pr_err("gpt: %s: header size out of range (lba %llu, %u, want %u..%u)", s->disk,
               PART_ULL(lba), hsize, GPT_HEADER_MIN_BYTES, s->r->sector_size);
        return ERR_CORRUPT;
    }
    /* 3. CRC over HeaderSize bytes with its own field zeroed (UEFI 2.6
     * §5.3.2). The scratch sector is ours, so zero the field in place. */
    stored_crc = le32_at(b, GPT_H_CRC);
    put_le32(b, GPT_H_CRC, 0);
    crc = crc32_ieee(0, b, hsize);
    if (crc != stored_crc) {
        pr_err("gpt: %s: header CRC mismatch (lba %llu, stored 0x%08x, computed 0x%08x)",
               s->disk, PART_ULL(lba), stored_crc, crc);
        return ERR_CORRUPT;
    }
    /* 4. MyLBA must name the sector it was read from. */
    h->my_lba = le64_at(b, GPT_H_MY_LBA);
    if (h->my_lba != lba) {
        pr_err("gpt: %s: header MyLBA mismatch (read at %llu, stored %llu)", s->disk,
               PART_ULL(lba), PART_ULL(h->my_lba));
        return ERR_CORRUPT;
    }
    h->alternate_lba = le64_at(b, GPT_H_ALTERNATE_LBA);
    *alternate_hint = h->alternate_lba;
    /* 5. Usable range inside the disk, first <= last. */
    h->first_usable_lba = le64_at(b, GPT_H_FIRST_USABLE);
    h->last_usable_lba = le64_at(b, GPT_H_LAST_USABLE);
    if (h->first_usable_lba > h->last_usable_lba || h->last_usable_lba >= cap) {
        pr_err("gpt: %s: usable range invalid (lba %llu, first %llu, last %llu, capacity %llu)",
               s->disk, PART_ULL(lba), PART_ULL(h->first_usable_lba),
               PART_ULL(h->last_usable_lba), PART_ULL(cap));
        return ERR_CORRUPT;
    }
    /* 6. Entry size and count, bounded so the array is one sane read. */
    h->entry_bytes = le32_at(b, GPT_H_ENTRY_SIZE);
    h->entry_count = le32_at(b, GPT_H_ENTRY_COUNT);
    if (h->entry_bytes < GPT_ENTRY_MIN_BYTES || h->entry_bytes % 8 != 0 ||
        h->entry_bytes > GPT_MAX_ENTRY_BYTES) {
        pr_err("gpt: %s: entry size invalid (lba %llu, %u, want a multiple of 8 in %u..%u)",
               s->disk, PART_ULL(lba), h->entry_bytes, GPT_ENTRY_MIN_BYTES,
               GPT_MAX_ENTRY_BYTES);
        return ERR_CORRUPT;
    }
    array_bytes = (uint64_t)h->entry_count * h->entry_bytes; /* < 2^44, no overflow */
    if (h->entry_count == 0 || array_bytes > GPT_MAX_ARRAY_BYTES) {
        pr_err("gpt: %s: entry count out of range (lba %llu, %u entries of %u bytes, max %u "
               "bytes)",
               s->disk, PART_ULL(lba), h->entry_count, h->entry_bytes, GPT_MAX_ARRAY_BYTES);
        return ERR_CORRUPT;
    }
    /* 7. The array must lie inside the disk and not on LBA 0. */
    h->entries_lba = le64_at(b, GPT_H_ENTRIES_LBA);
    array_sectors = (array_bytes + s->r->sector_size - 1) / s->r->sector_size;
    if (h->entries_lba == 0 || h->entries_lba >= cap || array_sectors > cap - h->entries_lba) {
        pr_err("gpt: %s: entry array outside the disk (lba %llu, array at %llu, %llu sectors, "
               "capacity %llu)",
               s->disk, PART_ULL(lba), PART_ULL(h->entries_lba), PART_ULL(array_sectors),
               PART_ULL(cap));
        return ERR_CORRUPT;
    }
    h->entries_crc = le32_at(b, GPT_H_ENTRIES_CRC);
    memcpy(h->disk_guid, b + GPT_H_DISK_GUID, 16);
    return 0;
}

/* Read the entry array of a trusted header in one request and check its CRC
 * (over entry_count * entry_bytes bytes, not the rounded-up sectors).
 * Returns 0 with *out kmalloc'ed (caller frees), ERR_CORRUPT, ERR_NOMEM or
 * the reader's error; failures are logged. */
static int gpt_read_entries(struct part_scan *s, const struct gpt_header *h, uint8_t **out)
{
    uint32_t bytes = h->entry_count * h->entry_bytes; /* <= GPT_MAX_ARRAY_BYTES */
    uint32_t sectors = (bytes + s->r->sector_size - 1) / s->r->sector_size;
    uint32_t crc;
    uint8_t *buf;
    int err;

    buf = kmalloc((size_t)sectors * s->r->sector_size);
    if (!buf)
        return ERR_NOMEM;
    err = part_scan_read(s, h->entries_lba, sectors, buf);
    if (err) {
        pr_err("gpt: %s: entry array read failed (lba %llu, %u sectors, %s)", s->disk,
               PART_ULL(h->entries_lba), sectors, err_name(err));
        kfree(buf);
        return err == ERR_RANGE ? ERR_CORRUPT : err;
    }
    crc = crc32_ieee(0, buf, bytes);
    if (crc != h->entries_crc) {
        pr_err("gpt: %s: entry array CRC mismatch (header lba %llu, stored 0x%08x, computed "
               "0x%08x)",
               s->disk, PART_ULL(h->my_lba), h->entries_crc, crc);
        kfree(buf);
        return ERR_CORRUPT;
    }
    *out = buf;
    return 0;
}

static int gpt_load(struct part_scan *s, lba_t lba, struct gpt_header *h, uint8_t **entries,
                    lba_t *alternate_hint)
{
    int err = gpt_read_header(s, lba, h, alternate_hint);
    if (err)
        return err;
    return gpt_read_entries(s, h, entries);
}

/* UTF-16LE name (up to 36 units, NUL-terminated if shorter) to UTF-8. An
 * unpaired surrogate becomes U+FFFD. PART_NAME_BYTES holds the worst case. */
static void gpt_name_to_utf8(const uint8_t *raw, char *out)
{
    size_t n = 0;

    for (unsigned i = 0; i < PART_GPT_NAME_UNITS; i++) {
        uint32_t cp = le16_at(raw, i * 2);
        if (cp == 0)
            break;
        if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < PART_GPT_NAME_UNITS) {
            uint32_t lo = le16_at(raw, (i + 1) * 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                i++;
            }
        }
        if (cp >= 0xd800 && cp <= 0xdfff)
            cp = 0xfffd;
        if (cp < 0x80) {
            out[n++] = (char)cp;
        } else if (cp < 0x800) {
            out[n++] = (char)(0xc0 | (cp >> 6));
            out[n++] = (char)(0x80 | (cp & 0x3f));
        } else if (cp < 0x10000) {
            out[n++] = (char)(0xe0 | (cp >> 12));
            out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[n++] = (char)(0x80 | (cp & 0x3f));
        } else {
            out[n++] = (char)(0xf0 | (cp >> 18));
            out[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
            out[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
            out[n++] = (char)(0x80 | (cp & 0x3f));
        }
    }
    out[n] = '\0';
}

/* Report the used entries of a validated array, in array order. */
static int gpt_add_entries(struct part_scan *s, const struct gpt_header *h,
                           const uint8_t *entries)
{
    for (uint32_t i = 0; i < h->entry_count; i++) {
        const uint8_t *e = entries + (size_t)i * h->entry_bytes;
        struct part_info p = {0};
        lba_t first, last;
        int err;

        if (gpt_guid_is_zero(e + GPT_E_TYPE_GUID))
            continue; /* unused entry */
        first = le64_at(e, GPT_E_FIRST_LBA);
        last = le64_at(e, GPT_E_LAST_LBA);
        if (first > last || first < h->first_usable_lba || last > h->last_usable_lba) {
            pr_warn("gpt: %s: entry %u outside the usable range, skipped (first %llu, last "
                    "%llu, usable %llu..%llu)",
                    s->disk, i + 1, PART_ULL(first), PART_ULL(last),
                    PART_ULL(h->first_usable_lba), PART_ULL(h->last_usable_lba));
            continue;
        }
        p.kind = PART_KIND_GPT;
        p.table_index = i + 1;
        p.first_lba = first;
        p.count_sectors = last - first + 1; /* last < capacity: no overflow */
        memcpy(p.gpt_type_guid, e + GPT_E_TYPE_GUID, 16);
        memcpy(p.gpt_unique_guid, e + GPT_E_UNIQUE_GUID, 16);
        p.gpt_attributes = le64_at(e, GPT_E_ATTRIBUTES);
        gpt_name_to_utf8(e + GPT_E_NAME, p.name);
        err = part_scan_add(s, "gpt", &p);
        if (err)
            return err;
    }
    return 0;
}

int gpt_scan(struct part_scan *s)
{
    lba_t last_lba = s->r->capacity_sectors - 1;
    lba_t alternate = 0, unused_hint, backup[2];
    const char *backup_why[2];
    unsigned nbackup = 0;
    struct gpt_header h;
    uint8_t *entries = NULL;
    int err, first_err;

    /* 1. Primary header and array at LBA 1 (in sectors of the disk's size);
     * on success go to 4. */
    err = gpt_load(s, GPT_PRIMARY_LBA, &h, &entries, &alternate);
    if (err == ERR_NOMEDIA || err == ERR_NOMEM)
        return err;
    first_err = err;

    /* 2. Backup candidates: the primary's AlternateLBA when the primary
     * header itself was intact and the value is sane, then the disk's last
     * LBA. Each attempt is logged with where its LBA came from. */
    if (err) {
        if (alternate > GPT_PRIMARY_LBA && alternate <= last_lba) {
            backup_why[nbackup] = "AlternateLBA of the primary";
            backup[nbackup++] = alternate;
        }
        if (last_lba > GPT_PRIMARY_LBA && (nbackup == 0 || backup[0] != last_lba)) {
            backup_why[nbackup] = "last LBA of the disk";
            backup[nbackup++] = last_lba;
        }
        for (unsigned i = 0; i < nbackup && err; i++) {
            pr_warn("gpt: %s: primary header unusable, trying the backup at LBA %llu (%s)",
                    s->disk, PART_ULL(backup[i]), backup_why[i]);
            err = gpt_load(s, backup[i], &h, &entries, &unused_hint);
            if (err == ERR_NOMEDIA || err == ERR_NOMEM)
                return err;
        }
        /* 3. No usable copy: refuse the disk (see part.h for why). */
        if (err) {
            pr_err("gpt: %s: no usable GPT header, no partitions (primary %s, backup %s)",
                   s->disk, err_name(first_err), nbackup ? err_name(err) : "none");
            return (first_err == ERR_CORRUPT || err == ERR_CORRUPT) ? ERR_CORRUPT : err;
        }
        s->out->gpt_used_backup = true;
        pr_warn("gpt: %s: using the backup GPT header (lba %llu)", s->disk, PART_ULL(h.my_lba));
    }

    /* 4. Report the entries. */
    s->out->gpt_header_lba = h.my_lba;
    memcpy(s->out->gpt_disk_guid, h.disk_guid, 16);
    err = gpt_add_entries(s, &h, entries);
    kfree(entries);
    return err;
}
