// SPDX-License-Identifier: MIT
/* FAT read path against images made by mkfs.fat and mtools: probe names,
 * every file and folder of each image's manifest read back byte-exact
 * (nested folders, long and non-ASCII names, zero-length and fragmented
 * files), a folder of 5000 entries, case-insensitive lookup, the virtual
 * root, and the exact formats of ls / hash / stat and of errors. */
#include "tests/unit/fat_check.h"

/* Every manifest line of `image` must read back through the vfs. */
static void check_manifest(const char *image, const char *disk)
{
    struct fc_img t;
    char line[2048], hex[SHA256_HEX_CHARS];
    unsigned files = 0, dirs = 0;

    fc_open(&t, image, disk);
    char mname[64];
    snprintf(mname, sizeof(mname), "%s.manifest", image);
    FILE *fp = fopen(fc_path(mname), "r");
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';
        struct vfs_info info;
        if (line[0] == 'd') {
            assert_int_equal(vfs_get_info(fc_p(&t, line + 2), &info), 0);
            assert_true(info.attr & VFS_ATTR_DIR);
            dirs++;
            continue;
        }
        unsigned long long size;
        char sha[80];
        int used = 0;
        assert_int_equal(sscanf(line, "f %llu %79s %n", &size, sha, &used), 2);
        int err;
        long long got = fc_hash(fc_p(&t, line + used), hex, &err);
        if (got < 0 || strcmp(hex, sha) != 0)
            fail_msg("%s: %s: err %d size %lld hash %s, want %llu %s", image, line + used, err,
                     got, hex, size, sha);
        assert_int_equal(got, (long long)size);
        files++;
    }
    fclose(fp);
    assert_true(files >= 10);
    assert_true(dirs >= 3);
    fc_close(&t);
}

static void test_fat_read_fat12_image_matches_manifest(void **state)
{
    (void)state;
    check_manifest("fat12", "rd12");
}

static void test_fat_read_fat16_image_matches_manifest(void **state)
{
    (void)state;
    check_manifest("fat16", "rd16");
}

static void test_fat_read_fat32_image_matches_manifest(void **state)
{
    (void)state;
    check_manifest("fat32", "rd32");
}

static void test_fat_probe_names_each_fat_type(void **state)
{
    static const char *const types[] = { "fat12", "fat16", "fat32" };
    (void)state;
    for (unsigned i = 0; i < 3; i++) {
        struct fc_img t;
        struct media *m;
        fc_open(&t, types[i], "probe");
        assert_int_equal(disk_get_media(fake_disk_handle(t.f), &m), 0);
        assert_string_equal(media_part_fs(m, 1), types[i]);
        media_put(m);
        fc_close(&t);
    }
}

static int count_entry(const struct vfs_info *e, void *ctx)
{
    unsigned *n = ctx;
    (void)e;
    (*n)++;
    return 0;
}

static void test_fat_list_folder_of_5000_entries_sees_all(void **state)
{
    struct fc_img t;
    struct vfs_info info;
    unsigned n = 0;
    (void)state;
    fc_open(&t, "fat32", "many");
    assert_int_equal(vfs_list(fc_p(&t, "many"), count_entry, &n), 0);
    assert_int_equal(n, 5000);
    /* Start, count and total of the sysfunction-70.1 view. */
    struct vfs_info *out = calloc(10, sizeof(*out));
    uint32_t got, total;
    assert_int_equal(vfs_read_folder(fc_p(&t, "many"), 4995, 10, out, &got, &total), ERR_EOM);
    assert_int_equal(got, 5);
    assert_int_equal(total, 5000);
    free(out);
    assert_int_equal(vfs_get_info(fc_p(&t, "many/4999 LONG ENTRY.TXT"), &info), 0);
    assert_int_equal(info.size, 5);
    fc_close(&t);
}

static void test_fat_lookup_ignores_case_of_long_and_short_names(void **state)
{
    struct fc_img t;
    struct vfs_info info;
    (void)state;
    fc_open(&t, "fat16", "case");
    assert_int_equal(vfs_get_info(fc_p(&t, "subdir/nested folder/DEEPER/LEAF FILE.TXT"), &info),
                     0);
    assert_int_equal(info.size, 777);
    assert_string_equal(info.name, "leaf file.txt");
    assert_int_equal(vfs_get_info(fc_p(&t, "hello.txt"), &info), 0);
    assert_string_equal(info.name, "HELLO.TXT");
    /* Non-ASCII letters fold too (Latin-1 range). */
    assert_int_equal(vfs_get_info(fc_p(&t, "SUBDIR/ÜNÏCÖDÉ NÄME – ✓.TXT"), &info), 0);
    assert_int_equal(info.size, 1234);
    fc_close(&t);
}

static void test_fat_ls_and_hash_print_exact_formats(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    fc_open(&t, "fat12", "fmt");
    const char *out = fc_run("ls /fmt/1/SUBDIR", &failed);
    assert_int_equal(failed, 0);
    assert_string_equal(out, "f 512 MiXeD.CaSe\nd 0 Nested Folder\nf 1234 Ünïcödé näme – ✓.txt\n");
    out = fc_run("hash /fmt/1/HELLO.TXT", &failed);
    assert_int_equal(failed, 0);
    assert_string_equal(out, "c9003522a76080b0568e956e5550a41b29edcdf82bb1339cf9a6d590137376c0"
                             " 10 /fmt/1/HELLO.TXT\n");
    out = fc_run("cat /fmt/1/hello.txt", &failed);
    assert_string_equal(out, "hello fat\n");
    out = fc_run("stat /fmt/1/empty.dat", &failed);
    assert_int_equal(failed, 0);
    assert_true(strncmp(out, "f 0 attr=0x20 ", 14) == 0);
    out = fc_run("hash /fmt/1/nothing.here", &failed);
    assert_int_equal(failed, 1);
    assert_string_equal(out, "error: 5 not found\n");
    out = fc_run("ls /fmt/1/HELLO.TXT/x", &failed);
    assert_string_equal(out, "error: 5 not found\n");
    fc_close(&t);
}

static void test_fat_virtual_root_lists_disks_and_partitions(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    fc_open(&t, "fat12", "vroot");
    const char *out = fc_run("ls /", &failed);
    assert_int_equal(failed, 0);
    assert_non_null(strstr(out, "d 0 vroot\n"));
    out = fc_run("ls /vroot", &failed);
    assert_string_equal(out, "d 0 1\n");
    out = fc_run("mkdir /vroot", &failed);
    assert_string_equal(out, "error: 10 access denied\n");
    out = fc_run("ls /vroot/2/", &failed);
    assert_string_equal(out, "error: 5 not found\n");
    fc_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fat_probe_names_each_fat_type),
        cmocka_unit_test(test_fat_read_fat12_image_matches_manifest),
        cmocka_unit_test(test_fat_read_fat16_image_matches_manifest),
        cmocka_unit_test(test_fat_read_fat32_image_matches_manifest),
        cmocka_unit_test(test_fat_list_folder_of_5000_entries_sees_all),
        cmocka_unit_test(test_fat_lookup_ignores_case_of_long_and_short_names),
        cmocka_unit_test(test_fat_ls_and_hash_print_exact_formats),
        cmocka_unit_test(test_fat_virtual_root_lists_disks_and_partitions),
    };
    return cmocka_run_group_tests_name("fat_read", tests, fc_setup, NULL);
}
