// SPDX-License-Identifier: MIT
/* ISO 9660 against images made by xorriso (tests/images/make-iso-images.sh):
 * every file and folder of each image's manifest read back byte-exact and
 * every folder listed exactly (plain level 1/2, Joliet, Rock Ridge + Joliet,
 * Rock Ridge relocation, multi-extent), on 2048- and 512-byte sectors;
 * names (Rock Ridge over Joliet, UTF-16, version and dot cut, case), reads
 * at any offset, statfs, ERR_ROFS for every write; then damaged copies
 * (extents beyond the volume, bad record lengths, looped folders, huge
 * sizes, a looping continuation area, random byte flips in the first
 * 64 KiB): errors, never a crash or a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "blkdev/disk.h"
#include "fs/fat/fat.h"
#include "fs/fs_cmds.h"
#include "fs/iso9660/iso9660.h"
#include "fs/vfs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/sha256.h"
#include "kernel/shell/shell.h"
#include "tests/fakes/fake_disk.h"
#include "tests/host/print_host.h"

#define IMAGES_SUBDIR "build/host/images/iso"
#define SCRIPT "tests/images/make-iso-images.sh"
#define BLOCK 2048u

static char root_dir[1024];

/* Repository root: the test runs as <root>/build/host/tests/<name>. */
static const char *repo_root(void)
{
    if (root_dir[0])
        return root_dir;
    ssize_t n = readlink("/proc/self/exe", root_dir, sizeof(root_dir) - 1);
    if (n <= 0) {
        strcpy(root_dir, ".");
        return root_dir;
    }
    root_dir[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(root_dir, '/');
        if (slash)
            *slash = '\0';
    }
    return root_dir;
}

static const char *image_path(const char *name)
{
    static char buf[1400];
    snprintf(buf, sizeof(buf), "%s/%s/%s", repo_root(), IMAGES_SUBDIR, name);
    return buf;
}

static int group_setup(void **state)
{
    char cmd[3000];
    (void)state;
    snprintf(cmd, sizeof(cmd), "'%s/%s' '%s/%s' >/dev/null", repo_root(), SCRIPT, repo_root(),
             IMAGES_SUBDIR);
    if (system(cmd) != 0)
        return -1;
    blkdev_init();
    fat_register(); /* as the kernel: FAT first, it must not claim a CD */
    iso9660_register();
    shell_init();
    fs_register_commands();
    return 0;
}

/* ---- images in the fake disk --------------------------------------------------------------- */

struct img {
    uint8_t *data;   /* the image file */
    size_t bytes;
};

static struct img load_image(const char *name)
{
    struct img im;
    char file[64];
    snprintf(file, sizeof(file), "%s.iso", name);
    FILE *fp = fopen(image_path(file), "rb");
    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    im.bytes = (size_t)ftell(fp);
    fseek(fp, 0, SEEK_SET);
    im.data = malloc(im.bytes);
    assert_non_null(im.data);
    assert_int_equal(fread(im.data, 1, im.bytes, fp), im.bytes);
    fclose(fp);
    return im;
}

struct cd {
    struct fake_disk *f;
    char root[40];   /* "/cd0/1" */
};

/* Put the bytes of im in a fake disk of `ss`-byte sectors named `disk`. */
static void cd_open_bytes(struct cd *c, const struct img *im, uint32_t ss, const char *disk)
{
    struct fake_disk_config cfg = { .sector_size = ss, .capacity = im->bytes / ss };
    assert_int_equal(fake_disk_create(&cfg, &c->f), 0);
    memcpy(fake_disk_data(c->f), im->data, (size_t)cfg.capacity * ss);
    snprintf(c->root, sizeof(c->root), "/%s/1", disk);
    assert_int_equal(fake_disk_add(c->f, disk), 0);
    fake_disk_media_in(c->f);
}

static void cd_close(struct cd *c)
{
    fake_disk_del(c->f);
    fake_disk_destroy(c->f);
}

/* "<root>/<rel>" in a rotating static buffer (four live results). */
static const char *cp(const struct cd *c, const char *rel)
{
    static char bufs[4][2200];
    static unsigned next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof(bufs[0]), "%s/%s", c->root, rel);
    return b;
}

/* sha256 of a file read through the vfs in odd-sized chunks; size or -1. */
static long long vfs_hash(const char *path, char hex[SHA256_HEX_CHARS], int *err)
{
    static uint8_t buf[70001];
    struct sha256 s;
    uint8_t d[SHA256_DIGEST_BYTES];
    uint64_t off = 0;
    sha256_init(&s);
    *err = 0;
    for (;;) {
        uint32_t done = 0;
        int rc = vfs_read_file(path, off, buf, sizeof(buf), &done);
        sha256_update(&s, buf, done);
        off += done;
        if (rc == ERR_EOM)
            break;
        if (rc) {
            *err = rc;
            return -1;
        }
    }
    sha256_final(&s, d);
    sha256_hex(d, hex);
    return (long long)off;
}

/* ---- listings ------------------------------------------------------------------------------ */

#define MAX_NAMES 512

struct names {
    char *v[MAX_NAMES];
    unsigned n;
};

static int collect(const struct vfs_info *e, void *ctx)
{
    struct names *ns = ctx;
    if (ns->n < MAX_NAMES)
        ns->v[ns->n] = strdup(e->name);
    ns->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(struct names *ns)
{
    for (unsigned i = 0; i < ns->n && i < MAX_NAMES; i++)
        free(ns->v[i]);
    ns->n = 0;
}

/* ---- manifest check -------------------------------------------------------------------------- */

struct entry {
    char type;
    unsigned long long size;
    char sha[80];
    char path[2048];
};

static unsigned read_manifest(const char *image, struct entry **out)
{
    char mname[64], line[2048];
    unsigned n = 0, cap = 64;
    struct entry *e = malloc(cap * sizeof(*e));
    snprintf(mname, sizeof(mname), "%s.manifest", image);
    FILE *fp = fopen(image_path(mname), "r");
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (n == cap)
            e = realloc(e, (cap *= 2) * sizeof(*e));
        memset(&e[n], 0, sizeof(e[n]));
        e[n].type = line[0];
        if (line[0] == 'd') {
            snprintf(e[n].path, sizeof(e[n].path), "%s", line + 2);
        } else {
            int used = 0;
            assert_int_equal(sscanf(line, "f %llu %79s %n", &e[n].size, e[n].sha, &used), 2);
            snprintf(e[n].path, sizeof(e[n].path), "%s", line + used);
        }
        n++;
    }
    fclose(fp);
    *out = e;
    return n;
}

/* Parent folder of a manifest path ("" for the root). */
static void parent_of(const char *p, char *out, size_t cap)
{
    const char *slash = strrchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : 0;
    snprintf(out, cap, "%.*s", (int)n, p);
}

/* The children of folder `dir` must be exactly the manifest's. */
static void check_listing(const struct cd *c, const struct entry *e, unsigned n, const char *dir)
{
    struct names want = { .n = 0 }, got = { .n = 0 };
    char par[2048];
    for (unsigned i = 0; i < n; i++) {
        parent_of(e[i].path, par, sizeof(par));
        if (strcmp(par, dir) != 0)
            continue;
        const char *slash = strrchr(e[i].path, '/');
        assert_true(want.n < MAX_NAMES);
        want.v[want.n++] = strdup(slash ? slash + 1 : e[i].path);
    }
    int rc = vfs_list(cp(c, dir), collect, &got);
    if (rc)
        fail_msg("list '%s': %s", dir, err_name(rc));
    assert_true(got.n <= MAX_NAMES);
    qsort(want.v, want.n, sizeof(char *), cmp_str);
    qsort(got.v, got.n, sizeof(char *), cmp_str);
    if (want.n != got.n)
        fail_msg("folder '%s': %u entries, want %u", dir, got.n, want.n);
    for (unsigned i = 0; i < want.n; i++) {
        if (strcmp(want.v[i], got.v[i]) != 0)
            fail_msg("folder '%s': entry '%s', want '%s'", dir, got.v[i], want.v[i]);
    }
    names_free(&want);
    names_free(&got);
}

/* Every manifest line of `image` must read back and list exactly. */
static void check_manifest(const char *image, uint32_t ss)
{
    struct img im = load_image(image);
    struct cd c;
    struct entry *e;
    char hex[SHA256_HEX_CHARS];
    unsigned files = 0, dirs = 0;
    unsigned n = read_manifest(image, &e);

    cd_open_bytes(&c, &im, ss, "cdm");
    check_listing(&c, e, n, "");
    for (unsigned i = 0; i < n; i++) {
        struct vfs_info info;
        if (e[i].type == 'd') {
            assert_int_equal(vfs_get_info(cp(&c, e[i].path), &info), 0);
            assert_true(info.attr & VFS_ATTR_DIR);
            check_listing(&c, e, n, e[i].path);
            dirs++;
            continue;
        }
        int err;
        long long got = vfs_hash(cp(&c, e[i].path), hex, &err);
        if (got < 0 || strcmp(hex, e[i].sha) != 0)
            fail_msg("%s: %s: err %s size %lld hash %s, want %llu %s", image, e[i].path,
                     err_name(err), got, hex, e[i].size, e[i].sha);
        assert_int_equal(got, (long long)e[i].size);
        assert_int_equal(vfs_get_info(cp(&c, e[i].path), &info), 0);
        assert_int_equal(info.size, e[i].size);
        assert_int_equal(info.attr, VFS_ATTR_READONLY);
        files++;
    }
    assert_true(files >= 3);
    assert_true(dirs >= 1);
    cd_close(&c);
    free(e);
    free(im.data);
}

static void test_iso9660_plain_level1_matches_manifest(void **state)
{
    (void)state;
    check_manifest("plain1", 2048);
}

static void test_iso9660_plain_level2_matches_manifest(void **state)
{
    (void)state;
    check_manifest("plain2", 2048);
}

static void test_iso9660_joliet_matches_manifest(void **state)
{
    (void)state;
    check_manifest("joliet", 2048);
}

static void test_iso9660_rock_ridge_joliet_matches_manifest(void **state)
{
    (void)state;
    check_manifest("rrjoliet", 2048);
}

static void test_iso9660_rock_ridge_relocated_folders_match_manifest(void **state)
{
    (void)state;
    check_manifest("rrmoved", 2048);
}

static void test_iso9660_multi_extent_file_matches_manifest(void **state)
{
    (void)state;
    check_manifest("multi", 2048);
}

static void test_iso9660_512_byte_sectors_match_manifest(void **state)
{
    (void)state;
    check_manifest("rrjoliet", 512);
    check_manifest("multi", 512);
}

/* ---- names, probe, statfs ------------------------------------------------------------------- */

static void open_image(struct cd *c, struct img *im, const char *image, const char *disk)
{
    *im = load_image(image);
    cd_open_bytes(c, im, 2048, disk);
}

static void close_image(struct cd *c, struct img *im)
{
    cd_close(c);
    free(im->data);
}

static void test_iso9660_probe_and_statfs_describe_volume(void **state)
{
    struct cd c;
    struct img im;
    struct media *m;
    struct vfs_statfs st;
    (void)state;
    open_image(&c, &im, "rrjoliet", "cdp");
    assert_int_equal(disk_get_media(fake_disk_handle(c.f), &m), 0);
    assert_int_equal(media_part_count(m), 1);
    assert_int_equal(media_part(m, 1)->kind, PART_KIND_WHOLE);
    assert_string_equal(media_part_fs(m, 1), "iso9660");
    media_put(m);
    assert_int_equal(vfs_statfs(c.root, &st), 0);
    assert_string_equal(st.fs_name, "iso9660");
    assert_int_equal(st.total_bytes, (uint64_t)le32_at(im.data, 16 * BLOCK + 80) * BLOCK);
    assert_int_equal(st.free_bytes, 0);
    assert_string_equal(st.label, "RRJOLIET");
    assert_true(klog_contains("iso9660: cdp/1: mounted"));
    assert_true(klog_contains("rock ridge names (joliet present)"));
    close_image(&c, &im);
}

static void test_iso9660_rock_ridge_names_beat_joliet_length_limit(void **state)
{
    struct cd c;
    struct img im;
    struct vfs_info info;
    char name[256];
    (void)state;
    open_image(&c, &im, "rrjoliet", "cdr");
    memset(name, 'n', 100);
    memset(name + 100, 'o', 100);
    strcpy(name + 200, ".long");
    assert_int_equal(vfs_get_info(cp(&c, name), &info), 0);
    assert_string_equal(info.name, name);
    assert_int_equal(info.size, 321);
    /* A character outside the BMP, and a name that only differs in case. */
    assert_int_equal(vfs_get_info(cp(&c, "SUB DIR/EMOJI 😀 NAME.TXT"), &info), 0);
    assert_string_equal(info.name, "emoji 😀 name.txt");
    assert_int_equal(vfs_get_info(cp(&c, "same.txt"), &info), 0);
    assert_int_equal(info.size, 10);
    assert_int_equal(vfs_get_info(cp(&c, "SAME.TXT"), &info), 0);
    assert_int_equal(info.size, 20);
    /* Times: xorriso recorded SOURCE_DATE_EPOCH, 2024-01-01 00:00:00 UTC. */
    assert_int_equal(info.mtime.year, 2024);
    assert_int_equal(info.mtime.month, 1);
    assert_int_equal(info.mtime.day, 1);
    assert_int_equal(info.mtime.hour, 0);
    close_image(&c, &im);
}

static void test_iso9660_joliet_names_decode_utf16_and_ignore_case(void **state)
{
    struct cd c;
    struct img im;
    struct vfs_info info;
    (void)state;
    open_image(&c, &im, "joliet", "cdj");
    assert_int_equal(vfs_get_info(cp(&c, "sub dir/КИРИЛЛИЦА.BIN"), &info), 0);
    assert_true(klog_contains("cdj/1: mounted") && klog_contains("joliet names"));
    assert_string_equal(info.name, "Кириллица.bin");
    assert_int_equal(info.size, 2049);
    assert_int_equal(vfs_get_info(cp(&c, "SUB DIR/ÜNÏCÖDÉ NÄME – ✓.TXT"), &info), 0);
    assert_string_equal(info.name, "Ünïcödé näme – ✓.txt");
    assert_int_equal(vfs_get_info(cp(&c, "Sub Dir/Nested Folder/../../hello.TXT"), &info), 0);
    assert_string_equal(info.name, "Hello.txt");
    close_image(&c, &im);
}

static void test_iso9660_plain_names_lose_version_and_trailing_dot(void **state)
{
    struct cd c;
    struct img im;
    struct vfs_info info;
    int failed;
    (void)state;
    open_image(&c, &im, "plain1", "cdq");
    /* xorriso stores "NOEXT.;1" (ECMA-119 §7.5.1). */
    assert_int_equal(vfs_get_info(cp(&c, "subdir/noext"), &info), 0);
    assert_string_equal(info.name, "NOEXT");
    assert_int_equal(vfs_get_info(cp(&c, "hello.txt"), &info), 0);
    assert_string_equal(info.name, "HELLO.TXT");
    assert_int_equal(vfs_get_info(cp(&c, "HELLO.TXT;1"), &info), ERR_NOENT);
    print_host_capture_begin();
    failed = shell_execute("ls /cdq/1; hash /cdq/1/hello.txt");
    assert_int_equal(failed, 0);
    assert_string_equal(print_host_captured(),
                        "f 3000 DATA.BIN\nf 0 EMPTY.DAT\nf 10 HELLO.TXT\nd 0 SUBDIR\n"
                        "12849eb3c2da66f4395671802cebd4210caed3cea4ce656a0e0e8e0629f1c996"
                        " 10 /cdq/1/hello.txt\n");
    close_image(&c, &im);
}

static void test_iso9660_read_at_any_offset_across_extents(void **state)
{
    struct cd c;
    struct img im;
    uint32_t done;
    (void)state;
    open_image(&c, &im, "multi", "cdx");
    const uint32_t size = 3097153;
    uint8_t *whole = malloc(size), *part = malloc(300000);
    assert_int_equal(vfs_read_file(cp(&c, "MULTI/PX.BIN"), 0, whole, size, &done), 0);
    assert_int_equal(done, size);
    /* Around both extent boundaries (1 MiB, 2 MiB), odd offsets and lengths. */
    static const uint32_t offs[] = { 1, 2047, 1048575, 1048576 - 100000, 2097151,
                                     2097152 - 3, 3097150 };
    for (unsigned i = 0; i < ARRAY_SIZE(offs); i++) {
        uint32_t want = MIN(200001u, size - offs[i]);
        int rc = vfs_read_file(cp(&c, "MULTI/PX.BIN"), offs[i], part, 200001, &done);
        assert_int_equal(rc, want < 200001 ? ERR_EOM : 0);
        assert_int_equal(done, want);
        assert_memory_equal(part, whole + offs[i], want);
    }
    assert_int_equal(vfs_read_file(cp(&c, "MULTI/PX.BIN"), size, part, 1, &done), ERR_EOM);
    assert_int_equal(done, 0);
    assert_int_equal(vfs_read_file(cp(&c, "MULTI"), 0, part, 1, &done), ERR_ISDIR);
    free(whole);
    free(part);
    close_image(&c, &im);
}

static void test_iso9660_every_write_fails_with_rofs(void **state)
{
    struct cd c;
    struct img im;
    struct vfs_info info;
    uint32_t done = 99;
    int failed;
    (void)state;
    open_image(&c, &im, "rrjoliet", "cdw");
    assert_int_equal(vfs_create_file(cp(&c, "new.txt"), "x", 1, &done), ERR_ROFS);
    assert_int_equal(done, 0);
    assert_int_equal(vfs_write_file(cp(&c, "Hello.txt"), 0, "x", 1, &done), ERR_ROFS);
    assert_int_equal(vfs_set_end(cp(&c, "Hello.txt"), 0), ERR_ROFS);
    assert_int_equal(vfs_get_info(cp(&c, "Hello.txt"), &info), 0);
    assert_int_equal(vfs_set_info(cp(&c, "Hello.txt"), &info), ERR_ROFS);
    assert_int_equal(vfs_delete(cp(&c, "Hello.txt")), ERR_ROFS);
    assert_int_equal(vfs_mkdir(cp(&c, "newdir")), ERR_ROFS);
    assert_int_equal(vfs_rename(cp(&c, "Hello.txt"), cp(&c, "b.txt")), ERR_ROFS);
    assert_int_equal(vfs_kolibri_code(ERR_ROFS), 10);
    print_host_capture_begin();
    failed = shell_execute("write /cdw/1/Hello.txt 10 1");
    assert_int_equal(failed, 1);
    assert_string_equal(print_host_captured(), "error: 10 access denied\n");
    assert_int_equal(vfs_sync_all(), 0);
    /* Nothing reached the disk. */
    assert_int_equal(fake_disk_count(c.f, FAKE_CALL_WRITE), 0);
    close_image(&c, &im);
}

/* ---- damaged images -------------------------------------------------------------------------- */

/* Offset in the image of the record whose identifier starts with `id` in
 * the directory at (block, bytes), or 0. */
static size_t rec_find(const struct img *im, uint32_t block, uint32_t bytes, const char *id)
{
    size_t n = strlen(id);
    for (uint32_t off = 0; off < bytes;) {
        size_t pos = (size_t)block * BLOCK + off;
        uint8_t len = im->data[pos];
        if (len == 0) {
            off = (off / BLOCK + 1) * BLOCK;
            continue;
        }
        if (im->data[pos + 32] >= n && memcmp(im->data + pos + 33, id, n) == 0)
            return pos;
        off += len;
    }
    return 0;
}

static size_t pvd_root(void)
{
    return 16 * BLOCK + 156;
}

static uint32_t rec_block(const struct img *im, size_t rec)
{
    return le32_at(im->data, rec + 2);
}

static uint32_t rec_size(const struct img *im, size_t rec)
{
    return le32_at(im->data, rec + 10);
}

/* Both-byte-order 32-bit field (the big-endian half too, ECMA-119 §7.3.3). */
static void put_both32(uint8_t *p, uint32_t v)
{
    put_le32(p, 0, v);
    p[4] = (uint8_t)(v >> 24);
    p[5] = (uint8_t)(v >> 16);
    p[6] = (uint8_t)(v >> 8);
    p[7] = (uint8_t)v;
}

static size_t plain_rec(const struct img *im, const char *id)
{
    size_t root = pvd_root();
    size_t r = rec_find(im, rec_block(im, root), rec_size(im, root), id);
    assert_true(r != 0);
    return r;
}

static void test_iso9660_root_beyond_volume_is_not_mounted(void **state)
{
    struct cd c;
    struct img im = load_image("plain1");
    struct vfs_info info;
    (void)state;
    put_both32(im.data + pvd_root() + 2, 0x00FFFFF0);
    cd_open_bytes(&c, &im, 2048, "cdb1");
    assert_int_equal(vfs_get_info("/cdb1/1/HELLO.TXT", &info), ERR_NODEV);
    assert_int_equal(vfs_kolibri_code(ERR_NODEV), 3);
    assert_true(klog_contains("iso9660: cdb1: primary root directory outside the volume"));
    cd_close(&c);
    free(im.data);
}

static void test_iso9660_bad_block_size_is_not_mounted(void **state)
{
    struct cd c;
    struct img im = load_image("plain1");
    struct vfs_info info;
    (void)state;
    put_le16(im.data, 16 * BLOCK + 128, 512);
    cd_open_bytes(&c, &im, 2048, "cdb2");
    assert_int_equal(vfs_get_info("/cdb2/1/HELLO.TXT", &info), ERR_NODEV);
    assert_true(klog_contains("iso9660: cdb2: unsupported primary descriptor (version 1, "
                              "block size 512)"));
    cd_close(&c);
    free(im.data);
}

static void test_iso9660_volume_larger_than_disk_is_clamped(void **state)
{
    struct cd c;
    struct img im = load_image("plain1");
    char hex[SHA256_HEX_CHARS];
    int err;
    (void)state;
    put_both32(im.data + 16 * BLOCK + 80, 1000000);
    cd_open_bytes(&c, &im, 2048, "cdb3");
    assert_int_equal(vfs_hash("/cdb3/1/SUBDIR/BIG.BIN", hex, &err), 204800);
    assert_true(klog_contains("iso9660: cdb3: volume larger than its partition, clamped"));
    cd_close(&c);
    free(im.data);
}

static void test_iso9660_file_extent_beyond_volume_reads_corrupt(void **state)
{
    struct cd c;
    struct img im = load_image("plain1");
    char hex[SHA256_HEX_CHARS];
    struct names ns = { .n = 0 };
    int err;
    (void)state;
    put_both32(im.data + plain_rec(&im, "DATA.BIN") + 2, (uint32_t)(im.bytes / BLOCK) - 1);
    put_both32(im.data + plain_rec(&im, "HELLO.TXT") + 10, 0xFFFFFFFFu);
    cd_open_bytes(&c, &im, 2048, "cdb4");
    assert_int_equal(vfs_hash("/cdb4/1/DATA.BIN", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_int_equal(vfs_hash("/cdb4/1/HELLO.TXT", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_true(klog_contains("iso9660: cdb4/1: 'DATA.BIN' extent outside the volume"));
    assert_int_equal(vfs_kolibri_code(ERR_CORRUPT), 9);
    /* The folder still lists, and the other files read. */
    assert_int_equal(vfs_list("/cdb4/1", collect, &ns), 0);
    assert_int_equal(ns.n, 4);
    names_free(&ns);
    assert_int_equal(vfs_hash("/cdb4/1/SUBDIR/NOEXT", hex, &err), 1234);
    cd_close(&c);
    free(im.data);
}

static void test_iso9660_bad_record_lengths_make_folder_corrupt(void **state)
{
    struct cd c;
    struct img im = load_image("plain1");
    struct names ns = { .n = 0 };
    struct vfs_info info;
    (void)state;
    /* Too short for a record, and an identifier running off its record. */
    size_t sub = plain_rec(&im, "SUBDIR");
    size_t noext = rec_find(&im, rec_block(&im, sub), rec_size(&im, sub), "NOEXT");
    assert_true(noext != 0);
    im.data[noext] = 20;
    im.data[plain_rec(&im, "HELLO.TXT") + 32] = 250;
    cd_open_bytes(&c, &im, 2048, "cdb5");
    assert_int_equal(vfs_list("/cdb5/1/SUBDIR", collect, &ns), ERR_CORRUPT);
    names_free(&ns);
    assert_int_equal(vfs_list("/cdb5/1", collect, &ns), ERR_CORRUPT);
    names_free(&ns);
    assert_int_equal(vfs_get_info("/cdb5/1/SUBDIR", &info), ERR_CORRUPT);
    assert_true(klog_contains("iso9660: cdb5/1: bad record at byte"));
    cd_close(&c);
    free(im.data);
}

static void test_iso9660_record_crossing_block_end_is_corrupt(void **state)
{
    struct cd c;
    struct img im = load_image("rrjoliet");
    struct names ns = { .n = 0 };
    (void)state;
    /* The last record of the first block of many/ grows past the block end
     * (ECMA-119 §6.8.1.1: records never cross a block boundary). */
    size_t many = plain_rec(&im, "MANY");
    size_t base = (size_t)rec_block(&im, many) * BLOCK, last = 0;
    for (size_t p = base; p < base + BLOCK && im.data[p] != 0; p += im.data[p])
        last = p;
    assert_true(last != 0 && base + BLOCK - last < 255);
    im.data[last] = (uint8_t)(base + BLOCK - last + 1);
    cd_open_bytes(&c, &im, 2048, "cdba");
    assert_int_equal(vfs_list("/cdba/1/many", collect, &ns), ERR_CORRUPT);
    names_free(&ns);
    assert_true(klog_contains("iso9660: cdba/1: bad record at byte"));
    cd_close(&c);
    free(im.data);
}

static void test_iso9660_zero_length_byte_skips_to_next_block(void **state)
{
    struct cd c;
    struct img im = load_image("rrjoliet");
    struct names ns = { .n = 0 };
    (void)state;
    /* ECMA-119 §6.8.1.1: a 0 length byte ends the records of a block; so
     * zeroing the first record of the second block of many/ hides only the
     * records of that block, and the folder stays readable. */
    size_t many = plain_rec(&im, "MANY");
    uint32_t b = rec_block(&im, many);
    assert_true(rec_size(&im, many) > BLOCK);
    cd_open_bytes(&c, &im, 2048, "cdb6");
    assert_int_equal(vfs_list("/cdb6/1/many", collect, &ns), 0);
    assert_int_equal(ns.n, 300);
    names_free(&ns);
    cd_close(&c);
    im.data[(size_t)(b + 1) * BLOCK] = 0;
    cd_open_bytes(&c, &im, 2048, "cdb6");
    assert_int_equal(vfs_list("/cdb6/1/many", collect, &ns), 0);
    assert_true(ns.n > 0 && ns.n < 300);
    names_free(&ns);
    cd_close(&c);
    free(im.data);
}

static void test_iso9660_looped_folder_is_bounded(void **state)
{
    struct cd c;
    struct img im = load_image("plain1");
    struct names ns = { .n = 0 };
    struct vfs_info info;
    char path[4096];
    (void)state;
    /* SUBDIR points back at the root. */
    size_t root = pvd_root();
    size_t sub = plain_rec(&im, "SUBDIR");
    put_both32(im.data + sub + 2, rec_block(&im, root));
    put_both32(im.data + sub + 10, rec_size(&im, root));
    cd_open_bytes(&c, &im, 2048, "cdb7");
    assert_int_equal(vfs_list("/cdb7/1/SUBDIR/SUBDIR/SUBDIR", collect, &ns), 0);
    assert_int_equal(ns.n, 4);
    names_free(&ns);
    /* 200 levels still resolve; past ISO_PATH_MAX_COMPONENTS they stop. */
    strcpy(path, "/cdb7/1");
    for (int i = 0; i < 200; i++)
        strcat(path, "/SUBDIR");
    strcat(path, "/HELLO.TXT");
    assert_int_equal(vfs_get_info(path, &info), 0);
    strcpy(path, "/cdb7/1");
    for (int i = 0; i < 300; i++)
        strcat(path, "/SUBDIR");
    assert_int_equal(vfs_get_info(path, &info), ERR_NAMETOOLONG);
    cd_close(&c);
    free(im.data);
}

static void test_iso9660_huge_folder_size_is_corrupt(void **state)
{
    struct cd c;
    struct img im = load_image("plain1");
    struct names ns = { .n = 0 };
    (void)state;
    put_both32(im.data + plain_rec(&im, "SUBDIR") + 10, 0xFFFFF800u);
    cd_open_bytes(&c, &im, 2048, "cdb8");
    assert_int_equal(vfs_list("/cdb8/1/SUBDIR", collect, &ns), ERR_CORRUPT);
    assert_int_equal(ns.n, 0);
    assert_true(klog_contains("iso9660: cdb8/1: directory 'SUBDIR' has 1 extents, outside"));
    cd_close(&c);
    free(im.data);
}

static void test_iso9660_continuation_loop_falls_back_to_plain_name(void **state)
{
    struct cd c;
    struct img im = load_image("rrjoliet");
    struct vfs_info info;
    (void)state;
    /* The 200-byte Rock Ridge name needs a CE area; point it at itself. */
    size_t root = pvd_root();
    size_t rec = rec_find(&im, rec_block(&im, root), rec_size(&im, root), "NNNN");
    assert_true(rec != 0);
    size_t ce = 0;
    for (size_t p = rec + 34; p + 28 <= rec + im.data[rec]; p++) {
        if (im.data[p] == 'C' && im.data[p + 1] == 'E' && im.data[p + 2] == 28) {
            ce = p;
            break;
        }
    }
    assert_true(ce != 0);
    put_both32(im.data + ce + 4, (uint32_t)(ce / BLOCK));
    put_both32(im.data + ce + 12, (uint32_t)(ce % BLOCK));
    put_both32(im.data + ce + 20, 28);
    cd_open_bytes(&c, &im, 2048, "cdb9");
    struct names ns = { .n = 0 };
    assert_int_equal(vfs_list("/cdb9/1", collect, &ns), 0);
    names_free(&ns);
    assert_true(klog_contains("iso9660: cdb9/1: more than 8 SUSP continuation areas"));
    /* The file still reads under the name it was given (partial NM). */
    assert_int_equal(vfs_get_info("/cdb9/1/Hello.txt", &info), 0);
    cd_close(&c);
    free(im.data);
}

/* ---- random damage --------------------------------------------------------------------------- */

#define FUZZ_MAX_DEPTH 16
#define FUZZ_MAX_VISITS 4000

static const int fuzz_ok[] = { 0, ERR_CORRUPT, ERR_NODEV, ERR_NOENT, ERR_NOTDIR, ERR_EOM,
                               ERR_NOTSUP, ERR_ISDIR, ERR_NAMETOOLONG };

static void fuzz_check_rc(int rc, const char *what, const char *path)
{
    for (unsigned i = 0; i < ARRAY_SIZE(fuzz_ok); i++) {
        if (rc == fuzz_ok[i])
            return;
    }
    fail_msg("%s %s: unexpected %s", what, path, err_name(rc));
}

/* List a folder and everything below it, read every file; bounded. */
static void fuzz_walk(const char *path, unsigned depth, unsigned *visits)
{
    static uint8_t buf[65536];
    struct names ns = { .n = 0 };
    if (depth > FUZZ_MAX_DEPTH || *visits > FUZZ_MAX_VISITS)
        return;
    int rc = vfs_list(path, collect, &ns);
    fuzz_check_rc(rc, "list", path);
    for (unsigned i = 0; i < ns.n && i < MAX_NAMES && *visits <= FUZZ_MAX_VISITS; i++) {
        char *child = malloc(strlen(path) + strlen(ns.v[i]) + 2);
        sprintf(child, "%s/%s", path, ns.v[i]);
        (*visits)++;
        struct vfs_info info;
        rc = vfs_get_info(child, &info);
        fuzz_check_rc(rc, "info", child);
        if (rc == 0 && (info.attr & VFS_ATTR_DIR)) {
            fuzz_walk(child, depth + 1, visits);
        } else if (rc == 0) {
            uint32_t done;
            for (uint64_t off = 0; off < info.size && off < (1u << 20); off += sizeof(buf)) {
                rc = vfs_read_file(child, off, buf, sizeof(buf), &done);
                fuzz_check_rc(rc, "read", child);
                if (rc && rc != ERR_EOM)
                    break;
            }
        }
        free(child);
    }
    names_free(&ns);
}

/* xorshift32 (Marsaglia 2003), the test's own stream of offsets. */
static uint32_t fuzz_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void fuzz_image(const char *image, unsigned seeds)
{
    struct img im = load_image(image);
    uint8_t *orig = malloc(im.bytes);
    memcpy(orig, im.data, im.bytes);
    for (unsigned seed = 1; seed <= seeds; seed++) {
        uint32_t rng = seed * 2654435761u;
        struct cd c;
        unsigned visits = 0;
        memcpy(im.data, orig, im.bytes);
        /* 1..16 flips of random bits in the first 64 KiB, past the system
         * area most of the time (descriptors, path tables, directories). */
        unsigned flips = 1 + fuzz_rand(&rng) % 16;
        for (unsigned k = 0; k < flips; k++) {
            uint32_t off = 32768 + fuzz_rand(&rng) % 32768;
            im.data[off] ^= (uint8_t)(1u << (fuzz_rand(&rng) % 8));
        }
        cd_open_bytes(&c, &im, seed % 4 ? 2048 : 512, "fz");
        fuzz_walk("/fz/1", 0, &visits);
        cd_close(&c);
    }
    free(orig);
    free(im.data);
}

static void test_iso9660_random_flips_never_crash_joliet(void **state)
{
    (void)state;
    fuzz_image("joliet", 150);
}

static void test_iso9660_random_flips_never_crash_rock_ridge(void **state)
{
    (void)state;
    fuzz_image("rrmoved", 150);
}

static void test_iso9660_random_flips_never_crash_plain(void **state)
{
    (void)state;
    fuzz_image("plain1", 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iso9660_plain_level1_matches_manifest),
        cmocka_unit_test(test_iso9660_plain_level2_matches_manifest),
        cmocka_unit_test(test_iso9660_joliet_matches_manifest),
        cmocka_unit_test(test_iso9660_rock_ridge_joliet_matches_manifest),
        cmocka_unit_test(test_iso9660_rock_ridge_relocated_folders_match_manifest),
        cmocka_unit_test(test_iso9660_multi_extent_file_matches_manifest),
        cmocka_unit_test(test_iso9660_512_byte_sectors_match_manifest),
        cmocka_unit_test(test_iso9660_probe_and_statfs_describe_volume),
        cmocka_unit_test(test_iso9660_rock_ridge_names_beat_joliet_length_limit),
        cmocka_unit_test(test_iso9660_joliet_names_decode_utf16_and_ignore_case),
        cmocka_unit_test(test_iso9660_plain_names_lose_version_and_trailing_dot),
        cmocka_unit_test(test_iso9660_read_at_any_offset_across_extents),
        cmocka_unit_test(test_iso9660_every_write_fails_with_rofs),
        cmocka_unit_test(test_iso9660_root_beyond_volume_is_not_mounted),
        cmocka_unit_test(test_iso9660_bad_block_size_is_not_mounted),
        cmocka_unit_test(test_iso9660_volume_larger_than_disk_is_clamped),
        cmocka_unit_test(test_iso9660_file_extent_beyond_volume_reads_corrupt),
        cmocka_unit_test(test_iso9660_bad_record_lengths_make_folder_corrupt),
        cmocka_unit_test(test_iso9660_record_crossing_block_end_is_corrupt),
        cmocka_unit_test(test_iso9660_zero_length_byte_skips_to_next_block),
        cmocka_unit_test(test_iso9660_looped_folder_is_bounded),
        cmocka_unit_test(test_iso9660_huge_folder_size_is_corrupt),
        cmocka_unit_test(test_iso9660_continuation_loop_falls_back_to_plain_name),
        cmocka_unit_test(test_iso9660_random_flips_never_crash_joliet),
        cmocka_unit_test(test_iso9660_random_flips_never_crash_rock_ridge),
        cmocka_unit_test(test_iso9660_random_flips_never_crash_plain),
    };
    return cmocka_run_group_tests_name("iso9660", tests, group_setup, NULL);
}
