// SPDX-License-Identifier: MIT
/* Unit tests for ATAPI command blocks and their answers
 * (drivers/ata/lib/atapi_cdb.h): READ(10) vs READ(12) selection and their
 * big-endian fields, the polled GESN media-class CDB, the TEST UNIT READY,
 * REQUEST SENSE, READ CAPACITY and START STOP UNIT blocks, parsing of GESN
 * answers (QEMU's ide-cd layout, "no event available", short answers) and
 * of READ CAPACITY answers (block size, length, last LBA limit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/ata/lib/atapi_cdb.h"
#include "drivers/ata/lib/atapi_sense.h"
#include "kernel/err.h"
#include "kernel/klog.h"

static void test_atapi_cdb_read_small_count_uses_read10(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    memset(cdb, 0xEE, sizeof(cdb));
    assert_int_equal(atapi_cdb_read(0x01020304, 0x0506, false, cdb), ATAPI_READ_10);
    const uint8_t want[ATAPI_PACKET_BYTES] = { 0x28, 0, 1, 2, 3, 4, 0, 5, 6, 0, 0, 0 };
    assert_memory_equal(cdb, want, sizeof(want));
}

static void test_atapi_cdb_read_count_beyond_16_bits_uses_read12(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    assert_int_equal(atapi_cdb_read(7, ATAPI_READ10_MAX_COUNT, false, cdb), ATAPI_READ_10);
    assert_int_equal(atapi_cdb_read(7, ATAPI_READ10_MAX_COUNT + 1, false, cdb),
                     ATAPI_READ_12);
    const uint8_t want[ATAPI_PACKET_BYTES] = { 0xA8, 0, 0, 0, 0, 7, 0, 1, 0, 0, 0, 0 };
    assert_memory_equal(cdb, want, sizeof(want));
}

static void test_atapi_cdb_read12_forced_for_small_count(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    assert_int_equal(atapi_cdb_read(0xFFFFFFFEu, 32, true, cdb), ATAPI_READ_12);
    const uint8_t want[ATAPI_PACKET_BYTES] = { 0xA8, 0, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 32, 0, 0 };
    assert_memory_equal(cdb, want, sizeof(want));
}

static void test_atapi_cdb_gesn_is_polled_media_class(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    atapi_cdb_gesn_media(cdb);
    const uint8_t want[ATAPI_PACKET_BYTES] = { 0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0, 0, 0 };
    assert_memory_equal(cdb, want, sizeof(want));
}

static void test_atapi_gesn_new_media_with_disc_present(void **state)
{
    (void)state;
    /* QEMU: data length 4, class 4 (media), supported 0x10; NewMedia, present. */
    const uint8_t ans[8] = { 0, 4, 0x04, 0x10, 0x02, 0x02, 0, 0 };
    struct atapi_media_event ev;
    assert_int_equal(atapi_gesn_parse_media(ans, sizeof(ans), &ev), 0);
    assert_int_equal(ev.code, ATAPI_MEC_NEW_MEDIA);
    assert_true(ev.present);
    assert_false(ev.tray_open);
}

static void test_atapi_gesn_tray_open_no_disc(void **state)
{
    (void)state;
    const uint8_t ans[8] = { 0, 6, 0x04, 0x10, 0x00, 0x01, 0, 0 };
    struct atapi_media_event ev;
    assert_int_equal(atapi_gesn_parse_media(ans, sizeof(ans), &ev), 0);
    assert_int_equal(ev.code, ATAPI_MEC_NO_CHANGE);
    assert_true(ev.tray_open);
    assert_false(ev.present);
}

static void test_atapi_gesn_no_event_available_is_unsupported(void **state)
{
    (void)state;
    const uint8_t nea[4] = { 0, 2, 0x80, 0x00 };
    const uint8_t other_class[8] = { 0, 4, 0x02, 0x04, 0, 0, 0, 0 };
    struct atapi_media_event ev;
    assert_int_equal(atapi_gesn_parse_media(nea, sizeof(nea), &ev), ERR_NOTSUP);
    assert_int_equal(atapi_gesn_parse_media(other_class, sizeof(other_class), &ev),
                     ERR_NOTSUP);
}

static void test_atapi_gesn_short_answers_rejected(void **state)
{
    (void)state;
    const uint8_t ans[8] = { 0, 4, 0x04, 0x10, 0x02, 0x02, 0, 0 };
    const uint8_t short_len[8] = { 0, 2, 0x04, 0x10, 0x02, 0x02, 0, 0 };
    struct atapi_media_event ev;
    assert_int_equal(atapi_gesn_parse_media(ans, 3, &ev), ERR_CORRUPT);
    assert_int_equal(atapi_gesn_parse_media(ans, 7, &ev), ERR_CORRUPT);
    assert_int_equal(atapi_gesn_parse_media(short_len, 8, &ev), ERR_CORRUPT);
    assert_int_equal(atapi_gesn_parse_media(NULL, 8, &ev), ERR_INVAL);
}

static void test_atapi_cdb_poll_commands_have_opcode_and_lengths(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    memset(cdb, 0xCC, sizeof(cdb));
    atapi_cdb_test_unit_ready(cdb);
    const uint8_t tur[ATAPI_PACKET_BYTES] = { 0 };
    assert_memory_equal(cdb, tur, sizeof(tur));
    memset(cdb, 0xCC, sizeof(cdb));
    atapi_cdb_request_sense(cdb);
    const uint8_t req[ATAPI_PACKET_BYTES] = { 0x03, 0, 0, 0, ATAPI_SENSE_FULL_BYTES };
    assert_memory_equal(cdb, req, sizeof(req));
    memset(cdb, 0xCC, sizeof(cdb));
    atapi_cdb_read_capacity(cdb);
    const uint8_t rcap[ATAPI_PACKET_BYTES] = { 0x25 };
    assert_memory_equal(cdb, rcap, sizeof(rcap));
}

static void test_atapi_cdb_start_stop_eject_vs_load(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    memset(cdb, 0xCC, sizeof(cdb));
    atapi_cdb_start_stop(cdb, true);
    const uint8_t eject[ATAPI_PACKET_BYTES] = { 0x1B, 0, 0, 0, 0x02 }; /* LoEj */
    assert_memory_equal(cdb, eject, sizeof(eject));
    atapi_cdb_start_stop(cdb, false);
    const uint8_t load[ATAPI_PACKET_BYTES] = { 0x1B, 0, 0, 0, 0x03 }; /* LoEj + Start */
    assert_memory_equal(cdb, load, sizeof(load));
}

static void test_atapi_read_capacity_gives_last_lba_plus_one(void **state)
{
    (void)state;
    const uint8_t ok[8] = { 0, 0, 0x01, 0x00, 0, 0, 0x08, 0x00 };
    const uint8_t max[8] = { 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0x08, 0x00 };
    uint64_t sectors = 0;
    assert_int_equal(atapi_read_capacity_parse("cd9", ok, 8, &sectors), 0);
    assert_int_equal(sectors, 257);
    assert_int_equal(atapi_read_capacity_parse("cd9", max, 8, &sectors), 0);
    assert_int_equal(sectors, 0xFFFFFFFFull);
}

static void test_atapi_read_capacity_bad_answers_rejected_and_logged(void **state)
{
    (void)state;
    const uint8_t ok[8] = { 0, 0, 0x01, 0x00, 0, 0, 0x08, 0x00 };
    const uint8_t bad_block[8] = { 0, 0, 0x01, 0x00, 0, 0, 0x02, 0x00 };
    const uint8_t last_all_ones[8] = { 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0x08, 0x00 };
    uint64_t sectors = 42;
    assert_int_equal(atapi_read_capacity_parse("cd9", bad_block, 8, &sectors), ERR_CORRUPT);
    assert_true(klog_contains("atapi: cd9: unusable READ CAPACITY (8 bytes, last lba 256, "
                              "block 512)"));
    assert_int_equal(atapi_read_capacity_parse("cd9", ok, 7, &sectors), ERR_CORRUPT);
    assert_true(klog_contains("atapi: cd9: unusable READ CAPACITY (7 bytes"));
    assert_int_equal(atapi_read_capacity_parse("cd9", last_all_ones, 8, &sectors),
                     ERR_CORRUPT);
    assert_int_equal(sectors, 42); /* untouched on rejection */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atapi_cdb_read_small_count_uses_read10),
        cmocka_unit_test(test_atapi_cdb_read_count_beyond_16_bits_uses_read12),
        cmocka_unit_test(test_atapi_cdb_read12_forced_for_small_count),
        cmocka_unit_test(test_atapi_cdb_gesn_is_polled_media_class),
        cmocka_unit_test(test_atapi_gesn_new_media_with_disc_present),
        cmocka_unit_test(test_atapi_gesn_tray_open_no_disc),
        cmocka_unit_test(test_atapi_gesn_no_event_available_is_unsupported),
        cmocka_unit_test(test_atapi_gesn_short_answers_rejected),
        cmocka_unit_test(test_atapi_cdb_poll_commands_have_opcode_and_lengths),
        cmocka_unit_test(test_atapi_cdb_start_stop_eject_vs_load),
        cmocka_unit_test(test_atapi_read_capacity_gives_last_lba_plus_one),
        cmocka_unit_test(test_atapi_read_capacity_bad_answers_rejected_and_logged),
    };
    return cmocka_run_group_tests_name("atapi_cdb", tests, NULL, NULL);
}
