// SPDX-License-Identifier: MIT
/* Unit tests for ATAPI sense decoding (drivers/ata/lib/atapi_sense.h):
 * fixed and descriptor formats, short and malformed blocks, the fallback to
 * the key in the ATA error register, the classes the driver acts on (no
 * medium, becoming ready, medium changed 06/28, reset 06/29, out of range,
 * unsupported) with their error codes and retry decisions, the error of a
 * check condition (never success without a reason), which senses are worth
 * an error line, and log names and text.
 * Sense blocks are laid out byte by byte as SPC-3 §4.5 and QEMU's ide-cd
 * produce them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/ata/lib/atapi_sense.h"
#include "kernel/err.h"

/* An 18-byte fixed-format block (response code 0x70, additional length 10). */
static void fixed(uint8_t *b, uint8_t key, uint8_t asc, uint8_t ascq)
{
    memset(b, 0, ATAPI_SENSE_FULL_BYTES);
    b[0] = 0xF0; /* valid bit + current, fixed */
    b[2] = key;
    b[7] = 10;
    b[12] = asc;
    b[13] = ascq;
}

static enum atapi_sense_class classify(uint8_t key, uint8_t asc, uint8_t ascq)
{
    uint8_t b[ATAPI_SENSE_FULL_BYTES];
    struct atapi_sense s;
    fixed(b, key, asc, ascq);
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), 0);
    return atapi_sense_classify(&s);
}

static void test_atapi_sense_fixed_format_gives_key_asc_ascq(void **state)
{
    (void)state;
    uint8_t b[ATAPI_SENSE_FULL_BYTES];
    struct atapi_sense s;
    fixed(b, 0x06, 0x28, 0x00);
    b[2] |= 0x20; /* ILI flag in the key byte must not leak into the key */
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), 0);
    assert_int_equal(s.key, ATAPI_KEY_UNIT_ATTENTION);
    assert_int_equal(s.asc, 0x28);
    assert_int_equal(s.ascq, 0x00);
    assert_true(s.has_asc);
    assert_false(s.deferred);
}

static void test_atapi_sense_descriptor_format_and_deferred(void **state)
{
    (void)state;
    uint8_t b[8] = { 0x73, 0x02, 0x3A, 0x01, 0, 0, 0, 0 };
    struct atapi_sense s;
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), 0);
    assert_int_equal(s.key, ATAPI_KEY_NOT_READY);
    assert_int_equal(s.asc, 0x3A);
    assert_int_equal(s.ascq, 0x01);
    assert_true(s.deferred);
}

static void test_atapi_sense_short_fixed_block_keeps_key_only(void **state)
{
    (void)state;
    uint8_t b[ATAPI_SENSE_FULL_BYTES];
    struct atapi_sense s;
    fixed(b, 0x03, 0x11, 0x00);
    /* Only 8 bytes arrived: the key is there, ASC/ASCQ are not. */
    assert_int_equal(atapi_sense_decode(b, 8, &s), 0);
    assert_int_equal(s.key, ATAPI_KEY_MEDIUM_ERROR);
    assert_false(s.has_asc);
    assert_int_equal(s.asc, 0);
    /* 18 bytes, but the device's own length stops at byte 11. */
    b[7] = 4;
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), 0);
    assert_false(s.has_asc);
}

static void test_atapi_sense_bad_code_or_tiny_block_rejected(void **state)
{
    (void)state;
    uint8_t b[ATAPI_SENSE_FULL_BYTES];
    struct atapi_sense s;
    fixed(b, 0x05, 0x20, 0x00);
    assert_int_equal(atapi_sense_decode(b, 7, &s), ERR_CORRUPT);
    b[0] = 0x7F; /* vendor specific */
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), ERR_CORRUPT);
    b[0] = 0x00; /* all zero: nothing was written */
    assert_int_equal(atapi_sense_decode(b, sizeof(b), &s), ERR_CORRUPT);
    assert_int_equal(atapi_sense_decode(NULL, 18, &s), ERR_INVAL);
    assert_int_equal(atapi_sense_decode(b, 18, NULL), ERR_INVAL);
}

static void test_atapi_sense_error_register_fallback_uses_bits_7_4(void **state)
{
    (void)state;
    struct atapi_sense s;
    atapi_sense_from_error_reg(0x64, &s); /* key 6, ABRT */
    assert_int_equal(s.key, ATAPI_KEY_UNIT_ATTENTION);
    assert_false(s.has_asc);
    /* A unit attention without ASC is treated as a possible new disc. */
    assert_int_equal(atapi_sense_classify(&s), ATAPI_SENSE_MEDIUM_CHANGED);
}

static void test_atapi_sense_unit_attention_28_is_medium_change(void **state)
{
    (void)state;
    enum atapi_sense_class c = classify(0x06, 0x28, 0x00);
    assert_int_equal(c, ATAPI_SENSE_MEDIUM_CHANGED);
    assert_int_equal(atapi_sense_class_to_err(c), ERR_NOMEDIA);
    assert_false(atapi_sense_is_retryable(c));
}

static void test_atapi_sense_unit_attention_29_is_reset_and_retried(void **state)
{
    (void)state;
    enum atapi_sense_class c = classify(0x06, 0x29, 0x00);
    assert_int_equal(c, ATAPI_SENSE_RESET);
    assert_int_equal(atapi_sense_class_to_err(c), ERR_IO);
    assert_true(atapi_sense_is_retryable(c));
}

static void test_atapi_sense_not_ready_no_medium_vs_becoming_ready(void **state)
{
    (void)state;
    enum atapi_sense_class c = classify(0x02, 0x3A, 0x00);
    assert_int_equal(c, ATAPI_SENSE_NO_MEDIUM);
    assert_int_equal(atapi_sense_class_to_err(c), ERR_NOMEDIA);
    assert_false(atapi_sense_is_retryable(c));
    c = classify(0x02, 0x04, 0x01);
    assert_int_equal(c, ATAPI_SENSE_BECOMING_READY);
    assert_int_equal(atapi_sense_class_to_err(c), ERR_NOMEDIA);
    assert_true(atapi_sense_is_retryable(c));
}

static void test_atapi_sense_illegal_request_split_by_asc(void **state)
{
    (void)state;
    assert_int_equal(classify(0x05, 0x21, 0x00), ATAPI_SENSE_OUT_OF_RANGE);
    assert_int_equal(atapi_sense_class_to_err(ATAPI_SENSE_OUT_OF_RANGE), ERR_EOM);
    assert_int_equal(classify(0x05, 0x20, 0x00), ATAPI_SENSE_UNSUPPORTED);
    assert_int_equal(classify(0x05, 0x24, 0x00), ATAPI_SENSE_UNSUPPORTED);
    assert_int_equal(atapi_sense_class_to_err(ATAPI_SENSE_UNSUPPORTED), ERR_NOTSUP);
    /* A command refused as ILLEGAL REQUEST / 3Ah still means "no disc". */
    assert_int_equal(classify(0x05, 0x3A, 0x00), ATAPI_SENSE_NO_MEDIUM);
}

static void test_atapi_sense_other_keys_map_to_io_or_success(void **state)
{
    (void)state;
    assert_int_equal(classify(0x00, 0x00, 0x00), ATAPI_SENSE_OK);
    assert_int_equal(classify(0x01, 0x17, 0x00), ATAPI_SENSE_OK);
    assert_int_equal(atapi_sense_class_to_err(ATAPI_SENSE_OK), 0);
    assert_int_equal(classify(0x03, 0x11, 0x00), ATAPI_SENSE_MEDIUM_ERROR);
    assert_int_equal(atapi_sense_class_to_err(ATAPI_SENSE_MEDIUM_ERROR), ERR_IO);
    assert_int_equal(classify(0x04, 0x00, 0x00), ATAPI_SENSE_FAILED);
    assert_int_equal(classify(0x0B, 0x00, 0x00), ATAPI_SENSE_RETRYABLE);
    assert_true(atapi_sense_is_retryable(ATAPI_SENSE_RETRYABLE));
    assert_false(atapi_sense_is_retryable(ATAPI_SENSE_FAILED));
}

static void test_atapi_sense_names_for_logs(void **state)
{
    (void)state;
    struct atapi_sense s = { .key = 2, .asc = 0x3A, .has_asc = true };
    assert_string_equal(atapi_sense_key_name(2), "not ready");
    assert_string_equal(atapi_sense_key_name(0x16), "unit attention"); /* low nibble */
    assert_string_equal(atapi_sense_asc_name(&s), "medium not present");
    s.asc = 0x04;
    s.ascq = 0x01;
    assert_string_equal(atapi_sense_asc_name(&s), "becoming ready");
    s.asc = 0x99;
    assert_null(atapi_sense_asc_name(&s));
    s.has_asc = false;
    s.asc = 0x3A;
    assert_null(atapi_sense_asc_name(&s));
}

static void test_atapi_sense_check_condition_without_reason_is_io_error(void **state)
{
    (void)state;
    struct atapi_sense s;
    atapi_sense_from_error_reg(0x04, &s); /* ABRT only: key 0 */
    assert_int_equal(atapi_sense_to_err(&s), ERR_IO);
    struct atapi_sense recovered = { .key = ATAPI_KEY_RECOVERED };
    assert_int_equal(atapi_sense_to_err(&recovered), 0);
    struct atapi_sense new_disc = { .key = 6, .asc = 0x28, .has_asc = true };
    assert_int_equal(atapi_sense_to_err(&new_disc), ERR_NOMEDIA);
    struct atapi_sense reset = { .key = 6, .asc = 0x29, .has_asc = true };
    assert_int_equal(atapi_sense_to_err(&reset), ERR_IO);
    struct atapi_sense range = { .key = 5, .asc = 0x21, .has_asc = true };
    assert_int_equal(atapi_sense_to_err(&range), ERR_EOM);
}

static void test_atapi_sense_normal_states_are_not_logged(void **state)
{
    (void)state;
    struct atapi_sense no_disc = { .key = 2, .asc = 0x3A, .has_asc = true };
    struct atapi_sense becoming = { .key = 2, .asc = 0x04, .ascq = 0x01, .has_asc = true };
    struct atapi_sense new_disc = { .key = 6, .asc = 0x28, .has_asc = true };
    struct atapi_sense reset = { .key = 6, .asc = 0x29, .has_asc = true };
    struct atapi_sense refused = { .key = 5, .asc = 0x20, .has_asc = true };
    struct atapi_sense unreadable = { .key = 3, .asc = 0x11, .has_asc = true };
    struct atapi_sense range = { .key = 5, .asc = 0x21, .has_asc = true };
    assert_false(atapi_sense_is_worth_logging(&no_disc, 0x00));
    assert_false(atapi_sense_is_worth_logging(&becoming, 0x00));
    assert_false(atapi_sense_is_worth_logging(&new_disc, 0x28));
    assert_false(atapi_sense_is_worth_logging(&reset, 0x00));
    /* GESN refused is how a drive without media events answers. */
    assert_false(atapi_sense_is_worth_logging(&refused, 0x4A));
    assert_true(atapi_sense_is_worth_logging(&refused, 0x28));
    assert_true(atapi_sense_is_worth_logging(&unreadable, 0x28));
    assert_true(atapi_sense_is_worth_logging(&range, 0xA8));
}

static void test_atapi_sense_describe_gives_key_asc_and_codes(void **state)
{
    (void)state;
    char buf[ATAPI_SENSE_TEXT_BYTES];
    struct atapi_sense s = { .key = 2, .asc = 0x3A, .has_asc = true };
    assert_string_equal(atapi_sense_describe(&s, buf, sizeof(buf)),
                        "not ready, medium not present (sense 2/3a/00)");
    struct atapi_sense odd = { .key = 4, .asc = 0x99, .ascq = 0x07, .has_asc = true };
    assert_string_equal(atapi_sense_describe(&odd, buf, sizeof(buf)),
                        "hardware error (sense 4/99/07)");
    char tiny[8];
    assert_string_equal(atapi_sense_describe(&s, tiny, sizeof(tiny)), "not rea");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atapi_sense_fixed_format_gives_key_asc_ascq),
        cmocka_unit_test(test_atapi_sense_descriptor_format_and_deferred),
        cmocka_unit_test(test_atapi_sense_short_fixed_block_keeps_key_only),
        cmocka_unit_test(test_atapi_sense_bad_code_or_tiny_block_rejected),
        cmocka_unit_test(test_atapi_sense_error_register_fallback_uses_bits_7_4),
        cmocka_unit_test(test_atapi_sense_unit_attention_28_is_medium_change),
        cmocka_unit_test(test_atapi_sense_unit_attention_29_is_reset_and_retried),
        cmocka_unit_test(test_atapi_sense_not_ready_no_medium_vs_becoming_ready),
        cmocka_unit_test(test_atapi_sense_illegal_request_split_by_asc),
        cmocka_unit_test(test_atapi_sense_other_keys_map_to_io_or_success),
        cmocka_unit_test(test_atapi_sense_names_for_logs),
        cmocka_unit_test(test_atapi_sense_check_condition_without_reason_is_io_error),
        cmocka_unit_test(test_atapi_sense_normal_states_are_not_logged),
        cmocka_unit_test(test_atapi_sense_describe_gives_key_asc_and_codes),
    };
    return cmocka_run_group_tests_name("atapi_sense", tests, NULL, NULL);
}
