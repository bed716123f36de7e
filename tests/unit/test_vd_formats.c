// SPDX-License-Identifier: MIT
/* Raw, ISO, VDI and VHD backends against images made by qemu-img
 * (tests/images/make-vdisk-images.sh): the whole virtual disk read through
 * vd_chain must hash like `qemu-img convert -O raw`; writes through our
 * backends (into allocated, free and straddled blocks) must leave images
 * that `qemu-img check` finds clean (vpc and raw have no check: exit 63),
 * whose virtual size qemu-img agrees with, and that `qemu-img compare` finds
 * equal to the expected raw content; images we create must do the same; a full host
 * file system gives ERR_NOSPC and leaves the image byte for byte as it was.
 * qemu-img runs through system(), as the FAT tests run mtools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "drivers/vdisk/lib/vd_chain.h"
#include "drivers/vdisk/lib/vd_formats.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "tests/fakes/mem_vd_file.h"
#include "tests/fakes/vd_images.h"

#define MiB (1024u * 1024u)

static int group_setup(void **state)
{
    (void)state;
    /* Name the QCOW2 backend so the linker pulls it out of the library (the
     * registry refers to it weakly); the cross-format chain test uses it. */
    if (vd_backend_by_name("qcow2") != &vd_backend_qcow2)
        return -1;
    return vd_images_prepare();
}

/* Open image `name` (loaded into a fresh fs) as a chain. */
static struct vd_chain *open_image(struct mem_vd_fs **fs_out, const char *name, const char *fmt,
                                   unsigned flags, uint64_t raw_offset)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_chain *c = NULL;
    struct vd_file *f;
    char path[200];

    assert_non_null(fs);
    assert_int_equal(vd_image_load(fs, name), 0);
    snprintf(path, sizeof(path), "/img/%s", name);
    assert_int_equal(mem_vd_fs_open(fs, path, (flags & VD_OPEN_READONLY) != 0, &f), 0);
    assert_int_equal(vd_chain_open(f, fmt, flags, raw_offset, &c), 0);
    *fs_out = fs;
    return c;
}

/* Whole-disk read of `name` hashes like qemu-img's conversion of `expect_name`. */
static void check_whole_disk(const char *name, const char *expect_name, const char *format,
                             uint64_t raw_offset)
{
    struct mem_vd_fs *fs;
    struct vd_chain *c = open_image(&fs, name, NULL, VD_OPEN_READONLY, raw_offset);
    char want[SHA256_HEX_CHARS], got[SHA256_HEX_CHARS];
    uint64_t bytes;

    assert_string_equal(vd_chain_info(c, 0)->format, format);
    assert_int_equal(vd_image_expect(expect_name, &bytes, want), 0);
    assert_int_equal(vd_chain_size(c), bytes);
    assert_int_equal(vd_chain_sha256(c, got), 0);
    assert_string_equal(got, want);
    vd_chain_close(c);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    mem_vd_fs_free(fs);
}

static void test_vd_raw_whole_disk_matches_qemu_img(void **state)
{
    (void)state;
    check_whole_disk("disk.raw", "disk.raw", "raw", 0);
}

static void test_vd_raw_offset_skips_the_header(void **state)
{
    (void)state;
    check_whole_disk("offset.raw", "disk.raw", "raw", 4096);
}

static void test_vd_iso_probes_as_read_only_2048_byte_sectors(void **state)
{
    struct mem_vd_fs *fs;
    struct vd_chain *c = open_image(&fs, "small.iso", NULL, 0, 0);
    uint8_t sector[2048];

    (void)state;
    assert_string_equal(vd_chain_info(c, 0)->format, "iso");
    assert_int_equal(vd_chain_sector_size(c), 2048);
    assert_true(vd_chain_readonly(c));
    assert_int_equal(vd_chain_write(c, 0, sector, sizeof(sector)), ERR_ROFS);
    assert_int_equal(vd_chain_read(c, 0, sector, 512), ERR_INVAL);
    vd_chain_close(c);
    mem_vd_fs_free(fs);
    check_whole_disk("small.iso", "small.iso", "iso", 0);
}

static void test_vd_vdi_dynamic_whole_disk_matches_qemu_img(void **state)
{
    (void)state;
    check_whole_disk("dyn.vdi", "dyn.vdi", "vdi", 0);
}

static void test_vd_vdi_static_whole_disk_matches_qemu_img(void **state)
{
    (void)state;
    check_whole_disk("static.vdi", "static.vdi", "vdi", 0);
}

static void test_vd_vhd_dynamic_whole_disk_matches_qemu_img(void **state)
{
    (void)state;
    check_whole_disk("dyn.vhd", "dyn.vhd", "vhd", 0);
}

static void test_vd_vhd_fixed_whole_disk_matches_qemu_img(void **state)
{
    (void)state;
    check_whole_disk("fixed.vhd", "fixed.vhd", "vhd", 0);
}

static void test_vd_qcow2_over_vdi_chain_matches_qemu_img(void **state)
{
    struct mem_vd_fs *fs;
    struct vd_chain *c;
    char want[SHA256_HEX_CHARS], got[SHA256_HEX_CHARS], desc[300];
    uint64_t bytes;

    (void)state;
    fs = mem_vd_fs_new();
    assert_int_equal(vd_image_load(fs, "dyn.vdi"), 0);
    assert_int_equal(vd_image_load(fs, "over-vdi.qcow2"), 0);
    {
        struct vd_file *f;
        assert_int_equal(mem_vd_fs_open(fs, "/img/over-vdi.qcow2", true, &f), 0);
        assert_int_equal(vd_chain_open(f, NULL, VD_OPEN_READONLY, 0, &c), 0);
    }
    assert_int_equal(vd_chain_depth(c), 2);
    assert_string_equal(vd_chain_describe(c, desc, sizeof(desc)),
                        "/img/over-vdi.qcow2(qcow2) <- /img/dyn.vdi(vdi)");
    assert_int_equal(vd_image_expect("over-vdi.qcow2", &bytes, want), 0);
    assert_int_equal(vd_chain_sha256(c, got), 0);
    assert_string_equal(got, want);
    vd_chain_close(c);
    mem_vd_fs_free(fs);
}

/* ---- writes checked by qemu-img ---------------------------------------------------------- */

/* Run a shell command; its exit status. */
static int run(const char *fmt, const char *a, const char *b)
{
    char cmd[4000];
    int rc;

    snprintf(cmd, sizeof(cmd), fmt, a, b);
    rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Write the same pattern into the chain and into `shadow`. */
static void write_both(struct vd_chain *c, uint8_t *shadow, uint64_t off, size_t len,
                       uint8_t seed)
{
    uint8_t *buf = malloc(len);

    assert_non_null(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seed + i * 7 + (i >> 9));
    assert_int_equal(vd_chain_write(c, off, buf, len), 0);
    memcpy(shadow + off, buf, len);
    free(buf);
}

/* The write set: allocated data, a free block (partial), a straddle of two
 * 1 MiB blocks, a 2 MiB VHD block boundary, the last sector. */
static void write_set(struct vd_chain *c, uint8_t *shadow, uint64_t size)
{
    write_both(c, shadow, 0, 512, 1);
    write_both(c, shadow, 28 * MiB + 4096, 3 * 512, 2);
    write_both(c, shadow, 4 * MiB - 4096, 8192, 3);
    write_both(c, shadow, 2 * MiB - 512, 1024, 4);
    write_both(c, shadow, size - 512, 512, 5);
    write_both(c, shadow, 20 * MiB, 2 * MiB, 6); /* whole blocks */
}

/* Save `path` of fs and the shadow, then ask qemu-img. check_ok: the exit
 * codes qemu-img check may give (vpc has no check: 63). */
static void qemu_verify(struct mem_vd_fs *fs, const char *path, const char *qfmt,
                        const uint8_t *shadow, uint64_t size, const char *tag)
{
    char img[1400], raw[1400], name[100];
    FILE *fp;

    snprintf(name, sizeof(name), "%s.img", tag);
    kstrlcpy(img, vd_image_scratch(name), sizeof(img));
    snprintf(name, sizeof(name), "%s.expect.raw", tag);
    kstrlcpy(raw, vd_image_scratch(name), sizeof(raw));
    assert_int_equal(mem_vd_fs_save(fs, path, img), 0);
    fp = fopen(raw, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(shadow, 1, size, fp), size);
    fclose(fp);
    if (strcmp(qfmt, "vpc") == 0 || strcmp(qfmt, "raw") == 0) {
        char cmd[100];
        snprintf(cmd, sizeof(cmd), "qemu-img check -q -f %s '%%s' 2>/dev/null%%s", qfmt);
        assert_int_equal(run(cmd, img, ""), 63);
    } else {
        char cmd[100];
        snprintf(cmd, sizeof(cmd), "qemu-img check -q -f %s '%%s'%%s", qfmt);
        assert_int_equal(run(cmd, img, ""), 0);
    }
    {
        char cmd[300], want[64];
        snprintf(want, sizeof(want), "%llu", (unsigned long long)size);
        snprintf(cmd, sizeof(cmd),
                 "qemu-img info -f %s --output=json '%%s' | grep -q '\"virtual-size\": %%s,'",
                 qfmt);
        assert_int_equal(run(cmd, img, want), 0);
        snprintf(cmd, sizeof(cmd), "qemu-img compare -q -f %s -F raw '%%s' '%%s'", qfmt);
        assert_int_equal(run(cmd, img, raw), 0);
    }
    unlink(img);
    unlink(raw);
}

/* Open `name` writable, remember its content, write the set, verify with
 * qemu-img and by reopening it ourselves. */
static void check_writes(const char *name, const char *qfmt)
{
    struct mem_vd_fs *fs;
    struct vd_chain *c = open_image(&fs, name, NULL, 0, 0);
    uint64_t size = vd_chain_size(c);
    uint8_t *shadow = malloc(size), *back = malloc(size);
    char path[200];
    struct vd_file *f;

    assert_non_null(shadow);
    assert_non_null(back);
    assert_false(vd_chain_readonly(c));
    assert_int_equal(vd_chain_read(c, 0, shadow, size), 0);
    write_set(c, shadow, size);
    assert_int_equal(vd_chain_flush(c), 0);
    assert_int_equal(vd_chain_read(c, 0, back, size), 0);
    assert_memory_equal(back, shadow, size);
    vd_chain_close(c);
    /* Reopened by us. */
    snprintf(path, sizeof(path), "/img/%s", name);
    assert_int_equal(mem_vd_fs_open(fs, path, true, &f), 0);
    assert_int_equal(vd_chain_open(f, NULL, VD_OPEN_READONLY, 0, &c), 0);
    memset(back, 0, size);
    assert_int_equal(vd_chain_read(c, 0, back, size), 0);
    assert_memory_equal(back, shadow, size);
    vd_chain_close(c);
    qemu_verify(fs, path, qfmt, shadow, size, name);
    free(shadow);
    free(back);
    mem_vd_fs_free(fs);
}

static void test_vd_vdi_dynamic_writes_pass_qemu_img_check_and_compare(void **state)
{
    (void)state;
    check_writes("dyn.vdi", "vdi");
}

static void test_vd_vdi_static_writes_pass_qemu_img_check_and_compare(void **state)
{
    (void)state;
    check_writes("static.vdi", "vdi");
}

static void test_vd_vhd_dynamic_writes_pass_qemu_img_compare(void **state)
{
    (void)state;
    check_writes("dyn.vhd", "vpc");
}

static void test_vd_vhd_fixed_writes_pass_qemu_img_compare(void **state)
{
    (void)state;
    check_writes("fixed.vhd", "vpc");
}

static void test_vd_raw_writes_pass_qemu_img_compare(void **state)
{
    (void)state;
    check_writes("disk.raw", "raw");
}

/* Create `format`/`variant` of `size` bytes, write the set, verify. */
static void check_create(const char *format, const char *variant, uint64_t size,
                         const char *qfmt, const char *expect_variant)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_create_opts opts = {.disk_bytes = size, .variant = variant};
    struct vd_chain *c;
    struct vd_file *f;
    uint8_t *shadow = calloc(1, size), *back = malloc(size);
    char tag[64];

    assert_non_null(shadow);
    assert_non_null(back);
    assert_int_equal(mem_vd_fs_create(fs, "/new/disk.img", &f), 0);
    assert_int_equal(vd_create(f, format, &opts), 0);
    assert_int_equal(mem_vd_fs_open(fs, "/new/disk.img", false, &f), 0);
    assert_int_equal(vd_chain_open(f, NULL, 0, 0, &c), 0);
    assert_string_equal(vd_chain_info(c, 0)->format, format);
    assert_string_equal(vd_chain_info(c, 0)->variant, expect_variant);
    assert_int_equal(vd_chain_size(c), size);
    assert_int_equal(vd_chain_read(c, 0, back, size), 0);
    assert_memory_equal(back, shadow, size);
    write_set(c, shadow, size);
    vd_chain_close(c);
    snprintf(tag, sizeof(tag), "create-%s-%s", format, expect_variant);
    qemu_verify(fs, "/new/disk.img", qfmt, shadow, size, tag);
    free(shadow);
    free(back);
    mem_vd_fs_free(fs);
}

static void test_vd_vdi_create_dynamic_passes_qemu_img_check(void **state)
{
    (void)state;
    check_create("vdi", NULL, 30 * MiB + 512, "vdi", "dynamic");
}

static void test_vd_vdi_create_fixed_passes_qemu_img_check(void **state)
{
    (void)state;
    check_create("vdi", "fixed", 30 * MiB, "vdi", "fixed");
}

static void test_vd_vhd_create_dynamic_odd_size_matches_qemu_img(void **state)
{
    (void)state;
    check_create("vhd", NULL, 30 * MiB + 512, "vpc", "dynamic");
}

static void test_vd_vhd_create_fixed_matches_qemu_img(void **state)
{
    (void)state;
    check_create("vhd", "fixed", 30 * MiB, "vpc", "fixed");
}

static void test_vd_raw_create_makes_a_zero_file_of_the_size(void **state)
{
    (void)state;
    check_create("raw", NULL, 30 * MiB, "raw", "flat");
}

/* ---- full host file system ------------------------------------------------------------- */

/* A write that needs a new block fails with ERR_NOSPC on a full file system,
 * the image keeps every byte, writes that need no space still work, and the
 * result passes qemu-img. */
static void check_nospc(const char *name, const char *qfmt, uint64_t free_off)
{
    struct mem_vd_fs *fs;
    struct vd_chain *c = open_image(&fs, name, NULL, 0, 0);
    uint64_t size = vd_chain_size(c);
    uint8_t *shadow = malloc(size), *before, sector[512];
    char path[200];
    size_t len, len2;
    const uint8_t *now;

    snprintf(path, sizeof(path), "/img/%s", name);
    assert_int_equal(vd_chain_read(c, 0, shadow, size), 0);
    now = mem_vd_fs_data(fs, path, &len);
    before = malloc(len);
    memcpy(before, now, len);
    mem_vd_fs_set_free_space(fs, 100 * 1024);
    memset(sector, 0xee, sizeof(sector));
    klog_clear();
    assert_int_equal(vd_chain_write(c, free_off, sector, sizeof(sector)), ERR_NOSPC);
    now = mem_vd_fs_data(fs, path, &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(now, before, len);
    /* Allocated data is rewritten in place: no space needed. */
    write_both(c, shadow, 0, 512, 9);
    assert_int_equal(vd_chain_read(c, free_off, sector, sizeof(sector)), 0);
    assert_memory_equal(sector, shadow + free_off, sizeof(sector));
    vd_chain_close(c);
    qemu_verify(fs, path, qfmt, shadow, size, name);
    free(before);
    free(shadow);
    mem_vd_fs_free(fs);
}

static void test_vd_vdi_full_host_fs_gives_nospc_image_unchanged(void **state)
{
    (void)state;
    check_nospc("dyn.vdi", "vdi", 16 * MiB + 512);
}

static void test_vd_vhd_full_host_fs_gives_nospc_image_unchanged(void **state)
{
    (void)state;
    check_nospc("dyn.vhd", "vpc", 16 * MiB + 512);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vd_raw_whole_disk_matches_qemu_img),
        cmocka_unit_test(test_vd_raw_offset_skips_the_header),
        cmocka_unit_test(test_vd_iso_probes_as_read_only_2048_byte_sectors),
        cmocka_unit_test(test_vd_vdi_dynamic_whole_disk_matches_qemu_img),
        cmocka_unit_test(test_vd_vdi_static_whole_disk_matches_qemu_img),
        cmocka_unit_test(test_vd_vhd_dynamic_whole_disk_matches_qemu_img),
        cmocka_unit_test(test_vd_vhd_fixed_whole_disk_matches_qemu_img),
        cmocka_unit_test(test_vd_qcow2_over_vdi_chain_matches_qemu_img),
        cmocka_unit_test(test_vd_vdi_dynamic_writes_pass_qemu_img_check_and_compare),
        cmocka_unit_test(test_vd_vdi_static_writes_pass_qemu_img_check_and_compare),
        cmocka_unit_test(test_vd_vhd_dynamic_writes_pass_qemu_img_compare),
        cmocka_unit_test(test_vd_vhd_fixed_writes_pass_qemu_img_compare),
        cmocka_unit_test(test_vd_raw_writes_pass_qemu_img_compare),
        cmocka_unit_test(test_vd_vdi_create_dynamic_passes_qemu_img_check),
        cmocka_unit_test(test_vd_vdi_create_fixed_passes_qemu_img_check),
        cmocka_unit_test(test_vd_vhd_create_dynamic_odd_size_matches_qemu_img),
        cmocka_unit_test(test_vd_vhd_create_fixed_matches_qemu_img),
        cmocka_unit_test(test_vd_raw_create_makes_a_zero_file_of_the_size),
        cmocka_unit_test(test_vd_vdi_full_host_fs_gives_nospc_image_unchanged),
        cmocka_unit_test(test_vd_vhd_full_host_fs_gives_nospc_image_unchanged),
    };
    return cmocka_run_group_tests_name("vd_formats", tests, group_setup, NULL);
}
