// SPDX-License-Identifier: MIT
/* Unit tests for drivers/usb/lib/ohci_td.c: how a buffer is cut into OHCI
 * general TDs (the two-page rule of OHCI 1.0a §4.3.1.3.1, whole packets in
 * every TD but the last, zero-length TDs, the pool limit), the words each
 * TD carries (direction, toggle, rounding, interrupt delay, links, CC
 * "not accessed"), how a retired TD decodes to bytes moved and ERR_*
 * (§4.3.3, including a hostile CBP), the done-queue pointer check and the
 * ED control word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/usb/lib/ohci_td.h"
#include "kernel/err.h"
#include "kernel/klog.h"

#define POOL 0x00100800u
#define TAIL 0x00100120u
#define SLOTS 16

static struct ohci_td_words tds[SLOTS];
static struct ohci_td_piece pieces[SLOTS];

static int setup(void **state)
{
    (void)state;
    klog_clear();
    memset(tds, 0xEE, sizeof(tds));
    memset(pieces, 0xEE, sizeof(pieces));
    return 0;
}

static struct ohci_td_req bulk_in(uint32_t pa, uint32_t bytes)
{
    return (struct ohci_td_req){
        .buf_phys = pa, .bytes = bytes, .max_packet = 64, .dp = OHCI_TD_DP_IN,
        .toggle = OHCI_TD_T_CARRY, .round_last = true, .di = 7, .di_last = 0,
        .first_phys = POOL, .tail_phys = TAIL,
    };
}

static void test_ohci_td_piece_page_aligned_takes_two_pages(void **state)
{
    (void)state;
    assert_int_equal(ohci_td_piece_bytes(0x200000, 100000, 64), 8192);
    assert_int_equal(ohci_td_piece_bytes(0x200000, 8192, 64), 8192);
    assert_int_equal(ohci_td_piece_bytes(0x200000, 300, 64), 300);
}

static void test_ohci_td_piece_unaligned_stops_at_second_page_on_packet(void **state)
{
    (void)state;
    /* 0x...F10: 240 bytes left in the first page + 4096 in the second =
     * 4336, rounded down to 64-byte packets = 4288. */
    assert_int_equal(ohci_td_piece_bytes(0x200F10, 100000, 64), 4288);
    /* The whole rest fits: no rounding, even mid-packet. */
    assert_int_equal(ohci_td_piece_bytes(0x200F10, 4336, 64), 4336);
    assert_int_equal(ohci_td_piece_bytes(0x200F10, 0, 64), 0);
    assert_int_equal(ohci_td_piece_bytes(0x200F10, 10, 0), 0);
}

static void test_ohci_td_build_never_spans_three_pages(void **state)
{
    (void)state;
    unsigned n = 0;
    uint32_t total = 0;
    assert_int_equal(ohci_td_build(&(struct ohci_td_req){ .buf_phys = 0x300123,
                                                          .bytes = 40000, .max_packet = 64,
                                                          .dp = OHCI_TD_DP_OUT,
                                                          .toggle = OHCI_TD_T_CARRY,
                                                          .di = 7, .first_phys = POOL,
                                                          .tail_phys = TAIL },
                                   tds, pieces, SLOTS, &n),
                     0);
    assert_true(n >= 5);
    for (unsigned i = 0; i < n; i++) {
        uint32_t first_page = tds[i].cbp >> 12, last_page = tds[i].be >> 12;
        assert_true(last_page - first_page <= 1);
        assert_int_equal(tds[i].be - tds[i].cbp + 1, pieces[i].bytes);
        assert_int_equal(pieces[i].start_phys, 0x300123 + total);
        if (i + 1 < n)
            assert_int_equal(pieces[i].bytes % 64, 0);
        total += pieces[i].bytes;
    }
    assert_int_equal(total, 40000);
}

static void test_ohci_td_build_links_chain_to_tail(void **state)
{
    (void)state;
    unsigned n = 0;
    struct ohci_td_req req = bulk_in(0x400000, 20000);
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), 0);
    assert_int_equal(n, 3); /* 8192 + 8192 + 3616 */
    assert_int_equal(tds[0].next, POOL + 16);
    assert_int_equal(tds[1].next, POOL + 32);
    assert_int_equal(tds[2].next, TAIL);
    assert_int_equal(pieces[2].bytes, 3616);
    assert_int_equal(tds[2].be, 0x400000 + 20000 - 1);
}

static void test_ohci_td_build_sets_flags_on_last_only(void **state)
{
    (void)state;
    unsigned n = 0;
    struct ohci_td_req req = bulk_in(0x400000, 9000);
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), 0);
    assert_int_equal(n, 2);
    /* first: IN, carry toggle, no interrupt, no rounding, not accessed */
    assert_int_equal(tds[0].ctrl, OHCI_TD_DP_IN | OHCI_TD_T_CARRY | OHCI_TD_DI_NONE |
                                      OHCI_TD_CC_SET(OHCI_CC_NOT_ACCESSED));
    /* last: rounding, interrupt at the end of its frame */
    assert_int_equal(tds[1].ctrl, OHCI_TD_DP_IN | OHCI_TD_T_CARRY | OHCI_TD_DI(0) |
                                      OHCI_TD_R | OHCI_TD_CC_SET(OHCI_CC_NOT_ACCESSED));
}

static void test_ohci_td_build_interrupt_delay_applies_to_every_td(void **state)
{
    (void)state;
    unsigned n = 0;
    struct ohci_td_req req = bulk_in(0x400000, 3 * 8192);
    req.di = 0;
    req.round_last = false;
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), 0);
    assert_int_equal(n, 3);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(tds[i].ctrl & (7u << 21), OHCI_TD_DI(0));
    assert_int_equal(tds[2].ctrl & OHCI_TD_R, 0);
}

static void test_ohci_td_build_zero_length_is_one_empty_td(void **state)
{
    (void)state;
    unsigned n = 0;
    struct ohci_td_req req = {
        .max_packet = 8, .dp = OHCI_TD_DP_IN, .toggle = OHCI_TD_T_DATA1, .di_last = 0,
        .first_phys = POOL, .tail_phys = TAIL,
    };
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(tds[0].cbp, 0);
    assert_int_equal(tds[0].be, 0);
    assert_int_equal(pieces[0].bytes, 0);
    assert_int_equal(tds[0].ctrl & (3u << 24), OHCI_TD_T_DATA1);
}

static void test_ohci_td_build_too_many_tds_is_nospc(void **state)
{
    (void)state;
    unsigned n = 99;
    struct ohci_td_req req = bulk_in(0x400000, 3 * 8192 + 1);
    assert_int_equal(ohci_td_build(&req, tds, pieces, 3, &n), ERR_NOSPC);
    assert_int_equal(n, 0);
    assert_int_equal(ohci_td_build(&req, tds, pieces, 4, &n), 0);
    assert_int_equal(n, 4);
}

static void test_ohci_td_build_rejects_bad_requests(void **state)
{
    (void)state;
    unsigned n;
    struct ohci_td_req req = bulk_in(0x400000, 512);
    req.max_packet = 0;
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), ERR_INVAL);
    req = bulk_in(0x400000, 512);
    req.first_phys = POOL + 4; /* TDs are 16-byte aligned */
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), ERR_INVAL);
    req = bulk_in(0x400000, 512);
    req.di = 8;
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), ERR_INVAL);
    req = bulk_in(0x400000, 512);
    req.dp = 3u << 19;
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), ERR_INVAL);
    req = bulk_in(0xFFFFFF00u, 512); /* wraps past 4 GiB */
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), ERR_RANGE);
    req = bulk_in(0xFFFFFF00u, 256); /* ends on the last byte: fine */
    assert_int_equal(ohci_td_build(&req, tds, pieces, SLOTS, &n), 0);
}

static void test_ohci_td_result_full_transfer_moves_all(void **state)
{
    (void)state;
    struct ohci_td_piece pc = { 0x500000, 4096 };
    uint32_t moved;
    bool stalled, is_short;
    assert_int_equal(ohci_td_result(OHCI_TD_CC_SET(OHCI_CC_NOERROR), 0, &pc, &moved, &stalled,
                                    &is_short),
                     0);
    assert_int_equal(moved, 4096);
    assert_false(stalled);
    assert_false(is_short);
}

static void test_ohci_td_result_rounded_short_reports_bytes(void **state)
{
    (void)state;
    struct ohci_td_piece pc = { 0x500000, 4096 };
    uint32_t moved;
    bool stalled, is_short;
    assert_int_equal(ohci_td_result(OHCI_TD_R | OHCI_TD_CC_SET(OHCI_CC_NOERROR), 0x50000D, &pc,
                                    &moved, &stalled, &is_short),
                     0);
    assert_int_equal(moved, 13);
    assert_true(is_short);
}

static void test_ohci_td_result_underrun_is_short_not_error(void **state)
{
    (void)state;
    struct ohci_td_piece pc = { 0x500F00, 8000 };
    uint32_t moved;
    bool stalled, is_short;
    /* 300 bytes crossed the page boundary at 0x501000 */
    assert_int_equal(ohci_td_result(OHCI_TD_CC_SET(OHCI_CC_DATA_UNDERRUN), 0x50102C, &pc,
                                    &moved, &stalled, &is_short),
                     0);
    assert_int_equal(moved, 300);
    assert_true(is_short);
    assert_false(stalled);
}

static void test_ohci_td_result_stall_sets_stalled(void **state)
{
    (void)state;
    struct ohci_td_piece pc = { 0x500000, 512 };
    uint32_t moved;
    bool stalled, is_short;
    assert_int_equal(ohci_td_result(OHCI_TD_CC_SET(OHCI_CC_STALL), 0x500000, &pc, &moved,
                                    &stalled, &is_short),
                     ERR_IO);
    assert_true(stalled);
    assert_int_equal(moved, 0);
}

static void test_ohci_td_result_other_codes_are_io_errors(void **state)
{
    (void)state;
    static const unsigned codes[] = {
        OHCI_CC_CRC, OHCI_CC_BITSTUFFING, OHCI_CC_TOGGLE_MISMATCH, OHCI_CC_NOT_RESPONDING,
        OHCI_CC_PID_CHECK, OHCI_CC_UNEXPECTED_PID, OHCI_CC_DATA_OVERRUN, 10, 11,
        OHCI_CC_BUFFER_OVERRUN, OHCI_CC_BUFFER_UNDERRUN, 14, OHCI_CC_NOT_ACCESSED,
    };
    struct ohci_td_piece pc = { 0x500000, 512 };
    for (unsigned i = 0; i < ARRAY_SIZE(codes); i++) {
        uint32_t moved;
        bool stalled, is_short;
        assert_int_equal(ohci_td_result(OHCI_TD_CC_SET(codes[i]), 0x500040, &pc, &moved,
                                        &stalled, &is_short),
                         ERR_IO);
        assert_false(stalled);
        assert_int_equal(moved, 64); /* as far as CBP says */
    }
    assert_string_equal(ohci_cc_name(OHCI_CC_NOT_RESPONDING), "device not responding");
}

static void test_ohci_td_result_cbp_outside_buffer_is_corrupt(void **state)
{
    (void)state;
    struct ohci_td_piece pc = { 0x500000, 512 };
    uint32_t moved = 7;
    bool stalled, is_short;
    assert_int_equal(ohci_td_result(OHCI_TD_CC_SET(OHCI_CC_NOERROR), 0x500201, &pc, &moved,
                                    &stalled, &is_short),
                     ERR_CORRUPT);
    assert_int_equal(moved, 0);
    assert_int_equal(ohci_td_result(OHCI_TD_CC_SET(OHCI_CC_NOERROR), 0x4FFFFF, &pc, &moved,
                                    &stalled, &is_short),
                     ERR_CORRUPT);
    assert_true(klog_contains("ohci: TD buffer pointer outside its buffer (CBP 0x004fffff, "
                              "buffer 0x00500000+512)"));
}

static void test_ohci_td_index_accepts_pool_slots_only(void **state)
{
    (void)state;
    unsigned idx = 99;
    assert_int_equal(ohci_td_index(POOL, POOL, SLOTS, &idx), 0);
    assert_int_equal(idx, 0);
    assert_int_equal(ohci_td_index(POOL + 15 * 16, POOL, SLOTS, &idx), 0);
    assert_int_equal(idx, 15);
    assert_int_equal(ohci_td_index(POOL + 16 * 16, POOL, SLOTS, &idx), ERR_CORRUPT);
    assert_int_equal(ohci_td_index(POOL + 8, POOL, SLOTS, &idx), ERR_CORRUPT);
    assert_int_equal(ohci_td_index(POOL - 16, POOL, SLOTS, &idx), ERR_CORRUPT);
    assert_int_equal(idx, 15);
}

static void test_ohci_ed_ctrl_encodes_fields(void **state)
{
    (void)state;
    assert_int_equal(ohci_ed_ctrl(5, 2, OHCI_ED_DIR_IN, false, 64),
                     5u | 2u << 7 | 2u << 11 | 64u << 16);
    assert_int_equal(ohci_ed_ctrl(127, 0, OHCI_ED_DIR_TD, true, 8),
                     127u | 1u << 13 | 8u << 16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ohci_td_piece_page_aligned_takes_two_pages, setup),
        cmocka_unit_test_setup(test_ohci_td_piece_unaligned_stops_at_second_page_on_packet,
                               setup),
        cmocka_unit_test_setup(test_ohci_td_build_never_spans_three_pages, setup),
        cmocka_unit_test_setup(test_ohci_td_build_links_chain_to_tail, setup),
        cmocka_unit_test_setup(test_ohci_td_build_sets_flags_on_last_only, setup),
        cmocka_unit_test_setup(test_ohci_td_build_interrupt_delay_applies_to_every_td, setup),
        cmocka_unit_test_setup(test_ohci_td_build_zero_length_is_one_empty_td, setup),
        cmocka_unit_test_setup(test_ohci_td_build_too_many_tds_is_nospc, setup),
        cmocka_unit_test_setup(test_ohci_td_build_rejects_bad_requests, setup),
        cmocka_unit_test_setup(test_ohci_td_result_full_transfer_moves_all, setup),
        cmocka_unit_test_setup(test_ohci_td_result_rounded_short_reports_bytes, setup),
        cmocka_unit_test_setup(test_ohci_td_result_underrun_is_short_not_error, setup),
        cmocka_unit_test_setup(test_ohci_td_result_stall_sets_stalled, setup),
        cmocka_unit_test_setup(test_ohci_td_result_other_codes_are_io_errors, setup),
        cmocka_unit_test_setup(test_ohci_td_result_cbp_outside_buffer_is_corrupt, setup),
        cmocka_unit_test_setup(test_ohci_td_index_accepts_pool_slots_only, setup),
        cmocka_unit_test_setup(test_ohci_ed_ctrl_encodes_fields, setup),
    };
    return cmocka_run_group_tests_name("ohci_td", tests, NULL, NULL);
}
