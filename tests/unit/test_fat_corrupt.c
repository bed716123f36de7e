// SPDX-License-Identifier: MIT
/* Damaged FAT volumes, made by patching named fields of a copy of the
 * mkfs.fat/mtools FAT16 image in the fake disk: a chain with a loop, a link
 * to a reserved value, an entry whose first cluster lies outside the volume,
 * long names with bad checksums, and boot sectors whose fields would make
 * sizes overflow. Each must give KolibriOS code 9 (or leave the partition
 * unmounted: code 3), log one line, and leave the other files readable. */
#include "tests/unit/fat_check.h"

#define HELLO_SHA "c9003522a76080b0568e956e5550a41b29edcdf82bb1339cf9a6d590137376c0"

struct fat16_geom {
    uint32_t fat_first_bytes, fat_bytes, nfats, root_bytes, root_entries;
};

static struct fat16_geom geom(uint8_t *d)
{
    struct fat16_geom g;
    g.fat_first_bytes = le16_at(d, 14) * 512u;
    g.fat_bytes = le16_at(d, 22) * 512u;
    g.nfats = d[16];
    g.root_bytes = g.fat_first_bytes + g.nfats * g.fat_bytes;
    g.root_entries = le16_at(d, 17);
    return g;
}

/* Root entry (offset in the image) of the short entry with this 8.3 name,
 * or with this size if name is NULL. */
static uint32_t root_entry(uint8_t *d, const char *name11, uint32_t size)
{
    struct fat16_geom g = geom(d);
    for (uint32_t i = 0; i < g.root_entries; i++) {
        uint8_t *e = d + g.root_bytes + i * 32;
        if (e[0] == 0 || e[0] == 0xE5 || e[11] == 0x0F)
            continue;
        if (name11 ? memcmp(e, name11, 11) == 0 : le32_at(e, 28) == size)
            return g.root_bytes + i * 32;
    }
    fail_msg("entry %s not found", name11 ? name11 : "(by size)");
    return 0;
}

static void set_fat16(uint8_t *d, uint32_t c, uint16_t val)
{
    struct fat16_geom g = geom(d);
    for (uint32_t k = 0; k < g.nfats; k++)
        put_le16(d, g.fat_first_bytes + k * g.fat_bytes + c * 2, val);
}

static uint16_t get_fat16(uint8_t *d, uint32_t c)
{
    return le16_at(d, geom(d).fat_first_bytes + c * 2);
}

/* HELLO.TXT still reads right, through the shell. */
static void assert_hello_readable(const char *disk)
{
    char cmd[64], want[200];
    int failed;
    snprintf(cmd, sizeof(cmd), "hash /%s/1/HELLO.TXT", disk);
    snprintf(want, sizeof(want), "%s 10 /%s/1/HELLO.TXT\n", HELLO_SHA, disk);
    assert_string_equal(fc_run(cmd, &failed), want);
}

/* Open fat16 with `patch` applied to the bytes before insertion. */
static void open_patched(struct fc_img *t, const char *disk, void (*patch)(uint8_t *d))
{
    fc_open(t, "fat16", disk);
    /* The fake was inserted already: remove, patch, insert a new medium. */
    fake_disk_media_out(t->f);
    patch(fake_disk_data(t->f));
    klog_clear();
    fake_disk_media_in(t->f);
}

static void patch_loop(uint8_t *d)
{
    uint32_t e = root_entry(d, "FRAG    BIN", 0);
    uint16_t first = le16_at(d, e + 26);
    uint16_t second = get_fat16(d, first);
    set_fat16(d, second, first); /* second -> first: a loop */
}

static void test_fat_chain_loop_is_error_9_and_others_readable(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    open_patched(&t, "loop", patch_loop);
    const char *out = fc_run("hash /loop/1/frag.bin", &failed);
    assert_int_equal(failed, 1);
    assert_string_equal(out, "error: 9 file system error\n");
    assert_true(klog_contains("loops"));
    assert_hello_readable("loop");
    fc_close(&t);
}

static void patch_reserved_link(uint8_t *d)
{
    uint32_t e = root_entry(d, "FRAG    BIN", 0);
    set_fat16(d, le16_at(d, e + 26), 0xFFF0); /* reserved value, not a cluster */
}

static void test_fat_reserved_link_is_error_9(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    open_patched(&t, "rsvlink", patch_reserved_link);
    assert_string_equal(fc_run("hash /rsvlink/1/frag.bin", &failed),
                        "error: 9 file system error\n");
    assert_true(klog_contains("bad link in chain"));
    assert_hello_readable("rsvlink");
    fc_close(&t);
}

static void patch_entry_outside(uint8_t *d)
{
    uint32_t e = root_entry(d, "FRAG    BIN", 0);
    put_le16(d, e + 26, 0xFF00); /* beyond the last cluster of a 16 MiB volume */
}

static void test_fat_entry_outside_volume_is_error_9(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    open_patched(&t, "outside", patch_entry_outside);
    assert_string_equal(fc_run("hash /outside/1/frag.bin", &failed),
                        "error: 9 file system error\n");
    assert_true(klog_contains("outside 2.."));
    assert_hello_readable("outside");
    /* A write to it must not touch anything either. */
    assert_string_equal(fc_run("truncate /outside/1/frag.bin 5", &failed),
                        "error: 9 file system error\n");
    fc_close(&t);
}

static void patch_lfn_checksum(uint8_t *d)
{
    uint32_t e = root_entry(d, NULL, 3000); /* "A Long File Name With Spaces.bin" */
    for (uint32_t p = e - 32; d[p + 11] == 0x0F; p -= 32)
        d[p + 13] ^= 0x5A;
}

static void test_fat_lfn_bad_checksum_shows_short_name(void **state)
{
    struct fc_img t;
    int failed;
    (void)state;
    open_patched(&t, "lfnsum", patch_lfn_checksum);
    const char *out = fc_run("ls /lfnsum/1/", &failed);
    assert_int_equal(failed, 0);
    assert_null(strstr(out, "A Long File Name"));
    assert_non_null(strstr(out, "f 3000 ALONGF~1.BIN\n"));
    assert_true(klog_contains("fails its checksum"));
    assert_string_equal(fc_run("hash '/lfnsum/1/A Long File Name With Spaces.bin'", &failed),
                        "error: 5 not found\n");
    assert_hello_readable("lfnsum");
    fc_close(&t);
}

/* ---- boot sectors ----------------------------------------------------------------------------- */

static void patch_spc_3(uint8_t *d) { d[13] = 3; }
static void patch_total_huge(uint8_t *d) { put_le16(d, 19, 0); put_le32(d, 32, 0xFFFFFFFF); }
static void patch_fatsz_huge(uint8_t *d) { put_le16(d, 22, 0xFFFF); }
static void patch_reserved_0(uint8_t *d) { put_le16(d, 14, 0); }
static void patch_fats_3(uint8_t *d) { d[16] = 3; }
static void patch_bps_4096(uint8_t *d) { put_le16(d, 11, 4096); }

/* The volume in MBR partition 1 with its boot sector patched: not mounted,
 * with a log line holding `log` (NULL: no FAT log line at all). */
static void check_unmounted(const char *disk, void (*patch)(uint8_t *d), const char *log)
{
    struct fc_img t;
    struct media *m;
    char cmd[64];
    int failed;
    fc_open_ex(&t, "fat16", disk, true);
    fake_disk_media_out(t.f);
    patch(fake_disk_data(t.f) + FC_MBR_START_LBA * 512);
    klog_clear();
    fake_disk_media_in(t.f);
    assert_int_equal(disk_get_media(fake_disk_handle(t.f), &m), 0);
    assert_int_equal(media_part_count(m), 1);
    assert_string_equal(media_part_fs(m, 1), "none");
    media_put(m);
    if (log && !klog_contains(log))
        fail_msg("no log line with '%s'", log);
    if (!log && klog_contains("fat: "))
        fail_msg("the FAT probe logged about a volume that is not FAT");
    snprintf(cmd, sizeof(cmd), "ls /%s/1/", disk);
    assert_string_equal(fc_run(cmd, &failed), "error: 3 unknown file system\n");
    fc_close(&t);
}

static void test_fat_bpb_bad_cluster_size_is_not_mounted(void **state)
{
    (void)state;
    check_unmounted("bpbspc3", patch_spc_3, "bad sectors per cluster");
}

static void test_fat_bpb_total_beyond_partition_is_not_mounted(void **state)
{
    (void)state;
    check_unmounted("bpbtotalhuge", patch_total_huge, "larger than its partition");
}

static void test_fat_bpb_huge_fat_is_not_mounted(void **state)
{
    (void)state;
    check_unmounted("bpbfatszhuge", patch_fatsz_huge, "metadata beyond the volume");
}

static void test_fat_bpb_zero_reserved_is_not_mounted(void **state)
{
    (void)state;
    check_unmounted("bpbreserved0", patch_reserved_0, "bad BPB");
}

static void test_fat_bpb_three_fats_is_not_mounted(void **state)
{
    (void)state;
    check_unmounted("bpbfats3", patch_fats_3, "bad BPB");
}

static void test_fat_bpb_sector_size_mismatch_is_not_mounted(void **state)
{
    (void)state;
    check_unmounted("bpbbps4096", patch_bps_4096, "does not match the media");
}

/* An NTFS or exFAT boot sector (jump, 0x55AA, no FAT BPB): not FAT, and the
 * FAT probe stays quiet about it - those volumes are someone else's. */
static void patch_ntfs(uint8_t *d) { memcpy(d + 3, "NTFS    ", 8); put_le16(d, 14, 0); d[16] = 0; }
static void patch_exfat(uint8_t *d) { memcpy(d + 3, "EXFAT   ", 8); memset(d + 11, 0, 53); }

static void test_fat_probe_ignores_ntfs_and_exfat_boot_sectors_quietly(void **state)
{
    (void)state;
    check_unmounted("bpbntfs", patch_ntfs, NULL);
    check_unmounted("bpbexf", patch_exfat, NULL); /* a name not ending in "fat" */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fat_chain_loop_is_error_9_and_others_readable),
        cmocka_unit_test(test_fat_reserved_link_is_error_9),
        cmocka_unit_test(test_fat_entry_outside_volume_is_error_9),
        cmocka_unit_test(test_fat_lfn_bad_checksum_shows_short_name),
        cmocka_unit_test(test_fat_bpb_bad_cluster_size_is_not_mounted),
        cmocka_unit_test(test_fat_bpb_total_beyond_partition_is_not_mounted),
        cmocka_unit_test(test_fat_bpb_huge_fat_is_not_mounted),
        cmocka_unit_test(test_fat_bpb_zero_reserved_is_not_mounted),
        cmocka_unit_test(test_fat_bpb_three_fats_is_not_mounted),
        cmocka_unit_test(test_fat_bpb_sector_size_mismatch_is_not_mounted),
        cmocka_unit_test(test_fat_probe_ignores_ntfs_and_exfat_boot_sectors_quietly),
    };
    return cmocka_run_group_tests_name("fat_corrupt", tests, fc_setup, NULL);
}
