// SPDX-License-Identifier: MIT
/* GPT scanning (blkdev/part_gpt.c through part_scan) and the CRC-32 it relies
 * on. Images made by sgdisk and fdisk -b 4096 are compared with the tools'
 * dump; corrupt variants are patched by the image script (CRC flips, absurd
 * count/size) or here, on a memory copy, with the CRCs recomputed so that
 * only the named field is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernel/lib/crc32.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#include "part_check.h"

/* ---- patching a memory copy --------------------------------------------------------------- */

static uint8_t *img_sector(struct part_img *img, lba_t lba)
{
    return img->f.mem + lba * img->f.reader.sector_size;
}

/* Entry i of the array named by the header at hdr_lba. */
static uint8_t *img_entry(struct part_img *img, lba_t hdr_lba, uint32_t i)
{
    const uint8_t *h = img_sector(img, hdr_lba);
    return img_sector(img, le64_at(h, 72)) + (size_t)i * le32_at(h, 84);
}

/* Recompute the entry array CRC and then the header CRC (UEFI 2.6 §5.3.2). */
static void img_seal(struct part_img *img, lba_t hdr_lba)
{
    uint8_t *h = img_sector(img, hdr_lba);
    uint32_t bytes = le32_at(h, 80) * le32_at(h, 84);

    put_le32(h, 88, crc32_ieee(0, img_entry(img, hdr_lba, 0), bytes));
    put_le32(h, 16, 0);
    put_le32(h, 16, crc32_ieee(0, h, le32_at(h, 12)));
}

/* ---- CRC-32 and formatting ---------------------------------------------------------------- */

static void test_crc32_check_value_matches_ieee(void **state)
{
    (void)state;
    assert_int_equal(crc32_ieee(0, "123456789", 9), 0xcbf43926u);
    assert_int_equal(crc32_ieee(crc32_ieee(0, "1234", 4), "56789", 5), 0xcbf43926u);
    assert_int_equal(crc32_ieee(0, NULL, 0), 0);
}

static void test_part_format_type_guid_is_mixed_endian_lowercase(void **state)
{
    /* EFI System Partition type as stored on disk (UEFI 2.6 Table 19). */
    static const uint8_t esp[16] = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
                                    0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b};
    struct part_info p = {.kind = PART_KIND_GPT};
    char buf[PART_TYPE_STR_BYTES];
    (void)state;

    memcpy(p.gpt_type_guid, esp, 16);
    assert_int_equal(part_format_type(&p, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "gpt:c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
    assert_int_equal(part_format_type(&p, buf, 10), ERR_NOSPC);
    assert_string_equal(buf, "gpt:c12a7");
    p.kind = PART_KIND_MBR;
    p.mbr_type = 0x0c;
    assert_int_equal(part_format_type(&p, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "mbr:0x0c");
    p.kind = PART_KIND_WHOLE;
    assert_int_equal(part_format_type(&p, buf, sizeof(buf)), 0);
    assert_string_equal(buf, "whole");
    p.kind = PART_KIND_NONE;
    assert_int_equal(part_format_type(&p, buf, sizeof(buf)), ERR_INVAL);
}

/* ---- images from the tools --------------------------------------------------------------- */

static void test_gpt_128_entries_used_ones_numbered_in_array_order(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("gpt128", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(img.t.kind, PART_KIND_GPT);
    assert_int_equal(part_check_rows(&img), 40);
    part_check_disk_id(&img);
    assert_false(img.t.gpt_used_backup);
    assert_int_equal(img.t.gpt_header_lba, 1);
    /* Entries 21-29 are unused: entry 30 is partition 21. */
    assert_int_equal(img.t.parts[20].number, 21);
    assert_int_equal(img.t.parts[20].table_index, 30);
    /* The name with a surrogate pair came through as 4-byte UTF-8. */
    assert_string_equal(img.t.parts[0].name,
                        "Donn\xc3\xa9" "es \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    /* LBA 0, header, and the whole 16 KiB array in one request. */
    assert_int_equal(img.f.reads, 3);
    assert_int_equal(img.f.max_count, 32);
    part_img_done(&img);
}

static void test_gpt_bad_header_crc_uses_backup(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("gpt_bad_primary", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(part_check_rows(&img), 40);
    assert_true(img.t.gpt_used_backup);
    assert_int_equal(img.t.gpt_header_lba, img.e.capacity - 1);
    assert_true(klog_contains("gpt: gpt_bad_primary: header CRC mismatch (lba 1, stored 0x"));
    assert_true(klog_contains("gpt: gpt_bad_primary: primary header unusable, trying the backup "
                              "at LBA 131071 (last LBA of the disk)"));
    assert_true(klog_contains("gpt: gpt_bad_primary: using the backup GPT header (lba 131071)"));
    part_img_done(&img);
}

static void test_gpt_both_header_crcs_bad_is_corrupt(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("gpt_bad_both", &img);
    assert_int_equal(img.err, ERR_CORRUPT);
    assert_int_equal(img.t.count, 0);
    assert_null(img.t.parts);
    assert_int_equal(img.t.kind, PART_KIND_NONE);
    assert_true(klog_contains("gpt: gpt_bad_both: header CRC mismatch (lba 131071"));
    assert_true(klog_contains("gpt: gpt_bad_both: no usable GPT header, no partitions "
                              "(primary ERR_CORRUPT, backup ERR_CORRUPT)"));
    part_img_done(&img);
}

static void test_gpt_absurd_entry_count_rejected_backup_from_alternate_lba(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("gpt_bad_count", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(part_check_rows(&img), 40);
    assert_true(img.t.gpt_used_backup);
    assert_true(klog_contains("gpt: gpt_bad_count: entry count out of range (lba 1, 1048576 "
                              "entries of 128 bytes, max 1048576 bytes)"));
    assert_true(klog_contains("trying the backup at LBA 131071 (AlternateLBA of the primary)"));
    part_img_done(&img);
}

static void test_gpt_bad_entry_size_in_both_headers_is_corrupt(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("gpt_bad_size", &img);
    assert_int_equal(img.err, ERR_CORRUPT);
    assert_int_equal(img.t.count, 0);
    assert_true(klog_contains("gpt: gpt_bad_size: entry size invalid (lba 1, 100,"));
    assert_true(klog_contains("gpt: gpt_bad_size: entry size invalid (lba 131071, 129,"));
    part_img_done(&img);
}

static void test_gpt_4k_sectors_header_at_lba1(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("gpt4k", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(img.f.reader.sector_size, 4096);
    assert_int_equal(part_check_rows(&img), 4);
    part_check_disk_id(&img);
    assert_int_equal(img.t.gpt_header_lba, 1);
    assert_int_equal(img.f.max_count, 4); /* 128 entries * 128 bytes / 4096 */
    part_img_done(&img);
}

static void test_gpt_hybrid_mbr_gpt_wins(void **state)
{
    struct part_img img;
    (void)state;

    part_img_run("gpt_hybrid", &img);
    assert_int_equal(img.err, 0);
    assert_int_equal(img.t.kind, PART_KIND_GPT);
    assert_int_equal(part_check_rows(&img), 3);
    part_img_done(&img);
}

/* ---- patched copies ------------------------------------------------------------------------ */

static void test_gpt_entry_outside_usable_range_skipped_and_logged(void **state)
{
    struct part_img img;
    (void)state;

    part_img_open("gpt128", &img, true);
    put_le64(img_entry(&img, 1, 2), 40, le64_at(img_sector(&img, 1), 48) + 1);
    img_seal(&img, 1);
    part_img_scan(&img);
    assert_int_equal(img.err, 0);
    assert_false(img.t.gpt_used_backup);
    assert_int_equal(img.t.count, 39);
    assert_int_equal(img.t.parts[2].table_index, 4);
    assert_true(klog_contains("gpt: gpt128: entry 3 outside the usable range, skipped (first "
                              "6144, last 131039, usable 34..131038)"));
    part_img_done(&img);
}

static void test_gpt_array_crc_mismatch_uses_backup(void **state)
{
    struct part_img img;
    (void)state;

    part_img_open("gpt4k", &img, true);
    img_entry(&img, 1, 0)[56] ^= 1; /* a name byte; header CRC stays valid */
    part_img_scan(&img);
    assert_int_equal(img.err, 0);
    assert_true(img.t.gpt_used_backup);
    assert_int_equal(part_check_rows(&img), 4);
    assert_true(klog_contains("gpt: gpt4k: entry array CRC mismatch (header lba 1"));
    assert_true(klog_contains("trying the backup at LBA 8191 (AlternateLBA of the primary)"));
    part_img_done(&img);
}

static void test_gpt_unpaired_surrogate_in_name_becomes_replacement(void **state)
{
    struct part_img img;
    uint8_t *e;
    (void)state;

    part_img_open("gpt4k", &img, true);
    e = img_entry(&img, 1, 0);
    put_le16(e, 56, 'A');
    put_le16(e, 58, 0xd800); /* high surrogate followed by 'B' */
    put_le16(e, 60, 'B');
    put_le16(e, 62, 0xdc00); /* lone low surrogate */
    put_le16(e, 64, 0);
    img_seal(&img, 1);
    part_img_scan(&img);
    assert_int_equal(img.err, 0);
    assert_string_equal(img.t.parts[0].name, "A\xef\xbf\xbd" "B\xef\xbf\xbd");
    part_img_done(&img);
}

static void test_gpt_more_than_256_used_entries_capped(void **state)
{
    struct part_img img;
    uint8_t *h;
    (void)state;

    /* gpt4k: array at LBA 2, first usable 256, partitions up to 2559. Grow
     * the array to 300 entries (10 sectors) and fill 4..299 with 1-sector
     * partitions from LBA 3000 on. */
    part_img_open("gpt4k", &img, true);
    h = img_sector(&img, 1);
    put_le32(h, 80, 300);
    for (uint32_t i = 4; i < 300; i++) {
        uint8_t *e = img_entry(&img, 1, i);
        memcpy(e, img_entry(&img, 1, 1), 128);
        e[16] = (uint8_t)i; /* distinct unique GUIDs */
        put_le64(e, 32, 3000 + i);
        put_le64(e, 40, 3000 + i);
    }
    img_seal(&img, 1);
    part_img_scan(&img);
    assert_int_equal(img.err, 0);
    assert_false(img.t.gpt_used_backup);
    assert_int_equal(img.t.count, PART_MAX_PARTITIONS);
    assert_int_equal(img.t.parts[255].table_index, 256);
    assert_true(klog_contains("gpt: gpt4k: too many partitions, ignoring the rest (max 256)"));
    part_img_done(&img);
}

static void test_gpt_array_read_error_uses_backup(void **state)
{
    struct part_img img;
    (void)state;

    part_img_open("gpt128", &img, false);
    img.f.fail_enabled = true;
    img.f.fail_lba = 2;
    img.f.fail_err = ERR_IO;
    part_img_scan(&img);
    assert_int_equal(img.err, 0);
    assert_true(img.t.gpt_used_backup);
    assert_int_equal(part_check_rows(&img), 40);
    assert_true(klog_contains("gpt: gpt128: entry array read failed (lba 2, 32 sectors, ERR_IO)"));
    part_img_done(&img);
}

static void test_gpt_media_gone_during_header_read_aborts(void **state)
{
    struct part_img img;
    (void)state;

    part_img_open("gpt128", &img, false);
    img.f.fail_enabled = true;
    img.f.fail_lba = 1;
    img.f.fail_err = ERR_NOMEDIA;
    part_img_scan(&img);
    assert_int_equal(img.err, ERR_NOMEDIA);
    assert_int_equal(img.t.count, 0);
    assert_int_equal(img.f.reads, 2); /* no backup attempt */
    part_img_done(&img);
}

static void test_gpt_header_mylba_mismatch_rejected(void **state)
{
    struct part_img img;
    (void)state;

    part_img_open("gpt128", &img, true);
    put_le64(img_sector(&img, 1), 24, 7);
    img_seal(&img, 1);
    part_img_scan(&img);
    assert_int_equal(img.err, 0);
    assert_true(img.t.gpt_used_backup);
    assert_true(klog_contains("gpt: gpt128: header MyLBA mismatch (read at 1, stored 7)"));
    part_img_done(&img);
}

static void test_gpt_usable_range_past_disk_rejected(void **state)
{
    struct part_img img;
    (void)state;

    part_img_open("gpt128", &img, true);
    put_le64(img_sector(&img, 1), 48, img.e.capacity);
    img_seal(&img, 1);
    part_img_scan(&img);
    assert_int_equal(img.err, 0);
    assert_true(img.t.gpt_used_backup);
    assert_true(klog_contains("gpt: gpt128: usable range invalid (lba 1, first 34, last 131072, "
                              "capacity 131072)"));
    part_img_done(&img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_check_value_matches_ieee),
        cmocka_unit_test(test_part_format_type_guid_is_mixed_endian_lowercase),
        cmocka_unit_test(test_gpt_128_entries_used_ones_numbered_in_array_order),
        cmocka_unit_test(test_gpt_bad_header_crc_uses_backup),
        cmocka_unit_test(test_gpt_both_header_crcs_bad_is_corrupt),
        cmocka_unit_test(test_gpt_absurd_entry_count_rejected_backup_from_alternate_lba),
        cmocka_unit_test(test_gpt_bad_entry_size_in_both_headers_is_corrupt),
        cmocka_unit_test(test_gpt_4k_sectors_header_at_lba1),
        cmocka_unit_test(test_gpt_hybrid_mbr_gpt_wins),
        cmocka_unit_test(test_gpt_entry_outside_usable_range_skipped_and_logged),
        cmocka_unit_test(test_gpt_array_crc_mismatch_uses_backup),
        cmocka_unit_test(test_gpt_unpaired_surrogate_in_name_becomes_replacement),
        cmocka_unit_test(test_gpt_more_than_256_used_entries_capped),
        cmocka_unit_test(test_gpt_array_read_error_uses_backup),
        cmocka_unit_test(test_gpt_media_gone_during_header_read_aborts),
        cmocka_unit_test(test_gpt_header_mylba_mismatch_rejected),
        cmocka_unit_test(test_gpt_usable_range_past_disk_rejected),
    };
    return cmocka_run_group_tests_name("part_gpt", tests, part_group_setup, NULL);
}
