// SPDX-License-Identifier: MIT
/* Unit tests for the ATAPI layer above the transport that the IDE and AHCI
 * drivers share (drivers/ata/lib/atapi_drive.h), against a scripted
 * transport: REQUEST SENSE after a check condition (and the error register's
 * key when that fails), UNIT ATTENTION as a flagged change, which failures
 * are logged and counted, the tray command, and media polls with and
 * without GET EVENT STATUS (new disc, refused GESN, eject then tray open, a
 * quiet drive), down to DiskMediaChanged on a fake disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "blkdev/disk.h"
#include "drivers/ata/lib/atapi_drive.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "tests/fakes/fake_disk.h"

#define SCRIPT_MAX 12

/* One scripted transport call: the opcode expected and what it returns. */
struct step {
    uint8_t op;
    int rc;              /* 0, ATAPI_CHECK_CONDITION or ERR_* */
    const uint8_t *data; /* answer bytes (rc 0) */
    uint32_t len;
    uint8_t err_reg;     /* with ATAPI_CHECK_CONDITION */
};

static struct {
    struct step steps[SCRIPT_MAX];
    unsigned count, next;
    uint8_t last_cdb[ATAPI_PACKET_BYTES];
    bool last_dma;
} script;

static int scripted_packet(void *ctx, const uint8_t *cdb, void *buf, uint32_t bytes, bool dma,
                           uint32_t *got, uint8_t *err_reg)
{
    (void)ctx;
    assert_true(script.next < script.count); /* no command beyond the script */
    const struct step *s = &script.steps[script.next++];
    assert_int_equal(cdb[0], s->op);
    memcpy(script.last_cdb, cdb, ATAPI_PACKET_BYTES);
    script.last_dma = dma;
    *got = 0;
    *err_reg = s->err_reg;
    if (s->rc == 0 && s->len) {
        *got = s->len < bytes ? s->len : bytes;
        memcpy(buf, s->data, *got);
    }
    return s->rc;
}

static const struct atapi_transport scripted = { .packet = scripted_packet };

static uint64_t errors;

static struct atapi_drive drive(void)
{
    errors = 0;
    return (struct atapi_drive){
        .log_prefix = "tst", .name = "cd7", .tp = &scripted, .ctx = NULL, .errors = &errors,
    };
}

static void play(const struct step *steps, unsigned n)
{
    assert_true(n <= SCRIPT_MAX);
    memcpy(script.steps, steps, n * sizeof(*steps));
    script.count = n;
    script.next = 0;
}

static void assert_script_done(void)
{
    assert_int_equal(script.next, script.count);
}

/* 18-byte fixed-format sense blocks. */
#define SENSE(key, asc, ascq) { 0x70, 0, key, 0, 0, 0, 0, 10, 0, 0, 0, 0, asc, ascq, 0, 0, 0, 0 }
static const uint8_t sense_medium_error[18] = SENSE(0x03, 0x11, 0x00);
static const uint8_t sense_new_disc[18] = SENSE(0x06, 0x28, 0x00);
static const uint8_t sense_no_disc[18] = SENSE(0x02, 0x3A, 0x00);
static const uint8_t sense_bad_opcode[18] = SENSE(0x05, 0x20, 0x00);
/* READ CAPACITY: last LBA 0x3FF, 2048-byte blocks. */
static const uint8_t cap_1024[8] = { 0, 0, 0x03, 0xFF, 0, 0, 0x08, 0x00 };
/* GESN media answers (QEMU layout). */
static const uint8_t gesn_new_disc[8] = { 0, 6, 0x04, 0x10, 0x02, 0x02, 0, 0 };
static const uint8_t gesn_quiet[8] = { 0, 6, 0x04, 0x10, 0x00, 0x02, 0, 0 };
static const uint8_t gesn_tray_open[8] = { 0, 6, 0x04, 0x10, 0x00, 0x01, 0, 0 };

#define CHECK(opcode, reg) { .op = (opcode), .rc = ATAPI_CHECK_CONDITION, .err_reg = (reg) }
#define ANSWER(opcode, bytes) { .op = (opcode), .data = (bytes), .len = sizeof(bytes) }
#define OK(opcode) { .op = (opcode) }

static void test_atapi_drive_check_condition_asks_sense_and_logs_failure(void **state)
{
    (void)state;
    struct atapi_drive d = drive();
    struct atapi_sense sense;
    uint8_t cdb[ATAPI_PACKET_BYTES], buf[2048];
    uint32_t got = 99;
    const struct step steps[] = {
        CHECK(ATAPI_READ_10, 0x31),
        ANSWER(ATAPI_REQUEST_SENSE, sense_medium_error),
    };
    play(steps, 2);
    atapi_cdb_read(5, 1, false, cdb);
    assert_int_equal(atapi_drive_command(&d, cdb, buf, sizeof(buf), true, &got, &sense),
                     ERR_IO);
    assert_script_done();
    assert_false(script.last_dma); /* sense always by PIO / bounce */
    assert_int_equal(script.last_cdb[4], ATAPI_SENSE_FULL_BYTES);
    assert_int_equal(got, 0);
    assert_int_equal(sense.key, 0x03);
    assert_int_equal(sense.asc, 0x11);
    assert_int_equal(errors, 1);
    assert_true(klog_contains("tst: cd7: command 0x28 failed: medium error, unrecovered read "
                              "error (sense 3/11/00)"));
    assert_false(d.media.changed);
}

static void test_atapi_drive_failed_sense_uses_error_register_key(void **state)
{
    (void)state;
    struct atapi_drive d = drive();
    struct atapi_sense sense;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    uint32_t got;
    const struct step steps[] = {
        CHECK(ATAPI_TEST_UNIT_READY, 0x24), /* key 2 (not ready), ABRT */
        { .op = ATAPI_REQUEST_SENSE, .rc = ERR_TIMEOUT },
    };
    play(steps, 2);
    atapi_cdb_test_unit_ready(cdb);
    assert_int_equal(atapi_drive_command(&d, cdb, NULL, 0, false, &got, &sense), ERR_NOMEDIA);
    assert_script_done();
    assert_int_equal(sense.key, 0x02);
    assert_false(sense.has_asc);
    assert_int_equal(errors, 0); /* no disc is no failure */
}

static void test_atapi_drive_unit_attention_flags_change_without_log(void **state)
{
    (void)state;
    struct atapi_drive d = drive();
    struct atapi_sense sense;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    uint32_t got;
    const struct step steps[] = {
        CHECK(ATAPI_TEST_UNIT_READY, 0x60),
        ANSWER(ATAPI_REQUEST_SENSE, sense_new_disc),
    };
    d.media = (struct atapi_media){ .present = true, .sectors = 10 };
    play(steps, 2);
    atapi_cdb_test_unit_ready(cdb);
    assert_int_equal(atapi_drive_command(&d, cdb, NULL, 0, false, &got, &sense), ERR_NOMEDIA);
    assert_true(d.media.changed);
    assert_false(atapi_media_is_usable(&d.media));
    assert_int_equal(errors, 0);
    assert_false(klog_contains("failed"));
}

static void test_atapi_drive_transport_error_passes_through_without_sense(void **state)
{
    (void)state;
    struct atapi_drive d = drive();
    struct atapi_sense sense;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    uint32_t got;
    const struct step steps[] = { { .op = ATAPI_TEST_UNIT_READY, .rc = ERR_TIMEOUT } };
    play(steps, 1);
    atapi_cdb_test_unit_ready(cdb);
    assert_int_equal(atapi_drive_command(&d, cdb, NULL, 0, false, &got, &sense), ERR_TIMEOUT);
    assert_script_done();
    assert_int_equal(sense.key, 0);
}

static void test_atapi_drive_poll_new_disc_event_checks_and_inserts(void **state)
{
    (void)state;
    struct atapi_drive d = drive();
    struct atapi_poll_news news;
    const struct step steps[] = {
        ANSWER(ATAPI_GET_EVENT_STATUS, gesn_new_disc),
        CHECK(ATAPI_TEST_UNIT_READY, 0x60), /* the new disc's UNIT ATTENTION: swallowed */
        ANSWER(ATAPI_REQUEST_SENSE, sense_new_disc),
        OK(ATAPI_TEST_UNIT_READY),
        ANSWER(ATAPI_READ_CAPACITY, cap_1024),
    };
    play(steps, 5);
    atapi_drive_poll_locked(&d, &news);
    assert_script_done();
    assert_false(news.removed);
    assert_true(news.inserted);
    assert_int_equal(news.sectors, 1024);
    assert_true(atapi_media_is_usable(&d.media));
    assert_false(d.no_events);
}

static void test_atapi_drive_poll_refused_gesn_switches_to_tur_quietly(void **state)
{
    (void)state;
    struct atapi_drive d = drive();
    struct atapi_poll_news news;
    const struct step steps[] = {
        CHECK(ATAPI_GET_EVENT_STATUS, 0x54),
        ANSWER(ATAPI_REQUEST_SENSE, sense_bad_opcode),
        CHECK(ATAPI_TEST_UNIT_READY, 0x24),
        ANSWER(ATAPI_REQUEST_SENSE, sense_no_disc),
    };
    play(steps, 4);
    atapi_drive_poll_locked(&d, &news);
    assert_script_done();
    assert_true(d.no_events);
    assert_false(news.removed || news.inserted);
    assert_int_equal(errors, 0);
    assert_true(klog_contains("tst: cd7: no media events (GET EVENT STATUS: ERR_NOTSUP), "
                              "polling with TEST UNIT READY"));
    /* The next poll goes straight to TEST UNIT READY. */
    const struct step again[] = {
        OK(ATAPI_TEST_UNIT_READY),
        ANSWER(ATAPI_READ_CAPACITY, cap_1024),
    };
    play(again, 2);
    atapi_drive_poll_locked(&d, &news);
    assert_script_done();
    assert_true(news.inserted);
}

static void test_atapi_drive_eject_flags_change_and_open_tray_removes(void **state)
{
    (void)state;
    struct atapi_drive d = drive();
    struct atapi_poll_news news;
    d.media = (struct atapi_media){ .present = true, .sectors = 1024 };
    const struct step eject[] = { OK(ATAPI_START_STOP_UNIT) };
    play(eject, 1);
    assert_int_equal(atapi_drive_load_tray(&d, true), 0);
    assert_int_equal(script.last_cdb[4], ATAPI_SSU_LOEJ);
    assert_true(d.media.changed);
    const struct step poll[] = { ANSWER(ATAPI_GET_EVENT_STATUS, gesn_tray_open) };
    play(poll, 1);
    atapi_drive_poll_locked(&d, &news);
    assert_script_done();
    assert_true(news.removed);
    assert_false(news.inserted);
    assert_false(d.media.present || d.media.changed);
    /* Load: the tray closes; nothing is flagged until the drive says so. */
    const struct step load[] = { OK(ATAPI_START_STOP_UNIT) };
    play(load, 1);
    assert_int_equal(atapi_drive_load_tray(&d, false), 0);
    assert_int_equal(script.last_cdb[4], ATAPI_SSU_LOEJ | ATAPI_SSU_START);
    assert_false(d.media.changed);
}

static void test_atapi_drive_refused_tray_is_an_error_and_no_change(void **state)
{
    (void)state;
    struct atapi_drive d = drive();
    d.media = (struct atapi_media){ .present = true, .sectors = 1024 };
    static const uint8_t locked[18] = SENSE(0x05, 0x53, 0x02); /* medium removal prevented */
    const struct step steps[] = {
        CHECK(ATAPI_START_STOP_UNIT, 0x54),
        ANSWER(ATAPI_REQUEST_SENSE, locked),
    };
    play(steps, 2);
    assert_int_equal(atapi_drive_load_tray(&d, true), ERR_NOTSUP);
    assert_false(d.media.changed);
    assert_int_equal(errors, 1);
    assert_true(klog_contains("tst: cd7: command 0x1b failed: illegal request (sense 5/53/02)"));
}

static void test_atapi_drive_poll_quiet_drive_sends_only_gesn(void **state)
{
    (void)state;
    struct atapi_drive d = drive();
    struct atapi_poll_news news;
    d.media = (struct atapi_media){ .present = true, .sectors = 1024 };
    const struct step steps[] = { ANSWER(ATAPI_GET_EVENT_STATUS, gesn_quiet) };
    play(steps, 1);
    atapi_drive_poll_locked(&d, &news);
    assert_script_done();
    assert_false(news.removed || news.inserted);
    assert_true(atapi_media_is_usable(&d.media));
}

static void test_atapi_drive_announce_reaches_the_block_layer(void **state)
{
    (void)state;
    struct fake_disk_config cfg = { .sector_size = 2048, .capacity = 1024, .start_present = true };
    struct fake_disk *f = NULL;
    struct media *m;
    struct atapi_drive d = drive();
    assert_int_equal(fake_disk_create(&cfg, &f), 0);
    assert_int_equal(fake_disk_add(f, "tcd7"), 0);
    d.disk = fake_disk_handle(f);
    struct atapi_poll_news news = { .inserted = true, .sectors = 1024 };
    atapi_drive_announce(&d, &news);
    assert_true(klog_contains("tst: cd7: media present (1024 sectors of 2048 bytes)"));
    assert_int_equal(disk_get_media(d.disk, &m), 0);
    assert_int_equal(media_capacity(m), 1024);
    media_put(m);
    news = (struct atapi_poll_news){ .removed = true };
    atapi_drive_announce(&d, &news);
    assert_true(klog_contains("tst: cd7: media removed or changed"));
    assert_int_equal(disk_get_media(d.disk, &m), ERR_NOMEDIA);
    fake_disk_del(f);
    fake_disk_destroy(f);
}

static int per_test(void **state)
{
    (void)state;
    klog_clear();
    memset(&script, 0, sizeof(script));
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_atapi_drive_check_condition_asks_sense_and_logs_failure,
                               per_test),
        cmocka_unit_test_setup(test_atapi_drive_failed_sense_uses_error_register_key, per_test),
        cmocka_unit_test_setup(test_atapi_drive_unit_attention_flags_change_without_log,
                               per_test),
        cmocka_unit_test_setup(test_atapi_drive_transport_error_passes_through_without_sense,
                               per_test),
        cmocka_unit_test_setup(test_atapi_drive_poll_new_disc_event_checks_and_inserts,
                               per_test),
        cmocka_unit_test_setup(test_atapi_drive_poll_refused_gesn_switches_to_tur_quietly,
                               per_test),
        cmocka_unit_test_setup(test_atapi_drive_eject_flags_change_and_open_tray_removes,
                               per_test),
        cmocka_unit_test_setup(test_atapi_drive_refused_tray_is_an_error_and_no_change,
                               per_test),
        cmocka_unit_test_setup(test_atapi_drive_poll_quiet_drive_sends_only_gesn, per_test),
        cmocka_unit_test_setup(test_atapi_drive_announce_reaches_the_block_layer, per_test),
    };
    blkdev_init();
    return cmocka_run_group_tests_name("atapi_drive", tests, NULL, NULL);
}
