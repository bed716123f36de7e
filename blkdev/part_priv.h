/* SPDX-License-Identifier: MIT */
/* Internals shared by part.c (driver of the scan, whole-media fallback,
 * numbering), part_mbr.c (MBR and EBR chains) and part_gpt.c (GPT). Not for
 * use outside blkdev/part*.c. The scan state lives in struct part_scan, on the
 * caller's stack in part_scan(); parsers add partitions only through
 * part_scan_add(), which numbers them and enforces the caps. */
#ifndef BLKDEV_PART_PRIV_H
#define BLKDEV_PART_PRIV_H

#include "blkdev/part.h"

/* MBR layout (also EBRs): the table sits in the first 512 bytes of the
 * sector whatever the sector size. */
#define MBR_DISK_ID_OFF 440
#define MBR_TABLE_OFF 446
#define MBR_ENTRY_BYTES 16
#define MBR_ENTRIES 4
/* Byte offsets inside one MBR entry. */
#define MBR_E_BOOT 0
#define MBR_E_TYPE 4
#define MBR_E_START 8
#define MBR_E_LEN 12
#define MBR_SIG_OFF 510
#define MBR_SIGNATURE 0xaa55u
#define MBR_TYPE_GPT_PROTECTIVE 0xee

struct part_scan {
    const struct part_reader *r; /* the caller's reader */
    const char *disk;            /* r->disk_name or "?" */
    struct part_table *out;      /* result being built */
    unsigned alloc;              /* entries allocated in out->parts */
    bool full;                   /* PART_MAX_PARTITIONS reached (logged once) */
    uint8_t *sector;             /* one-sector scratch buffer, r->sector_size */
};

/* Read `count` sectors at `lba` into buf after checking the range against the
 * capacity; a reader result that is not 0 or a known ERR_* becomes ERR_IO.
 * Returns 0, ERR_RANGE (request outside the media) or the reader's error. */
int part_scan_read(struct part_scan *s, lba_t lba, uint32_t count, void *buf);

/* Append *p (number, kind-specific fields filled by the parser; number is
 * assigned here). A partition outside the disk or overlapping an accepted one
 * is dropped with a log line tagged `tag`, as is everything once
 * PART_MAX_PARTITIONS were accepted. Returns 0 (added or dropped) or ERR_NOMEM. */
int part_scan_add(struct part_scan *s, const char *tag, const struct part_info *p);

/* True if the sector (>= 512 bytes) carries 0x55AA at 510. */
bool mbr_has_signature(const uint8_t *sector);
/* True if any of the four entries has the GPT protective type 0xEE. */
bool mbr_has_protective_entry(const uint8_t *sector);
/* True if every boot flag is 0x00 or 0x80 (else it is no partition table). */
bool mbr_has_valid_boot_flags(const uint8_t *sector);
/* True if the entries look like a real table: valid boot flags, at least one
 * used entry, and every used entry starts inside the disk (not at LBA 0) and
 * has a length. Used to tell an MBR from a boot sector with a BPB. */
bool mbr_is_plausible(const uint8_t *sector, lba_t capacity_sectors);

/* Parse the MBR in `mbr` (a copy of LBA 0, 512 bytes at least) and follow the
 * EBR chains. Returns 0, ERR_NOMEM or ERR_NOMEDIA. */
int mbr_scan(struct part_scan *s, const uint8_t *mbr);

/* Parse the GPT (LBA 0 was a protective MBR). Returns 0, ERR_CORRUPT (no
 * usable header), ERR_NOMEM, or the reader's error (ERR_NOMEDIA...). */
int gpt_scan(struct part_scan *s);

/* Shorthand for log arguments: lba_t as unsigned long long. */
#define PART_ULL(x) ((unsigned long long)(x))

#endif
