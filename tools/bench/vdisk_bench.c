// SPDX-License-Identifier: MIT
/* vdisk_bench: sequential read rate of a virtual disk per image format, as a
 * ratio of reading the same raw image file through the file API, and kdisk
 * against qemu-img at converting each image to raw (issue #7 benchmark).
 * Steps: tests/bench/vdisk_images.sh makes a 64 MiB raw disk, qemu-img turns
 * it into vdi/vhd/vmdk/qcow2 variants and mcopy puts them all on a FAT32
 * image (build/host/bench/vdisk/, reused while the script is unchanged).
 * 1. Each image is converted to raw by `qemu-img convert` and by `kdisk
 *    convert` (best of 3 wall times each); the outputs must have the same
 *    sha256, else the run fails; qemu-img's is kept as the reference content.
 * 2. The FAT image goes into a memory disk (block layer, sector cache,
 *    fs/fat, fs/vfs, as in the kernel).
 * 3. Each image is opened the way `vdisk add` does (vdisk_file_open +
 *    vd_chain_open: backend -> file API -> FAT -> sector cache -> memory
 *    disk) and read whole with vd_chain_read in 1 MiB and in 64 KiB requests,
 *    checked against the reference; each such pair of passes follows a pass
 *    over the raw image file with vfs_read_file_ex in 1 MiB calls (with
 *    VFS_IO_NOCACHE, the path vdisk_file takes: the ratio is the format's
 *    own cost), and ratios
 *    are taken between neighbours (best of VB_ROUNDS each), so that load
 *    from other programs hits both sides alike. The sector cache is dropped
 *    before every pass.
 * Output: `BENCH vdisk_...` lines (MB/s = 10^6 bytes/s of virtual disk),
 * progress on stderr. `--no-convert` skips step 1 (reuses the references).
 * Host only, built with -O2 and no sanitizers; kdisk is the ASan build, so
 * its ratio to qemu-img includes the sanitizers' cost. No timed asserts. */
#include "blkdev/cache.h"
#include "blkdev/disk.h"
#include "drivers/vdisk/lib/vd_chain.h"
#include "drivers/vdisk/lib/vdisk_file.h"
#include "fs/fat/fat.h"
#include "fs/vfs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "tests/fakes/fake_disk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VB_DIR "build/host/bench/vdisk"
#define VB_KDISK "build/host/kdisk"
#define VB_DISK "vb0"
#define VB_MAX_IMAGES 16
#define VB_BIG_REQ (1u << 20)
#define VB_SMALL_REQ (64u << 10)
#define VB_ROUNDS 5 /* best of this many passes of each kind */

struct vb_image {
    char name[32];  /* benchmark name: "vdi_dynamic" */
    char file[64];  /* file name in files/ and in the FAT root */
    char qfmt[16];  /* qemu-img format name */
};

static struct {
    struct vb_image img[VB_MAX_IMAGES];
    unsigned count;
    bool failed;    /* a correctness check failed: exit 1 at the end */
} vb;

static double vb_now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static NORETURN void vb_die(const char *what, int rc)
{
    fprintf(stderr, "vdisk_bench: %s failed (%d)\n", what, rc);
    exit(1);
}

static void vb_progress(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "vdisk_bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}

/* Run a shell command; its wall time in seconds, or exit on failure. */
static double vb_run(const char *cmd)
{
    double t0 = vb_now_s();
    int rc = system(cmd);

    if (rc != 0) {
        fprintf(stderr, "vdisk_bench: command failed (%d): %s\n", rc, cmd);
        exit(1);
    }
    return vb_now_s() - t0;
}

static void vb_load_list(void)
{
    FILE *fp = fopen(VB_DIR "/images.txt", "r");

    if (!fp)
        vb_die("open images.txt", -1);
    while (vb.count < VB_MAX_IMAGES) {
        struct vb_image *im = &vb.img[vb.count];
        if (fscanf(fp, "%31s %63s %15s", im->name, im->file, im->qfmt) != 3)
            break;
        vb.count++;
    }
    fclose(fp);
    if (vb.count == 0)
        vb_die("read images.txt", -1);
}

/* The sha256 of a host file as 64 hex digits. */
static void vb_sha256(const char *path, char out[65])
{
    char cmd[512];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
    p = popen(cmd, "r");
    if (!p || fscanf(p, "%64s", out) != 1)
        vb_die("sha256sum", -1);
    pclose(p);
}

/* Convert one image with both tools.
 * 1. qemu-img to ref/NAME.raw and kdisk to kdisk-out.raw, best of 3 each.
 * 2. Compare the sha256 of the two; a difference fails the run.
 * 3. Print the times and the speed ratio (> 1: kdisk is faster). */
static void vb_convert_image(const struct vb_image *im)
{
    char cmd[1024], src[256], ref[256], h_ref[65], h_out[65];
    const char *out = VB_DIR "/kdisk-out.raw";
    double t_q = 1e9, t_k = 1e9;

    /* 1. */
    vb_progress("convert %s: qemu-img and kdisk to raw...", im->name);
    snprintf(src, sizeof(src), VB_DIR "/files/%s", im->file);
    snprintf(ref, sizeof(ref), VB_DIR "/ref/%s.raw", im->name);
    for (int pass = 0; pass < 3; pass++) {
        snprintf(cmd, sizeof(cmd), "rm -f '%s' && qemu-img convert -f %s -O raw '%s' '%s'", ref,
                 im->qfmt, src, ref);
        t_q = MIN(t_q, vb_run(cmd));
        snprintf(cmd, sizeof(cmd), "rm -f '%s' && %s convert '%s' '%s' raw 2>/dev/null", out,
                 VB_KDISK, src, out);
        t_k = MIN(t_k, vb_run(cmd));
    }
    /* 2. */
    vb_sha256(ref, h_ref);
    vb_sha256(out, h_out);
    bool equal = strcmp(h_ref, h_out) == 0;
    if (!equal) {
        fprintf(stderr, "vdisk_bench: %s: kdisk output differs from qemu-img's (%.12s %.12s)\n",
                im->name, h_out, h_ref);
        vb.failed = true;
    }
    unlink(out);
    /* 3. */
    printf("BENCH vdisk_convert_%s kdisk_ms=%.0f qemu_img_ms=%.0f speed_ratio_to_qemu_img=%.3f"
           " sha256_equal=%d\n", im->name, t_k * 1e3, t_q * 1e3, t_q / t_k, equal ? 1 : 0);
    fflush(stdout);
}

/* Step 1 of the file header: every image through both tools. Without a
 * kdisk binary only the references are made. */
static void vb_bench_convert(void)
{
    char cmd[512];

    mkdir(VB_DIR "/ref", 0755);
    if (access(VB_KDISK, X_OK) != 0) {
        printf("skip vdisk_convert: %s not built (make host)\n", VB_KDISK);
        for (unsigned i = 0; i < vb.count; i++) {
            snprintf(cmd, sizeof(cmd),
                     "rm -f " VB_DIR "/ref/%s.raw && qemu-img convert -f %s -O raw "
                     VB_DIR "/files/%s " VB_DIR "/ref/%s.raw",
                     vb.img[i].name, vb.img[i].qfmt, vb.img[i].file, vb.img[i].name);
            vb_run(cmd);
        }
        return;
    }
    for (unsigned i = 0; i < vb.count; i++)
        vb_convert_image(&vb.img[i]);
}

/* Load a host file whole; exits on failure. */
static uint8_t *vb_load(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *p;
    long n = 0;

    if (!fp || fseek(fp, 0, SEEK_END) || (n = ftell(fp)) <= 0 || fseek(fp, 0, SEEK_SET))
        vb_die(path, -1);
    p = malloc((size_t)n);
    if (!p || fread(p, 1, (size_t)n, fp) != (size_t)n)
        vb_die(path, -1);
    fclose(fp);
    *len = (size_t)n;
    return p;
}

/* Step 2 of the file header: the FAT image in a memory disk called
 * VB_DISK, FAT mounted on it. */
static struct fake_disk *vb_attach_fat(void)
{
    struct fake_disk *f;
    size_t len;
    uint8_t *img = vb_load(VB_DIR "/fat.img", &len);
    struct fake_disk_config cfg = { .sector_size = 512, .capacity = len / 512 };

    klog_set_console_level(KLOG_ERR);
    blkdev_init();
    fat_register();
    cache_set_budget_bytes(64u << 20);
    if (fake_disk_create(&cfg, &f))
        vb_die("fake disk", -1);
    memcpy(fake_disk_data(f), img, len);
    free(img);
    if (fake_disk_add(f, VB_DISK))
        vb_die("DiskAdd", -1);
    fake_disk_media_in(f);
    return f;
}

/* Seconds of one pass over `path` through the file API in 1 MiB calls,
 * cold cache; checks the bytes against ref. */
static double vb_raw_file_pass(const char *path, const uint8_t *ref, size_t len, uint8_t *buf)
{
    double t = 0;

    if (cache_drop_all())
        vb_die("cache drop", -1);
    for (size_t off = 0; off < len; off += VB_BIG_REQ) {
        uint32_t n = (uint32_t)MIN((size_t)VB_BIG_REQ, len - off), done = 0;
        double t0 = vb_now_s();
        int rc = vfs_read_file_ex(path, off, buf, n, VFS_IO_NOCACHE, &done);
        t += vb_now_s() - t0;
        if (rc || done != n)
            vb_die("raw file read", rc);
        if (memcmp(buf, ref + off, n))
            vb_die("raw file content check", -1);
    }
    return t;
}

/* One pass over chain `c` in `req`-byte requests: seconds spent in
 * vd_chain_read; content checked against ref (*same false on a mismatch). */
static double vb_chain_pass(struct vd_chain *c, size_t req, const uint8_t *ref, size_t len,
                            uint8_t *buf, bool *same)
{
    double t = 0;

    if (cache_drop_all())
        vb_die("cache drop", -1);
    for (size_t off = 0; off < len; off += req) {
        size_t n = MIN(req, len - off);
        double t0 = vb_now_s();
        int rc = vd_chain_read(c, off, buf, n);
        t += vb_now_s() - t0;
        if (rc)
            vb_die("vd_chain_read", rc);
        if (memcmp(buf, ref + off, n))
            *same = false;
    }
    return t;
}

/* Best times of the rounds for one image, and what the first 1 MiB pass
 * cost in file-API calls and time. */
struct vb_result {
    double raw_s, big_s, small_s;   /* best pass times */
    double reads_per_mib;           /* vfs_read_file calls per MiB, 1 MiB pass */
    double file_share;              /* of that pass's time, inside vfs_read_file */
    bool same;                      /* every pass read the reference bytes */
};

/* Read one image through its chain, rounds interleaved with raw-file passes.
 * 1. Load the reference; open the image as `vdisk add` does.
 * 2. VB_ROUNDS rounds of: raw file pass, 1 MiB pass, 64 KiB pass; the
 *    first 1 MiB pass also counts file-API calls and time.
 * 3. Close; a content mismatch fails the run. */
static void vb_read_image(const struct vb_image *im, const uint8_t *raw, size_t raw_len,
                          uint8_t *buf, struct vb_result *r)
{
    const char *raw_path = "/" VB_DISK "/1/disk.raw";
    char path[256], ref_path[256];
    struct vd_file *f;
    struct vd_chain *c;
    size_t len;
    int rc;

    /* 1. */
    vb_progress("read %s through the vd chain...", im->name);
    snprintf(ref_path, sizeof(ref_path), VB_DIR "/ref/%s.raw", im->name);
    uint8_t *ref = vb_load(ref_path, &len);
    snprintf(path, sizeof(path), "/" VB_DISK "/1/%s", im->file);
    rc = vdisk_file_open(path, true, &f);
    if (rc == 0)
        rc = vd_chain_open(f, "auto", VD_OPEN_READONLY, 0, &c); /* owns f from here */
    if (rc)
        vb_die(path, rc);
    if (vd_chain_size(c) != len || len != raw_len)
        vb_die("virtual size check", -1);
    /* 2. */
    *r = (struct vb_result){ 1e9, 1e9, 1e9, 0, 0, true };
    for (int round = 0; round < VB_ROUNDS; round++) {
        struct vdisk_file_stats s0, s1;
        r->raw_s = MIN(r->raw_s, vb_raw_file_pass(raw_path, raw, raw_len, buf));
        vdisk_file_get_stats(&s0);
        double t = vb_chain_pass(c, VB_BIG_REQ, ref, len, buf, &r->same);
        vdisk_file_get_stats(&s1);
        if (round == 0) {
            r->reads_per_mib = (double)(s1.reads - s0.reads) / ((double)len / (1u << 20));
            r->file_share = (double)(s1.read_us - s0.read_us) / 1e6 / t;
        }
        r->big_s = MIN(r->big_s, t);
        r->small_s = MIN(r->small_s, vb_chain_pass(c, VB_SMALL_REQ, ref, len, buf, &r->same));
    }
    /* 3. */
    vd_chain_close(c);
    free(ref);
    if (!r->same) {
        fprintf(stderr, "vdisk_bench: %s: data read differs from qemu-img's\n", im->name);
        vb.failed = true;
    }
}

/* Step 3 of the file header: one BENCH line per image, then the raw file's
 * best rate over all rounds. */
static void vb_bench_read(const uint8_t *raw, size_t raw_len, uint8_t *buf)
{
    double raw_best = 1e9;

    for (unsigned i = 0; i < vb.count; i++) {
        struct vb_result r;
        vb_read_image(&vb.img[i], raw, raw_len, buf, &r);
        raw_best = MIN(raw_best, r.raw_s);
        double raw_mbps = (double)raw_len / r.raw_s / 1e6;
        double big = (double)raw_len / r.big_s / 1e6, small = (double)raw_len / r.small_s / 1e6;
        printf("BENCH vdisk_read_%s mbps=%.1f ratio_to_raw_file=%.3f mbps_64k=%.1f "
               "ratio_64k=%.3f raw_file_mbps=%.1f file_reads_per_mib=%.1f "
               "file_api_time_share=%.2f data_ok=%d\n",
               vb.img[i].name, big, big / raw_mbps, small, small / raw_mbps, raw_mbps,
               r.reads_per_mib, r.file_share, r.same);
        fflush(stdout);
    }
    printf("BENCH vdisk_raw_file_read mbps=%.1f\n", (double)raw_len / raw_best / 1e6);
}

int main(int argc, char **argv)
{
    bool convert = !(argc == 2 && strcmp(argv[1], "--no-convert") == 0);
    uint8_t *buf = malloc(VB_BIG_REQ);
    struct fake_disk *fd;
    size_t raw_len;

    if (!buf)
        vb_die("malloc", -1);
    vb_progress("making images (tests/bench/vdisk_images.sh)...");
    vb_run("tests/bench/vdisk_images.sh " VB_DIR);
    vb_load_list();
    if (convert)
        vb_bench_convert(); /* also makes ref/, which --no-convert reuses */
    vb_progress("loading the FAT image into a memory disk...");
    fd = vb_attach_fat();
    uint8_t *raw = vb_load(VB_DIR "/files/disk.raw", &raw_len);
    vb_bench_read(raw, raw_len, buf);
    free(raw);
    fake_disk_del(fd);
    fake_disk_destroy(fd);
    free(buf);
    return vb.failed ? 1 : 0;
}
