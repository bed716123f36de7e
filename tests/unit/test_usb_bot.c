// SPDX-License-Identifier: MIT
/* Unit tests for drivers/usb/lib/bot.c and scsi.c: the 31-byte CBW layout,
 * every CSW rule of BOT 1.0 §6.3 (size, signature, tag, status, residue),
 * the data byte count to believe, the CDB encodings (READ/WRITE (10) vs
 * (16) at the 2^32 boundary), INQUIRY and READ CAPACITY replies, and sense
 * decoding with its one mapping to error codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/usb/lib/bot.h"
#include "drivers/usb/lib/scsi.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"

static int setup(void **state)
{
    (void)state;
    klog_clear();
    return 0;
}

static void make_csw(uint8_t *b, uint32_t tag, uint32_t residue, uint8_t status)
{
    put_le32(b, 0, BOT_CSW_SIGNATURE);
    put_le32(b, 4, tag);
    put_le32(b, 8, residue);
    b[12] = status;
}

static void test_bot_cbw_layout_matches_spec(void **state)
{
    (void)state;
    uint8_t cbw[BOT_CBW_BYTES], cdb[16];
    uint8_t len = scsi_cdb_rw(cdb, false, 0x01020304, 8);
    assert_int_equal(bot_build_cbw(cbw, 0xAABBCCDD, 4096, true, 2, cdb, len), 0);
    assert_memory_equal(cbw, "USBC", 4);
    assert_int_equal(le32_at(cbw, 4), 0xAABBCCDD);
    assert_int_equal(le32_at(cbw, 8), 4096);
    assert_int_equal(cbw[12], 0x80);
    assert_int_equal(cbw[13], 2);
    assert_int_equal(cbw[14], 10);
    assert_int_equal(cbw[15], SCSI_READ10);
    assert_int_equal(cbw[17], 0x01); /* LBA big-endian at CDB byte 2 */
    assert_int_equal(cbw[20], 0x04);
    assert_int_equal(cbw[23], 8);    /* transfer length at CDB bytes 7-8 */
    assert_int_equal(cbw[25], 0);    /* rest of the 16 CDB bytes zeroed */
}

static void test_bot_cbw_no_data_has_out_flag(void **state)
{
    (void)state;
    uint8_t cbw[BOT_CBW_BYTES], cdb[16];
    uint8_t len = scsi_cdb_test_unit_ready(cdb);
    assert_int_equal(bot_build_cbw(cbw, 1, 0, true, 0, cdb, len), 0);
    assert_int_equal(cbw[12], 0);
    assert_int_equal(cbw[14], 6);
}

static void test_bot_cbw_bad_lun_or_cdb_length_is_invalid(void **state)
{
    (void)state;
    uint8_t cbw[BOT_CBW_BYTES], cdb[16] = { 0 };
    assert_int_equal(bot_build_cbw(cbw, 1, 0, false, 16, cdb, 6), ERR_INVAL);
    assert_int_equal(bot_build_cbw(cbw, 1, 0, false, 0, cdb, 0), ERR_INVAL);
    assert_int_equal(bot_build_cbw(cbw, 1, 0, false, 0, cdb, 17), ERR_INVAL);
}

static void test_bot_csw_passed_parses(void **state)
{
    (void)state;
    uint8_t b[13];
    struct bot_csw c;
    make_csw(b, 77, 0, BOT_STATUS_PASSED);
    assert_int_equal(bot_parse_csw(b, 13, 77, 512, &c), 0);
    assert_int_equal(c.status, BOT_STATUS_PASSED);
    assert_int_equal(c.tag, 77);
}

static void test_bot_csw_failed_with_residue_parses(void **state)
{
    (void)state;
    uint8_t b[13];
    struct bot_csw c;
    make_csw(b, 5, 512, BOT_STATUS_FAILED);
    assert_int_equal(bot_parse_csw(b, 13, 5, 512, &c), 0);
    assert_int_equal(c.status, BOT_STATUS_FAILED);
    assert_int_equal(c.residue, 512);
}

static void test_bot_csw_wrong_size_is_corrupt(void **state)
{
    (void)state;
    uint8_t b[16] = { 0 };
    struct bot_csw c;
    make_csw(b, 5, 0, 0);
    assert_int_equal(bot_parse_csw(b, 12, 5, 0, &c), ERR_CORRUPT);
    assert_int_equal(bot_parse_csw(b, 14, 5, 0, &c), ERR_CORRUPT);
    assert_true(klog_contains("usb-storage: CSW: wrong size (14 bytes, want 13)"));
}

static void test_bot_csw_bad_signature_is_corrupt(void **state)
{
    (void)state;
    uint8_t b[13];
    struct bot_csw c;
    make_csw(b, 5, 0, 0);
    b[3] = 'C'; /* "USBC": a CBW echoed back */
    assert_int_equal(bot_parse_csw(b, 13, 5, 0, &c), ERR_CORRUPT);
    assert_true(klog_contains("CSW: bad signature (0x43425355, want 0x53425355)"));
}

static void test_bot_csw_tag_mismatch_is_corrupt(void **state)
{
    (void)state;
    uint8_t b[13];
    struct bot_csw c;
    make_csw(b, 6, 0, 0);
    assert_int_equal(bot_parse_csw(b, 13, 5, 0, &c), ERR_CORRUPT);
    assert_true(klog_contains("CSW: tag mismatch (0x00000006, want 0x00000005)"));
}

static void test_bot_csw_residue_past_request_is_corrupt(void **state)
{
    (void)state;
    uint8_t b[13];
    struct bot_csw c;
    make_csw(b, 5, 513, BOT_STATUS_PASSED);
    assert_int_equal(bot_parse_csw(b, 13, 5, 512, &c), ERR_CORRUPT);
    assert_true(klog_contains("residue past the request (513 > 512)"));
}

static void test_bot_csw_unknown_status_is_corrupt(void **state)
{
    (void)state;
    uint8_t b[13];
    struct bot_csw c;
    make_csw(b, 5, 0, 3);
    assert_int_equal(bot_parse_csw(b, 13, 5, 0, &c), ERR_CORRUPT);
    assert_true(klog_contains("CSW: unknown status (3)"));
}

static void test_bot_csw_phase_error_is_reported_for_reset_recovery(void **state)
{
    (void)state;
    uint8_t b[13];
    struct bot_csw c;
    make_csw(b, 5, 0xFFFFFFFF, BOT_STATUS_PHASE_ERROR); /* residue meaningless here */
    assert_int_equal(bot_parse_csw(b, 13, 5, 512, &c), 0);
    assert_int_equal(c.status, BOT_STATUS_PHASE_ERROR);
}

static void test_bot_done_bytes_takes_smaller_of_seen_and_claimed(void **state)
{
    (void)state;
    assert_int_equal(bot_done_bytes(4096, 4096, 0), 4096);
    assert_int_equal(bot_done_bytes(4096, 4096, 512), 3584);
    assert_int_equal(bot_done_bytes(4096, 1024, 0), 1024);
    assert_int_equal(bot_done_bytes(4096, 9999, 0), 4096);
    assert_int_equal(bot_done_bytes(4096, 4096, 8192), 0);
}

static void test_scsi_rw_uses_16_byte_form_past_32_bit_lba(void **state)
{
    (void)state;
    uint8_t cdb[16];
    assert_int_equal(scsi_cdb_rw(cdb, true, 0xFFFFFFF0ull, 16), 10);
    assert_int_equal(cdb[0], SCSI_WRITE10);
    assert_int_equal(scsi_cdb_rw(cdb, true, 0xFFFFFFF0ull, 17), 16);
    assert_int_equal(cdb[0], SCSI_WRITE16);
    assert_int_equal(scsi_cdb_rw(cdb, false, 0x123456789Aull, 0x10000), 16);
    assert_int_equal(cdb[0], SCSI_READ16);
    assert_int_equal(cdb[5], 0x12);
    assert_int_equal(cdb[9], 0x9A);
    assert_int_equal(cdb[11], 0x01); /* 0x00010000 blocks, big-endian at 10..13 */
    assert_int_equal(cdb[12], 0x00);
    assert_int_equal(scsi_cdb_rw(cdb, false, 0, 0), 0);
}

static void test_scsi_inquiry_fields_trimmed(void **state)
{
    (void)state;
    uint8_t b[36];
    struct scsi_inquiry q;
    memset(b, ' ', sizeof(b));
    b[0] = 0x00;
    b[1] = 0x80;
    memcpy(b + 8, "QEMU", 4);
    memcpy(b + 16, "QEMU HARDDISK", 13);
    memcpy(b + 32, "2.5+", 4);
    assert_int_equal(scsi_parse_inquiry(b, sizeof(b), &q), 0);
    assert_string_equal(q.vendor, "QEMU");
    assert_string_equal(q.product, "QEMU HARDDISK");
    assert_string_equal(q.revision, "2.5+");
    assert_true(q.removable);
    assert_int_equal(q.device_type, SCSI_TYPE_DISK);
    assert_int_equal(scsi_parse_inquiry(b, 35, &q), ERR_CORRUPT);
}

static void test_scsi_capacity10_and_16(void **state)
{
    (void)state;
    static const uint8_t c10[8] = { 0, 0, 0xFF, 0xFF, 0, 0, 2, 0 };
    static const uint8_t big[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x10, 0 };
    static const uint8_t c16[12] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x10, 0 };
    struct scsi_capacity c;
    assert_int_equal(scsi_parse_capacity10(c10, 8, &c), 0);
    assert_int_equal(c.blocks, 0x10000);
    assert_int_equal(c.block_bytes, 512);
    assert_false(c.need16);
    assert_int_equal(scsi_parse_capacity10(big, 8, &c), 0);
    assert_true(c.need16);
    assert_int_equal(c.block_bytes, 4096);
    assert_int_equal(scsi_parse_capacity16(c16, 12, &c), 0);
    assert_int_equal(c.blocks, 0x100000001ull);
    assert_int_equal(c.block_bytes, 4096);
}

static void test_scsi_capacity_odd_block_size_is_corrupt(void **state)
{
    (void)state;
    static const uint8_t c10[8] = { 0, 0, 0xFF, 0xFF, 0, 0, 2, 1 };
    static const uint8_t c16[12] = { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                     0, 0, 2, 0 };
    struct scsi_capacity c;
    assert_int_equal(scsi_parse_capacity10(c10, 8, &c), ERR_CORRUPT);
    assert_true(klog_contains("unsupported block size (513 bytes)"));
    assert_int_equal(scsi_parse_capacity10(c10, 7, &c), ERR_CORRUPT);
    assert_int_equal(scsi_parse_capacity16(c16, 12, &c), ERR_CORRUPT);
}

/* 2^55 blocks of 512 bytes are 2^64 bytes: the block layer would refuse
 * the medium, so the parser does. The largest that fits still parses. */
static void test_scsi_capacity16_past_2_64_bytes_is_corrupt(void **state)
{
    (void)state;
    static const uint8_t huge[12] = { 0, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                      0, 0, 2, 0 };
    static const uint8_t max[12] = { 0, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
                                     0, 0, 2, 0 };
    struct scsi_capacity c;
    assert_int_equal(scsi_parse_capacity16(huge, 12, &c), ERR_CORRUPT);
    assert_true(klog_contains("bad READ CAPACITY(16) data (last LBA 0x7fffffffffffff"));
    assert_int_equal(scsi_parse_capacity16(max, 12, &c), 0);
    assert_int_equal(c.blocks, 0x7FFFFFFFFFFFFFull);
    assert_int_equal(c.block_bytes, 512);
}

static void test_scsi_mode_sense_write_protect_bit(void **state)
{
    (void)state;
    uint8_t cdb[16];
    uint8_t b[4] = { 3, 0, 0x80, 0 };
    bool wp = false;
    assert_int_equal(scsi_cdb_mode_sense6(cdb, SCSI_MODE_PAGE_ALL, 192), 6);
    assert_int_equal(cdb[0], SCSI_MODE_SENSE6);
    assert_int_equal(cdb[2], 0x3F);
    assert_int_equal(cdb[4], 192);
    assert_int_equal(scsi_parse_mode_sense6_wp(b, sizeof(b), &wp), 0);
    assert_true(wp);
    b[2] = 0;
    assert_int_equal(scsi_parse_mode_sense6_wp(b, sizeof(b), &wp), 0);
    assert_false(wp);
    b[0] = 2; /* claims fewer bytes than the header itself */
    assert_int_equal(scsi_parse_mode_sense6_wp(b, sizeof(b), &wp), ERR_CORRUPT);
    assert_int_equal(scsi_parse_mode_sense6_wp(b, 3, &wp), ERR_CORRUPT);
    assert_true(klog_contains("MODE SENSE(6) data too short (3 bytes"));
}

static void test_scsi_sense_fixed_medium_not_present_is_nomedia(void **state)
{
    (void)state;
    uint8_t b[18] = { 0x70, 0, ATAPI_KEY_NOT_READY, 0, 0, 0, 0, 10 };
    struct atapi_sense s;
    b[12] = 0x3A;
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), 0);
    assert_int_equal(s.key, ATAPI_KEY_NOT_READY);
    assert_int_equal(s.asc, 0x3A);
    assert_int_equal(scsi_sense_to_err(&s), ERR_NOMEDIA);
}

static void test_scsi_sense_not_ready_without_medium_code_is_busy(void **state)
{
    (void)state;
    /* Becoming ready (04/01) and a bare NOT READY are retried, not "no medium". */
    uint8_t b[18] = { 0x70, 0, ATAPI_KEY_NOT_READY, 0, 0, 0, 0, 10 };
    struct atapi_sense s;
    b[12] = 0x04;
    b[13] = 0x01;
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), 0);
    assert_int_equal(scsi_sense_to_err(&s), ERR_BUSY);
    assert_int_equal(atapi_sense_decode(b, 8, &s), 0);
    assert_false(s.has_asc);
    assert_int_equal(scsi_sense_to_err(&s), ERR_BUSY);
}

static void test_scsi_sense_short_additional_length_hides_asc(void **state)
{
    (void)state;
    uint8_t b[18] = { 0xF0, 0, ATAPI_KEY_MEDIUM_ERROR, 0, 0, 0, 0, 4 };
    struct atapi_sense s;
    b[12] = 0x11;
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), 0);
    assert_int_equal(s.asc, 0);
    assert_int_equal(scsi_sense_to_err(&s), ERR_IO);
}

static void test_scsi_sense_descriptor_format(void **state)
{
    (void)state;
    static const uint8_t b[8] = { 0x72, ATAPI_KEY_ILLEGAL_REQUEST, 0x21, 0x00 };
    struct atapi_sense s;
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), 0);
    assert_int_equal(scsi_sense_to_err(&s), ERR_EOM);
}

static void test_scsi_prevent_allow_cdb(void **state)
{
    (void)state;
    uint8_t cdb[16];
    assert_int_equal(scsi_cdb_prevent_allow(cdb, false), 6);
    assert_int_equal(cdb[0], 0x1E);
    assert_int_equal(cdb[4], 0);
    assert_int_equal(scsi_cdb_prevent_allow(cdb, true), 6);
    assert_int_equal(cdb[4], 1);
}

static void test_scsi_sense_to_err_mapping(void **state)
{
    (void)state;
    struct atapi_sense s = { .key = ATAPI_KEY_NO_SENSE, .has_asc = true };
    assert_int_equal(scsi_sense_to_err(&s), 0);
    s.key = ATAPI_KEY_UNIT_ATTENTION;
    s.asc = 0x28;
    assert_int_equal(scsi_sense_to_err(&s), ERR_BUSY);
    s.asc = 0x29;
    assert_int_equal(scsi_sense_to_err(&s), ERR_BUSY);
    s.key = ATAPI_KEY_NOT_READY;
    s.asc = 0x04;
    assert_int_equal(scsi_sense_to_err(&s), ERR_BUSY);
    s.key = ATAPI_KEY_DATA_PROTECT;
    assert_int_equal(scsi_sense_to_err(&s), ERR_ROFS);
    s.key = ATAPI_KEY_ILLEGAL_REQUEST;
    s.asc = 0x20;
    assert_int_equal(scsi_sense_to_err(&s), ERR_NOTSUP);
    s.asc = 0x3A;
    assert_int_equal(scsi_sense_to_err(&s), ERR_NOMEDIA);
    s.key = ATAPI_KEY_ABORTED_COMMAND;
    assert_int_equal(scsi_sense_to_err(&s), ERR_BUSY);
    s.key = ATAPI_KEY_HARDWARE_ERROR;
    assert_int_equal(scsi_sense_to_err(&s), ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bot_cbw_layout_matches_spec, setup),
        cmocka_unit_test_setup(test_bot_cbw_no_data_has_out_flag, setup),
        cmocka_unit_test_setup(test_bot_cbw_bad_lun_or_cdb_length_is_invalid, setup),
        cmocka_unit_test_setup(test_bot_csw_passed_parses, setup),
        cmocka_unit_test_setup(test_bot_csw_failed_with_residue_parses, setup),
        cmocka_unit_test_setup(test_bot_csw_wrong_size_is_corrupt, setup),
        cmocka_unit_test_setup(test_bot_csw_bad_signature_is_corrupt, setup),
        cmocka_unit_test_setup(test_bot_csw_tag_mismatch_is_corrupt, setup),
        cmocka_unit_test_setup(test_bot_csw_residue_past_request_is_corrupt, setup),
        cmocka_unit_test_setup(test_bot_csw_unknown_status_is_corrupt, setup),
        cmocka_unit_test_setup(test_bot_csw_phase_error_is_reported_for_reset_recovery, setup),
        cmocka_unit_test_setup(test_bot_done_bytes_takes_smaller_of_seen_and_claimed, setup),
        cmocka_unit_test_setup(test_scsi_rw_uses_16_byte_form_past_32_bit_lba, setup),
        cmocka_unit_test_setup(test_scsi_inquiry_fields_trimmed, setup),
        cmocka_unit_test_setup(test_scsi_capacity10_and_16, setup),
        cmocka_unit_test_setup(test_scsi_capacity16_past_2_64_bytes_is_corrupt, setup),
        cmocka_unit_test_setup(test_scsi_capacity_odd_block_size_is_corrupt, setup),
        cmocka_unit_test_setup(test_scsi_mode_sense_write_protect_bit, setup),
        cmocka_unit_test_setup(test_scsi_sense_fixed_medium_not_present_is_nomedia, setup),
        cmocka_unit_test_setup(test_scsi_sense_short_additional_length_hides_asc, setup),
        cmocka_unit_test_setup(test_scsi_sense_descriptor_format, setup),
        cmocka_unit_test_setup(test_scsi_sense_not_ready_without_medium_code_is_busy, setup),
        cmocka_unit_test_setup(test_scsi_prevent_allow_cdb, setup),
        cmocka_unit_test_setup(test_scsi_sense_to_err_mapping, setup),
    };
    return cmocka_run_group_tests_name("usb_bot", tests, NULL, NULL);
}
