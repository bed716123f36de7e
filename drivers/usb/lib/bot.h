/* SPDX-License-Identifier: MIT */
/* USB Mass Storage Bulk-Only Transport wrappers (USB MSC BOT 1.0): build the
 * 31-byte Command Block Wrapper and check the 13-byte Command Status Wrapper.
 * The transport (drivers/usb/lib/usb_msc.c) sends bot_build_cbw()'s bytes,
 * moves the data, reads 13 bytes and calls bot_parse_csw(); then it acts on
 * the trusted status: PASSED -> done, FAILED -> REQUEST SENSE, PHASE_ERROR
 * or ERR_CORRUPT -> reset recovery (§5.3.4: Bulk-Only Mass Storage Reset,
 * then CLEAR_FEATURE(ENDPOINT_HALT) on both bulk endpoints).
 * Hardware-free: built into the kernel and the hosted tests. */
#ifndef DRIVERS_USB_LIB_BOT_H
#define DRIVERS_USB_LIB_BOT_H

#include "kernel/types.h"

#define BOT_CBW_BYTES 31
#define BOT_CSW_BYTES 13
#define BOT_CBW_SIGNATURE 0x43425355u /* "USBC" little-endian (§5.1) */
#define BOT_CSW_SIGNATURE 0x53425355u /* "USBS" little-endian (§5.2) */
#define BOT_CBW_FLAG_IN 0x80u         /* bmCBWFlags bit 7: data from device */
#define BOT_MAX_CDB_BYTES 16          /* bCBWCBLength 1..16 */
#define BOT_MAX_LUN 15                /* bCBWLUN is 4 bits */

/* Class-specific requests (§3.1, §3.2). */
#define BOT_REQ_RESET 0xFF      /* Bulk-Only Mass Storage Reset, host-to-interface */
#define BOT_REQ_GET_MAX_LUN 0xFE

/* bCSWStatus values (§5.2, Table 5.3). */
enum bot_status {
    BOT_STATUS_PASSED = 0,
    BOT_STATUS_FAILED = 1,
    BOT_STATUS_PHASE_ERROR = 2,
};

/* A valid and meaningful CSW (§6.3.1, §6.3.2). */
struct bot_csw {
    uint32_t tag;     /* equals the CBW's tag */
    uint32_t residue; /* dCSWDataResidue, <= the CBW's data length */
    uint8_t status;   /* enum bot_status */
};

/* Fill cbw[0..31) for one command. tag: echoed by the device; data_bytes:
 * length of the data stage (0 = none); dir_in: data flows to the host;
 * lun: 0..BOT_MAX_LUN; cdb: cdb_bytes (1..16) command bytes, rest zeroed.
 * Returns 0; ERR_INVAL (bad lun or CDB length). Context: any. */
int bot_build_cbw(uint8_t cbw[BOT_CBW_BYTES], uint32_t tag, uint32_t data_bytes, bool dir_in,
                  uint8_t lun, const uint8_t *cdb, uint8_t cdb_bytes);

/* Check a CSW of `len` bytes against the command it answers (tag,
 * requested data length). Valid (§6.3.1): exactly 13 bytes, signature, tag
 * match. Meaningful (§6.3.2): status 0..2 and, for status 0/1, residue <=
 * requested. Fills *out. Returns 0 (then act on out->status); ERR_CORRUPT if
 * invalid or not meaningful (logged: the caller must do reset recovery).
 * Context: any. */
int bot_parse_csw(const uint8_t *buf, size_t len, uint32_t expect_tag, uint32_t requested_bytes,
                  struct bot_csw *out);

/* Bytes of the data stage to believe: the smaller of what the host saw move
 * and what the device claims (requested - residue). Never more than
 * requested. Context: any. */
uint32_t bot_done_bytes(uint32_t requested, uint32_t moved, uint32_t residue);

#endif
