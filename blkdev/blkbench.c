// SPDX-License-Identifier: MIT
/* `bench read` / `bench rand` (contract in blkbench.h). Arguments are
 * checked before any I/O; a run that fails part-way reports the error and
 * how far it got. Requests are capped at DISK_MAX_REQUEST_SECTORS and the
 * buffer at BENCH_MAX_REQUEST_KB so a typo cannot exhaust the heap. */
#include "blkdev/blkbench.h"
#include "blkdev/cache.h"
#include "blkdev/disk_priv.h"
#include "kernel/err.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/xorshift.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/time.h"

#define BENCH_MAX_MB 65536u           /* 64 GiB: far beyond any useful run */
#define BENCH_MAX_REQUEST_KB 16384u   /* 16 MiB buffer at most */
#define BENCH_MAX_RAND 1000000u
#define BENCH_RAND_BYTES 4096u
#define BENCH_RAND_SEED 0x5350494Eu   /* "SPIN": the same offsets every run */
#define KIB 1024u
#define MIB (1024u * 1024u)

/* Read through the cache as file data (what a file read does: CACHE_APP,
 * with read-ahead, large-read bypass and drop-behind) or the raw driver
 * path. */
static int bench_read_at(struct media *m, bool direct, lba_t lba, uint32_t count, void *buf)
{
    uint32_t done = 0;
    int rc = direct ? media_driver_read(m, lba, count, buf, &done)
                    : cache_read(m, lba, count, buf, CACHE_APP, &done);
    if (rc == 0 && done != count)
        rc = ERR_IO;
    return rc;
}

/* Print the result: "<what>: N bytes in T us, X.Y MB/s, Z IOPS" and BENCH. */
static void bench_report(const char *what, const char *tag, uint64_t bytes, uint64_t ops,
                         uint64_t us)
{
    if (us == 0)
        us = 1;
    uint64_t mbps10 = bytes * 10 / us;   /* bytes/us == 10^6 bytes/s */
    uint64_t iops = ops * 1000000 / us;
    kprintf("%s: %llu bytes in %llu.%03llu s, %llu.%llu MB/s, %llu IOPS\n", what,
            (unsigned long long)bytes, (unsigned long long)(us / 1000000),
            (unsigned long long)(us / 1000 % 1000), (unsigned long long)(mbps10 / 10),
            (unsigned long long)(mbps10 % 10), (unsigned long long)iops);
    kprintf("BENCH %s mbps=%llu.%llu iops=%llu\n", tag, (unsigned long long)(mbps10 / 10),
            (unsigned long long)(mbps10 % 10), (unsigned long long)iops);
}

static int parse_mode(int argc, char **argv, int at, bool *direct)
{
    *direct = true;
    if (argc <= at)
        return 0;
    if (strcmp(argv[at], "cache") == 0)
        *direct = false;
    else if (strcmp(argv[at], "direct") != 0)
        return shell_error("bad mode '%s' (want direct or cache)", argv[at]);
    return 0;
}

static int bench_seq(struct media *m, const char *name, uint64_t mb, uint64_t req_kb,
                     bool direct)
{
    uint32_t ss = media_sector_size(m);
    uint64_t req_bytes = req_kb * KIB;
    char tag[64];
    int rc = 0;

    /* 1. Sizes in sectors, clipped to the media. */
    if (req_bytes % ss)
        return shell_error("request size not a multiple of the sector size (%llu KiB, %u)",
                           (unsigned long long)req_kb, ss);
    uint32_t req = (uint32_t)MIN(req_bytes / ss, (uint64_t)DISK_MAX_REQUEST_SECTORS);
    uint64_t total = MIN(mb * MIB / ss, (uint64_t)media_capacity(m));
    uint8_t *buf = kmalloc_aligned((size_t)req * ss, 4096);
    if (!buf)
        return shell_error("out of memory (%llu bytes)", (unsigned long long)req * ss);
    /* 2. Sequential reads from sector 0, timed as a whole. */
    uint64_t t0 = time_us(), done = 0, ops = 0;
    while (done < total) {
        uint32_t n = (uint32_t)MIN((uint64_t)req, total - done);
        rc = bench_read_at(m, direct, done, n, buf);
        if (rc)
            break;
        done += n;
        ops++;
    }
    uint64_t us = time_us() - t0;
    kfree(buf);
    if (rc)
        return shell_error("read failed at sector %llu (%s)", (unsigned long long)done,
                           err_name(rc));
    ksnprintf(tag, sizeof(tag), "read_%s_%lluk_%s", name, (unsigned long long)req_kb,
              direct ? "direct" : "cache");
    bench_report("bench read", tag, done * ss, ops, us);
    return 0;
}

static int bench_rand(struct media *m, const char *name, uint64_t count, bool direct)
{
    uint32_t ss = media_sector_size(m);
    uint32_t per = MAX(BENCH_RAND_BYTES / ss, 1u);
    uint64_t slots = media_capacity(m) / per;
    struct xorshift x;
    char tag[64];
    int rc = 0;

    if (slots == 0)
        return shell_error("media too small for 4 KiB reads (%llu sectors)",
                           (unsigned long long)media_capacity(m));
    uint8_t *buf = kmalloc_aligned((size_t)per * ss, 4096);
    if (!buf)
        return shell_error("out of memory");
    xorshift_init(&x, BENCH_RAND_SEED);
    uint64_t t0 = time_us(), i;
    for (i = 0; i < count && rc == 0; i++) {
        uint64_t r;
        xorshift_fill(&x, &r, sizeof(r));
        rc = bench_read_at(m, direct, (r % slots) * per, per, buf);
    }
    uint64_t us = time_us() - t0;
    kfree(buf);
    if (rc)
        return shell_error("random read %llu failed (%s)", (unsigned long long)i, err_name(rc));
    ksnprintf(tag, sizeof(tag), "rand4k_%s_%s", name, direct ? "direct" : "cache");
    bench_report("bench rand", tag, count * per * ss, count, us);
    return 0;
}

static int cmd_bench(int argc, char **argv)
{
    struct disk *d;
    struct media *m;
    uint64_t a, b = 0;
    bool direct;
    int rc;

    /* 1. Check every argument before touching the disk. */
    bool is_read = argc >= 5 && argc <= 6 && strcmp(argv[1], "read") == 0;
    bool is_rand = argc >= 4 && argc <= 5 && strcmp(argv[1], "rand") == 0;
    if (!is_read && !is_rand)
        return shell_error("usage: bench read NAME MB REQUEST_KB [direct|cache] | "
                           "bench rand NAME COUNT [direct|cache]");
    if (kparse_u64(argv[3], &a) || a == 0 || a > (is_read ? BENCH_MAX_MB : BENCH_MAX_RAND))
        return shell_error("bad %s '%s'", is_read ? "size in MiB" : "count", argv[3]);
    if (is_read && (kparse_u64(argv[4], &b) || b == 0 || b > BENCH_MAX_REQUEST_KB))
        return shell_error("bad request size '%s' (1..%u KiB)", argv[4], BENCH_MAX_REQUEST_KB);
    if (parse_mode(argc, argv, is_read ? 5 : 4, &direct))
        return 1;
    /* 2. The disk and its media, held for the run. */
    if (disk_find(argv[2], &d))
        return shell_error("no such disk '%s'", argv[2]);
    if (disk_get_media(d, &m)) {
        disk_put(d);
        return shell_error("no media in '%s'", argv[2]);
    }
    rc = is_read ? bench_seq(m, disk_name(d), a, b, direct)
                 : bench_rand(m, disk_name(d), a, direct);
    media_put(m);
    disk_put(d);
    return rc;
}

static const struct shell_cmd blkbench_cmds[] = {
    { "bench", "read NAME MB REQUEST_KB [direct|cache] | rand NAME COUNT [direct|cache]",
      "time sequential or random 4 KiB reads of a disk", cmd_bench },
};

void blkbench_register_commands(void)
{
    shell_register(blkbench_cmds, ARRAY_SIZE(blkbench_cmds));
}
