// SPDX-License-Identifier: MIT
/* Crash points of FAT (fs/fat) over the real cache: every driver write the
 * cache makes is a moment the power may go, so a hook on the fake disk's
 * write callback saves the image as it is before that write and asks
 * fsck.fat -n about it. Only the findings the write ordering of
 * fs/fat/fat_priv.h allows may appear: the dirty bit, lost clusters, a stale
 * free count, FAT copies that differ, a chain longer than its file. A
 * directory entry pointing at a free cluster, or a file longer than its
 * chain, means a reference reached the disk before the allocation it needs.
 * Two ways a write-back can land in the middle of a change are driven
 * deterministically: a file system operation run from inside a write-back
 * round (what the flusher thread does concurrently), and the writer's own
 * throttled write-back inside cache_write. */
#include "blkdev/cache.h"
#include "kernel/lib/xorshift.h"
#include "tests/unit/fat_check.h"

#define CR_FAT1_LBA 1u          /* fat12.img (1440 KiB floppy): reserved sectors = 1 */
#define CR_FAT_SECTORS 9u       /* sectors per FAT copy on that floppy */
#define CR_SMALL_CACHE_LINES 32 /* budget of the throttling test: throttles above 16 dirty */
#define CR_APPENDS 24           /* write sizes tried: 1..24 lines, so some hit the threshold */

/* What the write hook does; one per test. */
struct cr_hook {
    struct fc_img *t;
    const char *image;          /* file name for the saved crash image */
    unsigned checked;           /* crash points checked */
    unsigned bad;               /* crash points with a forbidden finding */
    bool op_pending;            /* run `op` once FAT copy 1 was written */
    int op_rc;
    void (*op)(struct cr_hook *h);
};

static void cr_stream(size_t size, uint32_t seed, uint8_t *out)
{
    struct xorshift x;
    xorshift_init(&x, seed);
    xorshift_fill(&x, out, size);
}

/* Write `size` bytes of stream `seed` at `off` of path (create: a new file). */
static int cr_write_at(const char *path, bool create, uint64_t off, uint32_t size, uint32_t seed)
{
    uint8_t *buf = malloc(size ? size : 1);
    uint32_t done = 0;
    cr_stream(size, seed, buf);
    int rc = create ? vfs_create_file(path, buf, size, &done)
                    : vfs_write_file(path, off, buf, size, &done);
    free(buf);
    return rc;
}

/* Is an fsck.fat -n output line one the write ordering allows after a crash? */
static bool cr_line_allowed(const char *ln)
{
    static const char *const ok_prefix[] = {
        "fsck.fat ", "/", "Dirty bit is set", "There are differences between boot sector",
        "This is mostly harmless", "Not automatically fixing", "Free cluster summary wrong",
        "Auto-correcting", "Reclaimed ", "FATs differ but appear to be intact",
        "Using first FAT", "Leaving filesystem unchanged", "Truncating file to ",
        "Automatically removing dirty bit",
    };
    unsigned a, b;
    while (*ln == ' ' || *ln == '\t')
        ln++;
    if (*ln == '\0' || strstr(ln, " files, ") || sscanf(ln, "%u:%x/%x", &a, &b, &b) == 3)
        return true;
    /* A chain longer than its file is allowed ("is > N bytes"); shorter is not. */
    if (strncmp(ln, "File size is ", 13) == 0)
        return strstr(ln, "cluster chain length is > ") != NULL;
    for (size_t i = 0; i < ARRAY_SIZE(ok_prefix); i++) {
        if (strncmp(ln, ok_prefix[i], strlen(ok_prefix[i])) == 0)
            return true;
    }
    return false;
}

/* Check the fake's bytes as they are now; print and count forbidden findings. */
static void cr_check_now(struct cr_hook *h, const char *when)
{
    const char *p = fc_save(h->t, h->image);
    char out[1500], line[512];
    bool bad = false;
    snprintf(out, sizeof(out), "%s.fsck", p);
    fc_system("fsck.fat -n '%s' > '%s' 2>&1", p, out);
    FILE *fp = fopen(out, "r");
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (!cr_line_allowed(line)) {
            print_message("crash point %u (%s): fsck.fat: %s\n", h->checked, when, line);
            bad = true;
        }
    }
    fclose(fp);
    h->checked++;
    h->bad += bad;
}

/* Did the last driver write cover a sector of FAT copy 1? */
static bool cr_last_write_hit_fat1(struct fake_disk *f)
{
    long i = fake_disk_log_last(f);
    if (i < 0)
        return false;
    struct fake_disk_call c = fake_disk_log_at(f, (size_t)i);
    return c.kind == FAKE_CALL_WRITE && c.done > 0 && c.lba < CR_FAT1_LBA + CR_FAT_SECTORS &&
           c.lba + c.done > CR_FAT1_LBA;
}

/* WRITE hook: every write starts at a crash point; maybe run the operation. */
static void cr_on_write(struct fake_disk *f, void *ctx)
{
    struct cr_hook *h = ctx;
    cr_check_now(h, "before a driver write");
    if (h->op_pending && cr_last_write_hit_fat1(f)) {
        h->op_pending = false;
        h->op(h);
    }
}

/* The operation run inside the round: the empty c.bin gets its first clusters. */
static void cr_op_fill_c(struct cr_hook *h)
{
    h->op_rc = cr_write_at(fc_p(h->t, "c.bin"), false, 0, 2000, 3);
}

/* A write-back round copies each run when it reaches it. An operation that
 * runs while the round writes FAT copy 1 (the flusher's case: the cache
 * lock is dropped around every driver call) changes FAT copy 2 and the
 * directory before the round reaches them; the round must not write those
 * newer sectors after an older FAT copy 1 (it restarts from a new snapshot). */
static void test_fat_crash_op_during_writeback_round_keeps_every_prefix_safe(void **state)
{
    struct fc_img t;
    struct cr_hook h = { .t = &t, .image = "fat-crash-round.img", .op = cr_op_fill_c };
    (void)state;
    fc_open(&t, "fat12", "fcr1");
    /* 1. A synced starting point: a.bin with data, c.bin empty. */
    assert_int_equal(cr_write_at(fc_p(&t, "c.bin"), true, 0, 0, 0), 0);
    assert_int_equal(cr_write_at(fc_p(&t, "a.bin"), true, 0, 5000, 1), 0);
    assert_int_equal(vfs_sync_all(), 0);
    /* 2. Unsynced: b.bin dirties the FAT, the root folder and data. */
    assert_int_equal(cr_write_at(fc_p(&t, "b.bin"), true, 0, 3000, 2), 0);
    /* 3. Write it back with c.bin filled from inside the round. */
    h.op_pending = true;
    fake_disk_set_hook(t.f, FAKE_CALL_WRITE, cr_on_write, &h);
    assert_int_equal(cache_sync_all(), 0);
    fake_disk_set_hook(t.f, FAKE_CALL_WRITE, NULL, NULL);
    assert_false(h.op_pending); /* the operation did run inside the round */
    assert_int_equal(h.op_rc, 0);
    cr_check_now(&h, "after the round");
    assert_true(h.checked >= 3);
    assert_int_equal(h.bad, 0);
    /* 4. And the files are right through a fresh look at the volume. */
    assert_int_equal(vfs_sync_all(), 0);
    fc_assert_fsck_clean(&t, "fat-crash-round-end.img");
    fc_close(&t);
}

/* cache_write writes back by itself once more than half of a disk's share
 * is dirty (throttling) - possibly right after a directory sector went in,
 * in the middle of a write. The FAT allocations of that write must be in the
 * cache by then. Writes of 1..CR_APPENDS lines into an emptied file (a new
 * first cluster), each followed by an append (a longer chain), in a small
 * cache cross the threshold at every possible point of such a change. */
static void test_fat_crash_throttled_writeback_mid_write_keeps_every_prefix_safe(void **state)
{
    struct fc_img t;
    struct cr_hook h = { .t = &t, .image = "fat-crash-throttle.img" };
    (void)state;
    assert_int_equal(cache_set_budget_bytes(CR_SMALL_CACHE_LINES * CACHE_LINE_BYTES), 0);
    fc_open(&t, "fat12", "fcr2");
    assert_int_equal(cr_write_at(fc_p(&t, "e.bin"), true, 0, 0, 0), 0);
    assert_int_equal(vfs_sync_all(), 0);
    fake_disk_set_hook(t.f, FAKE_CALL_WRITE, cr_on_write, &h);
    for (uint32_t k = 1; k <= CR_APPENDS; k++) {
        uint32_t n = k * CACHE_LINE_BYTES - 100;
        assert_int_equal(vfs_set_end(fc_p(&t, "e.bin"), 0), 0);
        assert_int_equal(vfs_sync_all(), 0);
        assert_int_equal(cr_write_at(fc_p(&t, "e.bin"), false, 0, n, 100 + k), 0);
        assert_int_equal(cr_write_at(fc_p(&t, "e.bin"), false, n, n, 200 + k), 0);
        assert_int_equal(vfs_sync_all(), 0);
    }
    fake_disk_set_hook(t.f, FAKE_CALL_WRITE, NULL, NULL);
    print_message("%u crash points checked\n", h.checked);
    assert_true(h.checked > CR_APPENDS);
    assert_int_equal(h.bad, 0);
    fc_assert_fsck_clean(&t, "fat-crash-throttle-end.img");
    fc_close(&t);
    assert_int_equal(cache_set_budget_bytes(CACHE_DEFAULT_BUDGET_BYTES), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fat_crash_op_during_writeback_round_keeps_every_prefix_safe),
        cmocka_unit_test(test_fat_crash_throttled_writeback_mid_write_keeps_every_prefix_safe),
    };
    return cmocka_run_group_tests(tests, fc_setup, NULL);
}
