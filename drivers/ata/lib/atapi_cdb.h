/* SPDX-License-Identifier: MIT */
/* ATAPI command blocks and the answers they bring, for every transport that
 * carries PACKET commands (drivers/ata IDE, drivers/ahci): fill a 12-byte
 * CDB with one of the builders below, send it, then turn the answer bytes
 * into a trusted struct with the matching parser. Sense data has its own
 * module (atapi_sense.h); what a media poll does with the answers is in
 * atapi_media.h. Pure code, hosted-testable.
 * Rejected answers (the parsers never clamp):
 * - GESN: ERR_NOTSUP (no media-class events: poll with TEST UNIT READY) when
 *   "no event available" is set or another class answered; ERR_CORRUPT when
 *   shorter than the 4-byte header, or than header + media descriptor (8
 *   bytes) by either the buffer or the answer's own event data length.
 * - READ CAPACITY: ERR_CORRUPT and one log line when shorter than 8 bytes,
 *   with a block length other than 2048 or a last LBA of 2^32 - 1.
 * Spec: SPC-3 §6.27 (REQUEST SENSE), §6.33 (TEST UNIT READY); MMC-5 §6.6
 * (GET EVENT STATUS NOTIFICATION, media class Tables 145-147), §6.15/§6.16
 * (READ(10), READ(12)), §6.21 (READ CAPACITY); SBC-2 §5.17 (START STOP UNIT). */
#ifndef DRIVERS_ATA_LIB_ATAPI_CDB_H
#define DRIVERS_ATA_LIB_ATAPI_CDB_H

#include "drivers/ata/defs.h"
#include "kernel/types.h"

#define ATAPI_SECTOR_BYTES 2048u       /* MMC data block (Mode 1 / DVD user data) */
#define ATAPI_READ10_MAX_COUNT 0xFFFFu /* 16-bit transfer length */
#define ATAPI_GESN_MEDIA_BYTES 8       /* header (4) + media descriptor (4) */
#define ATAPI_RCAP_BYTES 8             /* last LBA (4) + block length (4) */

/* Media event codes (MMC-5 Table 146). */
enum atapi_media_event_code {
    ATAPI_MEC_NO_CHANGE = 0,
    ATAPI_MEC_EJECT_REQUEST = 1,
    ATAPI_MEC_NEW_MEDIA = 2,
    ATAPI_MEC_MEDIA_REMOVAL = 3,
    ATAPI_MEC_MEDIA_CHANGED = 4,
};

/* Trusted media-class event. */
struct atapi_media_event {
    uint8_t code;      /* enum atapi_media_event_code (other values kept as read) */
    bool tray_open;    /* media status bit 0 */
    bool present;      /* media status bit 1 */
};

/* Builders. Each fills `cdb` (ATAPI_PACKET_BYTES, zeroed first) and cannot
 * fail. Context: any.
 * - atapi_cdb_read: a read of `count` 2048-byte blocks at `lba`: READ(10)
 *   while count fits 16 bits and `use_read12` is false, READ(12) otherwise.
 *   Returns the opcode used (ATAPI_READ_10 or ATAPI_READ_12).
 * - atapi_cdb_gesn_media: polled GET EVENT STATUS NOTIFICATION for the media
 *   class, allocation length ATAPI_GESN_MEDIA_BYTES.
 * - atapi_cdb_test_unit_ready: TEST UNIT READY (no data).
 * - atapi_cdb_request_sense: REQUEST SENSE for ATAPI_SENSE_FULL_BYTES
 *   (atapi_sense.h) of fixed-format sense data.
 * - atapi_cdb_read_capacity: READ CAPACITY (ATAPI_RCAP_BYTES of answer).
 * - atapi_cdb_start_stop: START STOP UNIT that opens the tray (`eject`) or
 *   closes it and starts the unit. */
uint8_t atapi_cdb_read(uint32_t lba, uint32_t count, bool use_read12, uint8_t *cdb);
void atapi_cdb_gesn_media(uint8_t *cdb);
void atapi_cdb_test_unit_ready(uint8_t *cdb);
void atapi_cdb_request_sense(uint8_t *cdb);
void atapi_cdb_read_capacity(uint8_t *cdb);
void atapi_cdb_start_stop(uint8_t *cdb, bool eject);

/* Parse `len` bytes of a GESN answer into *out. Returns 0, ERR_NOTSUP,
 * ERR_CORRUPT (see the file comment), ERR_INVAL (NULL). Context: any. */
int atapi_gesn_parse_media(const uint8_t *buf, uint32_t len, struct atapi_media_event *out);

/* Capacity from `len` bytes of a READ CAPACITY answer: *sectors = last LBA
 * + 1 (2048-byte sectors). `name` (the drive) is for the log line. Returns
 * 0, ERR_CORRUPT (see the file comment; *sectors unchanged). Context: any. */
int atapi_read_capacity_parse(const char *name, const uint8_t *buf, uint32_t len,
                              uint64_t *sectors);

#endif
