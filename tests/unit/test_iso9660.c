// SPDX-License-Identifier: MIT
/* ISO 9660 against images made by xorriso (tests/images/make-iso-images.sh):
 * every file and folder of each image's manifest read back byte-exact and
 * every folder listed exactly (plain level 1/2, Joliet, Rock Ridge + Joliet,
 * Rock Ridge relocation, multi-extent), on 2048- and 512-byte sectors;
 * names (Rock Ridge over Joliet, UTF-16, version and dot cut, case), reads
 * at any offset, statfs, ERR_ROFS for every write; then damaged copies
 * (extents beyond the volume, bad record lengths, looped folders, huge
 * sizes, a looping continuation area, random byte flips in the first
 * 64 KiB): errors, never a crash or a hang. */
#include "tests/unit/image_check.h"

#include "fs/fat/fat.h"
#include "fs/fs_cmds.h"
#include "fs/iso9660/iso9660.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/shell/shell.h"
#include "tests/host/print_host.h"

#define IMAGES_SUBDIR "build/host/images/iso"
#define SCRIPT "tests/images/make-iso-images.sh"
#define BLOCK 2048u

static int group_setup(void **state)
{
    (void)state;
    if (ic_build_images(SCRIPT, IMAGES_SUBDIR) != 0)
        return -1;
    blkdev_init();
    fat_register(); /* as the kernel: FAT first, it must not claim a CD */
    iso9660_register();
    shell_init();
    fs_register_commands();
    return 0;
}

/* ---- images in the fake disk --------------------------------------------------------------- */

/* NAME.iso of the image folder; free(data) when done. */
static struct ic_img load_image(const char *name)
{
    return ic_load_image(IMAGES_SUBDIR, name, ".iso");
}

/* ---- manifest check -------------------------------------------------------------------------- */

/* Every manifest line of `image` must read back and list exactly. */
static void check_manifest(const char *image, uint32_t ss)
{
    unsigned files, dirs;
    ic_check_manifest(IMAGES_SUBDIR, image, ".iso", ss, "cdm", &files, &dirs);
    assert_true(files >= 3);
    assert_true(dirs >= 1);
}

static void test_iso9660_plain_level1_matches_manifest(void **state)
{
    (void)state;
    check_manifest("plain1", 2048);
}

static void test_iso9660_plain_level2_matches_manifest(void **state)
{
    (void)state;
    check_manifest("plain2", 2048);
}

static void test_iso9660_joliet_matches_manifest(void **state)
{
    (void)state;
    check_manifest("joliet", 2048);
}

static void test_iso9660_rock_ridge_joliet_matches_manifest(void **state)
{
    (void)state;
    check_manifest("rrjoliet", 2048);
}

static void test_iso9660_rock_ridge_relocated_folders_match_manifest(void **state)
{
    (void)state;
    check_manifest("rrmoved", 2048);
}

static void test_iso9660_multi_extent_file_matches_manifest(void **state)
{
    (void)state;
    check_manifest("multi", 2048);
}

static void test_iso9660_512_byte_sectors_match_manifest(void **state)
{
    (void)state;
    check_manifest("rrjoliet", 512);
    check_manifest("multi", 512);
}

/* ---- names, probe, statfs ------------------------------------------------------------------- */

static void open_image(struct ic_vol *c, struct ic_img *im, const char *image, const char *disk)
{
    *im = load_image(image);
    ic_vol_open(c, im, 2048, disk);
}

static void test_iso9660_probe_and_statfs_describe_volume(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    struct media *m;
    struct vfs_statfs st;
    (void)state;
    open_image(&c, &im, "rrjoliet", "cdp");
    ic_expect_part_fs(&c, "iso9660");
    assert_int_equal(disk_get_media(fake_disk_handle(c.f), &m), 0);
    assert_int_equal(media_part(m, 1)->kind, PART_KIND_WHOLE);
    media_put(m);
    assert_int_equal(vfs_statfs(c.root, &st), 0);
    assert_string_equal(st.fs_name, "iso9660");
    assert_int_equal(st.total_bytes, (uint64_t)le32_at(im.data, 16 * BLOCK + 80) * BLOCK);
    assert_int_equal(st.free_bytes, 0);
    assert_string_equal(st.label, "RRJOLIET");
    assert_true(klog_contains("iso9660: cdp/1: mounted"));
    assert_true(klog_contains("rock ridge names (joliet present)"));
    ic_vol_unload(&c, &im);
}

static void test_iso9660_rock_ridge_names_beat_joliet_length_limit(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    struct vfs_info info;
    char name[256];
    (void)state;
    open_image(&c, &im, "rrjoliet", "cdr");
    memset(name, 'n', 100);
    memset(name + 100, 'o', 100);
    strcpy(name + 200, ".long");
    assert_int_equal(vfs_get_info(ic_p(&c, name), &info), 0);
    assert_string_equal(info.name, name);
    assert_int_equal(info.size, 321);
    /* A character outside the BMP, and a name that only differs in case. */
    assert_int_equal(vfs_get_info(ic_p(&c, "SUB DIR/EMOJI 😀 NAME.TXT"), &info), 0);
    assert_string_equal(info.name, "emoji 😀 name.txt");
    assert_int_equal(vfs_get_info(ic_p(&c, "same.txt"), &info), 0);
    assert_int_equal(info.size, 10);
    assert_int_equal(vfs_get_info(ic_p(&c, "SAME.TXT"), &info), 0);
    assert_int_equal(info.size, 20);
    /* Times: xorriso recorded SOURCE_DATE_EPOCH, 2024-01-01 00:00:00 UTC. */
    ic_expect_new_year_2024(&info.mtime);
    ic_vol_unload(&c, &im);
}

static void test_iso9660_joliet_names_decode_utf16_and_ignore_case(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    struct vfs_info info;
    (void)state;
    open_image(&c, &im, "joliet", "cdj");
    assert_int_equal(vfs_get_info(ic_p(&c, "sub dir/КИРИЛЛИЦА.BIN"), &info), 0);
    assert_true(klog_contains("cdj/1: mounted") && klog_contains("joliet names"));
    assert_string_equal(info.name, "Кириллица.bin");
    assert_int_equal(info.size, 2049);
    assert_int_equal(vfs_get_info(ic_p(&c, "SUB DIR/ÜNÏCÖDÉ NÄME – ✓.TXT"), &info), 0);
    assert_string_equal(info.name, "Ünïcödé näme – ✓.txt");
    assert_int_equal(vfs_get_info(ic_p(&c, "Sub Dir/Nested Folder/../../hello.TXT"), &info), 0);
    assert_string_equal(info.name, "Hello.txt");
    ic_vol_unload(&c, &im);
}

static void test_iso9660_plain_names_lose_version_and_trailing_dot(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    struct vfs_info info;
    (void)state;
    open_image(&c, &im, "plain1", "cdq");
    /* xorriso stores "NOEXT.;1" (ECMA-119 §7.5.1). */
    assert_int_equal(vfs_get_info(ic_p(&c, "subdir/noext"), &info), 0);
    assert_string_equal(info.name, "NOEXT");
    assert_int_equal(vfs_get_info(ic_p(&c, "hello.txt"), &info), 0);
    assert_string_equal(info.name, "HELLO.TXT");
    assert_int_equal(vfs_get_info(ic_p(&c, "HELLO.TXT;1"), &info), ERR_NOENT);
    ic_expect_shell("ls /cdq/1; hash /cdq/1/hello.txt",
                    "f 3000 DATA.BIN\nf 0 EMPTY.DAT\nf 10 HELLO.TXT\nd 0 SUBDIR\n"
                    "12849eb3c2da66f4395671802cebd4210caed3cea4ce656a0e0e8e0629f1c996"
                    " 10 /cdq/1/hello.txt\n");
    ic_vol_unload(&c, &im);
}

static void test_iso9660_read_at_any_offset_across_extents(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    uint32_t done;
    (void)state;
    open_image(&c, &im, "multi", "cdx");
    const uint32_t size = 3097153;
    uint8_t *whole = malloc(size), *part = malloc(300000);
    assert_int_equal(vfs_read_file(ic_p(&c, "MULTI/PX.BIN"), 0, whole, size, &done), 0);
    assert_int_equal(done, size);
    /* Around both extent boundaries (1 MiB, 2 MiB), odd offsets and lengths. */
    static const uint32_t offs[] = { 1, 2047, 1048575, 1048576 - 100000, 2097151,
                                     2097152 - 3, 3097150 };
    ic_check_reads_at(ic_p(&c, "MULTI/PX.BIN"), whole, size, offs, ARRAY_SIZE(offs), 200001);
    assert_int_equal(vfs_read_file(ic_p(&c, "MULTI/PX.BIN"), size, part, 1, &done), ERR_EOM);
    assert_int_equal(done, 0);
    assert_int_equal(vfs_read_file(ic_p(&c, "MULTI"), 0, part, 1, &done), ERR_ISDIR);
    free(whole);
    free(part);
    ic_vol_unload(&c, &im);
}

static void test_iso9660_every_write_fails_with_rofs(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    (void)state;
    open_image(&c, &im, "rrjoliet", "cdw");
    ic_check_every_write_fails(&c, "Hello.txt");
    ic_vol_unload(&c, &im);
}

/* ---- damaged images -------------------------------------------------------------------------- */

/* Offset in the image of the record whose identifier starts with `id` in
 * the directory at (block, bytes), or 0. */
static size_t rec_find(const struct ic_img *im, uint32_t block, uint32_t bytes, const char *id)
{
    size_t n = strlen(id);
    for (uint32_t off = 0; off < bytes;) {
        size_t pos = (size_t)block * BLOCK + off;
        uint8_t len = im->data[pos];
        if (len == 0) {
            off = (off / BLOCK + 1) * BLOCK;
            continue;
        }
        if (im->data[pos + 32] >= n && memcmp(im->data + pos + 33, id, n) == 0)
            return pos;
        off += len;
    }
    return 0;
}

static size_t pvd_root(void)
{
    return 16 * BLOCK + 156;
}

static uint32_t rec_block(const struct ic_img *im, size_t rec)
{
    return le32_at(im->data, rec + 2);
}

static uint32_t rec_size(const struct ic_img *im, size_t rec)
{
    return le32_at(im->data, rec + 10);
}

/* Both-byte-order 32-bit field (the big-endian half too, ECMA-119 §7.3.3). */
static void put_both32(uint8_t *p, uint32_t v)
{
    put_le32(p, 0, v);
    p[4] = (uint8_t)(v >> 24);
    p[5] = (uint8_t)(v >> 16);
    p[6] = (uint8_t)(v >> 8);
    p[7] = (uint8_t)v;
}

static size_t plain_rec(const struct ic_img *im, const char *id)
{
    size_t root = pvd_root();
    size_t r = rec_find(im, rec_block(im, root), rec_size(im, root), id);
    assert_true(r != 0);
    return r;
}

static void test_iso9660_root_beyond_volume_is_not_mounted(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("plain1");
    struct vfs_info info;
    (void)state;
    put_both32(im.data + pvd_root() + 2, 0x00FFFFF0);
    ic_vol_open(&c, &im, 2048, "cdb1");
    assert_int_equal(vfs_get_info("/cdb1/1/HELLO.TXT", &info), ERR_NODEV);
    assert_int_equal(vfs_kolibri_code(ERR_NODEV), 3);
    assert_true(klog_contains("iso9660: cdb1: primary root directory outside the volume"));
    ic_vol_unload(&c, &im);
}

static void test_iso9660_bad_block_size_is_not_mounted(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("plain1");
    struct vfs_info info;
    (void)state;
    put_le16(im.data, 16 * BLOCK + 128, 512);
    ic_vol_open(&c, &im, 2048, "cdb2");
    assert_int_equal(vfs_get_info("/cdb2/1/HELLO.TXT", &info), ERR_NODEV);
    assert_true(klog_contains("iso9660: cdb2: unsupported primary descriptor (version 1, "
                              "block size 512)"));
    ic_vol_unload(&c, &im);
}

static void test_iso9660_volume_larger_than_disk_is_clamped(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("plain1");
    char hex[SHA256_HEX_CHARS];
    int err;
    (void)state;
    put_both32(im.data + 16 * BLOCK + 80, 1000000);
    ic_vol_open(&c, &im, 2048, "cdb3");
    assert_int_equal(ic_hash("/cdb3/1/SUBDIR/BIG.BIN", hex, &err), 204800);
    assert_true(klog_contains("iso9660: cdb3: volume larger than its partition, clamped"));
    ic_vol_unload(&c, &im);
}

static void test_iso9660_file_extent_beyond_volume_reads_corrupt(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("plain1");
    char hex[SHA256_HEX_CHARS];
    struct ic_names ns = { .n = 0 };
    int err;
    (void)state;
    put_both32(im.data + plain_rec(&im, "DATA.BIN") + 2, (uint32_t)(im.bytes / BLOCK) - 1);
    put_both32(im.data + plain_rec(&im, "HELLO.TXT") + 10, 0xFFFFFFFFu);
    ic_vol_open(&c, &im, 2048, "cdb4");
    assert_int_equal(ic_hash("/cdb4/1/DATA.BIN", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_int_equal(ic_hash("/cdb4/1/HELLO.TXT", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_true(klog_contains("iso9660: cdb4/1: 'DATA.BIN' extent outside the volume"));
    assert_int_equal(vfs_kolibri_code(ERR_CORRUPT), 9);
    /* The folder still lists, and the other files read. */
    assert_int_equal(vfs_list("/cdb4/1", ic_collect, &ns), 0);
    assert_int_equal(ns.n, 4);
    ic_names_free(&ns);
    assert_int_equal(ic_hash("/cdb4/1/SUBDIR/NOEXT", hex, &err), 1234);
    ic_vol_unload(&c, &im);
}

static void test_iso9660_bad_record_lengths_make_folder_corrupt(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("plain1");
    struct ic_names ns = { .n = 0 };
    struct vfs_info info;
    (void)state;
    /* Too short for a record, and an identifier running off its record. */
    size_t sub = plain_rec(&im, "SUBDIR");
    size_t noext = rec_find(&im, rec_block(&im, sub), rec_size(&im, sub), "NOEXT");
    assert_true(noext != 0);
    im.data[noext] = 20;
    im.data[plain_rec(&im, "HELLO.TXT") + 32] = 250;
    ic_vol_open(&c, &im, 2048, "cdb5");
    assert_int_equal(vfs_list("/cdb5/1/SUBDIR", ic_collect, &ns), ERR_CORRUPT);
    ic_names_free(&ns);
    assert_int_equal(vfs_list("/cdb5/1", ic_collect, &ns), ERR_CORRUPT);
    ic_names_free(&ns);
    assert_int_equal(vfs_get_info("/cdb5/1/SUBDIR", &info), ERR_CORRUPT);
    assert_true(klog_contains("iso9660: cdb5/1: bad record at byte"));
    ic_vol_unload(&c, &im);
}

static void test_iso9660_record_crossing_block_end_is_corrupt(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("rrjoliet");
    struct ic_names ns = { .n = 0 };
    (void)state;
    /* The last record of the first block of many/ grows past the block end
     * (ECMA-119 §6.8.1.1: records never cross a block boundary). */
    size_t many = plain_rec(&im, "MANY");
    size_t base = (size_t)rec_block(&im, many) * BLOCK, last = 0;
    for (size_t p = base; p < base + BLOCK && im.data[p] != 0; p += im.data[p])
        last = p;
    assert_true(last != 0 && base + BLOCK - last < 255);
    im.data[last] = (uint8_t)(base + BLOCK - last + 1);
    ic_vol_open(&c, &im, 2048, "cdba");
    assert_int_equal(vfs_list("/cdba/1/many", ic_collect, &ns), ERR_CORRUPT);
    ic_names_free(&ns);
    assert_true(klog_contains("iso9660: cdba/1: bad record at byte"));
    ic_vol_unload(&c, &im);
}

static void test_iso9660_zero_length_byte_skips_to_next_block(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("rrjoliet");
    struct ic_names ns = { .n = 0 };
    (void)state;
    /* ECMA-119 §6.8.1.1: a 0 length byte ends the records of a block; so
     * zeroing the first record of the second block of many/ hides only the
     * records of that block, and the folder stays readable. */
    size_t many = plain_rec(&im, "MANY");
    uint32_t b = rec_block(&im, many);
    assert_true(rec_size(&im, many) > BLOCK);
    ic_vol_open(&c, &im, 2048, "cdb6");
    assert_int_equal(vfs_list("/cdb6/1/many", ic_collect, &ns), 0);
    assert_int_equal(ns.n, 300);
    ic_names_free(&ns);
    ic_vol_close(&c);
    im.data[(size_t)(b + 1) * BLOCK] = 0;
    ic_vol_open(&c, &im, 2048, "cdb6");
    assert_int_equal(vfs_list("/cdb6/1/many", ic_collect, &ns), 0);
    assert_true(ns.n > 0 && ns.n < 300);
    ic_names_free(&ns);
    ic_vol_unload(&c, &im);
}

static void test_iso9660_looped_folder_is_bounded(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("plain1");
    struct ic_names ns = { .n = 0 };
    struct vfs_info info;
    char path[4096];
    (void)state;
    /* SUBDIR points back at the root. */
    size_t root = pvd_root();
    size_t sub = plain_rec(&im, "SUBDIR");
    put_both32(im.data + sub + 2, rec_block(&im, root));
    put_both32(im.data + sub + 10, rec_size(&im, root));
    ic_vol_open(&c, &im, 2048, "cdb7");
    assert_int_equal(vfs_list("/cdb7/1/SUBDIR/SUBDIR/SUBDIR", ic_collect, &ns), 0);
    assert_int_equal(ns.n, 4);
    ic_names_free(&ns);
    /* 200 levels still resolve; past ISO_PATH_MAX_COMPONENTS they stop. */
    strcpy(path, "/cdb7/1");
    for (int i = 0; i < 200; i++)
        strcat(path, "/SUBDIR");
    strcat(path, "/HELLO.TXT");
    assert_int_equal(vfs_get_info(path, &info), 0);
    strcpy(path, "/cdb7/1");
    for (int i = 0; i < 300; i++)
        strcat(path, "/SUBDIR");
    assert_int_equal(vfs_get_info(path, &info), ERR_NAMETOOLONG);
    ic_vol_unload(&c, &im);
}

static void test_iso9660_huge_folder_size_is_corrupt(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("plain1");
    struct ic_names ns = { .n = 0 };
    (void)state;
    put_both32(im.data + plain_rec(&im, "SUBDIR") + 10, 0xFFFFF800u);
    ic_vol_open(&c, &im, 2048, "cdb8");
    assert_int_equal(vfs_list("/cdb8/1/SUBDIR", ic_collect, &ns), ERR_CORRUPT);
    assert_int_equal(ns.n, 0);
    assert_true(klog_contains("iso9660: cdb8/1: directory 'SUBDIR' has 1 extents, outside"));
    ic_vol_unload(&c, &im);
}

static void test_iso9660_continuation_loop_falls_back_to_plain_name(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("rrjoliet");
    struct vfs_info info;
    (void)state;
    /* The 200-byte Rock Ridge name needs a CE area; point it at itself. */
    size_t root = pvd_root();
    size_t rec = rec_find(&im, rec_block(&im, root), rec_size(&im, root), "NNNN");
    assert_true(rec != 0);
    size_t ce = 0;
    for (size_t p = rec + 34; p + 28 <= rec + im.data[rec]; p++) {
        if (im.data[p] == 'C' && im.data[p + 1] == 'E' && im.data[p + 2] == 28) {
            ce = p;
            break;
        }
    }
    assert_true(ce != 0);
    put_both32(im.data + ce + 4, (uint32_t)(ce / BLOCK));
    put_both32(im.data + ce + 12, (uint32_t)(ce % BLOCK));
    put_both32(im.data + ce + 20, 28);
    ic_vol_open(&c, &im, 2048, "cdb9");
    struct ic_names ns = { .n = 0 };
    assert_int_equal(vfs_list("/cdb9/1", ic_collect, &ns), 0);
    ic_names_free(&ns);
    assert_true(klog_contains("iso9660: cdb9/1: more than 8 SUSP continuation areas"));
    /* The file still reads under the name it was given (partial NM). */
    assert_int_equal(vfs_get_info("/cdb9/1/Hello.txt", &info), 0);
    ic_vol_unload(&c, &im);
}

/* ---- random damage --------------------------------------------------------------------------- */

static const int fuzz_ok[] = { 0, ERR_CORRUPT, ERR_NODEV, ERR_NOENT, ERR_NOTDIR, ERR_EOM,
                               ERR_NOTSUP, ERR_ISDIR, ERR_NAMETOOLONG };

/* 1..16 flips of random bits in the first 64 KiB, past the system area
 * (descriptors, path tables, directories), on 2048-byte sectors and every
 * fourth time 512. */
static void fuzz_image(const char *image, unsigned seeds)
{
    const struct ic_fuzz fz = { .ok = fuzz_ok, .nok = ARRAY_SIZE(fuzz_ok), .max_depth = 16,
                                .max_visits = 4000 };
    struct ic_img im = load_image(image);
    ic_fuzz_image(&im, seeds, 32768, 65536, 2048, 512, &fz);
    free(im.data);
}

static void test_iso9660_random_flips_never_crash_joliet(void **state)
{
    (void)state;
    fuzz_image("joliet", 150);
}

static void test_iso9660_random_flips_never_crash_rock_ridge(void **state)
{
    (void)state;
    fuzz_image("rrmoved", 150);
}

static void test_iso9660_random_flips_never_crash_plain(void **state)
{
    (void)state;
    fuzz_image("plain1", 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso9660_plain_level1_matches_manifest),
        cmocka_unit_test(test_iso9660_plain_level2_matches_manifest),
        cmocka_unit_test(test_iso9660_joliet_matches_manifest),
        cmocka_unit_test(test_iso9660_rock_ridge_joliet_matches_manifest),
        cmocka_unit_test(test_iso9660_rock_ridge_relocated_folders_match_manifest),
        cmocka_unit_test(test_iso9660_multi_extent_file_matches_manifest),
        cmocka_unit_test(test_iso9660_512_byte_sectors_match_manifest),
        cmocka_unit_test(test_iso9660_probe_and_statfs_describe_volume),
        cmocka_unit_test(test_iso9660_rock_ridge_names_beat_joliet_length_limit),
        cmocka_unit_test(test_iso9660_joliet_names_decode_utf16_and_ignore_case),
        cmocka_unit_test(test_iso9660_plain_names_lose_version_and_trailing_dot),
        cmocka_unit_test(test_iso9660_read_at_any_offset_across_extents),
        cmocka_unit_test(test_iso9660_every_write_fails_with_rofs),
        cmocka_unit_test(test_iso9660_root_beyond_volume_is_not_mounted),
        cmocka_unit_test(test_iso9660_bad_block_size_is_not_mounted),
        cmocka_unit_test(test_iso9660_volume_larger_than_disk_is_clamped),
        cmocka_unit_test(test_iso9660_file_extent_beyond_volume_reads_corrupt),
        cmocka_unit_test(test_iso9660_bad_record_lengths_make_folder_corrupt),
        cmocka_unit_test(test_iso9660_record_crossing_block_end_is_corrupt),
        cmocka_unit_test(test_iso9660_zero_length_byte_skips_to_next_block),
        cmocka_unit_test(test_iso9660_looped_folder_is_bounded),
        cmocka_unit_test(test_iso9660_huge_folder_size_is_corrupt),
        cmocka_unit_test(test_iso9660_continuation_loop_falls_back_to_plain_name),
        cmocka_unit_test(test_iso9660_random_flips_never_crash_joliet),
        cmocka_unit_test(test_iso9660_random_flips_never_crash_rock_ridge),
        cmocka_unit_test(test_iso9660_random_flips_never_crash_plain),
    };
    return cmocka_run_group_tests_name("iso9660", tests, group_setup, NULL);
}
