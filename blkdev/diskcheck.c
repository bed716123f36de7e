// SPDX-License-Identifier: MIT
/* `diskcheck NAME [rw]`: a DISKFUNC conformance run for driver authors. It
 * calls the driver's callbacks directly (not through the clipping I/O path)
 * and checks each answer against the contract, one line per rule:
 *   "<rule>: pass" or "<rule>: FAIL: <why>", then a summary line.
 * Buffers carry guard bytes behind the requested sectors, so a driver that
 * writes more than it was asked to is caught. With `rw`, a few sectors in the
 * last MiB are written, read back and restored (refused on read-only media,
 * where the check is instead that a write fails and transfers nothing). */
#include "blkdev/disk_cmds.h"
#include "blkdev/disk_priv.h"
#include "kernel/err.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/xorshift.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"

#define DC_GUARD_BYTE 0xA5
#define DC_REPEAT_SECTORS 8        /* sectors read twice for the repeatability rule */
#define DC_RW_SECTORS 4            /* sectors written by the rw rules */
#define DC_RW_WINDOW_BYTES (1u << 20) /* rw rules stay inside the last MiB */
#define DC_HUGE_REQUEST 0x7FFFFFFF /* "huge" *numsectors, asked at the last sector */

struct dc {
    struct disk *d;
    DISKMEDIAINFO info;
    uint32_t ss;        /* sector size in bytes */
    uint8_t *buf;       /* work buffer: DC_REPEAT_SECTORS * 2 sectors + guard */
    uint8_t *buf2;      /* second buffer of the same size */
    size_t buf_bytes;
    unsigned passed, failed;
};

static void dc_result(struct dc *c, const char *rule, const char *why)
{
    if (!why) {
        c->passed++;
        kprintf("%s: pass\n", rule);
    } else {
        c->failed++;
        kprintf("%s: FAIL: %s\n", rule, why);
    }
}

/* Raw driver read into c->buf with guards behind `want` sectors. */
static int dc_read(struct dc *c, uint8_t *buf, int64_t lba, int want, int *got)
{
    memset(buf, DC_GUARD_BYTE, c->buf_bytes);
    *got = want;
    return c->d->ops.read(c->d->userdata, buf, lba, got);
}

static bool dc_guard_intact(const struct dc *c, const uint8_t *buf, size_t from)
{
    for (size_t i = from; i < c->buf_bytes; i++) {
        if (buf[i] != DC_GUARD_BYTE)
            return false;
    }
    return true;
}

static void dc_check_single(struct dc *c, const char *rule, int64_t lba)
{
    char why[96];
    int got;
    int st = dc_read(c, c->buf, lba, 1, &got);
    if (st != DISK_STATUS_OK)
        ksnprintf(why, sizeof(why), "status %d", st);
    else if (got != 1)
        ksnprintf(why, sizeof(why), "*numsectors %d, want 1", got);
    else if (!dc_guard_intact(c, c->buf, c->ss))
        ksnprintf(why, sizeof(why), "wrote past the requested sector");
    else
        why[0] = '\0';
    dc_result(c, rule, why[0] ? why : NULL);
}

static void dc_check_across_end(struct dc *c)
{
    char why[96] = "";
    int64_t lba = (int64_t)c->info.capacity - 2;
    int avail = 2, got;
    if (c->info.capacity < 2) {
        lba = 0;
        avail = 1;
    }
    int st = dc_read(c, c->buf, lba, 4, &got);
    if (got < 0 || got > avail)
        ksnprintf(why, sizeof(why), "*numsectors %d, only %d sectors exist", got, avail);
    else if (st == DISK_STATUS_OK && got != avail)
        ksnprintf(why, sizeof(why), "status OK with %d of %d available sectors", got, avail);
    else if (st != DISK_STATUS_OK && st != DISK_STATUS_END_OF_MEDIA)
        ksnprintf(why, sizeof(why), "status %d, want OK (clipped) or END_OF_MEDIA", st);
    else if (!dc_guard_intact(c, c->buf, (size_t)avail * c->ss))
        ksnprintf(why, sizeof(why), "wrote past the end of the media in the buffer");
    dc_result(c, "read across the end clips", why[0] ? why : NULL);
}

static void dc_check_rejected(struct dc *c, const char *rule, int64_t lba, int want)
{
    char why[96] = "";
    int got;
    int st = dc_read(c, c->buf, lba, want, &got);
    if (st == DISK_STATUS_OK)
        ksnprintf(why, sizeof(why), "status OK for an impossible request");
    else if (got != 0)
        ksnprintf(why, sizeof(why), "*numsectors %d, want 0", got);
    else if (!dc_guard_intact(c, c->buf, 0))
        ksnprintf(why, sizeof(why), "buffer written");
    dc_result(c, rule, why[0] ? why : NULL);
}

static void dc_check_zero_length(struct dc *c)
{
    char why[96] = "";
    int got;
    int st = dc_read(c, c->buf, 0, 0, &got);
    if (got != 0)
        ksnprintf(why, sizeof(why), "*numsectors %d, want 0", got);
    else if (st != DISK_STATUS_OK && st != DISK_STATUS_INVALID_CALL)
        ksnprintf(why, sizeof(why), "status %d, want OK or INVALID_CALL", st);
    else if (!dc_guard_intact(c, c->buf, 0))
        ksnprintf(why, sizeof(why), "buffer written");
    dc_result(c, "zero-length read transfers nothing", why[0] ? why : NULL);
}

static void dc_check_huge(struct dc *c)
{
    char why[96] = "";
    int got;
    int st = dc_read(c, c->buf, (int64_t)c->info.capacity - 1, DC_HUGE_REQUEST, &got);
    if (got < 0 || got > 1)
        ksnprintf(why, sizeof(why), "*numsectors %d, only 1 sector exists", got);
    else if (st == DISK_STATUS_OK && got == 1)
        ksnprintf(why, sizeof(why), "status OK for a request past the end");
    else if (!dc_guard_intact(c, c->buf, (size_t)got * c->ss))
        ksnprintf(why, sizeof(why), "wrote past the end of the media in the buffer");
    dc_result(c, "huge read request is clipped honestly", why[0] ? why : NULL);
}

static void dc_check_repeat(struct dc *c)
{
    char why[96] = "";
    int n = (int)MIN((uint64_t)DC_REPEAT_SECTORS, c->info.capacity), got1, got2;
    size_t bytes = (size_t)n * c->ss;
    int st1 = dc_read(c, c->buf, 0, n, &got1);
    int st2 = dc_read(c, c->buf2, 0, n, &got2);
    if (st1 != DISK_STATUS_OK || st2 != DISK_STATUS_OK || got1 != n || got2 != n)
        ksnprintf(why, sizeof(why), "status %d/%d, sectors %d/%d of %d", st1, st2, got1, got2, n);
    else if (memcmp(c->buf, c->buf2, bytes) != 0)
        ksnprintf(why, sizeof(why), "two reads of sectors 0..%d differ", n - 1);
    /* The same sectors one at a time must match the batch read. */
    for (int i = 0; !why[0] && i < n; i++) {
        int got;
        int st = dc_read(c, c->buf2, i, 1, &got);
        if (st != DISK_STATUS_OK || got != 1 ||
            memcmp(c->buf + (size_t)i * c->ss, c->buf2, c->ss) != 0)
            ksnprintf(why, sizeof(why), "sector %d read alone differs from the batch", i);
    }
    dc_result(c, "repeated reads are equal", why[0] ? why : NULL);
}

static void dc_check_query(struct dc *c, const DISKMEDIAINFO *first)
{
    char why[96] = "";
    DISKMEDIAINFO again;
    memset(&again, 0, sizeof(again));
    int st = c->d->ops.querymedia(c->d->userdata, &again);
    if (st != DISK_STATUS_OK)
        ksnprintf(why, sizeof(why), "second querymedia: status %d", st);
    else if (again.sectorsize != first->sectorsize || again.capacity != first->capacity ||
             again.flags != first->flags)
        ksnprintf(why, sizeof(why), "second querymedia answered differently");
    dc_result(c, "querymedia is stable", why[0] ? why : NULL);
}

static void dc_check_flush(struct dc *c)
{
    char why[64] = "";
    int st = c->d->ops.flush(c->d->userdata);
    if (st != DISK_STATUS_OK)
        ksnprintf(why, sizeof(why), "status %d", st);
    dc_result(c, "flush succeeds", why[0] ? why : NULL);
}

/* Write, read back, restore DC_RW_SECTORS sectors inside the last MiB. */
static void dc_check_rw(struct dc *c)
{
    char why[96] = "";
    int n = DC_RW_SECTORS, got;
    uint64_t window = DC_RW_WINDOW_BYTES / c->ss;
    if (c->info.capacity < (uint64_t)n * 2) {
        dc_result(c, "write/read-back/restore", "media too small");
        return;
    }
    int64_t lba = (int64_t)(c->info.capacity - MIN(window, c->info.capacity) / 2);
    size_t bytes = (size_t)n * c->ss;
    struct xorshift x;

    if (c->info.flags & DISK_MEDIA_READONLY) {
        memset(c->buf, 0, bytes);
        got = n;
        int st = c->d->ops.write(c->d->userdata, c->buf, lba, &got);
        if (st == DISK_STATUS_OK || got != 0)
            ksnprintf(why, sizeof(why), "read-only media accepted a write (status %d, %d)", st,
                      got);
        dc_result(c, "read-only media refuses writes", why[0] ? why : NULL);
        return;
    }
    /* 1. Save the original sectors. */
    uint8_t *saved = kmalloc(bytes);
    if (!saved) {
        dc_result(c, "write/read-back/restore", "out of memory");
        return;
    }
    int st = dc_read(c, c->buf2, lba, n, &got);
    if (st != DISK_STATUS_OK || got != n) {
        dc_result(c, "write/read-back/restore", "cannot read the original sectors");
        kfree(saved);
        return;
    }
    memcpy(saved, c->buf2, bytes);
    /* 2. Write a pattern and read it back. */
    xorshift_init(&x, (uint32_t)lba);
    xorshift_fill(&x, c->buf, bytes);
    got = n;
    st = c->d->ops.write(c->d->userdata, c->buf, lba, &got);
    if (st != DISK_STATUS_OK || got != n)
        ksnprintf(why, sizeof(why), "write: status %d, %d of %d sectors", st, got, n);
    if (!why[0]) {
        st = dc_read(c, c->buf2, lba, n, &got);
        if (st != DISK_STATUS_OK || got != n || memcmp(c->buf, c->buf2, bytes) != 0)
            ksnprintf(why, sizeof(why), "read-back differs from what was written");
    }
    /* 3. Restore, whatever happened, and check the restore. */
    memcpy(c->buf, saved, bytes);
    got = n;
    st = c->d->ops.write(c->d->userdata, c->buf, lba, &got);
    if (!why[0] && (st != DISK_STATUS_OK || got != n))
        ksnprintf(why, sizeof(why), "restore write failed (status %d)", st);
    if (!why[0]) {
        st = dc_read(c, c->buf2, lba, n, &got);
        if (st != DISK_STATUS_OK || got != n || memcmp(saved, c->buf2, bytes) != 0)
            ksnprintf(why, sizeof(why), "restored sectors differ from the original");
    }
    kfree(saved);
    dc_result(c, "write/read-back/restore", why[0] ? why : NULL);
}

int diskcheck_cmd(int argc, char **argv)
{
    struct dc c;
    struct media *m;
    char why[96] = "";

    /* 1. Arguments; hold the disk and its media for the whole run. */
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "rw") != 0))
        return shell_error("usage: diskcheck NAME [rw]");
    memset(&c, 0, sizeof(c));
    if (disk_find(argv[1], &c.d))
        return shell_error("no such disk '%s'", argv[1]);
    if (disk_get_media(c.d, &m)) {
        disk_put(c.d);
        return shell_error("no media in '%s'", argv[1]);
    }
    /* 2. querymedia must describe this media sanely. */
    memset(&c.info, 0, sizeof(c.info));
    int st = c.d->ops.querymedia(c.d->userdata, &c.info);
    c.ss = c.info.sectorsize;
    if (st != DISK_STATUS_OK)
        ksnprintf(why, sizeof(why), "status %d", st);
    else if (c.ss != media_sector_size(m) || c.info.capacity != media_capacity(m))
        ksnprintf(why, sizeof(why), "answer differs from the media's (%u/%llu vs %u/%llu)", c.ss,
                  (unsigned long long)c.info.capacity, media_sector_size(m),
                  (unsigned long long)media_capacity(m));
    dc_result(&c, "querymedia is sane", why[0] ? why : NULL);
    if (why[0])
        goto out_summary;
    c.buf_bytes = (size_t)(DC_REPEAT_SECTORS * 2 + 1) * c.ss;
    c.buf = kmalloc(c.buf_bytes);
    c.buf2 = kmalloc(c.buf_bytes);
    if (!c.buf || !c.buf2) {
        dc_result(&c, "memory for buffers", "out of memory");
        goto out_free;
    }
    /* 3. The read rules, then flush, then the optional write rules. */
    dc_check_query(&c, &c.info);
    dc_check_single(&c, "read sector 0", 0);
    dc_check_single(&c, "read the last sector", (int64_t)c.info.capacity - 1);
    dc_check_across_end(&c);
    dc_check_rejected(&c, "read starting at the end fails", (int64_t)c.info.capacity, 1);
    dc_check_rejected(&c, "read at a negative sector fails", -1, 1);
    dc_check_zero_length(&c);
    dc_check_huge(&c);
    dc_check_repeat(&c);
    dc_check_flush(&c);
    if (argc == 3)
        dc_check_rw(&c);
out_free:
    kfree(c.buf);
    kfree(c.buf2);
out_summary:
    kprintf("diskcheck %s: %u rules passed, %u failed\n", disk_name(c.d), c.passed, c.failed);
    media_put(m);
    disk_put(c.d);
    return c.failed ? 1 : 0;
}
