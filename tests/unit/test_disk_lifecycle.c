// SPDX-License-Identifier: MIT
/* Lifecycle tests of the block-layer core (blkdev/disk.c) against the fake
 * driver: DiskAdd validation, DISKFUNC defaults for short tables, media
 * insertion/removal/change, closemedia exactly once after the last holder,
 * close exactly once and last of all, the documented violations, polled
 * media (DISK_NO_INSERT_NOTIFICATION), and races between users and the
 * driver's notifications. The registry is global: every test uses its own
 * disk names and deletes what it added. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "blkdev/cache.h"
#include "blkdev/disk.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/thread.h"
#include "kernel/time.h"
#include "tests/fakes/fake_disk.h"
#include "tests/host/kmem_host.h"

#define LC_SECTORS 64
#define RACE_WORKERS 4
#define RACE_CYCLES 40
#define RACE_WORKER_MAX_ROUNDS 200000 /* bound even if the changer got stuck */
#define RACE_CLOSE_WAIT_MS 5000
#define RACE_PACE_MAX_MS 200 /* longest wait for worker progress per change */

/* ---- helpers --------------------------------------------------------------------------------- */

static struct fake_disk_config lc_cfg(void)
{
    return (struct fake_disk_config){
        .sector_size = 512,
        .capacity = LC_SECTORS,
        .start_present = true,
        .tag_sectors = true,
    };
}

static struct fake_disk *lc_fake(const struct fake_disk_config *cfg)
{
    struct fake_disk *f = NULL;
    assert_int_equal(fake_disk_create(cfg, &f), 0);
    return f;
}

static struct fake_disk *lc_added(const char *name, const struct fake_disk_config *cfg)
{
    struct fake_disk *f = lc_fake(cfg);
    assert_int_equal(fake_disk_add(f, name), 0);
    return f;
}

/* close was called exactly once, after every closemedia, as the last call. */
static void lc_assert_closed_last(const struct fake_disk *f)
{
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSE), 1);
    long close_at = fake_disk_log_find(f, FAKE_CALL_CLOSE, 1);
    assert_int_equal(close_at, fake_disk_log_last(f));
    assert_int_equal(fake_disk_calls_after_close(f), 0);
}

/* DiskDel; then every medium the kernel accepted was closed exactly once and
 * close came last. For fakes whose media were all accepted by the kernel. */
static void lc_del_and_destroy(struct fake_disk *f)
{
    fake_disk_del(f);
    lc_assert_closed_last(f);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), fake_disk_queries_ok(f));
    fake_disk_destroy(f);
}

/* Every successful querymedia after the first must follow the closemedia of
 * the medium before it: the kernel never has two media of one disk open. */
static void lc_assert_media_never_overlap(const struct fake_disk *f)
{
    bool open = false;
    size_t n = fake_disk_log_len(f);
    assert_true(n < FAKE_DISK_LOG_MAX);
    for (size_t i = 0; i < n; i++) {
        struct fake_disk_call c = fake_disk_log_at(f, i);
        if (c.kind == FAKE_CALL_QUERYMEDIA && c.status == DISK_STATUS_OK) {
            if (open)
                fail_msg("querymedia #%zu succeeded before the previous medium was closed", i);
            open = true;
        } else if (c.kind == FAKE_CALL_CLOSEMEDIA) {
            open = false;
        }
    }
}

static int lc_setup(void **state)
{
    (void)state;
    klog_clear();
    return 0;
}

/* ---- DiskAdd validation ---------------------------------------------------------------------- */

static void test_diskadd_null_table_returns_null_and_logs(void **state)
{
    (void)state;
    assert_null(DiskAdd(NULL, "lcnull", NULL, 0));
    assert_true(klog_contains("disk: DiskAdd: bad DISKFUNC table (NULL)"));
    struct disk *d;
    assert_int_equal(disk_find("lcnull", &d), ERR_NOENT);
}

static void test_diskadd_strucsize_below_4_returns_null_and_logs(void **state)
{
    (void)state;
    DISKFUNC funcs = { .strucsize = 3 };
    struct disk *d;
    assert_null(DiskAdd(&funcs, "lcsmall", NULL, 0));
    assert_int_equal(disk_add(&funcs, "lcsmall", NULL, 0, &d), ERR_INVAL);
    assert_true(klog_contains("disk: DiskAdd: bad DISKFUNC table (strucsize < 4)"));
    assert_int_equal(disk_find("lcsmall", &d), ERR_NOENT);
}

static void test_diskadd_bad_names_return_inval_and_log(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_fake(&cfg);
    const char *bad[] = {
        "", "a23456789012345678901234567890123" + 1 /* 32 characters */, "Lcupper", "/lcslash",
        "lc/slash", "lc-dash", "lc space", "lc.dot",
    };
    struct disk *d = NULL;

    assert_int_equal(strlen(bad[1]), 32);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        klog_clear();
        assert_null(DiskAdd(fake_disk_funcs(f), bad[i], f, 0));
        assert_int_equal(disk_add(fake_disk_funcs(f), bad[i], f, 0, &d), ERR_INVAL);
        char line[80];
        snprintf(line, sizeof(line), "disk: DiskAdd: bad name '%s'", bad[i]);
        assert_true(klog_contains(line));
    }
    assert_null(DiskAdd(fake_disk_funcs(f), NULL, f, 0));
    assert_true(klog_contains("bad name '(null)'"));
    /* The driver never heard anything: no callback ran. */
    assert_int_equal(fake_disk_log_len(f), 0);
    fake_disk_destroy(f);
}

static void test_diskadd_31_char_name_is_accepted(void **state)
{
    (void)state;
    const char *name = "lc34567890123456789012345678901";
    struct fake_disk_config cfg = lc_cfg();
    assert_int_equal(strlen(name), DISK_NAME_MAX);
    struct fake_disk *f = lc_added(name, &cfg);
    struct disk *d;
    assert_int_equal(disk_find(name, &d), 0);
    assert_string_equal(disk_name(d), name);
    disk_put(d);
    lc_del_and_destroy(f);
}

static void test_diskadd_duplicate_name_returns_exist_and_find_ignores_case(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f1 = lc_added("lcdup", &cfg);
    struct fake_disk *f2 = lc_fake(&cfg);
    struct disk *d;

    assert_int_equal(fake_disk_add(f2, "lcdup"), ERR_EXIST);
    assert_null(DiskAdd(fake_disk_funcs(f2), "lcdup", f2, 0));
    assert_true(klog_contains("disk: lcdup: DiskAdd: name already registered"));
    /* Lookups ignore case; they find the first disk. */
    assert_int_equal(disk_find("LCDUP", &d), 0);
    assert_ptr_equal(d, fake_disk_handle(f1));
    disk_put(d);
    /* The rejected one was never added, so it never gets close. */
    assert_int_equal(fake_disk_count(f2, FAKE_CALL_CLOSE), 0);
    fake_disk_destroy(f2);
    lc_del_and_destroy(f1);
}

/* ---- DISKFUNC defaults for short tables ------------------------------------------------------ */

static void test_disk_short_table_uses_defaults_for_missing_callbacks(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    cfg.strucsize = offsetof(DISKFUNC, read); /* close, closemedia, querymedia only */
    struct fake_disk *f = lc_added("lcshort", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *m;
    uint8_t buf[512];
    uint32_t done = 99;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &m), 0);
    assert_int_equal(media_read(m, 0, 1, buf, &done), ERR_NOTSUP);
    assert_int_equal(done, 0);
    assert_int_equal(media_write(m, 0, 1, buf, &done), ERR_NOTSUP);
    assert_int_equal(media_flush(m), 0);
    assert_int_equal(disk_load_tray(d, DISK_TRAY_EJECT), ERR_NOTSUP);
    assert_false(disk_has_tray(d));
    assert_int_equal(disk_adjust_cache_size(d, 4096), 4096);
    /* The fake's own read/write/flush/... lie beyond strucsize: never called. */
    assert_int_equal(fake_disk_count(f, FAKE_CALL_READ), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_WRITE), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_FLUSH), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_TRAY), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_ADJUST), 0);
    media_put(m);
    lc_del_and_destroy(f);
    /* closemedia lies inside the table, so it was called. */
}

static void test_disk_table_of_only_strucsize_gets_no_media_and_no_calls(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    cfg.strucsize = sizeof(uint32_t);
    struct fake_disk *f = lc_added("lcbare", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *m;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &m), ERR_NOMEDIA);
    assert_true(klog_contains("disk: lcbare: querymedia failed (ERR_NOTSUP)"));
    fake_disk_del(f);
    assert_int_equal(fake_disk_log_len(f), 0); /* even close is the kernel's default */
    fake_disk_destroy(f);
}

/* ---- media lifetime -------------------------------------------------------------------------- */

static void test_disk_new_disk_has_no_media_until_media_changed(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcnew", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *m;

    assert_int_equal(disk_get_media(d, &m), ERR_NOMEDIA);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 0);
    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &m), 0);
    assert_int_equal(media_capacity(m), LC_SECTORS);
    assert_int_equal(media_sector_size(m), 512);
    assert_false(media_is_readonly(m));
    assert_false(media_is_removed(m));
    assert_ptr_equal(media_disk(m), d);
    assert_true(klog_contains("disk: lcnew: media 64 sectors of 512 bytes"));
    media_put(m);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 0); /* still present */
    lc_del_and_destroy(f);
    assert_true(klog_contains("disk: lcnew: media closed"));
    assert_true(klog_contains("disk: lcnew: closed"));
}

static void test_disk_removal_is_immediate_and_holder_reads_fail_nomedia(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcremove", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *m, *m2;
    uint8_t buf[512];
    uint32_t done = 99;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &m), 0);
    unsigned reads_before = fake_disk_count(f, FAKE_CALL_READ);
    fake_disk_media_out(f);
    assert_int_equal(disk_get_media(d, &m2), ERR_NOMEDIA);
    assert_true(media_is_removed(m));
    assert_int_equal(media_read(m, 0, 1, buf, &done), ERR_NOMEDIA);
    assert_int_equal(done, 0);
    assert_int_equal(media_write(m, 0, 1, buf, &done), ERR_NOMEDIA);
    assert_int_equal(media_flush(m), ERR_NOMEDIA);
    /* The kernel refused by itself: the driver saw no I/O after the removal. */
    assert_int_equal(fake_disk_count(f, FAKE_CALL_READ), reads_before);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 0);
    media_put(m);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    lc_del_and_destroy(f);
}

static void test_disk_closemedia_once_when_last_media_ref_drops(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcrefs", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *m1, *m2;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &m1), 0);
    assert_int_equal(disk_get_media(d, &m2), 0);
    assert_ptr_equal(m1, m2);
    fake_disk_media_out(f);
    media_put(m1);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 0);
    media_put(m2);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    assert_true(klog_contains("disk: lcrefs: media closed"));
    lc_del_and_destroy(f);
}

static void test_disk_close_runs_once_last_after_del_and_last_ref(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcclose", &cfg);
    struct disk *d = fake_disk_handle(f), *held;
    struct media *m;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_find("lcclose", &held), 0);
    assert_int_equal(disk_get_media(held, &m), 0);
    fake_disk_del(f);
    /* Unreachable at once, but nothing is closed while someone holds it. */
    struct disk *again;
    assert_int_equal(disk_find("lcclose", &again), ERR_NOENT);
    assert_true(media_is_removed(m));
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSE), 0);
    media_put(m);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSE), 0);
    disk_put(held);
    lc_assert_closed_last(f);
    assert_true(fake_disk_log_find(f, FAKE_CALL_CLOSEMEDIA, 1) <
                fake_disk_log_find(f, FAKE_CALL_CLOSE, 1));
    fake_disk_destroy(f);
}

static void test_disk_del_with_media_and_no_holders_closes_media_then_disk(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcdelnow", &cfg);

    DiskMediaChanged(fake_disk_handle(f), 1);
    fake_disk_del(f);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    lc_assert_closed_last(f);
    assert_int_equal(fake_disk_log_find(f, FAKE_CALL_CLOSEMEDIA, 1) + 1,
                     fake_disk_log_find(f, FAKE_CALL_CLOSE, 1));
    fake_disk_destroy(f);
}

static void lc_read_tag(struct media *m, lba_t lba, unsigned *gen)
{
    uint8_t buf[512];
    uint32_t done = 0;
    uint64_t tag_lba = 0;
    assert_int_equal(media_read(m, lba, 1, buf, &done), 0);
    assert_int_equal(done, 1);
    assert_true(fake_disk_tag_parse(buf, gen, &tag_lba));
    assert_int_equal(tag_lba, lba);
}

static void test_disk_media_change_without_holders_swaps_at_once(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcswap", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *m;
    unsigned gen;

    DiskMediaChanged(d, 1);
    fake_disk_media_in(f); /* a change: generation 2 */
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    assert_int_equal(disk_get_media(d, &m), 0);
    lc_read_tag(m, 5, &gen);
    assert_int_equal(gen, 2);
    media_put(m);
    lc_assert_media_never_overlap(f);
    lc_del_and_destroy(f);
}

static void test_disk_media_change_closes_old_after_holders_then_new_visible(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcchange", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *old, *m;
    uint8_t buf[512];
    unsigned gen;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &old), 0);
    lc_read_tag(old, 3, &gen);
    assert_int_equal(gen, 1);
    fake_disk_media_in(f); /* DiskMediaChanged(h, 1) while present and held */
    assert_true(klog_contains("disk: lcchange: media changed while in use"));
    assert_int_equal(disk_contract_violations(d), 0);
    /* 1. The old media is gone for new users, and refuses its holder's I/O. */
    assert_int_equal(disk_get_media(d, &m), ERR_NOMEDIA);
    assert_int_equal(media_read(old, 3, 1, buf, NULL), ERR_NOMEDIA);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 1);
    /* 2. The holder lets go: closemedia, then the new media is queried. */
    media_put(old);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 2);
    assert_true(fake_disk_log_find(f, FAKE_CALL_CLOSEMEDIA, 1) <
                fake_disk_log_find(f, FAKE_CALL_QUERYMEDIA, 2));
    assert_int_equal(disk_get_media(d, &m), 0);
    lc_read_tag(m, 3, &gen);
    assert_int_equal(gen, 2);
    media_put(m);
    lc_assert_media_never_overlap(f);
    lc_del_and_destroy(f);
}

static void test_disk_insert_before_closemedia_is_violation_and_deferred(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcearly", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *old, *m;
    unsigned gen;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &old), 0);
    fake_disk_media_out(f); /* (h, 0): old stays alive for its holder */
    fake_disk_media_in(f);  /* (h, 1) before closemedia: the driver's error */
    assert_int_equal(disk_contract_violations(d), 1);
    assert_true(klog_contains("disk: lcearly: driver broke the DISKFUNC contract: "
                              "DiskMediaChanged(1) before closemedia"));
    assert_int_equal(disk_get_media(d, &m), ERR_NOMEDIA);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 1);
    /* The deferred insertion happens right after closemedia. */
    media_put(old);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 2);
    assert_int_equal(fake_disk_log_find(f, FAKE_CALL_CLOSEMEDIA, 1) + 1,
                     fake_disk_log_find(f, FAKE_CALL_QUERYMEDIA, 2));
    assert_int_equal(disk_get_media(d, &m), 0);
    lc_read_tag(m, 0, &gen);
    assert_int_equal(gen, 2);
    media_put(m);
    lc_del_and_destroy(f);
}

/* The contract allows DiskMediaChanged(h, 1) as soon as closemedia is
 * called; a driver thread may do it while the call is still running. */
static int lc_insert_thread(void *arg)
{
    fake_disk_media_in(arg);
    return 0;
}

static void lc_insert_from_other_thread(struct fake_disk *f, void *ctx)
{
    struct thread *t;
    (void)ctx;
    fake_disk_set_hook(f, FAKE_CALL_CLOSEMEDIA, NULL, NULL); /* once */
    assert_int_equal(thread_create("lcins", lc_insert_thread, f, THREAD_PRIO_NORMAL, &t), 0);
    assert_int_equal(thread_join(t, NULL), 0);
}

static void test_disk_insert_announced_during_closemedia_is_legal_and_follows_it(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcinclose", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *old, *m;
    unsigned gen;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &old), 0);
    fake_disk_media_out(f);
    fake_disk_set_hook(f, FAKE_CALL_CLOSEMEDIA, lc_insert_from_other_thread, NULL);
    media_put(old); /* closemedia -> the driver announces the next medium */
    assert_int_equal(disk_contract_violations(d), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 2);
    assert_true(fake_disk_log_find(f, FAKE_CALL_CLOSEMEDIA, 1) <
                fake_disk_log_find(f, FAKE_CALL_QUERYMEDIA, 2));
    assert_int_equal(disk_get_media(d, &m), 0);
    lc_read_tag(m, 1, &gen);
    assert_int_equal(gen, 2);
    media_put(m);
    lc_del_and_destroy(f);
}

static void test_disk_removal_cancels_a_deferred_insertion(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lccancel", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *old, *m;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &old), 0);
    fake_disk_media_in(f);  /* change while held: insertion deferred */
    fake_disk_media_out(f); /* ...and that medium is gone again */
    media_put(old);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    /* The driver said "no media" last: the kernel must not go asking. */
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 1);
    assert_int_equal(disk_get_media(d, &m), ERR_NOMEDIA);
    assert_int_equal(disk_contract_violations(d), 0);
    lc_del_and_destroy(f);
}

static void test_disk_calls_after_del_are_logged_violations(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lclate", &cfg);
    struct disk *d = fake_disk_handle(f), *held;

    assert_int_equal(disk_find("lclate", &held), 0); /* keeps the handle valid */
    fake_disk_del(f);
    DiskMediaChanged(d, 1);
    assert_true(klog_contains("disk: lclate: driver broke the DISKFUNC contract: "
                              "DiskMediaChanged after DiskDel"));
    DiskMediaChanged(d, 0);
    DiskDel(d);
    assert_true(klog_contains("disk: lclate: driver broke the DISKFUNC contract: "
                              "DiskDel called twice"));
    assert_int_equal(disk_contract_violations(d), 3);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSE), 0);
    disk_put(held);
    lc_assert_closed_last(f);
    fake_disk_destroy(f);
}

/* ---- DISK_NO_INSERT_NOTIFICATION ------------------------------------------------------------- */

static void test_disk_no_insert_notification_polls_querymedia_on_use(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    cfg.add_flags = DISK_NO_INSERT_NOTIFICATION;
    cfg.start_present = false;
    struct fake_disk *f = lc_added("lcpoll", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *m;
    unsigned gen;

    assert_true(klog_contains("disk: lcpoll: added (media polled on use)"));
    assert_int_equal(disk_get_media(d, &m), ERR_NOMEDIA);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 1);
    fake_disk_media_in(f); /* medium only: this driver never notifies */
    assert_int_equal(disk_get_media(d, &m), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 2);
    lc_read_tag(m, 7, &gen);
    assert_int_equal(gen, 1);
    media_put(m);
    /* A present media is reused without asking again. */
    assert_int_equal(disk_get_media(d, &m), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 2);
    media_put(m);
    lc_del_and_destroy(f);
}

static void test_disk_no_insert_notification_nomedia_read_removes_media(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    cfg.add_flags = DISK_NO_INSERT_NOTIFICATION;
    struct fake_disk *f = lc_added("lcpollgone", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *m, *m2;
    uint8_t buf[512];
    uint32_t done = 99;

    assert_int_equal(disk_get_media(d, &m), 0);
    struct fake_fault nomedia = {
        .call = FAKE_CALL_READ, .nth = 1, .kind = FAKE_FAULT_STATUS,
        .status = DISK_STATUS_NO_MEDIA,
    };
    assert_int_equal(fake_disk_add_fault(f, &nomedia), 0);
    /* (Sector 33: the partition scan left sectors 0..7 in the cache.) */
    assert_int_equal(media_read(m, 33, 1, buf, &done), ERR_NOMEDIA);
    assert_int_equal(done, 0);
    assert_true(media_is_removed(m));
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 0);
    media_put(m);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    /* The next use polls again and finds the (still inserted) medium. */
    assert_int_equal(disk_get_media(d, &m2), 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_QUERYMEDIA), 2);
    media_put(m2);
    /* Pulled out for real: polling finds nothing. */
    fake_disk_remove(f);
    assert_int_equal(disk_get_media(d, &m2), 0); /* the kernel has not noticed yet */
    /* (A sector the cache does not hold: it serves the ones the partition
     * scan read until the kernel notices.) */
    assert_int_equal(media_read(m2, 40, 1, buf, &done), ERR_NOMEDIA);
    media_put(m2);
    assert_int_equal(disk_get_media(d, &m2), ERR_NOMEDIA);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 2);
    lc_assert_media_never_overlap(f);
    lc_del_and_destroy(f);
}

/* Runs in another thread while the first insertion's stale media is being
 * closed: a user asking for the media at that moment. */
static int lc_poll_thread(void *arg)
{
    struct disk *d = arg;
    struct media *m;
    int rc = disk_get_media(d, &m);
    if (rc == 0)
        media_put(m);
    return rc;
}

static void lc_poll_from_other_thread(struct fake_disk *f, void *ctx)
{
    struct thread *t;
    int *rc = ctx;
    fake_disk_set_hook(f, FAKE_CALL_CLOSEMEDIA, NULL, NULL); /* once */
    assert_int_equal(thread_create("lcpoll", lc_poll_thread, fake_disk_handle(f),
                                   THREAD_PRIO_NORMAL, &t),
                     0);
    assert_int_equal(thread_join(t, rc), 0);
}

static void test_disk_no_insert_media_lost_in_scan_is_closed_before_next_query(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    cfg.add_flags = DISK_NO_INSERT_NOTIFICATION;
    struct fake_disk *f = lc_added("lcscanlost", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *m;
    int poll_rc = 1;

    /* The partition scan's first read says NO_MEDIA: the new media is
     * dropped. Someone polling before its closemedia must not get a second
     * media while the driver still has the first one open. */
    struct fake_fault nomedia = {
        .call = FAKE_CALL_READ, .nth = 1, .kind = FAKE_FAULT_STATUS,
        .status = DISK_STATUS_NO_MEDIA,
    };
    assert_int_equal(fake_disk_add_fault(f, &nomedia), 0);
    fake_disk_set_hook(f, FAKE_CALL_CLOSEMEDIA, lc_poll_from_other_thread, &poll_rc);
    assert_int_equal(disk_get_media(d, &m), ERR_NOMEDIA);
    assert_int_equal(poll_rc, ERR_NOMEDIA);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 1);
    assert_int_equal(fake_disk_queries_ok(f), 1);
    /* Once it is closed, the next use polls again and finds the medium. */
    assert_int_equal(disk_get_media(d, &m), 0);
    media_put(m);
    lc_assert_media_never_overlap(f);
    lc_del_and_destroy(f);
}

/* The driver announces another change while the kernel is inserting the
 * previous one (in the thread that let go of the media before): that
 * insertion is void, and the newest medium must still arrive, after the
 * closemedia of the void one. */
static int lc_change_thread(void *arg)
{
    fake_disk_media_in(arg);
    return 0;
}

static void lc_change_during_query(struct fake_disk *f, void *ctx)
{
    struct thread **t = ctx;
    fake_disk_set_hook(f, FAKE_CALL_QUERYMEDIA, NULL, NULL); /* once */
    assert_int_equal(thread_create("lcchg", lc_change_thread, f, THREAD_PRIO_NORMAL, t), 0);
    sleep_ms(100); /* let it get into DiskMediaChanged; either order must work */
}

static void test_disk_change_during_deferred_insertion_is_not_lost(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcchgins", &cfg);
    struct disk *d = fake_disk_handle(f);
    struct media *old, *m;
    struct thread *t = NULL;
    unsigned gen;

    DiskMediaChanged(d, 1);
    assert_int_equal(disk_get_media(d, &old), 0);
    fake_disk_media_in(f); /* generation 2, deferred behind the holder */
    fake_disk_set_hook(f, FAKE_CALL_QUERYMEDIA, lc_change_during_query, &t);
    media_put(old); /* closemedia, then the deferred insertion queries... */
    assert_non_null(t);
    assert_int_equal(thread_join(t, NULL), 0); /* ...while generation 3 is announced */
    assert_int_equal(disk_get_media(d, &m), 0);
    lc_read_tag(m, 9, &gen);
    assert_int_equal(gen, 3);
    media_put(m);
    assert_int_equal(disk_contract_violations(d), 0);
    lc_assert_media_never_overlap(f);
    lc_del_and_destroy(f);
}

/* ---- media validation ------------------------------------------------------------------------ */

static void test_media_write_on_readonly_media_returns_rofs_without_driver_write(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    cfg.readonly = true;
    struct fake_disk *f = lc_added("lcro", &cfg);
    struct media *m;
    uint8_t buf[512] = { 0 };
    uint32_t done = 99;

    fake_disk_media_in(f);
    assert_int_equal(disk_get_media(fake_disk_handle(f), &m), 0);
    assert_true(media_is_readonly(m));
    assert_true(klog_contains("disk: lcro: media 64 sectors of 512 bytes, read-only"));
    assert_int_equal(media_write(m, 0, 1, buf, &done), ERR_ROFS);
    assert_int_equal(done, 0);
    assert_int_equal(media_part_write(m, 1, 0, 1, buf, &done), ERR_ROFS);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_WRITE), 0);
    assert_int_equal(media_read(m, 0, 1, buf, &done), 0);
    media_put(m);
    lc_del_and_destroy(f);
}

static void lc_expect_rejected_media(const char *name, uint32_t sector_size, uint64_t capacity,
                                     const char *log_line)
{
    struct fake_disk_config cfg = lc_cfg();
    cfg.sector_size = sector_size;
    cfg.capacity = capacity;
    cfg.tag_sectors = false;
    struct fake_disk *f = lc_added(name, &cfg);
    struct media *m;

    klog_clear();
    fake_disk_media_in(f);
    assert_int_equal(disk_get_media(fake_disk_handle(f), &m), ERR_NOMEDIA);
    assert_true(klog_contains(log_line));
    assert_int_equal(fake_disk_count(f, FAKE_CALL_READ), 0);
    fake_disk_del(f);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSEMEDIA), 0); /* never accepted */
    lc_assert_closed_last(f);
    fake_disk_destroy(f);
}

static void test_disk_querymedia_bad_sector_size_gives_no_media_and_log(void **state)
{
    (void)state;
    lc_expect_rejected_media("lcss777", 777, LC_SECTORS,
                             "disk: lcss777: querymedia: sector size 777 not supported");
    lc_expect_rejected_media("lcss256", 256, LC_SECTORS,
                             "disk: lcss256: querymedia: sector size 256 not supported");
}

static void test_disk_querymedia_zero_capacity_gives_no_media_and_log(void **state)
{
    (void)state;
    lc_expect_rejected_media("lccap0", 512, 0,
                             "disk: lccap0: querymedia: capacity 0 sectors out of range");
}

static void test_disk_querymedia_error_gives_no_media_and_log(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct fake_disk *f = lc_added("lcqerr", &cfg);
    struct media *m;
    struct fake_fault qfail = {
        .call = FAKE_CALL_QUERYMEDIA, .nth = 1, .kind = FAKE_FAULT_STATUS,
        .status = DISK_STATUS_GENERAL_ERROR,
    };

    assert_int_equal(fake_disk_add_fault(f, &qfail), 0);
    fake_disk_media_in(f);
    assert_int_equal(disk_get_media(fake_disk_handle(f), &m), ERR_NOMEDIA);
    assert_true(klog_contains("disk: lcqerr: querymedia failed (ERR_IO)"));
    lc_del_and_destroy(f);
}

/* ---- races ----------------------------------------------------------------------------------- */

struct race {
    struct fake_disk *f;
    const char *name;
    unsigned rounds;     /* worker loop rounds, all workers (__atomic) */
    unsigned reads_ok;   /* __atomic counters */
    unsigned nomedia;
    unsigned other_err;
    unsigned bad_data;   /* a tag from another medium, or no tag */
};

static void race_count(unsigned *counter)
{
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* Read two sectors through one media reference: both must carry the tag of
 * one and the same medium generation. */
static void race_read_pair(struct race *r, struct media *m, unsigned round)
{
    uint8_t buf[512];
    unsigned first_gen = 0;
    for (unsigned k = 0; k < 2; k++) {
        lba_t lba = (round + k * 17) % LC_SECTORS;
        uint32_t done = 0;
        unsigned gen;
        uint64_t tag_lba;
        int rc = media_read(m, lba, 1, buf, &done);
        if (rc == ERR_NOMEDIA) {
            race_count(&r->nomedia);
        } else if (rc != 0 || done != 1) {
            race_count(&r->other_err);
        } else if (!fake_disk_tag_parse(buf, &gen, &tag_lba) || tag_lba != lba ||
                   (first_gen && gen != first_gen)) {
            race_count(&r->bad_data);
        } else {
            first_gen = gen;
            race_count(&r->reads_ok);
        }
    }
}

static int race_worker(void *arg)
{
    struct race *r = arg;
    for (unsigned round = 0; round < RACE_WORKER_MAX_ROUNDS; round++) {
        struct disk *d;
        struct media *m;
        if (disk_find(r->name, &d))
            break; /* deleted: done */
        if (disk_get_media(d, &m) == 0) {
            race_read_pair(r, m, round);
            media_put(m);
        }
        disk_put(d);
        race_count(&r->rounds);
        thread_yield();
    }
    return 0;
}

/* Give the workers a few rounds on the current state before the next change
 * (bounded; how many they get is not asserted). */
static void race_let_workers_run(struct race *r)
{
    unsigned start = __atomic_load_n(&r->rounds, __ATOMIC_RELAXED);
    for (int i = 0; i < RACE_PACE_MAX_MS; i++) {
        if (__atomic_load_n(&r->rounds, __ATOMIC_RELAXED) - start >= RACE_WORKERS * 2)
            break;
        sleep_ms(1);
    }
}

static void race_run(struct race *r, void (*changer)(struct race *r))
{
    struct thread *t[RACE_WORKERS];
    for (int i = 0; i < RACE_WORKERS; i++)
        assert_int_equal(thread_create("race", race_worker, r, THREAD_PRIO_NORMAL, &t[i]), 0);
    changer(r);
    fake_disk_del(r->f); /* while the workers still run */
    for (int i = 0; i < RACE_WORKERS; i++)
        assert_int_equal(thread_join(t[i], NULL), 0);
    print_message("race %s: %u reads, %u ERR_NOMEDIA, %u media\n", r->name, r->reads_ok,
                  r->nomedia, fake_disk_queries_ok(r->f));
    assert_int_equal(r->bad_data, 0);
    assert_int_equal(r->other_err, 0);
    assert_int_equal(fake_disk_count(r->f, FAKE_CALL_CLOSEMEDIA), fake_disk_queries_ok(r->f));
    lc_assert_closed_last(r->f);
    lc_assert_media_never_overlap(r->f);
    assert_false(klog_contains("broke the DISKFUNC contract"));
}

/* A well-behaved notifying driver: remove, wait for closemedia, insert; and
 * now and then a change while present (allowed at any time). */
static void race_notify_changer(struct race *r)
{
    for (unsigned c = 0; c < RACE_CYCLES; c++) {
        race_let_workers_run(r);
        if (c % 3 == 2) {
            fake_disk_media_in(r->f);
            continue;
        }
        fake_disk_media_out(r->f);
        race_let_workers_run(r);
        assert_int_equal(fake_disk_wait_closemedia(r->f, fake_disk_queries_ok(r->f),
                                                   RACE_CLOSE_WAIT_MS),
                         0);
        fake_disk_media_in(r->f);
    }
    race_let_workers_run(r);
}

static void test_disk_race_users_against_media_changes_and_del(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    struct race r = { .name = "lcrace" };
    assert_int_equal(cache_drop_all(), 0); /* no recycled cache buffers in the count */
    long live = kmem_host_live();
    r.f = lc_added(r.name, &cfg);
    fake_disk_set_delay_ms(r.f, 1); /* widen the window between check and driver call */
    DiskMediaChanged(fake_disk_handle(r.f), 1);
    race_run(&r, race_notify_changer);
    fake_disk_destroy(r.f);
    assert_int_equal(cache_drop_all(), 0);
    assert_int_equal(kmem_host_live(), live); /* every disk and media object freed */
}

/* A polled disk: the medium is swapped under the kernel, which notices
 * through NO_MEDIA answers only. */
static void race_poll_changer(struct race *r)
{
    for (unsigned c = 0; c < RACE_CYCLES; c++) {
        fake_disk_remove(r->f);
        if (c % 2)
            race_let_workers_run(r);
        fake_disk_insert(r->f);
        race_let_workers_run(r);
    }
}

static void test_disk_race_users_against_polled_media_swaps_and_del(void **state)
{
    (void)state;
    struct fake_disk_config cfg = lc_cfg();
    cfg.add_flags = DISK_NO_INSERT_NOTIFICATION;
    struct race r = { .name = "lcracepoll" };
    assert_int_equal(cache_drop_all(), 0); /* no recycled cache buffers in the count */
    long live = kmem_host_live();
    r.f = lc_added(r.name, &cfg);
    race_run(&r, race_poll_changer);
    fake_disk_destroy(r.f);
    assert_int_equal(cache_drop_all(), 0);
    assert_int_equal(kmem_host_live(), live); /* every disk and media object freed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_diskadd_null_table_returns_null_and_logs, lc_setup),
        cmocka_unit_test_setup(test_diskadd_strucsize_below_4_returns_null_and_logs, lc_setup),
        cmocka_unit_test_setup(test_diskadd_bad_names_return_inval_and_log, lc_setup),
        cmocka_unit_test_setup(test_diskadd_31_char_name_is_accepted, lc_setup),
        cmocka_unit_test_setup(test_diskadd_duplicate_name_returns_exist_and_find_ignores_case,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_short_table_uses_defaults_for_missing_callbacks,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_table_of_only_strucsize_gets_no_media_and_no_calls,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_new_disk_has_no_media_until_media_changed, lc_setup),
        cmocka_unit_test_setup(test_disk_removal_is_immediate_and_holder_reads_fail_nomedia,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_closemedia_once_when_last_media_ref_drops, lc_setup),
        cmocka_unit_test_setup(test_disk_close_runs_once_last_after_del_and_last_ref, lc_setup),
        cmocka_unit_test_setup(test_disk_del_with_media_and_no_holders_closes_media_then_disk,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_media_change_without_holders_swaps_at_once, lc_setup),
        cmocka_unit_test_setup(test_disk_media_change_closes_old_after_holders_then_new_visible,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_insert_before_closemedia_is_violation_and_deferred,
                               lc_setup),
        cmocka_unit_test_setup(
            test_disk_insert_announced_during_closemedia_is_legal_and_follows_it, lc_setup),
        cmocka_unit_test_setup(test_disk_removal_cancels_a_deferred_insertion, lc_setup),
        cmocka_unit_test_setup(test_disk_change_during_deferred_insertion_is_not_lost,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_calls_after_del_are_logged_violations, lc_setup),
        cmocka_unit_test_setup(test_disk_no_insert_notification_polls_querymedia_on_use,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_no_insert_notification_nomedia_read_removes_media,
                               lc_setup),
        cmocka_unit_test_setup(
            test_disk_no_insert_media_lost_in_scan_is_closed_before_next_query, lc_setup),
        cmocka_unit_test_setup(
            test_media_write_on_readonly_media_returns_rofs_without_driver_write, lc_setup),
        cmocka_unit_test_setup(test_disk_querymedia_bad_sector_size_gives_no_media_and_log,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_querymedia_zero_capacity_gives_no_media_and_log,
                               lc_setup),
        cmocka_unit_test_setup(test_disk_querymedia_error_gives_no_media_and_log, lc_setup),
        cmocka_unit_test_setup(test_disk_race_users_against_media_changes_and_del, lc_setup),
        cmocka_unit_test_setup(test_disk_race_users_against_polled_media_swaps_and_del,
                               lc_setup),
    };
    blkdev_init();
    return cmocka_run_group_tests_name("disk_lifecycle", tests, NULL, NULL);
}
