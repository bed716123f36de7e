// SPDX-License-Identifier: MIT
/* MBR/EBR scanning (blkdev/part_mbr.c through part_scan). Images made by
 * sfdisk/fdisk in tests/images/make-part-images.sh are compared with the
 * tools' own dump; small synthetic disks in memory cover the failure paths
 * that no tool writes (read errors, loops, links out of range, overlaps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"
#include "tests/host/kmem_host.h"

#include "part_check.h"

#define MEM_SECTORS 4096

/* ---- synthetic disks ------------------------------------------------------------------- */

static uint8_t *mem_sector(struct fake_sector_reader *f, lba_t lba)
{
    return f->mem + lba * f->reader.sector_size;
}

static void mem_entry(struct fake_sector_reader *f, lba_t lba, unsigned slot, uint8_t type,
                      uint32_t start, uint32_t len)
{
    uint8_t *s = mem_sector(f, lba);
    uint8_t *e = s + 446 + slot * 16;

    e[4] = type;
    put_le32(e, 8, start);
    put_le32(e, 12, len);
    put_le16(s, 510, 0xaa55);
}

/* MBR: primary 64+64 in slot 1, extended 1024+2048 in slot 2; EBRs at 1024,
 * 1224, 1424, each with a 100-sector logical right behind it. */
static void mem_three_logicals(struct fake_sector_reader *f)
{
    assert_int_equal(fsr_init_memory(f, MEM_SECTORS, 512, "mem"), 0);
    mem_entry(f, 0, 0, 0x83, 64, 64);
    mem_entry(f, 0, 1, 0x05, 1024, 2048);
    mem_entry(f, 1024, 0, 0x83, 1, 100);
    mem_entry(f, 1024, 1, 0x05, 200, 300);
    mem_entry(f, 1224, 0, 0x07, 1, 100);
    mem_entry(f, 1224, 1, 0x05, 400, 300);
    mem_entry(f, 1424, 0, 0x0b, 1, 100);
}

static void scan_mem(struct fake_sector_reader *f, struct part_table *t, int want_err)
{
    klog_clear();
    assert_int_equal(part_scan(&f->reader, t), want_err);
    assert_int_equal(f->out_of_range, 0);
}

/* ---- images from the tools --------------------------------------------------------------- */

static void test_mbr_primaries_numbered_in_slot_order(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("mbr_primary", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(img.t.kind, PART_KIND_MBR);
    assert_int_equal(part_check_rows(&img), 3);
    part_check_disk_id(&img);
    /* Slot 2 is empty: slot 3 is partition 2, not 3. */
    assert_int_equal(img.t.parts[1].number, 2);
    assert_int_equal(img.t.parts[1].table_index, 3);
    part_img_done(&img);
}

static void test_mbr_thirteen_logicals_numbered_after_primaries(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("mbr_logical", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(part_check_rows(&img), 16);
    part_check_disk_id(&img);
    /* Partitions 10..16 exist: logicals 7..13 (Linux sda11..sda17). */
    assert_int_equal(img.t.parts[9].number, 10);
    assert_int_equal(img.t.parts[9].table_index, 11);
    assert_int_equal(img.t.parts[15].number, 16);
    assert_int_equal(img.t.parts[15].table_index, 17);
    /* LBA 0 + one read per EBR, nothing else. */
    assert_int_equal(img.f.reads, 1 + 13);
    part_img_done(&img);
}

static void test_mbr_ebr_loop_stops_chain_and_logs(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("mbr_loop", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(part_check_rows(&img), 3 + 4);
    assert_true(klog_contains("ebr: mbr_loop: chain loops back to an EBR already read"));
    assert_int_equal(img.f.reads, 1 + 4); /* the repeated EBR is not read again */
    part_img_done(&img);
}

static void test_mbr_entries_past_end_clamped_or_skipped(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("mbr_beyond", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(part_check_rows(&img), 2);
    assert_true(img.t.parts[1].clamped);
    assert_true(klog_contains("mbr: mbr_beyond: partition 2 has length 0, skipped"));
    assert_true(klog_contains("mbr: mbr_beyond: partition 3 runs past the end of the disk, "
                              "clamped (first 40960, count 20480, capacity 49152)"));
    assert_true(klog_contains("mbr: mbr_beyond: partition 4 starts beyond the end of the disk, "
                              "skipped (first 61440, capacity 49152)"));
    part_img_done(&img);
}

static void test_mbr_4k_sectors_with_logicals(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("mbr4k", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(img.f.reader.sector_size, 4096);
    assert_int_equal(part_check_rows(&img), 5);
    part_check_disk_id(&img);
    part_img_done(&img);
}

/* ---- synthetic failure paths ------------------------------------------------------------- */

static void test_mbr_synthetic_chain_found_in_order(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    mem_three_logicals(&f);
    scan_mem(&f, &t, 0);
    assert_int_equal(t.count, 4);
    assert_int_equal(t.parts[1].first_lba, 1025);
    assert_int_equal(t.parts[2].first_lba, 1225);
    assert_int_equal(t.parts[3].first_lba, 1425);
    assert_int_equal(t.parts[3].table_index, 7);
    assert_int_equal(t.parts[3].mbr_type, 0x0b);
    part_table_free(&t);
    fsr_close(&f);
}

static void test_mbr_ebr_read_error_keeps_earlier_partitions(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    mem_three_logicals(&f);
    f.fail_enabled = true;
    f.fail_lba = 1224;
    f.fail_err = ERR_IO;
    scan_mem(&f, &t, 0);
    assert_int_equal(t.count, 2);
    assert_int_equal(t.parts[1].first_lba, 1025);
    assert_true(klog_contains("ebr: mem: read failed, chain stopped (lba 1224, ERR_IO)"));
    part_table_free(&t);
    fsr_close(&f);
}

static void test_mbr_ebr_media_gone_aborts_scan(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    mem_three_logicals(&f);
    f.fail_enabled = true;
    f.fail_lba = 1424;
    f.fail_err = ERR_NOMEDIA;
    scan_mem(&f, &t, ERR_NOMEDIA);
    assert_int_equal(t.count, 0);
    assert_null(t.parts);
    assert_int_equal(t.kind, PART_KIND_NONE);
    fsr_close(&f);
}

static void test_mbr_lba0_unknown_reader_code_is_io(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    mem_three_logicals(&f);
    f.fail_enabled = true;
    f.fail_lba = 0;
    f.fail_err = 7; /* not an ERR_* value */
    scan_mem(&f, &t, ERR_IO);
    assert_int_equal(t.count, 0);
    assert_true(klog_contains("part: mem: cannot read LBA 0 (ERR_IO)"));
    fsr_close(&f);
}

static void test_mbr_bad_ebr_signature_stops_chain(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    mem_three_logicals(&f);
    put_le16(mem_sector(&f, 1424), 510, 0x1234);
    scan_mem(&f, &t, 0);
    assert_int_equal(t.count, 3);
    assert_true(klog_contains("ebr: mem: bad signature, chain stopped (lba 1424, found 0x1234)"));
    part_table_free(&t);
    fsr_close(&f);
}

static void test_mbr_link_outside_extended_stops_chain(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    mem_three_logicals(&f);
    mem_entry(&f, 1224, 1, 0x05, 2048, 300); /* extended is 2048 long: just outside */
    scan_mem(&f, &t, 0);
    assert_int_equal(t.count, 3);
    assert_true(klog_contains("ebr: mem: link outside the extended partition, chain stopped "
                              "(lba 1224, offset 2048, extended first 1024 count 2048)"));
    part_table_free(&t);
    fsr_close(&f);
}

static void test_mbr_chain_longer_than_cap_stops_at_256_ebrs(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    assert_int_equal(fsr_init_memory(&f, 1024, 512, "mem"), 0);
    mem_entry(&f, 0, 0, 0x05, 2, 1000);
    for (unsigned i = 0; i < 300; i++) {
        mem_entry(&f, 2 + 2 * i, 0, 0x83, 1, 1);
        mem_entry(&f, 2 + 2 * i, 1, 0x05, 2 * (i + 1), 2);
    }
    scan_mem(&f, &t, 0);
    assert_int_equal(t.count, PART_MAX_EBRS);
    /* LBA 0, LBA 64 (the extended partition starts below it: hybrid-ISO
     * probe), one read per EBR. */
    assert_int_equal(f.reads, 1 + 1 + PART_MAX_EBRS);
    assert_true(klog_contains("ebr: mem: too many EBRs, chain stopped (lba 514, max 256)"));
    part_table_free(&t);
    fsr_close(&f);
}

static void test_mbr_overlapping_partition_dropped_and_logged(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    assert_int_equal(fsr_init_memory(&f, MEM_SECTORS, 512, "mem"), 0);
    mem_entry(&f, 0, 0, 0x83, 64, 100);
    mem_entry(&f, 0, 1, 0x83, 163, 50); /* shares sector 163 with slot 1 */
    mem_entry(&f, 0, 2, 0x07, 164, 10);
    scan_mem(&f, &t, 0);
    assert_int_equal(t.count, 2);
    assert_int_equal(t.parts[1].number, 2);
    assert_int_equal(t.parts[1].table_index, 3);
    assert_true(klog_contains("mbr: mem: partition overlaps partition 1, skipped (first 163"));
    part_table_free(&t);
    fsr_close(&f);
}

static void test_mbr_entry_on_its_own_table_sector_skipped(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    mem_three_logicals(&f);
    mem_entry(&f, 1224, 0, 0x07, 0, 100); /* logical would start on its EBR */
    scan_mem(&f, &t, 0);
    assert_int_equal(t.count, 3);
    assert_int_equal(t.parts[2].first_lba, 1425);
    assert_int_equal(t.parts[2].table_index, 7); /* index 6 was taken by the skipped one */
    assert_true(klog_contains("ebr: mem: partition 6 starts on its own table sector, skipped "
                              "(lba 1224)"));
    part_table_free(&t);
    fsr_close(&f);
}

static void test_mbr_primary_after_extended_slot_numbered_before_logicals(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    /* Slot 1: extended 0x0F with one logical; slot 2: extended 0x85 with one
     * logical; slot 3: a primary. KolibriOS order: primary, then chains. */
    assert_int_equal(fsr_init_memory(&f, MEM_SECTORS, 512, "mem"), 0);
    mem_entry(&f, 0, 0, 0x0f, 100, 100);
    mem_entry(&f, 0, 1, 0x85, 300, 100);
    mem_entry(&f, 0, 2, 0x0c, 1000, 500);
    mem_entry(&f, 100, 0, 0x83, 2, 50);
    mem_entry(&f, 300, 0, 0x82, 2, 50);
    scan_mem(&f, &t, 0);
    assert_int_equal(t.count, 3);
    assert_int_equal(t.parts[0].first_lba, 1000);
    assert_int_equal(t.parts[0].table_index, 3);
    assert_int_equal(t.parts[1].first_lba, 102);
    assert_int_equal(t.parts[1].table_index, 5);
    assert_int_equal(t.parts[2].first_lba, 302);
    assert_int_equal(t.parts[2].table_index, 6);
    assert_int_equal(t.parts[2].mbr_type, 0x82);
    part_table_free(&t);
    fsr_close(&f);
}

static void test_mbr_signature_without_entries_has_no_partitions(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    assert_int_equal(fsr_init_memory(&f, MEM_SECTORS, 512, "mem"), 0);
    put_le16(mem_sector(&f, 0), 510, 0xaa55);
    scan_mem(&f, &t, 0);
    assert_int_equal(t.kind, PART_KIND_MBR);
    assert_int_equal(t.count, 0);
    assert_null(t.parts);
    assert_true(klog_contains("mbr: mem: partition table has no usable partitions"));
    fsr_close(&f);
}

static void test_mbr_out_of_memory_on_each_allocation_is_nomem(void **state)
{
    (void)state;

    /* Allocations: sector buffer, partition array, EBR visited set. */
    for (unsigned n = 1; n <= 3; n++) {
        struct fake_sector_reader f;
        struct part_table t;
        long live;

        mem_three_logicals(&f);
        kmem_host_reset();
        live = kmem_host_live();
        kmem_host_fail_nth(n, false);
        scan_mem(&f, &t, ERR_NOMEM);
        kmem_host_fail_nth(0, false);
        assert_int_equal(t.count, 0);
        assert_null(t.parts);
        assert_int_equal(kmem_host_live(), live);
        fsr_close(&f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mbr_primaries_numbered_in_slot_order),
        cmocka_unit_test(test_mbr_thirteen_logicals_numbered_after_primaries),
        cmocka_unit_test(test_mbr_ebr_loop_stops_chain_and_logs),
        cmocka_unit_test(test_mbr_entries_past_end_clamped_or_skipped),
        cmocka_unit_test(test_mbr_4k_sectors_with_logicals),
        cmocka_unit_test(test_mbr_synthetic_chain_found_in_order),
        cmocka_unit_test(test_mbr_ebr_read_error_keeps_earlier_partitions),
        cmocka_unit_test(test_mbr_ebr_media_gone_aborts_scan),
        cmocka_unit_test(test_mbr_lba0_unknown_reader_code_is_io),
        cmocka_unit_test(test_mbr_bad_ebr_signature_stops_chain),
        cmocka_unit_test(test_mbr_link_outside_extended_stops_chain),
        cmocka_unit_test(test_mbr_chain_longer_than_cap_stops_at_256_ebrs),
        cmocka_unit_test(test_mbr_overlapping_partition_dropped_and_logged),
        cmocka_unit_test(test_mbr_entry_on_its_own_table_sector_skipped),
        cmocka_unit_test(test_mbr_primary_after_extended_slot_numbered_before_logicals),
        cmocka_unit_test(test_mbr_signature_without_entries_has_no_partitions),
        cmocka_unit_test(test_mbr_out_of_memory_on_each_allocation_is_nomem),
    };
    return cmocka_run_group_tests_name("part_mbr", tests, part_group_setup, NULL);
}
