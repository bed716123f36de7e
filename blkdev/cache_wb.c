// SPDX-License-Identifier: MIT
/* Write-back of the sector cache (see cache.h): dirty tracking, the sorted
 * and merged write-back of one media, sync, the flusher thread, memory
 * pressure, and the two media lifetime hooks disk.c calls.
 *
 * A write-back round of a media (one at a time per media: `flushing`) takes
 * a snapshot of its dirty lines with each line's dirty_seq, sorts it by LBA,
 * and walks it building runs of adjacent dirty sectors of at most
 * max_xfer sectors. Each run is copied into a bounce buffer under the lock
 * (so a writer never tears a request), written with the lock dropped, and
 * then its sectors are marked clean - only those the driver confirmed, and
 * only in lines not written again meanwhile (dirty_seq unchanged); anything
 * else stays dirty for the next round. A round stops at the first line
 * written into after its snapshot and a new round starts from the lowest
 * LBA, so what reaches the media is always a prefix of one instant's dirty
 * data (file systems rely on it, see cache_wb_round_locked). A failed run
 * sets the media's sticky error (STYLE §5) and ends the write-back: the
 * lines after it stay dirty too, since they may depend on it (a directory
 * entry written after the FAT sector it needs), so a failing sector holds
 * back the higher ones until a retry gets through - slower, never out of
 * order. A write-back without errors clears the sticky error. The flusher retries a
 * failed media after 1, 2, 4... s, at most CACHE_WB_RETRIES times, logging
 * each retry; after that the data waits (dirty, state "error") for sync or
 * the next write.
 * When the last reference to a media goes, its lines are dropped; dirty
 * sectors that could not be written are counted and logged as lost.
 * Locking: cache_state.lock; never held across a driver call. */
#include "blkdev/cache.h"
#include "blkdev/cache_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define CACHE_RETRY_BASE_MS 1000u /* first flusher retry after a failure */
/* Write-back rounds cut short by a concurrent writer before one gives up the ordering
 * (cache_dev_writeback step 2). Each round writes at least one run, and a writer has to
 * change a line of every snapshot in the time of one driver request to reach this. */
#define CACHE_WB_ORDERED_ROUNDS 16u

/* One dirty line in a write-back snapshot. */
struct cache_wb_item {
    struct cache_line *l;
    uint32_t seq; /* dirty_seq when the snapshot was taken */
};

/* ---- dirty tracking ----------------------------------------------------------------------- */

void cache_line_dirty_locked(struct cache_line *l, uint8_t mask)
{
    struct cache_dev *cd = l->dev;
    lock_assert_held(&cache_state.lock);
    uint8_t newly = mask & (uint8_t)~l->dirty_mask;
    if (l->dirty_mask == 0) {
        cache_link_add_tail(&cd->dirty, &l->dirty);
        cd->dirty_lines++;
        l->dirty_since_ms = time_ms();
    }
    for (; newly; newly &= (uint8_t)(newly - 1))
        cd->st.dirty_sectors++;
    l->dirty_mask |= mask;
    l->dirty_seq++;
}

void cache_kick_flusher_locked(void)
{
    lock_assert_held(&cache_state.lock);
    cond_signal(&cache_state.flush_cv);
}

/* ---- one write-back round ----------------------------------------------------------------- */

/* Heapsort of the snapshot by LBA: no allocation, O(n log n) worst case. */
static void cache_wb_sift(struct cache_wb_item *a, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && a[c + 1].l->lba > a[c].l->lba)
            c++;
        if (a[i].l->lba >= a[c].l->lba)
            return;
        struct cache_wb_item t = a[i];
        a[i] = a[c];
        a[c] = t;
        i = c;
    }
}

static void cache_wb_sort(struct cache_wb_item *a, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        cache_wb_sift(a, i, n);
    for (size_t end = n; end-- > 1;) {
        struct cache_wb_item t = a[0];
        a[0] = a[end];
        a[end] = t;
        cache_wb_sift(a, 0, end);
    }
}

/* Mark `count` sectors clean, starting at sector si of item i: the driver
 * confirmed them. Lines written again since the snapshot stay dirty. */
static void cache_wb_confirm_locked(struct cache_dev *cd, struct cache_wb_item *items, size_t i,
                                    unsigned si, uint32_t count)
{
    for (uint32_t k = 0; k < count; k++, si++) {
        if (si == cd->spl) {
            i++;
            si = 0;
        }
        struct cache_line *l = items[i].l;
        uint8_t bit = (uint8_t)(1u << si);
        if (l->dirty_seq != items[i].seq || !(l->dirty_mask & bit))
            continue;
        l->dirty_mask &= (uint8_t)~bit;
        cd->st.dirty_sectors--;
        cd->st.writebacks++;
        if (l->dirty_mask == 0) {
            cache_link_del(&l->dirty);
            cd->dirty_lines--;
        }
    }
}

/* One write-back round of cd: 1. snapshot the dirty lines (pinned, LINE_WB) with their
 * dirty_seq, sorted by LBA; 2. write them as runs of adjacent dirty sectors, each copied into
 * `bounce` (cap sectors) when the round reaches it and written with the lock dropped.
 * With `ordered`, the round stops at the first line written into since the snapshot and
 * returns true (the caller starts a new round): everything it wrote is then an LBA-ordered
 * prefix of the dirty data as it was at the snapshot - the state file systems order their
 * cache writes for (fs/fat/fat_priv.h, write ordering). Copying a newer line after an older
 * lower one (say a directory that names clusters whose FAT sector went out before the
 * allocation) would break that. The first run is copied under the lock the snapshot was
 * taken with, so every round writes something. Without `ordered`, lines are taken as they
 * are when reached. Errors go to *first_err (ERR_NOMEM: no snapshot, nothing written).
 * Locking: cache_state.lock held on entry and exit, dropped around each driver call. */
static bool cache_wb_round_locked(struct cache_dev *cd, uint8_t *bounce, uint32_t cap,
                                  bool ordered, int *first_err)
{
    size_t n = cd->dirty_lines, k = 0, i = 0;
    unsigned si = 0;
    bool changed = false;

    lock_assert_held(&cache_state.lock);
    if (n == 0)
        return false;
    /* 1. The snapshot. */
    struct cache_wb_item *items = kmalloc(n * sizeof(*items));
    if (!items) {
        if (!*first_err)
            *first_err = ERR_NOMEM;
        pr_err("cache: %s: no memory for write-back (%zu dirty lines)", cd->name, n);
        return false;
    }
    for (struct cache_link *d = cd->dirty.next; d != &cd->dirty; d = d->next) {
        struct cache_line *l = container_of(d, struct cache_line, dirty);
        l->flags |= LINE_WB;
        items[k++] = (struct cache_wb_item){ l, l->dirty_seq };
    }
    KASSERT(k == n);
    cache_wb_sort(items, n);
    /* 2. Runs of adjacent dirty sectors, each one driver request. */
    while (!changed) {
        /* 2a. Find the next dirty sector. */
        while (i < n) {
            if (si >= cd->spl) {
                i++;
                si = 0;
            } else if ((items[i].l->dirty_mask >> si) & 1) {
                break;
            } else {
                si++;
            }
        }
        if (i >= n)
            break;
        /* 2b. Extend the run across adjacent lines, copying as it goes; an
         *     ordered round ends before the first line changed since step 1. */
        size_t ri = i;
        unsigned rsi = si;
        lba_t run_lba = items[i].l->lba + si;
        uint32_t len = 0;
        while (i < n && len < cap) {
            struct cache_line *l = items[i].l;
            if (si == cd->spl) {
                if (i + 1 < n && items[i + 1].l->lba == l->lba + cd->spl) {
                    i++;
                    si = 0;
                    continue;
                }
                break;
            }
            if (ordered && l->dirty_seq != items[i].seq) {
                changed = true;
                break;
            }
            if (!((l->dirty_mask >> si) & 1))
                break;
            memcpy(bounce + (size_t)len * cd->ss, l->data + (size_t)si * cd->ss, cd->ss);
            len++;
            si++;
        }
        if (len == 0)
            break;
        /* 2c. Write it with no lock held; confirm what the driver wrote. */
        uint32_t got = 0;
        mutex_unlock(&cache_state.lock);
        int rc = media_driver_write(cd->m, run_lba, len, bounce, &got);
        mutex_lock(&cache_state.lock);
        cd->st.driver_writes++;
        cd->st.driver_write_sectors += got;
        cache_wb_confirm_locked(cd, items, ri, rsi, got);
        if (rc) {
            cd->st.wb_errors++;
            if (!*first_err)
                *first_err = rc;
            pr_err("cache: %s: write-back failed at lba %llu (%u of %u sectors written, %s)",
                   cd->name, (unsigned long long)run_lba, got, len, err_name(rc));
            /* An ordered round writes nothing past a failed run: the lines
             * after it may depend on it (a directory entry on its FAT
             * sector). They stay dirty for the retry. */
            if (ordered)
                break;
        }
    }
    for (size_t j = 0; j < n; j++) {
        items[j].l->flags &= (uint8_t)~LINE_WB;
        cache_drop_written_locked(items[j].l);
    }
    kfree(items);
    return changed;
}

int cache_dev_writeback(struct cache_dev *cd)
{
    uint8_t *bounce = NULL;
    uint32_t cap = cd->max_xfer;
    int first_err = 0;

    /* 1. One write-back per media at a time; nothing dirty, nothing to do. */
    mutex_lock(&cache_state.lock);
    while (cd->flushing)
        cond_wait(&cache_state.io_cv, &cache_state.lock);
    if (cd->dirty_lines == 0) {
        cd->sticky_err = 0;
        mutex_unlock(&cache_state.lock);
        return 0;
    }
    cd->flushing = true;
    bounce = kmalloc((size_t)cap * cd->ss);
    if (!bounce) {
        cap = cd->spl; /* under pressure: one line per request still makes progress */
        bounce = kmalloc(CACHE_LINE_BYTES);
    }
    if (!bounce) {
        first_err = ERR_NOMEM;
        pr_err("cache: %s: no memory for write-back (%zu dirty lines)", cd->name,
               cd->dirty_lines);
        goto out_done;
    }
    /* 2. Ordered rounds until one is not cut short by a concurrent writer. Each round
     *    writes at least one run; after CACHE_WB_ORDERED_ROUNDS the last one takes lines as
     *    they come, so a writer that never pauses cannot hold a sync up for ever. */
    for (unsigned round = 1; round <= CACHE_WB_ORDERED_ROUNDS; round++) {
        if (!cache_wb_round_locked(cd, bounce, cap, true, &first_err))
            goto out_done;
    }
    pr_warn("cache: %s: written into during %u write-back rounds; last round unordered",
            cd->name, CACHE_WB_ORDERED_ROUNDS);
    cache_wb_round_locked(cd, bounce, cap, false, &first_err);
out_done:
    /* 3. The verdict: the sticky error clears only after a write-back without errors. */
    if (first_err) {
        if (!cd->sticky_err)
            cd->sticky_err = first_err;
    } else {
        cd->sticky_err = 0;
        cd->wb_failures = 0;
    }
    cd->flushing = false;
    cond_broadcast(&cache_state.io_cv);
    mutex_unlock(&cache_state.lock);
    kfree(bounce);
    return first_err;
}

/* Write back, then the device's own cache. 0 only if both worked. */
static int cache_dev_sync(struct cache_dev *cd)
{
    int rc = cache_dev_writeback(cd);
    int frc = media_driver_flush(cd->m);
    if (frc)
        pr_err("cache: %s: device flush failed (%s)", cd->name, err_name(frc));
    return rc ? rc : frc;
}

int cache_sync(struct media *m)
{
    cache_init();
    mutex_lock(&cache_state.lock);
    struct cache_dev *cd = m->cache;
    mutex_unlock(&cache_state.lock);
    if (!cd) /* never cached anything: only the device cache */
        return media_driver_flush(m);
    return cache_dev_sync(cd);
}

/* ---- visiting every media ----------------------------------------------------------------- */

/* busy keeps a media's memory alive until media_tryget answered. */
int cache_snapshot_media(struct media ***out, size_t *count)
{
    size_t n = 0, kept = 0;
    cache_init();
    mutex_lock(&cache_state.lock);
    for (struct cache_link *l = cache_state.devs.next; l != &cache_state.devs; l = l->next)
        n++;
    struct cache_dev **cds = kmalloc((n ? n : 1) * sizeof(*cds));
    struct media **ms = kmalloc((n ? n : 1) * sizeof(*ms));
    if (!cds || !ms) {
        mutex_unlock(&cache_state.lock);
        kfree(cds);
        kfree(ms);
        return ERR_NOMEM;
    }
    n = 0;
    for (struct cache_link *l = cache_state.devs.next; l != &cache_state.devs; l = l->next) {
        struct cache_dev *cd = container_of(l, struct cache_dev, node);
        if (cd->dead)
            continue;
        cd->busy++;
        cds[n++] = cd;
    }
    mutex_unlock(&cache_state.lock);
    for (size_t i = 0; i < n; i++) {
        bool ok = media_tryget(cds[i]->m);
        if (ok)
            ms[kept++] = cds[i]->m;
        mutex_lock(&cache_state.lock);
        cds[i]->busy--;
        cond_broadcast(&cache_state.io_cv);
        mutex_unlock(&cache_state.lock);
    }
    kfree(cds);
    *out = ms;
    *count = kept;
    return 0;
}

/* Call fn on every media with a cache (newest first or in creation
 * order), each with a media reference held; returns the first error and
 * keeps going after it. */
static int cache_each_media(int (*fn)(struct media *m), bool newest_first)
{
    struct media **ms;
    size_t n;
    int first = cache_snapshot_media(&ms, &n);
    if (first)
        return first;
    for (size_t i = 0; i < n; i++) {
        struct media *m = ms[newest_first ? n - 1 - i : i];
        int rc = fn(m);
        if (rc && !first)
            first = rc;
        media_put(m);
    }
    kfree(ms);
    return first;
}

/* Newest cache first (devs are appended as media start caching): a vdisk's
 * write-back lands in the cache of the older disk holding its image, which
 * is then synced after it. */
int cache_sync_all(void)
{
    return cache_each_media(cache_sync, true);
}

int cache_drop(struct media *m)
{
    int rc = cache_sync(m);
    mutex_lock(&cache_state.lock);
    struct cache_dev *cd = m->cache;
    if (cd) {
        cache_dev_shrink_locked(cd, 0); /* clean lines only; dirty ones stay */
        while (cd->n_a1out)
            cache_dev_shrink_locked(cd, 0);
    }
    mutex_unlock(&cache_state.lock);
    return rc;
}

int cache_drop_all(void)
{
    int first = cache_each_media(cache_drop, false);
    mutex_lock(&cache_state.lock);
    cache_release_spares_locked(); /* empty means empty: no recycled buffers either */
    mutex_unlock(&cache_state.lock);
    return first;
}

/* ---- flusher ------------------------------------------------------------------------------ */

/* Is cd due for a flusher round at `now`? */
static bool cache_dev_is_due_locked(struct cache_dev *cd, uint64_t now)
{
    if (cd->dead || cd->dirty_lines == 0 || cd->pass == cache_state.pass)
        return false;
    if (cd->wb_failures > CACHE_WB_RETRIES || (cd->wb_failures && now < cd->retry_at_ms))
        return false;
    struct cache_line *oldest = container_of(cd->dirty.next, struct cache_line, dirty);
    return now - oldest->dirty_since_ms >= cache_state.dirty_age_ms ||
           cd->dirty_lines > cd->limit_lines / 8;
}

int cache_flusher_run_once(void)
{
    int first = 0;
    cache_init();
    mutex_lock(&cache_state.lock);
    cache_state.pass++;
    for (;;) {
        /* 1. Pick a due media (each at most once per pass), pin it. */
        uint64_t now = time_ms();
        struct cache_dev *cd = NULL;
        for (struct cache_link *l = cache_state.devs.next; l != &cache_state.devs; l = l->next) {
            struct cache_dev *o = container_of(l, struct cache_dev, node);
            if (cache_dev_is_due_locked(o, now)) {
                cd = o;
                break;
            }
        }
        if (!cd)
            break;
        cd->pass = cache_state.pass;
        cd->busy++;
        unsigned attempt = cd->wb_failures;
        struct media *m = cd->m;
        mutex_unlock(&cache_state.lock);
        /* 2. Write it back holding a real media reference. */
        bool ok = media_tryget(m);
        mutex_lock(&cache_state.lock);
        cd->busy--;
        cond_broadcast(&cache_state.io_cv);
        mutex_unlock(&cache_state.lock);
        int rc = 0;
        if (ok) {
            if (attempt)
                pr_warn("cache: %s: retrying write-back (retry %u of %u)", cd->name, attempt,
                        CACHE_WB_RETRIES);
            rc = cache_dev_writeback(cd);
        }
        /* 3. Schedule a bounded retry after a failure. */
        mutex_lock(&cache_state.lock);
        if (ok && rc) {
            cd->wb_failures++;
            cd->retry_at_ms = now + ((uint64_t)CACHE_RETRY_BASE_MS << MIN(cd->wb_failures, 6u));
            if (cd->wb_failures > CACHE_WB_RETRIES)
                pr_err("cache: %s: write-back keeps failing; %llu dirty sectors wait for sync",
                       cd->name, (unsigned long long)cd->st.dirty_sectors);
        }
        mutex_unlock(&cache_state.lock);
        if (ok)
            media_put(m);
        if (rc && !first)
            first = rc;
        mutex_lock(&cache_state.lock);
    }
    mutex_unlock(&cache_state.lock);
    return first;
}

static int cache_flusher_main(void *arg)
{
    (void)arg;
    mutex_lock(&cache_state.lock);
    while (!cache_state.flusher_stop) {
        cond_wait_timeout(&cache_state.flush_cv, &cache_state.lock, CACHE_FLUSH_PERIOD_MS);
        if (cache_state.flusher_stop)
            break;
        mutex_unlock(&cache_state.lock);
        cache_flusher_run_once();
        mutex_lock(&cache_state.lock);
    }
    mutex_unlock(&cache_state.lock);
    return 0;
}

int cache_start_flusher(void)
{
    struct thread *t;
    cache_init();
    mutex_lock(&cache_state.lock);
    bool running = cache_state.flusher != NULL;
    cache_state.flusher_stop = false;
    mutex_unlock(&cache_state.lock);
    if (running)
        return ERR_BUSY;
    int rc = thread_create("cache-flush", cache_flusher_main, NULL, THREAD_PRIO_NORMAL, &t);
    if (rc) {
        pr_err("cache: cannot start the flusher thread (%s)", err_name(rc));
        return rc;
    }
    mutex_lock(&cache_state.lock);
    cache_state.flusher = t;
    mutex_unlock(&cache_state.lock);
    return 0;
}

void cache_stop_flusher(void)
{
    cache_init();
    mutex_lock(&cache_state.lock);
    struct thread *t = cache_state.flusher;
    cache_state.flusher_stop = true;
    cond_signal(&cache_state.flush_cv);
    mutex_unlock(&cache_state.lock);
    if (!t)
        return;
    thread_join(t, NULL);
    mutex_lock(&cache_state.lock);
    cache_state.flusher = NULL;
    mutex_unlock(&cache_state.lock);
}

void cache_set_dirty_age_ms(uint32_t ms)
{
    cache_init();
    mutex_lock(&cache_state.lock);
    cache_state.dirty_age_ms = ms;
    mutex_unlock(&cache_state.lock);
}

/* ---- memory pressure ---------------------------------------------------------------------- */

/* The heap is out of memory: give back clean lines, coldest first. Runs in
 * whatever thread allocates, maybe inside the cache itself: never waits for
 * the cache lock. Returns bytes freed. */
static size_t cache_reclaim(size_t bytes)
{
    size_t freed_lines = 0, want = bytes / CACHE_LINE_BYTES + 1;
    if (!mutex_trylock(&cache_state.lock))
        return 0;
    for (struct cache_link *l = cache_state.devs.next;
         l != &cache_state.devs && freed_lines < want; l = l->next) {
        struct cache_dev *cd = container_of(l, struct cache_dev, node);
        size_t keep = cd->lines > want - freed_lines ? cd->lines - (want - freed_lines) : 0;
        freed_lines += cache_dev_shrink_locked(cd, keep);
    }
    size_t spare_bytes = cache_release_spares_locked();
    mutex_unlock(&cache_state.lock);
    if (freed_lines)
        pr_info("cache: gave %zu KiB back to the heap", freed_lines * CACHE_LINE_BYTES / 1024);
    return freed_lines * CACHE_LINE_BYTES + spare_bytes;
}

void cache_wb_init(void)
{
    kmem_register_reclaimer(cache_reclaim);
}

/* ---- media lifetime hooks ----------------------------------------------------------------- */

void cache_media_flush_before_removal(struct media *m)
{
    int rc = cache_sync(m);
    if (rc)
        pr_err("cache: %s: flush before removal failed (%s)", disk_name(m->disk),
               err_name(rc));
}

void cache_media_release(struct media *m)
{
    cache_init();
    mutex_lock(&cache_state.lock);
    struct cache_dev *cd = m->cache;
    if (!cd) {
        mutex_unlock(&cache_state.lock);
        return;
    }
    /* 1. No new visitors; wait for the flusher or a sync_all to let go. */
    cd->dead = true;
    while (cd->busy || cd->flushing)
        cond_wait(&cache_state.io_cv, &cache_state.lock);
    /* 2. Whatever is still dirty can no longer reach the media. */
    uint64_t lost = cd->st.dirty_sectors;
    cache_stats_retire_locked(&cd->st);
    cache_dev_free_lines_locked(cd);
    cache_link_del(&cd->node);
    m->cache = NULL;
    mutex_unlock(&cache_state.lock);
    if (lost)
        pr_err("cache: %s: media gone with %llu dirty sectors not written: DATA LOST", cd->name,
               (unsigned long long)lost);
    kfree(cd);
}
