/* SPDX-License-Identifier: MIT */
/* ATAPI command blocks and the answers the media poll relies on: building
 * READ(10)/READ(12) and GET EVENT STATUS NOTIFICATION CDBs, parsing the
 * media-class event, and deciding from it what a media poll must do. Pure
 * code, hosted-testable.
 * GESN answers are rejected with ERR_NOTSUP (the device has no media-class
 * events: poll with TEST UNIT READY instead) when "no event available" is
 * set or another class answered, and with ERR_CORRUPT when shorter than the
 * 4-byte header, or than header + media descriptor (8 bytes) by either the
 * buffer or the answer's own descriptor length.
 * Spec: MMC-5 §6.6 (GET EVENT STATUS NOTIFICATION, media class Table 145-
 * 147), §6.15/§6.16 (READ(10), READ(12)); SBC-2 §5.6. */
#ifndef DRIVERS_ATA_LIB_ATAPI_CDB_H
#define DRIVERS_ATA_LIB_ATAPI_CDB_H

#include "kernel/types.h"

#define ATAPI_CDB_LEN 12
#define ATAPI_OP_READ_10 0x28
#define ATAPI_OP_READ_12 0xA8
#define ATAPI_OP_GESN 0x4A
#define ATAPI_READ10_MAX_COUNT 0xFFFFu /* 16-bit transfer length */
#define ATAPI_GESN_MEDIA_BYTES 8         /* header (4) + media descriptor (4) */

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

/* What a media poll must do next. */
enum atapi_poll_action {
    ATAPI_POLL_NOTHING = 0, /* state as known: no command needed */
    ATAPI_POLL_REMOVED,     /* the known medium is gone: announce removal */
    ATAPI_POLL_CHECK,       /* a medium is (maybe newly) there: TEST UNIT READY,
                             * READ CAPACITY, compare with what is known */
};

/* Fill `cdb` (ATAPI_CDB_LEN, zeroed here) with a read of `count` 2048-byte
 * blocks at `lba`: READ(10) while count fits 16 bits and `use_read12` is
 * false, READ(12) otherwise. Returns the opcode used. Context: any. */
uint8_t atapi_cdb_read(uint32_t lba, uint32_t count, bool use_read12, uint8_t *cdb);

/* Fill `cdb` with a polled GET EVENT STATUS NOTIFICATION for the media
 * class, allocation length ATAPI_GESN_MEDIA_BYTES. Context: any. */
void atapi_cdb_gesn_media(uint8_t *cdb);

/* Parse `len` bytes of a GESN answer. Returns 0, ERR_NOTSUP, ERR_CORRUPT
 * (see the file comment), ERR_INVAL (NULL). Context: any. */
int atapi_gesn_parse_media(const uint8_t *buf, uint32_t len, struct atapi_media_event *out);

/* The action for event `ev` when the driver believes a medium is present
 * (`known_present`) and whether a command already saw a change
 * (`change_flagged`, a UNIT ATTENTION). A tray that is open or empty is a
 * removal of a known medium; a new-media or media-changed event, a flagged
 * change or a medium the driver does not know yet needs a check.
 * Context: any. */
enum atapi_poll_action atapi_poll_decide(const struct atapi_media_event *ev, bool known_present,
                                         bool change_flagged);

#endif
