// SPDX-License-Identifier: MIT
/* Threads against the sector cache: two readers missing on the same line
 * cause one driver read; readers, writers, the flusher and a shrinking
 * budget running at once lose no write and never return torn or stale
 * sectors. Built twice: with ASan in `make host` and with ThreadSanitizer
 * in `make tsan` (build/host-tsan/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <pthread.h>

#include "blkdev/cache.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "tests/fakes/fake_disk.h"

#define CC_SECTORS 2048
#define CC_WRITERS 3
#define CC_READERS 2
#define CC_REGION 256        /* sectors each writer owns */
#define CC_SHARED_FIRST 1024 /* read-only region read by everyone */
#define CC_ROUNDS 1500

struct cc {
    struct fake_disk *f;
    struct media *m;
    pthread_barrier_t start;
};

/* Sector content: every 8-byte word says (owner, lba, version). */
static void cc_pattern(uint8_t *buf, unsigned owner, lba_t lba, uint32_t version)
{
    for (size_t i = 0; i < 512; i += 8) {
        uint32_t w0 = (uint32_t)lba ^ (owner << 24);
        memcpy(buf + i, &w0, 4);
        memcpy(buf + i + 4, &version, 4);
    }
}

static void cc_open(struct cc *t, const char *name)
{
    struct fake_disk_config cfg = { .sector_size = 512, .capacity = CC_SECTORS };
    assert_int_equal(fake_disk_create(&cfg, &t->f), 0);
    uint8_t *p = fake_disk_data(t->f);
    for (lba_t lba = 0; lba < CC_SECTORS; lba++)
        cc_pattern(p + lba * 512, 0xEE, lba, 0);
    assert_int_equal(fake_disk_add(t->f, name), 0);
    fake_disk_media_in(t->f);
    assert_int_equal(disk_get_media(fake_disk_handle(t->f), &t->m), 0);
}

static void cc_close(struct cc *t)
{
    media_put(t->m);
    fake_disk_del(t->f);
    assert_int_equal(fake_disk_calls_after_close(t->f), 0);
    fake_disk_destroy(t->f);
}

/* ---- one driver read for two missing readers ------------------------------------------------- */

struct cc_same {
    struct cc *t;
    uint8_t buf[512];
    int rc;
};

static void *cc_same_reader(void *arg)
{
    struct cc_same *r = arg;
    uint32_t done;
    pthread_barrier_wait(&r->t->start);
    r->rc = cache_read(r->t->m, 1500, 1, r->buf, CACHE_SYS, &done);
    return NULL;
}

static void test_cache_two_threads_missing_same_sector_cause_one_driver_read(void **state)
{
    (void)state;
    struct cc t;
    struct cc_same r[2] = { { .t = &t }, { .t = &t } };
    pthread_t th[2];
    uint8_t want[512];
    cc_open(&t, "ccsame");
    assert_int_equal(cache_drop_all(), 0);
    fake_disk_log_clear(t.f);
    fake_disk_set_delay_ms(t.f, 100); /* the second reader arrives during the read */
    pthread_barrier_init(&t.start, NULL, 2);

    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, cc_same_reader, &r[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    cc_pattern(want, 0xEE, 1500, 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(r[i].rc, 0);
        assert_memory_equal(r[i].buf, want, 512);
    }
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 1);
    fake_disk_set_delay_ms(t.f, 0);
    pthread_barrier_destroy(&t.start);
    cc_close(&t);
}

/* ---- readers, writers, flusher --------------------------------------------------------------- */

struct cc_worker {
    struct cc *t;
    unsigned id;
    uint32_t rng;
    uint32_t version[CC_REGION]; /* last version written per owned sector */
    unsigned failures;
    const char *why; /* the first failure, for the message */
    lba_t why_lba;
};

static void cc_fail(struct cc_worker *w, const char *why, lba_t lba)
{
    if (w->failures++ == 0) {
        w->why = why;
        w->why_lba = lba;
    }
}

static uint32_t cc_rand(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static void *cc_writer(void *arg)
{
    struct cc_worker *w = arg;
    uint8_t buf[4 * 512], want[512];
    uint32_t done;
    lba_t base = (lba_t)w->id * CC_REGION;
    pthread_barrier_wait(&w->t->start);
    for (int r = 0; r < CC_ROUNDS; r++) {
        uint32_t off = cc_rand(&w->rng) % (CC_REGION - 4);
        uint32_t n = 1 + cc_rand(&w->rng) % 4;
        if (cc_rand(&w->rng) % 3) {
            for (uint32_t k = 0; k < n; k++)
                cc_pattern(buf + k * 512, w->id, base + off + k, ++w->version[off + k]);
            if (cache_write(w->t->m, base + off, n, buf, CACHE_APP, &done) || done != n)
                cc_fail(w, "write failed", base + off);
        } else {
            /* Own sectors must read back exactly as last written. */
            if (cache_read(w->t->m, base + off, n, buf, CACHE_APP, &done) || done != n)
                cc_fail(w, "own read failed", base + off);
            for (uint32_t k = 0; k < n; k++) {
                if (w->version[off + k] == 0)
                    cc_pattern(want, 0xEE, base + off + k, 0);
                else
                    cc_pattern(want, w->id, base + off + k, w->version[off + k]);
                if (memcmp(buf + k * 512, want, 512) != 0)
                    cc_fail(w, "own sector not as last written", base + off + k);
            }
        }
    }
    return NULL;
}

static void *cc_reader(void *arg)
{
    struct cc_worker *w = arg;
    uint8_t buf[16 * 512], want[512];
    uint32_t done;
    pthread_barrier_wait(&w->t->start);
    for (int r = 0; r < CC_ROUNDS; r++) {
        uint32_t n = 1 + cc_rand(&w->rng) % 16;
        lba_t lba = CC_SHARED_FIRST + cc_rand(&w->rng) % (CC_SECTORS - CC_SHARED_FIRST - 16);
        if (cache_read(w->t->m, lba, n, buf, (r & 1) ? CACHE_APP : CACHE_SYS, &done) ||
            done != n)
            cc_fail(w, "shared read failed", lba);
        for (uint32_t k = 0; k < n; k++) {
            cc_pattern(want, 0xEE, lba + k, 0);
            if (memcmp(buf + k * 512, want, 512) != 0)
                cc_fail(w, "shared sector wrong", lba + k);
        }
        /* Writers' regions too: any sector must be whole (one owner, its lba). */
        lba_t any = cc_rand(&w->rng) % (CC_WRITERS * CC_REGION);
        if (cache_read(w->t->m, any, 1, buf, CACHE_APP, &done) == 0) {
            uint32_t w0;
            memcpy(&w0, buf, 4);
            if ((w0 & 0xFFFFFF) != (uint32_t)any)
                cc_fail(w, "torn or misplaced sector", any);
        }
    }
    return NULL;
}

static void test_cache_concurrent_readers_writers_and_flusher_lose_nothing(void **state)
{
    (void)state;
    struct cc t;
    struct cc_worker w[CC_WRITERS + CC_READERS];
    pthread_t th[CC_WRITERS + CC_READERS];
    unsigned n = CC_WRITERS + CC_READERS;
    /* A small cache (64 lines) so that eviction and throttling happen. */
    assert_int_equal(cache_set_budget_bytes(64 * CACHE_LINE_BYTES), 0);
    cache_set_dirty_age_ms(5);
    cc_open(&t, "ccmix");
    assert_int_equal(cache_start_flusher(), 0);
    assert_int_equal(cache_start_flusher(), ERR_BUSY);
    pthread_barrier_init(&t.start, NULL, n);

    for (unsigned i = 0; i < n; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].t = &t;
        w[i].id = i;
        w[i].rng = 0x1234567u * (i + 1);
        assert_int_equal(pthread_create(&th[i], NULL, i < CC_WRITERS ? cc_writer : cc_reader,
                                        &w[i]),
                         0);
    }
    for (unsigned i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    cache_stop_flusher();
    for (unsigned i = 0; i < n; i++) {
        if (w[i].failures)
            fail_msg("worker %u: %u failures, first: %s at lba %llu", i, w[i].failures,
                     w[i].why, (unsigned long long)w[i].why_lba);
    }
    /* Everything written is on the media after sync. */
    assert_int_equal(cache_sync(t.m), 0);
    uint8_t want[512];
    for (unsigned i = 0; i < CC_WRITERS; i++) {
        for (lba_t k = 0; k < CC_REGION; k++) {
            lba_t lba = (lba_t)i * CC_REGION + k;
            if (w[i].version[k])
                cc_pattern(want, i, lba, w[i].version[k]);
            else
                cc_pattern(want, 0xEE, lba, 0);
            assert_memory_equal(fake_disk_data(t.f) + lba * 512, want, 512);
        }
    }
    struct cache_stats s;
    assert_int_equal(cache_get_stats(t.m, &s), 0);
    assert_int_equal(s.dirty_sectors, 0);
    assert_true(s.evictions > 0);
    pthread_barrier_destroy(&t.start);
    cache_set_dirty_age_ms(CACHE_DIRTY_AGE_MS);
    cc_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_two_threads_missing_same_sector_cause_one_driver_read),
        cmocka_unit_test(test_cache_concurrent_readers_writers_and_flusher_lose_nothing),
    };
    blkdev_init();
    return cmocka_run_group_tests_name("cache_concurrency", tests, NULL, NULL);
}
