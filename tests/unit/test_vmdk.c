// SPDX-License-Identifier: MIT
/* The VMDK backend against images made by qemu-img from one known raw disk
 * (tests/images/make-vdisk-qcow2-vmdk.sh): whole-disk reads of
 * monolithicSparse, streamOptimized (also with its GD moved to a footer),
 * monolithicFlat and twoGbMaxExtentSparse equal the raw; writes to sparse,
 * split-sparse, flat and created images pass `qemu-img check` and
 * `qemu-img compare`; streamOptimized is read-only. Corrupt variants
 * (patched header fields, GD/GT entries, grain markers, descriptor lines)
 * give the exact error, a log line and no write. */
#include "tests/unit/vd_test_file.h"

#include "drivers/vdisk/lib/vmdk.h"
#include "kernel/lib/endian.h"

static struct {
    uint8_t *raw;
    size_t raw_bytes;
} v;

static const struct vd_backend *const vb = &vd_backend_vmdk;

/* VMDK_STREAM_WINDOW_BYTES of vmdk.c (private there), in KiB. */
#define VMDK_STREAM_TEST_WINDOW_KIB 256u

static int v_setup(void **state)
{
    (void)state;
    if (vtf_prepare())
        return -1;
    if (vtf_system("mkdir -p '%s'", vtf_path("wr")) != 0)
        return -1;
    v.raw = vtf_slurp(vtf_path("disk.raw"), &v.raw_bytes);
    return v.raw ? 0 : -1;
}

static int v_teardown(void **state)
{
    (void)state;
    free(v.raw);
    return 0;
}

static void v_check_reads_of(struct vtf *t, const char *name, const char *variant)
{
    static const size_t chunks[] = { 3584, 200 * 1024, 4u << 20 };
    struct vd_image img;
    uint8_t *buf = malloc(v.raw_bytes);

    assert_non_null(buf);
    assert_int_equal(vb->probe(&t->vf), 0);
    assert_int_equal(vtf_open_image(vb, t, true, &img), 0);
    assert_string_equal(img.info.format, "vmdk");
    assert_string_equal(img.info.variant, variant);
    assert_int_equal(img.info.disk_bytes, v.raw_bytes);
    for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
        memset(buf, 0xcc, v.raw_bytes);
        assert_int_equal(vtf_read_all(&img, NULL, 0, buf, v.raw_bytes, chunks[i]), 0);
        if (memcmp(buf, v.raw, v.raw_bytes) != 0)
            fail_msg("%s: read with %zu-byte requests differs from disk.raw", name, chunks[i]);
    }
    assert_int_equal(t->writes, 0);
    vb->close(&img);
    free(buf);
}

static void v_check_reads(const char *name, const char *variant)
{
    struct vtf *t = vtf_load(name, true);
    v_check_reads_of(t, name, variant);
    vtf_close(&t->vf);
}

static void test_vmdk_monolithic_sparse_reads_equal_raw(void **state)
{
    (void)state;
    v_check_reads("sparse.vmdk", "monolithicSparse");
}

static void test_vmdk_stream_optimized_reads_equal_raw(void **state)
{
    (void)state;
    v_check_reads("stream.vmdk", "streamOptimized");
}

static void test_vmdk_monolithic_flat_reads_equal_raw(void **state)
{
    (void)state;
    v_check_reads("flat.vmdk", "monolithicFlat");
}

static void test_vmdk_split_sparse_descriptor_reads_equal_raw(void **state)
{
    (void)state;
    v_check_reads("split.vmdk", "twoGbMaxExtentSparse");
}

/* streamOptimized with gdOffset = GD_AT_END: footer marker, footer header
 * (the real GD offset) and end-of-stream marker appended. */
static struct vtf *v_stream_gd_at_end(void)
{
    struct vtf *t = vtf_load("stream.vmdk", false);
    uint8_t hdr[512], tail[1536];
    size_t end = ALIGN_UP(t->size, (size_t)512);
    memcpy(hdr, t->data, 512);
    memset(tail, 0, sizeof(tail));
    put_le64(tail, 0, 1);
    put_le32(tail, 12, 3);
    memcpy(tail + 512, hdr, 512);
    assert_int_equal(vtf_grow(t, end + sizeof(tail)), 0);
    memcpy(t->data + end, tail, sizeof(tail));
    put_le64(t->data, 56, UINT64_MAX);
    return t;
}

/* Read [off, off + len) of the image (no parent) with requests of `chunk`
 * bytes; returns the host-file reads that took, after one warm-up read at
 * off so the GT is cached. The bytes must equal disk.raw's. */
static unsigned v_reads_for(const char *name, uint64_t off, size_t len, size_t chunk)
{
    struct vtf *t = vtf_load(name, true);
    struct vd_image img;
    uint8_t *buf = malloc(len);
    size_t done = 0;
    unsigned reads;

    assert_non_null(buf);
    assert_int_equal(vtf_open_image(vb, t, true, &img), 0);
    int rc = vb->read(&img, off, buf, 512, &done);
    if (rc < 0)
        fail_msg("%s: warm-up read at %llu: %s", name, (unsigned long long)off, err_name(rc));
    t->reads = 0;
    assert_int_equal(vtf_read_all(&img, NULL, off, buf, len, chunk), 0);
    reads = t->reads;
    assert_memory_equal(buf, v.raw + off, len);
    vb->close(&img);
    vtf_close(&t->vf);
    free(buf);
    return reads;
}

/* disk.raw's first MiB is random data, so its 16 grains are allocated and
 * qemu-img lays them out one after another in the sparse file. */
static void test_vmdk_sparse_contiguous_grains_take_one_file_read(void **state)
{
    (void)state;
    assert_int_equal(v_reads_for("sparse.vmdk", 0, 1u << 20, 1u << 20), 1);
}

/* The first 4 MiB hold 16 random grains (about 64 KiB compressed each), 16
 * unallocated ones and 32 text grains of a few hundred bytes: the read
 * window serves several grains with their markers per file read, where two
 * reads per allocated grain (96) were made before. */
static void test_vmdk_stream_grains_share_file_reads(void **state)
{
    (void)state;
    unsigned reads = v_reads_for("stream.vmdk", 0, 4u << 20, 1u << 20);
    assert_in_range(reads, 1, 1024 / (VMDK_STREAM_TEST_WINDOW_KIB - 66) + 1 + 2);
}

static void test_vmdk_stream_gd_at_end_reads_from_footer(void **state)
{
    (void)state;
    struct vtf *t = v_stream_gd_at_end();
    v_check_reads_of(t, "stream.vmdk+footer", "streamOptimized");
    vtf_close(&t->vf);
}

static void test_vmdk_stream_optimized_is_read_only(void **state)
{
    struct vd_image img;
    uint8_t b[512] = { 0 };
    size_t done = 0;
    (void)state;
    struct vtf *t = vtf_load("stream.vmdk", false);
    assert_int_equal(vtf_open_image(vb, t, false, &img), 0);
    assert_true(img.readonly);
    assert_int_equal(vb->write(&img, 0, b, sizeof(b), 0, &done), ERR_ROFS);
    assert_int_equal(t->writes, 0);
    vb->close(&img);
    vtf_close(&t->vf);
}

static void test_vmdk_probe_accepts_sparse_and_descriptor_only(void **state)
{
    (void)state;
    struct vtf *t = vtf_load("flat.vmdk", true);
    assert_int_equal(vb->probe(&t->vf), 0);
    vtf_close(&t->vf);
    t = vtf_load("plain.qcow2", true);
    assert_int_equal(vb->probe(&t->vf), ERR_NOTSUP);
    vtf_close(&t->vf);
    t = vtf_load("disk.raw", true);
    assert_int_equal(vb->probe(&t->vf), ERR_NOTSUP);
    vtf_close(&t->vf);
}

/* ---- writes -------------------------------------------------------------------- */

struct v_write {
    uint64_t off;
    size_t len;
};

static const struct v_write v_writes[] = {
    { (1u << 20) + 4096 + 512, 512 },
    { (5u << 20) + 1536, 200 * 1024 },
    { 100 * 1024, 8 * 1024 },
    { (12u << 20) + 512, 1024 },
    { 8u << 20, 3u << 20 },
    { (5u << 20) + 4096, 4096 },
    { 0, 512 },
};

static void v_apply_writes(struct vd_image *img, uint8_t *want, uint64_t disk_bytes)
{
    for (unsigned k = 0; k < ARRAY_SIZE(v_writes); k++) {
        const struct v_write *w = &v_writes[k];
        if (w->off + w->len > disk_bytes)
            continue;
        uint8_t *b = malloc(w->len);
        assert_non_null(b);
        for (size_t i = 0; i < w->len; i++)
            b[i] = (uint8_t)((i * 37 + k * 11 + (i >> 9)) ^ 0xa5);
        int rc = vtf_write_all(img, w->off, b, w->len, 0);
        if (rc)
            fail_msg("write %u: %s", k, err_name(rc));
        memcpy(want + w->off, b, w->len);
        free(b);
    }
}

/* Save t and every file it opened into images/wr/ under their own names,
 * then qemu-img check and compare with want. */
static void v_verify_with_qemu(struct vtf *t, const uint8_t *want, size_t bytes)
{
    char p[300], exp[300];
    snprintf(p, sizeof(p), "wr/%s", t->vf.name);
    vtf_save(t, vtf_path(p));
    for (int i = 0; i < VTF_OPENED_MAX; i++) {
        if (vtf_opened[i]) {
            snprintf(p, sizeof(p), "wr/%s", vtf_opened[i]->vf.name);
            vtf_save(vtf_opened[i], vtf_path(p));
        }
    }
    snprintf(exp, sizeof(exp), "wr/exp-%s.raw", t->vf.name);
    struct vtf *e = vtf_new(".", "exp");
    assert_int_equal(vtf_grow(e, bytes), 0);
    memcpy(e->data, want, bytes);
    vtf_save(e, vtf_path(exp));
    vtf_close(&e->vf);
    snprintf(p, sizeof(p), "wr/%s", t->vf.name);
    int rc = vtf_system("qemu-img check -q -f vmdk '%s'", vtf_path(p));
    if (rc != 0) {
        vtf_system("qemu-img check -f vmdk '%s' >&2", vtf_path(p));
        fail_msg("%s: qemu-img check exit %d", p, rc);
    }
    rc = vtf_system("qemu-img compare -q -f vmdk -F raw '%s' '%s'", vtf_path(p), vtf_path(exp));
    if (rc != 0)
        fail_msg("%s: qemu-img compare exit %d", p, rc);
}

static void v_check_writes(const char *name)
{
    struct vd_image img;
    struct vtf *t = vtf_load(name, false);
    uint8_t *want = malloc(v.raw_bytes), *buf = malloc(v.raw_bytes);

    assert_non_null(want);
    assert_non_null(buf);
    memcpy(want, v.raw, v.raw_bytes);
    assert_int_equal(vtf_open_image(vb, t, false, &img), 0);
    assert_false(img.readonly);
    v_apply_writes(&img, want, v.raw_bytes);
    assert_int_equal(vb->flush(&img), 0);
    assert_int_equal(vtf_read_all(&img, NULL, 0, buf, v.raw_bytes, 1u << 20), 0);
    assert_memory_equal(buf, want, v.raw_bytes);
    v_verify_with_qemu(t, want, v.raw_bytes);
    vb->close(&img);
    vtf_close(&t->vf);
    free(want);
    free(buf);
}

static void test_vmdk_sparse_writes_pass_qemu_img_check(void **state)
{
    (void)state;
    v_check_writes("sparse.vmdk");
}

static void test_vmdk_split_sparse_writes_pass_qemu_img_check(void **state)
{
    (void)state;
    v_check_writes("split.vmdk");
}

static void test_vmdk_flat_writes_pass_qemu_img_check(void **state)
{
    (void)state;
    v_check_writes("flat.vmdk");
}

static void test_vmdk_sparse_write_into_missing_gt_allocates_one(void **state)
{
    struct vd_image img;
    (void)state;
    /* Drop the only GT from both directories: every grain is unallocated
     * and the first write must create a GT (and a redundant one). */
    struct vtf *t = vtf_load("sparse.vmdk", false);
    put_le32(t->data, le64_at(t->data, 56) * 512, 0);
    put_le32(t->data, le64_at(t->data, 48) * 512, 0);
    uint8_t *want = calloc(1, v.raw_bytes);
    assert_non_null(want);
    assert_int_equal(vtf_open_image(vb, t, false, &img), 0);
    v_apply_writes(&img, want, v.raw_bytes);
    v_verify_with_qemu(t, want, v.raw_bytes);
    vb->close(&img);
    vtf_close(&t->vf);
    free(want);
}

static void test_vmdk_create_then_writes_pass_qemu_img_check(void **state)
{
    struct vd_create_opts o = { .disk_bytes = 0 };
    struct vd_image img;
    (void)state;
    o.disk_bytes = v.raw_bytes;
    struct vtf *t = vtf_new(vtf_path("wr"), "new.vmdk");
    uint8_t *want = calloc(1, v.raw_bytes);
    assert_non_null(want);
    assert_int_equal(vb->create(&t->vf, &o), 0);
    assert_int_equal(vtf_open_image(vb, t, false, &img), 0);
    assert_string_equal(img.info.variant, "monolithicSparse");
    assert_int_equal(img.info.disk_bytes, v.raw_bytes);
    assert_int_equal(img.info.block_bytes, 65536);
    v_apply_writes(&img, want, v.raw_bytes);
    v_verify_with_qemu(t, want, v.raw_bytes);
    vb->close(&img);
    vtf_close(&t->vf);
    free(want);
    /* A parent cannot be recorded. */
    o.parent = "base.vmdk";
    t = vtf_new(".", "x.vmdk");
    assert_int_equal(vb->create(&t->vf, &o), ERR_NOTSUP);
    assert_int_equal(t->writes, 0);
    vtf_close(&t->vf);
}

/* ---- corruption ------------------------------------------------------------------ */

enum v_field { VF_U32, VF_U64 };

static void v_expect_open(const char *name, size_t off, enum v_field w, uint64_t val, int want)
{
    struct vd_image img;
    struct vtf *t = vtf_load(name, false);
    if (w == VF_U32)
        put_le32(t->data, off, (uint32_t)val);
    else
        put_le64(t->data, off, val);
    klog_clear();
    int rc = vtf_open_image(vb, t, false, &img);
    if (rc != want)
        fail_msg("%s: field @%zu = 0x%llx: open gave %s, want %s", name, off,
                 (unsigned long long)val, err_name(rc), err_name(want));
    assert_true(klog_contains("vmdk: "));
    assert_int_equal(t->writes, 0);
    vtf_close(&t->vf);
}

static void test_vmdk_bad_sparse_header_fields_are_corrupt(void **state)
{
    (void)state;
    struct vtf *t = vtf_load("sparse.vmdk", true);
    uint64_t size = t->size;
    vtf_close(&t->vf);
    v_expect_open("sparse.vmdk", 0, VF_U32, 0x12345678, ERR_CORRUPT);     /* magic */
    v_expect_open("sparse.vmdk", 4, VF_U32, 9, ERR_CORRUPT);              /* version */
    v_expect_open("sparse.vmdk", 12, VF_U64, 1ull << 40, ERR_CORRUPT);    /* capacity */
    v_expect_open("sparse.vmdk", 12, VF_U64, 0, ERR_CORRUPT);
    v_expect_open("sparse.vmdk", 20, VF_U64, 96, ERR_CORRUPT);            /* grain not 2^n */
    v_expect_open("sparse.vmdk", 20, VF_U64, 1ull << 20, ERR_CORRUPT);    /* grain absurd */
    v_expect_open("sparse.vmdk", 44, VF_U32, 0, ERR_CORRUPT);             /* GTEs per GT */
    v_expect_open("sparse.vmdk", 44, VF_U32, 4096, ERR_CORRUPT);
    v_expect_open("sparse.vmdk", 56, VF_U64, size / 512 + 8, ERR_CORRUPT); /* GD past EOF */
    v_expect_open("sparse.vmdk", 48, VF_U64, size / 512 + 8, ERR_CORRUPT); /* RGD past EOF */
    v_expect_open("sparse.vmdk", 28, VF_U64, size / 512 + 1, ERR_CORRUPT); /* descriptor */
    v_expect_open("stream.vmdk", 77, VF_U32, 0x10002, ERR_NOTSUP);        /* compression 2 */
}

static void test_vmdk_gd_entry_past_eof_is_corrupt(void **state)
{
    (void)state;
    struct vtf *t = vtf_load("sparse.vmdk", true);
    size_t gd = (size_t)le64_at(t->data, 56) * 512;
    uint64_t size = t->size;
    vtf_close(&t->vf);
    v_expect_open("sparse.vmdk", gd, VF_U32, size / 512 + 1, ERR_CORRUPT);
}

static void test_vmdk_gte_past_eof_fails_read_and_write(void **state)
{
    struct vd_image img;
    uint8_t b[4096];
    size_t done = 0;
    (void)state;
    struct vtf *t = vtf_load("sparse.vmdk", false);
    size_t gt = (size_t)le32_at(t->data, (size_t)le64_at(t->data, 56) * 512) * 512;
    put_le32(t->data, gt, (uint32_t)(t->size / 512 + 64)); /* grain 0 */
    assert_int_equal(vtf_open_image(vb, t, false, &img), 0);
    klog_clear();
    assert_int_equal(vb->read(&img, 0, b, sizeof(b), &done), ERR_CORRUPT);
    assert_true(klog_contains("outside the file"));
    assert_int_equal(vb->write(&img, 0, b, sizeof(b), 0, &done), ERR_CORRUPT);
    assert_int_equal(t->writes, 0);
    vb->close(&img);
    vtf_close(&t->vf);
}

/* First allocated grain of stream.vmdk: its index and its marker's offset. */
static void v_stream_first_grain(const struct vtf *t, uint64_t *grain, size_t *marker)
{
    size_t gt = (size_t)le32_at(t->data, (size_t)le64_at(t->data, 56) * 512) * 512;
    for (size_t i = 0; i < 512; i++) {
        uint32_t gte = le32_at(t->data, gt + i * 4);
        if (gte > 1) {
            *grain = i;
            *marker = (size_t)gte * 512;
            return;
        }
    }
    fail_msg("no grain");
}

static void test_vmdk_stream_bad_marker_or_truncated_grain_is_corrupt(void **state)
{
    static const char *const logs[] = { "bad grain marker", "does not inflate",
                                        "bad grain marker" };
    struct vd_image img;
    uint8_t b[512];
    uint64_t g;
    size_t done = 0, m;
    (void)state;
    for (int k = 0; k < 3; k++) {
        struct vtf *t = vtf_load("stream.vmdk", false);
        v_stream_first_grain(t, &g, &m);
        if (k == 0)
            put_le64(t->data, m, le64_at(t->data, m) + 128); /* marker names another grain */
        else if (k == 1)
            put_le32(t->data, m + 8, le32_at(t->data, m + 8) / 2); /* data cut in half */
        else
            put_le32(t->data, m + 8, 0x7fffffff);                  /* absurd size */
        assert_int_equal(vtf_open_image(vb, t, true, &img), 0);
        klog_clear();
        assert_int_equal(vb->read(&img, g * 65536, b, sizeof(b), &done), ERR_CORRUPT);
        assert_true(klog_contains(logs[k]));
        assert_int_equal(t->writes, 0);
        vb->close(&img);
        vtf_close(&t->vf);
    }
}

static void test_vmdk_stream_bad_footer_is_corrupt(void **state)
{
    struct vd_image img;
    (void)state;
    struct vtf *t = v_stream_gd_at_end();
    t->data[t->size - 1536] = 2; /* footer marker sectors field */
    klog_clear();
    assert_int_equal(vtf_open_image(vb, t, true, &img), ERR_CORRUPT);
    assert_true(klog_contains("footer"));
    vtf_close(&t->vf);
}

/* Replace `from` by `to` (same length) in a copy of descriptor `name`. */
static int v_open_patched_descriptor(const char *name, const char *from, const char *to)
{
    struct vd_image img;
    struct vtf *t = vtf_load(name, false);
    char *p = memmem(t->data, t->size, from, strlen(from));
    assert_non_null(p);
    assert_int_equal(strlen(from), strlen(to));
    memcpy(p, to, strlen(to));
    klog_clear();
    int rc = vtf_open_image(vb, t, false, &img);
    if (rc == 0)
        vb->close(&img);
    assert_int_equal(t->writes, 0);
    vtf_close(&t->vf);
    return rc;
}

static void test_vmdk_bad_descriptor_extents_are_rejected(void **state)
{
    (void)state;
    /* Flat extent larger than its file. */
    assert_int_equal(v_open_patched_descriptor("flat.vmdk", "RW 24579 FLAT", "RW 99579 FLAT"),
                     ERR_CORRUPT);
    assert_true(klog_contains("smaller than declared"));
    /* Sparse extent larger than its capacity. */
    assert_int_equal(v_open_patched_descriptor("split.vmdk", "RW 24579 SPARSE",
                                               "RW 94579 SPARSE"), ERR_CORRUPT);
    /* Malformed sector count, unknown type, no extents, missing file. */
    assert_int_equal(v_open_patched_descriptor("flat.vmdk", "RW 24579 FLAT", "RW 24x79 FLAT"),
                     ERR_CORRUPT);
    assert_int_equal(v_open_patched_descriptor("flat.vmdk", "RW 24579 FLAT", "RW 24579 COWD"),
                     ERR_NOTSUP);
    assert_int_equal(v_open_patched_descriptor("flat.vmdk", "RW 24579", "#W 24579"), ERR_CORRUPT);
    assert_int_equal(v_open_patched_descriptor("flat.vmdk", "flat-flat.vmdk", "flat-xxxx.vmdk"),
                     ERR_NOENT);
}

static void test_vmdk_random_header_damage_never_crashes(void **state)
{
    uint64_t rng = 777;
    uint8_t *buf = malloc(1u << 20);
    (void)state;
    assert_non_null(buf);
    for (int round = 0; round < 200; round++) {
        struct vd_image img;
        struct vtf *t = vtf_load(round % 2 ? "stream.vmdk" : "sparse.vmdk", false);
        for (int k = 0; k < 3; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            t->data[rng % 80] ^= (uint8_t)(1u << (rng >> 40) % 8);
        }
        int rc = vtf_open_image(vb, t, true, &img);
        if (rc == 0) {
            rc = vtf_read_all(&img, NULL, 0, buf, (size_t)MIN(img.info.disk_bytes, 1ull << 20),
                              65536);
            assert_true(rc == 0 || rc == ERR_CORRUPT);
            vb->close(&img);
        } else {
            assert_true(rc == ERR_CORRUPT || rc == ERR_NOTSUP);
        }
        assert_int_equal(t->writes, 0);
        vtf_close(&t->vf);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vmdk_monolithic_sparse_reads_equal_raw),
        cmocka_unit_test(test_vmdk_stream_optimized_reads_equal_raw),
        cmocka_unit_test(test_vmdk_monolithic_flat_reads_equal_raw),
        cmocka_unit_test(test_vmdk_split_sparse_descriptor_reads_equal_raw),
        cmocka_unit_test(test_vmdk_stream_gd_at_end_reads_from_footer),
        cmocka_unit_test(test_vmdk_sparse_contiguous_grains_take_one_file_read),
        cmocka_unit_test(test_vmdk_stream_grains_share_file_reads),
        cmocka_unit_test(test_vmdk_stream_optimized_is_read_only),
        cmocka_unit_test(test_vmdk_probe_accepts_sparse_and_descriptor_only),
        cmocka_unit_test(test_vmdk_sparse_writes_pass_qemu_img_check),
        cmocka_unit_test(test_vmdk_split_sparse_writes_pass_qemu_img_check),
        cmocka_unit_test(test_vmdk_flat_writes_pass_qemu_img_check),
        cmocka_unit_test(test_vmdk_sparse_write_into_missing_gt_allocates_one),
        cmocka_unit_test(test_vmdk_create_then_writes_pass_qemu_img_check),
        cmocka_unit_test(test_vmdk_bad_sparse_header_fields_are_corrupt),
        cmocka_unit_test(test_vmdk_gd_entry_past_eof_is_corrupt),
        cmocka_unit_test(test_vmdk_gte_past_eof_fails_read_and_write),
        cmocka_unit_test(test_vmdk_stream_bad_marker_or_truncated_grain_is_corrupt),
        cmocka_unit_test(test_vmdk_stream_bad_footer_is_corrupt),
        cmocka_unit_test(test_vmdk_bad_descriptor_extents_are_rejected),
        cmocka_unit_test(test_vmdk_random_header_damage_never_crashes),
    };
    return cmocka_run_group_tests_name("vmdk", tests, v_setup, v_teardown);
}
