// SPDX-License-Identifier: MIT
/* FAT write path: after our writes (through the shell commands and the vfs)
 * fsck.fat -n must find nothing to repair, and mtools must read exactly
 * what we wrote: new files with long names, writes at an offset with a
 * zero-filled gap, a full volume (code 8, still consistent), rename/move of
 * files and folders, truncate both ways, delete, many long names sharing an
 * 8.3 basis, the dirty bit, and file times from the (fake) wall clock,
 * clamped to the DOS date range. */
#include "blkdev/cache.h"
#include "kernel/lib/wallclock.h"
#include "kernel/lib/xorshift.h"
#include "tests/host/time_host.h"
#include "tests/host/wallclock_host.h"
#include "tests/unit/fat_check.h"

/* Run a shell line that must succeed. */
static void run_ok(const char *line)
{
    int failed;
    const char *out = fc_run(line, &failed);
    if (failed)
        fail_msg("'%s' failed: %s", line, out);
}

/* Sync, save, fsck.fat -n. Returns the saved image's path. */
static const char *sync_and_fsck(struct fc_img *t, const char *save_as)
{
    assert_int_equal(vfs_sync_all(), 0);
    fc_assert_fsck_clean(t, save_as);
    return fc_path(save_as);
}

/* mtools copies `inner` out of img; it must be the xorshift stream. */
static void assert_mtools_stream(const char *img, const char *inner, size_t size, uint32_t seed)
{
    char out[1500];
    snprintf(out, sizeof(out), "%s.out", img);
    assert_int_equal(fc_system("MTOOLS_SKIP_CHECK=1 mcopy -n -i '%s' '::/%s' '%s'", img, inner,
                               out),
                     0);
    FILE *fp = fopen(out, "rb");
    assert_non_null(fp);
    uint8_t *got = malloc(size + 1), *want = malloc(size + 1);
    struct xorshift x;
    xorshift_init(&x, seed);
    xorshift_fill(&x, want, size);
    assert_int_equal(fread(got, 1, size + 1, fp), size);
    fclose(fp);
    assert_memory_equal(got, want, size);
    free(got);
    free(want);
}

static void write_and_check(const char *image, const char *disk)
{
    struct fc_img t;
    char line[512];
    fc_open(&t, image, disk);
    snprintf(line, sizeof(line),
             "write '/%s/1/A brand new file.bin' 100000 7; mkdir '/%s/1/New Folder'; "
             "write '/%s/1/New Folder/Ünïcode ✓.dat' 3000 9; write /%s/1/SUBDIR/small.txt 1 3; "
             "write /%s/1/HELLO.TXT 700 4; write /%s/1/empty2.dat 0 1",
             disk, disk, disk, disk, disk, disk);
    run_ok(line);
    snprintf(line, sizeof(line), "verify '/%s/1/A brand new file.bin' 100000 7", disk);
    int failed;
    assert_string_equal(fc_run(line, &failed), "ok\n");
    char save[64];
    snprintf(save, sizeof(save), "%s-written.img", image);
    const char *img = sync_and_fsck(&t, save);
    assert_mtools_stream(img, "A brand new file.bin", 100000, 7);
    assert_mtools_stream(img, "New Folder/Ünïcode ✓.dat", 3000, 9);
    assert_mtools_stream(img, "SUBDIR/small.txt", 1, 3);
    assert_mtools_stream(img, "HELLO.TXT", 700, 4);
    assert_mtools_stream(img, "empty2.dat", 0, 1);
    fc_close(&t);
}

/* Cached sectors of the disk holding t now. */
static uint64_t cached_sectors_of(struct fc_img *t)
{
    struct media *m;
    struct cache_stats st;
    assert_int_equal(disk_get_media(fake_disk_handle(t->f), &m), 0);
    assert_int_equal(cache_get_stats(m, &st), 0);
    media_put(m);
    return st.cached_sectors;
}

/* A virtual disk image's data (VFS_IO_NOCACHE) passes the cache without
 * staying in it, and reads/writes it like any file. */
static void test_fat_nocache_io_leaves_no_file_data_cached(void **state)
{
    (void)state;
    struct fc_img t;
    enum { SIZE = 256 * 1024 };
    uint8_t *want = malloc(SIZE), *got = malloc(SIZE);
    uint32_t done = 0;
    fc_open(&t, "fat32", "nocache");
    run_ok("write /nocache/1/image.bin 262144 11");
    assert_int_equal(vfs_sync_all(), 0);
    assert_int_equal(cache_drop_all(), 0);
    struct xorshift x;
    xorshift_init(&x, 11);
    xorshift_fill(&x, want, SIZE);

    /* 1. Reads: the data arrive, only the metadata needed to find them stay. */
    uint64_t before = cached_sectors_of(&t);
    for (uint32_t off = 0; off < SIZE; off += 65536)
        assert_int_equal(vfs_read_file_ex("/nocache/1/image.bin", off, got + off, 65536,
                                          VFS_IO_NOCACHE, &done), 0);
    assert_memory_equal(got, want, SIZE);
    assert_true(cached_sectors_of(&t) - before < 64);
    /* 2. Writes: durable after sync, and then gone from the cache. */
    memset(want + 4096, 0x77, 65536);
    assert_int_equal(vfs_write_file_ex("/nocache/1/image.bin", 4096, want + 4096, 65536,
                                       VFS_IO_NOCACHE, &done), 0);
    assert_int_equal(done, 65536);
    assert_int_equal(vfs_read_file_ex("/nocache/1/image.bin", 0, got, SIZE, VFS_IO_NOCACHE,
                                      &done), 0);
    assert_memory_equal(got, want, SIZE);
    assert_int_equal(vfs_sync_all(), 0);
    assert_true(cached_sectors_of(&t) - before < 64);
    fc_assert_fsck_clean(&t, "nocache-written.img");
    free(want);
    free(got);
    fc_close(&t);
}

static void test_fat_write_fat12_fsck_clean_and_mtools_reads_it(void **state)
{
    (void)state;
    write_and_check("fat12", "wr12");
}

static void test_fat_write_fat16_fsck_clean_and_mtools_reads_it(void **state)
{
    (void)state;
    write_and_check("fat16", "wr16");
}

static void test_fat_write_fat32_fsck_clean_and_mtools_reads_it(void **state)
{
    (void)state;
    write_and_check("fat32", "wr32");
}

/* Set, show, replace and remove the label; mtools must agree each time. */
static void label_roundtrip(const char *image, const char *disk)
{
    struct fc_img t;
    char line[256], save[64];
    int failed;
    fc_open(&t, image, disk);
    snprintf(line, sizeof(line), "label /%s/1 'My Disk_1'", disk);
    run_ok(line);
    snprintf(line, sizeof(line), "label /%s/1", disk);
    assert_string_equal(fc_run(line, &failed), "MY DISK_1\n");
    snprintf(save, sizeof(save), "%s-label.img", image);
    const char *img = sync_and_fsck(&t, save);
    assert_int_equal(fc_system("MTOOLS_SKIP_CHECK=1 mlabel -s -i '%s' :: | "
                               "grep -q 'Volume label is MY DISK_1'", img),
                     0);
    /* Replace, then remove; a label FAT cannot store is refused. */
    snprintf(line, sizeof(line), "label /%s/1 second", disk);
    run_ok(line);
    snprintf(line, sizeof(line), "label /%s/1 'a*b'", disk);
    fc_run(line, &failed);
    assert_true(failed);
    snprintf(line, sizeof(line), "label /%s/1 twelve_chars", disk);
    fc_run(line, &failed);
    assert_true(failed);
    snprintf(save, sizeof(save), "%s-label2.img", image);
    img = sync_and_fsck(&t, save);
    assert_int_equal(fc_system("MTOOLS_SKIP_CHECK=1 mlabel -s -i '%s' :: | "
                               "grep -q 'Volume label is SECOND'", img),
                     0);
    snprintf(line, sizeof(line), "label /%s/1 ''", disk);
    run_ok(line);
    snprintf(line, sizeof(line), "label /%s/1", disk);
    assert_string_equal(fc_run(line, &failed), "\n");
    snprintf(save, sizeof(save), "%s-label3.img", image);
    img = sync_and_fsck(&t, save);
    assert_int_equal(fc_system("MTOOLS_SKIP_CHECK=1 mlabel -s -i '%s' :: | "
                               "grep -q 'Volume has no label'", img),
                     0);
    fc_close(&t);
}

static void test_fat_label_set_replace_remove_fat16_mtools_agrees(void **state)
{
    (void)state;
    label_roundtrip("fat16", "lb16");
}

static void test_fat_label_set_replace_remove_fat32_mtools_agrees(void **state)
{
    (void)state;
    label_roundtrip("fat32", "lb32");
}

static void test_fat_write_past_end_fills_gap_with_zeros(void **state)
{
    struct fc_img t;
    uint8_t buf[64], back[6000];
    uint32_t done;
    (void)state;
    fc_open(&t, "fat16", "gap");
    memset(buf, 0xAB, sizeof(buf));
    assert_int_equal(vfs_write_file("/gap/1/HELLO.TXT", 5000, buf, sizeof(buf), &done), 0);
    assert_int_equal(done, 64);
    assert_int_equal(vfs_read_file("/gap/1/HELLO.TXT", 0, back, sizeof(back), &done), ERR_EOM);
    assert_int_equal(done, 5064);
    assert_memory_equal(back, "hello fat\n", 10);
    for (unsigned i = 10; i < 5000; i++)
        assert_int_equal(back[i], 0);
    assert_memory_equal(back + 5000, buf, 64);
    sync_and_fsck(&t, "gap.img");
    fc_close(&t);
}

static void test_fat_fill_volume_gives_8_and_stays_consistent(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    fc_open(&t, "fat12", "full");
    assert_string_equal(fc_run("write /full/1/big.bin 2000000 5", &failed),
                        "error: 8 disk full\n");
    const char *out = fc_run("df", &failed);
    assert_non_null(strstr(out, "/full/1 fat12 size=1457664 free=0\n"));
    sync_and_fsck(&t, "full.img");
    run_ok("rm /full/1/big.bin; write /full/1/after.bin 10000 6");
    assert_string_equal(fc_run("verify /full/1/after.bin 10000 6", &failed), "ok\n");
    sync_and_fsck(&t, "full2.img");
    fc_close(&t);
}

static void test_fat_rename_and_move_keep_volume_consistent(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    fc_open(&t, "fat16", "mv");
    run_ok("mv /mv/1/frag.bin '/mv/1/SUBDIR/Nested Folder/moved fragment.bin'");
    run_ok("mv /mv/1/HELLO.TXT /mv/1/hello.txt"); /* case change in place */
    run_ok("mkdir /mv/1/target; mv '/mv/1/SUBDIR/Nested Folder' /mv/1/target/nf");
    assert_string_equal(fc_run("mv /mv/1/target /mv/1/target/nf/deeper/x", &failed),
                        "error: 10 access denied\n");
    assert_string_equal(fc_run("mv /mv/1/PAD1.BIN /mv/1/PAD2.BIN", &failed),
                        "error: 10 access denied\n");
    assert_string_equal(fc_run("ls /mv/1/target/nf", &failed),
                        "f 10 lowercase.txt\nd 0 deeper\nf 20000 moved fragment.bin\n");
    assert_string_equal(fc_run("hash /mv/1/target/nf/../nf/deeper/../../nf/moved\\ fragment.bin",
                               &failed),
                        "9b5791f7e3aa1613e590f7ef646f94b0e387cb0512d161a9d5502ef4649f1f4b 20000 "
                        "/mv/1/target/nf/../nf/deeper/../../nf/moved fragment.bin\n");
    const char *img = sync_and_fsck(&t, "mv.img");
    assert_int_equal(fc_system("MTOOLS_SKIP_CHECK=1 mdir -i '%s' '::/target/nf/deeper' "
                               "| grep -q 'leaf file.txt'", img),
                     0);
    assert_int_equal(fc_system("MTOOLS_SKIP_CHECK=1 mdir -i '%s' ::/ | grep -q '^hello    txt'",
                               img),
                     0);
    fc_close(&t);
}

static void test_fat_truncate_shrinks_and_extends_with_zeros(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    fc_open(&t, "fat32", "trunc");
    run_ok("write /trunc/1/t.bin 50000 8; truncate /trunc/1/t.bin 1000");
    assert_string_equal(fc_run("verify /trunc/1/t.bin 1000 8", &failed), "ok\n");
    run_ok("truncate /trunc/1/t.bin 3000");
    assert_string_equal(fc_run("verify /trunc/1/t.bin 3000 8", &failed), "mismatch at 1000\n");
    uint8_t back[2000];
    uint32_t done;
    assert_int_equal(vfs_read_file("/trunc/1/t.bin", 1000, back, 2000, &done), 0);
    for (unsigned i = 0; i < 2000; i++)
        assert_int_equal(back[i], 0);
    run_ok("truncate /trunc/1/frag.bin 0; truncate /trunc/1/t.bin 1000");
    const char *img = sync_and_fsck(&t, "trunc.img");
    assert_mtools_stream(img, "t.bin", 1000, 8);
    fc_close(&t);
}

static void test_fat_delete_files_and_empty_folders_only(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    fc_open(&t, "fat12", "del");
    run_ok("rm /del/1/frag.bin; rm '/del/1/A Long File Name With Spaces.bin'");
    assert_string_equal(fc_run("rmdir /del/1/SUBDIR", &failed), "error: 10 access denied\n");
    assert_string_equal(fc_run("rm /del/1/SUBDIR", &failed), "error: 10 access denied\n");
    run_ok("rm '/del/1/SUBDIR/Nested Folder/deeper/leaf file.txt'; "
           "rmdir '/del/1/SUBDIR/Nested Folder/deeper'");
    assert_string_equal(fc_run("ls '/del/1/SUBDIR/Nested Folder'", &failed),
                        "f 10 lowercase.txt\n");
    assert_string_equal(fc_run("hash /del/1/frag.bin", &failed), "error: 5 not found\n");
    sync_and_fsck(&t, "del.img");
    fc_close(&t);
}

static void test_fat_long_names_sharing_a_basis_get_unique_aliases(void **state)
{
    struct fc_img t;
    char line[128];
    (void)state;
    fc_open(&t, "fat16", "alias");
    run_ok("mkdir '/alias/1/Many Names'");
    for (unsigned i = 0; i < 40; i++) {
        snprintf(line, sizeof(line), "write '/alias/1/Many Names/long file name %u.txt' 10 %u", i,
                 i);
        run_ok(line);
    }
    const char *img = sync_and_fsck(&t, "alias.img");
    assert_int_equal(fc_system("MTOOLS_SKIP_CHECK=1 mdir -i '%s' '::/Many Names' "
                               "| grep -c 'long file name' | grep -qx 40", img),
                     0);
    fc_close(&t);
}

static void test_fat_dirty_bit_set_by_write_cleared_by_sync(void **state)
{
    struct fc_img t;
    (void)state;
    fc_open(&t, "fat16", "dirty");
    uint8_t *bs = fake_disk_data(t.f);
    assert_int_equal(bs[37] & 1, 0);
    run_ok("write /dirty/1/x.bin 10 1");
    struct media *m;
    assert_int_equal(disk_get_media(fake_disk_handle(t.f), &m), 0);
    assert_int_equal(cache_sync(m), 0); /* the cache's write-back only, not the fs */
    media_put(m);
    assert_int_equal(bs[37] & 1, 1);
    assert_int_equal(vfs_sync_all(), 0);
    assert_int_equal(bs[37] & 1, 0);
    fc_close(&t);
}

/* Write a file with the wall clock at unix_s (frozen), return its times. */
static void write_at(const char *path, int64_t unix_s, struct vfs_info *info)
{
    char line[256];
    time_host_use_fake(true);
    wallclock_set_unix(unix_s);
    snprintf(line, sizeof(line), "write %s 10 1", path);
    run_ok(line);
    assert_int_equal(vfs_get_info(path, info), 0);
    wallclock_host_use_real();
    time_host_use_fake(false);
}

static void assert_vfs_time(const struct vfs_time *t, unsigned y, unsigned mo, unsigned d,
                            unsigned h, unsigned mi, unsigned s)
{
    assert_int_equal(t->year, y);
    assert_int_equal(t->month, mo);
    assert_int_equal(t->day, d);
    assert_int_equal(t->hour, h);
    assert_int_equal(t->minute, mi);
    assert_int_equal(t->second, s);
}

static void test_fat_new_file_stamped_with_wall_clock_mtools_agrees(void **state)
{
    struct fc_img t;
    struct vfs_info *info = malloc(sizeof(*info));
    (void)state;
    fc_open(&t, "fat16", "times");
    write_at("/times/1/NOW.BIN", 1936779630, info); /* 2031-05-17 10:20:30 */
    assert_vfs_time(&info->mtime, 2031, 5, 17, 10, 20, 30);
    assert_vfs_time(&info->ctime, 2031, 5, 17, 10, 20, 30);
    assert_vfs_time(&info->atime, 2031, 5, 17, 0, 0, 0);
    const char *img = sync_and_fsck(&t, "times-written.img");
    assert_int_equal(fc_system("MTOOLS_SKIP_CHECK=1 mdir -i '%s' ::/NOW.BIN | "
                               "grep -q '2031-05-17 *10:20'", img),
                     0);
    fc_close(&t);
    free(info);
}

static void test_fat_wall_clock_outside_dos_range_clamped(void **state)
{
    struct fc_img t;
    struct vfs_info *info = malloc(sizeof(*info));
    (void)state;
    fc_open(&t, "fat16", "clamp");
    write_at("/clamp/1/OLD.BIN", 171162123, info); /* 1975-06-05 01:02:03 */
    assert_vfs_time(&info->mtime, 1980, 1, 1, 0, 0, 0);
    write_at("/clamp/1/FUTURE.BIN", 5693328000, info); /* 2150-06-01 00:00:00 */
    assert_vfs_time(&info->mtime, 2107, 12, 31, 23, 59, 58);
    write_at("/clamp/1/ODD.BIN", 1936779631, info); /* odd second: 2-second steps */
    assert_vfs_time(&info->mtime, 2031, 5, 17, 10, 20, 30);
    sync_and_fsck(&t, "clamp-written.img");
    fc_close(&t);
    free(info);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fat_write_fat12_fsck_clean_and_mtools_reads_it),
        cmocka_unit_test(test_fat_write_fat16_fsck_clean_and_mtools_reads_it),
        cmocka_unit_test(test_fat_write_fat32_fsck_clean_and_mtools_reads_it),
        cmocka_unit_test(test_fat_write_past_end_fills_gap_with_zeros),
        cmocka_unit_test(test_fat_fill_volume_gives_8_and_stays_consistent),
        cmocka_unit_test(test_fat_rename_and_move_keep_volume_consistent),
        cmocka_unit_test(test_fat_truncate_shrinks_and_extends_with_zeros),
        cmocka_unit_test(test_fat_delete_files_and_empty_folders_only),
        cmocka_unit_test(test_fat_long_names_sharing_a_basis_get_unique_aliases),
        cmocka_unit_test(test_fat_dirty_bit_set_by_write_cleared_by_sync),
        cmocka_unit_test(test_fat_label_set_replace_remove_fat16_mtools_agrees),
        cmocka_unit_test(test_fat_label_set_replace_remove_fat32_mtools_agrees),
        cmocka_unit_test(test_fat_nocache_io_leaves_no_file_data_cached),
        cmocka_unit_test(test_fat_new_file_stamped_with_wall_clock_mtools_agrees),
        cmocka_unit_test(test_fat_wall_clock_outside_dos_range_clamped),
    };
    return cmocka_run_group_tests_name("fat_write", tests, fc_setup, NULL);
}
