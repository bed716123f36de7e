// SPDX-License-Identifier: MIT
/* The QCOW2 backend against images made by qemu-img from one known raw disk
 * (tests/images/make-vdisk-qcow2-vmdk.sh): whole-disk reads equal the raw
 * for v3, v2, compressed, 4 KiB and 2 MiB clusters, 1- and 64-bit
 * refcounts and an overlay over its backing file; writes through the
 * backend (free, allocated, compressed and tail clusters, new L2 tables and
 * refcount blocks) leave images that `qemu-img check` finds clean and
 * `qemu-img compare` finds equal to the expected raw; created images too.
 * Corrupt variants (patched fields of generated images) give the exact
 * error, a log line and no write; a host file system that fills up in the
 * middle of a write leaves at worst leaked clusters. */
#include "tests/unit/vd_test_file.h"

#include "drivers/vdisk/lib/qcow2.h"
#include "drivers/vdisk/lib/vd_chain.h"
#include "drivers/vdisk/lib/vd_util.h"

static struct {
    uint8_t *raw;      /* disk.raw */
    size_t raw_bytes;
} q;

static int q_setup(void **state)
{
    (void)state;
    if (vtf_prepare())
        return -1;
    q.raw = vtf_slurp(vtf_path("disk.raw"), &q.raw_bytes);
    return q.raw ? 0 : -1;
}

static int q_teardown(void **state)
{
    (void)state;
    free(q.raw);
    return 0;
}

static const struct vd_backend *const qb = &vd_backend_qcow2;

/* ---- reads ------------------------------------------------------------------ */

static void q_check_reads(const char *name)
{
    static const size_t chunks[] = { 3584, 200 * 1024, 4u << 20 };
    struct vtf *t = vtf_load(name, true);
    struct vd_image img;
    uint8_t *buf = malloc(q.raw_bytes);

    assert_non_null(buf);
    assert_int_equal(qb->probe(&t->vf), 0);
    assert_int_equal(vtf_open_image(qb, t, true, &img), 0);
    assert_string_equal(img.info.format, "qcow2");
    assert_int_equal(img.info.disk_bytes, q.raw_bytes);
    assert_int_equal(img.info.sector_size, 512);
    for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
        memset(buf, 0xcc, q.raw_bytes);
        assert_int_equal(vtf_read_all(&img, NULL, 0, buf, q.raw_bytes, chunks[i]), 0);
        if (memcmp(buf, q.raw, q.raw_bytes) != 0)
            fail_msg("%s: read with %zu-byte requests differs from disk.raw", name, chunks[i]);
    }
    /* An odd start inside a cluster. */
    assert_int_equal(vtf_read_all(&img, NULL, 65536 - 1024, buf, 300 * 1024, 300 * 1024), 0);
    assert_memory_equal(buf, q.raw + 65536 - 1024, 300 * 1024);
    assert_int_equal(t->writes, 0);
    qb->close(&img);
    vtf_close(&t->vf);
    free(buf);
}

static void test_qcow2_plain_v3_reads_equal_raw(void **state)
{
    (void)state;
    q_check_reads("plain.qcow2");
}

static void test_qcow2_compressed_reads_equal_raw(void **state)
{
    (void)state;
    q_check_reads("comp.qcow2");
}

/* disk.raw's 2..4 MiB are repeated text: 32 compressed clusters of a few
 * hundred bytes each, packed one after another. After a warm-up read (L2
 * cached), the read window serves them all with one or two file reads, where
 * one read per cluster (32) was made before. */
static void test_qcow2_compressed_clusters_share_file_reads(void **state)
{
    struct vtf *t = vtf_load("comp.qcow2", true);
    struct vd_image img;
    uint8_t *buf = malloc(2u << 20);
    size_t done = 0;
    (void)state;

    assert_non_null(buf);
    assert_int_equal(vtf_open_image(qb, t, true, &img), 0);
    assert_int_equal(qb->read(&img, 0, buf, 512, &done), 0);
    t->reads = 0;
    assert_int_equal(vtf_read_all(&img, NULL, 2u << 20, buf, 2u << 20, 1u << 20), 0);
    assert_in_range(t->reads, 1, 2);
    assert_memory_equal(buf, q.raw + (2u << 20), 2u << 20);
    qb->close(&img);
    vtf_close(&t->vf);
    free(buf);
}

static void test_qcow2_compat_0_10_reads_equal_raw(void **state)
{
    (void)state;
    q_check_reads("v2.qcow2");
}

static void test_qcow2_4k_clusters_read_equal_raw(void **state)
{
    (void)state;
    q_check_reads("c4k.qcow2");
}

static void test_qcow2_2m_clusters_read_equal_raw(void **state)
{
    (void)state;
    q_check_reads("c2m.qcow2");
}

static void test_qcow2_refcount_bits_1_and_64_read_equal_raw(void **state)
{
    (void)state;
    q_check_reads("rc1.qcow2");
    q_check_reads("rc64.qcow2");
}

static void test_qcow2_info_reports_version_cluster_and_backing(void **state)
{
    struct vd_image img;
    (void)state;
    struct vtf *t = vtf_load("v2.qcow2", true);
    assert_int_equal(vtf_open_image(qb, t, true, &img), 0);
    assert_string_equal(img.info.variant, "v2");
    assert_int_equal(img.info.block_bytes, 65536);
    assert_string_equal(img.info.parent, "");
    qb->close(&img);
    vtf_close(&t->vf);
    t = vtf_load("c2m.qcow2", true);
    assert_int_equal(vtf_open_image(qb, t, true, &img), 0);
    assert_string_equal(img.info.variant, "v3");
    assert_int_equal(img.info.block_bytes, 2u << 20);
    qb->close(&img);
    vtf_close(&t->vf);
    t = vtf_load("overlay.qcow2", true);
    assert_int_equal(vtf_open_image(qb, t, true, &img), 0);
    assert_string_equal(img.info.parent, "base.qcow2");
    qb->close(&img);
    vtf_close(&t->vf);
}

static void test_qcow2_probe_rejects_other_formats(void **state)
{
    (void)state;
    struct vtf *t = vtf_load("sparse.vmdk", true);
    assert_int_equal(qb->probe(&t->vf), ERR_NOTSUP);
    vtf_close(&t->vf);
    t = vtf_new(".", "empty");
    assert_int_equal(qb->probe(&t->vf), ERR_NOTSUP);
    vtf_close(&t->vf);
}

static void test_qcow2_overlay_free_clusters_read_from_backing(void **state)
{
    struct vd_image top, base;
    size_t n;
    (void)state;
    uint8_t *want = vtf_slurp(vtf_path("overlay.raw"), &n);
    uint8_t *buf = malloc(n);
    struct vtf *tt = vtf_load("overlay.qcow2", true), *tb = vtf_load("base.qcow2", true);
    assert_non_null(buf);
    assert_int_equal(vtf_open_image(qb, tt, true, &top), 0);
    assert_int_equal(vtf_open_image(qb, tb, true, &base), 0);
    /* A cluster the overlay never wrote is free; a `write -z` one reads zeroes. */
    size_t done = 0;
    assert_int_equal(qb->read(&top, 6u << 20, buf, 4096, &done), VD_BLOCK_FREE);
    assert_true(done >= 4096);
    assert_int_equal(qb->read(&top, 0, buf, 4096, &done), 0);
    assert_true(buf[0] == 0 && buf[4095] == 0);
    assert_int_equal(vtf_read_all(&top, &base, 0, buf, n, 1u << 20), 0);
    assert_memory_equal(buf, want, n);
    qb->close(&top);
    qb->close(&base);
    vtf_close(&tt->vf);
    vtf_close(&tb->vf);
    free(buf);
    free(want);
}

static void test_qcow2_chain_open_reads_overlay_over_base(void **state)
{
    struct vd_chain *c;
    size_t n;
    char desc[256];
    (void)state;
    uint8_t *want = vtf_slurp(vtf_path("overlay.raw"), &n);
    uint8_t *buf = malloc(n);
    struct vtf *t = vtf_load("overlay.qcow2", true);
    assert_non_null(buf);
    assert_int_equal(vd_chain_open(&t->vf, NULL, VD_OPEN_READONLY, 0, &c), 0);
    assert_int_equal(vd_chain_depth(c), 2);
    vd_chain_describe(c, desc, sizeof(desc));
    assert_non_null(strstr(desc, "qcow2"));
    assert_int_equal(vd_chain_read(c, 0, buf, n), 0);
    assert_memory_equal(buf, want, n);
    vd_chain_close(c);
    free(buf);
    free(want);
}

/* ---- writes ------------------------------------------------------------------------ */

struct q_write {
    uint64_t off;
    size_t len;
};

/* Free, allocated/compressed, text, tail, a long run, then in-place rewrites. */
static const struct q_write q_writes[] = {
    { (1u << 20) + 4096 + 512, 512 },
    { (5u << 20) + 1536, 200 * 1024 },
    { 100 * 1024, 8 * 1024 },
    { (2u << 20) + 333 * 512, 1536 },
    { (12u << 20) + 512, 1024 },
    { 8u << 20, 3u << 20 },
    { (5u << 20) + 4096, 4096 },
    { 0, 512 },
};

static uint8_t q_pattern(size_t i, unsigned k)
{
    return (uint8_t)((i * 131 + k * 29 + (i >> 9)) ^ 0x5a);
}

/* Apply q_writes (those inside disk_bytes) to img and to want. */
static void q_apply_writes(struct vd_image *img, uint8_t *want, uint64_t disk_bytes)
{
    for (unsigned k = 0; k < ARRAY_SIZE(q_writes); k++) {
        const struct q_write *w = &q_writes[k];
        if (w->off + w->len > disk_bytes)
            continue;
        uint8_t *b = malloc(w->len);
        assert_non_null(b);
        for (size_t i = 0; i < w->len; i++)
            b[i] = q_pattern(i, k);
        int rc = vtf_write_all(img, w->off, b, w->len, 0);
        if (rc)
            fail_msg("write %u (%llu+%zu): %s", k, (unsigned long long)w->off, w->len,
                     err_name(rc));
        memcpy(want + w->off, b, w->len);
        free(b);
    }
}

/* Save t as out-NAME, run qemu-img check (must be clean) and compare with want. */
static void q_verify_with_qemu(struct vtf *t, const char *name, const uint8_t *want,
                               size_t bytes)
{
    char out[64], exp[64];
    snprintf(out, sizeof(out), "out-%s", name);
    snprintf(exp, sizeof(exp), "exp-%s.raw", name);
    vtf_save(t, vtf_path(out));
    struct vtf *e = vtf_new(".", "exp");
    assert_int_equal(vtf_grow(e, bytes), 0);
    memcpy(e->data, want, bytes);
    vtf_save(e, vtf_path(exp));
    vtf_close(&e->vf);
    int rc = vtf_system("qemu-img check -q '%s'", vtf_path(out));
    if (rc != 0) {
        vtf_system("qemu-img check '%s' >&2", vtf_path(out));
        fail_msg("%s: qemu-img check exit %d", out, rc);
    }
    rc = vtf_system("qemu-img compare -q -f qcow2 -F raw '%s' '%s'", vtf_path(out),
                    vtf_path(exp));
    if (rc != 0)
        fail_msg("%s: qemu-img compare exit %d", out, rc);
}

static void q_check_writes(const char *name)
{
    struct vd_image img;
    struct vtf *t = vtf_load(name, false);
    uint8_t *want = malloc(q.raw_bytes), *buf = malloc(q.raw_bytes);

    assert_non_null(want);
    assert_non_null(buf);
    memcpy(want, q.raw, q.raw_bytes);
    assert_int_equal(vtf_open_image(qb, t, false, &img), 0);
    q_apply_writes(&img, want, q.raw_bytes);
    assert_int_equal(qb->flush(&img), 0);
    /* Our own reader sees the writes. */
    assert_int_equal(vtf_read_all(&img, NULL, 0, buf, q.raw_bytes, 1u << 20), 0);
    assert_memory_equal(buf, want, q.raw_bytes);
    qb->close(&img);
    q_verify_with_qemu(t, name, want, q.raw_bytes);
    vtf_close(&t->vf);
    free(want);
    free(buf);
}

static void test_qcow2_plain_writes_pass_qemu_img_check(void **state)
{
    (void)state;
    q_check_writes("plain.qcow2");
}

static void test_qcow2_compressed_writes_reallocate_and_pass_check(void **state)
{
    (void)state;
    q_check_writes("comp.qcow2");
}

static void test_qcow2_compat_0_10_writes_pass_qemu_img_check(void **state)
{
    (void)state;
    q_check_writes("v2.qcow2");
}

static void test_qcow2_4k_and_2m_cluster_writes_pass_qemu_img_check(void **state)
{
    (void)state;
    q_check_writes("c4k.qcow2");
    q_check_writes("c2m.qcow2");
}

static void test_qcow2_refcount_1_and_64_bit_writes_allocate_refblocks(void **state)
{
    (void)state;
    q_check_writes("rc1.qcow2");
    q_check_writes("rc64.qcow2");
}

static void test_qcow2_overlay_partial_write_to_free_cluster_answers_block_free(void **state)
{
    struct vd_image top, base;
    size_t n, done = 0;
    uint8_t small[512];
    (void)state;
    uint8_t *want = vtf_slurp(vtf_path("overlay.raw"), &n);
    struct vtf *tt = vtf_load("overlay.qcow2", false), *tb = vtf_load("base.qcow2", true);
    assert_int_equal(vtf_open_image(qb, tt, false, &top), 0);
    assert_int_equal(vtf_open_image(qb, tb, true, &base), 0);
    memset(small, 0x77, sizeof(small));
    /* 1. Partial write into a free cluster: nothing written, chain must merge. */
    assert_int_equal(qb->write(&top, (6u << 20) + 1024, small, 512, 0, &done), VD_BLOCK_FREE);
    assert_int_equal(done, 512);
    assert_int_equal(tt->writes, 0);
    /* 2. What the chain does: read the cluster below, merge, write it whole. */
    uint8_t *cl = malloc(65536);
    assert_non_null(cl);
    assert_int_equal(vtf_read_all(&base, NULL, 6u << 20, cl, 65536, 65536), 0);
    memcpy(cl + 1024, small, 512);
    assert_int_equal(vtf_write_all(&top, 6u << 20, cl, 65536, VD_WRITE_FULL_BLOCK), 0);
    memcpy(want + (6u << 20) + 1024, small, 512);
    /* 3. Allocated clusters (qemu-io's) are rewritten in place, the
     *    zero cluster gets a new one. */
    assert_int_equal(vtf_write_all(&top, (1u << 20) + 512, small, 512, 0), 0);
    memcpy(want + (1u << 20) + 512, small, 512);
    assert_int_equal(vtf_write_all(&top, 4096, small, 512, 0), 0);
    memcpy(want + 4096, small, 512);
    qb->close(&top);
    qb->close(&base);
    q_verify_with_qemu(tt, "overlay.qcow2", want, n);
    vtf_close(&tt->vf);
    vtf_close(&tb->vf);
    free(cl);
    free(want);
}

/* ---- create ----------------------------------------------------------------------------- */

static void q_check_create(const char *variant, const char *name)
{
    const uint64_t bytes = q.raw_bytes;
    struct vd_create_opts o = { .disk_bytes = bytes, .variant = variant };
    struct vd_image img;
    struct vtf *t = vtf_new(vtf_path(""), name);
    uint8_t *want = calloc(1, bytes);

    assert_non_null(want);
    assert_int_equal(qb->create(&t->vf, &o), 0);
    assert_int_equal(vtf_open_image(qb, t, false, &img), 0);
    assert_int_equal(img.info.disk_bytes, bytes);
    q_apply_writes(&img, want, bytes);
    qb->close(&img);
    q_verify_with_qemu(t, name, want, bytes);
    vtf_close(&t->vf);
    free(want);
}

static void test_qcow2_create_v3_then_writes_pass_qemu_img_check(void **state)
{
    (void)state;
    q_check_create(NULL, "new.qcow2");
    assert_int_equal(vtf_system("qemu-img info '%s' | grep -q 'compat: 1.1'",
                                vtf_path("out-new.qcow2")), 0);
}

static void test_qcow2_create_v2_then_writes_pass_qemu_img_check(void **state)
{
    (void)state;
    q_check_create("v2", "new2.qcow2");
    assert_int_equal(vtf_system("qemu-img info '%s' | grep -q 'compat: 0.10'",
                                vtf_path("out-new2.qcow2")), 0);
}

static void test_qcow2_create_with_backing_records_name_and_format(void **state)
{
    struct vd_info pinfo = { .format = "raw", .disk_bytes = 0 };
    struct vd_create_opts o = { .parent = "disk.raw", .parent_info = &pinfo };
    struct vd_image img;
    size_t done = 0;
    uint8_t b[512];
    (void)state;
    o.disk_bytes = q.raw_bytes;
    struct vtf *t = vtf_new(vtf_path(""), "new-overlay.qcow2");
    assert_int_equal(qb->create(&t->vf, &o), 0);
    assert_int_equal(vtf_open_image(qb, t, false, &img), 0);
    assert_string_equal(img.info.parent, "disk.raw");
    assert_int_equal(qb->read(&img, 0, b, sizeof(b), &done), VD_BLOCK_FREE);
    qb->close(&img);
    vtf_save(t, vtf_path("out-new-overlay.qcow2"));
    assert_int_equal(vtf_system("qemu-img check -q '%s'", vtf_path("out-new-overlay.qcow2")), 0);
    assert_int_equal(vtf_system("qemu-img info '%s' | grep -q 'backing file format: raw'",
                                vtf_path("out-new-overlay.qcow2")), 0);
    assert_int_equal(vtf_system("qemu-img compare -q '%s' '%s'",
                                vtf_path("out-new-overlay.qcow2"), vtf_path("disk.raw")), 0);
    vtf_close(&t->vf);
}

static void test_qcow2_create_rejects_bad_requests(void **state)
{
    struct vd_create_opts o = { .disk_bytes = 1000 };
    (void)state;
    struct vtf *t = vtf_new(".", "x.qcow2");
    assert_int_equal(qb->create(&t->vf, &o), ERR_INVAL);
    o.disk_bytes = 1u << 20;
    o.variant = "v9";
    assert_int_equal(qb->create(&t->vf, &o), ERR_INVAL);
    assert_int_equal(t->writes, 0);
    vtf_close(&t->vf);
}

/* ---- corruption --------------------------------------------------------------------------- */

/* The first L2 entry (of the first L1 entry's table) that has all bits of
 * `flags` set: its table's offset and its own offset. */
static void q_find_l2_with(const struct vtf *t, uint64_t flags, uint64_t *l2_off,
                           uint64_t *entry_off)
{
    uint64_t l1 = vd_be64_at(t->data, 40);
    uint32_t l1_size = vd_be32_at(t->data, 36);
    unsigned cb = vd_be32_at(t->data, 20);
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2 = vd_be64_at(t->data, l1 + i * 8) & 0x00fffffffffffe00ull;
        if (!l2)
            continue;
        for (uint64_t k = 0; k < (1u << (cb - 3)); k++) {
            uint64_t e = vd_be64_at(t->data, l2 + k * 8);
            if (e && (e & flags) == flags) {
                *l2_off = l2;
                *entry_off = l2 + k * 8;
                return;
            }
        }
    }
    fail_msg("no allocated L2 entry");
}

static void q_find_l2(const struct vtf *t, uint64_t *l2_off, uint64_t *entry_off)
{
    q_find_l2_with(t, 0, l2_off, entry_off);
}

enum q_field { QF_U32, QF_U64 };

/* Patch a header field of a copy of `name` and expect open to fail with `want`. */
static void q_expect_open(const char *name, size_t off, enum q_field w, uint64_t v, int want)
{
    struct vd_image img;
    struct vtf *t = vtf_load(name, false);
    if (w == QF_U32)
        vd_put_be32(t->data, off, (uint32_t)v);
    else
        vd_put_be64(t->data, off, v);
    klog_clear();
    int rc = vtf_open_image(qb, t, false, &img);
    if (rc != want)
        fail_msg("%s: field @%zu = 0x%llx: open gave %s, want %s", name, off,
                 (unsigned long long)v, err_name(rc), err_name(want));
    assert_true(klog_contains("qcow2: "));
    assert_int_equal(t->writes, 0);
    vtf_close(&t->vf);
}

static void test_qcow2_bad_magic_is_rejected(void **state)
{
    struct vd_image img;
    (void)state;
    struct vtf *t = vtf_load("plain.qcow2", false);
    t->data[3] ^= 0xff;
    assert_int_equal(qb->probe(&t->vf), ERR_NOTSUP);
    assert_int_equal(vtf_open_image(qb, t, false, &img), ERR_CORRUPT);
    vtf_close(&t->vf);
}

static void test_qcow2_bad_header_fields_are_corrupt(void **state)
{
    (void)state;
    struct vtf *t = vtf_load("plain.qcow2", true);
    uint64_t size = t->size, l1 = vd_be64_at(t->data, 40);
    vtf_close(&t->vf);
    q_expect_open("plain.qcow2", 20, QF_U32, 8, ERR_CORRUPT);             /* cluster_bits */
    q_expect_open("plain.qcow2", 20, QF_U32, 22, ERR_CORRUPT);
    q_expect_open("plain.qcow2", 24, QF_U64, 1ull << 62, ERR_CORRUPT);    /* absurd size */
    q_expect_open("plain.qcow2", 36, QF_U32, 0, ERR_CORRUPT);             /* L1 too small */
    q_expect_open("plain.qcow2", 36, QF_U32, 0xffffffffu, ERR_CORRUPT);   /* L1 absurd */
    q_expect_open("plain.qcow2", 40, QF_U64, size + 65536, ERR_CORRUPT);  /* L1 past EOF */
    q_expect_open("plain.qcow2", 40, QF_U64, l1 + 512, ERR_CORRUPT);      /* L1 unaligned */
    q_expect_open("plain.qcow2", 48, QF_U64, 0, ERR_CORRUPT);             /* RT on header */
    q_expect_open("plain.qcow2", 48, QF_U64, size, ERR_CORRUPT);          /* RT past EOF */
    q_expect_open("plain.qcow2", 48, QF_U64, l1, ERR_CORRUPT);            /* RT on L1 */
    q_expect_open("plain.qcow2", 56, QF_U32, 0, ERR_CORRUPT);             /* RT empty */
    q_expect_open("plain.qcow2", 56, QF_U32, 0x7fffffffu, ERR_CORRUPT);   /* RT absurd */
    q_expect_open("plain.qcow2", 100, QF_U32, 100, ERR_CORRUPT);          /* header_length */
    q_expect_open("plain.qcow2", 96, QF_U32, 7, ERR_CORRUPT);             /* refcount_order */
    q_expect_open("plain.qcow2", 8, QF_U64, size, ERR_CORRUPT);           /* backing name */
    q_expect_open("plain.qcow2", 8, QF_U64, 3u << 16, ERR_CORRUPT);       /* past cluster 0 */
}

static void test_qcow2_unsupported_features_are_refused(void **state)
{
    (void)state;
    q_expect_open("plain.qcow2", 72, QF_U64, 1ull << 5, ERR_NOTSUP);      /* unknown bit */
    q_expect_open("plain.qcow2", 72, QF_U64, 1ull << 2, ERR_NOTSUP);      /* data file */
    q_expect_open("plain.qcow2", 32, QF_U32, 1, ERR_NOTSUP);              /* encryption */
    q_expect_open("plain.qcow2", 4, QF_U32, 4, ERR_NOTSUP);               /* version */
    /* Compression type zstd (with its feature bit). */
    struct vd_image img;
    struct vtf *t = vtf_load("plain.qcow2", false);
    assert_true(vd_be32_at(t->data, 100) > 104);
    t->data[104] = 1;
    vd_put_be64(t->data, 72, 1ull << 3);
    assert_int_equal(vtf_open_image(qb, t, false, &img), ERR_NOTSUP);
    vtf_close(&t->vf);
}

static void test_qcow2_dirty_image_opens_read_only(void **state)
{
    struct vd_image img;
    uint8_t b[512] = { 0 };
    size_t done = 0;
    (void)state;
    struct vtf *t = vtf_load("plain.qcow2", false);
    vd_put_be64(t->data, 72, 1);
    assert_int_equal(vtf_open_image(qb, t, false, &img), 0);
    assert_true(img.readonly);
    assert_int_equal(qb->read(&img, 0, b, sizeof(b), &done), 0);
    assert_memory_equal(b, q.raw, sizeof(b));
    assert_int_equal(qb->write(&img, 0, b, sizeof(b), 0, &done), ERR_ROFS);
    assert_int_equal(t->writes, 0);
    qb->close(&img);
    vtf_close(&t->vf);
}

static void test_qcow2_l1_entry_past_eof_or_unaligned_is_corrupt(void **state)
{
    struct vd_image img;
    (void)state;
    for (int k = 0; k < 2; k++) {
        struct vtf *t = vtf_load("plain.qcow2", false);
        uint64_t l1 = vd_be64_at(t->data, 40);
        uint64_t e = vd_be64_at(t->data, l1);
        vd_put_be64(t->data, l1, k == 0 ? (1ull << 63) | (t->size + (1u << 20)) : e + 512);
        klog_clear();
        assert_int_equal(vtf_open_image(qb, t, false, &img), ERR_CORRUPT);
        assert_true(klog_contains("L1 entry"));
        assert_int_equal(t->writes, 0);
        vtf_close(&t->vf);
    }
}

static void test_qcow2_refcount_table_entry_past_eof_is_corrupt(void **state)
{
    struct vd_image img;
    (void)state;
    struct vtf *t = vtf_load("plain.qcow2", false);
    uint64_t rt = vd_be64_at(t->data, 48);
    vd_put_be64(t->data, rt, t->size + (64u << 10));
    assert_int_equal(vtf_open_image(qb, t, false, &img), ERR_CORRUPT);
    assert_int_equal(t->writes, 0);
    vtf_close(&t->vf);
}

static void test_qcow2_l2_entry_past_eof_fails_read_and_write(void **state)
{
    struct vd_image img;
    uint8_t b[4096];
    size_t done = 0;
    (void)state;
    for (int k = 0; k < 2; k++) {
        struct vtf *t = vtf_load("plain.qcow2", false);
        uint64_t l2, eo;
        q_find_l2(t, &l2, &eo);
        uint64_t e = vd_be64_at(t->data, eo);
        vd_put_be64(t->data, eo, k == 0 ? (1ull << 63) | ALIGN_UP(t->size + 65536, 65536)
                                        : e + 512);
        uint64_t vcl = (eo - l2) / 8; /* the first L1 entry maps cluster 0.. */
        assert_int_equal(vtf_open_image(qb, t, false, &img), 0);
        klog_clear();
        assert_int_equal(qb->read(&img, vcl << 16, b, sizeof(b), &done), ERR_CORRUPT);
        assert_true(klog_contains("outside the file or unaligned"));
        assert_int_equal(qb->write(&img, vcl << 16, b, sizeof(b), 0, &done), ERR_CORRUPT);
        assert_int_equal(t->writes, 0);
        qb->close(&img);
        vtf_close(&t->vf);
    }
}

static void test_qcow2_truncated_compressed_cluster_is_corrupt(void **state)
{
    struct vd_image img;
    uint8_t b[4096];
    size_t done = 0;
    (void)state;
    struct vtf *t = vtf_load("comp.qcow2", false);
    uint64_t l2, eo, e = 0;
    q_find_l2_with(t, 1ull << 62, &l2, &eo);
    /* A compressed cluster spanning several sectors (the 4 KiB-block region). */
    for (eo = l2; eo < l2 + 65536; eo += 8) {
        e = vd_be64_at(t->data, eo);
        if ((e & (1ull << 62)) && ((e >> 54) & 0xff) >= 4)
            break;
    }
    assert_true(eo < l2 + 65536);
    /* Sector count field (bits 54..61 at 64 KiB clusters) = 0: one sector. */
    e &= ~(0xffull << 54);
    vd_put_be64(t->data, eo, e);
    assert_int_equal(vtf_open_image(qb, t, false, &img), 0);
    klog_clear();
    assert_int_equal(qb->read(&img, ((eo - l2) / 8) << 16, b, sizeof(b), &done), ERR_CORRUPT);
    assert_true(klog_contains("does not inflate"));
    assert_int_equal(qb->write(&img, ((eo - l2) / 8) << 16, b, 512, 0, &done), ERR_CORRUPT);
    assert_int_equal(t->writes, 0);
    qb->close(&img);
    vtf_close(&t->vf);
}

static void test_qcow2_zero_flag_in_v2_image_is_corrupt(void **state)
{
    struct vd_image img;
    uint8_t b[512];
    size_t done = 0;
    (void)state;
    struct vtf *t = vtf_load("v2.qcow2", false);
    uint64_t l2, eo;
    q_find_l2(t, &l2, &eo);
    vd_put_be64(t->data, eo, vd_be64_at(t->data, eo) | 1);
    assert_int_equal(vtf_open_image(qb, t, false, &img), 0);
    assert_int_equal(qb->read(&img, ((eo - l2) / 8) << 16, b, sizeof(b), &done), ERR_CORRUPT);
    qb->close(&img);
    vtf_close(&t->vf);
}

static void test_qcow2_random_header_damage_never_crashes(void **state)
{
    uint64_t rng = 12345;
    uint8_t *buf = malloc(1u << 20);
    (void)state;
    assert_non_null(buf);
    for (int round = 0; round < 200; round++) {
        struct vd_image img;
        struct vtf *t = vtf_load(round % 2 ? "comp.qcow2" : "c4k.qcow2", false);
        for (int k = 0; k < 4; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            t->data[rng % 112] ^= (uint8_t)(1u << (rng >> 40) % 8);
        }
        int rc = vtf_open_image(qb, t, true, &img);
        if (rc == 0) {
            rc = vtf_read_all(&img, NULL, 0, buf, (size_t)MIN(img.info.disk_bytes, 1ull << 20),
                              65536);
            assert_true(rc == 0 || rc == ERR_CORRUPT);
            qb->close(&img);
        } else {
            assert_true(rc == ERR_CORRUPT || rc == ERR_NOTSUP);
        }
        assert_int_equal(t->writes, 0);
        vtf_close(&t->vf);
    }
    free(buf);
}

/* ---- host file system full -------------------------------------------------------------- */

static void test_qcow2_disk_full_mid_write_leaves_image_consistent(void **state)
{
    static const unsigned fail_at[] = { 1, 2, 3, 4, 5, 6, 7, 40, 700, 1600 };
    (void)state;
    uint8_t *b = malloc(3u << 20);
    assert_non_null(b);
    memset(b, 0x3c, 3u << 20);
    for (size_t i = 0; i < ARRAY_SIZE(fail_at); i++) {
        struct vd_image img;
        struct vtf *t = vtf_load("rc64.qcow2", false);
        assert_int_equal(vtf_open_image(qb, t, false, &img), 0);
        t->fail_at = fail_at[i];
        t->fail_err = ERR_NOSPC;
        t->fail_sticky = true;
        assert_int_equal(vtf_write_all(&img, 8u << 20, b, 3u << 20, 0), ERR_NOSPC);
        qb->close(&img);
        vtf_save(t, vtf_path("out-full.qcow2"));
        /* 0: clean; 3: leaked clusters only. Never 2 (corruption). */
        int rc = vtf_system("qemu-img check -q '%s' >/dev/null 2>&1", vtf_path("out-full.qcow2"));
        if (rc != 0 && rc != 3)
            fail_msg("failure at write %u: qemu-img check exit %d", fail_at[i], rc);
        vtf_close(&t->vf);
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qcow2_plain_v3_reads_equal_raw),
        cmocka_unit_test(test_qcow2_compressed_reads_equal_raw),
        cmocka_unit_test(test_qcow2_compressed_clusters_share_file_reads),
        cmocka_unit_test(test_qcow2_compat_0_10_reads_equal_raw),
        cmocka_unit_test(test_qcow2_4k_clusters_read_equal_raw),
        cmocka_unit_test(test_qcow2_2m_clusters_read_equal_raw),
        cmocka_unit_test(test_qcow2_refcount_bits_1_and_64_read_equal_raw),
        cmocka_unit_test(test_qcow2_info_reports_version_cluster_and_backing),
        cmocka_unit_test(test_qcow2_probe_rejects_other_formats),
        cmocka_unit_test(test_qcow2_overlay_free_clusters_read_from_backing),
        cmocka_unit_test(test_qcow2_chain_open_reads_overlay_over_base),
        cmocka_unit_test(test_qcow2_plain_writes_pass_qemu_img_check),
        cmocka_unit_test(test_qcow2_compressed_writes_reallocate_and_pass_check),
        cmocka_unit_test(test_qcow2_compat_0_10_writes_pass_qemu_img_check),
        cmocka_unit_test(test_qcow2_4k_and_2m_cluster_writes_pass_qemu_img_check),
        cmocka_unit_test(test_qcow2_refcount_1_and_64_bit_writes_allocate_refblocks),
        cmocka_unit_test(test_qcow2_overlay_partial_write_to_free_cluster_answers_block_free),
        cmocka_unit_test(test_qcow2_create_v3_then_writes_pass_qemu_img_check),
        cmocka_unit_test(test_qcow2_create_v2_then_writes_pass_qemu_img_check),
        cmocka_unit_test(test_qcow2_create_with_backing_records_name_and_format),
        cmocka_unit_test(test_qcow2_create_rejects_bad_requests),
        cmocka_unit_test(test_qcow2_bad_magic_is_rejected),
        cmocka_unit_test(test_qcow2_bad_header_fields_are_corrupt),
        cmocka_unit_test(test_qcow2_unsupported_features_are_refused),
        cmocka_unit_test(test_qcow2_dirty_image_opens_read_only),
        cmocka_unit_test(test_qcow2_l1_entry_past_eof_or_unaligned_is_corrupt),
        cmocka_unit_test(test_qcow2_refcount_table_entry_past_eof_is_corrupt),
        cmocka_unit_test(test_qcow2_l2_entry_past_eof_fails_read_and_write),
        cmocka_unit_test(test_qcow2_truncated_compressed_cluster_is_corrupt),
        cmocka_unit_test(test_qcow2_zero_flag_in_v2_image_is_corrupt),
        cmocka_unit_test(test_qcow2_random_header_damage_never_crashes),
        cmocka_unit_test(test_qcow2_disk_full_mid_write_leaves_image_consistent),
    };
    return cmocka_run_group_tests_name("qcow2", tests, q_setup, q_teardown);
}
