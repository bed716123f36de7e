/* SPDX-License-Identifier: MIT */
/* Internals of the sector cache shared by cache.c (lookup, replacement,
 * read/write paths), cache_wb.c (write-back, flusher, media lifetime hooks)
 * and cache_cmds.c (shell). Also the two hooks disk.c calls. Not for use
 * outside blkdev/.
 * Locking: everything below is protected by cache_state.lock (a mutex; in
 * the block-layer order disk list -> media -> cache -> driver internals). No
 * driver callback runs with it held. */
#ifndef BLKDEV_CACHE_PRIV_H
#define BLKDEV_CACHE_PRIV_H

#include "blkdev/cache.h"
#include "blkdev/disk_priv.h"
#include "kernel/sync.h"

#define CACHE_AM_SAMPLE 8        /* Am lines compared by frequency per eviction */
#define CACHE_SYS_WORTH 2        /* metadata counts as this many extra references */
#define CACHE_STREAMS 4          /* sequential streams tracked per media */
#define CACHE_EVICT_SCAN 64      /* lines looked at per eviction before giving up */
#define CACHE_FLUSH_PERIOD_MS 500u /* flusher wake-up period */
#define CACHE_WRITE_ROOM_TRIES 4   /* write-backs a writer runs to find room */
#define CACHE_SPARES 64            /* recycled line buffers and records kept (each) */
/* A hit on an A1in line promotes it to Am only if at least this many cache
 * requests of its media passed since the line's last reference: closer hits
 * are "correlated" (2Q paper, section 3.1: one sector after the other of a
 * line, a read-modify-write) and say nothing about reuse. */
#define CACHE_CORRELATED_REQS 32u

/* Circular doubly linked list node (a list head is a node linked to itself). */
struct cache_link {
    struct cache_link *prev, *next;
};

enum cache_queue {
    CQ_NONE = 0,
    CQ_A1IN,  /* probation FIFO (new file data, read-ahead) */
    CQ_AM,    /* protected LRU (metadata, lines referenced again) */
    CQ_A1OUT, /* ghosts: keys of lines evicted from A1in, no data */
};

enum cache_line_flag {
    LINE_READING = 1u << 0, /* a driver read is filling the invalid sectors */
    LINE_RA = 1u << 1,      /* brought in by read-ahead, not read yet */
    LINE_WB = 1u << 2,      /* part of a running write-back (not evictable) */
    LINE_SYS = 1u << 3,     /* referenced as CACHE_SYS (metadata) at least once */
    LINE_DROP = 1u << 4,    /* created by a CACHE_DIRECT write: free once written back */
};

/* One 4 KiB line: CACHE_LINE_BYTES / sector size consecutive sectors. */
struct cache_line {
    struct cache_line *hnext;  /* hash chain */
    struct cache_link q;       /* position in the queue named by `queue` */
    struct cache_link dirty;   /* in dev->dirty (oldest first) while dirty_mask != 0 */
    struct cache_dev *dev;     /* owner; constant */
    lba_t lba;                 /* first sector (a multiple of dev->spl); constant */
    uint8_t *data;             /* CACHE_LINE_BYTES, NULL for ghosts */
    uint64_t dirty_since_ms;   /* when dirty_mask last went from 0 to non-0 */
    uint32_t dirty_seq;        /* bumped by every write into the line */
    uint32_t last_ref;         /* dev->req_seq at the last reference */
    uint8_t valid_mask;        /* bit i: sector lba+i holds valid data */
    uint8_t dirty_mask;        /* bit i: sector lba+i is newer than the media */
    uint8_t queue;             /* enum cache_queue */
    uint8_t flags;             /* enum cache_line_flag */
};

/* Sequential stream detector entry (read-ahead). */
struct cache_stream {
    lba_t next_lba;      /* where the stream continues */
    uint32_t window;     /* read-ahead sectors, 0 = none */
    uint64_t last_use;   /* dev->stream_clock at the last match */
    uint64_t length;     /* sectors read by the stream so far */
};

/* The cache of one media. Created at its first cache I/O, freed when the
 * media is released (cache_media_release). */
struct cache_dev {
    struct cache_link node;    /* in cache_state.devs */
    struct media *m;           /* constant; valid until cache_media_release */
    const char *name;          /* the disk's name; constant */
    uint32_t key_salt;         /* mix of a serial unique to this object: in every key hash */
    uint32_t ss;               /* sector size, bytes */
    uint32_t spl;              /* sectors per line: 1, 2, 4 or 8 (a power of two) */
    unsigned spl_shift;        /* log2(spl) */
    uint32_t max_xfer;         /* sectors per driver request */
    lba_t capacity;            /* sectors */
    uint64_t wish_bytes;       /* adjust_cache_size answer */
    bool follow_budget;        /* the driver accepted the suggested size */
    size_t limit_lines;        /* share of the budget in lines (0 = uncached) */
    size_t lines;              /* lines with data (A1in + Am) */
    struct cache_link a1in, am, a1out;
    size_t n_a1in, n_am, n_a1out;
    /* Am's last eviction candidate (cache_am_victim_locked), valid while
     * am_gen (bumped by every change of Am's order) and the sketch's aging
     * epoch are what they were when it was chosen: a scan that evicts one
     * A1in line after the other compares with it without sampling again. */
    struct cache_line *am_memo;
    uint32_t am_gen, am_memo_gen, am_memo_epoch;
    struct cache_link dirty;   /* dirty lines, oldest first */
    size_t dirty_lines;
    unsigned busy;             /* users without a media reference (flusher, sync_all) */
    bool dead;                 /* release started: no new busy users */
    bool flushing;             /* a write-back runs (one at a time per media) */
    int sticky_err;            /* first write-back error since the last clean round */
    unsigned wb_failures;      /* consecutive failed flusher rounds */
    uint64_t retry_at_ms;      /* flusher: no retry before this */
    unsigned pass;             /* flusher pass that last visited this media */
    struct cache_stream streams[CACHE_STREAMS];
    uint64_t stream_clock;
    uint32_t req_seq;          /* cache requests on this media (wraps) */
    struct cache_stats st;     /* cached_/dirty_sectors kept current */
};

/* All state of the cache module. */
struct cache_global {
    struct mutex lock;         /* protects everything in this file's structures */
    struct condvar io_cv;      /* a READING line or a write-back finished */
    struct condvar flush_cv;   /* wakes the flusher */
    bool ready;
    uint64_t budget_bytes;     /* global budget */
    size_t lines;              /* lines with data, all media */
    struct cache_line **hash;  /* buckets */
    size_t hash_mask;          /* buckets - 1 */
    struct cache_link devs;    /* every struct cache_dev */
    uint32_t dirty_age_ms;
    struct thread *flusher;    /* running flusher or NULL */
    bool flusher_stop;
    unsigned pass;             /* flusher pass counter */
    struct cache_stats gone;   /* counters of released media (global totals) */
    bool ra_off;               /* read-ahead disabled (bench: policy-only hit ratios) */
    bool freq_off;             /* TinyLFU admission disabled (bench: plain 2Q) */
    uint8_t *spare_data[CACHE_SPARES]; /* recycled line buffers (cache.c) */
    unsigned n_spare_data;
    struct cache_line *spare_records;  /* recycled line records, chained by hnext */
    unsigned n_spare_records;
    uint8_t *freq;             /* cache_freq.c: count-min sketch counters */
    size_t freq_mask;          /* counters - 1 */
    size_t freq_adds;          /* references since the last halving */
    size_t freq_age_at;        /* halve after this many references */
    uint32_t freq_epoch;       /* halvings so far */
    uint32_t next_serial;      /* serial of the next struct cache_dev (key_salt) */
};
extern struct cache_global cache_state;

/* First sector of the line holding sector lba, the sector's index in it, and
 * the line's number. Masks and shifts: 64-bit division is a library call on
 * i386, and these run for every sector looked up. */
static inline lba_t cache_line_start(const struct cache_dev *cd, lba_t lba)
{
    return lba & ~(lba_t)(cd->spl - 1);
}

static inline unsigned cache_index_in_line(const struct cache_dev *cd, lba_t lba)
{
    return (unsigned)lba & (cd->spl - 1);
}

static inline lba_t cache_line_number(const struct cache_dev *cd, lba_t lba)
{
    return lba >> cd->spl_shift;
}

/* Murmur3's 32-bit finaliser: every input bit affects every output bit. */
static inline uint32_t cache_mix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    return h;
}

/* 32-bit hash of a line key (media, line number), seeded. The media is
 * named by a salt made from its cache object's serial, not by its address:
 * a new media whose object lands where a released one was must not inherit
 * that one's reference counts in the frequency sketch, and the hash (so
 * every hit ratio) no longer depends on where the heap put things. */
static inline uint32_t cache_key_hash(const struct cache_dev *cd, lba_t line_lba, uint32_t seed)
{
    lba_t n = cache_line_number(cd, line_lba);
    uint32_t h = cache_mix32((uint32_t)n ^ seed);
    h = cache_mix32(h ^ (uint32_t)(n >> 32) ^ cd->key_salt);
    return h;
}

/* ---- cache.c ------------------------------------------------------------------------------ */
struct cache_line *cache_lookup_locked(struct cache_dev *cd, lba_t line_lba);
/* Does the cache hold sector lba of m as valid data? (white-box tests) */
bool cache_holds(struct media *m, lba_t lba);
/* After a write-back: free line l if it only exists for a CACHE_DIRECT write
 * (LINE_DROP) and is now clean and idle. */
void cache_drop_written_locked(struct cache_line *l);
/* Give the recycled line buffers and records back to the heap; returns the
 * bytes freed. */
size_t cache_release_spares_locked(void);
/* Free every line of cd (dirty ones too: the caller has counted them). */
void cache_dev_free_lines_locked(struct cache_dev *cd);
/* Evict clean lines of cd while it holds more than `keep` lines. */
size_t cache_dev_shrink_locked(struct cache_dev *cd, size_t keep);
void cache_dev_set_limit_locked(struct cache_dev *cd);
/* Add a released media's counters to the global totals. */
void cache_stats_retire_locked(const struct cache_stats *st);
void cache_link_init(struct cache_link *l);
void cache_link_del(struct cache_link *l);
void cache_link_add_tail(struct cache_link *head, struct cache_link *l);
bool cache_link_empty(const struct cache_link *head);

/* ---- cache_freq.c (TinyLFU frequency sketch) ---------------------------------------------- */
/* Size the sketch for a budget of `budget_lines` lines (grows only). */
int cache_freq_resize_locked(size_t budget_lines);
/* Count one reference to the line key (cd, line_lba). */
void cache_freq_add_locked(const struct cache_dev *cd, lba_t line_lba);
/* Recent references to the key (0..255, an overestimate at worst). */
unsigned cache_freq_estimate_locked(const struct cache_dev *cd, lba_t line_lba);

/* ---- cache_wb.c --------------------------------------------------------------------------- */
/* Register the memory-pressure reclaimer (from cache_init). */
void cache_wb_init(void);
/* Write back every dirty line of cd; the caller keeps cd alive (media
 * reference or busy). No lock held. Returns 0 or the first error. */
int cache_dev_writeback(struct cache_dev *cd);
/* Mark a line dirty after a write into `mask` (locked). */
void cache_line_dirty_locked(struct cache_line *l, uint8_t mask);
void cache_kick_flusher_locked(void);
/* Every media with a cache, in creation order, each with a media reference
 * the caller drops (media_put); kfree the array. 0 or ERR_NOMEM. No lock. */
int cache_snapshot_media(struct media ***out, size_t *count);

/* ---- hooks for disk.c --------------------------------------------------------------------- */
/* DiskDel, before the media goes away: write back what can be written and
 * flush the device. Caller holds a media reference, no lock. */
void cache_media_flush_before_removal(struct media *m);
/* The media's last reference is gone (before closemedia): drop its lines,
 * logging dirty sectors that can no longer be written. No lock held. */
void cache_media_release(struct media *m);

#endif
