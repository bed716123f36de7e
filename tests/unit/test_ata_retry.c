// SPDX-License-Identifier: MIT
/* Unit tests for the ATA retry policy (drivers/ata/lib/ata_retry.h): which
 * failures are repeated, which are final, when a DMA command gets one try
 * by PIO, and that the attempt budget always ends the loop. The last test
 * replays the register values QEMU gives for a read of a failed or deleted
 * backend (status 0x41, error 0x04) through ata_error_classify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "drivers/ata/lib/ata_error.h"
#include "drivers/ata/lib/ata_retry.h"
#include "kernel/err.h"

static void test_ata_retry_timeout_repeats_until_budget_spent(void **state)
{
    (void)state;
    assert_int_equal(ata_retry_decide(ERR_TIMEOUT, ATA_FAULT_NONE, true, 1, 3), ATA_RETRY_SAME);
    assert_int_equal(ata_retry_decide(ERR_TIMEOUT, ATA_FAULT_NONE, false, 2, 3),
                     ATA_RETRY_SAME);
    assert_int_equal(ata_retry_decide(ERR_TIMEOUT, ATA_FAULT_NONE, false, 3, 3),
                     ATA_RETRY_FAIL);
}

static void test_ata_retry_single_attempt_budget_never_repeats(void **state)
{
    (void)state;
    assert_int_equal(ata_retry_decide(ERR_TIMEOUT, ATA_FAULT_NONE, true, 1, 1), ATA_RETRY_FAIL);
    assert_int_equal(ata_retry_decide(ERR_IO, ATA_FAULT_CRC, true, 1, 1), ATA_RETRY_FAIL);
    assert_int_equal(ata_retry_decide(ERR_NOTSUP, ATA_FAULT_ABORT, true, 1, 1), ATA_RETRY_FAIL);
}

static void test_ata_retry_dma_abort_tries_pio_once(void **state)
{
    (void)state;
    assert_int_equal(ata_retry_decide(ERR_NOTSUP, ATA_FAULT_ABORT, true, 1, 3), ATA_RETRY_PIO);
    /* The PIO try aborted as well: the data is at fault, give up. */
    assert_int_equal(ata_retry_decide(ERR_NOTSUP, ATA_FAULT_ABORT, false, 2, 3),
                     ATA_RETRY_FAIL);
}

static void test_ata_retry_transient_faults_repeat_id_fault_final(void **state)
{
    (void)state;
    assert_int_equal(ata_retry_decide(ERR_IO, ATA_FAULT_CRC, true, 1, 3), ATA_RETRY_SAME);
    assert_int_equal(ata_retry_decide(ERR_IO, ATA_FAULT_MEDIA, false, 1, 3), ATA_RETRY_SAME);
    assert_int_equal(ata_retry_decide(ERR_IO, ATA_FAULT_DEVICE, false, 1, 3), ATA_RETRY_SAME);
    assert_int_equal(ata_retry_decide(ERR_IO, ATA_FAULT_ID, true, 1, 3), ATA_RETRY_FAIL);
}

static void test_ata_retry_protocol_error_with_clean_registers_repeats(void **state)
{
    (void)state;
    /* No DRQ after the interrupt, or a bus-master error: ERR_IO, no fault. */
    assert_int_equal(ata_retry_decide(ERR_IO, ATA_FAULT_NONE, true, 1, 3), ATA_RETRY_SAME);
}

static void test_ata_retry_caller_errors_and_success_are_final(void **state)
{
    (void)state;
    assert_int_equal(ata_retry_decide(0, ATA_FAULT_NONE, true, 1, 3), ATA_RETRY_FAIL);
    assert_int_equal(ata_retry_decide(ERR_INVAL, ATA_FAULT_NONE, true, 1, 3), ATA_RETRY_FAIL);
    assert_int_equal(ata_retry_decide(ERR_RANGE, ATA_FAULT_NONE, false, 1, 3), ATA_RETRY_FAIL);
}

static void test_ata_retry_vanished_backend_fails_after_pio_probe(void **state)
{
    (void)state;
    unsigned attempts = 0;
    bool dma = true;
    enum ata_retry_action act;
    /* QEMU after drive_del or a blkdebug EIO: ERR|DRDY, ABRT. */
    enum ata_fault f = ata_error_classify(0x41, 0x04);
    assert_int_equal(f, ATA_FAULT_ABORT);
    do {
        attempts++;
        act = ata_retry_decide(ata_fault_to_err(f), f, dma, attempts, 3);
        if (act == ATA_RETRY_PIO)
            dma = false;
    } while (act != ATA_RETRY_FAIL);
    assert_int_equal(attempts, 2);
    assert_false(dma);
}

static void test_ata_retry_names(void **state)
{
    (void)state;
    assert_string_equal(ata_retry_name(ATA_RETRY_FAIL), "fail");
    assert_string_equal(ata_retry_name(ATA_RETRY_SAME), "retry");
    assert_string_equal(ata_retry_name(ATA_RETRY_PIO), "retry by PIO");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ata_retry_timeout_repeats_until_budget_spent),
        cmocka_unit_test(test_ata_retry_single_attempt_budget_never_repeats),
        cmocka_unit_test(test_ata_retry_dma_abort_tries_pio_once),
        cmocka_unit_test(test_ata_retry_transient_faults_repeat_id_fault_final),
        cmocka_unit_test(test_ata_retry_protocol_error_with_clean_registers_repeats),
        cmocka_unit_test(test_ata_retry_caller_errors_and_success_are_final),
        cmocka_unit_test(test_ata_retry_vanished_backend_fails_after_pio_probe),
        cmocka_unit_test(test_ata_retry_names),
    };
    return cmocka_run_group_tests_name("ata_retry", tests, NULL, NULL);
}
