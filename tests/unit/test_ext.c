// SPDX-License-Identifier: MIT
/* ext2/ext3/ext4 against images made by mke2fs -d (tests/images/
 * make-ext-images.sh): every file and folder of each image's manifest read
 * back byte-exact and every folder listed exactly (ext4 defaults with an
 * htree folder, ext2 block maps through triple indirect blocks, ext3,
 * 1 KiB-block ext4 with meta_bg and a depth-2 extent tree, inline data), on
 * 512- and 4096-byte sectors; symbolic links (fast, slow, absolute, to
 * folders, dangling, looping), exact names, times, holes, reads at any
 * offset, statfs, ERR_ROFS for every write, the needs_recovery warning and
 * refused features; then damaged copies (bad magic, block size, geometry,
 * inode table, extents, block pointers, directory entries, inode numbers,
 * random byte flips): errors with one log line, never a crash or a hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "blkdev/disk.h"
#include "fs/ext/ext.h"
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

#define IMAGES_SUBDIR "build/host/images/ext"
#define SCRIPT "tests/images/make-ext-images.sh"
#define SB 1024u /* byte offset of the super block */

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
    fat_register(); /* as the kernel: FAT and ISO 9660 first */
    iso9660_register();
    ext_register();
    shell_init();
    fs_register_commands();
    return 0;
}

/* ---- images in the fake disk --------------------------------------------------------------- */

struct img {
    uint8_t *data;
    size_t bytes;
};

static struct img load_image(const char *name)
{
    struct img im;
    char file[64];
    snprintf(file, sizeof(file), "%s.img", name);
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

struct vol {
    struct fake_disk *f;
    char root[40]; /* "/hd7/1" */
};

static void vol_open(struct vol *c, const struct img *im, uint32_t ss, const char *disk)
{
    struct fake_disk_config cfg = { .sector_size = ss, .capacity = im->bytes / ss };
    assert_int_equal(fake_disk_create(&cfg, &c->f), 0);
    memcpy(fake_disk_data(c->f), im->data, (size_t)cfg.capacity * ss);
    snprintf(c->root, sizeof(c->root), "/%s/1", disk);
    assert_int_equal(fake_disk_add(c->f, disk), 0);
    fake_disk_media_in(c->f);
}

static void vol_close(struct vol *c)
{
    fake_disk_del(c->f);
    fake_disk_destroy(c->f);
}

/* "<root>/<rel>" in a rotating static buffer (four live results). */
static const char *cp(const struct vol *c, const char *rel)
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

#define MAX_NAMES 3100

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

/* ---- manifest and facts ---------------------------------------------------------------------- */

struct entry {
    char type; /* d, f, x */
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
        if (line[0] != 'f') {
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

/* A number from NAME.facts: the inode position ("imap") or first block
 * ("blocks") of `path`. */
static uint64_t fact(const char *image, const char *kind, const char *path)
{
    char fname[64], line[1200], k[16], p[1024];
    unsigned long long a = 0;
    unsigned b = 0;
    snprintf(fname, sizeof(fname), "%s.facts", image);
    FILE *fp = fopen(image_path(fname), "r");
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';
        int used = 0;
        if (strncmp(line, "imap ", 5) == 0 &&
            sscanf(line, "%15s %llu %x %n", k, &a, &b, &used) == 3) {
            snprintf(p, sizeof(p), "%s", line + used);
        } else if (sscanf(line, "%15s %llu %n", k, &a, &used) == 2) {
            snprintf(p, sizeof(p), "%s", line + used);
        } else {
            continue;
        }
        if (strcmp(k, kind) == 0 && strcmp(p, path) == 0) {
            fclose(fp);
            return strcmp(kind, "imap") == 0 ? ((uint64_t)a << 20 | b) : a;
        }
    }
    fclose(fp);
    fail_msg("no %s fact for %s in %s", kind, path, image);
    return 0;
}

static uint32_t block_bytes(const struct img *im)
{
    return 1024u << le32_at(im->data, SB + 0x18);
}

/* Byte offset of the inode of `path` in the image. */
static size_t inode_at(const struct img *im, const char *image, const char *path)
{
    uint64_t f = fact(image, "imap", path);
    return (size_t)((f >> 20) * block_bytes(im) + (f & 0xFFFFF));
}

static void parent_of(const char *p, char *out, size_t cap)
{
    const char *slash = strrchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : 0;
    snprintf(out, cap, "%.*s", (int)n, p);
}

/* The children of folder `dir` must be exactly the manifest's. */
static void check_listing(const struct vol *c, const struct entry *e, unsigned n, const char *dir)
{
    static struct names want, got;
    char par[2048];
    want.n = got.n = 0;
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
    struct vol c;
    struct entry *e;
    char hex[SHA256_HEX_CHARS];
    unsigned files = 0, dirs = 0;
    unsigned n = read_manifest(image, &e);

    vol_open(&c, &im, ss, "hdm");
    check_listing(&c, e, n, "");
    for (unsigned i = 0; i < n; i++) {
        struct vfs_info info;
        if (e[i].type == 'x')
            continue;
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
    assert_true(files >= 2);
    assert_true(dirs >= 1);
    vol_close(&c);
    free(e);
    free(im.data);
}

static void test_ext_ext4_defaults_match_manifest(void **state)
{
    (void)state;
    check_manifest("ext4", 512);
}

static void test_ext_ext2_block_maps_match_manifest(void **state)
{
    (void)state;
    check_manifest("ext2", 512);
}

static void test_ext_ext3_matches_manifest(void **state)
{
    (void)state;
    check_manifest("ext3", 512);
}

static void test_ext_meta_bg_and_deep_extent_tree_match_manifest(void **state)
{
    (void)state;
    check_manifest("small", 512);
}

static void test_ext_inline_data_matches_manifest(void **state)
{
    (void)state;
    check_manifest("inline", 512);
}

static void test_ext_4096_byte_sectors_match_manifest(void **state)
{
    (void)state;
    check_manifest("ext2", 4096); /* 1 KiB blocks: a quarter of a sector */
    check_manifest("small", 4096);
}

/* ---- probe, statfs, names, links ------------------------------------------------------------ */

static void open_image(struct vol *c, struct img *im, const char *image, const char *disk)
{
    *im = load_image(image);
    vol_open(c, im, 512, disk);
}

static void close_image(struct vol *c, struct img *im)
{
    vol_close(c);
    free(im->data);
}

static void check_statfs(const char *image, const char *disk, const char *fs, const char *label)
{
    struct vol c;
    struct img im;
    struct media *m;
    struct vfs_statfs st;
    open_image(&c, &im, image, disk);
    assert_int_equal(disk_get_media(fake_disk_handle(c.f), &m), 0);
    assert_int_equal(media_part_count(m), 1);
    assert_string_equal(media_part_fs(m, 1), fs);
    media_put(m);
    assert_int_equal(vfs_statfs(c.root, &st), 0);
    assert_string_equal(st.fs_name, fs);
    uint64_t blocks = le32_at(im.data, SB + 4), bs = block_bytes(&im);
    assert_int_equal(st.total_bytes, blocks * bs);
    assert_int_equal(st.free_bytes, (uint64_t)le32_at(im.data, SB + 0xC) * bs);
    assert_true(st.free_bytes > 0 && st.free_bytes < st.total_bytes);
    assert_string_equal(st.label, label);
    close_image(&c, &im);
}

static void test_ext_probe_and_statfs_name_each_flavour(void **state)
{
    (void)state;
    check_statfs("ext4", "hdp", "ext4", "ext4 label");
    assert_true(klog_contains("ext: hdp/1: mounted ext4 read-only, 12288 blocks of 4096 bytes"));
    check_statfs("ext2", "hdq", "ext2", "EXT2VOL");
    check_statfs("ext3", "hdr", "ext3", "");
}

static void test_ext_symlinks_are_followed_inside_the_volume(void **state)
{
    struct vol c;
    struct img im;
    struct vfs_info info;
    char hex[SHA256_HEX_CHARS];
    int err;
    (void)state;
    open_image(&c, &im, "ext4", "hds");
    /* Fast link, link in a folder pointing up, link through a linked folder. */
    assert_int_equal(vfs_hash(cp(&c, "link-hello"), hex, &err), 10);
    assert_int_equal(vfs_hash(cp(&c, "sub dir/link-up"), hex, &err), 10);
    assert_int_equal(vfs_hash(cp(&c, "link-dir/link-up"), hex, &err), 10);
    assert_int_equal(vfs_get_info(cp(&c, "link-dir/Ünïcödé näme – ✓.txt"), &info), 0);
    assert_int_equal(info.size, 4321);
    /* A slow (block-stored) absolute link whose target has "x/../", and an
     * absolute link to a folder: both end in folders. */
    assert_int_equal(vfs_get_info(cp(&c, "link-slow"), &info), 0);
    assert_true(info.attr & VFS_ATTR_DIR);
    assert_int_equal(vfs_hash(cp(&c, "link-abs-dir/level2/level3/level4/level5/level6/level7/"
                                     "level8/level9/level10/level11/level12/level13/level14/"
                                     "level15/level16/level17/level18/level19/level20/level21/"
                                     "level22/level23/level24/leaf.txt"), hex, &err), 10);
    /* ".." after a link is the real parent of where the link led. */
    assert_int_equal(vfs_get_info(cp(&c, "link-dir/../hello.txt"), &info), 0);
    assert_int_equal(info.size, 10);
    /* Listing shows links as what they point at. */
    struct names ns = { .n = 0 };
    assert_int_equal(vfs_list(cp(&c, "link-abs-dir"), collect, &ns), 0);
    assert_int_equal(ns.n, 1);
    assert_string_equal(ns.v[0], "level2");
    names_free(&ns);
    /* Dangling and looping links. */
    assert_int_equal(vfs_get_info(cp(&c, "dangling"), &info), ERR_NOENT);
    assert_int_equal(vfs_hash(cp(&c, "loop-a"), hex, &err), -1);
    assert_int_equal(err, ERR_RANGE);
    assert_true(klog_contains("ext: hds/1: more than 40 symbolic links in one lookup"));
    assert_int_equal(vfs_get_info(cp(&c, "loop-b/x"), &info), ERR_RANGE);
    close_image(&c, &im);
}

static int find_entry(const struct vfs_info *e, void *ctx)
{
    struct vfs_info *want = ctx;
    if (strcmp(e->name, want->name) == 0)
        *want = *e;
    return 0;
}

static void test_ext_names_times_and_attributes(void **state)
{
    struct vol c;
    struct img im;
    struct vfs_info info;
    (void)state;
    open_image(&c, &im, "ext4", "hdn");
    /* Names are exact bytes: case matters. */
    assert_int_equal(vfs_get_info(cp(&c, "upper.txt"), &info), 0);
    assert_int_equal(info.size, 6);
    assert_int_equal(vfs_get_info(cp(&c, "UPPER.TXT"), &info), 0);
    assert_int_equal(info.size, 7);
    assert_string_equal(info.name, "UPPER.TXT");
    assert_int_equal(vfs_get_info(cp(&c, "Hello.txt"), &info), ERR_NOENT);
    assert_int_equal(vfs_get_info(cp(&c, "hello.txt/x"), &info), ERR_NOTDIR);
    /* Times: the source tree was stamped 2024-01-01 00:00:00 UTC. */
    assert_int_equal(vfs_get_info(cp(&c, "hello.txt"), &info), 0);
    assert_int_equal(info.attr, VFS_ATTR_READONLY);
    assert_int_equal(info.mtime.year, 2024);
    assert_int_equal(info.mtime.month, 1);
    assert_int_equal(info.mtime.day, 1);
    assert_int_equal(info.mtime.hour, 0);
    assert_int_equal(info.atime.year, 2024);
    assert_true(info.ctime.year >= 2024);
    /* A fifo: a system entry without content. */
    memset(&info, 0, sizeof(info));
    strcpy(info.name, "fifo");
    assert_int_equal(vfs_list(c.root, find_entry, &info), 0);
    assert_int_equal(info.attr, VFS_ATTR_READONLY | VFS_ATTR_SYSTEM);
    assert_int_equal(info.size, 0);
    uint8_t b;
    uint32_t done = 9;
    assert_int_equal(vfs_read_file(cp(&c, "fifo"), 0, &b, 1, &done), ERR_EOM);
    assert_int_equal(done, 0);
    /* The shell sees the same. */
    print_host_capture_begin();
    assert_int_equal(shell_execute("hash /hdn/1/hello.txt"), 0);
    assert_string_equal(print_host_captured(),
                        "2b7591000abe43b12079bc2f078bf382a278b1a63196a3120318e36b3621eb47"
                        " 10 /hdn/1/hello.txt\n");
    close_image(&c, &im);
}

static void test_ext_read_at_any_offset_holes_read_zero(void **state)
{
    struct vol c;
    struct img im;
    uint32_t done;
    (void)state;
    open_image(&c, &im, "ext4", "hdo");
    const uint32_t size = 40 * 12288; /* islands.bin: 40 x (4 KiB data + 8 KiB hole) */
    uint8_t *whole = malloc(size), *part = malloc(300000);
    assert_int_equal(vfs_read_file(cp(&c, "islands.bin"), 0, whole, size, &done), ERR_EOM);
    assert_int_equal(done, size - 8192); /* the last hole is past the end */
    for (uint32_t i = 0; i < 39; i++) {
        for (uint32_t k = 4096; k < 12288; k += 512)
            assert_int_equal(whole[i * 12288 + k], 0);
    }
    static const uint32_t offs[] = { 1, 4095, 4096, 12287, 100000, 200001, 471039 };
    for (unsigned i = 0; i < ARRAY_SIZE(offs); i++) {
        uint32_t want = MIN(100001u, size - 8192 - offs[i]);
        int rc = vfs_read_file(cp(&c, "islands.bin"), offs[i], part, 100001, &done);
        assert_int_equal(rc, want < 100001 ? ERR_EOM : 0);
        assert_int_equal(done, want);
        assert_memory_equal(part, whole + offs[i], want);
    }
    /* sparse.bin: 20 MiB, data at 0 and at 10 MiB + 100, zeros elsewhere. */
    assert_int_equal(vfs_read_file(cp(&c, "sparse.bin"), 5u << 20, part, 300000, &done), 0);
    for (uint32_t k = 0; k < 300000; k++)
        assert_int_equal(part[k], 0);
    assert_int_equal(vfs_read_file(cp(&c, "sparse.bin"), (20u << 20) - 5, part, 10, &done),
                     ERR_EOM);
    assert_int_equal(done, 5);
    assert_int_equal(vfs_read_file(cp(&c, "sparse.bin"), 20u << 20, part, 1, &done), ERR_EOM);
    assert_int_equal(done, 0);
    assert_int_equal(vfs_read_file(cp(&c, "many"), 0, part, 1, &done), ERR_ISDIR);
    /* VFS_IO_NOCACHE reads the same bytes. */
    assert_int_equal(vfs_read_file_ex(cp(&c, "islands.bin"), 4000, part, 9000, VFS_IO_NOCACHE,
                                      &done), 0);
    assert_memory_equal(part, whole + 4000, 9000);
    free(whole);
    free(part);
    close_image(&c, &im);
}

static void test_ext_every_write_fails_with_rofs(void **state)
{
    struct vol c;
    struct img im;
    struct vfs_info info;
    uint32_t done = 99;
    (void)state;
    open_image(&c, &im, "ext4", "hdw");
    assert_int_equal(vfs_create_file(cp(&c, "new.txt"), "x", 1, &done), ERR_ROFS);
    assert_int_equal(done, 0);
    assert_int_equal(vfs_write_file(cp(&c, "hello.txt"), 0, "x", 1, &done), ERR_ROFS);
    assert_int_equal(vfs_set_end(cp(&c, "hello.txt"), 0), ERR_ROFS);
    assert_int_equal(vfs_get_info(cp(&c, "hello.txt"), &info), 0);
    assert_int_equal(vfs_set_info(cp(&c, "hello.txt"), &info), ERR_ROFS);
    assert_int_equal(vfs_delete(cp(&c, "hello.txt")), ERR_ROFS);
    assert_int_equal(vfs_mkdir(cp(&c, "newdir")), ERR_ROFS);
    assert_int_equal(vfs_rename(cp(&c, "hello.txt"), cp(&c, "b.txt")), ERR_ROFS);
    assert_int_equal(vfs_set_label(c.root, "x"), ERR_ROFS);
    print_host_capture_begin();
    assert_int_equal(shell_execute("write /hdw/1/hello.txt 10 1"), 1);
    assert_string_equal(print_host_captured(), "error: 10 access denied\n");
    assert_int_equal(vfs_sync_all(), 0);
    assert_int_equal(fake_disk_count(c.f, FAKE_CALL_WRITE), 0);
    close_image(&c, &im);
}

/* ---- features -------------------------------------------------------------------------------- */

static void test_ext_needs_recovery_mounts_with_warning(void **state)
{
    struct vol c;
    struct img im = load_image("ext3");
    char hex[SHA256_HEX_CHARS];
    int err;
    (void)state;
    put_le32(im.data, SB + 0x60, le32_at(im.data, SB + 0x60) | 0x4);
    vol_open(&c, &im, 512, "hdj");
    assert_int_equal(vfs_hash("/hdj/1/hello.txt", hex, &err), 11);
    assert_true(klog_contains("ext: hdj/1: journal needs recovery; mounted read-only without "
                              "replaying it"));
    vol_close(&c);
    free(im.data);
}

static void test_ext_unsupported_incompat_feature_is_refused(void **state)
{
    struct vol c;
    struct img im = load_image("ext4");
    struct vfs_info info;
    (void)state;
    put_le32(im.data, SB + 0x60, le32_at(im.data, SB + 0x60) | 0x10000);
    vol_open(&c, &im, 512, "hdf");
    assert_int_equal(vfs_get_info("/hdf/1/hello.txt", &info), ERR_NODEV);
    assert_true(klog_contains("ext: hdf/1: unsupported incompatible features 0x10000 (encrypt), "
                              "not mounted"));
    vol_close(&c);
    free(im.data);
}

/* ---- damaged images -------------------------------------------------------------------------- */

/* Mount a patched copy of `image` as `disk` and expect get_info of `rel`
 * to give `want`, with `log` in the kernel log. */
static void expect_damage(struct img *im, const char *disk, const char *rel, int want,
                          const char *log)
{
    struct vol c;
    struct vfs_info info;
    vol_open(&c, im, 512, disk);
    int rc = vfs_get_info(cp(&c, rel), &info);
    if (rc != want)
        fail_msg("%s: %s gives %s, want %s", disk, rel, err_name(rc), err_name(want));
    if (!klog_contains(log))
        fail_msg("%s: no log line '%s'", disk, log);
    vol_close(&c);
}

static void test_ext_bad_magic_is_not_mounted(void **state)
{
    struct img im = load_image("ext4");
    (void)state;
    put_le16(im.data, SB + 0x38, 0xEF54);
    struct vol c;
    struct media *m;
    struct vfs_info info;
    vol_open(&c, &im, 512, "hdb1");
    assert_int_equal(disk_get_media(fake_disk_handle(c.f), &m), 0);
    assert_string_equal(media_part_fs(m, 1), "none");
    media_put(m);
    assert_int_equal(vfs_get_info("/hdb1/1/hello.txt", &info), ERR_NODEV);
    vol_close(&c);
    free(im.data);
}

static void test_ext_absurd_geometry_is_not_mounted(void **state)
{
    struct img im = load_image("ext4");
    uint8_t *orig = malloc(im.bytes);
    (void)state;
    memcpy(orig, im.data, im.bytes);
    put_le32(im.data, SB + 0x18, 7); /* 128 KiB blocks */
    expect_damage(&im, "hdb2", "hello.txt", ERR_NODEV, "ext: hdb2: bad block size (log 7");
    memcpy(im.data, orig, im.bytes);
    put_le32(im.data, SB + 0x04, 1u << 30); /* far larger than the disk */
    expect_damage(&im, "hdb3", "hello.txt", ERR_NODEV,
                  "ext: hdb3: file system larger than its partition");
    memcpy(im.data, orig, im.bytes);
    put_le16(im.data, SB + 0x58, 100); /* inode size */
    expect_damage(&im, "hdb4", "hello.txt", ERR_NODEV, "ext: hdb4: bad inode size (100 bytes");
    memcpy(im.data, orig, im.bytes);
    put_le32(im.data, SB + 0x00, le32_at(im.data, SB) + 1); /* inode count */
    expect_damage(&im, "hdb5", "hello.txt", ERR_NODEV,
                  "ext: hdb5: inode count disagrees with the groups");
    memcpy(im.data, orig, im.bytes);
    put_le16(im.data, SB + 0xFE, 48); /* 64-bit descriptors of 48 bytes */
    expect_damage(&im, "hdb6", "hello.txt", ERR_NODEV,
                  "ext: hdb6: bad group descriptor size (48 bytes)");
    free(orig);
    free(im.data);
}

static void test_ext_descriptors_beyond_volume_are_not_mounted(void **state)
{
    struct img im = load_image("ext4");
    uint8_t *orig = malloc(im.bytes);
    uint32_t bs = block_bytes(&im);
    (void)state;
    memcpy(orig, im.data, im.bytes);
    /* Group 0's inode table far outside: the root cannot be read. */
    put_le32(im.data, (size_t)bs + 0x08, 0x7FFFFFF0u);
    expect_damage(&im, "hdg1", "hello.txt", ERR_NODEV,
                  "ext: hdg1/1: inode table of group 0 outside the volume");
    /* meta_bg with the first meta group past the descriptor table. */
    memcpy(im.data, orig, im.bytes);
    put_le32(im.data, SB + 0x60, le32_at(im.data, SB + 0x60) | 0x10);
    put_le32(im.data, SB + 0x104, 1000);
    expect_damage(&im, "hdg2", "hello.txt", ERR_NODEV, "ext: hdg2: bad first meta group (1000");
    free(orig);
    free(im.data);
}

static void test_ext_extent_past_the_end_reads_corrupt(void **state)
{
    struct img im = load_image("ext4");
    char hex[SHA256_HEX_CHARS];
    struct vol c;
    int err;
    (void)state;
    /* big.bin: extents in the inode (depth 0): the first one's start. */
    size_t big = inode_at(&im, "ext4", "/big.bin");
    assert_int_equal(le16_at(im.data, big + 0x28), 0xF30A);
    assert_int_equal(le16_at(im.data, big + 0x28 + 6), 0);
    put_le32(im.data, big + 0x28 + 12 + 8, 0xFFFFFF00u);
    /* islands.bin: depth 1, its index points past the end. */
    size_t isl = inode_at(&im, "ext4", "/islands.bin");
    assert_int_equal(le16_at(im.data, isl + 0x28 + 6), 1);
    put_le32(im.data, isl + 0x28 + 12 + 4, 0xFFFFFF00u);
    vol_open(&c, &im, 512, "hde");
    assert_int_equal(vfs_hash("/hde/1/big.bin", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_true(klog_contains("ext: hde/1: inode"));
    assert_true(klog_contains(": extent outside the volume (4294967040)"));
    assert_int_equal(vfs_hash("/hde/1/islands.bin", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_true(klog_contains(": extent index points outside the volume (4294967040)"));
    /* The rest still reads. */
    assert_int_equal(vfs_hash("/hde/1/data.bin", hex, &err), 3000);
    vol_close(&c);
    free(im.data);
}

static void test_ext_block_pointer_past_the_end_reads_corrupt(void **state)
{
    struct img im = load_image("ext2");
    char hex[SHA256_HEX_CHARS];
    struct vol c;
    int err;
    (void)state;
    size_t in = inode_at(&im, "ext2", "/indirect.bin");
    put_le32(im.data, in + 0x28 + 4 * 13, 0x00FFFFFFu); /* the double indirect block */
    vol_open(&c, &im, 512, "hdk");
    assert_int_equal(vfs_hash("/hdk/1/indirect.bin", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_true(klog_contains("ext: hdk/1: inode "));
    assert_true(klog_contains(": indirect block outside the volume (16777215)"));
    /* Bytes before the double indirect range still read. */
    uint8_t buf[1024];
    uint32_t done;
    assert_int_equal(vfs_read_file("/hdk/1/indirect.bin", 200 * 1024, buf, 1024, &done), 0);
    vol_close(&c);
    free(im.data);
}

static void test_ext_bad_directory_entries_make_folder_corrupt(void **state)
{
    struct img im = load_image("ext4");
    uint8_t *orig = malloc(im.bytes);
    struct names ns = { .n = 0 };
    struct vol c;
    (void)state;
    memcpy(orig, im.data, im.bytes);
    size_t dir = (size_t)fact("ext4", "blocks", "/sub dir") * block_bytes(&im);
    /* 1. rec_len 0 in the first entry ("."). */
    put_le16(im.data, dir + 4, 0);
    vol_open(&c, &im, 512, "hdd1");
    assert_int_equal(vfs_list("/hdd1/1/sub dir", collect, &ns), ERR_CORRUPT);
    names_free(&ns);
    assert_true(klog_contains("ext: hdd1/1: directory"));
    assert_true(klog_contains(": bad entry at byte 0 (rec_len 0, name_len 1)"));
    vol_close(&c);
    /* 2. rec_len running past the block. */
    memcpy(im.data, orig, im.bytes);
    put_le16(im.data, dir + 12 + 4, (uint16_t)(block_bytes(&im) + 4));
    vol_open(&c, &im, 512, "hdd2");
    assert_int_equal(vfs_list("/hdd2/1/sub dir", collect, &ns), ERR_CORRUPT);
    names_free(&ns);
    assert_true(klog_contains(": bad entry at byte 12 (rec_len 4100, name_len 2)"));
    /* The parent folder still lists. */
    assert_int_equal(vfs_list("/hdd2/1", collect, &ns), 0);
    assert_true(ns.n > 10);
    names_free(&ns);
    vol_close(&c);
    /* 3. An entry naming an inode out of range. */
    memcpy(im.data, orig, im.bytes);
    put_le32(im.data, dir + 12, 0x7FFFFFFFu);
    vol_open(&c, &im, 512, "hdd3");
    assert_int_equal(vfs_list("/hdd3/1/sub dir", collect, &ns), ERR_CORRUPT);
    names_free(&ns);
    assert_true(klog_contains("names inode 2147483647 (of 4096)"));
    vol_close(&c);
    free(orig);
    free(im.data);
}

static void test_ext_inode_out_of_range_is_corrupt_listing_goes_on(void **state)
{
    struct img im = load_image("ext4");
    struct names ns = { .n = 0 };
    struct vol c;
    struct vfs_info info;
    (void)state;
    /* hello.txt's inode gets an unknown file type: a free inode. */
    size_t in = inode_at(&im, "ext4", "/hello.txt");
    put_le16(im.data, in, 0);
    vol_open(&c, &im, 512, "hdi");
    assert_int_equal(vfs_get_info("/hdi/1/hello.txt", &info), ERR_CORRUPT);
    assert_true(klog_contains("is not in use (mode 00)"));
    assert_int_equal(vfs_list("/hdi/1", collect, &ns), 0);
    for (unsigned i = 0; i < ns.n; i++)
        assert_string_not_equal(ns.v[i], "hello.txt");
    assert_true(ns.n > 10);
    names_free(&ns);
    vol_close(&c);
    free(im.data);
}

/* ---- random damage --------------------------------------------------------------------------- */

#define FUZZ_MAX_DEPTH 8
#define FUZZ_MAX_VISITS 300

static const int fuzz_ok[] = { 0, ERR_CORRUPT, ERR_NODEV, ERR_NOENT, ERR_NOTDIR, ERR_EOM,
                               ERR_NOTSUP, ERR_ISDIR, ERR_NAMETOOLONG, ERR_RANGE };

static void fuzz_check_rc(int rc, const char *what, const char *path)
{
    for (unsigned i = 0; i < ARRAY_SIZE(fuzz_ok); i++) {
        if (rc == fuzz_ok[i])
            return;
    }
    fail_msg("%s %s: unexpected %s", what, path, err_name(rc));
}

static void fuzz_walk(const char *path, unsigned depth, unsigned *visits)
{
    static uint8_t buf[65536];
    struct names *ns = calloc(1, sizeof(*ns));
    if (depth > FUZZ_MAX_DEPTH || *visits > FUZZ_MAX_VISITS) {
        free(ns);
        return;
    }
    int rc = vfs_list(path, collect, ns);
    fuzz_check_rc(rc, "list", path);
    for (unsigned i = 0; i < ns->n && i < MAX_NAMES && *visits <= FUZZ_MAX_VISITS; i++) {
        char *child = malloc(strlen(path) + strlen(ns->v[i]) + 2);
        sprintf(child, "%s/%s", path, ns->v[i]);
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
    names_free(ns);
    free(ns);
}

/* xorshift32 (Marsaglia 2003), the test's own stream of offsets. */
static uint32_t fuzz_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Flip bits in the first `span` bytes (super block, descriptors, inode
 * tables, the first folders). */
static void fuzz_image(const char *image, unsigned seeds, uint32_t span)
{
    struct img im = load_image(image);
    uint8_t *orig = malloc(im.bytes);
    memcpy(orig, im.data, im.bytes);
    for (unsigned seed = 1; seed <= seeds; seed++) {
        uint32_t rng = seed * 2654435761u;
        struct vol c;
        unsigned visits = 0;
        memcpy(im.data, orig, im.bytes);
        unsigned flips = 1 + fuzz_rand(&rng) % 16;
        for (unsigned k = 0; k < flips; k++) {
            uint32_t off = 1024 + fuzz_rand(&rng) % (span - 1024);
            im.data[off] ^= (uint8_t)(1u << (fuzz_rand(&rng) % 8));
        }
        vol_open(&c, &im, seed % 4 ? 512 : 4096, "fz");
        fuzz_walk("/fz/1", 0, &visits);
        vol_close(&c);
    }
    free(orig);
    free(im.data);
}

static void test_ext_random_flips_never_crash_ext2(void **state)
{
    (void)state;
    fuzz_image("ext2", 120, 300 * 1024);
}

static void test_ext_random_flips_never_crash_small_ext4(void **state)
{
    (void)state;
    fuzz_image("small", 120, 300 * 1024);
}

static void test_ext_random_flips_never_crash_inline(void **state)
{
    (void)state;
    fuzz_image("inline", 120, 600 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ext_ext4_defaults_match_manifest),
        cmocka_unit_test(test_ext_ext2_block_maps_match_manifest),
        cmocka_unit_test(test_ext_ext3_matches_manifest),
        cmocka_unit_test(test_ext_meta_bg_and_deep_extent_tree_match_manifest),
        cmocka_unit_test(test_ext_inline_data_matches_manifest),
        cmocka_unit_test(test_ext_4096_byte_sectors_match_manifest),
        cmocka_unit_test(test_ext_probe_and_statfs_name_each_flavour),
        cmocka_unit_test(test_ext_symlinks_are_followed_inside_the_volume),
        cmocka_unit_test(test_ext_names_times_and_attributes),
        cmocka_unit_test(test_ext_read_at_any_offset_holes_read_zero),
        cmocka_unit_test(test_ext_every_write_fails_with_rofs),
        cmocka_unit_test(test_ext_needs_recovery_mounts_with_warning),
        cmocka_unit_test(test_ext_unsupported_incompat_feature_is_refused),
        cmocka_unit_test(test_ext_bad_magic_is_not_mounted),
        cmocka_unit_test(test_ext_absurd_geometry_is_not_mounted),
        cmocka_unit_test(test_ext_descriptors_beyond_volume_are_not_mounted),
        cmocka_unit_test(test_ext_extent_past_the_end_reads_corrupt),
        cmocka_unit_test(test_ext_block_pointer_past_the_end_reads_corrupt),
        cmocka_unit_test(test_ext_bad_directory_entries_make_folder_corrupt),
        cmocka_unit_test(test_ext_inode_out_of_range_is_corrupt_listing_goes_on),
        cmocka_unit_test(test_ext_random_flips_never_crash_ext2),
        cmocka_unit_test(test_ext_random_flips_never_crash_small_ext4),
        cmocka_unit_test(test_ext_random_flips_never_crash_inline),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
