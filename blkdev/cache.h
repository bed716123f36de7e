/* SPDX-License-Identifier: MIT */
/* The sector cache (STYLE §1 seam): the only cache in the system and the way
 * file systems, the partition scan and the shell read and write sectors of a
 * media. Sectors are whole-disk LBAs (cache_read/write) or relative to a
 * partition and bounded by it (cache_part_read/write). The class tells the
 * cache what the data is: CACHE_SYS for file-system metadata (FAT,
 * directories, boot sectors - kept in preference), CACHE_APP for file data.
 *
 * Use: the kernel calls cache_init() and cache_set_budget_bytes() once, then
 * cache_start_flusher() when threads run; every disk is cached from its first
 * I/O on (the driver's adjust_cache_size may shrink its share, 0 = uncached).
 * Writes are write-back: cache_sync() makes them durable and reports any
 * write-back error since the last successful one; dirty data is also written
 * by the flusher thread after CACHE_DIRTY_AGE_MS or when a disk has too much.
 *
 * Design (why, in short; details at the top of cache.c):
 *  - Unit: 4 KiB lines (1..8 sectors of 512..4096 bytes) in one hash table
 *    keyed by (media, line): O(1) expected lookup, chains bounded by sizing
 *    the table from the budget (load factor <= 2).
 *  - Replacement: 2Q (Johnson & Shasha, VLDB 1994) per media: new file data
 *    enters a FIFO probation queue A1in; only lines referenced again (found
 *    in the ghost queue A1out, or hit in A1in outside the correlation
 *    window) or metadata (CACHE_SYS) enter the protected queue Am. A
 *    one-pass scan therefore only cycles A1in (1/32 of the share) and never
 *    evicts hot metadata or a re-read hot set. On top, TinyLFU admission
 *    (Einziger et al., ACM ToS 2017): a count-min sketch of recent
 *    references decides whether a line entering a full Am is worth more
 *    than the line it would displace, and Am evicts the least referenced of
 *    the few lines at its LRU end - this brings the hit ratio close to the
 *    best any online policy can do on skewed workloads (numbers in cache.c).
 *    2Q over ARC: no adaptation state to get wrong, O(1) per access, and the
 *    sys/app hint of KolibriOS maps onto it directly (metadata also counts
 *    extra in TinyLFU). CLOCK-Pro would suit a lock-free hit path, which a
 *    single mutex does not need.
 *  - Dirty lines are never evicted; they are written back sorted by LBA with
 *    adjacent sectors merged into requests of up to CACHE_MAX_TRANSFER_BYTES.
 *    A sector is clean only after the driver confirmed the write (STYLE §5).
 *  - Reads send each missing run to the driver as one request, extended by
 *    adaptive sequential read-ahead: CACHE_STREAMS streams per media; a read
 *    that continues one doubles its window (from 2 lines to
 *    CACHE_RA_MAX_BYTES, at most 1/8 of the share), any other read starts a
 *    new stream without read-ahead. Read-ahead lines enter A1in, so unused
 *    ones leave quickly (counted as ra_wasted). A single CACHE_APP read of
 *    at least a quarter of the share (and >= CACHE_MAX_TRANSFER_BYTES) is
 *    not inserted at all: it goes to the caller's buffer, newer cached
 *    sectors laid over it; so are requests of CACHE_DROP_BEHIND_MIN_BYTES
 *    or more of a sequential stream of file data once it has read more than
 *    the share (drop-behind: the first share-worth stays cached, the rest
 *    could not stay anyway).
 * Returns as media_read/media_write in disk.h: 0, ERR_EOM (clipped, *done
 * says how much), ERR_NOMEDIA, ERR_ROFS, ERR_IO, ERR_NOMEM...
 * Locking: none held by the caller (all functions). Context: thread, may
 * sleep. */
#ifndef BLKDEV_CACHE_H
#define BLKDEV_CACHE_H

#include "blkdev/disk.h"

#define CACHE_LINE_BYTES 4096u                  /* cache unit; >= every sector size */
#define CACHE_MAX_TRANSFER_BYTES (256u * 1024)  /* largest request the cache sends */
#define CACHE_RA_MAX_BYTES (128u * 1024)        /* read-ahead window limit */
#define CACHE_DROP_BEHIND_MIN_BYTES (64u * 1024) /* smallest request of a drop-behind stream */
#define CACHE_DIRTY_AGE_MS 5000u                /* default write-back age */
#define CACHE_DEFAULT_BUDGET_BYTES (8u << 20)   /* until cache_set_budget_bytes */
#define CACHE_WB_RETRIES 5u                     /* flusher retries after a failure */

enum cache_class {
    CACHE_APP = 0,    /* file data */
    CACHE_SYS = 1,    /* file-system metadata */
    /* Data that is cached elsewhere already: the image file of a virtual
     * disk, whose sectors vdN's own cache holds. Reads take what the cache
     * has and send the rest straight to the caller without inserting it or
     * reading ahead; writes are cached like any write (so write-back keeps
     * its ordering and merging), and their new lines leave as soon as they
     * are written back. Hits do not count as references. */
    CACHE_DIRECT = 2,
};

/* Read `count` sectors from `lba` into buf (count * sector size bytes).
 * Hits are copied from the cache; each missing run is one driver request.
 * A driver error returns that error; *done then counts the sectors before it
 * that reached buf, and nothing half-read stays in the cache. */
int cache_read(struct media *m, lba_t lba, uint32_t count, void *buf, enum cache_class cls,
               uint32_t *done);
/* Copy `count` sectors into the cache, marked dirty (write-back). Returns
 * ERR_ROFS at once on read-only media (ERR_NOTSUP if the driver cannot
 * write); when the cache is full of dirty data the writer runs write-backs
 * itself, and returns their error (ERR_IO...) or ERR_NOMEM if they could not
 * make room (*done says how far it got). Uncached disks write through. */
int cache_write(struct media *m, lba_t lba, uint32_t count, const void *buf,
                enum cache_class cls, uint32_t *done);
/* The same, relative to partition `part` (1-based) and clipped at its end;
 * ERR_NOENT for a partition number that does not exist. */
int cache_part_read(struct media *m, unsigned part, lba_t lba, uint32_t count, void *buf,
                    enum cache_class cls, uint32_t *done);
int cache_part_write(struct media *m, unsigned part, lba_t lba, uint32_t count,
                     const void *buf, enum cache_class cls, uint32_t *done);
/* Write back every dirty sector of m, then flush the device's own cache.
 * Returns 0 when every byte written so far is on the media (this clears the
 * sticky error), else the write-back or flush error (data stays dirty). */
int cache_sync(struct media *m);

/* ---- administration (kernel init, shell, tests) ----------------------------------------- */

/* Visible state of a media's cache (the `cache` command and `remove`). */
enum cache_state {
    CACHE_STATE_CLEAN,    /* nothing dirty */
    CACHE_STATE_DIRTY,    /* dirty sectors waiting for write-back */
    CACHE_STATE_FLUSHING, /* a write-back is running */
    CACHE_STATE_ERROR,    /* a write-back failed and no flush succeeded since */
};

/* Counters; sectors unless named otherwise. */
struct cache_stats {
    uint64_t hits;            /* sectors read from the cache */
    uint64_t misses;          /* sectors read that needed the driver */
    uint64_t ra_used;         /* read-ahead lines later read */
    uint64_t ra_wasted;       /* read-ahead lines evicted unread */
    uint64_t evictions;       /* lines evicted */
    uint64_t writebacks;      /* sectors written back and confirmed */
    uint64_t wb_errors;       /* failed write-back requests */
    uint64_t driver_reads;    /* read requests sent to the driver */
    uint64_t driver_read_sectors;
    uint64_t driver_writes;   /* write requests sent to the driver */
    uint64_t driver_write_sectors;
    uint64_t cached_sectors;  /* now: valid sectors held */
    uint64_t dirty_sectors;   /* now: dirty sectors held */
    uint64_t limit_bytes;     /* now: this media's share (global: the budget) */
};

/* Set up locks and the hash table (idempotent; blkdev_init calls it). */
void cache_init(void);
/* The global budget shared by all disks, bytes (kernel: 1/8 of RAM, or
 * `cache=MB`). Shrinking evicts clean lines at once; dirty ones wait for
 * write-back. 0 makes every disk uncached. Returns 0 or ERR_NOMEM (the hash
 * table could not grow; the old budget stays). */
int cache_set_budget_bytes(uint64_t bytes);
uint64_t cache_budget_bytes(void);
/* Write-back age for the flusher, ms (default CACHE_DIRTY_AGE_MS). */
void cache_set_dirty_age_ms(uint32_t ms);
/* Start/stop the flusher thread. Start returns 0, ERR_BUSY (running) or
 * what thread_create returns; stop waits for it to exit. */
int cache_start_flusher(void);
void cache_stop_flusher(void);
/* One pass of the flusher at the current time (tests drive it with the fake
 * clock instead of running the thread). Returns the first write-back error. */
int cache_flusher_run_once(void);
/* sync / `cache drop` for all media: write back (then drop clean lines and
 * give the recycled line buffers back to the heap).
 * Return the first error; the per-disk reasons are logged. */
int cache_sync_all(void);
int cache_drop_all(void);
/* The same for one media: write back, then drop its clean lines and ghosts,
 * so the next read of any sector goes to the driver. Returns 0 or the
 * write-back error (dirty lines are never dropped). */
int cache_drop(struct media *m);
/* Statistics of one media (0, or ERR_NOENT if it never had cache I/O) and of
 * everything together (global also counts media already gone). */
int cache_get_stats(struct media *m, struct cache_stats *out);
void cache_get_global_stats(struct cache_stats *out);
enum cache_state cache_get_state(struct media *m);
const char *cache_state_name(enum cache_state s);
/* Shell commands: cache, cache size MB, cache drop, sync, remove NAME. */
void cache_register_commands(void);

#endif
