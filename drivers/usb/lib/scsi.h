/* SPDX-License-Identifier: MIT */
/* SCSI block commands for USB mass storage (SPC-4, SBC-3): build the CDBs
 * the BOT class driver sends (INQUIRY, TEST UNIT READY, REQUEST SENSE, READ
 * CAPACITY (10)/(16), MODE SENSE (6), READ/WRITE (10)/(16), SYNCHRONIZE
 * CACHE (10), PREVENT ALLOW MEDIUM REMOVAL) and parse what comes back
 * (INQUIRY data, capacity, the write-protect bit) into trusted structs.
 * Sense data is decoded and classified by the code shared with the ATAPI
 * drivers (drivers/ata/lib/atapi_sense.h); scsi_sense_to_err() is the one
 * place a USB unit's sense becomes an ERR_* code (its policy differs from
 * ATAPI's: transient states are retried, not reported as "no medium").
 * CD/DVD units reuse drivers/ata/lib/atapi_cdb.h for READ (10)/(12), READ
 * CAPACITY parsing and START STOP UNIT. Hardware-free: built into the
 * kernel and the hosted tests. */
#ifndef DRIVERS_USB_LIB_SCSI_H
#define DRIVERS_USB_LIB_SCSI_H

#include "drivers/ata/lib/atapi_sense.h"
#include "kernel/types.h"

/* Operation codes (SPC-4 §6, SBC-3 §5). */
enum scsi_opcode {
    SCSI_TEST_UNIT_READY = 0x00,
    SCSI_REQUEST_SENSE = 0x03,
    SCSI_INQUIRY = 0x12,
    SCSI_MODE_SENSE6 = 0x1A,
    SCSI_START_STOP_UNIT = 0x1B,
    SCSI_PREVENT_ALLOW = 0x1E,       /* PREVENT ALLOW MEDIUM REMOVAL */
    SCSI_READ_CAPACITY10 = 0x25,
    SCSI_READ10 = 0x28,
    SCSI_WRITE10 = 0x2A,
    SCSI_SYNC_CACHE10 = 0x35,
    SCSI_READ16 = 0x88,
    SCSI_WRITE16 = 0x8A,
    SCSI_SERVICE_ACTION_IN16 = 0x9E, /* READ CAPACITY (16): service action 0x10 */
};

#define SCSI_INQUIRY_BYTES 36        /* standard data we ask for */
#define SCSI_SENSE_BYTES 18          /* fixed-format sense we ask for */
#define SCSI_CAPACITY10_BYTES 8
#define SCSI_CAPACITY16_BYTES 32
#define SCSI_MODE_SENSE_BYTES 192    /* as Linux asks: some devices choke on 255 */
#define SCSI_MODE_PAGE_ALL 0x3F
#define SCSI_RW10_MAX_BLOCKS 0xFFFFu /* 16-bit transfer length */
/* Peripheral device types (SPC-4 Table 137). */
#define SCSI_TYPE_DISK 0x00          /* direct access block device (SBC) */
#define SCSI_TYPE_CDROM 0x05         /* CD/DVD device (MMC) */

struct scsi_inquiry {
    uint8_t device_type;  /* bits 4:0 of byte 0 */
    uint8_t qualifier;    /* bits 7:5 of byte 0; 0 = unit connected */
    bool removable;       /* RMB */
    char vendor[9];       /* trailing spaces cut, printable ASCII */
    char product[17];
    char revision[5];
};

struct scsi_capacity {
    uint64_t blocks;      /* last LBA + 1 */
    uint32_t block_bytes; /* 512, 1024, 2048 or 4096 */
    bool need16;          /* (10) answered "too big": ask READ CAPACITY (16) */
};

/* CDB builders: fill cdb[0..16) (zeroed first) and return its length in
 * bytes. Context: any. */
uint8_t scsi_cdb_test_unit_ready(uint8_t cdb[16]);
uint8_t scsi_cdb_inquiry(uint8_t cdb[16], uint8_t alloc_bytes);
uint8_t scsi_cdb_request_sense(uint8_t cdb[16], uint8_t alloc_bytes);
uint8_t scsi_cdb_read_capacity10(uint8_t cdb[16]);
uint8_t scsi_cdb_read_capacity16(uint8_t cdb[16], uint8_t alloc_bytes);
uint8_t scsi_cdb_sync_cache10(uint8_t cdb[16]);
uint8_t scsi_cdb_mode_sense6(uint8_t cdb[16], uint8_t page, uint8_t alloc_bytes);
/* PREVENT ALLOW MEDIUM REMOVAL (SPC-4 §6.13): `prevent` locks the medium
 * in, false allows its removal. */
uint8_t scsi_cdb_prevent_allow(uint8_t cdb[16], bool prevent);
/* READ/WRITE of `blocks` at `lba`: the (10) form when lba + blocks fits in
 * 32 bits and blocks <= 0xFFFF, otherwise the (16) form. blocks 0 is not
 * sent (returns 0; the (10) form would mean 0 blocks, harmless but useless). */
uint8_t scsi_cdb_rw(uint8_t cdb[16], bool write, uint64_t lba, uint32_t blocks);

/* Parse standard INQUIRY data (at least 36 bytes; fewer -> ERR_CORRUPT).
 * Returns 0 or ERR_CORRUPT (logged). Context: any. */
int scsi_parse_inquiry(const uint8_t *buf, size_t len, struct scsi_inquiry *out);

/* Parse READ CAPACITY (10) data (8 bytes). Last LBA 0xFFFFFFFF sets need16
 * (blocks then unknown, 0). Block size must be 512/1024/2048/4096 and the
 * capacity non-zero. Returns 0 or ERR_CORRUPT (logged). Context: any. */
int scsi_parse_capacity10(const uint8_t *buf, size_t len, struct scsi_capacity *out);

/* Parse READ CAPACITY (16) data (>= 12 bytes). Same checks; last LBA
 * 2^64-1 is rejected (capacity would overflow), and so is a capacity of
 * 2^64 bytes or more. Context: any. */
int scsi_parse_capacity16(const uint8_t *buf, size_t len, struct scsi_capacity *out);

/* Parse the MODE SENSE (6) header (SPC-4 §7.5.5; SBC-3 §6.3.1: bit 7 of
 * the device-specific parameter is WP). *write_protected gets it. Returns 0;
 * ERR_CORRUPT (fewer than 4 bytes read or claimed; logged). Context: any. */
int scsi_parse_mode_sense6_wp(const uint8_t *buf, size_t len, bool *write_protected);

/* The one mapping from a USB unit's sense (decoded by atapi_sense_decode)
 * to an error code, over atapi_sense_classify(): NO SENSE / RECOVERED -> 0;
 * "medium not present" (ASC 0x3A) -> ERR_NOMEDIA; any other NOT READY,
 * every UNIT ATTENTION and ABORTED COMMAND -> ERR_BUSY (worth a retry; the
 * caller notes the unit attention as a possible medium change); ILLEGAL
 * REQUEST with ASC 0x21 (LBA out of range) -> ERR_EOM, otherwise
 * ERR_NOTSUP; DATA PROTECT -> ERR_ROFS; everything else -> ERR_IO.
 * Context: any. */
int scsi_sense_to_err(const struct atapi_sense *s);

#endif
