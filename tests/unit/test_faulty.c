// SPDX-License-Identifier: MIT
/* The faulty disk (blkdev/faulty.c) under the real sector cache, over a
 * memory-backed fake disk: the rule parser refuses hostile text with a
 * reason; a failed write-back stays dirty, is reported by sync (the shell
 * command too) and is written on retry; read errors never populate the
 * cache; short transfers and lies about *numsectors are survived (counted
 * as contract violations, no overflow: the buffers are exact-size heap
 * blocks under ASan); NO_MEDIA in the middle of a write-back; delays on the
 * fake clock; the shell command. Each test wraps its own fake disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "blkdev/cache.h"
#include "blkdev/cache_priv.h"
#include "blkdev/disk_cmds.h"
#include "blkdev/faulty.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/shell/shell.h"
#include "kernel/time.h"
#include "tests/fakes/fake_disk.h"
#include "tests/host/print_host.h"
#include "tests/host/time_host.h"

#define FT_SECTORS 2048u
#define FT_SS 512u

struct ft {
    struct fake_disk *low;
    struct faulty *f;
    struct disk *d;   /* the faulty disk */
    struct media *m;  /* its media, held */
    struct faulty_counters base; /* counters when the test began */
    char name[16];
};

/* A patterned fake `lowNAME`, wrapped as NAME with no rules, media held, the
 * cache empty and the counts restarted. */
static void ft_open(struct ft *t, const char *name)
{
    struct fake_disk_config cfg = { .sector_size = FT_SS, .capacity = FT_SECTORS };
    char low[24];
    memset(t, 0, sizeof(*t));
    kstrlcpy(t->name, name, sizeof(t->name));
    assert_int_equal(fake_disk_create(&cfg, &t->low), 0);
    uint8_t *p = fake_disk_data(t->low);
    for (size_t i = 0; i < fake_disk_bytes(t->low); i++)
        p[i] = (uint8_t)(i * 13 ^ (i >> 9));
    snprintf(low, sizeof(low), "low%s", name);
    assert_int_equal(fake_disk_add(t->low, low), 0);
    fake_disk_media_in(t->low);
    assert_int_equal(faulty_create(low, name, NULL, &t->f), 0);
    t->d = faulty_disk(t->f);
    assert_int_equal(disk_get_media(t->d, &t->m), 0);
    assert_int_equal(cache_drop(t->m), 0);
    assert_int_equal(faulty_set_rules(t->f, ""), 0);
    fake_disk_log_clear(t->low);
    faulty_get_counters(t->f, &t->base);
    klog_clear();
}

static void ft_close(struct ft *t)
{
    if (t->m)
        media_put(t->m);
    faulty_destroy(t->f);
    fake_disk_del(t->low);
    fake_disk_destroy(t->low);
}

static void ft_rules(struct ft *t, const char *rules)
{
    assert_int_equal(faulty_set_rules(t->f, rules), 0);
}

static uint8_t *ft_lba(struct ft *t, lba_t lba)
{
    return fake_disk_data(t->low) + (size_t)lba * FT_SS;
}

static uint64_t ft_dirty(struct ft *t)
{
    struct cache_stats st;
    assert_int_equal(cache_get_stats(t->m, &st), 0);
    return st.dirty_sectors;
}

/* ---- the rule parser ---------------------------------------------------------------------- */

static void test_faulty_rules_hostile_text_rejected_with_reason(void **state)
{
    static const char *const bad[] = {
        "bogus", "read", "read-", "read-explode", "read-fail@", "read-fail@0", "read-fail@x",
        "read-fail@3++", "read-fail@3-", "read-fail=ok", "read-fail=0", "read-fail=256",
        "write-bad=5-3", "write-bad=5", "write-bad@2=1-2", "write-bad", "flush-short",
        "flush-over=2", "flush-bad=1-2", "nomedia=3", "delay", "delay=60001", "read-delay=-1",
        "read-over=65537", "read-short=99999999999999999999999", "read-fail@1+junk",
        "read-fail@18446744073709551616", "wr1te-fail", "-fail", "@3", "=",
        "read-fail@1x=io",
    };
    char why[96];
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        why[0] = '\0';
        if (faulty_check_rules(bad[i], why, sizeof(why)) != ERR_INVAL)
            fail_msg("accepted '%s'", bad[i]);
        assert_true(why[0] != '\0');
    }
    /* 17 rules, and 256 bytes of text, are too many. */
    char many[400] = "";
    for (int i = 0; i < 17; i++)
        strcat(many, "read-fail@1 ");
    assert_int_equal(faulty_check_rules(many, why, sizeof(why)), ERR_INVAL);
    assert_string_equal(why, "more than 16 rules");
    memset(many, 'x', 300);
    many[300] = '\0';
    assert_int_equal(faulty_check_rules(many, why, 0), ERR_INVAL);
    static const char *const good[] = {
        "", "none", "  ,, ", "read-fail", "write-fail@3", "write-fail@3+=nomem",
        "any-fail@2=7", "read-short@1=3", "write-shortfail", "read-over@2+=1000",
        "delay=20", "read-delay@2=5", "read-bad=100-107,write-bad=0-0", "nomedia@5",
        "nomedia", "flush-fail@1+=eom", "any-short=2",
    };
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        if (faulty_check_rules(good[i], why, sizeof(why)))
            fail_msg("refused '%s': %s", good[i], why);
    }
}

static void test_faulty_create_refuses_bad_rules_unknown_disk_and_taken_name(void **state)
{
    struct ft t;
    struct faulty *f;
    (void)state;
    ft_open(&t, "fc0");
    assert_int_equal(faulty_create("lowfc0", "fc1", "read-fail@0", &f), ERR_INVAL);
    assert_true(klog_contains("faulty: fc1: 'read-fail@0': @N needs a number >= 1"));
    assert_int_equal(faulty_create("nosuchdisk", "fc1", "", &f), ERR_NOENT);
    assert_int_equal(faulty_create("lowfc0", "fc0", "", &f), ERR_EXIST);
    assert_int_equal(faulty_create("lowfc0", "Bad Name", "", &f), ERR_INVAL);
    /* The old rules stay when new ones are refused. */
    ft_rules(&t, "read-fail");
    assert_int_equal(faulty_set_rules(t.f, "read-fail@"), ERR_INVAL);
    uint8_t buf[FT_SS];
    uint32_t done = 7;
    assert_int_equal(cache_read(t.m, 5, 1, buf, CACHE_SYS, &done), ERR_IO);
    assert_int_equal(done, 0);
    ft_close(&t);
}

/* ---- pass-through ------------------------------------------------------------------------- */

static void test_faulty_without_rules_passes_everything_through(void **state)
{
    struct ft t;
    struct faulty_counters c;
    uint8_t *buf = malloc(16 * FT_SS);
    uint32_t done = 0;
    (void)state;
    ft_open(&t, "pt0");
    assert_int_equal(cache_read(t.m, 40, 16, buf, CACHE_APP, &done), 0);
    assert_int_equal(done, 16);
    assert_memory_equal(buf, ft_lba(&t, 40), 16 * FT_SS);
    memset(buf, 0x5A, 16 * FT_SS);
    assert_int_equal(cache_write(t.m, 1000, 16, buf, CACHE_APP, &done), 0);
    assert_int_equal(cache_sync(t.m), 0);
    assert_memory_equal(ft_lba(&t, 1000), buf, 16 * FT_SS);
    faulty_get_counters(t.f, &c);
    assert_true(c.reads >= 1);
    assert_int_equal(c.write_sectors >= 16, true);
    assert_int_equal(c.injected, 0);
    assert_true(c.flushes >= 1);
    /* The lower disk saw the same requests: its own cache was bypassed. */
    assert_int_equal(fake_disk_count(t.low, FAKE_CALL_READ), c.reads - t.base.reads);
    assert_int_equal(fake_disk_count(t.low, FAKE_CALL_WRITE), c.writes - t.base.writes);
    free(buf);
    ft_close(&t);
}

/* ---- write-back failures ------------------------------------------------------------------ */

static void test_faulty_failed_writeback_stays_dirty_and_is_written_on_retry(void **state)
{
    struct ft t;
    uint8_t data[8 * FT_SS], before[8 * FT_SS];
    uint32_t done = 0;
    int failed;
    (void)state;
    ft_open(&t, "wb0");
    memcpy(before, ft_lba(&t, 100), sizeof(before));
    memset(data, 0xC3, sizeof(data));
    assert_int_equal(cache_write(t.m, 100, 8, data, CACHE_SYS, &done), 0);
    assert_int_equal(ft_dirty(&t), 8);
    /* 1. Every write fails: sync says so, the sectors stay dirty, the disk is unchanged. */
    ft_rules(&t, "write-fail");
    assert_int_equal(cache_sync(t.m), ERR_IO);
    assert_int_equal(ft_dirty(&t), 8);
    assert_int_equal(cache_get_state(t.m), CACHE_STATE_ERROR);
    assert_memory_equal(ft_lba(&t, 100), before, sizeof(before));
    assert_true(klog_contains("cache: wb0: write-back failed at lba 100 (0 of 8 sectors"));
    /* 2. The shell's sync reports it as one error line. */
    const char *out;
    print_host_capture_begin();
    failed = shell_execute("sync");
    out = print_host_captured();
    assert_int_equal(failed, 1);
    assert_string_equal(out, "error: sync failed (ERR_IO); see dmesg, the data stays dirty\n");
    /* 3. The fault goes away: the retry writes the data and clears the error. */
    ft_rules(&t, "");
    assert_int_equal(cache_sync(t.m), 0);
    assert_int_equal(ft_dirty(&t), 0);
    assert_int_equal(cache_get_state(t.m), CACHE_STATE_CLEAN);
    assert_memory_equal(ft_lba(&t, 100), data, sizeof(data));
    ft_close(&t);
}

static void test_faulty_nth_write_once_fails_and_holds_back_later_runs(void **state)
{
    struct ft t;
    uint8_t data[8 * FT_SS];
    uint32_t done;
    (void)state;
    ft_open(&t, "wb1");
    memset(data, 0x11, sizeof(data));
    /* Three runs far apart: three driver writes, in LBA order. */
    assert_int_equal(cache_write(t.m, 64, 8, data, CACHE_SYS, &done), 0);
    assert_int_equal(cache_write(t.m, 512, 8, data, CACHE_SYS, &done), 0);
    assert_int_equal(cache_write(t.m, 1024, 8, data, CACHE_SYS, &done), 0);
    ft_rules(&t, "write-fail@2");
    assert_int_equal(cache_sync(t.m), ERR_IO);
    /* Nothing past the failed run goes out (it may depend on it). */
    assert_int_equal(ft_dirty(&t), 16);
    assert_memory_equal(ft_lba(&t, 64), data, sizeof(data));
    assert_memory_not_equal(ft_lba(&t, 512), data, sizeof(data));
    assert_memory_not_equal(ft_lba(&t, 1024), data, sizeof(data));
    /* Once only: the next round gets through. */
    assert_int_equal(cache_sync(t.m), 0);
    assert_memory_equal(ft_lba(&t, 512), data, sizeof(data));
    assert_memory_equal(ft_lba(&t, 1024), data, sizeof(data));
    /* From N on: the second and the third fail. */
    assert_int_equal(cache_write(t.m, 64, 8, data, CACHE_SYS, &done), 0);
    assert_int_equal(cache_write(t.m, 512, 8, data, CACHE_SYS, &done), 0);
    assert_int_equal(cache_write(t.m, 1024, 8, data, CACHE_SYS, &done), 0);
    ft_rules(&t, "write-fail@2+");
    assert_int_equal(cache_sync(t.m), ERR_IO);
    assert_int_equal(ft_dirty(&t), 16);
    ft_rules(&t, "");
    assert_int_equal(cache_sync(t.m), 0);
    assert_int_equal(ft_dirty(&t), 0);
    ft_close(&t);
}

static void test_faulty_short_write_with_error_keeps_the_rest_dirty(void **state)
{
    struct ft t;
    uint8_t data[8 * FT_SS], before[8 * FT_SS];
    uint32_t done;
    (void)state;
    ft_open(&t, "wb2");
    memcpy(before, ft_lba(&t, 300), sizeof(before));
    memset(data, 0x77, sizeof(data));
    assert_int_equal(cache_write(t.m, 300, 8, data, CACHE_SYS, &done), 0);
    ft_rules(&t, "write-shortfail@1=3");
    assert_int_equal(cache_sync(t.m), ERR_IO);
    /* The three confirmed sectors are clean and on the disk; five wait. */
    assert_int_equal(ft_dirty(&t), 5);
    assert_memory_equal(ft_lba(&t, 300), data, 3 * FT_SS);
    assert_memory_equal(ft_lba(&t, 303), before + 3 * FT_SS, 5 * FT_SS);
    assert_int_equal(disk_contract_violations(t.d), 0);
    assert_int_equal(cache_sync(t.m), 0);
    assert_memory_equal(ft_lba(&t, 300), data, sizeof(data));
    ft_close(&t);
}

static void test_faulty_short_write_with_ok_status_is_completed(void **state)
{
    struct ft t;
    uint8_t data[8 * FT_SS];
    uint32_t done;
    (void)state;
    ft_open(&t, "wb3");
    memset(data, 0x78, sizeof(data));
    assert_int_equal(cache_write(t.m, 400, 8, data, CACHE_SYS, &done), 0);
    ft_rules(&t, "write-short@1=2");
    /* 2 sectors, then the raw path asks again for the other 6. */
    assert_int_equal(cache_sync(t.m), 0);
    assert_int_equal(ft_dirty(&t), 0);
    assert_memory_equal(ft_lba(&t, 400), data, sizeof(data));
    assert_int_equal(fake_disk_count(t.low, FAKE_CALL_WRITE), 2);
    assert_int_equal(disk_contract_violations(t.d), 0);
    ft_close(&t);
}

static void test_faulty_overlong_write_count_is_a_violation_and_stays_dirty(void **state)
{
    struct ft t;
    uint8_t data[8 * FT_SS];
    uint32_t done;
    (void)state;
    ft_open(&t, "wb4");
    memset(data, 0x79, sizeof(data));
    assert_int_equal(cache_write(t.m, 500, 8, data, CACHE_SYS, &done), 0);
    ft_rules(&t, "write-over=1000");
    assert_int_equal(cache_sync(t.m), ERR_IO);
    /* The data did reach the fake, but the answer cannot be believed. */
    assert_int_equal(ft_dirty(&t), 8);
    assert_int_equal(disk_contract_violations(t.d), 1);
    assert_true(klog_contains("disk: wb4: driver broke the DISKFUNC contract: write returned "
                              "*numsectors outside 0..request"));
    ft_rules(&t, "");
    assert_int_equal(cache_sync(t.m), 0);
    assert_int_equal(ft_dirty(&t), 0);
    ft_close(&t);
}

static void test_faulty_flush_failure_is_reported_by_sync(void **state)
{
    struct ft t;
    (void)state;
    ft_open(&t, "fl0");
    ft_rules(&t, "flush-fail");
    assert_int_equal(cache_sync(t.m), ERR_IO);
    assert_true(klog_contains("cache: fl0: device flush failed (ERR_IO)"));
    ft_rules(&t, "flush-fail@1=nomem");
    assert_int_equal(cache_sync(t.m), ERR_NOMEM);
    assert_int_equal(cache_sync(t.m), 0);
    ft_close(&t);
}

/* ---- read failures ------------------------------------------------------------------------ */

static void test_faulty_read_error_never_populates_the_cache(void **state)
{
    struct ft t;
    struct faulty_counters c0, c1;
    uint8_t *buf = malloc(8 * FT_SS);
    uint32_t done = 99;
    (void)state;
    ft_open(&t, "rd0");
    ft_rules(&t, "read-fail@1");
    assert_int_equal(cache_read(t.m, 200, 8, buf, CACHE_SYS, &done), ERR_IO);
    assert_int_equal(done, 0);
    for (lba_t l = 192; l < 224; l++)
        assert_false(cache_holds(t.m, l));
    /* The next read goes to the driver again, and now succeeds. */
    faulty_get_counters(t.f, &c0);
    assert_int_equal(cache_read(t.m, 200, 8, buf, CACHE_SYS, &done), 0);
    faulty_get_counters(t.f, &c1);
    assert_int_equal(c1.reads, c0.reads + 1);
    assert_memory_equal(buf, ft_lba(&t, 200), 8 * FT_SS);
    assert_true(cache_holds(t.m, 200));
    free(buf);
    ft_close(&t);
}

static void test_faulty_bad_sector_read_keeps_only_whole_lines_before_it(void **state)
{
    struct ft t;
    uint8_t *buf = malloc(16 * FT_SS);
    uint32_t done = 0;
    (void)state;
    ft_open(&t, "rd1");
    ft_rules(&t, "read-bad=1029-1029");
    assert_int_equal(cache_read(t.m, 1016, 16, buf, CACHE_SYS, &done), ERR_IO);
    /* 1016..1028 reach the caller; only the whole line 1016..1023 is kept. */
    assert_int_equal(done, 13);
    assert_memory_equal(buf, ft_lba(&t, 1016), 13 * FT_SS);
    assert_true(cache_holds(t.m, 1016));
    for (lba_t l = 1024; l < 1032; l++)
        assert_false(cache_holds(t.m, l));
    /* Reading around the bad sector works; on it, it fails every time. */
    assert_int_equal(cache_read(t.m, 1024, 4, buf, CACHE_SYS, &done), ERR_IO);
    assert_int_equal(done, 4); /* 1024..1028 moved, only the request is delivered */
    assert_memory_equal(buf, ft_lba(&t, 1024), 4 * FT_SS);
    assert_false(cache_holds(t.m, 1024));
    ft_rules(&t, "");
    assert_int_equal(cache_read(t.m, 1024, 8, buf, CACHE_SYS, &done), 0);
    assert_memory_equal(buf, ft_lba(&t, 1024), 8 * FT_SS);
    free(buf);
    ft_close(&t);
}

static void test_faulty_short_read_ok_is_completed_and_short_fail_is_partial(void **state)
{
    struct ft t;
    uint8_t *buf = malloc(8 * FT_SS);
    uint32_t done = 0;
    (void)state;
    ft_open(&t, "rd2");
    ft_rules(&t, "read-short@1=3");
    assert_int_equal(cache_read(t.m, 600, 8, buf, CACHE_SYS, &done), 0);
    assert_int_equal(done, 8);
    assert_memory_equal(buf, ft_lba(&t, 600), 8 * FT_SS);
    assert_int_equal(disk_contract_violations(t.d), 0);
    ft_rules(&t, "read-shortfail@1=3");
    assert_int_equal(cache_read(t.m, 800, 8, buf, CACHE_SYS, &done), ERR_IO);
    assert_true(done <= 3);
    assert_memory_equal(buf, ft_lba(&t, 800), done * FT_SS);
    assert_false(cache_holds(t.m, 800));
    free(buf);
    ft_close(&t);
}

static void test_faulty_read_count_lies_are_violations_without_overflow(void **state)
{
    struct ft t;
    uint8_t *buf = malloc(8 * FT_SS); /* exact size: ASan catches a byte more */
    uint32_t done = 0;
    (void)state;
    ft_open(&t, "rd3");
    ft_rules(&t, "read-over=65536");
    assert_int_equal(cache_read(t.m, 900, 8, buf, CACHE_SYS, &done), ERR_IO);
    assert_int_equal(done, 0);
    assert_int_equal(disk_contract_violations(t.d), 1);
    assert_false(cache_holds(t.m, 900));
    /* Zero sectors with success is the other lie. */
    ft_rules(&t, "read-short=0");
    assert_int_equal(cache_read(t.m, 900, 1, buf, CACHE_SYS, &done), ERR_IO);
    assert_int_equal(done, 0);
    assert_int_equal(disk_contract_violations(t.d), 2);
    assert_true(klog_contains("transfer succeeded with zero sectors done"));
    ft_rules(&t, "");
    assert_int_equal(cache_read(t.m, 900, 8, buf, CACHE_SYS, &done), 0);
    assert_memory_equal(buf, ft_lba(&t, 900), 8 * FT_SS);
    free(buf);
    ft_close(&t);
}

/* ---- media removal ------------------------------------------------------------------------ */

static void test_faulty_nomedia_mid_writeback_drops_media_loudly(void **state)
{
    struct ft t;
    uint8_t data[8 * FT_SS], buf[8 * FT_SS], before[8 * FT_SS];
    uint32_t done;
    (void)state;
    ft_open(&t, "nm0");
    memcpy(before, ft_lba(&t, 1500), sizeof(before));
    memset(data, 0xEE, sizeof(data));
    assert_int_equal(cache_write(t.m, 100, 8, data, CACHE_SYS, &done), 0);
    assert_int_equal(cache_write(t.m, 1500, 8, data, CACHE_SYS, &done), 0);
    /* 1. The first run is written, then the media vanishes. */
    ft_rules(&t, "nomedia@2");
    assert_int_equal(cache_sync(t.m), ERR_NOMEDIA);
    assert_memory_equal(ft_lba(&t, 100), data, sizeof(data));
    assert_true(media_is_removed(t.m));
    assert_int_equal(cache_read(t.m, 0, 1, buf, CACHE_SYS, &done), ERR_NOMEDIA);
    /* 2. Our reference was the last: the loss is reported with its size. */
    media_put(t.m);
    t.m = NULL;
    assert_true(klog_contains("cache: nm0: media gone with 8 dirty sectors not written: "
                              "DATA LOST"));
    struct media *m2;
    assert_int_equal(disk_get_media(t.d, &m2), ERR_NOMEDIA);
    /* 3. The media comes back: what was written is there, the rest is old. */
    ft_rules(&t, "");
    assert_int_equal(disk_get_media(t.d, &m2), 0);
    t.m = m2;
    assert_int_equal(cache_read(t.m, 100, 8, buf, CACHE_SYS, &done), 0);
    assert_memory_equal(buf, data, sizeof(data));
    assert_int_equal(cache_read(t.m, 1500, 8, buf, CACHE_SYS, &done), 0);
    assert_memory_equal(buf, before, sizeof(before));
    ft_close(&t);
}

static void test_faulty_nomedia_from_the_start_hides_the_media(void **state)
{
    struct ft t;
    struct media *m;
    (void)state;
    ft_open(&t, "nm1");
    media_put(t.m);
    t.m = NULL;
    ft_rules(&t, "nomedia");
    uint8_t buf[FT_SS];
    assert_int_equal(disk_get_media(t.d, &m), 0); /* still the old media */
    assert_int_equal(cache_read(m, 3, 1, buf, CACHE_SYS, NULL), ERR_NOMEDIA);
    media_put(m);
    assert_int_equal(disk_get_media(t.d, &m), ERR_NOMEDIA);
    ft_close(&t);
}

/* ---- delays ------------------------------------------------------------------------------- */

static void test_faulty_delay_sleeps_on_the_clock(void **state)
{
    struct ft t;
    struct faulty_counters c;
    uint8_t buf[FT_SS];
    uint32_t done;
    (void)state;
    ft_open(&t, "dl0");
    time_host_use_fake(true);
    ft_rules(&t, "read-delay@1=250,delay=5");
    uint64_t t0 = time_ms();
    assert_int_equal(cache_read(t.m, 10, 1, buf, CACHE_SYS, &done), 0);
    assert_int_equal(time_ms() - t0, 255);
    assert_int_equal(cache_read(t.m, 1800, 1, buf, CACHE_SYS, &done), 0);
    assert_int_equal(time_ms() - t0, 260);
    faulty_get_counters(t.f, &c);
    assert_int_equal(c.delayed_ms, 260);
    assert_int_equal(c.injected, 0);
    time_host_use_fake(false);
    ft_close(&t);
}

/* ---- shell -------------------------------------------------------------------------------- */

static const char *ft_run(const char *line, int *failed)
{
    print_host_capture_begin();
    *failed = shell_execute(line);
    return print_host_captured();
}

static void test_faulty_shell_add_set_list_del(void **state)
{
    struct fake_disk_config cfg = { .sector_size = FT_SS, .capacity = 64 };
    struct fake_disk *low;
    int failed;
    (void)state;
    assert_int_equal(fake_disk_create(&cfg, &low), 0);
    assert_int_equal(fake_disk_add(low, "shlow"), 0);
    fake_disk_media_in(low);
    assert_string_equal(ft_run("faulty add sh0 of shlow read-fail@1 write-fail@2+", &failed),
                        "sh0 wraps shlow\n");
    assert_string_equal(ft_run("faulty", &failed),
                        "sh0 of shlow reads=0 writes=0 flushes=0 injected=0 "
                        "rules='read-fail@1 write-fail@2+'\n");
    assert_string_equal(ft_run("faulty set sh0 read-fail@0", &failed),
                        "error: 'read-fail@0': @N needs a number >= 1\n");
    assert_int_equal(failed, 1);
    assert_string_equal(ft_run("faulty set sh0 'read-bad=9-2'", &failed),
                        "error: 'read-bad=9-2': bad needs =FIRST-LAST sectors\n");
    assert_string_equal(ft_run("faulty set nosuch read-fail", &failed),
                        "error: no faulty disk 'nosuch'\n");
    assert_string_equal(ft_run("faulty add sh1 of nosuch", &failed),
                        "error: no such disk 'nosuch'\n");
    assert_string_equal(ft_run("faulty add sh1 shlow", &failed),
                        "error: usage: faulty add NAME of DISK [RULES...]\n");
    assert_string_equal(ft_run("faulty add sh0 of shlow", &failed),
                        "error: cannot add 'sh0' (ERR_EXIST)\n");
    assert_string_equal(ft_run("faulty frob", &failed),
                        "error: unknown subcommand 'frob' (add, set, del, list)\n");
    assert_string_equal(ft_run("faulty set sh0 read-fail; disks", &failed),
                        "shlow sectors=64 sector_size=512 media=yes ro=no partitions=1\n"
                        "sh0 sectors=64 sector_size=512 media=yes ro=no partitions=0\n");
    /* (every read fails, so the partition scan found nothing) */
    assert_int_equal(failed, 0);
    assert_string_equal(ft_run("faulty del sh0; faulty", &failed), "");
    assert_string_equal(ft_run("faulty del sh0", &failed), "error: no faulty disk 'sh0'\n");
    fake_disk_del(low);
    fake_disk_destroy(low);
}

static int ft_setup(void **state)
{
    (void)state;
    blkdev_init();
    shell_init();
    disk_register_commands();
    cache_register_commands();
    faulty_init();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faulty_rules_hostile_text_rejected_with_reason),
        cmocka_unit_test(test_faulty_create_refuses_bad_rules_unknown_disk_and_taken_name),
        cmocka_unit_test(test_faulty_without_rules_passes_everything_through),
        cmocka_unit_test(test_faulty_failed_writeback_stays_dirty_and_is_written_on_retry),
        cmocka_unit_test(test_faulty_nth_write_once_fails_and_holds_back_later_runs),
        cmocka_unit_test(test_faulty_short_write_with_error_keeps_the_rest_dirty),
        cmocka_unit_test(test_faulty_short_write_with_ok_status_is_completed),
        cmocka_unit_test(test_faulty_overlong_write_count_is_a_violation_and_stays_dirty),
        cmocka_unit_test(test_faulty_flush_failure_is_reported_by_sync),
        cmocka_unit_test(test_faulty_read_error_never_populates_the_cache),
        cmocka_unit_test(test_faulty_bad_sector_read_keeps_only_whole_lines_before_it),
        cmocka_unit_test(test_faulty_short_read_ok_is_completed_and_short_fail_is_partial),
        cmocka_unit_test(test_faulty_read_count_lies_are_violations_without_overflow),
        cmocka_unit_test(test_faulty_nomedia_mid_writeback_drops_media_loudly),
        cmocka_unit_test(test_faulty_nomedia_from_the_start_hides_the_media),
        cmocka_unit_test(test_faulty_delay_sleeps_on_the_clock),
        cmocka_unit_test(test_faulty_shell_add_set_list_del),
    };
    return cmocka_run_group_tests(tests, ft_setup, NULL);
}
