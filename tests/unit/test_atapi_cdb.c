// SPDX-License-Identifier: MIT
/* Unit tests for ATAPI command blocks and media events
 * (drivers/ata/lib/atapi_cdb.h): READ(10) vs READ(12) selection and their
 * big-endian fields, the polled GESN media-class CDB, parsing of GESN
 * answers (QEMU's ide-cd layout, "no event available", short answers), and
 * the poll decision table (tray open, new media, unchanged, unknown disc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/ata/lib/atapi_cdb.h"
#include "kernel/err.h"

static void test_atapi_cdb_read_small_count_uses_read10(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_CDB_LEN];
    memset(cdb, 0xEE, sizeof(cdb));
    assert_int_equal(atapi_cdb_read(0x01020304, 0x0506, false, cdb), ATAPI_OP_READ_10);
    const uint8_t want[ATAPI_CDB_LEN] = { 0x28, 0, 1, 2, 3, 4, 0, 5, 6, 0, 0, 0 };
    assert_memory_equal(cdb, want, sizeof(want));
}

static void test_atapi_cdb_read_count_beyond_16_bits_uses_read12(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_CDB_LEN];
    assert_int_equal(atapi_cdb_read(7, ATAPI_READ10_MAX_COUNT, false, cdb), ATAPI_OP_READ_10);
    assert_int_equal(atapi_cdb_read(7, ATAPI_READ10_MAX_COUNT + 1, false, cdb),
                     ATAPI_OP_READ_12);
    const uint8_t want[ATAPI_CDB_LEN] = { 0xA8, 0, 0, 0, 0, 7, 0, 1, 0, 0, 0, 0 };
    assert_memory_equal(cdb, want, sizeof(want));
}

static void test_atapi_cdb_read12_forced_for_small_count(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_CDB_LEN];
    assert_int_equal(atapi_cdb_read(0xFFFFFFFEu, 32, true, cdb), ATAPI_OP_READ_12);
    const uint8_t want[ATAPI_CDB_LEN] = { 0xA8, 0, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, 32, 0, 0 };
    assert_memory_equal(cdb, want, sizeof(want));
}

static void test_atapi_cdb_gesn_is_polled_media_class(void **state)
{
    (void)state;
    uint8_t cdb[ATAPI_CDB_LEN];
    atapi_cdb_gesn_media(cdb);
    const uint8_t want[ATAPI_CDB_LEN] = { 0x4A, 0x01, 0, 0, 0x10, 0, 0, 0, 8, 0, 0, 0 };
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

static void test_atapi_poll_decide_table(void **state)
{
    (void)state;
    struct atapi_media_event open = { .code = ATAPI_MEC_NO_CHANGE, .tray_open = true };
    struct atapi_media_event same = { .code = ATAPI_MEC_NO_CHANGE, .present = true };
    struct atapi_media_event fresh = { .code = ATAPI_MEC_NEW_MEDIA, .present = true };
    struct atapi_media_event swapped = { .code = ATAPI_MEC_MEDIA_CHANGED, .present = true };
    struct atapi_media_event eject = { .code = ATAPI_MEC_EJECT_REQUEST, .present = true };
    /* Gone: announce only what was known. */
    assert_int_equal(atapi_poll_decide(&open, true, false), ATAPI_POLL_REMOVED);
    assert_int_equal(atapi_poll_decide(&open, false, false), ATAPI_POLL_NOTHING);
    assert_int_equal(atapi_poll_decide(&open, false, true), ATAPI_POLL_NOTHING);
    /* Present and nothing happened: no command at all. */
    assert_int_equal(atapi_poll_decide(&same, true, false), ATAPI_POLL_NOTHING);
    assert_int_equal(atapi_poll_decide(&eject, true, false), ATAPI_POLL_NOTHING);
    /* A disc to look at. */
    assert_int_equal(atapi_poll_decide(&same, false, false), ATAPI_POLL_CHECK);
    assert_int_equal(atapi_poll_decide(&same, true, true), ATAPI_POLL_CHECK);
    assert_int_equal(atapi_poll_decide(&fresh, true, false), ATAPI_POLL_CHECK);
    assert_int_equal(atapi_poll_decide(&swapped, true, false), ATAPI_POLL_CHECK);
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
        cmocka_unit_test(test_atapi_poll_decide_table),
    };
    return cmocka_run_group_tests_name("atapi_cdb", tests, NULL, NULL);
}
