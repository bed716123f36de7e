// SPDX-License-Identifier: MIT
/* Tests of the block layer's shell commands through shell_execute, on fake
 * drivers: `diskcheck NAME [rw]` passes every rule on a well-behaved driver
 * and names the rule a misbehaving one breaks; `disks`, `parts`, `media` and
 * `dhash` print exactly the documented lines (dhash checked against a SHA-256
 * of the fake's own bytes); `eject` / `load` reach any driver's LoadTray with
 * the right flag and print nothing, and an unknown disk, a driver without
 * LoadTray, a refused tray or bad arguments give one `error:` line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <cmocka.h>

#include "blkdev/disk.h"
#include "blkdev/disk_cmds.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/sha256.h"
#include "kernel/shell/shell.h"
#include "tests/fakes/fake_disk.h"
#include "tests/host/print_host.h"

#define DC_SECTORS 256

/* Every rule of a read-only run, in output order. */
static const char *const dc_read_rules[] = {
    "querymedia is sane",
    "querymedia is stable",
    "read sector 0",
    "read the last sector",
    "read across the end clips",
    "read starting at the end fails",
    "read at a negative sector fails",
    "zero-length read transfers nothing",
    "huge read request is clipped honestly",
    "repeated reads are equal",
    "flush succeeds",
};

/* ---- helpers --------------------------------------------------------------------------------- */

static void dc_fill(struct fake_disk *f)
{
    uint8_t *p = fake_disk_data(f);
    for (size_t i = 0; i < fake_disk_bytes(f); i++)
        p[i] = (uint8_t)((i * 13) ^ (i >> 9));
}

static struct fake_disk *dc_fake(const char *name, bool readonly, bool with_media)
{
    struct fake_disk_config cfg = {
        .sector_size = 512, .capacity = DC_SECTORS, .readonly = readonly,
    };
    struct fake_disk *f;
    assert_int_equal(fake_disk_create(&cfg, &f), 0);
    dc_fill(f);
    assert_int_equal(fake_disk_add(f, name), 0);
    if (with_media)
        fake_disk_media_in(f);
    return f;
}

static void dc_done(struct fake_disk *f)
{
    fake_disk_del(f);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_CLOSE), 1);
    assert_int_equal(fake_disk_calls_after_close(f), 0);
    fake_disk_destroy(f);
}

/* Run `line` with output captured; returns the shell's failure count and
 * leaves the text in *out (valid until the next run). */
static int dc_run(const char *line, const char **out)
{
    print_host_capture_begin();
    int failed = shell_execute(line);
    print_host_capture_end();
    *out = print_host_captured();
    return failed;
}

/* True if `text` has `line` as a whole line. */
static bool dc_has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    }
    return false;
}

static void dc_assert_line(const char *text, const char *line)
{
    if (!dc_has_line(text, line))
        fail_msg("missing line \"%s\" in:\n%s", line, text);
}

static void dc_assert_rule_fails(const char *text, const char *rule)
{
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "%s: FAIL: ", rule);
    const char *p = strstr(text, prefix);
    if (!p || (p != text && p[-1] != '\n'))
        fail_msg("rule \"%s\" did not fail in:\n%s", rule, text);
}

static void dc_assert_rule_passes(const char *text, const char *rule)
{
    char line[96];
    snprintf(line, sizeof(line), "%s: pass", rule);
    dc_assert_line(text, line);
}

static void dc_assert_summary(const char *text, const char *name, unsigned passed,
                              unsigned failed)
{
    char line[96];
    snprintf(line, sizeof(line), "diskcheck %s: %u rules passed, %u failed", name, passed,
             failed);
    dc_assert_line(text, line);
}

static int dc_group_setup(void **state)
{
    (void)state;
    blkdev_init();
    shell_init();
    disk_register_commands();
    return 0;
}

static int dc_setup(void **state)
{
    (void)state;
    klog_clear();
    return 0;
}

/* ---- diskcheck on a well-behaved driver ------------------------------------------------------ */

static void test_diskcheck_good_driver_passes_all_read_rules(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dcgood", false, true);
    const char *out;

    assert_int_equal(dc_run("diskcheck dcgood", &out), 0);
    for (size_t i = 0; i < ARRAY_SIZE(dc_read_rules); i++)
        dc_assert_rule_passes(out, dc_read_rules[i]);
    assert_null(strstr(out, "FAIL"));
    dc_assert_summary(out, "dcgood", 11, 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_WRITE), 0); /* read-only run */
    dc_done(f);
}

static void test_diskcheck_rw_good_driver_passes_12_rules_and_restores_data(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dcgoodrw", false, true);
    const char *out;
    static uint8_t before[DC_SECTORS * 512];

    memcpy(before, fake_disk_data(f), sizeof(before));
    assert_int_equal(dc_run("diskcheck dcgoodrw rw", &out), 0);
    for (size_t i = 0; i < ARRAY_SIZE(dc_read_rules); i++)
        dc_assert_rule_passes(out, dc_read_rules[i]);
    dc_assert_rule_passes(out, "write/read-back/restore");
    dc_assert_summary(out, "dcgoodrw", 12, 0);
    assert_true(fake_disk_count(f, FAKE_CALL_WRITE) >= 2);
    assert_memory_equal(fake_disk_data(f), before, sizeof(before));
    dc_done(f);
}

static void test_diskcheck_rw_readonly_media_passes_refuses_writes(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dcro", true, true);
    const char *out;

    assert_int_equal(dc_run("diskcheck dcro rw", &out), 0);
    dc_assert_rule_passes(out, "read-only media refuses writes");
    dc_assert_summary(out, "dcro", 12, 0);
    dc_done(f);
}

/* ---- diskcheck on misbehaving drivers -------------------------------------------------------- */

static void test_diskcheck_lying_numsectors_fails_read_rules(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dclie", false, true);
    struct fake_fault lie = {
        .call = FAKE_CALL_READ, .nth = 1, .persistent = true, .kind = FAKE_FAULT_LIE,
        .done = 1,
    };
    const char *out;

    assert_int_equal(fake_disk_add_fault(f, &lie), 0);
    assert_int_equal(dc_run("diskcheck dclie", &out), 1);
    dc_assert_line(out, "read sector 0: FAIL: *numsectors 2, want 1");
    dc_assert_line(out, "read the last sector: FAIL: *numsectors 2, want 1");
    dc_assert_line(out, "read across the end clips: FAIL: *numsectors 5, only 2 sectors exist");
    dc_assert_line(out, "zero-length read transfers nothing: FAIL: *numsectors 1, want 0");
    dc_assert_rule_fails(out, "huge read request is clipped honestly");
    dc_assert_rule_fails(out, "repeated reads are equal");
    dc_assert_rule_passes(out, "read starting at the end fails");
    dc_assert_rule_passes(out, "flush succeeds");
    dc_assert_summary(out, "dclie", 5, 6);
    dc_done(f);
}

static void test_diskcheck_no_clip_across_end_fails_clip_rules(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dcnoclip", false, true);
    const char *out;

    fake_disk_set_quirks(f, FAKE_QUIRK_NO_CLIP);
    assert_int_equal(dc_run("diskcheck dcnoclip", &out), 1);
    dc_assert_line(out, "read across the end clips: FAIL: *numsectors 4, only 2 sectors exist");
    dc_assert_line(out, "huge read request is clipped honestly: FAIL: *numsectors 2147483647, "
                        "only 1 sector exists");
    dc_assert_rule_passes(out, "read sector 0");
    dc_assert_summary(out, "dcnoclip", 9, 2);
    dc_done(f);
}

static void test_diskcheck_overrun_past_request_fails_guard_rules(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dcoverrun", false, true);
    const char *out;

    /* Only after the insertion: the scan's one-sector buffer has no guard. */
    fake_disk_set_quirks(f, FAKE_QUIRK_OVERRUN);
    assert_int_equal(dc_run("diskcheck dcoverrun", &out), 1);
    dc_assert_line(out, "read sector 0: FAIL: wrote past the requested sector");
    dc_assert_line(out, "read the last sector: FAIL: wrote past the requested sector");
    dc_assert_line(out, "read across the end clips: FAIL: wrote past the end of the media in "
                        "the buffer");
    dc_assert_line(out, "huge read request is clipped honestly: FAIL: wrote past the end of the "
                        "media in the buffer");
    dc_assert_summary(out, "dcoverrun", 7, 4);
    dc_done(f);
}

static void test_diskcheck_rw_readonly_media_accepting_writes_fails(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dcrowrite", true, true);
    const char *out;

    fake_disk_set_quirks(f, FAKE_QUIRK_RO_WRITES);
    assert_int_equal(dc_run("diskcheck dcrowrite rw", &out), 1);
    dc_assert_line(out, "read-only media refuses writes: FAIL: read-only media accepted a write "
                        "(status 0, 4)");
    dc_assert_summary(out, "dcrowrite", 11, 1);
    dc_done(f);
}

static void test_diskcheck_bad_arguments_print_one_error(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dcargs", false, false);
    const char *out;

    assert_int_equal(dc_run("diskcheck", &out), 1);
    assert_string_equal(out, "error: usage: diskcheck NAME [rw]\n");
    assert_int_equal(dc_run("diskcheck dcargs wr", &out), 1);
    assert_string_equal(out, "error: usage: diskcheck NAME [rw]\n");
    assert_int_equal(dc_run("diskcheck dcnosuch", &out), 1);
    assert_string_equal(out, "error: no such disk 'dcnosuch'\n");
    assert_int_equal(dc_run("diskcheck dcargs", &out), 1);
    assert_string_equal(out, "error: no media in 'dcargs'\n");
    dc_done(f);
}

/* ---- disks, parts, media, dhash -------------------------------------------------------------- */

static void dc_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* MBR: slot 1 Linux at 16 (32 sectors), slot 2 FAT32-LBA at 64 (100). */
static void dc_write_mbr(struct fake_disk *f)
{
    uint8_t *mbr = fake_disk_data(f);
    memset(mbr, 0, 512);
    mbr[446 + 4] = 0x83;
    dc_put_le32(mbr + 446 + 8, 16);
    dc_put_le32(mbr + 446 + 12, 32);
    mbr[462 + 4] = 0x0c;
    dc_put_le32(mbr + 462 + 8, 64);
    dc_put_le32(mbr + 462 + 12, 100);
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
}

static struct fake_disk *dc_fake_with_mbr(const char *name)
{
    struct fake_disk *f = dc_fake(name, false, false);
    dc_write_mbr(f);
    fake_disk_media_in(f);
    return f;
}

static void test_disks_lists_every_disk_in_registration_order(void **state)
{
    (void)state;
    struct fake_disk *a = dc_fake_with_mbr("dcfmta");
    struct fake_disk *b = dc_fake("dcfmtb", false, false);
    struct fake_disk *c = dc_fake("dcfmtc", true, true);
    const char *out;

    assert_int_equal(dc_run("disks", &out), 0);
    assert_string_equal(out,
                        "dcfmta sectors=256 sector_size=512 media=yes ro=no partitions=2\n"
                        "dcfmtb sectors=0 sector_size=0 media=no ro=no partitions=0\n"
                        "dcfmtc sectors=256 sector_size=512 media=yes ro=yes partitions=1\n");
    assert_int_equal(dc_run("disks extra", &out), 1);
    assert_string_equal(out, "error: usage: disks\n");
    dc_done(a);
    dc_done(b);
    dc_done(c);
    assert_int_equal(dc_run("disks", &out), 0);
    assert_string_equal(out, "");
}

static void test_parts_prints_one_line_per_partition(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake_with_mbr("dcparts");
    const char *out;

    assert_int_equal(dc_run("parts dcparts", &out), 0);
    assert_string_equal(out, "1 first=16 count=32 type=mbr:0x83 fs=none\n"
                             "2 first=64 count=100 type=mbr:0x0c fs=none\n");
    assert_int_equal(dc_run("parts", &out), 1);
    assert_string_equal(out, "error: usage: parts NAME\n");
    assert_int_equal(dc_run("parts dcnosuch", &out), 1);
    assert_string_equal(out, "error: no such disk 'dcnosuch'\n");
    dc_done(f);
}

static void test_media_prints_diskmediainfo(void **state)
{
    (void)state;
    struct fake_disk *rw = dc_fake("dcmedia", false, true);
    struct fake_disk *ro = dc_fake("dcmediaro", true, true);
    struct fake_disk *none = dc_fake("dcmedianone", false, false);
    const char *out;

    assert_int_equal(dc_run("media dcmedia", &out), 0);
    assert_string_equal(out, "flags=0x0 sectorsize=512 capacity=256 readonly=no\n");
    assert_int_equal(dc_run("media dcmediaro", &out), 0);
    assert_string_equal(out, "flags=0x1 sectorsize=512 capacity=256 readonly=yes\n");
    assert_int_equal(dc_run("media dcmedianone", &out), 1);
    assert_string_equal(out, "error: no media in 'dcmedianone'\n");
    dc_done(rw);
    dc_done(ro);
    dc_done(none);
}

static void dc_expected_hash(struct fake_disk *f, lba_t lba, uint64_t count,
                             char hex[SHA256_HEX_CHARS + 1])
{
    struct sha256 s;
    uint8_t digest[SHA256_DIGEST_BYTES];
    sha256_init(&s);
    sha256_update(&s, fake_disk_data(f) + lba * 512, (size_t)count * 512);
    sha256_final(&s, digest);
    sha256_hex(digest, hex);
    size_t n = strlen(hex);
    hex[n] = '\n';
    hex[n + 1] = '\0';
}

static void test_dhash_prints_sha256_of_the_raw_sectors(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dcdhash", false, true);
    char want[SHA256_HEX_CHARS + 1];
    const char *out;

    dc_expected_hash(f, 0, DC_SECTORS, want);
    assert_int_equal(dc_run("dhash dcdhash 0 256", &out), 0);
    assert_string_equal(out, want);
    dc_expected_hash(f, 5, 3, want);
    assert_int_equal(dc_run("dhash dcdhash 5 3", &out), 0);
    assert_string_equal(out, want);
    /* Zero sectors: the hash of nothing. */
    assert_int_equal(dc_run("dhash dcdhash 256 0", &out), 0);
    assert_string_equal(out,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n");
    dc_done(f);
}

static void test_dhash_rejects_bad_arguments_and_ranges(void **state)
{
    (void)state;
    struct fake_disk *f = dc_fake("dcdhbad", false, true);
    const char *out;

    assert_int_equal(dc_run("dhash dcdhbad 250 10", &out), 1);
    assert_string_equal(out, "error: end of media (lba 250 + count 10 > 256 sectors)\n");
    assert_int_equal(dc_run("dhash dcdhbad x 1", &out), 1);
    assert_string_equal(out, "error: bad LBA (x)\n");
    assert_int_equal(dc_run("dhash dcdhbad 0 -1", &out), 1);
    assert_string_equal(out, "error: bad COUNT (-1)\n");
    assert_int_equal(dc_run("dhash dcdhbad 0", &out), 1);
    assert_string_equal(out, "error: usage: dhash NAME LBA COUNT\n");
    /* A read error on the way is one error line, not a hash. */
    struct fake_fault eio = {
        .call = FAKE_CALL_READ, .nth = 1, .kind = FAKE_FAULT_STATUS,
        .status = DISK_STATUS_GENERAL_ERROR, .done = 2,
    };
    assert_int_equal(fake_disk_add_fault(f, &eio), 0);
    assert_int_equal(dc_run("dhash dcdhbad 10 4", &out), 1);
    /* The cache reads the whole 4 KiB line 8..15: the two sectors the driver
     * managed (8, 9) lie before the request, so nothing of it arrived. */
    assert_string_equal(out, "error: read failed at lba 10 (ERR_IO)\n");
    dc_done(f);
}

/* ---- eject / load ---------------------------------------------------------------------------- */

/* A driver whose drive refuses every tray command. */
static int refusing_tray_calls;

static int STDCALL refusing_query(void *userdata, DISKMEDIAINFO *info)
{
    (void)userdata;
    (void)info;
    return DISK_STATUS_NO_MEDIA;
}

static int STDCALL refusing_tray(void *userdata, int flags)
{
    (void)userdata;
    (void)flags;
    refusing_tray_calls++;
    return DISK_STATUS_GENERAL_ERROR;
}

static DISKFUNC refusing_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .querymedia = refusing_query,
    .LoadTray = refusing_tray,
};

static const char *tray_run(const char *line, int *failed)
{
    print_host_capture_begin();
    *failed = shell_execute(line);
    return print_host_captured();
}

static struct fake_disk *tray_fake(const char *name, uint32_t strucsize)
{
    struct fake_disk_config cfg = { .sector_size = 2048, .capacity = 16, .strucsize = strucsize };
    struct fake_disk *f = NULL;
    assert_int_equal(fake_disk_create(&cfg, &f), 0);
    assert_int_equal(fake_disk_add(f, name), 0);
    return f;
}

static void test_disk_cmds_eject_and_load_call_load_tray_silently(void **state)
{
    (void)state;
    struct fake_disk *f = tray_fake("tcd0", 0);
    int failed = -1;
    assert_true(disk_has_tray(fake_disk_handle(f)));
    assert_string_equal(tray_run("eject tcd0", &failed), "");
    assert_int_equal(failed, 0);
    assert_string_equal(tray_run("load TCD0", &failed), ""); /* names ignore case */
    assert_int_equal(failed, 0);
    assert_int_equal(fake_disk_count(f, FAKE_CALL_TRAY), 2);
    long first = fake_disk_log_find(f, FAKE_CALL_TRAY, 1);
    long second = fake_disk_log_find(f, FAKE_CALL_TRAY, 2);
    assert_int_equal(fake_disk_log_at(f, (size_t)first).requested, DISK_TRAY_EJECT);
    assert_int_equal(fake_disk_log_at(f, (size_t)second).requested, DISK_TRAY_LOAD);
    fake_disk_del(f);
    fake_disk_destroy(f);
}

static void test_disk_cmds_driver_without_tray_is_one_error_line(void **state)
{
    (void)state;
    /* The table ends before LoadTray: the block layer's default stands in. */
    struct fake_disk *f = tray_fake("tshort", offsetof(DISKFUNC, LoadTray));
    int failed = 0;
    assert_false(disk_has_tray(fake_disk_handle(f)));
    assert_string_equal(tray_run("eject tshort", &failed),
                        "error: tshort has no tray (the driver offers no LoadTray)\n");
    assert_int_equal(failed, 1);
    assert_string_equal(tray_run("load tshort", &failed),
                        "error: tshort has no tray (the driver offers no LoadTray)\n");
    assert_int_equal(fake_disk_count(f, FAKE_CALL_TRAY), 0);
    fake_disk_del(f);
    fake_disk_destroy(f);
}

static void test_disk_cmds_refused_tray_names_command_disk_and_error(void **state)
{
    (void)state;
    void *h = DiskAdd(&refusing_funcs, "trefuse", NULL, 0);
    int failed = 0;
    assert_non_null(h);
    refusing_tray_calls = 0;
    assert_string_equal(tray_run("eject trefuse", &failed),
                        "error: eject trefuse failed (ERR_IO)\n");
    assert_int_equal(failed, 1);
    assert_string_equal(tray_run("load trefuse", &failed), "error: load trefuse failed (ERR_IO)\n");
    assert_int_equal(refusing_tray_calls, 2);
    DiskDel(h);
}

static void test_disk_cmds_unknown_disk_and_bad_usage_are_errors(void **state)
{
    (void)state;
    int failed = 0;
    assert_string_equal(tray_run("eject nosuch", &failed), "error: no such disk 'nosuch'\n");
    assert_int_equal(failed, 1);
    assert_string_equal(tray_run("eject", &failed), "error: usage: eject NAME\n");
    assert_string_equal(tray_run("load a b", &failed), "error: usage: load NAME\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_diskcheck_good_driver_passes_all_read_rules, dc_setup),
        cmocka_unit_test_setup(test_diskcheck_rw_good_driver_passes_12_rules_and_restores_data,
                               dc_setup),
        cmocka_unit_test_setup(test_diskcheck_rw_readonly_media_passes_refuses_writes,
                               dc_setup),
        cmocka_unit_test_setup(test_diskcheck_lying_numsectors_fails_read_rules, dc_setup),
        cmocka_unit_test_setup(test_diskcheck_no_clip_across_end_fails_clip_rules, dc_setup),
        cmocka_unit_test_setup(test_diskcheck_overrun_past_request_fails_guard_rules, dc_setup),
        cmocka_unit_test_setup(test_diskcheck_rw_readonly_media_accepting_writes_fails,
                               dc_setup),
        cmocka_unit_test_setup(test_diskcheck_bad_arguments_print_one_error, dc_setup),
        cmocka_unit_test_setup(test_disks_lists_every_disk_in_registration_order, dc_setup),
        cmocka_unit_test_setup(test_parts_prints_one_line_per_partition, dc_setup),
        cmocka_unit_test_setup(test_media_prints_diskmediainfo, dc_setup),
        cmocka_unit_test_setup(test_dhash_prints_sha256_of_the_raw_sectors, dc_setup),
        cmocka_unit_test_setup(test_dhash_rejects_bad_arguments_and_ranges, dc_setup),
        cmocka_unit_test_setup(test_disk_cmds_eject_and_load_call_load_tray_silently, dc_setup),
        cmocka_unit_test_setup(test_disk_cmds_driver_without_tray_is_one_error_line, dc_setup),
        cmocka_unit_test_setup(test_disk_cmds_refused_tray_names_command_disk_and_error,
                               dc_setup),
        cmocka_unit_test_setup(test_disk_cmds_unknown_disk_and_bad_usage_are_errors, dc_setup),
    };
    return cmocka_run_group_tests_name("diskcheck", tests, dc_group_setup, NULL);
}
