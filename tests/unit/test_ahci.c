// SPDX-License-Identifier: MIT
/* Unit tests for the hardware-free parts of drivers/ahci: the Register H2D
 * FIS (byte positions of command, LBA, count, features, device), the
 * command header (CFL, W/A bits, PRDTL, CTBA alignment), the PRD table
 * (4 MiB entries, count - 1 encoding, odd and boundary cases, 32-bit limit),
 * the per-command chunk limit, signature and link decoding, capability
 * decoding and the error classification of PxIS/PxTFD (with what the
 * shared ATA retry policy makes of it). The ATAPI pieces the AHCI driver
 * shares with the IDE driver are tested in test_atapi_cdb.c,
 * test_atapi_sense.c, test_atapi_media.c and test_atapi_drive.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/ahci/defs.h"
#include "drivers/ahci/lib/ahci_fis.h"
#include "drivers/ahci/lib/ahci_regs.h"
#include "drivers/ata/defs.h"
#include "drivers/ata/lib/ata_retry.h"
#include "kernel/err.h"
#include "kernel/lib/endian.h"

#define MIB (1024u * 1024u)

/* What the shared retry policy makes of a decoded fault (first of three
 * attempts; AHCI moves all data by DMA but has no PIO to fall back to). */
static enum ata_retry_action policy(const struct ahci_fault *f)
{
    return ata_retry_decide(f->err, f->ata, false, 1, 3);
}

/* ---- FIS ---------------------------------------------------------------------------------- */

static void test_ahci_fis_read_dma_ext_puts_lba_and_count_in_place(void **state)
{
    (void)state;
    uint8_t fis[AHCI_FIS_H2D_BYTES];
    struct ahci_h2d cmd = {
        .command = ATA_CMD_READ_DMA_EXT, .features = 0xA1B2, .lba = 0x0000BADC0FFEE1ull,
        .count = 0x1234, .device = AHCI_FIS_DEV_LBA,
    };
    memset(fis, 0xCC, sizeof(fis));
    assert_int_equal(ahci_fis_h2d_build(&cmd, fis), 0);
    const uint8_t want[AHCI_FIS_H2D_BYTES] = {
        0x27, 0x80, 0x25, 0xB2, 0xE1, 0xFE, 0x0F, 0x40, 0xDC, 0xBA, 0x00, 0xA1,
        0x34, 0x12, 0, 0, 0, 0, 0, 0,
    };
    assert_memory_equal(fis, want, sizeof(want));
}

static void test_ahci_fis_lba_beyond_48_bits_is_rejected(void **state)
{
    (void)state;
    uint8_t fis[AHCI_FIS_H2D_BYTES];
    struct ahci_h2d cmd = { .command = ATA_CMD_READ_DMA_EXT, .lba = 1ull << 48 };
    assert_int_equal(ahci_fis_h2d_build(&cmd, fis), ERR_INVAL);
    cmd.lba = (1ull << 48) - 1;
    assert_int_equal(ahci_fis_h2d_build(&cmd, fis), 0);
    assert_int_equal(fis[10], 0xFF);
    assert_int_equal(ahci_fis_h2d_build(NULL, fis), ERR_INVAL);
}

static void test_ahci_fis_count_65536_is_written_as_zero(void **state)
{
    (void)state;
    uint8_t fis[AHCI_FIS_H2D_BYTES];
    struct ahci_h2d cmd = { .command = ATA_CMD_WRITE_DMA_EXT, .count = (uint16_t)65536u };
    assert_int_equal(ahci_fis_h2d_build(&cmd, fis), 0);
    assert_int_equal(fis[12], 0);
    assert_int_equal(fis[13], 0);
}

/* ---- command header ----------------------------------------------------------------------- */

static void test_ahci_header_write_atapi_bits_and_prdtl(void **state)
{
    (void)state;
    uint8_t hdr[AHCI_CMD_HEADER_BYTES];
    memset(hdr, 0xCC, sizeof(hdr));
    assert_int_equal(ahci_cmd_header_build(hdr, 5, true, true, 3, 0x123480, false), 0);
    assert_int_equal(le32_at(hdr, 0), 5u | AHCI_HDR_WRITE | AHCI_HDR_ATAPI | (3u << 16));
    assert_int_equal(le32_at(hdr, 4), 0); /* PRDBC cleared */
    assert_int_equal(le32_at(hdr, 8), 0x123480);
    assert_int_equal(le32_at(hdr, 12), 0);
    for (unsigned i = 16; i < 32; i++)
        assert_int_equal(hdr[i], 0);
    assert_int_equal(ahci_cmd_header_build(hdr, 5, false, false, 0, 0x1000, false), 0);
    assert_int_equal(le32_at(hdr, 0), 5u);
}

static void test_ahci_header_misaligned_table_or_bad_cfl_is_rejected(void **state)
{
    (void)state;
    uint8_t hdr[AHCI_CMD_HEADER_BYTES];
    assert_int_equal(ahci_cmd_header_build(hdr, 5, false, false, 1, 0x1040, false), ERR_INVAL);
    assert_int_equal(ahci_cmd_header_build(hdr, 1, false, false, 1, 0x1000, false), ERR_INVAL);
    assert_int_equal(ahci_cmd_header_build(hdr, 17, false, false, 1, 0x1000, false), ERR_INVAL);
    assert_int_equal(ahci_cmd_header_build(hdr, 5, false, false, 1, 0x100000000ull, false),
                     ERR_INVAL);
    assert_int_equal(ahci_cmd_header_build(hdr, 5, false, false, 1, 0x100000000ull, true), 0);
    assert_int_equal(le32_at(hdr, 12), 1);
}

/* ---- PRD table ---------------------------------------------------------------------------- */

static uint8_t prdt[16 * AHCI_PRD_ENTRY_BYTES];

static uint32_t entry_bytes(unsigned i)
{
    return (le32_at(prdt, i * AHCI_PRD_ENTRY_BYTES + 12) & AHCI_PRD_DBC_MASK) + 1;
}

static uint32_t entry_base(unsigned i)
{
    return le32_at(prdt, i * AHCI_PRD_ENTRY_BYTES);
}

static void test_ahci_prdt_one_sector_is_one_entry_with_odd_dbc(void **state)
{
    (void)state;
    unsigned n = 99;
    assert_int_equal(ahci_prdt_build(0x200000, 512, false, prdt, 16, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(entry_base(0), 0x200000);
    assert_int_equal(le32_at(prdt, 12), 511); /* count - 1, bit 0 set, no I bit */
}

static void test_ahci_prdt_exactly_4mib_is_one_entry(void **state)
{
    (void)state;
    unsigned n = 0;
    assert_int_equal(ahci_prdt_build(0x400000, 4 * MIB, false, prdt, 16, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(le32_at(prdt, 12), 0x3FFFFF);
}

static void test_ahci_prdt_4mib_plus_2_splits_into_two(void **state)
{
    (void)state;
    unsigned n = 0;
    assert_int_equal(ahci_prdt_build(0x1000002, 4 * MIB + 2, false, prdt, 16, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(entry_base(0), 0x1000002);
    assert_int_equal(entry_bytes(0), 4 * MIB);
    assert_int_equal(entry_base(1), 0x1400002);
    assert_int_equal(entry_bytes(1), 2);
}

static void test_ahci_prdt_32mib_needs_eight_entries_and_seven_is_range(void **state)
{
    (void)state;
    unsigned n = 0;
    assert_int_equal(ahci_prdt_build(0x1000000, 32 * MIB, false, prdt, 7, &n), ERR_RANGE);
    assert_int_equal(ahci_prdt_build(0x1000000, 32 * MIB, false, prdt, 8, &n), 0);
    assert_int_equal(n, 8);
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(entry_bytes(i), 4 * MIB);
        assert_int_equal(entry_base(i), 0x1000000 + i * 4 * MIB);
    }
}

static void test_ahci_prdt_odd_address_or_length_is_rejected(void **state)
{
    (void)state;
    unsigned n = 0;
    assert_int_equal(ahci_prdt_build(0x1001, 512, false, prdt, 16, &n), ERR_INVAL);
    assert_int_equal(ahci_prdt_build(0x1000, 511, false, prdt, 16, &n), ERR_INVAL);
    assert_int_equal(ahci_prdt_build(0x1000, 0, false, prdt, 16, &n), ERR_INVAL);
    assert_int_equal(ahci_prdt_build(0x1000, 512, false, NULL, 16, &n), ERR_INVAL);
}

static void test_ahci_prdt_range_past_4gib_needs_64bit(void **state)
{
    (void)state;
    unsigned n = 0;
    assert_int_equal(ahci_prdt_build(0xFFFFF000ull, 0x2000, false, prdt, 16, &n), ERR_INVAL);
    assert_int_equal(ahci_prdt_build(0xFFFFF000ull, 0x1000, false, prdt, 16, &n), 0);
    assert_int_equal(ahci_prdt_build(0xFFFFF000ull, 0x2000, true, prdt, 16, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(le32_at(prdt, 4), 0); /* DBAU of the base, which is below 4 GiB */
    assert_int_equal(ahci_prdt_build(0x100000000ull, 0x200, true, prdt, 16, &n), 0);
    assert_int_equal(le32_at(prdt, 4), 1);
}

static void test_ahci_chunk_respects_device_prdt_and_bounce_limits(void **state)
{
    (void)state;
    /* Device limit 65536, 4 MiB per command: 8192 sectors of 512. */
    assert_int_equal(ahci_chunk_sectors(100000, 512, 65536, 4 * MIB), 8192);
    /* Bounce buffer of 64 KiB with 4096-byte sectors: 16. */
    assert_int_equal(ahci_chunk_sectors(100, 4096, 65536, 64 * 1024), 16);
    /* LBA28 device: 256. */
    assert_int_equal(ahci_chunk_sectors(1000, 512, 256, 4 * MIB), 256);
    /* Small requests pass unchanged; a zero sector size gives 0. */
    assert_int_equal(ahci_chunk_sectors(3, 2048, 65535, 4 * MIB), 3);
    assert_int_equal(ahci_chunk_sectors(3, 0, 65535, 4 * MIB), 0);
}

/* ---- register decoding -------------------------------------------------------------------- */

static void test_ahci_signatures_decode_to_kinds(void **state)
{
    (void)state;
    assert_int_equal(ahci_sig_decode(0x00000101), AHCI_DEV_ATA);
    assert_int_equal(ahci_sig_decode(0xEB140101), AHCI_DEV_ATAPI);
    assert_int_equal(ahci_sig_decode(0xC33C0101), AHCI_DEV_SEMB);
    assert_int_equal(ahci_sig_decode(0x96690101), AHCI_DEV_PM);
    assert_int_equal(ahci_sig_decode(0xFFFFFFFF), AHCI_DEV_UNKNOWN);
    assert_string_equal(ahci_dev_kind_name(AHCI_DEV_ATAPI), "ATAPI");
    assert_string_equal(ahci_dev_kind_name(AHCI_DEV_UNKNOWN), "unknown");
}

static void test_ahci_link_state_and_speed_decode(void **state)
{
    (void)state;
    assert_true(ahci_link_is_up(0x113));
    assert_false(ahci_link_is_up(0x0));
    assert_false(ahci_link_is_up(0x1)); /* present, no communication */
    assert_false(ahci_link_is_up(0x4)); /* phy offline */
    assert_string_equal(ahci_link_speed_name(0x113), "1.5 Gbps");
    assert_string_equal(ahci_link_speed_name(0x123), "3 Gbps");
    assert_string_equal(ahci_link_speed_name(0x133), "6 Gbps");
    assert_string_equal(ahci_link_speed_name(0x173), "unknown");
    assert_string_equal(ahci_link_speed_name(0x130), "none");
}

static void test_ahci_caps_decode_qemu_ich9_values(void **state)
{
    (void)state;
    struct ahci_caps c;
    char ver[16];
    /* QEMU ich9-ahci: CAP 0xC0141F05 (64-bit, NCQ, Gen1, 32 slots, 6 ports), VS 1.0. */
    ahci_caps_decode(0xC0141F05, 0, 0x00010000, &c);
    assert_int_equal(c.ports, 6);
    assert_int_equal(c.slots, 32);
    assert_true(c.addr64);
    assert_true(c.ncq);
    assert_int_equal(c.iss, 1);
    assert_false(c.bios_handoff);
    assert_string_equal(ahci_version_string(&c, ver, sizeof(ver)), "1.0");
    ahci_caps_decode(0x0000001F, 1, 0x00010301, &c);
    assert_int_equal(c.ports, 32);
    assert_int_equal(c.slots, 1);
    assert_false(c.addr64);
    assert_true(c.bios_handoff);
    assert_string_equal(ahci_version_string(&c, ver, sizeof(ver)), "1.3.1");
}

static void test_ahci_fault_success_is_zero(void **state)
{
    (void)state;
    struct ahci_fault f;
    ahci_fault_decode(AHCI_PxIS_DHRS, 0x0050, &f);
    assert_int_equal(f.err, 0);
    assert_false(f.needs_reset);
    assert_int_equal(f.ata, ATA_FAULT_NONE);
}

static void test_ahci_fault_tfes_abort_is_notsup_not_retried(void **state)
{
    (void)state;
    struct ahci_fault f;
    ahci_fault_decode(AHCI_PxIS_TFES | AHCI_PxIS_DHRS, (ATA_ER_ABRT << 8) | 0x51, &f);
    assert_int_equal(f.err, ERR_NOTSUP);
    assert_int_equal(f.ata, ATA_FAULT_ABORT);
    assert_int_equal(policy(&f), ATA_RETRY_FAIL);
    assert_false(f.needs_reset);
    assert_int_equal(f.status, 0x51);
    assert_int_equal(f.error, ATA_ER_ABRT);
}

static void test_ahci_fault_tfes_unc_is_io_and_retryable(void **state)
{
    (void)state;
    struct ahci_fault f;
    ahci_fault_decode(AHCI_PxIS_TFES, (ATA_ER_UNC << 8) | 0x51, &f);
    assert_int_equal(f.err, ERR_IO);
    assert_int_equal(f.ata, ATA_FAULT_MEDIA);
    assert_int_equal(policy(&f), ATA_RETRY_SAME);
    assert_string_equal(f.what, "uncorrectable");
}

static void test_ahci_fault_tfes_idnf_is_io_not_retried(void **state)
{
    (void)state;
    struct ahci_fault f;
    ahci_fault_decode(AHCI_PxIS_TFES, (ATA_ER_IDNF << 8) | 0x51, &f);
    assert_int_equal(f.err, ERR_IO);
    assert_int_equal(policy(&f), ATA_RETRY_FAIL);
}

static void test_ahci_fault_tfes_with_bsy_needs_reset(void **state)
{
    (void)state;
    struct ahci_fault f;
    ahci_fault_decode(AHCI_PxIS_TFES, (ATA_ER_ABRT << 8) | 0x89, &f);
    assert_true(f.needs_reset);
    ahci_fault_decode(AHCI_PxIS_TFES, 0x40, &f); /* TFES but no ERR: still a failure */
    assert_int_equal(f.err, ERR_IO);
    assert_int_equal(f.ata, ATA_FAULT_DEVICE);
}

static void test_ahci_fault_host_errors_win_and_need_reset(void **state)
{
    (void)state;
    struct ahci_fault f;
    ahci_fault_decode(AHCI_PxIS_HBFS | AHCI_PxIS_TFES, (ATA_ER_ABRT << 8) | 0x51, &f);
    assert_int_equal(f.err, ERR_IO);
    assert_true(f.needs_reset);
    assert_int_equal(policy(&f), ATA_RETRY_SAME);
    assert_int_equal(f.ata, ATA_FAULT_NONE);
    assert_string_equal(f.what, "host bus error");
    ahci_fault_decode(AHCI_PxIS_IFS, 0x50, &f);
    assert_string_equal(f.what, "interface fatal error");
    ahci_fault_decode(AHCI_PxIS_OFS, 0x50, &f);
    assert_string_equal(f.what, "overflow");
    assert_true(f.needs_reset);
}

static void test_ahci_fault_nonfatal_interface_error_retries_without_reset(void **state)
{
    (void)state;
    struct ahci_fault f;
    ahci_fault_decode(AHCI_PxIS_INFS | AHCI_PxIS_DHRS, 0x50, &f);
    assert_int_equal(f.err, ERR_IO);
    assert_int_equal(policy(&f), ATA_RETRY_SAME);
    assert_false(f.needs_reset);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ahci_fis_read_dma_ext_puts_lba_and_count_in_place),
        cmocka_unit_test(test_ahci_fis_lba_beyond_48_bits_is_rejected),
        cmocka_unit_test(test_ahci_fis_count_65536_is_written_as_zero),
        cmocka_unit_test(test_ahci_header_write_atapi_bits_and_prdtl),
        cmocka_unit_test(test_ahci_header_misaligned_table_or_bad_cfl_is_rejected),
        cmocka_unit_test(test_ahci_prdt_one_sector_is_one_entry_with_odd_dbc),
        cmocka_unit_test(test_ahci_prdt_exactly_4mib_is_one_entry),
        cmocka_unit_test(test_ahci_prdt_4mib_plus_2_splits_into_two),
        cmocka_unit_test(test_ahci_prdt_32mib_needs_eight_entries_and_seven_is_range),
        cmocka_unit_test(test_ahci_prdt_odd_address_or_length_is_rejected),
        cmocka_unit_test(test_ahci_prdt_range_past_4gib_needs_64bit),
        cmocka_unit_test(test_ahci_chunk_respects_device_prdt_and_bounce_limits),
        cmocka_unit_test(test_ahci_signatures_decode_to_kinds),
        cmocka_unit_test(test_ahci_link_state_and_speed_decode),
        cmocka_unit_test(test_ahci_caps_decode_qemu_ich9_values),
        cmocka_unit_test(test_ahci_fault_success_is_zero),
        cmocka_unit_test(test_ahci_fault_tfes_abort_is_notsup_not_retried),
        cmocka_unit_test(test_ahci_fault_tfes_unc_is_io_and_retryable),
        cmocka_unit_test(test_ahci_fault_tfes_idnf_is_io_not_retried),
        cmocka_unit_test(test_ahci_fault_tfes_with_bsy_needs_reset),
        cmocka_unit_test(test_ahci_fault_host_errors_win_and_need_reset),
        cmocka_unit_test(test_ahci_fault_nonfatal_interface_error_retries_without_reset),
    };
    return cmocka_run_group_tests_name("ahci", tests, NULL, NULL);
}
