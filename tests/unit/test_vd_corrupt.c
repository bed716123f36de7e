// SPDX-License-Identifier: MIT
/* Malformed VDI and VHD images: named fields of images made by qemu-img are
 * patched in a memory copy (checksums recomputed where the format has
 * them, so only the named field is wrong). Opening must give the exact
 * error, leave one log line naming the field, and write nothing (the
 * image is opened read-write to prove it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "drivers/vdisk/lib/vd_chain.h"
#include "drivers/vdisk/lib/vd_util.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"
#include "tests/fakes/mem_vd_file.h"
#include "tests/fakes/vd_images.h"

struct patched {
    struct mem_vd_fs *fs;
    uint8_t *img;   /* writable copy, put back into fs by try_open */
    size_t len;
};

static int group_setup(void **state)
{
    (void)state;
    return vd_images_prepare();
}

static void load(struct patched *p, const char *name)
{
    const uint8_t *d;

    p->fs = mem_vd_fs_new();
    assert_non_null(p->fs);
    assert_int_equal(vd_image_load(p->fs, name), 0);
    {
        char path[100];
        snprintf(path, sizeof(path), "/img/%s", name);
        d = mem_vd_fs_data(p->fs, path, &p->len);
    }
    assert_non_null(d);
    p->img = malloc(p->len);
    assert_non_null(p->img);
    memcpy(p->img, d, p->len);
}

/* Open the patched copy (format forced) read-write: expect `want` and the
 * log line `msg`, then check nothing was written. */
static void try_open(struct patched *p, const char *format, int want, const char *msg)
{
    struct vd_chain *c = NULL;
    struct vd_file *f;
    const uint8_t *after;
    size_t len;

    assert_int_equal(mem_vd_fs_add(p->fs, "/img/x", p->img, p->len), 0);
    assert_int_equal(mem_vd_fs_open(p->fs, "/img/x", false, &f), 0);
    klog_clear();
    assert_int_equal(vd_chain_open(f, format, 0, 0, &c), want);
    if (want == 0)
        vd_chain_close(c);
    if (msg)
        assert_true(klog_contains(msg));
    assert_int_equal(mem_vd_fs_write_calls(p->fs), 0);
    assert_int_equal(mem_vd_fs_open_handles(p->fs), 0);
    after = mem_vd_fs_data(p->fs, "/img/x", &len);
    assert_int_equal(len, p->len);
    assert_memory_equal(after, p->img, len);
    free(p->img);
    mem_vd_fs_free(p->fs);
}

/* ---- VDI ---------------------------------------------------------------------------------- */

static void test_vdi_bad_signature_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x40, 0xbeda1070);
    try_open(&p, "vdi", ERR_CORRUPT, "vdi: /img/x: bad signature");
}

static void test_vdi_bad_signature_probes_as_raw(void **state)
{
    struct patched p;
    struct vd_chain *c;
    struct vd_file *f;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x40, 0);
    assert_int_equal(mem_vd_fs_add(p.fs, "/img/x", p.img, p.len), 0);
    assert_int_equal(mem_vd_fs_open(p.fs, "/img/x", true, &f), 0);
    assert_int_equal(vd_chain_open(f, NULL, VD_OPEN_READONLY, 0, &c), 0);
    assert_string_equal(vd_chain_info(c, 0)->format, "raw");
    vd_chain_close(c);
    free(p.img);
    mem_vd_fs_free(p.fs);
}

static void test_vdi_other_version_is_not_supported(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x44, 0x00000001);
    try_open(&p, "vdi", ERR_NOTSUP, "unsupported version");
}

static void test_vdi_header_size_too_big_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x48, 0x1000);
    try_open(&p, "vdi", ERR_CORRUPT, "bad header size");
}

static void test_vdi_map_offset_beyond_file_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x154, 0x7ffffe00);
    try_open(&p, "vdi", ERR_CORRUPT, "bad map/data offsets");
}

static void test_vdi_data_offset_beyond_file_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x158, 0x7ffffe00);
    try_open(&p, "vdi", ERR_CORRUPT, "bad map/data offsets");
}

static void test_vdi_map_overlapping_header_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x154, 0);
    try_open(&p, "vdi", ERR_CORRUPT, "bad map/data offsets");
}

static void test_vdi_block_beyond_file_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, le32_at(p.img, 0x154), 0x00fffff0);
    try_open(&p, "vdi", ERR_CORRUPT, "points outside the data area");
}

static void test_vdi_two_blocks_sharing_data_is_corrupt(void **state)
{
    struct patched p;
    uint32_t map;

    (void)state;
    load(&p, "dyn.vdi");
    map = le32_at(p.img, 0x154);
    assert_int_not_equal(le32_at(p.img, map), 0xffffffffu);
    put_le32(p.img, map + 4 * 31, le32_at(p.img, map));
    try_open(&p, "vdi", ERR_CORRUPT, "overlaps another block");
}

static void test_vdi_absurd_disk_size_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le64(p.img, 0x170, 1ull << 60);
    try_open(&p, "vdi", ERR_CORRUPT, "bad block count");
}

static void test_vdi_absurd_block_count_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x180, 0x7fffffff);
    try_open(&p, "vdi", ERR_CORRUPT, "bad block count");
}

static void test_vdi_block_size_not_power_of_two_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x178, 3u << 20);
    try_open(&p, "vdi", ERR_CORRUPT, "bad block size");
}

static void test_vdi_truncated_header_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    p.len = 0x100;
    try_open(&p, "vdi", ERR_CORRUPT, "shorter than the header");
}

static void test_vdi_allocated_count_mismatch_is_tolerated(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vdi");
    put_le32(p.img, 0x184, le32_at(p.img, 0x184) - 1);
    try_open(&p, "vdi", 0, "disagrees with the map");
}

/* ---- VHD ---------------------------------------------------------------------------------- */

/* Re-seal a footer or dynamic header after patching (spec: one's complement
 * of the byte sum, checksum field counted as zero). */
static void vhd_seal(uint8_t *s, size_t len, size_t field)
{
    uint32_t sum = 0;

    vd_put_be32(s, field, 0);
    for (size_t i = 0; i < len; i++)
        sum += s[i];
    vd_put_be32(s, field, ~sum);
}

static uint8_t *vhd_footer(struct patched *p)
{
    return p->img + p->len - 512;
}

static uint8_t *vhd_dyn(struct patched *p)
{
    return p->img + vd_be64_at(vhd_footer(p), 16);
}

/* Patch both footers the same way (end and the copy at 0). */
static void vhd_seal_footers(struct patched *p)
{
    vhd_seal(vhd_footer(p), 512, 64);
    memcpy(p->img, vhd_footer(p), 512);
}

static void vhd_seal_dyn(struct patched *p)
{
    vhd_seal(vhd_dyn(p), 1024, 36);
}

static uint32_t vhd_bat(struct patched *p, uint32_t i)
{
    return vd_be32_at(p->img, vd_be64_at(vhd_dyn(p), 16) + 4 * i);
}

static void vhd_set_bat(struct patched *p, uint32_t i, uint32_t v)
{
    vd_put_be32(p->img, vd_be64_at(vhd_dyn(p), 16) + 4 * i, v);
}

static void test_vhd_bad_footer_checksum_both_copies_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vhd_footer(&p)[64] ^= 1;
    p.img[64] ^= 1;
    try_open(&p, "vhd", ERR_CORRUPT, "bad footer cookie or checksum");
}

static void test_vhd_bad_end_footer_uses_copy_at_start(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vhd_footer(&p)[0] = 'X';
    try_open(&p, "vhd", 0, "using the copy at offset 0");
}

static void test_vhd_bad_dynamic_header_checksum_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vhd_dyn(&p)[40] ^= 0x55;
    try_open(&p, "vhd", ERR_CORRUPT, "bad dynamic header cookie or checksum");
}

static void test_vhd_dynamic_header_beyond_file_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vd_put_be64(vhd_footer(&p), 16, 1ull << 40);
    vhd_seal_footers(&p);
    try_open(&p, "vhd", ERR_CORRUPT, "dynamic header outside the file");
}

static void test_vhd_bat_beyond_file_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vd_put_be64(vhd_dyn(&p), 16, 1ull << 40);
    vhd_seal_dyn(&p);
    try_open(&p, "vhd", ERR_CORRUPT, "BAT outside the file");
}

static void test_vhd_block_beyond_file_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vhd_set_bat(&p, 3, 0x10000000);
    try_open(&p, "vhd", ERR_CORRUPT, "beyond the data end");
}

static void test_vhd_two_blocks_overlapping_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    assert_int_not_equal(vhd_bat(&p, 0), 0xffffffffu);
    vhd_set_bat(&p, 7, vhd_bat(&p, 0) + 8);
    try_open(&p, "vhd", ERR_CORRUPT, "structures overlap");
}

static void test_vhd_block_over_the_bat_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vhd_set_bat(&p, 7, (uint32_t)(vd_be64_at(vhd_dyn(&p), 16) / 512));
    try_open(&p, "vhd", ERR_CORRUPT, "structures overlap");
}

static void test_vhd_absurd_disk_size_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    memcpy(vhd_footer(&p) + 28, "win ", 4); /* sized by current_size */
    vd_put_be64(vhd_footer(&p), 48, 1ull << 62);
    vhd_seal_footers(&p);
    try_open(&p, "vhd", ERR_CORRUPT, "bad disk size");
}

static void test_vhd_bat_too_small_for_disk_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vd_put_be32(vhd_dyn(&p), 28, 3);
    vhd_seal_dyn(&p);
    try_open(&p, "vhd", ERR_CORRUPT, "bad BAT size");
}

static void test_vhd_absurd_bat_size_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vd_put_be32(vhd_dyn(&p), 28, 0x40000000);
    vhd_seal_dyn(&p);
    try_open(&p, "vhd", ERR_CORRUPT, "bad BAT size");
}

static void test_vhd_unknown_disk_type_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "dyn.vhd");
    vd_put_be32(vhd_footer(&p), 60, 7);
    vhd_seal_footers(&p);
    try_open(&p, "vhd", ERR_CORRUPT, "unknown disk type");
}

static void test_vhd_fixed_disk_larger_than_file_is_corrupt(void **state)
{
    struct patched p;

    (void)state;
    load(&p, "fixed.vhd");
    vd_put_be16(vhd_footer(&p), 56, 0xffff); /* CHS decides for creator "qemu" */
    vhd_seal(vhd_footer(&p), 512, 64);
    try_open(&p, "vhd", ERR_CORRUPT, "fixed disk larger than its file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vdi_bad_signature_is_corrupt),
        cmocka_unit_test(test_vdi_bad_signature_probes_as_raw),
        cmocka_unit_test(test_vdi_other_version_is_not_supported),
        cmocka_unit_test(test_vdi_header_size_too_big_is_corrupt),
        cmocka_unit_test(test_vdi_map_offset_beyond_file_is_corrupt),
        cmocka_unit_test(test_vdi_data_offset_beyond_file_is_corrupt),
        cmocka_unit_test(test_vdi_map_overlapping_header_is_corrupt),
        cmocka_unit_test(test_vdi_block_beyond_file_is_corrupt),
        cmocka_unit_test(test_vdi_two_blocks_sharing_data_is_corrupt),
        cmocka_unit_test(test_vdi_absurd_disk_size_is_corrupt),
        cmocka_unit_test(test_vdi_absurd_block_count_is_corrupt),
        cmocka_unit_test(test_vdi_block_size_not_power_of_two_is_corrupt),
        cmocka_unit_test(test_vdi_truncated_header_is_corrupt),
        cmocka_unit_test(test_vdi_allocated_count_mismatch_is_tolerated),
        cmocka_unit_test(test_vhd_bad_footer_checksum_both_copies_is_corrupt),
        cmocka_unit_test(test_vhd_bad_end_footer_uses_copy_at_start),
        cmocka_unit_test(test_vhd_bad_dynamic_header_checksum_is_corrupt),
        cmocka_unit_test(test_vhd_dynamic_header_beyond_file_is_corrupt),
        cmocka_unit_test(test_vhd_bat_beyond_file_is_corrupt),
        cmocka_unit_test(test_vhd_block_beyond_file_is_corrupt),
        cmocka_unit_test(test_vhd_two_blocks_overlapping_is_corrupt),
        cmocka_unit_test(test_vhd_block_over_the_bat_is_corrupt),
        cmocka_unit_test(test_vhd_absurd_disk_size_is_corrupt),
        cmocka_unit_test(test_vhd_bat_too_small_for_disk_is_corrupt),
        cmocka_unit_test(test_vhd_absurd_bat_size_is_corrupt),
        cmocka_unit_test(test_vhd_unknown_disk_type_is_corrupt),
        cmocka_unit_test(test_vhd_fixed_disk_larger_than_file_is_corrupt),
    };
    return cmocka_run_group_tests_name("vd_corrupt", tests, group_setup, NULL);
}
