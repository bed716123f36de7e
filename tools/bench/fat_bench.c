// SPDX-License-Identifier: MIT
/* fat_bench: file throughput through the whole stack on the host - file API
 * (fs/vfs.c), FAT (fs/fat), sector cache and block layer over a disk held in
 * memory - against reading the same raw image file with read(2), the way
 * `dd if=IMG of=/dev/null bs=1M` does (page cache warm). Issue #5 asks for
 * this ratio.
 * Steps: mkfs.fat makes a 256 MiB FAT32 image; the image is read raw (best
 * of 3); it is loaded into a memory-backed disk; a 128 MiB file is written
 * in 1 MiB calls and synced, then read back in 1 MiB calls (cache dropped
 * first, so reads go through the driver), then read again from the cache.
 * Output: `BENCH fat_... mbps=X` lines and ratios to the raw read. Host
 * only, built with -O2 and no sanitizers; no timed assertions. */
#include "blkdev/cache.h"
#include "blkdev/disk.h"
#include "fs/fat/fat.h"
#include "fs/vfs.h"
#include "kernel/klog.h"
#include "tests/fakes/fake_disk.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IMG_MIB 256
#define FILE_MIB 128
#define CHUNK (1u << 20)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "fat_bench: %s failed (%d)\n", what, rc);
    exit(1);
}

/* MB/s (10^6 bytes/s) of reading `path` with read(2) in 1 MiB blocks. */
static double raw_read_mbps(const char *path, uint8_t *buf)
{
    double best = 0;
    for (int pass = 0; pass < 3; pass++) {
        int fd = open(path, O_RDONLY);
        if (fd < 0)
            die("open image", -1);
        double t0 = now_s();
        ssize_t n, total = 0;
        while ((n = read(fd, buf, CHUNK)) > 0)
            total += n;
        double mbps = (double)total / (now_s() - t0) / 1e6;
        close(fd);
        if (mbps > best)
            best = mbps;
    }
    return best;
}

static double file_pass_mbps(const char *path, uint8_t *buf, bool write)
{
    double t0 = now_s();
    for (uint32_t i = 0; i < FILE_MIB; i++) {
        uint32_t done;
        int rc = write ? (i == 0 ? vfs_create_file(path, buf, CHUNK, &done)
                                 : vfs_write_file(path, (uint64_t)i * CHUNK, buf, CHUNK, &done))
                       : vfs_read_file(path, (uint64_t)i * CHUNK, buf, CHUNK, &done);
        if (rc || done != CHUNK)
            die(write ? "file write" : "file read", rc);
    }
    if (write) {
        int rc = vfs_sync_all();
        if (rc)
            die("sync", rc);
    }
    return (double)FILE_MIB * CHUNK / (now_s() - t0) / 1e6;
}

int main(void)
{
    const char *img = "build/host/bench/fat_bench.img";
    uint8_t *buf = malloc(CHUNK);
    struct fake_disk *f;

    /* 1. The image, made by the real tool. */
    fprintf(stderr, "fat_bench: making a %d MiB FAT32 image...\n", IMG_MIB);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -f %s && mkfs.fat -F 32 -C %s %d >/dev/null", img, img,
             IMG_MIB * 1024);
    if (!buf || system(cmd) != 0)
        die("mkfs.fat", -1);
    double raw = raw_read_mbps(img, buf);
    /* 2. The stack: a memory disk holding the image, FAT on it. */
    klog_set_console_level(KLOG_ERR);
    blkdev_init();
    fat_register();
    cache_set_budget_bytes(64u << 20);
    struct fake_disk_config cfg = { .sector_size = 512, .capacity = (uint64_t)IMG_MIB << 11 };
    if (fake_disk_create(&cfg, &f))
        die("fake disk", -1);
    FILE *fp = fopen(img, "rb");
    if (!fp || fread(fake_disk_data(f), 1, (size_t)IMG_MIB << 20, fp) != (size_t)IMG_MIB << 20)
        die("load image", -1);
    fclose(fp);
    if (fake_disk_add(f, "fb0"))
        die("DiskAdd", -1);
    fake_disk_media_in(f);
    /* 3. Write, cold read, warm read. */
    memset(buf, 0x5A, CHUNK);
    fprintf(stderr, "fat_bench: writing %d MiB...\n", FILE_MIB);
    double wr = file_pass_mbps("/fb0/1/big.bin", buf, true);
    if (cache_drop_all())
        die("cache drop", -1);
    fprintf(stderr, "fat_bench: reading it back...\n");
    double rd = file_pass_mbps("/fb0/1/big.bin", buf, false);
    double rd_warm = file_pass_mbps("/fb0/1/big.bin", buf, false);
    printf("BENCH fat_raw_image_read mbps=%.1f\n", raw);
    printf("BENCH fat_file_write mbps=%.1f ratio_to_raw_read=%.3f\n", wr, wr / raw);
    printf("BENCH fat_file_read mbps=%.1f ratio_to_raw_read=%.3f\n", rd, rd / raw);
    printf("BENCH fat_file_read_cached mbps=%.1f ratio_to_raw_read=%.3f\n", rd_warm,
           rd_warm / raw);
    fake_disk_del(f);
    fake_disk_destroy(f);
    free(buf);
    unlink(img);
    return 0;
}
