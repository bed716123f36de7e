/* SPDX-License-Identifier: MIT */
/* Partition scanning behind the sector-reader seam (STYLE §1). The caller
 * fills a struct part_reader ("read sectors N..N+k", sector size, capacity),
 * calls part_scan() once per media, uses the returned table, and finally
 * releases it with part_table_free(). The scanner reads LBA 0 and decides:
 *   - protective MBR entry (type 0xEE in any slot)  -> GPT (part_gpt.c)
 *   - valid MBR                                     -> primaries + EBR chains
 *   - anything else                                 -> one WHOLE partition
 * It knows nothing of disks, caches or file systems, so the same code runs on
 * an image file in hosted tests and in kdisk. Formats: MBR/EBR as written by
 * DOS fdisk and util-linux; GPT per UEFI 2.6 §5.2-5.3 (Tables 17-20).
 *
 * Numbering (KolibriOS kernel/trunk/blkdev/disk.inc, disk_scan_partitions and
 * disk_add_partition): partitions get consecutive numbers from 1 in the order
 * they are found, counting only the partitions that were accepted. For MBR the
 * four primary slots are taken in slot order (extended entries get no number),
 * then the logical partitions of each extended partition follow in EBR chain
 * order, i.e. all logicals come after all primaries. For GPT the used entries
 * are numbered in entry-array order, unused entries leave no gap. So the
 * numbers differ from Linux's sdaN when a slot is empty or logicals exist
 * (Linux: logicals start at 5); part_info.table_index keeps the Linux-style
 * index for messages. A partition overlapping an already accepted one is
 * dropped (as KolibriOS does), since a file system assumes it owns its sectors.
 *
 * Policy on bad input (STYLE §5); every case leaves one log line of the form
 * "<mbr|ebr|gpt|part>: <disk>: <what> (<values>)":
 *   - MBR/EBR entry starting at or beyond the end of the disk, of length 0, or
 *     starting on its own MBR/EBR sector: skipped (reject).
 *   - MBR/EBR entry running past the end of the disk: clamped to the end with
 *     a warning (tolerate; happens when an image is copied to a smaller disk).
 *   - EBR chain: a loop (an EBR seen twice), a link outside the extended
 *     partition, a bad signature, a read error or more than PART_MAX_EBRS EBRs
 *     end that chain; what was found before stays (reject the rest).
 *   - GPT header or entry array invalid: the backup header is tried (the
 *     primary's AlternateLBA when the primary header itself was intact, else
 *     the last LBA of the disk). Both unusable: ERR_CORRUPT and no partitions.
 *     Unlike KolibriOS we do not fall back to the MBR entries: on a damaged
 *     GPT disk they are stale or just the 0xEE entry, and exposing them would
 *     let a mkfs overwrite the real partitions (Linux also refuses).
 *   - GPT entry outside the usable LBA range or with first > last: skipped.
 *   - More than PART_MAX_PARTITIONS partitions: the rest is ignored.
 * Whole-media fallback (one partition, kind PART_KIND_WHOLE, LBA 0..end):
 *   - LBA 0 without the 0x55AA signature, including an all-zero LBA 0 (empty
 *     disk: KolibriOS also creates one partition, so a later probe or mkfs can
 *     see the media);
 *   - LBA 0 is a FAT/NTFS/exFAT boot sector (superfloppy) whose "partition
 *     entries" are not a plausible table (jump 0xEB/0xE9 + sane BPB);
 *   - an entry has a boot flag other than 0x00/0x80 (not a partition table).
 * An MBR with a valid signature but no used entry is a table with no
 * partitions (count 0), as in KolibriOS and Linux.
 * Sector sizes: powers of two from 512 to 4096; the MBR is the first 512
 * bytes of LBA 0, GPT structures are addressed in sectors of the disk's size. */
#ifndef BLKDEV_PART_H
#define BLKDEV_PART_H

#include "kernel/types.h"

/* Most partitions kept per media, and most EBRs followed per disk. The same
 * limit as KolibriOS's MAX_NUM_PARTITIONS: more than that means a damaged
 * table, and real MBR disks have a few dozen logicals at most. */
#define PART_MAX_PARTITIONS 256
#define PART_MAX_EBRS 256
/* Supported logical sector sizes in bytes (powers of two). */
#define PART_MIN_SECTOR_BYTES 512u
#define PART_MAX_SECTOR_BYTES 4096u
/* GPT partition names are 36 UTF-16 code units; as UTF-8 that is at most
 * 3 bytes per unit (a surrogate pair is 2 units -> 4 bytes), plus the NUL. */
#define PART_GPT_NAME_UNITS 36
#define PART_NAME_BYTES (PART_GPT_NAME_UNITS * 3 + 1)
/* Room for any part_format_type() result: "gpt:" + 36-char GUID + NUL. */
#define PART_TYPE_STR_BYTES 48

/* The sector reader: all the scanner sees of a disk. Filled by the caller,
 * which owns it; it must stay valid during part_scan(). */
struct part_reader {
    void *ctx;                 /* passed to read() as is */
    const char *disk_name;     /* for log lines, e.g. "hd0"; NULL means "?" */
    uint32_t sector_size;      /* logical sector size in bytes */
    lba_t capacity_sectors;    /* media size in sectors */
    /* Read `count` whole sectors starting at `lba` into buf (count *
     * sector_size bytes). Returns 0 when all were read, or a negative ERR_*;
     * a short read must be reported as an error. ERR_NOMEDIA aborts the scan. */
    int (*read)(void *ctx, lba_t lba, uint32_t count, void *buf);
};

enum part_kind {
    PART_KIND_NONE = 0, /* table: nothing found (error) */
    PART_KIND_WHOLE,    /* no table: the whole media is one partition */
    PART_KIND_MBR,      /* MBR primary or EBR logical partition */
    PART_KIND_GPT,      /* GPT partition entry */
};

/* One partition; written by part_scan(), read-only afterwards. */
struct part_info {
    unsigned number;            /* 1-based, KolibriOS discovery order (above) */
    unsigned table_index;       /* MBR slot 1-4, logical 5..; GPT entry index + 1;
                                   0 for WHOLE (Linux-style, for messages) */
    enum part_kind kind;        /* MBR, GPT or WHOLE */
    lba_t first_lba;            /* first sector, absolute on the disk */
    lba_t count_sectors;        /* length in sectors, >= 1, inside the disk */
    bool clamped;               /* count was cut to the end of the disk */
    uint8_t mbr_type;           /* MBR system id; 0 unless kind is MBR */
    uint8_t gpt_type_guid[16];  /* on-disk byte order; zero unless GPT */
    uint8_t gpt_unique_guid[16]; /* on-disk byte order; zero unless GPT */
    uint64_t gpt_attributes;    /* UEFI attribute bits; 0 unless GPT */
    char name[PART_NAME_BYTES]; /* GPT name as UTF-8, "" otherwise */
};

/* Result of a scan. parts is a kmalloc'ed array owned by the table. */
struct part_table {
    struct part_info *parts;    /* count entries, numbers 1..count; NULL if 0 */
    unsigned count;             /* number of partitions */
    enum part_kind kind;        /* scheme found: WHOLE, MBR, GPT; NONE on error */
    uint32_t mbr_disk_id;       /* MBR bytes 440..443 (MBR and GPT disks; 0 for WHOLE) */
    uint8_t gpt_disk_guid[16];  /* DiskGUID of the header used (GPT only) */
    lba_t gpt_header_lba;       /* LBA of the GPT header used (GPT only) */
    bool gpt_used_backup;       /* the primary GPT header was unusable */
};

/* Scan the media behind `r` and fill *out (which need not be initialised).
 * Returns 0 (out->count may be 0 for an empty MBR), ERR_INVAL (NULL argument,
 * no read function, sector size not a power of two in 512..4096, capacity 0),
 * ERR_CORRUPT (GPT disk with no usable header), ERR_NOMEM, or the reader's
 * error when LBA 0 cannot be read or the media went away (ERR_NOMEDIA).
 * On any error *out is empty (count 0, parts NULL, kind NONE).
 * Locking: none of its own; calls r->read, which may take the caller's locks.
 * Context: thread, may sleep (allocates, and r->read may sleep). */
int part_scan(const struct part_reader *r, struct part_table *out);

/* Free the partition array and reset *t to empty. NULL or empty is fine.
 * Context: thread. */
void part_table_free(struct part_table *t);

/* Format the partition type as "mbr:0x0c", "gpt:ebd0a0a2-b9e5-4433-87c0-
 * 68b6b72699c7" (lowercase canonical GUID: the first three fields are stored
 * little-endian, the last two big-endian, UEFI 2.6 Appendix A) or "whole".
 * buf/len: output, always NUL-terminated when len > 0. Returns 0, ERR_INVAL
 * (NULL or unknown kind) or ERR_NOSPC (truncated; PART_TYPE_STR_BYTES is
 * always enough). Context: any. */
int part_format_type(const struct part_info *p, char *buf, size_t len);

/* Format a 16-byte on-disk GUID in canonical lowercase form (36 chars + NUL).
 * Returns 0, ERR_INVAL (NULL) or ERR_NOSPC (len < 37, truncated). */
int part_format_guid(const uint8_t guid[16], char *buf, size_t len);

#endif
