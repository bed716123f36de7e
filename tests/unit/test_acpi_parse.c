// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/acpi_parse.c: RSDP checksums (v1 and extended),
 * table length and checksum validation, RSDT/XSDT entries, FADT decoding and
 * the \_S5_ search in AML. Tables are built here byte by byte with the
 * checksum fixed up, then patched to make the corrupt variants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/acpi_parse.h"
#include "kernel/lib/endian.h"

#define TABLE_CAP 512

/* Make byte `off` the one that brings the sum of len bytes to zero. */
static void fix_checksum(uint8_t *p, size_t len, size_t off)
{
    p[off] = 0;
    p[off] = (uint8_t)(0x100 - acpi_checksum(p, len));
}

/* A table: header with `sig`, then `body` bytes; returns the length. */
static uint32_t build_table(uint8_t *buf, const char *sig, const uint8_t *body, size_t body_len)
{
    uint32_t len = (uint32_t)(ACPI_HEADER_BYTES + body_len);
    memset(buf, 0, TABLE_CAP);
    memcpy(buf, sig, 4);
    put_le32(buf, 4, len);
    buf[8] = 2;
    memcpy(buf + 10, "SPNDLE", 6);
    if (body_len)
        memcpy(buf + ACPI_HEADER_BYTES, body, body_len);
    fix_checksum(buf, len, 9);
    return len;
}

static int setup(void **state)
{
    (void)state;
    klog_clear();
    return 0;
}

/* ---- RSDP --------------------------------------------------------------------------------- */

static void build_rsdp(uint8_t *buf, uint8_t revision)
{
    memset(buf, 0, 36);
    memcpy(buf, "RSD PTR ", 8);
    memcpy(buf + 9, "BOCHS ", 6);
    buf[15] = revision;
    put_le32(buf, 16, 0x07fe1a4f);
    fix_checksum(buf, 20, 8);
    if (revision >= 2) {
        put_le32(buf, 20, 36);
        put_le64(buf, 24, 0x07fe2000);
        fix_checksum(buf, 36, 32);
    }
}

static void test_acpi_rsdp_v1_valid_returns_rsdt(void **state)
{
    (void)state;
    uint8_t buf[36];
    struct acpi_rsdp rsdp;
    build_rsdp(buf, 0);
    assert_int_equal(acpi_rsdp_parse(buf, 20, &rsdp), 0);
    assert_int_equal(rsdp.revision, 0);
    assert_int_equal(rsdp.rsdt_phys, 0x07fe1a4f);
    assert_int_equal(rsdp.xsdt_phys, 0);
    assert_string_equal(rsdp.oem_id, "BOCHS ");
}

static void test_acpi_rsdp_v2_valid_returns_xsdt(void **state)
{
    (void)state;
    uint8_t buf[36];
    struct acpi_rsdp rsdp;
    build_rsdp(buf, 2);
    assert_int_equal(acpi_rsdp_parse(buf, sizeof(buf), &rsdp), 0);
    assert_int_equal(rsdp.revision, 2);
    assert_int_equal(rsdp.xsdt_phys, 0x07fe2000);
}

static void test_acpi_rsdp_bad_checksum_rejected(void **state)
{
    (void)state;
    uint8_t buf[36];
    struct acpi_rsdp rsdp;
    build_rsdp(buf, 0);
    buf[16] ^= 0x01;
    assert_int_equal(acpi_rsdp_parse(buf, 20, &rsdp), ERR_CORRUPT);
    assert_true(klog_contains("acpi: rsdp: checksum mismatch"));
}

static void test_acpi_rsdp_bad_extended_checksum_rejected(void **state)
{
    (void)state;
    uint8_t buf[36];
    struct acpi_rsdp rsdp;
    build_rsdp(buf, 2);
    buf[28] ^= 0x10; /* XSDT address: outside the v1 checksum */
    assert_int_equal(acpi_rsdp_parse(buf, sizeof(buf), &rsdp), ERR_CORRUPT);
    assert_true(klog_contains("extended checksum mismatch"));
}

static void test_acpi_rsdp_v2_length_beyond_buffer_rejected(void **state)
{
    (void)state;
    uint8_t buf[36];
    struct acpi_rsdp rsdp;
    build_rsdp(buf, 2);
    put_le32(buf, 20, 4096);
    fix_checksum(buf, 36, 32);
    assert_int_equal(acpi_rsdp_parse(buf, sizeof(buf), &rsdp), ERR_CORRUPT);
    assert_true(klog_contains("acpi: rsdp: bad length (4096"));
}

static void test_acpi_rsdp_no_signature_returns_noent_silently(void **state)
{
    (void)state;
    uint8_t buf[36] = { 0 };
    struct acpi_rsdp rsdp;
    assert_int_equal(acpi_rsdp_parse(buf, sizeof(buf), &rsdp), ERR_NOENT);
    assert_false(klog_contains("acpi"));
}

/* ---- table header --------------------------------------------------------------------------- */

static void test_acpi_table_valid_table_accepted(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    const uint8_t body[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint32_t len = build_table(buf, "APIC", body, sizeof(body));
    struct acpi_table_info info;
    assert_int_equal(acpi_table_check(buf, len, "APIC", &info), 0);
    assert_string_equal(info.signature, "APIC");
    assert_int_equal(info.length_bytes, 44);
    assert_int_equal(info.revision, 2);
    assert_int_equal(acpi_table_check(buf, TABLE_CAP, NULL, &info), 0);
}

static void test_acpi_table_bad_checksum_rejected(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    const uint8_t body[4] = { 9, 9, 9, 9 };
    uint32_t len = build_table(buf, "FACP", body, sizeof(body));
    buf[ACPI_HEADER_BYTES + 2] ^= 0x80;
    struct acpi_table_info info;
    assert_int_equal(acpi_table_check(buf, len, "FACP", &info), ERR_CORRUPT);
    assert_true(klog_contains("acpi: FACP: checksum mismatch (sum 0x80 over 40 bytes)"));
}

static void test_acpi_table_length_below_header_rejected(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    build_table(buf, "DSDT", NULL, 0);
    put_le32(buf, 4, 20);
    fix_checksum(buf, 20, 9);
    struct acpi_table_info info;
    assert_int_equal(acpi_table_check(buf, TABLE_CAP, "DSDT", &info), ERR_CORRUPT);
    assert_true(klog_contains("acpi: DSDT: bad length (20"));
}

static void test_acpi_table_length_above_cap_rejected(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    build_table(buf, "DSDT", NULL, 0);
    put_le32(buf, 4, ACPI_TABLE_MAX_BYTES + 1);
    struct acpi_table_info info;
    assert_int_equal(acpi_table_check(buf, TABLE_CAP, "DSDT", &info), ERR_CORRUPT);
    assert_true(klog_contains("bad length"));
}

static void test_acpi_table_truncated_buffer_asks_for_more(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    const uint8_t body[64] = { 0 };
    uint32_t len = build_table(buf, "SSDT", body, sizeof(body));
    struct acpi_table_info info;
    assert_int_equal(acpi_table_check(buf, ACPI_HEADER_BYTES, "SSDT", &info), ERR_EOM);
    assert_int_equal(info.length_bytes, len);
    assert_int_equal(acpi_table_check(buf, len - 1, "SSDT", &info), ERR_EOM);
    assert_int_equal(acpi_table_check(buf, len, "SSDT", &info), 0);
}

static void test_acpi_table_header_truncated_rejected(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    build_table(buf, "RSDT", NULL, 0);
    struct acpi_table_info info;
    assert_int_equal(acpi_table_check(buf, 35, "RSDT", &info), ERR_CORRUPT);
    assert_true(klog_contains("header truncated (35 of 36 bytes)"));
}

static void test_acpi_table_other_signature_returns_noent(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    uint32_t len = build_table(buf, "HPET", NULL, 0);
    struct acpi_table_info info;
    assert_int_equal(acpi_table_check(buf, len, "FACP", &info), ERR_NOENT);
    assert_string_equal(info.signature, "HPET");
}

static void test_acpi_sdt_entries_rsdt_and_xsdt(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    uint8_t body[17] = { 0 };
    put_le32(body, 0, 0x1000);
    put_le32(body, 4, 0x2000);
    put_le32(body, 8, 0x3000);
    put_le32(body, 12, 0x4000);
    uint32_t len = build_table(buf, "RSDT", body, sizeof(body));
    assert_int_equal(acpi_sdt_entry_count(len, 4), 4); /* the 17th byte is ignored */
    assert_int_equal(acpi_sdt_entry(buf, 4, 2), 0x3000);
    assert_int_equal(acpi_sdt_entry_count(len, 8), 2);
    assert_int_equal(acpi_sdt_entry(buf, 8, 1), 0x0000400000003000ull);
    assert_int_equal(acpi_sdt_entry_count(20, 4), 0);
}

/* ---- FADT ----------------------------------------------------------------------------------- */

/* FADT body offsets are table offsets minus the header. */
static uint32_t build_fadt(uint8_t *buf, size_t table_len, bool reset_reg)
{
    uint8_t body[TABLE_CAP - ACPI_HEADER_BYTES] = { 0 };
    size_t h = ACPI_HEADER_BYTES;
    put_le32(body, 40 - h, 0x07fe0040); /* DSDT */
    put_le32(body, 48 - h, 0xb2);       /* SMI_CMD */
    body[52 - h] = 0xf1;                /* ACPI_ENABLE */
    put_le32(body, 56 - h, 0x600);      /* PM1a_EVT_BLK */
    put_le32(body, 64 - h, 0x604);      /* PM1a_CNT_BLK */
    body[108 - h] = 0x32;               /* CENTURY (QEMU's CMOS index) */
    if (reset_reg) {
        put_le32(body, 112 - h, 1u << 10); /* RESET_REG_SUP */
        body[116 - h] = 1;                 /* system I/O */
        body[117 - h] = 8;
        put_le64(body, 120 - h, 0xcf9);
        body[128 - h] = 0x06;
    }
    return build_table(buf, "FACP", body, table_len - h);
}

static void test_acpi_fadt_v1_decodes_pm_ports(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    uint32_t len = build_fadt(buf, 116, false);
    struct acpi_fadt f;
    assert_int_equal(acpi_fadt_parse(buf, len, &f), 0);
    assert_int_equal(f.dsdt_phys, 0x07fe0040);
    assert_int_equal(f.smi_cmd_port, 0xb2);
    assert_int_equal(f.acpi_enable, 0xf1);
    assert_int_equal(f.pm1a_cnt_port, 0x604);
    assert_int_equal(f.pm1b_cnt_port, 0);
    assert_false(f.has_reset_reg);
    assert_int_equal(f.century_index, 0x32);
}

static void test_acpi_fadt_v3_decodes_reset_register(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    uint32_t len = build_fadt(buf, 244, true);
    struct acpi_fadt f;
    assert_int_equal(acpi_fadt_parse(buf, len, &f), 0);
    assert_true(f.has_reset_reg);
    assert_int_equal(f.reset_reg.space_id, ACPI_GAS_IO);
    assert_int_equal(f.reset_reg.address, 0xcf9);
    assert_int_equal(f.reset_value, 0x06);
}

static void test_acpi_fadt_x_dsdt_wins_when_set(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    uint32_t len = build_fadt(buf, 244, false);
    put_le64(buf, 140, 0x0123456789ull);
    struct acpi_fadt f;
    assert_int_equal(acpi_fadt_parse(buf, len, &f), 0);
    assert_int_equal(f.dsdt_phys, 0x0123456789ull);
}

static void test_acpi_fadt_too_short_rejected(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    uint32_t len = build_fadt(buf, 100, false);
    struct acpi_fadt f;
    assert_int_equal(acpi_fadt_parse(buf, len, &f), ERR_CORRUPT);
    assert_true(klog_contains("acpi: FACP: table too short (100 bytes, need 116)"));
}

static void test_acpi_fadt_missing_pm1a_rejected(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    uint32_t len = build_fadt(buf, 116, false);
    put_le32(buf, 64, 0);
    struct acpi_fadt f;
    assert_int_equal(acpi_fadt_parse(buf, len, &f), ERR_CORRUPT);
    assert_true(klog_contains("no PM1a control block"));
}

static void test_acpi_fadt_port_above_64k_rejected(void **state)
{
    (void)state;
    uint8_t buf[TABLE_CAP];
    uint32_t len = build_fadt(buf, 116, false);
    put_le32(buf, 68, 0x10000);
    struct acpi_fadt f;
    assert_int_equal(acpi_fadt_parse(buf, len, &f), ERR_CORRUPT);
    assert_true(klog_contains("PM1b_CNT port out of range (0x10000)"));
}

/* ---- \_S5_ --------------------------------------------------------------------------------- */

static int s5_in(const uint8_t *aml, size_t aml_len, struct acpi_s5 *s5)
{
    uint8_t buf[TABLE_CAP];
    uint32_t len = build_table(buf, "DSDT", aml, aml_len);
    return acpi_s5_find(buf, len, s5);
}

static void test_acpi_s5_byte_prefix_values_decoded(void **state)
{
    (void)state;
    /* Scope(\) { Name(_S5_, Package(4) {0x05, 0x06, 0, 0}) } */
    const uint8_t aml[] = { 0x10, 0x11, 0x5c, 0x00, 0x08, '_', 'S', '5', '_', 0x12, 0x08,
                            0x04, 0x0a, 0x05, 0x0a, 0x06, 0x00, 0x00 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), 0);
    assert_int_equal(s5.slp_typa, 5);
    assert_int_equal(s5.slp_typb, 6);
}

static void test_acpi_s5_zero_and_one_ops_decoded(void **state)
{
    (void)state;
    const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x01, 0x00, 0x00 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), 0);
    assert_int_equal(s5.slp_typa, 0);
    assert_int_equal(s5.slp_typb, 1);
}

static void test_acpi_s5_root_prefixed_name_decoded(void **state)
{
    (void)state;
    const uint8_t aml[] = { 0x08, 0x5c, '_', 'S', '5', '_', 0x12, 0x07, 0x02, 0x0a, 0x07,
                            0x0b, 0x03, 0x00 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), 0);
    assert_int_equal(s5.slp_typa, 7);
    assert_int_equal(s5.slp_typb, 3);
}

static void test_acpi_s5_single_element_split_into_bytes(void **state)
{
    (void)state;
    const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x07, 0x05 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), 0);
    assert_int_equal(s5.slp_typa, 7);
    assert_int_equal(s5.slp_typb, 5);
}

static void test_acpi_s5_reference_before_definition_skipped(void **state)
{
    (void)state;
    /* A bare "_S5_" (e.g. a method argument) first, then the real Name. */
    const uint8_t aml[] = { 0x70, '_', 'S', '5', '_', 0x60, 0x08, '_', 'S', '5', '_', 0x12,
                            0x05, 0x02, 0x0a, 0x02, 0x01 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), 0);
    assert_int_equal(s5.slp_typa, 2);
    assert_int_equal(s5.slp_typb, 1);
}

static void test_acpi_s5_missing_returns_noent(void **state)
{
    (void)state;
    const uint8_t aml[] = { 0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), ERR_NOENT);
    assert_int_equal(s5_in(NULL, 0, &s5), ERR_NOENT);
}

static void test_acpi_s5_package_past_table_end_rejected(void **state)
{
    (void)state;
    /* PkgLength says 0x20 bytes but the table ends after 4. */
    const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x20, 0x04, 0x0a, 0x05 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), ERR_CORRUPT);
    assert_true(klog_contains("acpi: DSDT: \\_S5_ package truncated"));
}

static void test_acpi_s5_byte_prefix_cut_off_rejected(void **state)
{
    (void)state;
    /* Two elements promised, the second BytePrefix has no byte inside the package. */
    const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x05, 0x0a,
                            0x06 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), ERR_CORRUPT);
    assert_true(klog_contains("\\_S5_ element 1 is not an integer constant"));
}

static void test_acpi_s5_value_above_seven_rejected(void **state)
{
    (void)state;
    const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x08, 0x0a,
                            0x00 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), ERR_CORRUPT);
    assert_true(klog_contains("sleep type out of range (a 0x8, b 0x0, max 7)"));
}

static void test_acpi_s5_empty_package_rejected(void **state)
{
    (void)state;
    const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), ERR_CORRUPT);
    assert_true(klog_contains("\\_S5_ package empty"));
}

static void test_acpi_s5_multibyte_pkg_length_decoded(void **state)
{
    (void)state;
    /* PkgLength 0x47 0x00: one follow byte, length 7 (lead nibble 7, follow 0). */
    const uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x47, 0x00, 0x02, 0x0a, 0x03,
                            0x0a, 0x04 };
    struct acpi_s5 s5;
    assert_int_equal(s5_in(aml, sizeof(aml), &s5), 0);
    assert_int_equal(s5.slp_typa, 3);
    assert_int_equal(s5.slp_typb, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_acpi_rsdp_v1_valid_returns_rsdt, setup),
        cmocka_unit_test_setup(test_acpi_rsdp_v2_valid_returns_xsdt, setup),
        cmocka_unit_test_setup(test_acpi_rsdp_bad_checksum_rejected, setup),
        cmocka_unit_test_setup(test_acpi_rsdp_bad_extended_checksum_rejected, setup),
        cmocka_unit_test_setup(test_acpi_rsdp_v2_length_beyond_buffer_rejected, setup),
        cmocka_unit_test_setup(test_acpi_rsdp_no_signature_returns_noent_silently, setup),
        cmocka_unit_test_setup(test_acpi_table_valid_table_accepted, setup),
        cmocka_unit_test_setup(test_acpi_table_bad_checksum_rejected, setup),
        cmocka_unit_test_setup(test_acpi_table_length_below_header_rejected, setup),
        cmocka_unit_test_setup(test_acpi_table_length_above_cap_rejected, setup),
        cmocka_unit_test_setup(test_acpi_table_truncated_buffer_asks_for_more, setup),
        cmocka_unit_test_setup(test_acpi_table_header_truncated_rejected, setup),
        cmocka_unit_test_setup(test_acpi_table_other_signature_returns_noent, setup),
        cmocka_unit_test_setup(test_acpi_sdt_entries_rsdt_and_xsdt, setup),
        cmocka_unit_test_setup(test_acpi_fadt_v1_decodes_pm_ports, setup),
        cmocka_unit_test_setup(test_acpi_fadt_v3_decodes_reset_register, setup),
        cmocka_unit_test_setup(test_acpi_fadt_x_dsdt_wins_when_set, setup),
        cmocka_unit_test_setup(test_acpi_fadt_too_short_rejected, setup),
        cmocka_unit_test_setup(test_acpi_fadt_missing_pm1a_rejected, setup),
        cmocka_unit_test_setup(test_acpi_fadt_port_above_64k_rejected, setup),
        cmocka_unit_test_setup(test_acpi_s5_byte_prefix_values_decoded, setup),
        cmocka_unit_test_setup(test_acpi_s5_zero_and_one_ops_decoded, setup),
        cmocka_unit_test_setup(test_acpi_s5_root_prefixed_name_decoded, setup),
        cmocka_unit_test_setup(test_acpi_s5_single_element_split_into_bytes, setup),
        cmocka_unit_test_setup(test_acpi_s5_reference_before_definition_skipped, setup),
        cmocka_unit_test_setup(test_acpi_s5_missing_returns_noent, setup),
        cmocka_unit_test_setup(test_acpi_s5_package_past_table_end_rejected, setup),
        cmocka_unit_test_setup(test_acpi_s5_byte_prefix_cut_off_rejected, setup),
        cmocka_unit_test_setup(test_acpi_s5_value_above_seven_rejected, setup),
        cmocka_unit_test_setup(test_acpi_s5_empty_package_rejected, setup),
        cmocka_unit_test_setup(test_acpi_s5_multibyte_pkg_length_decoded, setup),
    };
    return cmocka_run_group_tests_name("acpi_parse", tests, NULL, NULL);
}
