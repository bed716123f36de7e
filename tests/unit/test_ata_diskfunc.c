// SPDX-License-Identifier: MIT
/* Unit tests for the DISKFUNC boundary shared by the IDE and AHCI drivers
 * (drivers/ata/lib/ata_diskfunc.h): request checking and clipping at the
 * capacity (inside, across the end, at and past the end, empty, negative,
 * counts near the 64-bit limit) and the one kernel error to DISK_STATUS
 * conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "blkdev/diskfunc.h"
#include "blkdev/disk.h"
#include "drivers/ata/lib/ata_diskfunc.h"
#include "kernel/err.h"

static void test_ata_request_inside_capacity_is_unchanged(void **state)
{
    (void)state;
    uint32_t want = 99;
    bool clipped = true;
    assert_int_equal(ata_request_clip(10, 20, 100, &want, &clipped), 0);
    assert_int_equal(want, 20);
    assert_false(clipped);
    assert_int_equal(ata_request_clip(80, 20, 100, &want, &clipped), 0); /* up to the end */
    assert_int_equal(want, 20);
    assert_false(clipped);
}

static void test_ata_request_across_end_is_clipped(void **state)
{
    (void)state;
    uint32_t want = 0;
    bool clipped = false;
    assert_int_equal(ata_request_clip(90, 20, 100, &want, &clipped), 0);
    assert_int_equal(want, 10);
    assert_true(clipped);
    /* A start near 2^63 cannot overflow the check. */
    assert_int_equal(ata_request_clip(INT64_MAX - 1, 5, UINT64_MAX, &want, &clipped), 0);
    assert_int_equal(want, 5);
    assert_false(clipped);
}

static void test_ata_request_at_or_past_end_is_eom_unless_empty(void **state)
{
    (void)state;
    uint32_t want = 99;
    bool clipped = true;
    assert_int_equal(ata_request_clip(100, 1, 100, &want, &clipped), ERR_EOM);
    assert_int_equal(want, 0);
    assert_false(clipped);
    assert_int_equal(ata_request_clip(5000, 1, 100, &want, &clipped), ERR_EOM);
    assert_int_equal(ata_request_clip(100, 0, 100, &want, &clipped), 0);
    assert_int_equal(want, 0);
    assert_int_equal(ata_request_clip(0, 0, 0, &want, &clipped), 0);
}

static void test_ata_request_negative_start_or_count_is_inval(void **state)
{
    (void)state;
    uint32_t want = 99;
    bool clipped = true;
    assert_int_equal(ata_request_clip(-1, 1, 100, &want, &clipped), ERR_INVAL);
    assert_int_equal(want, 0);
    assert_false(clipped);
    assert_int_equal(ata_request_clip(0, -1, 100, &want, &clipped), ERR_INVAL);
}

static void test_disk_err_to_status_maps_each_code_once(void **state)
{
    (void)state;
    assert_int_equal(disk_err_to_status(0), DISK_STATUS_OK);
    assert_int_equal(disk_err_to_status(ERR_NOMEDIA), DISK_STATUS_NO_MEDIA);
    assert_int_equal(disk_err_to_status(ERR_EOM), DISK_STATUS_END_OF_MEDIA);
    assert_int_equal(disk_err_to_status(ERR_NOMEM), DISK_STATUS_NO_MEMORY);
    assert_int_equal(disk_err_to_status(ERR_INVAL), DISK_STATUS_INVALID_CALL);
    assert_int_equal(disk_err_to_status(ERR_IO), DISK_STATUS_GENERAL_ERROR);
    assert_int_equal(disk_err_to_status(ERR_TIMEOUT), DISK_STATUS_GENERAL_ERROR);
    assert_int_equal(disk_err_to_status(ERR_NOTSUP), DISK_STATUS_INVALID_CALL);
    /* In the ATA drivers ERR_NOTSUP means "the device aborted it". */
    assert_int_equal(ata_err_to_status(ERR_NOTSUP), DISK_STATUS_GENERAL_ERROR);
    assert_int_equal(ata_err_to_status(ERR_EOM), DISK_STATUS_END_OF_MEDIA);
    assert_int_equal(disk_err_to_status(-999), DISK_STATUS_GENERAL_ERROR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ata_request_inside_capacity_is_unchanged),
        cmocka_unit_test(test_ata_request_across_end_is_clipped),
        cmocka_unit_test(test_ata_request_at_or_past_end_is_eom_unless_empty),
        cmocka_unit_test(test_ata_request_negative_start_or_count_is_inval),
        cmocka_unit_test(test_disk_err_to_status_maps_each_code_once),
    };
    return cmocka_run_group_tests_name("ata_diskfunc", tests, NULL, NULL);
}
