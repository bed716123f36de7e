// SPDX-License-Identifier: MIT
/* Sector I/O tests of blkdev/media_io.c against the fake driver: clipping at
 * the end of the media and of a partition, zero-length requests, splitting
 * into DISK_MAX_REQUEST_SECTORS, continuing short successful transfers,
 * partial transfers with the driver's error converted once, and refusing to
 * believe a driver that reports more sectors than it was asked for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <cmocka.h>

#include "blkdev/cache.h"
#include "blkdev/disk.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "tests/fakes/fake_disk.h"

#define MI_SECTORS 64

struct mi {
    struct fake_disk *f;
    struct disk *d;
    struct media *m;
    uint32_t ss;
};

/* Byte i of the fake's store gets a value that differs between sectors. */
static void mi_fill(struct fake_disk *f)
{
    uint8_t *p = fake_disk_data(f);
    for (size_t i = 0; i < fake_disk_bytes(f); i++)
        p[i] = (uint8_t)(i ^ (i >> 9) ^ (i >> 17));
}

static const uint8_t *mi_sector(struct mi *t, lba_t lba)
{
    return fake_disk_data(t->f) + (size_t)lba * t->ss;
}

/* Fake with sector size `ss` and `sectors`, filled, added, inserted; the
 * media held in t->m. `prepare` may write sector 0 before the insertion. */
static void mi_open(struct mi *t, const char *name, uint32_t ss, uint64_t sectors,
                    void (*prepare)(struct fake_disk *f))
{
    struct fake_disk_config cfg = { .sector_size = ss, .capacity = sectors };
    memset(t, 0, sizeof(*t));
    t->ss = ss;
    assert_int_equal(fake_disk_create(&cfg, &t->f), 0);
    mi_fill(t->f);
    if (prepare)
        prepare(t->f);
    assert_int_equal(fake_disk_add(t->f, name), 0);
    t->d = fake_disk_handle(t->f);
    fake_disk_media_in(t->f);
    assert_int_equal(disk_get_media(t->d, &t->m), 0);
    fake_disk_log_clear(t->f); /* tests look at their own calls only */
}

static void mi_close(struct mi *t)
{
    media_put(t->m);
    fake_disk_del(t->f);
    assert_int_equal(fake_disk_count(t->f, FAKE_CALL_CLOSE), 1);
    assert_int_equal(fake_disk_calls_after_close(t->f), 0);
    fake_disk_destroy(t->f);
}

static void mi_assert_call(struct mi *t, size_t i, enum fake_call kind, int64_t lba,
                           int requested)
{
    struct fake_disk_call c = fake_disk_log_at(t->f, i);
    assert_int_equal(c.kind, kind);
    assert_int_equal(c.lba, lba);
    assert_int_equal(c.requested, requested);
}

static void mi_add_fault(struct mi *t, struct fake_fault fault)
{
    assert_int_equal(fake_disk_add_fault(t->f, &fault), 0);
}

static int mi_setup(void **state)
{
    (void)state;
    klog_clear();
    return 0;
}

/* ---- bounds ---------------------------------------------------------------------------------- */

static void test_media_read_at_capacity_returns_eom_with_nothing_done(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[512];
    uint32_t done = 99;
    mi_open(&t, "mieom", 512, MI_SECTORS, NULL);

    assert_int_equal(media_read(t.m, MI_SECTORS, 1, buf, &done), ERR_EOM);
    assert_int_equal(done, 0);
    done = 99;
    assert_int_equal(media_read(t.m, UINT64_MAX, 1, buf, &done), ERR_EOM);
    assert_int_equal(done, 0);
    assert_int_equal(media_write(t.m, MI_SECTORS, 1, buf, &done), ERR_EOM);
    assert_int_equal(fake_disk_log_len(t.f), 0); /* refused before the driver */
    mi_close(&t);
}

static void test_media_read_across_end_returns_eom_with_what_fits(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[5 * 512];
    uint32_t done = 0;
    mi_open(&t, "miacross", 512, MI_SECTORS, NULL);

    memset(buf, 0xEE, sizeof(buf));
    assert_int_equal(media_read(t.m, MI_SECTORS - 2, 5, buf, &done), ERR_EOM);
    assert_int_equal(done, 2);
    assert_memory_equal(buf, mi_sector(&t, MI_SECTORS - 2), 2 * 512);
    assert_int_equal(buf[2 * 512], 0xEE); /* nothing beyond what fits */
    /* The driver was asked only for what exists. */
    assert_int_equal(fake_disk_log_len(t.f), 1);
    mi_assert_call(&t, 0, FAKE_CALL_READ, MI_SECTORS - 2, 2);
    /* A count near 2^32 must not wrap the bound check. */
    assert_int_equal(media_read(t.m, MI_SECTORS - 1, UINT32_MAX, buf, &done), ERR_EOM);
    assert_int_equal(done, 1);
    mi_close(&t);
}

static void test_media_read_zero_count_returns_zero_without_driver_call(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[512];
    uint32_t done = 99;
    mi_open(&t, "mizero", 512, MI_SECTORS, NULL);

    assert_int_equal(media_read(t.m, 0, 0, buf, &done), 0);
    assert_int_equal(done, 0);
    assert_int_equal(media_read(t.m, MI_SECTORS, 0, buf, &done), 0);
    assert_int_equal(media_write(t.m, 3, 0, buf, &done), 0);
    assert_int_equal(fake_disk_log_len(t.f), 0);
    mi_close(&t);
}

static void test_media_write_then_read_round_trips_and_clips(void **state)
{
    (void)state;
    struct mi t;
    uint8_t out[3 * 512], in[3 * 512];
    uint32_t done = 0;
    mi_open(&t, "miwrite", 512, MI_SECTORS, NULL);

    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(0x80 + i % 61);
    assert_int_equal(media_write(t.m, 10, 3, out, &done), 0);
    assert_int_equal(done, 3);
    assert_memory_equal(mi_sector(&t, 10), out, sizeof(out));
    assert_int_equal(media_read(t.m, 10, 3, in, &done), 0);
    assert_memory_equal(in, out, sizeof(out));
    /* Across the end: the part that fits is written, the rest is not. */
    assert_int_equal(media_write(t.m, MI_SECTORS - 1, 3, out, &done), ERR_EOM);
    assert_int_equal(done, 1);
    assert_memory_equal(mi_sector(&t, MI_SECTORS - 1), out, 512);
    assert_int_equal(media_flush(t.m), 0);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_FLUSH), 1);
    mi_close(&t);
}

/* ---- driver answers -------------------------------------------------------------------------- */

static void test_media_read_lying_driver_returns_io_and_counts_violation(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[8 * 512];
    uint32_t done = 99;
    mi_open(&t, "milie", 512, MI_SECTORS, NULL);

    mi_add_fault(&t, (struct fake_fault){ .call = FAKE_CALL_READ, .nth = 1,
                                          .kind = FAKE_FAULT_LIE, .done = 3 });
    assert_int_equal(media_read(t.m, 0, 4, buf, &done), ERR_IO);
    assert_int_equal(done, 0); /* nothing the liar said is believed */
    assert_int_equal(disk_contract_violations(t.d), 1);
    assert_true(klog_contains("disk: milie: driver broke the DISKFUNC contract: "
                              "read returned *numsectors outside 0..request"));
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 1); /* no retry */
    mi_add_fault(&t, (struct fake_fault){ .call = FAKE_CALL_WRITE, .nth = 1,
                                          .kind = FAKE_FAULT_LIE, .done = 1 });
    assert_int_equal(media_write(t.m, 0, 2, buf, &done), ERR_IO);
    assert_int_equal(done, 0);
    assert_int_equal(disk_contract_violations(t.d), 2);
    assert_true(klog_contains("write returned *numsectors outside 0..request"));
    /* The next, honest call works again. */
    assert_int_equal(media_read(t.m, 0, 4, buf, &done), 0);
    assert_int_equal(done, 4);
    mi_close(&t);
}

static void test_media_read_success_with_zero_sectors_is_io_and_violation(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[512];
    uint32_t done = 99;
    mi_open(&t, "minoprog", 512, MI_SECTORS, NULL);

    mi_add_fault(&t, (struct fake_fault){ .call = FAKE_CALL_READ, .nth = 1,
                                          .kind = FAKE_FAULT_STATUS,
                                          .status = DISK_STATUS_OK, .done = 0 });
    assert_int_equal(media_read(t.m, 0, 1, buf, &done), ERR_IO);
    assert_int_equal(done, 0);
    assert_int_equal(disk_contract_violations(t.d), 1);
    assert_true(klog_contains("transfer succeeded with zero sectors done"));
    mi_close(&t);
}

static void test_media_read_short_success_is_continued_to_completion(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[16 * 512];
    uint32_t done = 0;
    mi_open(&t, "mishort", 512, MI_SECTORS, NULL);

    /* Every call moves half of what it was asked (at least one sector). */
    mi_add_fault(&t, (struct fake_fault){ .call = FAKE_CALL_READ, .nth = 1, .persistent = true,
                                          .kind = FAKE_FAULT_SHORT });
    assert_int_equal(media_read(t.m, 20, 16, buf, &done), 0);
    assert_int_equal(done, 16);
    assert_memory_equal(buf, mi_sector(&t, 20), sizeof(buf));
    assert_int_equal(fake_disk_log_len(t.f), 5);
    mi_assert_call(&t, 0, FAKE_CALL_READ, 20, 16);
    mi_assert_call(&t, 1, FAKE_CALL_READ, 28, 8);
    mi_assert_call(&t, 2, FAKE_CALL_READ, 32, 4);
    mi_assert_call(&t, 3, FAKE_CALL_READ, 34, 2);
    mi_assert_call(&t, 4, FAKE_CALL_READ, 35, 1);
    assert_int_equal(disk_contract_violations(t.d), 0);
    mi_close(&t);
}

/* One driver status in the middle of a request: what came before counts. */
static void mi_expect_midway_error(const char *name, int status, int expected_err)
{
    struct mi t;
    uint8_t buf[8 * 512];
    uint32_t done = 99;
    mi_open(&t, name, 512, MI_SECTORS, NULL);

    mi_add_fault(&t, (struct fake_fault){ .call = FAKE_CALL_READ, .nth = 1,
                                          .kind = FAKE_FAULT_SHORT, .done = 2 });
    mi_add_fault(&t, (struct fake_fault){ .call = FAKE_CALL_READ, .nth = 2,
                                          .kind = FAKE_FAULT_STATUS, .status = status,
                                          .done = 3 });
    assert_int_equal(media_read(t.m, 4, 8, buf, &done), expected_err);
    assert_int_equal(done, 5);
    assert_memory_equal(buf, mi_sector(&t, 4), 5 * 512);
    assert_int_equal(fake_disk_count(t.f, FAKE_CALL_READ), 2); /* stops at the error */
    mi_close(&t);
}

static void test_media_read_driver_error_midway_returns_partial_and_converted_error(void **state)
{
    (void)state;
    mi_expect_midway_error("migeneral", DISK_STATUS_GENERAL_ERROR, ERR_IO);
    mi_expect_midway_error("minomem", DISK_STATUS_NO_MEMORY, ERR_NOMEM);
    mi_expect_midway_error("miunknown", 42, ERR_IO);
    mi_expect_midway_error("minegative", -7, ERR_IO);
    mi_expect_midway_error("miinvalid", DISK_STATUS_INVALID_CALL, ERR_NOTSUP);
    mi_expect_midway_error("mieomearly", DISK_STATUS_END_OF_MEDIA, ERR_EOM);
}

static void test_media_write_driver_error_returns_partial_and_converted_error(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[4 * 512];
    uint32_t done = 99;
    mi_open(&t, "miwerr", 512, MI_SECTORS, NULL);

    memset(buf, 0x3C, sizeof(buf));
    mi_add_fault(&t, (struct fake_fault){ .call = FAKE_CALL_WRITE, .nth = 1,
                                          .kind = FAKE_FAULT_STATUS,
                                          .status = DISK_STATUS_GENERAL_ERROR, .done = 1 });
    assert_int_equal(media_write(t.m, 8, 4, buf, &done), ERR_IO);
    assert_int_equal(done, 1);
    assert_memory_equal(mi_sector(&t, 8), buf, 512);
    assert_memory_not_equal(mi_sector(&t, 9), buf, 512);
    mi_add_fault(&t, (struct fake_fault){ .call = FAKE_CALL_FLUSH, .nth = 1,
                                          .kind = FAKE_FAULT_STATUS,
                                          .status = DISK_STATUS_GENERAL_ERROR });
    assert_int_equal(media_flush(t.m), ERR_IO);
    mi_close(&t);
}

static void test_media_read_larger_than_max_request_is_split(void **state)
{
    (void)state;
    struct mi t;
    const uint32_t count = DISK_MAX_REQUEST_SECTORS + 50;
    uint32_t done = 0;
    mi_open(&t, "misplit", 512, DISK_MAX_REQUEST_SECTORS + 100, NULL);
    uint8_t *buf = malloc((size_t)count * 512);
    assert_non_null(buf);

    assert_int_equal(media_read(t.m, 10, count, buf, &done), 0);
    assert_int_equal(done, count);
    assert_memory_equal(buf, mi_sector(&t, 10), (size_t)count * 512);
    assert_int_equal(fake_disk_log_len(t.f), 2);
    mi_assert_call(&t, 0, FAKE_CALL_READ, 10, (int)DISK_MAX_REQUEST_SECTORS);
    mi_assert_call(&t, 1, FAKE_CALL_READ, 10 + DISK_MAX_REQUEST_SECTORS, 50);
    free(buf);
    mi_close(&t);
}

/* ---- partitions ------------------------------------------------------------------------------ */

#define MI_P1_FIRST 16
#define MI_P1_COUNT 32
#define MI_P2_FIRST 64
#define MI_P2_COUNT 100
#define MI_PART_DISK_SECTORS 256

static void mi_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* MBR with two primaries (Linux 0x83, FAT32-LBA 0x0c) in slots 1 and 2. */
static void mi_write_mbr(struct fake_disk *f)
{
    uint8_t *mbr = fake_disk_data(f);
    memset(mbr, 0, 512);
    uint8_t *e = mbr + 446;
    e[4] = 0x83;
    mi_put_le32(e + 8, MI_P1_FIRST);
    mi_put_le32(e + 12, MI_P1_COUNT);
    e += 16;
    e[4] = 0x0c;
    mi_put_le32(e + 8, MI_P2_FIRST);
    mi_put_le32(e + 12, MI_P2_COUNT);
    mbr[510] = 0x55;
    mbr[511] = 0xAA;
}

static void test_media_part_read_clips_at_partition_end(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[4 * 512];
    uint32_t done = 0;
    mi_open(&t, "mipart", 512, MI_PART_DISK_SECTORS, mi_write_mbr);

    assert_int_equal(media_part_count(t.m), 2);
    const struct part_info *p1 = media_part(t.m, 1), *p2 = media_part(t.m, 2);
    assert_non_null(p1);
    assert_int_equal(p1->first_lba, MI_P1_FIRST);
    assert_int_equal(p1->count_sectors, MI_P1_COUNT);
    assert_int_equal(p2->first_lba, MI_P2_FIRST);
    assert_int_equal(p2->count_sectors, MI_P2_COUNT);
    assert_string_equal(media_part_fs(t.m, 1), "none");
    /* Inside: partition-relative LBAs. */
    assert_int_equal(media_part_read(t.m, 2, 5, 2, buf, &done), 0);
    assert_int_equal(done, 2);
    assert_memory_equal(buf, mi_sector(&t, MI_P2_FIRST + 5), 2 * 512);
    /* Across the partition end: only what lies inside, then ERR_EOM. */
    memset(buf, 0xEE, sizeof(buf));
    assert_int_equal(media_part_read(t.m, 1, MI_P1_COUNT - 2, 4, buf, &done), ERR_EOM);
    assert_int_equal(done, 2);
    assert_memory_equal(buf, mi_sector(&t, MI_P1_FIRST + MI_P1_COUNT - 2), 2 * 512);
    assert_int_equal(buf[2 * 512], 0xEE);
    mi_assert_call(&t, fake_disk_log_len(t.f) - 1, FAKE_CALL_READ,
                   MI_P1_FIRST + MI_P1_COUNT - 2, 2);
    /* At the end: nothing; count 0 there is fine. */
    assert_int_equal(media_part_read(t.m, 1, MI_P1_COUNT, 1, buf, &done), ERR_EOM);
    assert_int_equal(done, 0);
    assert_int_equal(media_part_read(t.m, 1, MI_P1_COUNT, 0, buf, &done), 0);
    /* Writes are bounded the same way and do not touch the next sector. */
    uint8_t next[512];
    memcpy(next, mi_sector(&t, MI_P1_FIRST + MI_P1_COUNT), 512);
    memset(buf, 0x42, sizeof(buf));
    assert_int_equal(media_part_write(t.m, 1, MI_P1_COUNT - 1, 2, buf, &done), ERR_EOM);
    assert_int_equal(done, 1);
    assert_memory_equal(mi_sector(&t, MI_P1_FIRST + MI_P1_COUNT - 1), buf, 512);
    assert_memory_equal(mi_sector(&t, MI_P1_FIRST + MI_P1_COUNT), next, 512);
    mi_close(&t);
}

static void test_media_part_read_bad_partition_number_returns_noent(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[512];
    uint32_t done = 99;
    mi_open(&t, "mipartno", 512, MI_PART_DISK_SECTORS, mi_write_mbr);

    assert_int_equal(media_part_read(t.m, 0, 0, 1, buf, &done), ERR_NOENT);
    assert_int_equal(done, 0);
    done = 99;
    assert_int_equal(media_part_read(t.m, 3, 0, 1, buf, &done), ERR_NOENT);
    assert_int_equal(done, 0);
    assert_int_equal(media_part_write(t.m, 1000, 0, 1, buf, &done), ERR_NOENT);
    assert_null(media_part(t.m, 0));
    assert_null(media_part(t.m, 3));
    assert_string_equal(media_part_fs(t.m, 3), "none");
    assert_int_equal(fake_disk_log_len(t.f), 0);
    mi_close(&t);
}

/* ---- other sector sizes ---------------------------------------------------------------------- */

static void test_media_4096_byte_sectors_read_write_and_clip(void **state)
{
    (void)state;
    struct mi t;
    uint8_t buf[4 * 4096];
    uint32_t done = 0;
    mi_open(&t, "mi4k", 4096, 32, NULL);

    assert_int_equal(media_sector_size(t.m), 4096);
    assert_int_equal(media_capacity(t.m), 32);
    assert_int_equal(media_read(t.m, 3, 2, buf, &done), 0);
    assert_memory_equal(buf, mi_sector(&t, 3), 2 * 4096);
    assert_int_equal(media_read(t.m, 30, 4, buf, &done), ERR_EOM);
    assert_int_equal(done, 2);
    assert_memory_equal(buf, mi_sector(&t, 30), 2 * 4096);
    memset(buf, 0x77, 4096);
    assert_int_equal(media_write(t.m, 31, 1, buf, &done), 0);
    assert_memory_equal(mi_sector(&t, 31), buf, 4096);
    mi_close(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_media_read_at_capacity_returns_eom_with_nothing_done,
                               mi_setup),
        cmocka_unit_test_setup(test_media_read_across_end_returns_eom_with_what_fits, mi_setup),
        cmocka_unit_test_setup(test_media_read_zero_count_returns_zero_without_driver_call,
                               mi_setup),
        cmocka_unit_test_setup(test_media_write_then_read_round_trips_and_clips, mi_setup),
        cmocka_unit_test_setup(test_media_read_lying_driver_returns_io_and_counts_violation,
                               mi_setup),
        cmocka_unit_test_setup(test_media_read_success_with_zero_sectors_is_io_and_violation,
                               mi_setup),
        cmocka_unit_test_setup(test_media_read_short_success_is_continued_to_completion,
                               mi_setup),
        cmocka_unit_test_setup(
            test_media_read_driver_error_midway_returns_partial_and_converted_error, mi_setup),
        cmocka_unit_test_setup(test_media_write_driver_error_returns_partial_and_converted_error,
                               mi_setup),
        cmocka_unit_test_setup(test_media_read_larger_than_max_request_is_split, mi_setup),
        cmocka_unit_test_setup(test_media_part_read_clips_at_partition_end, mi_setup),
        cmocka_unit_test_setup(test_media_part_read_bad_partition_number_returns_noent,
                               mi_setup),
        cmocka_unit_test_setup(test_media_4096_byte_sectors_read_write_and_clip, mi_setup),
    };
    blkdev_init();
    /* These tests check the raw driver path behind the cache (splitting,
     * contract checks): with no cache budget every media is uncached and
     * media_* reach the driver one to one (the cache: test_cache.c). */
    cache_set_budget_bytes(0);
    return cmocka_run_group_tests_name("media_io", tests, NULL, NULL);
}
