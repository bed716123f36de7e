// SPDX-License-Identifier: MIT
/* VDI differencing images (drivers/vdisk/lib/vdi.c with the chain's parent
 * search, vd_chain_open_bases): reads fall through free blocks to the
 * parent, a partial write copies the parent's whole block first, commit
 * merges the diff into its base, the parent is found by uuid among the
 * stored hint and the `base=` candidates, and a wrong parent or a damaged
 * diff header is refused with ERR_CORRUPT without writing anything.
 * VBoxManage is not available and qemu-img cannot read VDI diffs, so the
 * cross-check commits into a qemu-img-made base and asks qemu-img about
 * that base (check clean, converted content as expected). */
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
#include "tests/fakes/vd_images.h"

#define DISK_BYTES (8u << 20)
#define BLOCK (1u << 20) /* our VDI block size */

/* VDI header fields the tests patch (VBox VDICore.h header v1.1). */
enum {
    OFF_TYPE = 0x4c,
    OFF_COMMENT = 0x54,
    OFF_BMAP = 0x154,
    OFF_DATA = 0x158,
    OFF_BLOCK_SIZE = 0x178,
    OFF_UUID_CREATE = 0x188,
    OFF_UUID_LINK = 0x1a8,
};

static int group_setup(void **state)
{
    (void)state;
    return vd_images_prepare();
}

static void fill(uint8_t *buf, size_t len, uint32_t seed)
{
    struct xorshift x;

    xorshift_init(&x, seed);
    xorshift_fill(&x, buf, len);
}

/* Create `path` as `format`; returns vd_create's result. */
static int create(struct mem_vd_fs *fs, const char *path, const char *format, uint64_t bytes,
                  const char *parent, const struct vd_info *pinfo, const char *variant)
{
    struct vd_create_opts o = {.disk_bytes = bytes, .parent = parent, .parent_info = pinfo,
                               .variant = variant};
    struct vd_file *f;

    assert_int_equal(mem_vd_fs_create(fs, path, &f), 0);
    return vd_create(f, format, &o);
}

static int open_bases(struct mem_vd_fs *fs, const char *path, unsigned flags,
                      const char *const *bases, unsigned nbases, struct vd_chain **c)
{
    struct vd_file *f;

    assert_int_equal(mem_vd_fs_open(fs, path, (flags & VD_OPEN_READONLY) != 0, &f), 0);
    return vd_chain_open_bases(f, NULL, flags, 0, bases, nbases, c);
}

/* A dynamic VDI base of DISK_BYTES at `path`, first 3 MiB random (blocks
 * 3..7 stay free); its content returned, its info in *info. */
static uint8_t *vdi_base(struct mem_vd_fs *fs, const char *path, uint32_t seed,
                         struct vd_info *info)
{
    uint8_t *content = calloc(1, DISK_BYTES);
    struct vd_chain *c;

    fill(content, 3u << 20, seed);
    assert_int_equal(create(fs, path, "vdi", DISK_BYTES, NULL, NULL, NULL), 0);
    assert_int_equal(open_bases(fs, path, 0, NULL, 0, &c), 0);
    assert_int_equal(vd_chain_write(c, 0, content, 3u << 20), 0);
    *info = *vd_chain_info(c, 0);
    vd_chain_close(c);
    return content;
}

/* A copy of file `path` (free it). */
static uint8_t *snapshot_file(struct mem_vd_fs *fs, const char *path, size_t *len)
{
    const uint8_t *d = mem_vd_fs_data(fs, path, len);
    uint8_t *copy;

    assert_non_null(d);
    copy = malloc(*len);
    memcpy(copy, d, *len);
    return copy;
}

static void assert_file_is(struct mem_vd_fs *fs, const char *path, const uint8_t *want,
                           size_t len)
{
    size_t now_len;
    const uint8_t *now = mem_vd_fs_data(fs, path, &now_len);

    assert_int_equal(now_len, len);
    assert_memory_equal(now, want, len);
}

/* Replace header bytes of `path` (the rest of the file as it is). */
static void patch(struct mem_vd_fs *fs, const char *path, size_t off, const void *bytes,
                  size_t n)
{
    size_t len;
    uint8_t *copy = snapshot_file(fs, path, &len);

    memcpy(copy + off, bytes, n);
    assert_int_equal(mem_vd_fs_add(fs, path, copy, len), 0);
    free(copy);
}

/* Drop the parent hint from a diff we created (as VirtualBox's would be). */
static void clear_hint(struct mem_vd_fs *fs, const char *path)
{
    uint8_t zero[256] = {0};

    patch(fs, path, OFF_COMMENT, zero, sizeof(zero));
}

/* The data of block `b` as stored in VDI file `path` (NULL when free). */
static const uint8_t *stored_block(struct mem_vd_fs *fs, const char *path, uint32_t b)
{
    size_t len;
    const uint8_t *d = mem_vd_fs_data(fs, path, &len);
    uint32_t e = le32_at(d, le32_at(d, OFF_BMAP) + (size_t)b * 4);

    if (e >= 0xfffffffeu)
        return NULL;
    assert_true(le32_at(d, OFF_DATA) + (uint64_t)(e + 1) * BLOCK <= len);
    return d + le32_at(d, OFF_DATA) + (size_t)e * BLOCK;
}

static void assert_chain_reads(struct vd_chain *c, const uint8_t *want, size_t len)
{
    uint8_t *got = malloc(len);

    assert_int_equal(vd_chain_read(c, 0, got, len), 0);
    assert_memory_equal(got, want, len);
    free(got);
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_vdi_diff_reads_unwritten_blocks_from_parent(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo;
    uint8_t *want = vdi_base(fs, "/img/base/base.vdi", 1, &binfo);
    struct vd_chain *c;
    char desc[200];
    size_t len;

    (void)state;
    assert_int_equal(
        create(fs, "/img/kids/diff.vdi", "vdi", DISK_BYTES, "../base/base.vdi", &binfo, NULL), 0);
    /* A new diff allocates nothing: header and block map only. */
    mem_vd_fs_data(fs, "/img/kids/diff.vdi", &len);
    assert_true(len <= 4096);
    assert_int_equal(open_bases(fs, "/img/kids/diff.vdi", VD_OPEN_READONLY, NULL, 0, &c), 0);
    assert_string_equal(vd_chain_describe(c, desc, sizeof(desc)),
                        "/img/kids/diff.vdi(vdi) <- /img/base/base.vdi(vdi)");
    assert_string_equal(vd_chain_info(c, 0)->variant, "diff");
    assert_string_equal(vd_chain_info(c, 0)->parent, "../base/base.vdi");
    assert_memory_equal(vd_chain_info(c, 0)->parent_uuid, binfo.uuid, 16);
    assert_int_equal(vd_chain_info(c, 0)->block_bytes, binfo.block_bytes);
    assert_chain_reads(c, want, DISK_BYTES);
    vd_chain_close(c);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(want);
    mem_vd_fs_free(fs);
}

static void test_vdi_diff_partial_write_copies_whole_parent_block(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo;
    uint8_t *want = vdi_base(fs, "/img/base.vdi", 2, &binfo);
    uint8_t patch1[1024], patch2[4096], *before;
    struct vd_chain *c;
    size_t blen;

    (void)state;
    assert_int_equal(create(fs, "/img/diff.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, NULL),
                     0);
    before = snapshot_file(fs, "/img/base.vdi", &blen);
    assert_int_equal(open_bases(fs, "/img/diff.vdi", 0, NULL, 0, &c), 0);
    fill(patch1, sizeof(patch1), 3);
    fill(patch2, sizeof(patch2), 4);
    /* Into a block the parent holds, then into one the parent lacks. */
    assert_int_equal(vd_chain_write(c, BLOCK + 512, patch1, sizeof(patch1)), 0);
    assert_int_equal(vd_chain_write(c, 6u * BLOCK + 8192, patch2, sizeof(patch2)), 0);
    memcpy(want + BLOCK + 512, patch1, sizeof(patch1));
    memcpy(want + 6u * BLOCK + 8192, patch2, sizeof(patch2));
    assert_chain_reads(c, want, DISK_BYTES);
    vd_chain_close(c);
    /* The diff holds the two blocks whole (parent data + patch), nothing else. */
    assert_memory_equal(stored_block(fs, "/img/diff.vdi", 1), want + BLOCK, BLOCK);
    assert_memory_equal(stored_block(fs, "/img/diff.vdi", 6), want + 6u * BLOCK, BLOCK);
    assert_null(stored_block(fs, "/img/diff.vdi", 0));
    assert_null(stored_block(fs, "/img/diff.vdi", 2));
    assert_file_is(fs, "/img/base.vdi", before, blen); /* the base was never written */
    /* Reopened: the same. */
    assert_int_equal(open_bases(fs, "/img/diff.vdi", VD_OPEN_READONLY, NULL, 0, &c), 0);
    assert_chain_reads(c, want, DISK_BYTES);
    vd_chain_close(c);
    free(before);
    free(want);
    mem_vd_fs_free(fs);
}

/* Write `len` bytes of `host` (a host file path) from mem. */
static void save_host(const char *host, const uint8_t *data, size_t len)
{
    FILE *fp = fopen(host, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

static void test_vdi_diff_commit_into_qemu_img_base_qemu_img_agrees(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_chain *c;
    struct vd_info binfo;
    uint8_t patch[3 * 4096];
    uint8_t *want;
    size_t wlen;
    char cmd[6000], base_host[1024], want_host[1024], out_host[1024];
    int rc;

    (void)state;
    /* 1. dyn.vdi (qemu-img convert of disk.raw) is the base. */
    assert_int_equal(vd_image_load(fs, "dyn.vdi"), 0);
    assert_int_equal(mem_vd_fs_load(fs, "/ref/disk.raw", vd_image_path("disk.raw")), 0);
    want = snapshot_file(fs, "/ref/disk.raw", &wlen);
    assert_int_equal(open_bases(fs, "/img/dyn.vdi", VD_OPEN_READONLY, NULL, 0, &c), 0);
    binfo = *vd_chain_info(c, 0);
    vd_chain_close(c);
    assert_int_equal(binfo.disk_bytes, wlen);
    /* 2. A diff in a sub folder; writes: inside a block, across a block
     *    boundary, at the very end of the disk. */
    assert_int_equal(
        create(fs, "/img/snaps/d.vdi", "vdi", binfo.disk_bytes, "../dyn.vdi", &binfo, NULL), 0);
    assert_int_equal(open_bases(fs, "/img/snaps/d.vdi", 0, NULL, 0, &c), 0);
    fill(patch, sizeof(patch), 5);
    uint64_t offs[3] = {(1u << 20) + 4096, (3u << 20) - 4096, wlen - sizeof(patch)};
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(vd_chain_write(c, offs[i], patch, sizeof(patch)), 0);
        memcpy(want + offs[i], patch, sizeof(patch));
    }
    assert_chain_reads(c, want, wlen);
    /* 3. Commit (VDMerge into the parent); the base alone holds it. */
    assert_int_equal(vd_chain_commit(c), 0);
    assert_int_equal(vd_chain_depth(c), 1);
    assert_string_equal(vd_chain_info(c, 0)->variant, "dynamic");
    assert_chain_reads(c, want, wlen);
    vd_chain_close(c);
    /* 4. qemu-img: the base checks clean and converts to the expected bytes. */
    snprintf(base_host, sizeof(base_host), "%s", vd_image_scratch("vdi-diff-base.vdi"));
    snprintf(want_host, sizeof(want_host), "%s", vd_image_scratch("vdi-diff-want.raw"));
    snprintf(out_host, sizeof(out_host), "%s", vd_image_scratch("vdi-diff-out.raw"));
    assert_int_equal(mem_vd_fs_save(fs, "/img/dyn.vdi", base_host), 0);
    save_host(want_host, want, wlen);
    snprintf(cmd, sizeof(cmd), "qemu-img check -q -f vdi '%s'", base_host);
    rc = system(cmd);
    assert_int_equal(rc, 0);
    snprintf(cmd, sizeof(cmd),
             "rm -f '%s' && qemu-img convert -f vdi -O raw '%s' '%s' && cmp -s '%s' '%s'",
             out_host, base_host, out_host, out_host, want_host);
    rc = system(cmd);
    assert_int_equal(rc, 0);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(want);
    mem_vd_fs_free(fs);
}

static void test_vdi_diff_wrong_base_is_corrupt_nothing_written(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo, oinfo;
    uint8_t *b = vdi_base(fs, "/img/base.vdi", 6, &binfo);
    uint8_t *o = vdi_base(fs, "/img/other.vdi", 7, &oinfo);
    const char *bases[] = {"/img/other.vdi"};
    struct vd_chain *c = NULL;
    unsigned long writes;

    (void)state;
    assert_int_equal(create(fs, "/img/diff.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, NULL),
                     0);
    clear_hint(fs, "/img/diff.vdi");
    writes = mem_vd_fs_write_calls(fs);
    klog_clear();
    assert_int_equal(open_bases(fs, "/img/diff.vdi", 0, bases, 1, &c), ERR_CORRUPT);
    assert_null(c);
    assert_true(klog_contains("/img/other.vdi is not its parent (uuid"));
    assert_true(klog_contains("no candidate parent has the linked uuid"));
    assert_int_equal(mem_vd_fs_write_calls(fs), writes);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(b);
    free(o);
    mem_vd_fs_free(fs);
}

static void test_vdi_diff_stale_hint_with_other_uuid_is_corrupt(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo, oinfo;
    uint8_t *b = vdi_base(fs, "/img/base.vdi", 8, &binfo);
    struct vd_chain *c = NULL;
    unsigned long writes;

    (void)state;
    assert_int_equal(create(fs, "/img/diff.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, NULL),
                     0);
    /* base.vdi replaced by another image of the same name. */
    free(vdi_base(fs, "/img/base.vdi", 9, &oinfo));
    writes = mem_vd_fs_write_calls(fs);
    klog_clear();
    assert_int_equal(open_bases(fs, "/img/diff.vdi", 0, NULL, 0, &c), ERR_CORRUPT);
    assert_true(klog_contains("/img/base.vdi is not its parent"));
    assert_int_equal(mem_vd_fs_write_calls(fs), writes);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(b);
    mem_vd_fs_free(fs);
}

static void test_vdi_diff_parent_found_among_bases_by_uuid(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo, oinfo;
    uint8_t *want = vdi_base(fs, "/img/base.vdi", 10, &binfo);
    uint8_t *o = vdi_base(fs, "/img/other.vdi", 11, &oinfo);
    const char *bases[] = {"/img/other.vdi", "base.vdi"};
    uint8_t sector[512];
    struct vd_chain *c;

    (void)state;
    assert_int_equal(create(fs, "/img/diff.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, NULL),
                     0);
    clear_hint(fs, "/img/diff.vdi");
    klog_clear();
    assert_int_equal(open_bases(fs, "/img/diff.vdi", 0, bases, 2, &c), 0);
    assert_int_equal(vd_chain_depth(c), 2);
    assert_string_equal(vd_chain_info(c, 0)->parent, "base.vdi");
    assert_true(klog_contains("/img/other.vdi is not its parent"));
    assert_chain_reads(c, want, DISK_BYTES);
    /* Commit reopens the base through the chosen name. */
    memset(sector, 0x5c, sizeof(sector));
    assert_int_equal(vd_chain_write(c, 4096, sector, sizeof(sector)), 0);
    memcpy(want + 4096, sector, sizeof(sector));
    assert_int_equal(vd_chain_commit(c), 0);
    vd_chain_close(c);
    assert_int_equal(open_bases(fs, "/img/base.vdi", VD_OPEN_READONLY, NULL, 0, &c), 0);
    assert_chain_reads(c, want, DISK_BYTES);
    vd_chain_close(c);
    free(want);
    free(o);
    mem_vd_fs_free(fs);
}

static void test_vdi_diff_without_candidates_gives_noent(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo;
    uint8_t *b = vdi_base(fs, "/img/base.vdi", 12, &binfo);
    struct vd_chain *c = NULL;

    (void)state;
    assert_int_equal(create(fs, "/img/diff.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, NULL),
                     0);
    clear_hint(fs, "/img/diff.vdi");
    klog_clear();
    assert_int_equal(open_bases(fs, "/img/diff.vdi", 0, NULL, 0, &c), ERR_NOENT);
    assert_true(klog_contains("differencing image names no parent file"));
    /* `vdisk info` mode: the top alone, read-only, reads refused. */
    assert_int_equal(open_bases(fs, "/img/diff.vdi", VD_OPEN_READONLY | VD_OPEN_INFO, NULL, 0, &c),
                     0);
    assert_int_equal(vd_chain_depth(c), 1);
    assert_true(vd_chain_info(c, 0)->parent_by_uuid);
    assert_true(vd_chain_readonly(c));
    vd_chain_close(c);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(b);
    mem_vd_fs_free(fs);
}

/* A diff of a diff whose middle image has no hint: the snapshot case, where
 * vdisk reopens with every image of the old chain as a candidate. */
static void test_vdi_diff_of_diff_finds_both_parents(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo, minfo;
    uint8_t *want = vdi_base(fs, "/img/base.vdi", 13, &binfo);
    const char *bases[] = {"/img/mid.vdi", "/img/base.vdi"};
    uint8_t sector[512];
    struct vd_chain *c;

    (void)state;
    assert_int_equal(create(fs, "/img/mid.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, NULL), 0);
    clear_hint(fs, "/img/mid.vdi");
    assert_int_equal(open_bases(fs, "/img/mid.vdi", 0, bases + 1, 1, &c), 0);
    memset(sector, 0x33, sizeof(sector));
    assert_int_equal(vd_chain_write(c, 7u * BLOCK, sector, sizeof(sector)), 0);
    memcpy(want + 7u * BLOCK, sector, sizeof(sector));
    minfo = *vd_chain_info(c, 0);
    vd_chain_close(c);
    assert_int_equal(create(fs, "/img/top.vdi", "vdi", DISK_BYTES, "mid.vdi", &minfo, NULL), 0);
    assert_int_equal(open_bases(fs, "/img/top.vdi", 0, bases, 2, &c), 0);
    assert_int_equal(vd_chain_depth(c), 3);
    assert_string_equal(vd_chain_info(c, 1)->parent, "/img/base.vdi");
    assert_chain_reads(c, want, DISK_BYTES);
    vd_chain_close(c);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(want);
    mem_vd_fs_free(fs);
}

static void test_vdi_diff_full_host_fs_gives_nospc_diff_unchanged(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo;
    uint8_t *content = vdi_base(fs, "/img/base.vdi", 14, &binfo);
    uint8_t sector[512], *copy;
    struct vd_chain *c;
    size_t len;

    (void)state;
    assert_int_equal(create(fs, "/img/diff.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, NULL),
                     0);
    assert_int_equal(open_bases(fs, "/img/diff.vdi", 0, NULL, 0, &c), 0);
    copy = snapshot_file(fs, "/img/diff.vdi", &len);
    mem_vd_fs_set_free_space(fs, 4096);
    memset(sector, 0x42, sizeof(sector));
    assert_int_equal(vd_chain_write(c, 512, sector, sizeof(sector)), ERR_NOSPC);
    assert_file_is(fs, "/img/diff.vdi", copy, len);
    assert_int_equal(vd_chain_read(c, 512, sector, sizeof(sector)), 0);
    assert_memory_equal(sector, content + 512, sizeof(sector));
    vd_chain_close(c);
    free(copy);
    free(content);
    mem_vd_fs_free(fs);
}

/* One damaged field of a diff: the exact error, one log line, no write. */
static void try_damaged(const char *what, size_t off, const void *bytes, size_t n, int want,
                        const char *msg)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo;
    uint8_t *b = vdi_base(fs, "/img/base.vdi", 15, &binfo);
    struct vd_chain *c = NULL;
    unsigned long writes;

    assert_int_equal(create(fs, "/img/diff.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, NULL),
                     0);
    patch(fs, "/img/diff.vdi", off, bytes, n);
    writes = mem_vd_fs_write_calls(fs);
    klog_clear();
    int rc = open_bases(fs, "/img/diff.vdi", 0, NULL, 0, &c);
    if (rc != want || !klog_contains(msg))
        fail_msg("%s: got %s, want %s and log '%s'", what, err_name(rc), err_name(want), msg);
    assert_null(c);
    assert_int_equal(mem_vd_fs_write_calls(fs), writes);
    assert_int_equal(mem_vd_fs_open_handles(fs), 0);
    free(b);
    mem_vd_fs_free(fs);
}

static void test_vdi_diff_damaged_header_is_refused_nothing_written(void **state)
{
    uint8_t zero16[16] = {0}, le[4];

    (void)state;
    try_damaged("zero linkage", OFF_UUID_LINK, zero16, 16, ERR_CORRUPT,
                "differencing image without a parent uuid");
    put_le32(le, 0, 3000);
    try_damaged("block size", OFF_BLOCK_SIZE, le, 4, ERR_CORRUPT, "bad block size (3000)");
    put_le32(le, 0, 0x100000);
    try_damaged("data offset", OFF_DATA, le, 4, ERR_CORRUPT, "bad map/data offsets");
    put_le32(le, 0, 5);
    try_damaged("map entry", 512 + 4, le, 4, ERR_CORRUPT, "block 1 points outside the data area");
    put_le32(le, 0, 3);
    try_damaged("undo type", OFF_TYPE, le, 4, ERR_NOTSUP, "unsupported image type 3");
}

/* The linkage patched to the diff's own uuidCreate is a loop. */
static void test_vdi_diff_linked_to_itself_is_corrupt(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo;
    uint8_t *b = vdi_base(fs, "/img/base.vdi", 17, &binfo), *raw;
    struct vd_chain *c = NULL;
    unsigned long writes;
    size_t len;

    (void)state;
    assert_int_equal(create(fs, "/img/diff.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, NULL),
                     0);
    raw = snapshot_file(fs, "/img/diff.vdi", &len);
    patch(fs, "/img/diff.vdi", OFF_UUID_LINK, raw + OFF_UUID_CREATE, 16);
    writes = mem_vd_fs_write_calls(fs);
    klog_clear();
    assert_int_equal(open_bases(fs, "/img/diff.vdi", 0, NULL, 0, &c), ERR_CORRUPT);
    assert_true(klog_contains("differencing image links to itself"));
    assert_int_equal(mem_vd_fs_write_calls(fs), writes);
    free(raw);
    free(b);
    mem_vd_fs_free(fs);
}

static void test_vdi_create_diff_checks_its_parent(void **state)
{
    struct mem_vd_fs *fs = mem_vd_fs_new();
    struct vd_info binfo, qinfo = {.format = "qcow2", .disk_bytes = DISK_BYTES};
    uint8_t *b = vdi_base(fs, "/img/base.vdi", 18, &binfo);

    (void)state;
    assert_int_equal(create(fs, "/img/d1.vdi", "vdi", DISK_BYTES, "b.qcow2", &qinfo, NULL),
                     ERR_NOTSUP);
    assert_int_equal(create(fs, "/img/d2.vdi", "vdi", DISK_BYTES * 2, "base.vdi", &binfo, NULL),
                     ERR_INVAL);
    assert_int_equal(create(fs, "/img/d3.vdi", "vdi", DISK_BYTES, "base.vdi", &binfo, "fixed"),
                     ERR_INVAL);
    assert_int_equal(create(fs, "/img/d4.vdi", "vdi", DISK_BYTES, "base.vdi", NULL, NULL),
                     ERR_NOTSUP);
    /* A VDI base under a qcow2 overlay still works as before. */
    assert_int_equal(create(fs, "/img/o.qcow2", "qcow2", DISK_BYTES, "base.vdi", &binfo, NULL), 0);
    free(b);
    mem_vd_fs_free(fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vdi_diff_reads_unwritten_blocks_from_parent),
        cmocka_unit_test(test_vdi_diff_partial_write_copies_whole_parent_block),
        cmocka_unit_test(test_vdi_diff_commit_into_qemu_img_base_qemu_img_agrees),
        cmocka_unit_test(test_vdi_diff_wrong_base_is_corrupt_nothing_written),
        cmocka_unit_test(test_vdi_diff_stale_hint_with_other_uuid_is_corrupt),
        cmocka_unit_test(test_vdi_diff_parent_found_among_bases_by_uuid),
        cmocka_unit_test(test_vdi_diff_without_candidates_gives_noent),
        cmocka_unit_test(test_vdi_diff_of_diff_finds_both_parents),
        cmocka_unit_test(test_vdi_diff_full_host_fs_gives_nospc_diff_unchanged),
        cmocka_unit_test(test_vdi_diff_damaged_header_is_refused_nothing_written),
        cmocka_unit_test(test_vdi_diff_linked_to_itself_is_corrupt),
        cmocka_unit_test(test_vdi_create_diff_checks_its_parent),
    };
    return cmocka_run_group_tests_name("vd_vdi_diff", tests, group_setup, NULL);
}
