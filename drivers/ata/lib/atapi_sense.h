/* SPDX-License-Identifier: MIT */
/* SCSI sense data of an ATAPI (or any SCSI-command) device: REQUEST SENSE
 * bytes become a trusted struct atapi_sense (key, ASC, ASCQ), which is then
 * classified into what the driver acts on (no medium, medium changed, out of
 * range, retry...) and one kernel error code, with the rule for which
 * senses are worth an error line and names for that line. Pure code,
 * hosted-testable; shared by every ATAPI transport (drivers/ata IDE,
 * drivers/ahci).
 * Rejected (ERR_CORRUPT, no log: the caller falls back to the sense key in
 * the ATA error register): fewer than 8 bytes, a response code other than
 * 0x70-0x73. Tolerated: a fixed-format block whose length (buffer or its
 * additional-length byte) stops before ASC/ASCQ (bytes 12-13) - old drives
 * send 8-byte blocks - then only the key is used (has_asc false).
 * Spec: SPC-3 §4.5.2 (descriptor format), §4.5.3 (fixed format), §4.5.6
 * (sense keys), Annex D (ASC/ASCQ); MMC-5 Annex F (CD/DVD codes). */
#ifndef DRIVERS_ATA_LIB_ATAPI_SENSE_H
#define DRIVERS_ATA_LIB_ATAPI_SENSE_H

#include "kernel/types.h"

/* Sense keys (SPC-3 Table 27). */
enum atapi_sense_key {
    ATAPI_KEY_NO_SENSE = 0x0,
    ATAPI_KEY_RECOVERED = 0x1,
    ATAPI_KEY_NOT_READY = 0x2,
    ATAPI_KEY_MEDIUM_ERROR = 0x3,
    ATAPI_KEY_HARDWARE_ERROR = 0x4,
    ATAPI_KEY_ILLEGAL_REQUEST = 0x5,
    ATAPI_KEY_UNIT_ATTENTION = 0x6,
    ATAPI_KEY_DATA_PROTECT = 0x7,
    ATAPI_KEY_ABORTED_COMMAND = 0xB,
};

/* Additional sense codes the driver acts on (SPC-3 Annex D). */
#define ATAPI_ASC_NOT_READY 0x04          /* ASCQ 01: becoming ready */
#define ATAPI_ASC_UNRECOVERED_READ 0x11
#define ATAPI_ASC_INVALID_OPCODE 0x20
#define ATAPI_ASC_LBA_OUT_OF_RANGE 0x21
#define ATAPI_ASC_INVALID_FIELD 0x24
#define ATAPI_ASC_MEDIUM_MAY_HAVE_CHANGED 0x28
#define ATAPI_ASC_POWER_ON_RESET 0x29
#define ATAPI_ASC_INCOMPATIBLE_MEDIUM 0x30
#define ATAPI_ASC_MEDIUM_NOT_PRESENT 0x3A

#define ATAPI_SENSE_MIN_BYTES 8   /* smallest block with a key in either format */
#define ATAPI_SENSE_FULL_BYTES 18 /* fixed format with ASC/ASCQ: what to ask for */

/* Trusted sense facts. */
struct atapi_sense {
    uint8_t key;      /* enum atapi_sense_key, 0..15 */
    uint8_t asc;      /* additional sense code, 0 if !has_asc */
    uint8_t ascq;     /* qualifier, 0 if !has_asc */
    bool has_asc;     /* the block was long enough to carry ASC/ASCQ */
    bool deferred;    /* response code 0x71/0x73: about an earlier command */
};

/* What the driver does about a sense. */
enum atapi_sense_class {
    ATAPI_SENSE_OK = 0,          /* no sense or recovered error: success */
    ATAPI_SENSE_NO_MEDIUM,       /* not ready, medium not present (or no ASC) */
    ATAPI_SENSE_BECOMING_READY,  /* not ready, in progress: try later */
    ATAPI_SENSE_MEDIUM_CHANGED,  /* unit attention 28h: the disc was changed */
    ATAPI_SENSE_RESET,           /* unit attention 29h or other: state lost, repeat */
    ATAPI_SENSE_OUT_OF_RANGE,    /* illegal request 21h */
    ATAPI_SENSE_UNSUPPORTED,     /* illegal request: invalid opcode or field */
    ATAPI_SENSE_MEDIUM_ERROR,    /* medium error (unreadable sector) */
    ATAPI_SENSE_RETRYABLE,       /* aborted command: repeat */
    ATAPI_SENSE_FAILED,          /* anything else: hardware error, data protect... */
};

/* Parse `len` bytes of REQUEST SENSE data into *out. Returns 0,
 * ERR_CORRUPT (see the file comment), ERR_INVAL (NULL). Context: any. */
int atapi_sense_decode(const uint8_t *buf, uint32_t len, struct atapi_sense *out);

/* Sense from the ATA error register alone (bits 7:4 = key), when REQUEST
 * SENSE itself failed. Context: any. */
void atapi_sense_from_error_reg(uint8_t error_reg, struct atapi_sense *out);

/* Classify a trusted sense. Context: any. */
enum atapi_sense_class atapi_sense_classify(const struct atapi_sense *s);

/* Kernel error code of a class: 0 (OK), ERR_NOMEDIA (no medium, becoming
 * ready, medium changed), ERR_EOM (out of range), ERR_NOTSUP (unsupported),
 * ERR_IO (the rest). Context: any. */
int atapi_sense_class_to_err(enum atapi_sense_class cls);

/* Kernel error code of a command that ended in CHECK CONDITION with sense
 * *s: that of its class, except NO SENSE (the device failed the command but
 * named no reason, or only the error register was left and its key is 0),
 * which is ERR_IO - a failed command never turns into success. RECOVERED
 * ERROR stays 0: the command completed (SPC-3 §4.5.6). Context: any. */
int atapi_sense_to_err(const struct atapi_sense *s);

/* True if a command failing with sense *s deserves an error line: false for
 * the states a drive reports in normal life (no medium, becoming ready, any
 * UNIT ATTENTION, no error) and for GET EVENT STATUS refused as unsupported
 * (`opcode` is the failed command's; that refusal is how a drive without
 * media events answers). Context: any. */
bool atapi_sense_is_worth_logging(const struct atapi_sense *s, uint8_t opcode);

/* True when repeating the same command may succeed (becoming ready, reset
 * unit attention, aborted command). Context: any. */
bool atapi_sense_is_retryable(enum atapi_sense_class cls);

/* Names for logs: the key ("unit attention"), and a description of a known
 * ASC/ASCQ ("medium not present") or NULL. Never NULL for the key. */
const char *atapi_sense_key_name(uint8_t key);
const char *atapi_sense_asc_name(const struct atapi_sense *s);

/* The text of an error line into buf (len >= ATAPI_SENSE_TEXT_BYTES keeps
 * it whole; shorter is truncated): "<key>[, <asc name>] (sense K/AA/QQ)",
 * e.g. "not ready, medium not present (sense 2/3a/00)". Returns buf.
 * Context: any. */
#define ATAPI_SENSE_TEXT_BYTES 96
const char *atapi_sense_describe(const struct atapi_sense *s, char *buf, size_t len);

#endif
