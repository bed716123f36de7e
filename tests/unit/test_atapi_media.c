// SPDX-License-Identifier: MIT
/* Unit tests for the ATAPI media state machine (drivers/ata/lib/atapi_media.h)
 * that the IDE and AHCI drivers share: the poll decision from a media event
 * (tray open, new media, unchanged, unknown disc, no event at all), the
 * update after a check (insertion, no change, a flagged change or another
 * capacity as removal then insertion, ejection) and when reads may go on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/ata/lib/atapi_media.h"
#include "kernel/err.h"

static const struct atapi_media_event ev_open = { .code = ATAPI_MEC_NO_CHANGE, .tray_open = true };
static const struct atapi_media_event ev_same = { .code = ATAPI_MEC_NO_CHANGE, .present = true };
static const struct atapi_media_event ev_fresh = { .code = ATAPI_MEC_NEW_MEDIA, .present = true };
static const struct atapi_media_event ev_swapped = { .code = ATAPI_MEC_MEDIA_CHANGED,
                                                     .present = true };
static const struct atapi_media_event ev_eject = { .code = ATAPI_MEC_EJECT_REQUEST,
                                                   .present = true };

static enum atapi_poll_action decide(bool present, bool changed,
                                     const struct atapi_media_event *ev)
{
    struct atapi_media m = { .present = present, .changed = changed, .sectors = 100 };
    return atapi_media_poll_decide(&m, ev);
}

static void test_atapi_media_decide_gone_removes_only_an_announced_disc(void **state)
{
    (void)state;
    assert_int_equal(decide(true, false, &ev_open), ATAPI_POLL_REMOVED);
    assert_int_equal(decide(false, false, &ev_open), ATAPI_POLL_NOTHING);
    assert_int_equal(decide(false, true, &ev_open), ATAPI_POLL_NOTHING);
    const struct atapi_media_event empty = { .code = ATAPI_MEC_MEDIA_REMOVAL };
    assert_int_equal(decide(true, false, &empty), ATAPI_POLL_REMOVED);
}

static void test_atapi_media_decide_quiet_drive_needs_no_command(void **state)
{
    (void)state;
    assert_int_equal(decide(true, false, &ev_same), ATAPI_POLL_NOTHING);
    assert_int_equal(decide(true, false, &ev_eject), ATAPI_POLL_NOTHING);
}

static void test_atapi_media_decide_new_or_unknown_disc_is_checked(void **state)
{
    (void)state;
    assert_int_equal(decide(false, false, &ev_same), ATAPI_POLL_CHECK);
    assert_int_equal(decide(true, true, &ev_same), ATAPI_POLL_CHECK);
    assert_int_equal(decide(true, false, &ev_fresh), ATAPI_POLL_CHECK);
    assert_int_equal(decide(true, false, &ev_swapped), ATAPI_POLL_CHECK);
}

static void test_atapi_media_decide_without_events_always_checks(void **state)
{
    (void)state;
    assert_int_equal(decide(false, false, NULL), ATAPI_POLL_CHECK);
    assert_int_equal(decide(true, false, NULL), ATAPI_POLL_CHECK);
    assert_int_equal(decide(true, true, NULL), ATAPI_POLL_CHECK);
}

static void test_atapi_media_new_media_event_with_same_size_reannounces(void **state)
{
    (void)state;
    struct atapi_media m = { .present = true, .sectors = 1000 };
    bool removed, inserted;
    /* The event flags the change; the check finds a disc of the same size. */
    assert_int_equal(atapi_media_poll_decide(&m, &ev_fresh), ATAPI_POLL_CHECK);
    assert_true(m.changed);
    assert_false(atapi_media_is_usable(&m));
    atapi_media_update(&m, 0, 1000, &removed, &inserted);
    assert_true(removed && inserted);
    assert_false(m.changed);
    assert_true(atapi_media_is_usable(&m));
}

static void test_atapi_media_change_is_removal_then_insertion(void **state)
{
    (void)state;
    struct atapi_media m = { 0 };
    bool removed, inserted;
    atapi_media_update(&m, ERR_NOMEDIA, 0, &removed, &inserted);
    assert_false(removed);
    assert_false(inserted);
    atapi_media_update(&m, 0, 1000, &removed, &inserted);
    assert_false(removed);
    assert_true(inserted);
    assert_int_equal(m.sectors, 1000);
    atapi_media_update(&m, 0, 1000, &removed, &inserted);
    assert_false(removed || inserted);
    m.changed = true; /* UNIT ATTENTION seen by a read */
    atapi_media_update(&m, 0, 1000, &removed, &inserted);
    assert_true(removed && inserted);
    assert_false(m.changed);
    atapi_media_update(&m, 0, 2000, &removed, &inserted); /* other disc */
    assert_true(removed && inserted);
    assert_int_equal(m.sectors, 2000);
    atapi_media_update(&m, ERR_NOMEDIA, 0, &removed, &inserted); /* ejected */
    assert_true(removed);
    assert_false(inserted);
    assert_false(m.present);
}

static void test_atapi_media_failed_check_removes_and_waits(void **state)
{
    (void)state;
    struct atapi_media m = { .present = true, .sectors = 1000 };
    bool removed, inserted;
    atapi_media_update(&m, ERR_CORRUPT, 0, &removed, &inserted); /* bad READ CAPACITY */
    assert_true(removed);
    assert_false(inserted);
    atapi_media_update(&m, ERR_TIMEOUT, 0, &removed, &inserted);
    assert_false(removed || inserted);
}

static void test_atapi_media_reads_stop_at_a_flagged_change(void **state)
{
    (void)state;
    struct atapi_media m = { 0 };
    assert_false(atapi_media_is_usable(&m));
    m.present = true;
    assert_true(atapi_media_is_usable(&m));
    m.changed = true; /* eject or UNIT ATTENTION, not yet polled */
    assert_false(atapi_media_is_usable(&m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atapi_media_decide_gone_removes_only_an_announced_disc),
        cmocka_unit_test(test_atapi_media_decide_quiet_drive_needs_no_command),
        cmocka_unit_test(test_atapi_media_decide_new_or_unknown_disc_is_checked),
        cmocka_unit_test(test_atapi_media_decide_without_events_always_checks),
        cmocka_unit_test(test_atapi_media_new_media_event_with_same_size_reannounces),
        cmocka_unit_test(test_atapi_media_change_is_removal_then_insertion),
        cmocka_unit_test(test_atapi_media_failed_check_removes_and_waits),
        cmocka_unit_test(test_atapi_media_reads_stop_at_a_flagged_change),
    };
    return cmocka_run_group_tests_name("atapi_media", tests, NULL, NULL);
}
