// SPDX-License-Identifier: MIT
/* Image chains (drivers/vdisk/lib/vd_chain.c): registry, parents found
 * relative to the child, fall-through reads, copy-on-write, commit, and
 * chain validation (cycles by name, UUID mismatch, depth limit, missing
 * parents). A small "toy" backend registered here answers VD_BLOCK_FREE on
 * partial writes so the chain's copy-on-write runs; VHD differencing images
 * made by our own create cover a real format (qemu-img cannot make them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "drivers/vdisk/lib/vd_chain.h"
#include "drivers/vdisk/lib/vd_formats.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/xorshift.h"
#include "tests/fakes/mem_vd_file.h"

/* ---- the toy format ---------------------------------------------------------------------
 * "TOYVDISK" | disk bytes (u64 LE) | parent name (64 bytes) ... | at 512: one
 * byte per 4 KiB unit (1 = allocated) | at 2048: unit i at 2048 + i * 4096. */
#define TOY_UNIT 4096u
#define TOY_MAP 512u
#define TOY_DATA 2048u
#define TOY_MAX_UNITS 1024u

struct toy {
    uint8_t map[TOY_MAX_UNITS];
    unsigned full_writes; /* VD_WRITE_FULL_BLOCK calls */
};

static unsigned toy_full_writes_total;

static int toy_probe(struct vd_file *f)
{
    char magic[8];
    int rc = f->ops->read(f, 0, magic, 8);

    if (rc == ERR_EOM)
        return ERR_NOTSUP;
    if (rc < 0)
        return rc;
    return memcmp(magic, "TOYVDISK", 8) == 0 ? 0 : ERR_NOTSUP;
}

static int toy_open(struct vd_image *img, unsigned flags)
{
    uint8_t h[80];
    struct toy *t;
    int rc;

    (void)flags;
    rc = img->file->ops->read(img->file, 0, h, sizeof(h));
    if (rc < 0)
        return rc;
    t = calloc(1, sizeof(*t));
    rc = img->file->ops->read(img->file, TOY_MAP, t->map, TOY_MAX_UNITS);
    if (rc < 0) {
        free(t);
        return rc;
    }
    memset(&img->info, 0, sizeof(img->info));
    kstrlcpy(img->info.format, "toy", sizeof(img->info.format));
    img->info.disk_bytes = le64_at(h, 8);
    img->info.sector_size = 512;
    img->info.block_bytes = TOY_UNIT;
    memcpy(img->info.parent, h + 16, 64);
    img->info.parent[63] = '\0';
    img->priv = t;
    return 0;
}

static void toy_close(struct vd_image *img)
{
    free(img->priv);
}

static int toy_read(struct vd_image *img, uint64_t off, void *buf, size_t len, size_t *done)
{
    struct toy *t = img->priv;
    uint32_t u = (uint32_t)(off / TOY_UNIT), in = (uint32_t)(off % TOY_UNIT);

    *done = MIN(len, (size_t)(TOY_UNIT - in));
    if (!t->map[u])
        return VD_BLOCK_FREE;
    return img->file->ops->read(img->file, TOY_DATA + (uint64_t)u * TOY_UNIT + in, buf, *done);
}

static int toy_write(struct vd_image *img, uint64_t off, const void *buf, size_t len,
                     unsigned flags, size_t *done)
{
    struct toy *t = img->priv;
    uint32_t u = (uint32_t)(off / TOY_UNIT), in = (uint32_t)(off % TOY_UNIT);
    uint8_t one = 1;
    int rc;

    *done = MIN(len, (size_t)(TOY_UNIT - in));
    if (!t->map[u] && !(flags & VD_WRITE_FULL_BLOCK))
        return VD_BLOCK_FREE;
    if (!t->map[u]) {
        assert_int_equal(in, 0);
        t->full_writes++;
        toy_full_writes_total++;
    }
    rc = img->file->ops->write(img->file, TOY_DATA + (uint64_t)u * TOY_UNIT + in, buf, *done);
    if (rc == 0 && !t->map[u]) {
        rc = img->file->ops->write(img->file, TOY_MAP + u, &one, 1);
        t->map[u] = 1;
    }
    return rc;
}

static int toy_create(struct vd_file *f, const struct vd_create_opts *opts)
{
    uint8_t h[TOY_DATA];

    memset(h, 0, sizeof(h));
    memcpy(h, "TOYVDISK", 8);
    put_le64(h, 8, opts->disk_bytes);
    if (opts->parent)
        kstrlcpy((char *)h + 16, opts->parent, 64);
    return f->ops->write(f, 0, h, sizeof(h));
}

static const struct vd_backend toy_backend = {
    .name = "toy",
    .probe = toy_probe,
    .open = toy_open,
    .close = toy_close,
    .read = toy_read,
    .write = toy_write,
    .create = toy_create,
};

/* ---- helpers ------------------------------------------------------------------------------ */

static int group_setup(void **state)
{
    (void)state;
    return vd_backend_register(&toy_backend);
}

static int group_teardown(void **state)
{
    (void)state;
    vd_backend_unregister(&toy_backend);
    return 0;
}

static void fill(uint8_t *buf, size_t len, uint32_t seed)
{
    struct xorshift x;

    xorshift_init(&x, seed);
    xorshift_fill(&x, buf, len);
}

/* Create `path` in fs as `format` with an optional parent. */
static void create(struct mem_vd_fs *fs, const char *path, const char *format, uint64_t bytes,
                   const char *parent, const struct vd_info *pinfo)
{
    struct vd_create_opts o = {.disk_bytes = bytes, .parent = parent, .parent_info = pinfo};
    struct vd_file *f;

    assert_int_equal(mem_vd_fs_create(fs, path, &f), 0);
    assert_int_equal(vd_create(f, format, &o), 0);
}

static int open_chain(struct mem_vd_fs *fs, const char *path, unsigned flags,
                      struct vd_chain **c)
{
    struct vd_file *f;

    assert_int_equal(mem_vd_fs_open(fs, path, (flags & VD_OPEN_READONLY) != 0, &f), 0);
    return vd_chain_open(f, NULL, flags, 0, c);
}

/* A raw base of `bytes` random bytes at `path`; its content in *out. */
static uint8_t *raw_base(struct mem_vd_fs *fs, const char *path, size_t bytes, uint32_t seed)
{
    uint8_t *b = malloc(bytes);

    fill(b, bytes, seed);
    assert_int_equal(mem_vd_fs_add(fs, path, b, bytes), 0);
    return b;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_vd_backend_by_name_knows_builtin_formats(void **state)
{
    (void)state;
    assert_ptr_equal(vd_backend_by_name("raw"), &vd_backend_raw);
    assert_ptr_equal(vd_backend_by_name("ISO"), &vd_backend_iso);
    assert_ptr_equal(vd_backend_by_name("vdi"), &vd_backend_vdi);
    assert_ptr_equal(vd_backend_by_name("vhd"), &vd_backend_vhd);
    assert_ptr_equal(vd_backend_by_name("toy"), &toy_backend);
    assert_null(vd_backend_by_name("vpc"));
    assert_int_equal(vd_backend_register(&toy_backend), ERR_EXIST);
}

static void test_vd_chain_partial_write_copies_unit_from_parent(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    uint8_t *base = raw_base(fs, "/d/base.raw", 64 * 1024, 1);
    uint8_t patch[1024], got[3 * TOY_UNIT], want[3 * TOY_UNIT];
    const uint8_t *file;
    struct vd_chain *c;
    size_t len;

    (void)state;
    create(fs, "/d/top.toy", "toy", 64 * 1024, "base.raw", NULL);
    assert_int_equal(open_chain(fs, "/d/top.toy", 0, &c), 0);
    assert_int_equal(vd_chain_depth(c), 2);
    toy_full_writes_total = 0;
    fill(patch, sizeof(patch), 2);
    assert_int_equal(vd_chain_write(c, TOY_UNIT + 512, patch, sizeof(patch)), 0);
    assert_int_equal(toy_full_writes_total, 1);
    memcpy(want, base, sizeof(want));
    memcpy(want + TOY_UNIT + 512, patch, sizeof(patch));
    assert_int_equal(vd_chain_read(c, 0, got, sizeof(got)), 0);
    assert_memory_equal(got, want, sizeof(got));
    /* The base is untouched; the overlay holds exactly unit 1. */
    file = mem_vd_fs_data(fs, "/d/base.raw", &len);
    assert_memory_equal(file, base, len);
    file = mem_vd_fs_data(fs, "/d/top.toy", &len);
    assert_int_equal(file[TOY_MAP], 0);
    assert_int_equal(file[TOY_MAP + 1], 1);
    assert_memory_equal(file + TOY_DATA + TOY_UNIT, want + TOY_UNIT, TOY_UNIT);
    /* A second write into the now allocated unit needs no copy. */
    assert_int_equal(vd_chain_write(c, TOY_UNIT, patch, 512), 0);
    assert_int_equal(toy_full_writes_total, 1);
    vd_chain_close(c);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(base);
    mem_vd_fs_free(fs);
}

static void test_vd_chain_commit_merges_overlay_into_parent(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    uint8_t *base = raw_base(fs, "/d/base.raw", 64 * 1024, 3);
    uint8_t patch[6000 / 512 * 512], *got = malloc(64 * 1024);
    const uint8_t *file;
    struct vd_chain *c;
    char desc[200];
    size_t len;

    (void)state;
    create(fs, "/d/top.toy", "toy", 64 * 1024, "base.raw", NULL);
    assert_int_equal(open_chain(fs, "/d/top.toy", 0, &c), 0);
    fill(patch, sizeof(patch), 4);
    assert_int_equal(vd_chain_write(c, 3 * 4096 - 1024, patch, sizeof(patch)), 0);
    memcpy(base + 3 * 4096 - 1024, patch, sizeof(patch));
    assert_int_equal(vd_chain_commit(c), 0);
    assert_int_equal(vd_chain_depth(c), 1);
    assert_false(vd_chain_readonly(c));
    assert_string_equal(vd_chain_describe(c, desc, sizeof(desc)), "/d/base.raw(raw)");
    assert_int_equal(vd_chain_read(c, 0, got, 64 * 1024), 0);
    assert_memory_equal(got, base, 64 * 1024);
    file = mem_vd_fs_data(fs, "/d/base.raw", &len);
    assert_memory_equal(file, base, 64 * 1024);
    /* The committed chain writes straight into the base now. */
    assert_int_equal(vd_chain_write(c, 0, patch, 512), 0);
    file = mem_vd_fs_data(fs, "/d/base.raw", &len);
    assert_memory_equal(file, patch, 512);
    vd_chain_close(c);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(got);
    free(base);
    mem_vd_fs_free(fs);
}

static void test_vd_chain_parent_smaller_reads_zeroes_past_its_end(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    uint8_t *base = raw_base(fs, "/d/base.raw", 16 * 1024, 5);
    uint8_t got[32 * 1024], zero[16 * 1024];
    struct vd_chain *c;

    (void)state;
    create(fs, "/d/top.toy", "toy", 32 * 1024, "base.raw", NULL);
    assert_int_equal(open_chain(fs, "/d/top.toy", VD_OPEN_READONLY, &c), 0);
    assert_int_equal(vd_chain_read(c, 0, got, sizeof(got)), 0);
    memset(zero, 0, sizeof(zero));
    assert_memory_equal(got, base, 16 * 1024);
    assert_memory_equal(got + 16 * 1024, zero, sizeof(zero));
    assert_int_equal(vd_chain_write(c, 0, got, 512), ERR_ROFS);
    assert_int_equal(vd_chain_commit(c), ERR_ROFS);
    vd_chain_close(c);
    free(base);
    mem_vd_fs_free(fs);
}

static void test_vd_chain_bad_request_ranges_are_refused(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    uint8_t *base = raw_base(fs, "/d/base.raw", 16 * 1024, 6);
    uint8_t buf[1024];
    struct vd_chain *c;

    (void)state;
    assert_int_equal(open_chain(fs, "/d/base.raw", 0, &c), 0);
    assert_int_equal(vd_chain_read(c, 100, buf, 512), ERR_INVAL);
    assert_int_equal(vd_chain_read(c, 0, buf, 100), ERR_INVAL);
    assert_int_equal(vd_chain_read(c, 16 * 1024, buf, 512), ERR_EOM);
    assert_int_equal(vd_chain_write(c, 16 * 1024 - 512, buf, 1024), ERR_EOM);
    assert_int_equal(vd_chain_commit(c), ERR_INVAL);
    assert_int_equal(mem_vd_fs_write_calls(fs), 0);
    vd_chain_close(c);
    free(base);
    mem_vd_fs_free(fs);
}

static void test_vd_chain_missing_parent_gives_noent(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_chain *c = NULL;

    (void)state;
    create(fs, "/d/top.toy", "toy", 32 * 1024, "gone.raw", NULL);
    klog_clear();
    assert_int_equal(open_chain(fs, "/d/top.toy", 0, &c), ERR_NOENT);
    assert_true(klog_contains("cannot open parent gone.raw"));
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    mem_vd_fs_free(fs);
}

static void test_vd_chain_info_mode_tolerates_missing_parent(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_chain *c = NULL;
    uint8_t buf[512];

    (void)state;
    create(fs, "/d/top.toy", "toy", 32 * 1024, "gone.raw", NULL);
    klog_clear();
    assert_int_equal(open_chain(fs, "/d/top.toy", VD_OPEN_INFO, &c), 0);
    assert_true(klog_contains("chain incomplete"));
    assert_int_equal(vd_chain_depth(c), 1);
    assert_string_equal(vd_chain_info(c, 0)->parent, "gone.raw");
    assert_true(vd_chain_readonly(c));
    assert_int_equal(vd_chain_read(c, 0, buf, sizeof(buf)), ERR_NOENT);
    vd_chain_close(c);
    mem_vd_fs_free(fs);
}

static void test_vd_chain_longer_than_max_is_corrupt(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    uint8_t *base = raw_base(fs, "/d/l0.raw", 8192, 7);
    char path[32], parent[32];
    struct vd_chain *c = NULL;

    (void)state;
    /* l1 .. l16 toys over l0: with the base that is 17 images. */
    for (unsigned i = 1; i <= VD_CHAIN_MAX; i++) {
        snprintf(path, sizeof(path), "/d/l%u.toy", i);
        if (i == 1)
            snprintf(parent, sizeof(parent), "l0.raw");
        else
            snprintf(parent, sizeof(parent), "l%u.toy", i - 1);
        create(fs, path, "toy", 8192, parent, NULL);
    }
    assert_int_equal(open_chain(fs, "/d/l15.toy", VD_OPEN_READONLY, &c), 0);
    assert_int_equal(vd_chain_depth(c), VD_CHAIN_MAX);
    vd_chain_close(c);
    klog_clear();
    assert_int_equal(open_chain(fs, "/d/l16.toy", VD_OPEN_READONLY, &c), ERR_CORRUPT);
    assert_true(klog_contains("backing chain longer than 16 images"));
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(base);
    mem_vd_fs_free(fs);
}

/* ---- VHD differencing images ------------------------------------------------------------- */

#define VHD_DISK (8u << 20)

/* base.vhd (dynamic, first 3 MiB random) at `base_path`; its info in *info. */
static uint8_t *vhd_base(struct mem_vd_fs *fs, const char *base_path, struct vd_info *info)
{
    uint8_t *content = calloc(1, VHD_DISK);
    struct vd_chain *c;

    fill(content, 3u << 20, 8);
    create(fs, base_path, "vhd", VHD_DISK, NULL, NULL);
    assert_int_equal(open_chain(fs, base_path, 0, &c), 0);
    assert_int_equal(vd_chain_write(c, 0, content, 3u << 20), 0);
    *info = *vd_chain_info(c, 0);
    vd_chain_close(c);
    return content;
}

static void test_vd_vhd_diff_reads_unwritten_sectors_from_parent(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo;
    uint8_t *want = vhd_base(fs, "/img/base/base.vhd", &binfo);
    uint8_t *got = malloc(VHD_DISK), patch[4096];
    const uint8_t *after;
    uint8_t *before;
    struct vd_chain *c;
    size_t blen, alen;
    char desc[200];

    (void)state;
    create(fs, "/img/kids/child.vhd", "vhd", 0, "../base/base.vhd", &binfo);
    after = mem_vd_fs_data(fs, "/img/base/base.vhd", &blen);
    before = malloc(blen);
    memcpy(before, after, blen);
    assert_int_equal(open_chain(fs, "/img/kids/child.vhd", 0, &c), 0);
    assert_string_equal(vd_chain_describe(c, desc, sizeof(desc)),
                        "/img/kids/child.vhd(vhd) <- /img/base/base.vhd(vhd)");
    assert_string_equal(vd_chain_info(c, 0)->variant, "diff");
    assert_string_equal(vd_chain_info(c, 0)->parent, "../base/base.vhd");
    fill(patch, sizeof(patch), 9);
    /* Inside an allocated parent block, then in a block the parent lacks. */
    assert_int_equal(vd_chain_write(c, (1u << 20) + 512, patch, 1024), 0);
    assert_int_equal(vd_chain_write(c, 6u << 20, patch, sizeof(patch)), 0);
    memcpy(want + (1u << 20) + 512, patch, 1024);
    memcpy(want + (6u << 20), patch, sizeof(patch));
    assert_int_equal(vd_chain_read(c, 0, got, VHD_DISK), 0);
    assert_memory_equal(got, want, VHD_DISK);
    vd_chain_close(c);
    after = mem_vd_fs_data(fs, "/img/base/base.vhd", &alen);
    assert_int_equal(alen, blen);
    assert_memory_equal(after, before, blen); /* copy-on-write never touched the base */
    free(before);
    /* Reopened: the same. */
    assert_int_equal(open_chain(fs, "/img/kids/child.vhd", VD_OPEN_READONLY, &c), 0);
    memset(got, 0, VHD_DISK);
    assert_int_equal(vd_chain_read(c, 0, got, VHD_DISK), 0);
    assert_memory_equal(got, want, VHD_DISK);
    vd_chain_close(c);
    /* Commit, then the base alone holds it. */
    assert_int_equal(open_chain(fs, "/img/kids/child.vhd", 0, &c), 0);
    assert_int_equal(vd_chain_commit(c), 0);
    vd_chain_close(c);
    assert_int_equal(open_chain(fs, "/img/base/base.vhd", VD_OPEN_READONLY, &c), 0);
    assert_int_equal(vd_chain_depth(c), 1);
    memset(got, 0, VHD_DISK);
    assert_int_equal(vd_chain_read(c, 0, got, VHD_DISK), 0);
    assert_memory_equal(got, want, VHD_DISK);
    vd_chain_close(c);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(got);
    free(want);
    mem_vd_fs_free(fs);
}

static void test_vd_vhd_diff_parent_uuid_mismatch_is_corrupt(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo;
    uint8_t *content = vhd_base(fs, "/img/base.vhd", &binfo);
    struct vd_chain *c = NULL;

    (void)state;
    binfo.uuid[5] ^= 0xff;
    create(fs, "/img/child.vhd", "vhd", 0, "base.vhd", &binfo);
    klog_clear();
    assert_int_equal(open_chain(fs, "/img/child.vhd", 0, &c), ERR_CORRUPT);
    assert_true(klog_contains("is not the image it was made from"));
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(content);
    mem_vd_fs_free(fs);
}

static void test_vd_vhd_diff_naming_itself_is_corrupt(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info anon = {.disk_bytes = VHD_DISK, .sector_size = 512};
    struct vd_chain *c = NULL;
    unsigned long writes;

    (void)state;
    create(fs, "/img/self.vhd", "vhd", 0, "self.vhd", &anon);
    writes = mem_vd_fs_write_calls(fs);
    klog_clear();
    assert_int_equal(open_chain(fs, "/img/self.vhd", 0, &c), ERR_CORRUPT);
    assert_true(klog_contains("backing chain loops back to /img/self.vhd"));
    assert_int_equal(mem_vd_fs_write_calls(fs), writes);
    mem_vd_fs_free(fs);
}

static void test_vd_vhd_diff_two_image_cycle_is_corrupt(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info anon = {.disk_bytes = VHD_DISK, .sector_size = 512};
    struct vd_chain *c = NULL;

    (void)state;
    create(fs, "/img/a.vhd", "vhd", 0, "./b.vhd", &anon);
    create(fs, "/img/b.vhd", "vhd", 0, "a.vhd", &anon);
    klog_clear();
    assert_int_equal(open_chain(fs, "/img/a.vhd", VD_OPEN_READONLY, &c), ERR_CORRUPT);
    assert_true(klog_contains("backing chain loops back to /img/a.vhd"));
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    mem_vd_fs_free(fs);
}

static void test_vd_vhd_diff_full_host_fs_gives_nospc_image_unchanged(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo;
    uint8_t *content = vhd_base(fs, "/img/base.vhd", &binfo);
    uint8_t sector[512], *copy;
    const uint8_t *now;
    struct vd_chain *c;
    size_t len, len2;

    (void)state;
    create(fs, "/img/child.vhd", "vhd", 0, "base.vhd", &binfo);
    assert_int_equal(open_chain(fs, "/img/child.vhd", 0, &c), 0);
    now = mem_vd_fs_data(fs, "/img/child.vhd", &len);
    copy = malloc(len);
    memcpy(copy, now, len);
    mem_vd_fs_set_free_space(fs, 4096);
    memset(sector, 0x42, sizeof(sector));
    assert_int_equal(vd_chain_write(c, 512, sector, sizeof(sector)), ERR_NOSPC);
    now = mem_vd_fs_data(fs, "/img/child.vhd", &len2);
    assert_int_equal(len2, len);
    assert_memory_equal(now, copy, len);
    /* The chain still reads the parent's data there. */
    assert_int_equal(vd_chain_read(c, 512, sector, sizeof(sector)), 0);
    assert_memory_equal(sector, content + 512, sizeof(sector));
    vd_chain_close(c);
    free(copy);
    free(content);
    mem_vd_fs_free(fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vd_backend_by_name_knows_builtin_formats),
        cmocka_unit_test(test_vd_chain_partial_write_copies_unit_from_parent),
        cmocka_unit_test(test_vd_chain_commit_merges_overlay_into_parent),
        cmocka_unit_test(test_vd_chain_parent_smaller_reads_zeroes_past_its_end),
        cmocka_unit_test(test_vd_chain_bad_request_ranges_are_refused),
        cmocka_unit_test(test_vd_chain_missing_parent_gives_noent),
        cmocka_unit_test(test_vd_chain_info_mode_tolerates_missing_parent),
        cmocka_unit_test(test_vd_chain_longer_than_max_is_corrupt),
        cmocka_unit_test(test_vd_vhd_diff_reads_unwritten_sectors_from_parent),
        cmocka_unit_test(test_vd_vhd_diff_parent_uuid_mismatch_is_corrupt),
        cmocka_unit_test(test_vd_vhd_diff_naming_itself_is_corrupt),
        cmocka_unit_test(test_vd_vhd_diff_two_image_cycle_is_corrupt),
        cmocka_unit_test(test_vd_vhd_diff_full_host_fs_gives_nospc_image_unchanged),
    };
    return cmocka_run_group_tests_name("vd_chain", tests, group_setup, group_teardown);
}
