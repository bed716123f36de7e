// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/pci_bar.c: BAR kind, base and size from the
 * (original, all-ones readback) pairs a real device gives, including 16-bit
 * I/O decoders, prefetchable and 64-bit memory, unimplemented BARs and the
 * rejected encodings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/lib/pci_bar.h"

static void test_pci_bar_io_decodes_base_and_size(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(pci_bar_decode(0xc041, 0xfffffff1, 0, 0, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_IO);
    assert_int_equal(bar.base, 0xc040);
    assert_int_equal(bar.size_bytes, 16);
    assert_false(bar.prefetchable);
}

static void test_pci_bar_io_16bit_decoder_sizes_from_low_bits(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(pci_bar_decode(0xc001, 0x0000ffe1, 0, 0, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_IO);
    assert_int_equal(bar.base, 0xc000);
    assert_int_equal(bar.size_bytes, 32);
}

static void test_pci_bar_mem32_decodes_base_and_size(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(pci_bar_decode(0xfebf0000, 0xfffff000, 0, 0, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_MEM32);
    assert_int_equal(bar.base, 0xfebf0000);
    assert_int_equal(bar.size_bytes, 4096);
    assert_false(bar.prefetchable);
}

static void test_pci_bar_mem32_prefetchable_flagged(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(pci_bar_decode(0xfd000008, 0xff000008, 0, 0, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_MEM32);
    assert_int_equal(bar.size_bytes, 16u * 1024 * 1024);
    assert_true(bar.prefetchable);
}

static void test_pci_bar_mem64_pair_combines_halves(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_true(pci_bar_is_64bit(0xfebf000c));
    assert_int_equal(pci_bar_decode(0xfebf000c, 0xffffc00c, 0x1, 0xffffffff, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_MEM64);
    assert_int_equal(bar.base, 0x1febf0000ull);
    assert_int_equal(bar.size_bytes, 16 * 1024);
    assert_true(bar.prefetchable);
}

static void test_pci_bar_mem64_size_above_4g_uses_upper_half(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(pci_bar_decode(0x0000000c, 0x0000000c, 0x4, 0xfffffffe, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_MEM64);
    assert_int_equal(bar.base, 0x400000000ull);
    assert_int_equal(bar.size_bytes, 0x200000000ull);
}

static void test_pci_bar_unimplemented_reads_back_zero_is_none(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(pci_bar_decode(0, 0, 0, 0, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_NONE);
    assert_int_equal(bar.size_bytes, 0);
    /* An I/O BAR whose address bits are all hard-wired to zero. */
    assert_int_equal(pci_bar_decode(0x1, 0x1, 0, 0, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_NONE);
    /* A 64-bit BAR with both halves reading back zero. */
    assert_int_equal(pci_bar_decode(0x4, 0x4, 0, 0, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_NONE);
}

static void test_pci_bar_reserved_memory_type_rejected(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_int_equal(pci_bar_decode(0xfe000006, 0xfff00006, 0, 0, &bar), ERR_CORRUPT);
    assert_int_equal(bar.kind, PCI_BAR_NONE);
}

static void test_pci_bar_mem32_window_past_4g_rejected(void **state)
{
    (void)state;
    struct pci_bar bar;
    /* 8 KiB window at 0xfffff000 would end above 4 GiB. */
    assert_int_equal(pci_bar_decode(0xfffff000, 0xffffe000, 0, 0, &bar), ERR_CORRUPT);
    assert_int_equal(bar.kind, PCI_BAR_NONE);
    /* The same size ending exactly at 4 GiB is fine. */
    assert_int_equal(pci_bar_decode(0xffffe000, 0xffffe000, 0, 0, &bar), 0);
    assert_int_equal(bar.size_bytes, 8192);
}

static void test_pci_bar_legacy_below_1m_type_decodes_as_mem32(void **state)
{
    (void)state;
    struct pci_bar bar;
    assert_false(pci_bar_is_64bit(0x000a0002));
    assert_int_equal(pci_bar_decode(0x000a0002, 0xfffe0002, 0, 0, &bar), 0);
    assert_int_equal(bar.kind, PCI_BAR_MEM32);
    assert_int_equal(bar.size_bytes, 128 * 1024);
}

static void test_pci_bar_is_64bit_only_for_memory_type_2(void **state)
{
    (void)state;
    assert_false(pci_bar_is_64bit(0xc041)); /* I/O with bit 2 set in the address */
    assert_false(pci_bar_is_64bit(0xfebf0000));
    assert_true(pci_bar_is_64bit(0xfebf0004));
}

static void test_pci_bar_kind_names(void **state)
{
    (void)state;
    assert_string_equal(pci_bar_kind_name(PCI_BAR_IO), "io");
    assert_string_equal(pci_bar_kind_name(PCI_BAR_MEM32), "mem32");
    assert_string_equal(pci_bar_kind_name(PCI_BAR_MEM64), "mem64");
    assert_string_equal(pci_bar_kind_name(PCI_BAR_NONE), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pci_bar_io_decodes_base_and_size),
        cmocka_unit_test(test_pci_bar_io_16bit_decoder_sizes_from_low_bits),
        cmocka_unit_test(test_pci_bar_mem32_decodes_base_and_size),
        cmocka_unit_test(test_pci_bar_mem32_prefetchable_flagged),
        cmocka_unit_test(test_pci_bar_mem64_pair_combines_halves),
        cmocka_unit_test(test_pci_bar_mem64_size_above_4g_uses_upper_half),
        cmocka_unit_test(test_pci_bar_unimplemented_reads_back_zero_is_none),
        cmocka_unit_test(test_pci_bar_reserved_memory_type_rejected),
        cmocka_unit_test(test_pci_bar_mem32_window_past_4g_rejected),
        cmocka_unit_test(test_pci_bar_legacy_below_1m_type_decodes_as_mem32),
        cmocka_unit_test(test_pci_bar_is_64bit_only_for_memory_type_2),
        cmocka_unit_test(test_pci_bar_kind_names),
    };
    return cmocka_run_group_tests_name("pci_bar", tests, NULL, NULL);
}
