/* SPDX-License-Identifier: MIT */
/* Shared helpers of the image-based tests (header-only, included by
 * test_ext.c, test_ntfs.c, test_iso9660.c, fat_check.h and vd_test_file.h):
 * find the repository, build a folder of images with its tests/images/
 * make-*.sh script, load an image file, put its bytes in a fake disk
 * (partition 1 is the whole image), hash a file read through the vfs,
 * collect a listing,
 * check a volume against the image's NAME.manifest (every file's size and
 * sha256, every folder's exact listing), check the file system named for a
 * partition, reads at chosen offsets and a file time, check that a
 * read-only volume refuses every change, expect a patched image to fail
 * with a given error and log line, and flip random bits in an image, then
 * walk the damaged volume reading everything, accepting only a given set of
 * errors.
 * Manifest lines: "d PATH", "f SIZE SHA256 PATH", or "x PATH" (present but
 * not checked, such as a symbolic link); PATH is relative to the root.
 * Hosted only. */
#ifndef TESTS_UNIT_IMAGE_CHECK_H
#define TESTS_UNIT_IMAGE_CHECK_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "blkdev/disk.h"
#include "fs/vfs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/sha256.h"
#include "kernel/shell/shell.h"
#include "tests/fakes/fake_disk.h"
#include "tests/host/print_host.h"

#define IC_MAX_NAMES 3100      /* entries kept by ic_collect (the largest test folder: 3000) */
#define IC_HASH_CHUNK 70001u   /* ic_hash read size: odd, so reads straddle blocks */

static char ic_root_dir[1024];

/* Repository root: the test runs as <root>/build/host/tests/<name>. */
static inline const char *ic_repo_root(void)
{
    if (ic_root_dir[0])
        return ic_root_dir;
    ssize_t n = readlink("/proc/self/exe", ic_root_dir, sizeof(ic_root_dir) - 1);
    if (n <= 0) {
        strcpy(ic_root_dir, ".");
        return ic_root_dir;
    }
    ic_root_dir[n] = '\0';
    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(ic_root_dir, '/');
        if (slash)
            *slash = '\0';
    }
    return ic_root_dir;
}

/* "<root>/<subdir>/<name>" in one of 4 rotating static buffers. */
static inline const char *ic_image_path(const char *subdir, const char *name)
{
    static char bufs[4][1400];
    static unsigned next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof(bufs[0]), "%s/%s/%s", ic_repo_root(), subdir, name);
    return b;
}

/* Run `script` (repository-relative) to build its images into `subdir`.
 * Returns 0, or -1 if the script failed. */
static inline int ic_build_images(const char *script, const char *subdir)
{
    char cmd[3000];
    snprintf(cmd, sizeof(cmd), "'%s/%s' '%s/%s' >/dev/null", ic_repo_root(), script,
             ic_repo_root(), subdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- images in a fake disk ----------------------------------------------------------------- */

struct ic_img {
    uint8_t *data;   /* the image file, malloc'd: free(data) */
    size_t bytes;
};

/* The whole file <subdir>/<name><ext>; fails the test if it cannot be read. */
static inline struct ic_img ic_load_image(const char *subdir, const char *name, const char *ext)
{
    struct ic_img im;
    char file[128];
    snprintf(file, sizeof(file), "%s%s", name, ext);
    FILE *fp = fopen(ic_image_path(subdir, file), "rb");
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

/* The text file <subdir>/<image><ext> (a manifest, facts) open for reading;
 * fails the test if it cannot be opened. fclose() when done. */
static inline FILE *ic_open_text(const char *subdir, const char *image, const char *ext)
{
    char file[128];
    snprintf(file, sizeof(file), "%s%s", image, ext);
    FILE *fp = fopen(ic_image_path(subdir, file), "r");
    assert_non_null(fp);
    return fp;
}

struct ic_vol {
    struct fake_disk *f;
    char root[40];   /* "/hd7/1" */
};

/* Put the bytes of im (whole sectors of `ss` bytes) in a fake disk named
 * `disk` and insert its media. */
static inline void ic_vol_open(struct ic_vol *c, const struct ic_img *im, uint32_t ss,
                               const char *disk)
{
    struct fake_disk_config cfg = { .sector_size = ss, .capacity = im->bytes / ss };
    assert_int_equal(fake_disk_create(&cfg, &c->f), 0);
    memcpy(fake_disk_data(c->f), im->data, (size_t)cfg.capacity * ss);
    snprintf(c->root, sizeof(c->root), "/%s/1", disk);
    assert_int_equal(fake_disk_add(c->f, disk), 0);
    fake_disk_media_in(c->f);
}

static inline void ic_vol_close(struct ic_vol *c)
{
    fake_disk_del(c->f);
    fake_disk_destroy(c->f);
}

/* ic_vol_close, then free the image it was opened from. */
static inline void ic_vol_unload(struct ic_vol *c, struct ic_img *im)
{
    ic_vol_close(c);
    free(im->data);
}

/* "<root>/<rel>" in a rotating static buffer (four live results). */
static inline const char *ic_join(const char *root, const char *rel)
{
    static char bufs[4][2200];
    static unsigned next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof(bufs[0]), "%s/%s", root, rel);
    return b;
}

static inline const char *ic_p(const struct ic_vol *c, const char *rel)
{
    return ic_join(c->root, rel);
}

/* sha256 of a file read through the vfs in `chunk`-byte reads (at most
 * IC_HASH_CHUNK); returns its size, or -1 with the error in *err. */
static inline long long ic_hash_chunked(const char *path, uint32_t chunk,
                                            char hex[SHA256_HEX_CHARS], int *err)
{
    static uint8_t buf[IC_HASH_CHUNK];
    struct sha256 s;
    uint8_t d[SHA256_DIGEST_BYTES];
    uint64_t off = 0;
    assert_true(chunk > 0 && chunk <= sizeof(buf));
    sha256_init(&s);
    *err = 0;
    for (;;) {
        uint32_t done = 0;
        int rc = vfs_read_file(path, off, buf, chunk, &done);
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

static inline long long ic_hash(const char *path, char hex[SHA256_HEX_CHARS], int *err)
{
    return ic_hash_chunked(path, IC_HASH_CHUNK, hex, err);
}

/* ---- listings ------------------------------------------------------------------------------ */

struct ic_names {
    char *v[IC_MAX_NAMES];   /* the first IC_MAX_NAMES names, strdup'd */
    unsigned n;              /* entries seen (may exceed IC_MAX_NAMES) */
};

/* vfs_list callback: ctx is a struct ic_names. */
static inline int ic_collect(const struct vfs_info *e, void *ctx)
{
    struct ic_names *ns = ctx;
    if (ns->n < IC_MAX_NAMES)
        ns->v[ns->n] = strdup(e->name);
    ns->n++;
    return 0;
}

static inline int ic_cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void ic_names_free(struct ic_names *ns)
{
    for (unsigned i = 0; i < ns->n && i < IC_MAX_NAMES; i++)
        free(ns->v[i]);
    ns->n = 0;
}

/* vfs_list callback: ctx is a struct vfs_info whose name is set; the entry
 * of that name, if listed, is copied over it. */
static inline int ic_find_entry(const struct vfs_info *e, void *ctx)
{
    struct vfs_info *want = ctx;
    if (strcmp(e->name, want->name) == 0)
        *want = *e;
    return 0;
}

/* ---- manifests ----------------------------------------------------------------------------- */

struct ic_entry {
    char type;                /* 'd', 'f' or 'x' */
    unsigned long long size;  /* 'f' only */
    char sha[80];             /* 'f' only: sha256, hex */
    char path[2048];
};

/* Read <subdir>/<image>.manifest into a malloc'd array; returns its length. */
static inline unsigned ic_read_manifest(const char *subdir, const char *image,
                                        struct ic_entry **out)
{
    char line[2048];
    unsigned n = 0, cap = 64;
    struct ic_entry *e = malloc(cap * sizeof(*e));
    FILE *fp = ic_open_text(subdir, image, ".manifest");
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

/* Parent folder of a manifest path ("" for the root). */
static inline void ic_parent_of(const char *p, char *out, size_t cap)
{
    const char *slash = strrchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : 0;
    snprintf(out, cap, "%.*s", (int)n, p);
}

/* The children of folder `dir` must be exactly the manifest's. */
static inline void ic_check_listing(const struct ic_vol *c, const struct ic_entry *e, unsigned n,
                                    const char *dir)
{
    static struct ic_names want, got;
    char par[2048];
    want.n = got.n = 0;
    for (unsigned i = 0; i < n; i++) {
        ic_parent_of(e[i].path, par, sizeof(par));
        if (strcmp(par, dir) != 0)
            continue;
        const char *slash = strrchr(e[i].path, '/');
        assert_true(want.n < IC_MAX_NAMES);
        want.v[want.n++] = strdup(slash ? slash + 1 : e[i].path);
    }
    int rc = vfs_list(ic_p(c, dir), ic_collect, &got);
    if (rc)
        fail_msg("list '%s': %s", dir, err_name(rc));
    assert_true(got.n <= IC_MAX_NAMES);
    qsort(want.v, want.n, sizeof(char *), ic_cmp_str);
    qsort(got.v, got.n, sizeof(char *), ic_cmp_str);
    if (want.n != got.n)
        fail_msg("folder '%s': %u entries, want %u", dir, got.n, want.n);
    for (unsigned i = 0; i < want.n; i++) {
        if (strcmp(want.v[i], got.v[i]) != 0)
            fail_msg("folder '%s': entry '%s', want '%s'", dir, got.v[i], want.v[i]);
    }
    ic_names_free(&want);
    ic_names_free(&got);
}

/* Load <subdir>/<image><ext> into disk `disk` with `ss`-byte sectors; every
 * manifest line must read back (files: size, sha256, read-only attribute;
 * folders: exact listing). Counts what was checked in *files and *dirs. */
static inline void ic_check_manifest(const char *subdir, const char *image, const char *ext,
                                     uint32_t ss, const char *disk, unsigned *files,
                                     unsigned *dirs)
{
    char hex[SHA256_HEX_CHARS];
    struct ic_vol c;
    struct ic_entry *e;
    unsigned n = ic_read_manifest(subdir, image, &e);
    struct ic_img im = ic_load_image(subdir, image, ext);
    *files = *dirs = 0;
    ic_vol_open(&c, &im, ss, disk);
    ic_check_listing(&c, e, n, "");
    for (unsigned i = 0; i < n; i++) {
        struct vfs_info info;
        if (e[i].type == 'x')
            continue;
        if (e[i].type == 'd') {
            assert_int_equal(vfs_get_info(ic_p(&c, e[i].path), &info), 0);
            assert_true(info.attr & VFS_ATTR_DIR);
            ic_check_listing(&c, e, n, e[i].path);
            (*dirs)++;
            continue;
        }
        int err;
        long long got = ic_hash(ic_p(&c, e[i].path), hex, &err);
        if (got < 0 || strcmp(hex, e[i].sha) != 0)
            fail_msg("%s: %s: err %s size %lld hash %s, want %llu %s", image, e[i].path,
                     err_name(err), got, hex, e[i].size, e[i].sha);
        assert_int_equal(got, (long long)e[i].size);
        assert_int_equal(vfs_get_info(ic_p(&c, e[i].path), &info), 0);
        assert_int_equal(info.size, e[i].size);
        assert_int_equal(info.attr, VFS_ATTR_READONLY);
        (*files)++;
    }
    ic_vol_close(&c);
    free(e);
    free(im.data);
}

/* ---- volume facts ---------------------------------------------------------------------------- */

/* The media of c has one partition, and the probe named its file system `fs`. */
static inline void ic_expect_part_fs(const struct ic_vol *c, const char *fs)
{
    struct media *m;
    assert_int_equal(disk_get_media(fake_disk_handle(c->f), &m), 0);
    assert_int_equal(media_part_count(m), 1);
    assert_string_equal(media_part_fs(m, 1), fs);
    media_put(m);
}

/* For each of the n offsets: a read of `chunk` bytes (at most 300000) of
 * `path` gives the bytes of `whole` there (the file, `file_bytes` long),
 * cut at its end with ERR_EOM. */
static inline void ic_check_reads_at(const char *path, const uint8_t *whole, uint32_t file_bytes,
                                     const uint32_t *offs, unsigned n, uint32_t chunk)
{
    static uint8_t part[300000];
    uint32_t done;
    assert_true(chunk <= sizeof(part));
    for (unsigned i = 0; i < n; i++) {
        uint32_t want = file_bytes - offs[i] < chunk ? file_bytes - offs[i] : chunk;
        int rc = vfs_read_file(path, offs[i], part, chunk, &done);
        assert_int_equal(rc, want < chunk ? ERR_EOM : 0);
        assert_int_equal(done, want);
        assert_memory_equal(part, whole + offs[i], want);
    }
}

/* *t is 2024-01-01 00:xx, the time the image scripts give the source tree. */
static inline void ic_expect_new_year_2024(const struct vfs_time *t)
{
    assert_int_equal(t->year, 2024);
    assert_int_equal(t->month, 1);
    assert_int_equal(t->day, 1);
    assert_int_equal(t->hour, 0);
}

/* The shell runs `line` without an error and prints exactly `out`. */
static inline void ic_expect_shell(const char *line, const char *out)
{
    print_host_capture_begin();
    assert_int_equal(shell_execute(line), 0);
    assert_string_equal(print_host_captured(), out);
}

/* ---- read-only volumes -------------------------------------------------------------------- */

/* Every change to the mounted volume c fails with ERR_ROFS (`file` is a
 * file in its root), the shell's `write` prints "error: 10 access denied",
 * and no write reaches the disk. */
static inline void ic_check_every_write_fails(const struct ic_vol *c, const char *file)
{
    struct vfs_info info;
    uint32_t done = 99;
    char line[128];
    assert_int_equal(vfs_create_file(ic_p(c, "new.txt"), "x", 1, &done), ERR_ROFS);
    assert_int_equal(done, 0);
    assert_int_equal(vfs_write_file(ic_p(c, file), 0, "x", 1, &done), ERR_ROFS);
    assert_int_equal(vfs_set_end(ic_p(c, file), 0), ERR_ROFS);
    assert_int_equal(vfs_get_info(ic_p(c, file), &info), 0);
    assert_int_equal(vfs_set_info(ic_p(c, file), &info), ERR_ROFS);
    assert_int_equal(vfs_delete(ic_p(c, file)), ERR_ROFS);
    assert_int_equal(vfs_mkdir(ic_p(c, "newdir")), ERR_ROFS);
    assert_int_equal(vfs_rename(ic_p(c, file), ic_p(c, "b.txt")), ERR_ROFS);
    assert_int_equal(vfs_kolibri_code(ERR_ROFS), 10);
    snprintf(line, sizeof(line), "write %s/%s 10 1", c->root, file);
    print_host_capture_begin();
    assert_int_equal(shell_execute(line), 1);
    assert_string_equal(print_host_captured(), "error: 10 access denied\n");
    assert_int_equal(vfs_sync_all(), 0);
    assert_int_equal(fake_disk_count(c->f, FAKE_CALL_WRITE), 0);
}

/* ---- damaged volumes ------------------------------------------------------------------------- */

/* Open the (patched) image im as `disk` with `ss`-byte sectors: get_info of
 * `rel` must give `want` and `log` must be in the kernel log (if not, the
 * log lines naming the disk go to stderr). */
static inline void ic_expect_damage(struct ic_img *im, uint32_t ss, const char *disk,
                                    const char *rel, int want, const char *log)
{
    struct ic_vol c;
    struct vfs_info info;
    ic_vol_open(&c, im, ss, disk);
    int rc = vfs_get_info(ic_p(&c, rel), &info);
    if (rc != want)
        fail_msg("%s: %s gives %s, want %s", disk, rel, err_name(rc), err_name(want));
    if (!klog_contains(log)) {
        char buf[4096];
        uint64_t cur = 0;
        size_t n;
        while ((n = klog_read(&cur, buf, sizeof(buf) - 1)) > 0) {
            buf[n] = '\0';
            if (strstr(buf, disk))
                fprintf(stderr, "%s", buf);
        }
        fail_msg("%s: no log line '%s'", disk, log);
    }
    ic_vol_close(&c);
}

/* ---- walking a damaged volume -------------------------------------------------------------- */

struct ic_fuzz {
    const int *ok;           /* the results a damaged volume may give (0 included) */
    size_t nok;
    unsigned max_depth;      /* folders below the start that are entered */
    unsigned max_visits;     /* entries looked at, over the whole walk */
    unsigned visits;         /* so far; the caller starts it at 0 */
};

static inline void ic_fuzz_check_rc(const struct ic_fuzz *fz, int rc, const char *what,
                                    const char *path)
{
    for (size_t i = 0; i < fz->nok; i++) {
        if (rc == fz->ok[i])
            return;
    }
    fail_msg("%s %s: unexpected %s", what, path, err_name(rc));
}

/* List folder `path` and everything below it, read the first MiB of every
 * file; every result must be one of fz->ok. Bounded by max_depth/visits. */
static inline void ic_fuzz_walk(struct ic_fuzz *fz, const char *path, unsigned depth)
{
    static uint8_t buf[65536];
    if (depth > fz->max_depth || fz->visits > fz->max_visits)
        return;
    struct ic_names *ns = calloc(1, sizeof(*ns));
    assert_non_null(ns);
    int rc = vfs_list(path, ic_collect, ns);
    ic_fuzz_check_rc(fz, rc, "list", path);
    for (unsigned i = 0; i < ns->n && i < IC_MAX_NAMES && fz->visits <= fz->max_visits; i++) {
        char *child = malloc(strlen(path) + strlen(ns->v[i]) + 2);
        sprintf(child, "%s/%s", path, ns->v[i]);
        fz->visits++;
        struct vfs_info info;
        rc = vfs_get_info(child, &info);
        ic_fuzz_check_rc(fz, rc, "info", child);
        if (rc == 0 && (info.attr & VFS_ATTR_DIR)) {
            ic_fuzz_walk(fz, child, depth + 1);
        } else if (rc == 0) {
            uint32_t done;
            for (uint64_t off = 0; off < info.size && off < (1u << 20); off += sizeof(buf)) {
                rc = vfs_read_file(child, off, buf, sizeof(buf), &done);
                ic_fuzz_check_rc(fz, rc, "read", child);
                if (rc && rc != ERR_EOM)
                    break;
            }
        }
        free(child);
    }
    ic_names_free(ns);
    free(ns);
}

/* xorshift32 (Marsaglia 2003), the tests' own stream of offsets. */
static inline uint32_t ic_fuzz_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* For seeds 1..seeds: flip 1..16 random bits in bytes [lo_bytes, hi_bytes)
 * of a copy of im, open the copy as disk "fz" with ss-byte sectors (every
 * fourth seed: ss_alt) and walk it with a fresh copy of *proto. */
static inline void ic_fuzz_image(const struct ic_img *im, unsigned seeds, uint32_t lo_bytes,
                                 uint32_t hi_bytes, uint32_t ss, uint32_t ss_alt,
                                 const struct ic_fuzz *proto)
{
    struct ic_img copy = { .data = malloc(im->bytes), .bytes = im->bytes };
    assert_non_null(copy.data);
    for (unsigned seed = 1; seed <= seeds; seed++) {
        uint32_t rng = seed * 2654435761u;
        struct ic_fuzz fz = *proto;
        struct ic_vol c;
        memcpy(copy.data, im->data, im->bytes);
        unsigned flips = 1 + ic_fuzz_rand(&rng) % 16;
        for (unsigned k = 0; k < flips; k++) {
            uint32_t off = lo_bytes + ic_fuzz_rand(&rng) % (hi_bytes - lo_bytes);
            copy.data[off] ^= (uint8_t)(1u << (ic_fuzz_rand(&rng) % 8));
        }
        fz.visits = 0;
        ic_vol_open(&c, &copy, seed % 4 ? ss : ss_alt, "fz");
        ic_fuzz_walk(&fz, "/fz/1", 0);
        ic_vol_close(&c);
    }
    free(copy.data);
}

#endif
