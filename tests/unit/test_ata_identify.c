// SPDX-License-Identifier: MIT
/* Unit tests for the hardware-free parts of drivers/ata: the IDENTIFY
 * parser (strings, LBA28/LBA48 capacity, transfer limits, DMA modes, write
 * cache, logical sector size, rejected blocks), the PRD table builder (64
 * KiB boundary rule, 64 KiB encoded as 0, end-of-table bit) and the error
 * classification. IDENTIFY blocks are crafted word by word here, the way a
 * QEMU or real drive lays them out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/ata/defs.h"
#include "drivers/ata/lib/ata_error.h"
#include "drivers/ata/lib/ata_identify.h"
#include "drivers/ata/lib/ata_prd.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"

static uint8_t blk[ATA_IDENTIFY_BYTES];

static void set_word(unsigned w, uint16_t v)
{
    put_le16(blk, 2u * w, v);
}

/* ATA strings: first character in the high byte of each word. */
static void set_string(unsigned first_word, unsigned chars, const char *s)
{
    size_t len = strlen(s);
    for (unsigned i = 0; i < chars; i += 2) {
        char hi = i < len ? s[i] : ' ', lo = i + 1 < len ? s[i + 1] : ' ';
        set_word(first_word + i / 2, (uint16_t)(((uint8_t)hi << 8) | (uint8_t)lo));
    }
}

/* A plausible LBA28-only disk of 1,000,000 sectors with DMA and UDMA5. */
static void make_ata_disk(void)
{
    memset(blk, 0, sizeof(blk));
    set_word(0, 0x0040);
    set_string(10, 20, "QM00001");
    set_string(23, 8, "2.5+");
    set_string(27, 40, "QEMU HARDDISK");
    set_word(47, 0x8010);         /* 16 sectors per MULTIPLE block */
    set_word(49, 0x0300);         /* LBA + DMA */
    set_word(53, 0x0006);         /* words 64-70 and 88 valid */
    set_word(60, (uint16_t)(1000000 & 0xFFFF));
    set_word(61, (uint16_t)(1000000 >> 16));
    set_word(63, 0x0007);         /* MWDMA 0-2 */
    set_word(82, 0x0020);         /* write cache supported */
    set_word(83, 0x4000);         /* valid, no LBA48 */
    set_word(85, 0x0020);         /* write cache enabled */
    set_word(88, 0x203F);         /* UDMA 0-5 supported, 5 selected */
}

static void make_lba48(uint64_t sectors)
{
    set_word(60, 0xFFFF);
    set_word(61, 0x0FFF);         /* LBA28 field saturates at 0x0FFFFFFF */
    set_word(83, 0x4000 | 0x0400 | 0x2000);
    for (unsigned i = 0; i < 4; i++)
        set_word(100 + i, (uint16_t)(sectors >> (16 * i)));
}

/* Word 255: signature 0xA5 and the checksum that makes the block sum to 0. */
static void seal(void)
{
    set_word(255, 0x00A5);
    uint8_t sum = 0;
    for (unsigned i = 0; i < ATA_IDENTIFY_BYTES - 1; i++)
        sum = (uint8_t)(sum + blk[i]);
    blk[511] = (uint8_t)(0x100 - sum);
}

static void test_ata_identify_strings_are_byte_swapped_and_trimmed(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_string_equal(id.model, "QEMU HARDDISK");
    assert_string_equal(id.serial, "QM00001");
    assert_string_equal(id.firmware, "2.5+");
}

static void test_ata_identify_odd_length_model_keeps_last_character(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_string(27, 40, "ABC");
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_string_equal(id.model, "ABC");
}

static void test_ata_identify_lba28_disk_capacity_and_limits(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_false(id.is_packet);
    assert_false(id.has_lba48);
    assert_int_equal(id.sectors, 1000000);
    assert_int_equal(id.sector_bytes, 512);
    assert_int_equal(id.max_xfer_sectors, 256);
    assert_int_equal(id.multiple_max, 16);
}

static void test_ata_identify_word59_current_multiple_read_when_valid(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_word(59, 0x0108);         /* bit 8: valid, 8 sectors per block now */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(id.multiple_current, 8);
    set_word(59, 0x0010);         /* bit 8 clear: the low byte means nothing */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(id.multiple_current, 0);
}

static void test_ata_identify_multiple_pick_largest_power_of_two(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();              /* word 47: 16 */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(ata_identify_multiple_pick(&id), 16);
    set_word(47, 0x8000 | 24);    /* not a power of two: round down */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(ata_identify_multiple_pick(&id), 16);
    set_word(47, 0x8000 | 0xFF);  /* beyond the limit: capped at 128 */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(ata_identify_multiple_pick(&id), ATA_MULTIPLE_LIMIT);
}

static void test_ata_identify_multiple_pick_none_for_0_1_or_atapi(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_word(47, 0x8000);         /* READ/WRITE MULTIPLE not supported */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(ata_identify_multiple_pick(&id), 0);
    set_word(47, 0x8001);         /* one sector per block: no gain */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(ata_identify_multiple_pick(&id), 0);
    id.multiple_max = 16;
    id.is_packet = true;
    assert_int_equal(ata_identify_multiple_pick(&id), 0);
    assert_int_equal(ata_identify_multiple_pick(NULL), 0);
}

static void test_ata_identify_lba48_capacity_beyond_128gib(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    make_lba48(400ull * 1024 * 1024 * 2);   /* 400 GiB */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_true(id.has_lba48);
    assert_true(id.has_flush_ext);
    assert_int_equal(id.sectors, 400ull * 1024 * 1024 * 2);
    assert_int_equal(id.max_xfer_sectors, 65536);
}

static void test_ata_identify_lba48_count_below_lba28_uses_lba28(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_word(83, 0x4000 | 0x0400);          /* LBA48 claimed, words 100-103 zero */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(id.sectors, 1000000);
    assert_true(klog_contains("LBA48 capacity below LBA28"));
}

static void test_ata_identify_lba48_count_above_2_48_clamped(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    make_lba48(0xFFFFFFFFFFFFFFFFull);
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(id.sectors, ATA_LBA48_LIMIT);
    assert_true(klog_contains("LBA48 capacity clamped"));
}

static void test_ata_identify_dma_modes_and_write_cache(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_true(id.has_dma);
    assert_int_equal(id.udma_max, 5);
    assert_int_equal(id.udma_selected, 5);
    assert_int_equal(id.mwdma_max, 2);
    assert_true(id.write_cache_supported);
    assert_true(id.write_cache_enabled);
}

static void test_ata_identify_word88_ignored_without_word53_bit2(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_word(53, 0x0002);
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(id.udma_max, -1);
    assert_int_equal(id.udma_selected, -1);
}

static void test_ata_identify_command_sets_ignored_when_word83_invalid(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    make_lba48(1ull << 30);
    set_word(83, 0xFFFF);                   /* bits 15:14 = 11b: not valid */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_false(id.has_lba48);
    assert_false(id.write_cache_supported);
    assert_int_equal(id.sectors, 0x0FFFFFFF);
}

static void test_ata_identify_4k_logical_sectors_from_words_117_118(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_word(106, 0x5000);                  /* valid, logical sector > 256 words */
    set_word(117, 2048);                    /* in 16-bit words */
    set_word(118, 0);
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(id.sector_bytes, 4096);
}

static void test_ata_identify_word106_without_valid_bits_keeps_512(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_word(106, 0x1000);                  /* bit 14 clear: word not valid */
    set_word(117, 2048);
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    assert_int_equal(id.sector_bytes, 512);
}

static void test_ata_identify_odd_logical_sector_size_rejected(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_word(106, 0x5000);
    set_word(117, 260);                     /* 520 bytes: not a power of two */
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), ERR_CORRUPT);
    assert_true(klog_contains("unsupported logical sector size"));
}

static void test_ata_identify_bad_checksum_rejected(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    seal();
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), 0);
    blk[120] ^= 1;
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), ERR_CORRUPT);
    assert_true(klog_contains("IDENTIFY checksum mismatch"));
}

static void test_ata_identify_zero_capacity_rejected(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_word(60, 0);
    set_word(61, 0);
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), ERR_CORRUPT);
}

static void test_ata_identify_chs_only_disk_not_supported(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    set_word(49, 0x0100);
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), ERR_NOTSUP);
}

static void test_ata_identify_packet_block_parsed_as_cdrom(void **state)
{
    (void)state;
    struct ata_identify id;
    memset(blk, 0, sizeof(blk));
    set_word(0, 0x85C0);                    /* ATAPI, type 5, 12-byte packets */
    set_string(27, 40, "QEMU DVD-ROM");
    set_word(49, 0x0300);
    assert_int_equal(ata_identify_parse("cd0", blk, true, &id), 0);
    assert_true(id.is_packet);
    assert_int_equal(id.packet_type, ATAPI_TYPE_CDROM);
    assert_int_equal(id.sector_bytes, 2048);
    assert_string_equal(id.model, "QEMU DVD-ROM");
}

static void test_ata_identify_kind_mismatch_rejected(void **state)
{
    (void)state;
    struct ata_identify id;
    make_ata_disk();
    assert_int_equal(ata_identify_parse("cd0", blk, true, &id), ERR_CORRUPT);
    set_word(0, 0x85C0);
    assert_int_equal(ata_identify_parse("hd0", blk, false, &id), ERR_CORRUPT);
}

static void test_ata_prd_crossing_64k_boundary_splits(void **state)
{
    (void)state;
    uint8_t t[4 * ATA_PRD_ENTRY_BYTES];
    unsigned n;
    assert_int_equal(ata_prd_build(0x1F000, 0x2000, t, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(le32_at(t, 0), 0x1F000);
    assert_int_equal(le16_at(t, 4), 0x1000);
    assert_int_equal(le16_at(t, 6), 0);
    assert_int_equal(le32_at(t, 8), 0x20000);
    assert_int_equal(le16_at(t, 12), 0x1000);
    assert_int_equal(le16_at(t, 14), ATA_PRD_EOT);
}

static void test_ata_prd_full_64k_region_encoded_as_zero(void **state)
{
    (void)state;
    uint8_t t[4 * ATA_PRD_ENTRY_BYTES];
    unsigned n;
    assert_int_equal(ata_prd_build(0x30000, 0x20000, t, 4, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(le16_at(t, 4), 0);
    assert_int_equal(le32_at(t, 8), 0x40000);
    assert_int_equal(le16_at(t, 12), 0);
    assert_int_equal(le16_at(t, 14), ATA_PRD_EOT);
}

static void test_ata_prd_too_many_entries_is_range_error(void **state)
{
    (void)state;
    uint8_t t[2 * ATA_PRD_ENTRY_BYTES];
    unsigned n;
    assert_int_equal(ata_prd_build(0x8000, 0x30000, t, 2, &n), ERR_RANGE);
}

static void test_ata_prd_odd_or_4g_crossing_rejected(void **state)
{
    (void)state;
    uint8_t t[4 * ATA_PRD_ENTRY_BYTES];
    unsigned n;
    assert_int_equal(ata_prd_build(0x1001, 512, t, 4, &n), ERR_INVAL);
    assert_int_equal(ata_prd_build(0x1000, 511, t, 4, &n), ERR_INVAL);
    assert_int_equal(ata_prd_build(0xFFFFF000ull, 0x2000, t, 4, &n), ERR_INVAL);
    assert_int_equal(ata_prd_build(0x1000, 0, t, 4, &n), ERR_INVAL);
}

static void test_ata_error_classify_maps_bits(void **state)
{
    (void)state;
    assert_int_equal(ata_error_classify(ATA_SR_DRDY, 0), ATA_FAULT_NONE);
    assert_int_equal(ata_error_classify(ATA_SR_ERR, ATA_ER_ABRT), ATA_FAULT_ABORT);
    assert_int_equal(ata_error_classify(ATA_SR_ERR, ATA_ER_ICRC | ATA_ER_ABRT), ATA_FAULT_CRC);
    assert_int_equal(ata_error_classify(ATA_SR_ERR, ATA_ER_UNC), ATA_FAULT_MEDIA);
    assert_int_equal(ata_error_classify(ATA_SR_ERR, ATA_ER_IDNF), ATA_FAULT_ID);
    assert_int_equal(ata_error_classify(ATA_SR_DF, 0), ATA_FAULT_DEVICE);
    assert_int_equal(ata_fault_to_err(ATA_FAULT_ABORT), ERR_NOTSUP);
    assert_int_equal(ata_fault_to_err(ATA_FAULT_MEDIA), ERR_IO);
    assert_int_equal(ata_fault_to_err(ATA_FAULT_NONE), 0);
    assert_false(ata_fault_is_retryable(ATA_FAULT_ID));
    assert_true(ata_fault_is_retryable(ATA_FAULT_CRC));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ata_identify_strings_are_byte_swapped_and_trimmed),
        cmocka_unit_test(test_ata_identify_odd_length_model_keeps_last_character),
        cmocka_unit_test(test_ata_identify_lba28_disk_capacity_and_limits),
        cmocka_unit_test(test_ata_identify_lba48_capacity_beyond_128gib),
        cmocka_unit_test(test_ata_identify_lba48_count_below_lba28_uses_lba28),
        cmocka_unit_test(test_ata_identify_lba48_count_above_2_48_clamped),
        cmocka_unit_test(test_ata_identify_dma_modes_and_write_cache),
        cmocka_unit_test(test_ata_identify_word88_ignored_without_word53_bit2),
        cmocka_unit_test(test_ata_identify_command_sets_ignored_when_word83_invalid),
        cmocka_unit_test(test_ata_identify_4k_logical_sectors_from_words_117_118),
        cmocka_unit_test(test_ata_identify_word106_without_valid_bits_keeps_512),
        cmocka_unit_test(test_ata_identify_odd_logical_sector_size_rejected),
        cmocka_unit_test(test_ata_identify_bad_checksum_rejected),
        cmocka_unit_test(test_ata_identify_zero_capacity_rejected),
        cmocka_unit_test(test_ata_identify_chs_only_disk_not_supported),
        cmocka_unit_test(test_ata_identify_packet_block_parsed_as_cdrom),
        cmocka_unit_test(test_ata_identify_kind_mismatch_rejected),
        cmocka_unit_test(test_ata_identify_word59_current_multiple_read_when_valid),
        cmocka_unit_test(test_ata_identify_multiple_pick_largest_power_of_two),
        cmocka_unit_test(test_ata_identify_multiple_pick_none_for_0_1_or_atapi),
        cmocka_unit_test(test_ata_prd_crossing_64k_boundary_splits),
        cmocka_unit_test(test_ata_prd_full_64k_region_encoded_as_zero),
        cmocka_unit_test(test_ata_prd_too_many_entries_is_range_error),
        cmocka_unit_test(test_ata_prd_odd_or_4g_crossing_rejected),
        cmocka_unit_test(test_ata_error_classify_maps_bits),
    };
    return cmocka_run_group_tests_name("ata_identify", tests, NULL, NULL);
}
