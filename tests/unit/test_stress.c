// SPDX-License-Identifier: MIT
/* The stress load generator over FAT images in fake RAM disks: three threads
 * for about a second over two volumes find no mismatch and no error, leave
 * their folders empty and the volumes fsck-clean; a nearly full volume makes
 * them hit ERR_NOSPC, which they survive without a mismatch; the shell
 * command prints its summary and refuses bad arguments with one line. */
#include "fs/stress.h"
#include "tests/unit/fat_check.h"

static int st_setup(void **state)
{
    if (fc_setup(state))
        return -1;
    stress_register_commands();
    return 0;
}

/* Entries directly in `path`. */
static int st_count_cb(const struct vfs_info *e, void *ctx)
{
    (void)e;
    (*(int *)ctx)++;
    return 0;
}

static int st_entries(const char *path)
{
    int n = 0;
    assert_int_equal(vfs_list(path, st_count_cb, &n), 0);
    return n;
}

static void test_stress_three_threads_two_volumes_no_mismatch(void **state)
{
    (void)state;
    struct fc_img a, b;
    fc_open(&a, "fat16", "st16");
    fc_open(&b, "fat32", "st32");
    const char *paths[] = { "/st16/1/st", "/st32/1/deep/st" };
    struct stress_config cfg = { .seconds = 1, .threads = 3, .paths = paths, .npaths = 2,
                                 .seed = 1234 };
    struct stress_stats total, per[3];

    assert_int_equal(stress_run(&cfg, &total, per), 0);
    print_message("stress: ops=%llu bytes_written=%llu bytes_verified=%llu mismatches=%llu "
                  "errors=%llu nospc=%llu\n", (unsigned long long)total.ops,
                  (unsigned long long)total.bytes_written,
                  (unsigned long long)total.bytes_verified,
                  (unsigned long long)total.mismatches, (unsigned long long)total.errors,
                  (unsigned long long)total.nospc);
    assert_int_equal(total.mismatches, 0);
    assert_int_equal(total.errors, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(per[i].ops > 20);
        assert_true(per[i].bytes_verified > 0);
    }
    assert_int_equal(total.ops, per[0].ops + per[1].ops + per[2].ops);
    /* Every thread cleaned up after itself; the parents were made. */
    assert_int_equal(st_entries("/st16/1/st"), 0);
    assert_int_equal(st_entries("/st32/1/deep/st"), 0);
    assert_int_equal(vfs_sync_all(), 0);
    fc_assert_fsck_clean(&a, "stress16.img");
    fc_assert_fsck_clean(&b, "stress32.img");
    fc_close(&a);
    fc_close(&b);
}

static void test_stress_full_volume_hits_nospc_without_mismatch(void **state)
{
    (void)state;
    struct fc_img a;
    struct vfs_statfs sf;
    static uint8_t fill[65536];
    fc_open(&a, "fat12", "st12");

    /* Leave about 150 KiB free: less than the threads' files want. */
    assert_int_equal(vfs_statfs("/st12/1", &sf), 0);
    uint64_t off = 0, goal = sf.free_bytes - 150 * 1024;
    uint32_t done;
    assert_int_equal(vfs_create_file("/st12/1/fill.bin", NULL, 0, &done), 0);
    while (off < goal) {
        uint32_t n = (uint32_t)MIN(sizeof(fill), goal - off);
        assert_int_equal(vfs_write_file("/st12/1/fill.bin", off, fill, n, &done), 0);
        off += n;
    }
    const char *paths[] = { "/st12/1/st" };
    struct stress_config cfg = { .seconds = 1, .threads = 3, .paths = paths, .npaths = 1,
                                 .seed = 77 };
    struct stress_stats total;

    assert_int_equal(stress_run(&cfg, &total, NULL), 0);
    assert_true(total.nospc > 0);
    assert_int_equal(total.mismatches, 0);
    assert_int_equal(total.errors, 0);
    assert_int_equal(st_entries("/st12/1/st"), 0);
    assert_int_equal(vfs_sync_all(), 0);
    fc_assert_fsck_clean(&a, "stress12.img");
    fc_close(&a);
}

static void test_stress_command_prints_summary(void **state)
{
    (void)state;
    struct fc_img a;
    int failed;
    fc_open(&a, "fat16", "sc16");

    const char *out = fc_run("stress 1 2 /sc16/1/x /sc16/1/y", &failed);
    assert_int_equal(failed, 0);
    assert_non_null(strstr(out, "stress: seed=0x"));
    assert_non_null(strstr(out, "stress: t0 ops="));
    assert_non_null(strstr(out, "stress: t1 ops="));
    assert_non_null(strstr(out, "mismatches=0 errors=0\n"));
    assert_null(strstr(out, "error:"));
    fc_close(&a);
}

static void test_stress_command_bad_arguments_one_error_line(void **state)
{
    (void)state;
    int failed;
    assert_string_equal(fc_run("stress 1 2", &failed),
                        "error: usage: stress SECONDS THREADS PATH [PATH...]\n");
    assert_int_equal(failed, 1);
    assert_string_equal(fc_run("stress 0 2 /a/1/x", &failed),
                        "error: bad SECONDS '0' (1..3600)\n");
    assert_string_equal(fc_run("stress 1 17 /a/1/x", &failed),
                        "error: bad THREADS '17' (1..16)\n");
    assert_string_equal(fc_run("stress 1 1 a/1/x", &failed),
                        "error: bad PATH 'a/1/x' (want /DISK/PART/folder)\n");
    /* A folder that cannot be made: nothing starts, one error line. */
    const char *out = fc_run("stress 1 1 /nodisk/1/x", &failed);
    assert_non_null(strstr(out, "\nerror: stress could not start (ERR_"));
    assert_null(strstr(out, "ops="));
    assert_int_equal(failed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stress_three_threads_two_volumes_no_mismatch),
        cmocka_unit_test(test_stress_full_volume_hits_nospc_without_mismatch),
        cmocka_unit_test(test_stress_command_prints_summary),
        cmocka_unit_test(test_stress_command_bad_arguments_one_error_line),
    };
    return cmocka_run_group_tests(tests, st_setup, NULL);
}
