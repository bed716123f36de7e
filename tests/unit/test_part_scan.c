// SPDX-License-Identifier: MIT
/* The scan driver (blkdev/part.c): argument checks, the decision on LBA 0 and
 * the whole-media fallback. Superfloppies come from mkfs.fat, the empty disk
 * from truncate; NTFS/exFAT boot sectors (no mkfs for them here) and the
 * edge cases are built in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#include "part_check.h"

static void check_whole(const char *name, const char *why)
{
    struct part_img img;
    char line[160];

    part_img_run(name, &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(img.t.kind, PART_KIND_WHOLE);
    assert_int_equal(part_check_rows(&img), 1);
    assert_int_equal(img.t.parts[0].number, 1);
    assert_int_equal(img.t.parts[0].first_lba, 0);
    assert_int_equal(img.t.parts[0].count_sectors, img.f.reader.capacity_sectors);
    ksnprintf(line, sizeof(line), "part: %s: no partition table, using the whole media (%s", name,
              why);
    assert_true(klog_contains(line));
    assert_int_equal(img.f.reads, 1);
    part_img_done(&img);
}

static void test_scan_fat16_superfloppy_is_whole_media(void **state)
{
    (void)state;
    check_whole("fat16_floppy", "file-system boot sector in LBA 0");
}

static void test_scan_fat32_superfloppy_is_whole_media(void **state)
{
    (void)state;
    check_whole("fat32_floppy", "file-system boot sector in LBA 0");
}

static void test_scan_fat12_floppy_is_whole_media(void **state)
{
    (void)state;
    check_whole("fat12_floppy", "file-system boot sector in LBA 0");
}

static void test_scan_boot_sector_with_garbage_entries_is_whole_media(void **state)
{
    (void)state;
    check_whole("fat16_garbage", "file-system boot sector in LBA 0");
}

static void test_scan_all_zero_disk_is_whole_media(void **state)
{
    (void)state;
    check_whole("empty", "empty media: LBA 0 is all zeros");
}

/* ---- synthetic LBA 0 -------------------------------------------------------------------- */

#define MEM_SECTORS 2048

static uint8_t *mem_lba0(struct fake_sector_reader *f)
{
    assert_int_equal(fsr_init_memory(f, MEM_SECTORS, 512, "mem"), 0);
    return f->mem;
}

/* An entry that a real table would never have (starts at LBA 0) but with a
 * valid boot flag, so only the BPB test can tell this sector is no MBR. */
static void put_bad_entry(uint8_t *s)
{
    s[446 + 4] = 0x07;
    put_le32(s, 446 + 12, 100);
    put_le16(s, 510, 0xaa55);
}

static void scan_expect_kind(struct fake_sector_reader *f, enum part_kind kind, unsigned count)
{
    struct part_table t;

    klog_clear();
    assert_int_equal(part_scan(&f->reader, &t), 0);
    assert_int_equal(t.kind, kind);
    assert_int_equal(t.count, count);
    if (kind == PART_KIND_WHOLE)
        assert_int_equal(t.parts[0].count_sectors, MEM_SECTORS);
    part_table_free(&t);
    assert_null(t.parts);
    fsr_close(f);
}

static void test_scan_ntfs_boot_sector_is_whole_media(void **state)
{
    struct fake_sector_reader f;
    uint8_t *s = mem_lba0(&f);
    (void)state;

    s[0] = 0xeb;
    memcpy(s + 3, "NTFS    ", 8);
    put_le16(s, 11, 512);
    s[13] = 0xf4; /* 2^12 sectors per cluster, NTFS's negative encoding */
    put_bad_entry(s);
    scan_expect_kind(&f, PART_KIND_WHOLE, 1);
}

static void test_scan_exfat_boot_sector_is_whole_media(void **state)
{
    struct fake_sector_reader f;
    uint8_t *s = mem_lba0(&f);
    (void)state;

    s[0] = 0xeb;
    memcpy(s + 3, "EXFAT   ", 8);
    s[108] = 9; /* 512-byte sectors */
    s[109] = 3; /* 8 sectors per cluster */
    put_bad_entry(s);
    scan_expect_kind(&f, PART_KIND_WHOLE, 1);
}

/* grub-mkrescue / isohybrid: a valid MBR whose entry points into the ISO. */
static void test_scan_hybrid_iso_with_mbr_is_whole_media(void **state)
{
    struct fake_sector_reader f;
    uint8_t *s = mem_lba0(&f);
    (void)state;

    s[446] = 0x80;
    s[446 + 4] = 0xcd;
    put_le32(s, 446 + 8, 1);
    put_le32(s, 446 + 12, MEM_SECTORS - 1);
    put_le16(s, 510, 0xaa55);
    memcpy(f.mem + 32768, "\x01" "CD001" "\x01", 7);
    scan_expect_kind(&f, PART_KIND_WHOLE, 1);
}

static void test_scan_jump_without_sane_bpb_is_mbr(void **state)
{
    struct fake_sector_reader f;
    uint8_t *s = mem_lba0(&f);
    (void)state;

    s[0] = 0xeb; /* GRUB-style boot code, BPB area zero */
    put_bad_entry(s);
    scan_expect_kind(&f, PART_KIND_MBR, 0);
    /* the mem reader was closed; the skip left its line */
    assert_true(klog_contains("mbr: mem: partition 1 starts on its own table sector, skipped"));
}

static void test_scan_bpb_with_plausible_table_is_mbr(void **state)
{
    struct fake_sector_reader f;
    uint8_t *s = mem_lba0(&f);
    (void)state;

    s[0] = 0xeb;
    put_le16(s, 11, 512);
    s[13] = 4;
    put_le16(s, 14, 1);
    s[16] = 2;
    s[446 + 4] = 0x0c;
    put_le32(s, 446 + 8, 64);
    put_le32(s, 446 + 12, 1000);
    put_le16(s, 510, 0xaa55);
    scan_expect_kind(&f, PART_KIND_MBR, 1);
}

static void test_scan_bad_boot_flag_is_whole_media(void **state)
{
    struct fake_sector_reader f;
    uint8_t *s = mem_lba0(&f);
    (void)state;

    s[446 + 16] = 0x41; /* slot 2 */
    s[446 + 4] = 0x83;
    put_le32(s, 446 + 8, 64);
    put_le32(s, 446 + 12, 1000);
    put_le16(s, 510, 0xaa55);
    scan_expect_kind(&f, PART_KIND_WHOLE, 1);
    assert_true(klog_contains("(invalid boot flag in LBA 0, not a partition table"));
}

static void test_scan_no_signature_is_whole_media(void **state)
{
    struct fake_sector_reader f;
    uint8_t *s = mem_lba0(&f);
    (void)state;

    memset(s, 0x5a, 512);
    scan_expect_kind(&f, PART_KIND_WHOLE, 1);
    assert_true(klog_contains("(no 0x55AA signature in LBA 0"));
}

static void test_scan_protective_mbr_on_one_sector_disk_is_corrupt(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    assert_int_equal(fsr_init_memory(&f, 1, 512, "tiny"), 0);
    f.mem[446 + 4] = 0xee;
    put_le32(f.mem, 446 + 8, 1);
    put_le32(f.mem, 446 + 12, 0xffffffffu);
    put_le16(f.mem, 510, 0xaa55);
    klog_clear();
    assert_int_equal(part_scan(&f.reader, &t), ERR_CORRUPT);
    assert_int_equal(f.out_of_range, 0);
    assert_true(klog_contains("gpt: tiny: header read failed (lba 1, ERR_RANGE)"));
    assert_true(klog_contains("gpt: tiny: no usable GPT header, no partitions (primary "
                              "ERR_CORRUPT, backup none)"));
    fsr_close(&f);
}

static void test_scan_bad_reader_geometry_is_inval(void **state)
{
    struct fake_sector_reader f;
    struct part_table t;
    (void)state;

    assert_int_equal(fsr_init_memory(&f, 16, 512, "geo"), 0);
    assert_int_equal(part_scan(NULL, &t), ERR_INVAL);
    assert_int_equal(t.count, 0);
    assert_int_equal(part_scan(&f.reader, NULL), ERR_INVAL);
    f.reader.sector_size = 520;
    klog_clear();
    assert_int_equal(part_scan(&f.reader, &t), ERR_INVAL);
    assert_true(klog_contains("part: geo: unsupported sector size (520, want a power of two in "
                              "512..4096)"));
    f.reader.sector_size = 8192;
    assert_int_equal(part_scan(&f.reader, &t), ERR_INVAL);
    f.reader.sector_size = 512;
    f.reader.capacity_sectors = 0;
    assert_int_equal(part_scan(&f.reader, &t), ERR_INVAL);
    assert_true(klog_contains("part: geo: media has no sectors (capacity 0)"));
    assert_int_equal(f.reads, 0);
    fsr_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_fat16_superfloppy_is_whole_media),
        cmocka_unit_test(test_scan_fat32_superfloppy_is_whole_media),
        cmocka_unit_test(test_scan_fat12_floppy_is_whole_media),
        cmocka_unit_test(test_scan_boot_sector_with_garbage_entries_is_whole_media),
        cmocka_unit_test(test_scan_all_zero_disk_is_whole_media),
        cmocka_unit_test(test_scan_ntfs_boot_sector_is_whole_media),
        cmocka_unit_test(test_scan_exfat_boot_sector_is_whole_media),
        cmocka_unit_test(test_scan_hybrid_iso_with_mbr_is_whole_media),
        cmocka_unit_test(test_scan_jump_without_sane_bpb_is_mbr),
        cmocka_unit_test(test_scan_bpb_with_plausible_table_is_mbr),
        cmocka_unit_test(test_scan_bad_boot_flag_is_whole_media),
        cmocka_unit_test(test_scan_no_signature_is_whole_media),
        cmocka_unit_test(test_scan_protective_mbr_on_one_sector_disk_is_corrupt),
        cmocka_unit_test(test_scan_bad_reader_geometry_is_inval),
    };
    return cmocka_run_group_tests_name("part_scan", tests, part_group_setup, NULL);
}
