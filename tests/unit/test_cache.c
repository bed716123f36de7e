// SPDX-License-Identifier: MIT
/* Tests of the sector cache (blkdev/cache*.c) against the recording fake
 * driver: hit/miss accounting, 2Q eviction order, scan resistance, dirty
 * data kept until written back, write coalescing, read-ahead, failing and
 * short driver transfers, the flusher on the fake clock, media removal and
 * DiskDel with dirty data, uncached disks, 4096-byte sectors and the shell
 * commands. Threads: test_cache_concurrency.c. Each test uses its own disk
 * name and sets the budget it needs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "blkdev/cache.h"
#include "blkdev/cache_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/shell/shell.h"
#include "tests/fakes/fake_disk.h"
#include "tests/host/kmem_host.h"
#include "tests/host/print_host.h"
#include "tests/host/time_host.h"

#define CT_SECTORS 4096 /* 2 MiB of 512-byte sectors: 512 lines */
#define CT_LINE 8       /* sectors per line at 512 bytes */

struct ct {
    struct fake_disk *f;
    struct disk *d;
    struct media *m;
    uint32_t ss;
    struct cache_stats base; /* counters when the test began */
};

/* xorshift32, for reproducible pseudo-random orders. */
static uint32_t ct_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static unsigned STDCALL ct_adjust_zero(void *userdata, unsigned suggested)
{
    (void)userdata;
    (void)suggested;
    return 0;
}

/* A fake of `sectors` sectors of `ss` bytes, every byte patterned, added,
 * inserted, its media held; the driver log starts empty. */
static void ct_open_ex(struct ct *t, const char *name, uint32_t ss, uint64_t sectors,
                       bool uncached)
{
    struct fake_disk_config cfg = { .sector_size = ss, .capacity = sectors };
    memset(t, 0, sizeof(*t));
    t->ss = ss;
    assert_int_equal(fake_disk_create(&cfg, &t->f), 0);
    uint8_t *p = fake_disk_data(t->f);
    for (size_t i = 0; i < fake_disk_bytes(t->f); i++)
        p[i] = (uint8_t)(i * 7 ^ (i >> 9) ^ (i >> 13));
    if (uncached)
        fake_disk_funcs(t->f)->adjust_cache_size = ct_adjust_zero;
    assert_int_equal(fake_disk_add(t->f, name), 0);
    t->d = fake_disk_handle(t->f);
    fake_disk_media_in(t->f);
    assert_int_equal(disk_get_media(t->d, &t->m), 0);
    /* Start from an empty cache: the partition scan's lines are dropped. */
    assert_int_equal(cache_drop_all(), 0);
    fake_disk_log_clear(t->f);
    assert_int_equal(cache_get_stats(t->m, &t->base), 0);
}

static void ct_open(struct ct *t, const char *name)
{
    ct_open_ex(t, name, 512, CT_SECTORS, false);
}

static void ct_close(struct ct *t)
{
    media_put(t->m);
    fake_disk_del(t->f);
    assert_int_equal(fake_disk_count(t->f, FAKE_CALL_CLOSE), 1);
    assert_int_equal(fake_disk_calls_after_close(t->f), 0);
    fake_disk_destroy(t->f);
}

static const uint8_t *ct_disk(struct ct *t, lba_t lba)
{
    return fake_disk_data(t->f) + (size_t)lba * t->ss;
}

/* Counters since ct_open (the partition scan's reads left out); the "now"
 * values as they are. */
static struct cache_stats ct_stats(struct ct *t)
{
    struct cache_stats s;
    const struct cache_stats *b = &t->base;
    assert_int_equal(cache_get_stats(t->m, &s), 0);
    s.hits -= b->hits;
    s.misses -= b->misses;
    s.ra_used -= b->ra_used;
    s.ra_wasted -= b->ra_wasted;
    s.evictions -= b->evictions;
    s.writebacks -= b->writebacks;
    s.wb_errors -= b->wb_errors;
    s.driver_reads -= b->driver_reads;
    s.driver_read_sectors -= b->driver_read_sectors;
    s.driver_writes -= b->driver_writes;
    s.driver_write_sectors -= b->driver_write_sectors;
    return s;
}

static void ct_read1(struct ct *t, lba_t lba, enum cache_class cls)
{
    uint8_t buf[4096];
    uint32_t done = 0;
    assert_int_equal(cache_read(t->m, lba, 1, buf, cls, &done), 0);
    assert_int_equal(done, 1);
    assert_memory_equal(buf, ct_disk(t, lba), t->ss);
}

static void ct_fault(struct ct *t, struct fake_fault fault)
{
    assert_int_equal(fake_disk_add_fault(t->f, &fault), 0);
}

static int ct_setup(void **state)
{
    (void)state;
    klog_clear();
    time_host_use_fake(false);
    cache_set_dirty_age_ms(CACHE_DIRTY_AGE_MS);
    return cache_set_budget_bytes(1u << 20); /* 256 lines */
}

/* ---- reads ------------------------------------------------------------------------------------ */

static void test_cache_read_miss_then_hit_counts_and_reads_line_once(void **state)
{
    (void)state;
    struct ct t;
    ct_open(&t, "cthit");

    ct_read1(&t, 3, CACHE_SYS);
    struct cache_stats s = ct_stats(&t);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.hits, 0);
    /* The whole 4 KiB line came in one request. */
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 1);
    struct fake_disk_call c = fake_disk_log_at(t.f, 0);
    assert_int_equal(c.lba, 0);
    assert_int_equal(c.requested, CT_LINE);
    /* Any sector of it is a hit now. */
    ct_read1(&t, 3, CACHE_SYS);
    ct_read1(&t, 7, CACHE_SYS);
    s = ct_stats(&t);
    assert_int_equal(s.hits, 2);
    assert_int_equal(s.misses, 1);
    assert_int_equal(s.driver_reads, 1);
    assert_int_equal(s.driver_read_sectors, CT_LINE);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 1);
    ct_close(&t);
}

static void test_cache_multi_sector_read_sends_missing_run_as_one_request(void **state)
{
    (void)state;
    struct ct t;
    uint8_t buf[64 * 512];
    uint32_t done = 0;
    ct_open(&t, "ctrun");

    ct_read1(&t, 16, CACHE_SYS); /* line 16..23 cached */
    fake_disk_log_clear(t.f);
    /* 0..63: missing 0..15, hit 16..23, missing 24..63: two requests. */
    assert_int_equal(cache_read(t.m, 0, 64, buf, CACHE_SYS, &done), 0);
    assert_int_equal(done, 64);
    assert_memory_equal(buf, ct_disk(&t, 0), sizeof(buf));
    assert_int_equal(fake_disk_log_len(t.f), 2);
    assert_int_equal(fake_disk_log_at(t.f, 0).lba, 0);
    assert_int_equal(fake_disk_log_at(t.f, 0).requested, 16);
    assert_int_equal(fake_disk_log_at(t.f, 1).lba, 24);
    assert_int_equal(fake_disk_log_at(t.f, 1).requested, 40);
    ct_close(&t);
}

static void test_cache_read_error_returns_partial_and_caches_no_half_line(void **state)
{
    (void)state;
    struct ct t;
    uint8_t buf[8 * 512];
    uint32_t done = 99;
    ct_open(&t, "ctrerr");

    ct_fault(&t, (struct fake_fault){ .call = FAKE_CALL_READ, .nth = 1,
                                      .kind = FAKE_FAULT_STATUS,
                                      .status = DISK_STATUS_GENERAL_ERROR, .done = 3 });
    assert_int_equal(cache_read(t.m, 0, 8, buf, CACHE_SYS, &done), ERR_IO);
    assert_int_equal(done, 3);
    assert_memory_equal(buf, ct_disk(&t, 0), 3 * 512);
    /* Not one sector of the half-read line is visible. */
    for (lba_t i = 0; i < 8; i++)
        assert_false(cache_holds(t.m, i));
    assert_int_equal(ct_stats(&t).cached_sectors, 0);
    /* The next read asks the driver again and succeeds. */
    assert_int_equal(cache_read(t.m, 0, 8, buf, CACHE_SYS, &done), 0);
    assert_memory_equal(buf, ct_disk(&t, 0), sizeof(buf));
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 2);
    ct_close(&t);
}

static void test_cache_short_driver_reads_are_completed(void **state)
{
    (void)state;
    struct ct t;
    uint8_t buf[32 * 512];
    uint32_t done = 0;
    ct_open(&t, "ctshort");

    ct_fault(&t, (struct fake_fault){ .call = FAKE_CALL_READ, .nth = 1, .persistent = true,
                                      .kind = FAKE_FAULT_SHORT });
    assert_int_equal(cache_read(t.m, 0, 32, buf, CACHE_SYS, &done), 0);
    assert_int_equal(done, 32);
    assert_memory_equal(buf, ct_disk(&t, 0), sizeof(buf));
    assert_true(cache_holds(t.m, 31));
    assert_int_equal(disk_contract_violations(t.d), 0);
    ct_close(&t);
}

static void test_cache_read_clips_at_capacity_with_eom(void **state)
{
    (void)state;
    struct ct t;
    uint8_t buf[4 * 512];
    uint32_t done = 0;
    ct_open(&t, "cteom");

    assert_int_equal(cache_read(t.m, CT_SECTORS - 2, 4, buf, CACHE_SYS, &done), ERR_EOM);
    assert_int_equal(done, 2);
    assert_memory_equal(buf, ct_disk(&t, CT_SECTORS - 2), 2 * 512);
    assert_int_equal(cache_read(t.m, CT_SECTORS, 1, buf, CACHE_SYS, &done), ERR_EOM);
    assert_int_equal(done, 0);
    assert_int_equal(cache_write(t.m, CT_SECTORS - 1, 2, buf, CACHE_SYS, &done), ERR_EOM);
    assert_int_equal(done, 1);
    ct_close(&t);
}

/* ---- read-ahead ------------------------------------------------------------------------------ */

static void test_cache_sequential_reads_grow_readahead_and_use_it(void **state)
{
    (void)state;
    struct ct t;
    ct_open(&t, "ctraon");

    /* 1024 sectors (128 lines) one at a time. */
    for (lba_t i = 0; i < 1024; i++)
        ct_read1(&t, i, CACHE_APP);
    unsigned reads = fake_disk_count(t.f, FAKE_CALL_READ);
    struct cache_stats s = ct_stats(&t);
    assert_true(reads < 16); /* without read-ahead: 128 */
    assert_true(s.ra_used > 64);
    /* Read ahead past the end: at most one window, never more. */
    assert_true(s.driver_read_sectors >= 1024);
    assert_true(s.driver_read_sectors - 1024 <= CACHE_RA_MAX_BYTES / 512);
    /* Requests grew: the last one is at least the 64 KiB it reached. */
    assert_true(fake_disk_log_at(t.f, fake_disk_log_len(t.f) - 1).requested >= 128);
    ct_close(&t);
}

static void test_cache_random_reads_get_no_readahead(void **state)
{
    (void)state;
    struct ct t;
    uint32_t rng;
    ct_open(&t, "ctraoff");

    rng = 42;
    for (int i = 0; i < 100; i++) {
        lba_t lba = (ct_rand(&rng) % (CT_SECTORS / CT_LINE)) * CT_LINE + 3;
        ct_read1(&t, lba, CACHE_APP);
    }
    for (size_t i = 0; i < fake_disk_log_len(t.f); i++)
        assert_int_equal(fake_disk_log_at(t.f, i).requested, CT_LINE);
    assert_int_equal(ct_stats(&t).ra_used + ct_stats(&t).ra_wasted, 0);
    ct_close(&t);
}

/* ---- replacement ----------------------------------------------------------------------------- */

/* Property: with file data read once each (no re-reference), 2Q is a FIFO of
 * `limit` lines - checked after every read of a random permutation. */
static void test_cache_eviction_of_once_read_lines_is_fifo(void **state)
{
    (void)state;
    struct ct t;
    uint32_t rng;
    enum { LIMIT = 16, NLINES = 200 };
    lba_t order[NLINES];
    assert_int_equal(cache_set_budget_bytes(LIMIT * CACHE_LINE_BYTES), 0);
    ct_open(&t, "ctfifo");

    for (unsigned seed = 1; seed <= 3; seed++) {
        assert_int_equal(cache_drop_all(), 0);
        rng = seed * 2654435761u;
        for (int i = 0; i < NLINES; i++)
            order[i] = (lba_t)i * 2 * CT_LINE; /* never adjacent: no read-ahead */
        for (int i = NLINES - 1; i > 0; i--) {
            int j = (int)(ct_rand(&rng) % (unsigned)(i + 1));
            lba_t x = order[i];
            order[i] = order[j];
            order[j] = x;
        }
        for (int i = 0; i < NLINES; i++) {
            ct_read1(&t, order[i], CACHE_APP);
            for (int k = 0; k <= i; k++)
                assert_int_equal(cache_holds(t.m, order[k]), k > i - LIMIT);
        }
    }
    ct_close(&t);
}

static void test_cache_scan_does_not_evict_hot_metadata(void **state)
{
    (void)state;
    struct ct t;
    uint8_t *buf = malloc(64 * 512);
    uint32_t done;
    enum { LIMIT = 64, HOT = 24 };
    assert_int_equal(cache_set_budget_bytes(LIMIT * CACHE_LINE_BYTES), 0);
    ct_open(&t, "ctscan");

    /* Hot metadata (FAT, directories): 24 lines, read as CACHE_SYS. */
    for (lba_t i = 0; i < HOT; i++)
        ct_read1(&t, 2048 + i * CT_LINE, CACHE_SYS);
    /* One big file read sequentially, 8 times the cache, in 4 KiB reads. */
    for (lba_t lba = 0; lba < 2048 && lba + 8 <= 2048; lba += 8)
        assert_int_equal(cache_read(t.m, lba, 8, buf, CACHE_APP, &done), 0);
    for (lba_t i = 0; i < HOT; i++)
        assert_true(cache_holds(t.m, 2048 + i * CT_LINE));
    /* A file-data hot set that was re-read also survives the next scan. */
    fake_disk_log_clear(t.f);
    for (lba_t i = 0; i < HOT; i++)
        ct_read1(&t, 2048 + i * CT_LINE, CACHE_SYS);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 0);
    free(buf);
    ct_close(&t);
}

/* Am's length (white-box): the protected queue 2Q keeps re-referenced lines in. */
static size_t ct_am_lines(struct ct *t)
{
    mutex_lock(&cache_state.lock);
    size_t n = t->m->cache->n_am;
    mutex_unlock(&cache_state.lock);
    return n;
}

static void test_cache_scan_with_read_ahead_promotes_no_line(void **state)
{
    (void)state;
    struct ct t;
    uint8_t *buf = malloc(8 * 512);
    uint32_t done;
    enum { LIMIT = 128, HOT = 40, SCAN_LINES = 8 * LIMIT };
    assert_int_equal(cache_set_budget_bytes(LIMIT * CACHE_LINE_BYTES), 0);
    ct_open_ex(&t, "ctscanra", 512, (SCAN_LINES + 4 * HOT) * CT_LINE, false);
    const lba_t hot_first = SCAN_LINES * CT_LINE;

    /* 1. A file-data hot set read twice, more than the correlation window
     *    apart, and never adjacent (no read-ahead): it is in Am. */
    for (int pass = 0; pass < 2; pass++)
        for (lba_t i = 0; i < HOT; i++)
            ct_read1(&t, hot_first + i * 2 * CT_LINE, CACHE_APP);
    assert_int_equal(ct_am_lines(&t), HOT);
    /* 2. One sequential pass over 8 times the cache in 512-byte reads:
     *    read-ahead runs many requests ahead of the reader, but the first read
     *    of a read-ahead line is its first reference, so none is promoted,
     *    however late it comes, while Am had room for them all; and the eight
     *    reads of each line count as one use, so no scan line looks more
     *    used than the hot lines and displaces one. */
    for (lba_t lba = 0; lba < SCAN_LINES * CT_LINE; lba++)
        assert_int_equal(cache_read(t.m, lba, 1, buf, CACHE_APP, &done), 0);
    struct cache_stats s = ct_stats(&t);
    assert_true(s.ra_used > SCAN_LINES / 2);
    assert_int_equal(ct_am_lines(&t), HOT);
    for (lba_t i = 0; i < HOT; i++)
        assert_true(cache_holds(t.m, hot_first + i * 2 * CT_LINE));
    free(buf);
    ct_close(&t);
}

static void test_cache_new_media_does_not_inherit_frequency_counts(void **state)
{
    (void)state;
    struct ct t;
    /* 1. One line referenced often on a media that then goes away. */
    ct_open(&t, "ctfreqa");
    for (int i = 0; i < 12; i++) {
        ct_read1(&t, 64, CACHE_APP);
        ct_read1(&t, 256, CACHE_APP); /* in between: uses, not pieces of one */
    }
    mutex_lock(&cache_state.lock);
    unsigned old_count = cache_freq_estimate_locked(t.m->cache, 64);
    uint32_t old_salt = t.m->cache->key_salt;
    mutex_unlock(&cache_state.lock);
    assert_true(old_count >= 12);
    ct_close(&t);
    /* 2. The next media's cache object may be allocated at the same address
     *    (or not: ASan does not reuse it); its line 64 is a different line
     *    with no references yet. */
    ct_open(&t, "ctfreqb");
    mutex_lock(&cache_state.lock);
    struct cache_dev *cd = t.m->cache;
    unsigned new_count = cache_freq_estimate_locked(cd, 64);
    /* 3. What tells the two apart is the key salt (from a serial), wherever
     *    the object is: with the old one's salt it would find the old counts. */
    uint32_t new_salt = cd->key_salt;
    cd->key_salt = old_salt;
    unsigned as_old = cache_freq_estimate_locked(cd, 64);
    cd->key_salt = new_salt;
    mutex_unlock(&cache_state.lock);
    assert_int_not_equal(new_salt, old_salt);
    assert_true(new_count <= 1);
    assert_int_equal(as_old, old_count);
    ct_close(&t);
}

static void test_cache_direct_read_serves_hits_and_inserts_nothing(void **state)
{
    (void)state;
    struct ct t;
    uint8_t buf[64 * 512];
    uint32_t done = 0;
    ct_open(&t, "ctdirect");

    /* Line 1 cached normally, one of its sectors made newer than the media. */
    ct_read1(&t, 8, CACHE_APP);
    uint8_t mine[512];
    memset(mine, 0xA5, sizeof(mine));
    assert_int_equal(cache_write(t.m, 9, 1, mine, CACHE_APP, &done), 0);
    fake_disk_log_clear(t.f);
    struct cache_stats before = ct_stats(&t);

    /* Sequential direct reads: no read-ahead, nothing inserted, and the
     * cached (dirty) sector wins over the media's copy. */
    for (lba_t lba = 0; lba < 256; lba += 64) {
        assert_int_equal(cache_read(t.m, lba, 64, buf, CACHE_DIRECT, &done), 0);
        assert_int_equal(done, 64);
        if (lba == 0) {
            assert_memory_equal(buf, ct_disk(&t, 0), 9 * 512);
            assert_memory_equal(buf + 9 * 512, mine, 512);
            assert_memory_equal(buf + 10 * 512, ct_disk(&t, 10), 54 * 512);
        } else {
            assert_memory_equal(buf, ct_disk(&t, lba), sizeof(buf));
        }
    }
    struct cache_stats s = ct_stats(&t);
    assert_int_equal(s.cached_sectors, before.cached_sectors);
    assert_false(cache_holds(t.m, 0));
    assert_false(cache_holds(t.m, 200));
    assert_true(cache_holds(t.m, 8));
    for (size_t i = 0; i < fake_disk_log_len(t.f); i++)
        assert_true(fake_disk_log_at(t.f, i).lba + fake_disk_log_at(t.f, i).requested <= 256);
    assert_int_equal(s.ra_used, before.ra_used);
    ct_close(&t);
}

static void test_cache_direct_write_lines_leave_after_write_back(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[16 * 512], back[16 * 512];
    uint32_t done = 0;
    ct_open(&t, "ctdirectw");
    memset(data, 0x3C, sizeof(data));
    ct_read1(&t, 16, CACHE_APP); /* line 2 was wanted here before */

    /* Lines 1..2 written directly: cached dirty until written back, then
     * line 1 (new) leaves, line 2 (cached before) stays. */
    assert_int_equal(cache_write(t.m, 8, 16, data, CACHE_DIRECT, &done), 0);
    assert_int_equal(done, 16);
    assert_true(cache_holds(t.m, 8));
    assert_int_equal(cache_sync(t.m), 0);
    assert_memory_equal(ct_disk(&t, 8), data, sizeof(data));
    assert_false(cache_holds(t.m, 8));
    assert_true(cache_holds(t.m, 16));
    assert_int_equal(ct_stats(&t).dirty_sectors, 0);
    /* A normal read afterwards finds the written data. */
    assert_int_equal(cache_read(t.m, 8, 16, back, CACHE_APP, &done), 0);
    assert_memory_equal(back, data, sizeof(data));
    /* A line written directly and then read normally is kept. */
    assert_int_equal(cache_write(t.m, 40, 8, data, CACHE_DIRECT, &done), 0);
    assert_int_equal(cache_read(t.m, 41, 1, back, CACHE_APP, &done), 0);
    assert_memory_equal(back, data, 512);
    assert_int_equal(cache_sync(t.m), 0);
    assert_true(cache_holds(t.m, 40));
    ct_close(&t);
}

static void test_cache_memory_pressure_gives_clean_lines_back_keeps_dirty(void **state)
{
    (void)state;
    struct ct t;
    uint8_t buf[64 * 512];
    uint32_t done = 0;
    ct_open(&t, "ctreclaim");
    /* 64 clean lines, then 4 dirty ones. */
    for (lba_t lba = 0; lba < 512; lba += 64)
        assert_int_equal(cache_read(t.m, lba, 64, buf, CACHE_APP, &done), 0);
    memset(buf, 0xC3, sizeof(buf));
    assert_int_equal(cache_write(t.m, 1000, 32, buf, CACHE_APP, &done), 0);
    uint64_t cached = ct_stats(&t).cached_sectors;
    assert_true(cached >= 512 + 32);

    /* The heap asks for 128 KiB: at least that comes back, all of it clean. */
    size_t freed = kmem_host_run_reclaimers(128 * 1024);
    assert_true(freed >= 128 * 1024);
    struct cache_stats s = ct_stats(&t);
    assert_true(s.cached_sectors <= cached - 256);
    assert_int_equal(s.dirty_sectors, 32);
    assert_true(klog_contains("cache: gave"));
    /* The dirty data still reach the media. */
    assert_int_equal(cache_sync(t.m), 0);
    assert_memory_equal(ct_disk(&t, 1000), buf, 32 * 512);
    ct_close(&t);
}

static void test_cache_stream_longer_than_share_is_not_inserted(void **state)
{
    (void)state;
    struct ct t;
    uint8_t buf[128 * 512];
    uint32_t done = 0;
    ct_open(&t, "ctdropbehind");
    /* The share is 256 lines = 2048 sectors; the disk is twice that. One
     * sequential pass in 64 KiB requests: the first share-worth stays, the
     * rest goes by. */
    uint8_t mine[512];
    memset(mine, 0x6B, sizeof(mine));
    assert_int_equal(cache_write(t.m, 3000, 1, mine, CACHE_SYS, &done), 0);
    for (lba_t lba = 0; lba < CT_SECTORS; lba += 128) {
        assert_int_equal(cache_read(t.m, lba, 128, buf, CACHE_APP, &done), 0);
        assert_int_equal(done, 128);
        if (lba == 2944) {
            assert_memory_equal(buf, ct_disk(&t, lba), 56 * 512);
            assert_memory_equal(buf + 56 * 512, mine, 512); /* the dirty sector wins */
            assert_memory_equal(buf + 57 * 512, ct_disk(&t, lba + 57), 71 * 512);
        } else {
            assert_memory_equal(buf, ct_disk(&t, lba), sizeof(buf));
        }
    }
    assert_true(cache_holds(t.m, 1200));
    assert_true(cache_holds(t.m, 2000));
    assert_false(cache_holds(t.m, 2600));
    assert_false(cache_holds(t.m, 4000));
    assert_true(cache_holds(t.m, 3000));
    /* Past the share, every request goes to the driver as it is: no
     * read-ahead for data that would not stay. */
    const struct fake_disk_call last = fake_disk_log_at(t.f, fake_disk_log_len(t.f) - 1);
    assert_int_equal(last.lba, CT_SECTORS - 128);
    assert_int_equal(last.requested, 128);
    /* A new stream (a re-read of the middle of the first share) hits. */
    fake_disk_log_clear(t.f);
    assert_int_equal(cache_read(t.m, 1024, 128, buf, CACHE_APP, &done), 0);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 0);
    ct_close(&t);
}

static void test_cache_large_app_read_bypasses_insertion(void **state)
{
    (void)state;
    struct ct t;
    enum { LIMIT = 64 };
    uint8_t *buf = malloc(1024 * 512);
    uint32_t done = 0;
    assert_int_equal(cache_set_budget_bytes(LIMIT * CACHE_LINE_BYTES), 0);
    ct_open(&t, "ctbypass");

    ct_read1(&t, 3000, CACHE_SYS);
    /* 512 KiB of file data in one call: straight to the caller. */
    assert_int_equal(cache_read(t.m, 0, 1024, buf, CACHE_APP, &done), 0);
    assert_int_equal(done, 1024);
    assert_memory_equal(buf, ct_disk(&t, 0), 1024 * 512);
    assert_false(cache_holds(t.m, 0));
    assert_true(cache_holds(t.m, 3000));
    /* A dirty cached sector inside the range still wins over the media. */
    uint8_t mine[512];
    memset(mine, 0x5A, sizeof(mine));
    assert_int_equal(cache_write(t.m, 100, 1, mine, CACHE_APP, &done), 0);
    assert_int_equal(cache_read(t.m, 0, 1024, buf, CACHE_APP, &done), 0);
    assert_memory_equal(buf + 100 * 512, mine, 512);
    assert_memory_equal(buf, ct_disk(&t, 0), 100 * 512);
    free(buf);
    ct_close(&t);
}

/* ---- write-back ------------------------------------------------------------------------------ */

static void test_cache_dirty_lines_are_never_evicted_unwritten(void **state)
{
    (void)state;
    struct ct t;
    enum { LIMIT = 32 };
    uint8_t data[512];
    uint32_t done;
    assert_int_equal(cache_set_budget_bytes(LIMIT * CACHE_LINE_BYTES), 0);
    ct_open(&t, "ctdirty");

    memset(data, 0xA5, sizeof(data));
    for (lba_t i = 0; i < 8; i++)
        assert_int_equal(cache_write(t.m, i * 64, 1, data, CACHE_APP, &done), 0);
    assert_int_equal(ct_stats(&t).dirty_sectors, 8);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_WRITE), 0); /* write-back: later */
    /* Read 10x the cache worth of other lines. */
    for (lba_t i = 0; i < 320; i++)
        ct_read1(&t, 8 + i * CT_LINE + (i % 2), CACHE_APP);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_WRITE), 0);
    for (lba_t i = 0; i < 8; i++)
        assert_true(cache_holds(t.m, i * 64));
    assert_int_equal(ct_stats(&t).dirty_sectors, 8);
    assert_int_equal(cache_get_state(t.m), CACHE_STATE_DIRTY);
    assert_memory_not_equal(ct_disk(&t, 64), data, 512);
    assert_int_equal(cache_sync(t.m), 0);
    for (lba_t i = 0; i < 8; i++)
        assert_memory_equal(ct_disk(&t, i * 64), data, 512);
    assert_int_equal(cache_get_state(t.m), CACHE_STATE_CLEAN);
    ct_close(&t);
}

static void test_cache_adjacent_dirty_sectors_coalesce_into_one_write(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[512];
    uint32_t done;
    ct_open(&t, "ctmerge");

    /* 32 single-sector writes in a scrambled order, 100..131. */
    for (unsigned k = 0; k < 32; k++) {
        lba_t lba = 100 + (k * 13) % 32;
        memset(data, (int)lba, sizeof(data));
        assert_int_equal(cache_write(t.m, lba, 1, data, CACHE_APP, &done), 0);
    }
    assert_int_equal(cache_sync(t.m), 0);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_WRITE), 1);
    long w = fake_disk_log_find(t.f, FAKE_CALL_WRITE, 1);
    assert_int_equal(fake_disk_log_at(t.f, (size_t)w).lba, 100);
    assert_int_equal(fake_disk_log_at(t.f, (size_t)w).requested, 32);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_FLUSH), 1); /* then the device cache */
    for (lba_t lba = 100; lba < 132; lba++)
        assert_int_equal(ct_disk(&t, lba)[0], (uint8_t)lba);
    /* 600 adjacent sectors: split at the 256 KiB maximum transfer. */
    uint8_t *big = calloc(600, 512);
    assert_int_equal(cache_write(t.m, 1000, 600, big, CACHE_APP, &done), 0);
    fake_disk_log_clear(t.f);
    assert_int_equal(cache_sync(t.m), 0);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_WRITE), 2);
    assert_int_equal(fake_disk_log_at(t.f, 0).requested, 512);
    assert_int_equal(fake_disk_log_at(t.f, 1).lba, 1512);
    assert_int_equal(fake_disk_log_at(t.f, 1).requested, 88);
    struct cache_stats s = ct_stats(&t);
    assert_int_equal(s.writebacks, 632);
    assert_int_equal(s.driver_writes, 3);
    free(big);
    ct_close(&t);
}

static void test_cache_failed_writeback_stays_dirty_until_a_later_success(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[4 * 512];
    uint32_t done;
    ct_open(&t, "ctwfail");

    memset(data, 0x77, sizeof(data));
    assert_int_equal(cache_write(t.m, 40, 4, data, CACHE_APP, &done), 0);
    ct_fault(&t, (struct fake_fault){ .call = FAKE_CALL_WRITE, .nth = 1, .persistent = true,
                                      .kind = FAKE_FAULT_STATUS,
                                      .status = DISK_STATUS_GENERAL_ERROR });
    assert_int_equal(cache_sync(t.m), ERR_IO);
    assert_true(klog_contains("cache: ctwfail: write-back failed at lba 40 "
                              "(0 of 4 sectors written, ERR_IO)"));
    assert_int_equal(ct_stats(&t).dirty_sectors, 4);
    assert_int_equal(cache_get_state(t.m), CACHE_STATE_ERROR);
    assert_memory_not_equal(ct_disk(&t, 40), data, 512);
    /* Reads still see the unwritten data. */
    uint8_t back[4 * 512];
    assert_int_equal(cache_read(t.m, 40, 4, back, CACHE_APP, &done), 0);
    assert_memory_equal(back, data, sizeof(data));
    /* The shell's sync reports it as one error line. */
    const char *out;
    print_host_capture_begin();
    assert_int_equal(shell_execute("sync"), 1);
    out = print_host_captured();
    assert_non_null(strstr(out, "error: sync failed (ERR_IO)"));
    print_host_capture_end();
    /* The disk recovers: the next sync writes it and clears the error. */
    fake_disk_clear_faults(t.f);
    assert_int_equal(cache_sync(t.m), 0);
    assert_memory_equal(ct_disk(&t, 40), data, sizeof(data));
    assert_int_equal(cache_get_state(t.m), CACHE_STATE_CLEAN);
    assert_int_equal(ct_stats(&t).dirty_sectors, 0);
    ct_close(&t);
}

static void test_cache_flusher_writes_after_age_and_retries_boundedly(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[512];
    uint32_t done;
    ct_open(&t, "ctflusher");

    time_host_use_fake(true);
    memset(data, 0x31, sizeof(data));
    assert_int_equal(cache_write(t.m, 9, 1, data, CACHE_APP, &done), 0);
    time_host_advance_ms(CACHE_DIRTY_AGE_MS - 1);
    assert_int_equal(cache_flusher_run_once(), 0);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_WRITE), 0);
    time_host_advance_ms(1);
    assert_int_equal(cache_flusher_run_once(), 0);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_WRITE), 1);
    assert_memory_equal(ct_disk(&t, 9), data, 512);
    /* Failing: retried after 2, 4, 8... s, each retry logged, then no more. */
    ct_fault(&t, (struct fake_fault){ .call = FAKE_CALL_WRITE, .nth = 1, .persistent = true,
                                      .kind = FAKE_FAULT_STATUS,
                                      .status = DISK_STATUS_GENERAL_ERROR });
    assert_int_equal(cache_write(t.m, 10, 1, data, CACHE_APP, &done), 0);
    time_host_advance_ms(CACHE_DIRTY_AGE_MS);
    assert_int_equal(cache_flusher_run_once(), ERR_IO);
    for (int i = 0; i < 20; i++) {
        time_host_advance_ms(60000);
        cache_flusher_run_once();
    }
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_WRITE), 2 + CACHE_WB_RETRIES);
    assert_true(klog_contains("cache: ctflusher: retrying write-back (retry 1 of 5)"));
    assert_true(klog_contains("cache: ctflusher: write-back keeps failing; 1 dirty sectors "
                              "wait for sync"));
    /* sync still tries, and a success ends it. */
    fake_disk_clear_faults(t.f);
    assert_int_equal(cache_sync(t.m), 0);
    assert_memory_equal(ct_disk(&t, 10), data, 512);
    time_host_use_fake(false);
    ct_close(&t);
}

/* Driver hook: a new write to sector 50 while its old data is being written. */
static struct ct *ct_hook_t;
static int ct_hook_calls;
static void ct_write_during_writeback(struct fake_disk *f, void *ctx)
{
    (void)f;
    (void)ctx;
    uint8_t data[512];
    uint32_t done;
    if (ct_hook_calls++)
        return;
    memset(data, 0x22, sizeof(data));
    assert_int_equal(cache_write(ct_hook_t->m, 50, 1, data, CACHE_APP, &done), 0);
}

static void test_cache_write_during_writeback_is_not_lost(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[512], back[512];
    uint32_t done;
    ct_open(&t, "ctwbrace");

    memset(data, 0x11, sizeof(data));
    assert_int_equal(cache_write(t.m, 50, 1, data, CACHE_APP, &done), 0);
    ct_hook_t = &t;
    ct_hook_calls = 0;
    fake_disk_set_hook(t.f, FAKE_CALL_WRITE, ct_write_during_writeback, NULL);
    assert_int_equal(cache_sync(t.m), 0);
    fake_disk_set_hook(t.f, FAKE_CALL_WRITE, NULL, NULL);
    /* The old data reached the media; the new one is still dirty, not lost. */
    assert_int_equal(ct_disk(&t, 50)[0], 0x11);
    assert_int_equal(ct_stats(&t).dirty_sectors, 1);
    assert_int_equal(cache_read(t.m, 50, 1, back, CACHE_APP, &done), 0);
    assert_int_equal(back[0], 0x22);
    assert_int_equal(cache_sync(t.m), 0);
    assert_int_equal(ct_disk(&t, 50)[0], 0x22);
    ct_close(&t);
}

static void test_cache_write_to_readonly_media_fails_at_once(void **state)
{
    (void)state;
    struct fake_disk_config cfg = { .sector_size = 512, .capacity = 64, .readonly = true };
    struct fake_disk *f;
    struct media *m;
    uint8_t buf[512] = { 0 };
    uint32_t done = 9;
    assert_int_equal(fake_disk_create(&cfg, &f), 0);
    assert_int_equal(fake_disk_add(f, "ctro"), 0);
    fake_disk_media_in(f);
    assert_int_equal(disk_get_media(fake_disk_handle(f), &m), 0);
    assert_int_equal(cache_write(m, 0, 1, buf, CACHE_SYS, &done), ERR_ROFS);
    assert_int_equal(done, 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_WRITE), 0);
    media_put(m);
    fake_disk_del(f);
    fake_disk_destroy(f);
}

/* ---- media lifetime ---------------------------------------------------------------------- */

static void test_cache_diskdel_writes_dirty_data_back_before_close(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[3 * 512];
    uint32_t done;
    ct_open(&t, "ctdel");

    memset(data, 0x99, sizeof(data));
    assert_int_equal(cache_write(t.m, 20, 3, data, CACHE_APP, &done), 0);
    media_put(t.m);
    fake_disk_del(t.f);
    assert_memory_equal(ct_disk(&t, 20), data, sizeof(data));
    long w = fake_disk_log_find(t.f, FAKE_CALL_WRITE, 1);
    long cm = fake_disk_log_find(t.f, FAKE_CALL_CLOSEMEDIA, 1);
    assert_true(w >= 0 && w < cm);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_CLOSE), 1);
    assert_false(klog_contains("DATA LOST"));
    fake_disk_destroy(t.f);
}

static void test_cache_media_removed_with_dirty_data_logs_the_loss(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[5 * 512];
    uint32_t done;
    ct_open(&t, "ctyank");

    memset(data, 0x44, sizeof(data));
    assert_int_equal(cache_write(t.m, 30, 5, data, CACHE_APP, &done), 0);
    fake_disk_media_out(t.f); /* pulled: nothing can be written any more */
    assert_int_equal(cache_sync(t.m), ERR_NOMEDIA);
    media_put(t.m);
    assert_true(klog_contains("cache: ctyank: media gone with 5 dirty sectors not written: "
                              "DATA LOST"));
    fake_disk_del(t.f);
    fake_disk_destroy(t.f);
}

static void test_cache_uncached_disk_passes_every_request_through(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[512];
    uint32_t done;
    ct_open_ex(&t, "ctnocache", 512, CT_SECTORS, true);

    ct_read1(&t, 5, CACHE_SYS);
    ct_read1(&t, 5, CACHE_SYS);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 2);
    assert_int_equal(fake_disk_log_at(t.f, 0).requested, 1);
    memset(data, 0x12, sizeof(data));
    assert_int_equal(cache_write(t.m, 5, 1, data, CACHE_APP, &done), 0);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_WRITE), 1); /* written through */
    assert_memory_equal(ct_disk(&t, 5), data, 512);
    struct cache_stats s = ct_stats(&t);
    assert_int_equal(s.limit_bytes, 0);
    assert_int_equal(s.cached_sectors, 0);
    assert_true(klog_contains("cache: ctnocache: uncached (driver asked for 0 bytes)"));
    ct_close(&t);
}

static void test_cache_4096_byte_sectors_read_write_and_coalesce(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[4096];
    uint32_t done;
    ct_open_ex(&t, "ct4k", 4096, 256, false);

    ct_read1(&t, 7, CACHE_SYS);
    assert_int_equal(fake_disk_log_at(t.f, 0).requested, 1); /* one sector = one line */
    ct_read1(&t, 7, CACHE_SYS);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 1);
    for (lba_t i = 10; i < 20; i++) {
        memset(data, (int)i, sizeof(data));
        assert_int_equal(cache_write(t.m, i, 1, data, CACHE_APP, &done), 0);
    }
    assert_int_equal(cache_sync(t.m), 0);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_WRITE), 1);
    assert_int_equal(fake_disk_log_at(t.f, (size_t)fake_disk_log_find(t.f, FAKE_CALL_WRITE, 1))
                         .requested,
                     10);
    for (lba_t i = 10; i < 20; i++)
        assert_int_equal(ct_disk(&t, i)[4095], (uint8_t)i);
    ct_close(&t);
}

static void test_cache_budget_shrink_evicts_clean_lines_at_once(void **state)
{
    (void)state;
    struct ct t;
    ct_open(&t, "ctshrink");

    for (lba_t i = 0; i < 100; i++)
        ct_read1(&t, i * CT_LINE, CACHE_SYS);
    assert_int_equal(ct_stats(&t).cached_sectors, 100 * CT_LINE);
    assert_int_equal(cache_set_budget_bytes(10 * CACHE_LINE_BYTES), 0);
    assert_int_equal(ct_stats(&t).cached_sectors, 10 * CT_LINE);
    assert_int_equal(ct_stats(&t).limit_bytes, 10 * CACHE_LINE_BYTES);
    ct_close(&t);
}

/* ---- shell ----------------------------------------------------------------------------------- */

static void test_cache_shell_remove_syncs_then_says_safe(void **state)
{
    (void)state;
    struct ct t;
    uint8_t data[512];
    uint32_t done;
    ct_open(&t, "ctremove");

    memset(data, 0x66, sizeof(data));
    assert_int_equal(cache_write(t.m, 3, 1, data, CACHE_APP, &done), 0);
    print_host_capture_begin();
    assert_int_equal(shell_execute("cache"), 0);
    assert_non_null(strstr(print_host_captured(), "ctremove state=dirty"));
    print_host_capture_end();
    print_host_capture_begin();
    assert_int_equal(shell_execute("remove ctremove"), 0);
    assert_string_equal(print_host_captured(), "safe to remove ctremove\n");
    print_host_capture_end();
    assert_memory_equal(ct_disk(&t, 3), data, 512);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_FLUSH), 1);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_TRAY), 1);
    /* A failing write-back: not safe, and the reason. */
    assert_int_equal(cache_write(t.m, 3, 1, data, CACHE_APP, &done), 0);
    ct_fault(&t, (struct fake_fault){ .call = FAKE_CALL_WRITE, .nth = 1,
                                      .kind = FAKE_FAULT_STATUS,
                                      .status = DISK_STATUS_GENERAL_ERROR });
    print_host_capture_begin();
    assert_int_equal(shell_execute("remove ctremove"), 1);
    assert_string_equal(print_host_captured(), "error: ctremove: not safe to remove: flush "
                                               "failed (ERR_IO), state error\n");
    print_host_capture_end();
    print_host_capture_begin();
    assert_int_equal(shell_execute("cache size x"), 1);
    assert_string_equal(print_host_captured(), "error: bad size in MB (x)\n");
    assert_int_equal(shell_execute("cache drop"), 0);
    print_host_capture_end();
    ct_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_cache_read_miss_then_hit_counts_and_reads_line_once,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_multi_sector_read_sends_missing_run_as_one_request,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_read_error_returns_partial_and_caches_no_half_line,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_short_driver_reads_are_completed, ct_setup),
        cmocka_unit_test_setup(test_cache_read_clips_at_capacity_with_eom, ct_setup),
        cmocka_unit_test_setup(test_cache_sequential_reads_grow_readahead_and_use_it, ct_setup),
        cmocka_unit_test_setup(test_cache_random_reads_get_no_readahead, ct_setup),
        cmocka_unit_test_setup(test_cache_eviction_of_once_read_lines_is_fifo, ct_setup),
        cmocka_unit_test_setup(test_cache_scan_does_not_evict_hot_metadata, ct_setup),
        cmocka_unit_test_setup(test_cache_scan_with_read_ahead_promotes_no_line, ct_setup),
        cmocka_unit_test_setup(test_cache_new_media_does_not_inherit_frequency_counts, ct_setup),
        cmocka_unit_test_setup(test_cache_large_app_read_bypasses_insertion, ct_setup),
        cmocka_unit_test_setup(test_cache_dirty_lines_are_never_evicted_unwritten, ct_setup),
        cmocka_unit_test_setup(test_cache_adjacent_dirty_sectors_coalesce_into_one_write,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_failed_writeback_stays_dirty_until_a_later_success,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_flusher_writes_after_age_and_retries_boundedly,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_write_during_writeback_is_not_lost, ct_setup),
        cmocka_unit_test_setup(test_cache_write_to_readonly_media_fails_at_once, ct_setup),
        cmocka_unit_test_setup(test_cache_diskdel_writes_dirty_data_back_before_close,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_media_removed_with_dirty_data_logs_the_loss,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_uncached_disk_passes_every_request_through,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_4096_byte_sectors_read_write_and_coalesce, ct_setup),
        cmocka_unit_test_setup(test_cache_budget_shrink_evicts_clean_lines_at_once,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_shell_remove_syncs_then_says_safe, ct_setup),
        cmocka_unit_test_setup(test_cache_direct_read_serves_hits_and_inserts_nothing, ct_setup),
        cmocka_unit_test_setup(test_cache_stream_longer_than_share_is_not_inserted, ct_setup),
        cmocka_unit_test_setup(test_cache_memory_pressure_gives_clean_lines_back_keeps_dirty,
                               ct_setup),
        cmocka_unit_test_setup(test_cache_direct_write_lines_leave_after_write_back, ct_setup),
    };
    blkdev_init();
    shell_init();
    cache_register_commands();
    return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
