/* SPDX-License-Identifier: MIT */
/* Transport-independent ATAPI (MMC) pieces for the media poll, shared by
 * the AHCI driver and (for adoption) the IDE driver's PACKET path: the
 * command bytes of TEST UNIT READY, REQUEST SENSE, READ CAPACITY and START
 * STOP UNIT, the READ CAPACITY parser, and the media state machine that
 * turns "what the drive says now" into DiskMediaChanged(0/1) decisions.
 * Sense data: atapi_sense.h; READ (10)/(12) and GESN: atapi_cdb.h. Pure
 * code, hosted-testable; the caller owns the locking of struct atapi_media.
 * Rejected (ERR_CORRUPT, one log line): a READ CAPACITY answer shorter than
 * 8 bytes, with a block size other than 2048 or a last LBA of 2^32 - 1.
 * Spec: SPC-3 §6.27 (REQUEST SENSE), §6.33 (TEST UNIT READY); MMC-5 §6.21
 * (READ CAPACITY); SBC-2 §5.17 (START STOP UNIT). */
#ifndef DRIVERS_ATA_LIB_ATAPI_MEDIA_H
#define DRIVERS_ATA_LIB_ATAPI_MEDIA_H

#include "kernel/types.h"

#define ATAPI_CDB_BYTES 12
#define ATAPI_SECTOR_BYTES_CD 2048u
#define ATAPI_SENSE_ALLOC 18  /* fixed-format sense data we ask for */
#define ATAPI_RCAP_BYTES 8

/* Media facts a driver keeps per drive; the fields are the driver's, under
 * its own lock. */
struct atapi_media {
    bool present;      /* announced to the block layer as inserted */
    bool changed;      /* a command saw UNIT ATTENTION: re-announce */
    uint64_t sectors;  /* 2048-byte sectors of the announced disc */
};

/* Command bytes (cdb: ATAPI_CDB_BYTES, zeroed here): TEST UNIT READY;
 * REQUEST SENSE for ATAPI_SENSE_ALLOC bytes; READ CAPACITY; START STOP
 * UNIT that ejects (eject = true) or loads the tray. Context: any. */
void atapi_cdb_test_unit_ready(uint8_t *cdb);
void atapi_cdb_request_sense(uint8_t *cdb);
void atapi_cdb_read_capacity(uint8_t *cdb);
void atapi_cdb_start_stop(uint8_t *cdb, bool eject);

/* Capacity from a READ CAPACITY answer. `name` is for the log line.
 * Returns 0 with *sectors (last LBA + 1), ERR_CORRUPT (see above). */
int atapi_read_capacity_parse(const char *name, const uint8_t *buf, uint32_t got,
                              uint64_t *sectors);

/* One media poll: `rc` is the result of TEST UNIT READY + READ CAPACITY
 * (0 with `sectors`, or an error). Updates *m; *removed / *inserted say
 * what to announce, removal first (the old media is closed before the new
 * one is scanned). A pending `changed` flag or a new capacity counts as a
 * removal followed by an insertion. Context: any. */
void atapi_media_update(struct atapi_media *m, int rc, uint64_t sectors, bool *removed,
                        bool *inserted);

#endif
