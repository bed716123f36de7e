// SPDX-License-Identifier: MIT
/* The sector cache (see cache.h): lookup, 2Q replacement, and the read and
 * write paths. Write-back, the flusher and the media lifetime hooks are in
 * cache_wb.c, the shell commands in cache_cmds.c.
 *
 * Data model. A media's sectors are grouped into 4 KiB lines (spl = 4096 /
 * sector size sectors each), with a valid and a dirty bit per sector, so a
 * one-sector write needs no read and the read of a missing sector fetches
 * its whole line. Lines live in one global hash table keyed by (media,
 * line); ghosts (keys of lines recently evicted from A1in, no data) live in
 * it too, bounded to half a media's share.
 * 2Q per media: Kin = 1/32 of the share for A1in, Kout = 1/2 for A1out,
 * with TinyLFU admission into Am (cache_freq.c). A miss puts a line in A1in
 * (file data, read-ahead) or Am (metadata, or a ghost hit worth admitting); a
 * hit moves an Am line to the front, and promotes an A1in line to Am only
 * when it is not correlated with the previous reference
 * (CACHE_CORRELATED_REQS) - else a hot set that fits while the cache fills
 * would never leave A1in and the first scan would flush it - and is worth
 * admitting. "Worth" = recent references from the frequency sketch, plus
 * CACHE_SYS_WORTH for metadata; a candidate enters a full Am only if worth
 * more than Am's victim. Eviction takes the A1in tail while A1in is over
 * Kin - unless it is worth more than Am's victim, which then goes in its
 * place - else Am's victim: the least worth of the CACHE_AM_SAMPLE clean
 * idle lines nearest Am's LRU end. Dirty, reading or written-back lines are
 * skipped (rotated to the front in A1in; at most CACHE_EVICT_SCAN looked at
 * per eviction). Read-ahead lines that leave A1in unread are counted as
 * wasted and leave no ghost; their first read is a first reference (it
 * counts, but does not promote them). Measured (tools/bench/cache_bench.c,
 * 4096 lines, no read-ahead): the sketch and the small A1in lift zipf(0.9)
 * from 0.61 to 0.62 and the FAT-like mix from 0.30 to 0.32, with the same
 * scan resistance. That is 0.98 of a perfect LFU (exact counts of every
 * line ever seen, unlimited memory: 0.631 and 0.326) and 0.87 / 0.82 of
 * MIN; on independent references no policy that does not know the future
 * beats A0, which keeps the truly most probable lines and gets 0.90 of MIN
 * at this size (the bench's sweep shows 0.89..0.93 from 1/64 to 1/4 of
 * the footprint, where ours reaches 0.87..0.90).
 * A missing run is read with LINE_READING set on its lines: another reader
 * needing those sectors waits on io_cv instead of asking the driver again;
 * a writer just writes (the fill never overwrites a valid sector). A line is
 * filled only when the driver delivered all its sectors, otherwise it is
 * dropped (if it held nothing else): no half-read line is ever visible.
 * Locking: cache_state.lock over everything, released around driver calls. */
#include "blkdev/cache.h"
#include "blkdev/cache_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/time.h"

struct cache_global cache_state;

/* ---- lists -------------------------------------------------------------------------------- */

void cache_link_init(struct cache_link *l)
{
    l->prev = l->next = l;
}

void cache_link_del(struct cache_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l->next = l;
}

static void cache_link_add_head(struct cache_link *head, struct cache_link *l)
{
    l->next = head->next;
    l->prev = head;
    head->next->prev = l;
    head->next = l;
}

void cache_link_add_tail(struct cache_link *head, struct cache_link *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

bool cache_link_empty(const struct cache_link *head)
{
    return head->next == head;
}

#define LINE_OF_Q(link) container_of(link, struct cache_line, q)

/* ---- hash table --------------------------------------------------------------------------- */

static size_t cache_hash(const struct cache_dev *cd, lba_t line_lba)
{
    return (size_t)cache_key_hash(cd, line_lba, 0x9E3779B9u) & cache_state.hash_mask;
}

struct cache_line *cache_lookup_locked(struct cache_dev *cd, lba_t line_lba)
{
    struct cache_line *l = cache_state.hash[cache_hash(cd, line_lba)];
    while (l && (l->dev != cd || l->lba != line_lba))
        l = l->hnext;
    return l;
}

static void cache_hash_insert_locked(struct cache_line *l)
{
    struct cache_line **b = &cache_state.hash[cache_hash(l->dev, l->lba)];
    l->hnext = *b;
    *b = l;
}

static void cache_hash_remove_locked(struct cache_line *l)
{
    struct cache_line **p = &cache_state.hash[cache_hash(l->dev, l->lba)];
    while (*p != l)
        p = &(*p)->hnext;
    *p = l->hnext;
}

/* Buckets for a budget: one per line of budget, at least 1024 (load <= 1.5
 * with ghosts). */
static size_t cache_hash_buckets_for(uint64_t budget_bytes)
{
    uint64_t want = MAX(budget_bytes / CACHE_LINE_BYTES, (uint64_t)1024);
    size_t n = 1024;
    while (n < want && n < ((size_t)1 << 26))
        n <<= 1;
    return n;
}

/* Move every line into a new table of `n` buckets. */
static int cache_hash_resize_locked(size_t n)
{
    struct cache_line **nh = kzalloc(n * sizeof(*nh));
    if (!nh)
        return ERR_NOMEM;
    struct cache_line **old = cache_state.hash;
    size_t old_n = cache_state.hash_mask + 1;
    cache_state.hash = nh;
    cache_state.hash_mask = n - 1;
    for (size_t i = 0; old && i < old_n; i++) {
        struct cache_line *l = old[i];
        while (l) {
            struct cache_line *next = l->hnext;
            cache_hash_insert_locked(l);
            l = next;
        }
    }
    kfree(old);
    return 0;
}

/* ---- queues and lines --------------------------------------------------------------------- */

static unsigned cache_popcount8(uint8_t v)
{
    unsigned n = 0;
    for (; v; v &= (uint8_t)(v - 1))
        n++;
    return n;
}

static size_t *cache_queue_count(struct cache_dev *cd, unsigned q)
{
    return q == CQ_A1IN ? &cd->n_a1in : q == CQ_AM ? &cd->n_am : &cd->n_a1out;
}

static struct cache_link *cache_queue_head(struct cache_dev *cd, unsigned q)
{
    return q == CQ_A1IN ? &cd->a1in : q == CQ_AM ? &cd->am : &cd->a1out;
}

static void cache_queue_remove_locked(struct cache_line *l)
{
    if (l->queue == CQ_NONE)
        return;
    if (l->queue == CQ_AM)
        l->dev->am_gen++;
    (*cache_queue_count(l->dev, l->queue))--;
    cache_link_del(&l->q);
    l->queue = CQ_NONE;
}

static void cache_queue_push_locked(struct cache_line *l, unsigned q)
{
    cache_queue_remove_locked(l);
    cache_link_add_head(cache_queue_head(l->dev, q), &l->q);
    (*cache_queue_count(l->dev, q))++;
    l->queue = (uint8_t)q;
    if (q == CQ_AM)
        l->dev->am_gen++;
}

static size_t cache_kin(const struct cache_dev *cd);

/* What keeping line key (cd, lba) is worth for TinyLFU: its recent
 * references (cache_freq.c), plus CACHE_SYS_WORTH for metadata - the
 * KolibriOS sys/app hint: a metadata miss stalls a whole file operation, and
 * a one-pass scan whose sketch counters collide must not displace it. */
static unsigned cache_worth_locked(const struct cache_dev *cd, lba_t lba, bool sys)
{
    return cache_freq_estimate_locked(cd, lba) + (sys ? CACHE_SYS_WORTH : 0);
}

/* TinyLFU admission: may line key (cd, lba) enter Am? Yes while Am has room
 * next to A1in's share, else only if it is worth more than Am's least
 * recently used line. */
static bool cache_admit_am_locked(struct cache_dev *cd, lba_t lba, bool sys)
{
    if (cache_state.freq_off || cd->n_am + cache_kin(cd) < cd->limit_lines ||
        cache_link_empty(&cd->am))
        return true;
    const struct cache_line *tail = LINE_OF_Q(cd->am.prev);
    return cache_worth_locked(cd, lba, sys) >
           cache_worth_locked(cd, tail->lba, tail->flags & LINE_SYS);
}

/* A reference to a line with data: 2Q bookkeeping and read-ahead accounting.
 * A line read or written in pieces by consecutive requests (a file read in
 * 512-byte calls) is used once, not once per piece: only the first piece
 * counts in the frequency sketch, or one pass of small reads would outweigh
 * a line that was really used twice. A read-ahead line's first read is its
 * first reference (nothing counted it when it came in), however long after
 * the read-ahead it comes: it counts, but does not promote it, so a scan
 * never reaches Am. */
static void cache_touch_locked(struct cache_line *l, enum cache_class cls)
{
    uint32_t seq = l->dev->req_seq;
    if (cls == CACHE_DIRECT)
        return; /* cached elsewhere: not a reference */
    l->flags &= (uint8_t)~LINE_DROP; /* wanted here after all */
    if ((l->flags & LINE_RA) || seq - l->last_ref > 1)
        cache_freq_add_locked(l->dev, l->lba);
    if (cls == CACHE_SYS)
        l->flags |= LINE_SYS;
    if (l->queue == CQ_AM && l->dev->am.next != &l->q)
        cache_queue_push_locked(l, CQ_AM);
    else if (l->queue == CQ_A1IN && !(l->flags & LINE_RA) &&
             seq - l->last_ref > CACHE_CORRELATED_REQS &&
             cache_admit_am_locked(l->dev, l->lba, l->flags & LINE_SYS))
        cache_queue_push_locked(l, CQ_AM); /* referenced again, uncorrelated */
    l->last_ref = seq;
    if (l->flags & LINE_RA) {
        l->flags &= (uint8_t)~LINE_RA;
        l->dev->st.ra_used++;
    }
}

static size_t cache_kin(const struct cache_dev *cd)
{
    return MAX(cd->limit_lines / 32, (size_t)1);
}

static size_t cache_kout(const struct cache_dev *cd)
{
    return MAX(cd->limit_lines / 32, (size_t)1);
}

/* ---- recycled memory ---------------------------------------------------------------------- */
/* Lines come and go at the rate data streams through the cache (one per
 * 4 KiB), so the buffers and line records of evicted lines are kept on two
 * short free lists (CACHE_SPARES each) and reused before asking the heap:
 * measured under TCG (icount), a line's allocate/evict cycle costs a third
 * less. cache_release_spares_locked gives them back under memory pressure. */

static uint8_t *cache_data_alloc_locked(void)
{
    if (cache_state.n_spare_data == 0)
        return kmalloc(CACHE_LINE_BYTES);
    return cache_state.spare_data[--cache_state.n_spare_data];
}

static void cache_data_free_locked(uint8_t *data)
{
    if (cache_state.n_spare_data < CACHE_SPARES)
        cache_state.spare_data[cache_state.n_spare_data++] = data;
    else
        kfree(data);
}

/* A zeroed line record. */
static struct cache_line *cache_record_alloc_locked(void)
{
    struct cache_line *l = cache_state.spare_records;
    if (!l)
        return kzalloc(sizeof(*l));
    cache_state.spare_records = l->hnext;
    cache_state.n_spare_records--;
    memset(l, 0, sizeof(*l));
    return l;
}

static void cache_record_free_locked(struct cache_line *l)
{
    if (cache_state.n_spare_records < CACHE_SPARES) {
        l->hnext = cache_state.spare_records;
        cache_state.spare_records = l;
        cache_state.n_spare_records++;
    } else {
        kfree(l);
    }
}

size_t cache_release_spares_locked(void)
{
    size_t bytes = (size_t)cache_state.n_spare_data * CACHE_LINE_BYTES;
    while (cache_state.n_spare_data)
        kfree(cache_state.spare_data[--cache_state.n_spare_data]);
    while (cache_state.spare_records) {
        struct cache_line *l = cache_state.spare_records;
        cache_state.spare_records = l->hnext;
        kfree(l);
        bytes += sizeof(*l);
    }
    cache_state.n_spare_records = 0;
    return bytes;
}

/* Forget a line entirely (data and key). */
static void cache_line_free_locked(struct cache_line *l)
{
    struct cache_dev *cd = l->dev;
    KASSERT(l->dirty_mask == 0 || cd->dead);
    cache_queue_remove_locked(l);
    cache_hash_remove_locked(l);
    if (l->dirty_mask) {
        cache_link_del(&l->dirty);
        cd->dirty_lines--;
        cd->st.dirty_sectors -= cache_popcount8(l->dirty_mask);
    }
    if (l->data) {
        cache_data_free_locked(l->data);
        cd->lines--;
        cache_state.lines--;
        cd->st.cached_sectors -= cache_popcount8(l->valid_mask);
    }
    cache_record_free_locked(l);
}

void cache_drop_written_locked(struct cache_line *l)
{
    if ((l->flags & (LINE_DROP | LINE_READING | LINE_WB)) == LINE_DROP && l->dirty_mask == 0) {
        l->dev->st.evictions++;
        cache_line_free_locked(l);
    }
}

/* Drop the oldest ghosts while A1out is over Kout. */
static void cache_trim_ghosts_locked(struct cache_dev *cd, size_t keep)
{
    while (cd->n_a1out > keep)
        cache_line_free_locked(LINE_OF_Q(cd->a1out.prev));
}

/* Evict one clean line of l's media: a referenced A1in line becomes a ghost,
 * anything else is freed. */
static void cache_evict_locked(struct cache_line *l)
{
    struct cache_dev *cd = l->dev;
    cd->st.evictions++;
    if (l->queue == CQ_A1IN && !(l->flags & LINE_RA)) {
        cache_data_free_locked(l->data);
        l->data = NULL;
        cd->lines--;
        cache_state.lines--;
        cd->st.cached_sectors -= cache_popcount8(l->valid_mask);
        l->valid_mask = 0;
        cache_queue_push_locked(l, CQ_A1OUT);
        cache_trim_ghosts_locked(cd, cache_kout(cd));
        return;
    }
    if (l->flags & LINE_RA)
        cd->st.ra_wasted++;
    cache_line_free_locked(l);
}

/* Look at up to CACHE_EVICT_SCAN lines from the tail of queue q for a clean
 * idle one; busy lines are rotated to the front. */
static struct cache_line *cache_victim_in_locked(struct cache_dev *cd, unsigned q,
                                                 unsigned *budget)
{
    struct cache_link *head = cache_queue_head(cd, q);
    while (*budget > 0 && !cache_link_empty(head)) {
        struct cache_line *l = LINE_OF_Q(head->prev);
        (*budget)--;
        if (l->dirty_mask == 0 && !(l->flags & (LINE_READING | LINE_WB)))
            return l;
        cache_queue_push_locked(l, q); /* second chance while it is busy */
    }
    return NULL;
}

/* Am's eviction candidate: of the CACHE_AM_SAMPLE idle clean lines nearest
 * its LRU end, the one referenced least often (the older one on a tie);
 * NULL if none is idle within *budget lines. *worth_out: its worth. The
 * choice is remembered (cd->am_memo) until Am's order or the sketch's
 * epoch changes; the remembered line's own worth is looked up again, since
 * its counters may have grown. */
static struct cache_line *cache_am_victim_locked(struct cache_dev *cd, unsigned *budget,
                                                 unsigned *worth_out)
{
    struct cache_line *best = cd->am_memo;
    unsigned best_freq = 0, seen = 0;
    struct cache_link *next;
    if (best && cd->am_memo_gen == cd->am_gen && cd->am_memo_epoch == cache_state.freq_epoch &&
        best->dirty_mask == 0 && !(best->flags & (LINE_READING | LINE_WB))) {
        *worth_out = cache_state.freq_off ? 0
                                          : cache_worth_locked(cd, best->lba,
                                                               best->flags & LINE_SYS);
        return best;
    }
    best = NULL;
    for (struct cache_link *n = cd->am.prev; n != &cd->am && *budget > 0 && seen < CACHE_AM_SAMPLE;
         n = next) {
        struct cache_line *l = LINE_OF_Q(n);
        next = n->prev;
        (*budget)--;
        if (l->dirty_mask != 0 || (l->flags & (LINE_READING | LINE_WB))) {
            cache_queue_push_locked(l, CQ_AM); /* out of the way while it is busy */
            continue;
        }
        seen++;
        unsigned f = cache_state.freq_off ? 0 : cache_worth_locked(cd, l->lba, l->flags & LINE_SYS);
        if (!best || f < best_freq) {
            best = l;
            best_freq = f;
        }
    }
    cd->am_memo = best;
    cd->am_memo_gen = cd->am_gen; /* after the busy lines were moved */
    cd->am_memo_epoch = cache_state.freq_epoch;
    *worth_out = best_freq;
    return best;
}

/* Evict one line of cd following 2Q. Returns false if none could go. */
static bool cache_evict_one_locked(struct cache_dev *cd)
{
    /* Each queue gets its own look-at budget, never more than its length:
     * a probation queue full of dirty lines must not hide Am's clean ones. */
    unsigned in_budget = (unsigned)MIN((size_t)CACHE_EVICT_SCAN, cd->n_a1in);
    unsigned am_budget = (unsigned)MIN((size_t)CACHE_EVICT_SCAN, cd->n_am);
    bool a1in_first = cd->n_a1in > cache_kin(cd) || cd->n_am == 0;
    unsigned am_worth;
    struct cache_line *v = a1in_first ? cache_victim_in_locked(cd, CQ_A1IN, &in_budget)
                                      : cache_am_victim_locked(cd, &am_budget, &am_worth);
    if (!v)
        v = a1in_first ? cache_am_victim_locked(cd, &am_budget, &am_worth)
                       : cache_victim_in_locked(cd, CQ_A1IN, &in_budget);
    if (!v)
        return false;
    /* TinyLFU admission (cache_freq.c): a probation line referenced more
     * often than Am's candidate takes that line's place instead of leaving. */
    if (v->queue == CQ_A1IN && !(v->flags & LINE_RA) && cd->n_am > 0 && !cache_state.freq_off) {
        struct cache_line *am_v = cache_am_victim_locked(cd, &am_budget, &am_worth);
        if (am_v && cache_worth_locked(cd, v->lba, v->flags & LINE_SYS) > am_worth) {
            cache_queue_push_locked(v, CQ_AM);
            v = am_v;
        }
    }
    cache_evict_locked(v);
    return true;
}

size_t cache_dev_shrink_locked(struct cache_dev *cd, size_t keep)
{
    size_t n = 0;
    while (cd->lines > keep && cache_evict_one_locked(cd))
        n++;
    cache_trim_ghosts_locked(cd, MIN(cache_kout(cd), keep / 2));
    return n;
}

/* Make room for one more line of cd: within its share and the budget. */
static bool cache_make_room_locked(struct cache_dev *cd)
{
    if (cd->lines >= cd->limit_lines && !cache_evict_one_locked(cd))
        return false;
    size_t budget_lines = (size_t)(cache_state.budget_bytes / CACHE_LINE_BYTES);
    while (cache_state.lines >= budget_lines) {
        /* Over the global budget: take from the media holding the most. */
        struct cache_dev *big = NULL;
        for (struct cache_link *n = cache_state.devs.next; n != &cache_state.devs; n = n->next) {
            struct cache_dev *o = container_of(n, struct cache_dev, node);
            if (!big || o->lines > big->lines)
                big = o;
        }
        if (!big || !cache_evict_one_locked(big))
            return false;
    }
    return true;
}

/* A line with data for [line_lba, +spl) of cd, in the queue 2Q gives it
 * (reusing a ghost). Returns 0, ERR_NOSPC (nothing evictable), ERR_NOMEM. */
static int cache_line_get_new_locked(struct cache_dev *cd, lba_t line_lba, enum cache_class cls,
                                     bool ra, struct cache_line **out)
{
    /* Room first: evicting may free the very ghost this line would reuse.
     * When every line is busy (dirty, being read or written back by other
     * threads), overshoot the share by at most 1/8: write-back and the
     * writer throttle bring it back. */
    if (!cache_make_room_locked(cd) &&
        (cd->limit_lines == 0 || cd->lines >= cd->limit_lines + cd->limit_lines / 8 + 1))
        return ERR_NOSPC;
    struct cache_line *l = cache_lookup_locked(cd, line_lba);
    KASSERT(!l || !l->data);
    uint8_t *data = cache_data_alloc_locked();
    if (!data)
        return ERR_NOMEM;
    bool ghost_hit = l != NULL;
    if (!l) {
        l = cache_record_alloc_locked();
        if (!l) {
            cache_data_free_locked(data);
            return ERR_NOMEM;
        }
        l->dev = cd;
        l->lba = line_lba;
        cache_link_init(&l->q);
        cache_link_init(&l->dirty);
        cache_hash_insert_locked(l);
    }
    l->data = data;
    l->valid_mask = 0;
    l->last_ref = cd->req_seq;
    l->flags = (uint8_t)((ra ? LINE_RA : 0) | (cls == CACHE_SYS ? LINE_SYS : 0) |
                         (cls == CACHE_DIRECT ? LINE_DROP : 0));
    if (!ra && cls != CACHE_DIRECT)
        cache_freq_add_locked(cd, line_lba);
    cd->lines++;
    cache_state.lines++;
    /* 2Q: seen again after probation, or metadata -> protected queue. */
    bool protect = !ra && cls != CACHE_DIRECT &&
                   (cls == CACHE_SYS || (ghost_hit && cache_admit_am_locked(cd, line_lba, false)));
    cache_queue_push_locked(l, protect ? CQ_AM : CQ_A1IN);
    *out = l;
    return 0;
}

void cache_dev_free_lines_locked(struct cache_dev *cd)
{
    unsigned qs[] = { CQ_A1IN, CQ_AM, CQ_A1OUT };
    for (size_t i = 0; i < ARRAY_SIZE(qs); i++) {
        struct cache_link *head = cache_queue_head(cd, qs[i]);
        while (!cache_link_empty(head))
            cache_line_free_locked(LINE_OF_Q(head->next));
    }
}

/* ---- media cache objects ------------------------------------------------------------------ */

void cache_dev_set_limit_locked(struct cache_dev *cd)
{
    uint64_t bytes = cache_state.budget_bytes;
    if (!cd->follow_budget)
        bytes = MIN(bytes, cd->wish_bytes);
    cd->limit_lines = (size_t)(bytes / CACHE_LINE_BYTES);
}

/* The cache object of m, created at its first use. */
static int cache_dev_get(struct media *m, struct cache_dev **out)
{
    mutex_lock(&cache_state.lock);
    struct cache_dev *cd = m->cache;
    uint64_t budget = cache_state.budget_bytes;
    mutex_unlock(&cache_state.lock);
    if (cd) {
        *out = cd;
        return 0;
    }
    /* 1. The driver's wish, asked with no lock held (0 = do not cache). */
    unsigned suggested = (unsigned)MIN(budget, (uint64_t)UINT32_MAX);
    unsigned wish = disk_adjust_cache_size(m->disk, suggested);
    cd = kzalloc(sizeof(*cd));
    if (!cd)
        return ERR_NOMEM;
    cd->m = m;
    cd->name = disk_name(m->disk);
    cd->ss = m->sector_size;
    cd->spl = CACHE_LINE_BYTES / m->sector_size;
    while ((1u << cd->spl_shift) < cd->spl)
        cd->spl_shift++;
    cd->max_xfer = CACHE_MAX_TRANSFER_BYTES / m->sector_size;
    cd->capacity = m->capacity;
    cd->wish_bytes = wish;
    cd->follow_budget = wish >= suggested;
    cache_link_init(&cd->a1in);
    cache_link_init(&cd->am);
    cache_link_init(&cd->a1out);
    cache_link_init(&cd->dirty);
    /* 2. Publish, unless another thread was faster. */
    mutex_lock(&cache_state.lock);
    if (m->cache) {
        kfree(cd);
        cd = m->cache;
    } else {
        cd->key_salt = cache_mix32(cache_state.next_serial++ ^ 0x9E3779B9u);
        cache_dev_set_limit_locked(cd);
        cache_link_add_tail(&cache_state.devs, &cd->node);
        m->cache = cd;
        if (cd->limit_lines == 0)
            pr_info("cache: %s: uncached (driver asked for %u bytes)", cd->name, wish);
    }
    mutex_unlock(&cache_state.lock);
    *out = cd;
    return 0;
}

/* Start a cached I/O: returns true with cache_state.lock held and *out set,
 * or false (unlocked) when the I/O goes straight to the driver: the media is
 * gone (the driver path reports it), or it may not cache and holds nothing. */
static bool cache_begin(struct media *m, struct cache_dev **out)
{
    struct cache_dev *cd;
    if (m->removed)
        return false;
    mutex_lock(&cache_state.lock);
    cd = m->cache;
    if (!cd) {
        mutex_unlock(&cache_state.lock);
        if (cache_dev_get(m, &cd))
            return false; /* no memory for the cache object: uncached */
        mutex_lock(&cache_state.lock);
    }
    if (cd->limit_lines == 0 && cd->lines == 0 && cd->n_a1out == 0) {
        mutex_unlock(&cache_state.lock);
        return false;
    }
    cd->req_seq++;
    *out = cd;
    return true;
}

/* ---- read path ---------------------------------------------------------------------------- */

/* Stream detection: a read that starts where a recent one ended continues
 * that stream, whose window doubles (from two lines) up to the limit; any
 * other read starts a new stream with no read-ahead. Returns the window.
 * *long_stream: the stream has read more than the media's whole share - the
 * rest of it cannot stay cached anyway (drop-behind, see cache_read). */
static uint32_t cache_readahead_locked(struct cache_dev *cd, lba_t lba, uint32_t count,
                                       bool *long_stream)
{
    uint32_t ra_max = MIN(CACHE_RA_MAX_BYTES / cd->ss,
                          (uint32_t)MIN(cd->limit_lines * cd->spl / 8, (size_t)UINT32_MAX));
    struct cache_stream *lru = &cd->streams[0];
    cd->stream_clock++;
    if (cache_state.ra_off)
        ra_max = 0;
    for (unsigned i = 0; i < CACHE_STREAMS; i++) {
        struct cache_stream *s = &cd->streams[i];
        if (s->last_use && s->next_lba == lba) {
            s->window = s->window ? MIN(s->window * 2, ra_max) : MIN(MAX(count, 2 * cd->spl),
                                                                     ra_max);
            s->next_lba = lba + count;
            s->last_use = cd->stream_clock;
            s->length += count;
            *long_stream = s->length > (uint64_t)cd->limit_lines * cd->spl;
            return s->window;
        }
        if (s->last_use < lru->last_use)
            lru = s;
    }
    *lru = (struct cache_stream){ lba + count, 0, cd->stream_clock, count };
    *long_stream = false;
    return 0;
}

/* Lay the valid sectors of line l that are not in `skip` over dst, which
 * holds the driver's copy of sectors [s, s + n) (a cached sector may be
 * dirty, hence newer than the media). */
static void cache_overlay_line_locked(struct cache_dev *cd, const struct cache_line *l,
                                      uint8_t skip, lba_t s, uint32_t n, uint8_t *dst)
{
    uint8_t newer = (uint8_t)(l->valid_mask & ~skip);
    for (unsigned k = 0; newer && k < cd->spl; k++) {
        lba_t lba = l->lba + k;
        if (!((newer >> k) & 1) || lba < s || lba >= s + n)
            continue;
        memcpy(dst + (size_t)(lba - s) * cd->ss, l->data + (size_t)k * cd->ss, cd->ss);
    }
}

/* The same for every cached line over [s, s + n): one lookup per line. */
static void cache_overlay_locked(struct cache_dev *cd, lba_t s, uint32_t n, uint8_t *dst)
{
    for (lba_t L = cache_line_start(cd, s); L < s + n; L += cd->spl) {
        const struct cache_line *l = cache_lookup_locked(cd, L);
        if (l && l->data)
            cache_overlay_line_locked(cd, l, 0, s, n, dst);
    }
}

/* Read [s, s + n) straight into dst without inserting lines. Locked on entry
 * and exit; the lock is dropped around the driver call. */
static int cache_read_direct_locked(struct cache_dev *cd, lba_t s, uint32_t n, uint8_t *dst,
                                    uint32_t *delivered)
{
    uint32_t got = 0;
    mutex_unlock(&cache_state.lock);
    int rc = media_driver_read(cd->m, s, n, dst, &got);
    mutex_lock(&cache_state.lock);
    cd->st.driver_reads++;
    cd->st.driver_read_sectors += got;
    cd->st.misses += got;
    cache_overlay_locked(cd, s, got, dst);
    *delivered = got;
    return rc;
}

/* Read the missing run that starts at sector s (wanted: `want` sectors,
 * plus `ra` sectors of read-ahead past the request) into new or partly valid
 * lines and deliver the requested part to dst. Locked on entry and exit. */
static int cache_fill_locked(struct cache_dev *cd, lba_t s, uint32_t want, uint32_t ra,
                             enum cache_class cls, uint8_t *dst, uint32_t *delivered)
{
    struct cache_line *run[CACHE_MAX_TRANSFER_BYTES / CACHE_LINE_BYTES];
    size_t nlines = 0;
    lba_t first = cache_line_start(cd, s), req_end = s + want, L = first;
    int rc;

    /* 1. The run: lines not fully valid and not being read, up to the end of
     *    the request, then read-ahead lines that are absent. A large read of
     *    file data (a quarter of the share, at least one maximal request)
     *    bypasses insertion (step 3): it would flush A1in wholesale for data
     *    that is most likely read once. */
    bool bypass = cls == CACHE_DIRECT ||
                  (cls == CACHE_APP &&
                   want >= MAX(cd->limit_lines * cd->spl / 4, (size_t)cd->max_xfer));
    uint32_t max_lines = MIN(cd->max_xfer / cd->spl, (uint32_t)ARRAY_SIZE(run));
    while (!bypass && nlines < max_lines && L < cd->capacity) {
        bool in_req = L < req_end;
        if (!in_req && L >= req_end + ra)
            break;
        struct cache_line *l = cache_lookup_locked(cd, L);
        bool has_data = l && l->data;
        if (has_data && (l->flags & LINE_READING))
            break;
        if (in_req && has_data && l->valid_mask == (uint8_t)((1u << cd->spl) - 1))
            break; /* a hit line ends the run */
        if (!in_req && l && l->data)
            break; /* read-ahead only into lines we do not have */
        if (!has_data) {
            rc = cache_line_get_new_locked(cd, L, cls, !in_req, &l);
            if (rc)
                break; /* no room: read what we have, or directly (step 3) */
        }
        l->flags |= LINE_READING;
        run[nlines++] = l;
        L += cd->spl;
    }
    /* 3. Bypass, or nothing could be inserted: read the requested part
     *    directly into dst. */
    if (nlines == 0)
        return cache_read_direct_locked(cd, s, (uint32_t)MIN((lba_t)want, cd->max_xfer),
                                        dst, delivered);
    lba_t run_end = MIN(first + (lba_t)nlines * cd->spl, cd->capacity);
    uint32_t nsec = (uint32_t)(run_end - first);
    /* 4. One driver request for the whole run, no lock held: straight into
     *    dst when the run is exactly the start of the request (large reads),
     *    else into a bounce buffer. */
    bool into_dst = first == s && run_end <= req_end;
    uint8_t *io = into_dst ? dst : kmalloc((size_t)nsec * cd->ss);
    uint32_t got = 0;
    if (!io) {
        rc = ERR_NOMEM;
    } else {
        mutex_unlock(&cache_state.lock);
        rc = media_driver_read(cd->m, first, nsec, io, &got);
        mutex_lock(&cache_state.lock);
        cd->st.driver_reads++;
        cd->st.driver_read_sectors += got;
    }
    /* 5. Fill the invalid sectors of each line the driver delivered
     *    completely (sectors written meanwhile are newer and stay); drop the
     *    other lines unless they hold valid sectors of their own. */
    uint8_t filled[ARRAY_SIZE(run)];
    for (size_t i = 0; i < nlines; i++) {
        struct cache_line *l = run[i];
        lba_t off = l->lba - first;
        uint32_t in_cap = (uint32_t)MIN((lba_t)cd->spl, cd->capacity - l->lba);
        l->flags &= (uint8_t)~LINE_READING;
        filled[i] = 0;
        if (off + in_cap <= got) {
            uint8_t all = (uint8_t)((1u << in_cap) - 1);
            filled[i] = (uint8_t)(all & ~l->valid_mask);
            if (filled[i] == all) {
                memcpy(l->data, io + (size_t)off * cd->ss, (size_t)in_cap * cd->ss);
            } else {
                for (uint32_t k = 0; k < in_cap; k++)
                    if ((filled[i] >> k) & 1)
                        memcpy(l->data + (size_t)k * cd->ss, io + (size_t)(off + k) * cd->ss,
                               cd->ss);
            }
            l->valid_mask |= filled[i];
            cd->st.cached_sectors += cache_popcount8(filled[i]);
        } else if (l->valid_mask == 0) {
            cache_line_free_locked(l);
            run[i] = NULL;
        }
    }
    cond_broadcast(&cache_state.io_cv);
    /* 6. Hand over the requested sectors that arrived: the driver's copy,
     *    then the sectors the lines held before (or got from writers since),
     *    which are newer. Every requested sector lies in a run line. */
    uint32_t avail = 0;
    if (first + got > s)
        avail = (uint32_t)MIN((lba_t)want, first + got - s);
    if (io && !into_dst)
        memcpy(dst, io + (size_t)(s - first) * cd->ss, (size_t)avail * cd->ss);
    for (size_t i = 0; i < nlines; i++)
        if (run[i])
            cache_overlay_line_locked(cd, run[i], filled[i], s, avail, dst);
    cd->st.misses += avail;
    if (!into_dst)
        kfree(io);
    *delivered = avail;
    if (rc == 0 && avail == 0)
        rc = ERR_IO; /* cannot happen: the raw path reports a short read as an error */
    return rc;
}

int cache_read(struct media *m, lba_t lba, uint32_t count, void *buf, enum cache_class cls,
               uint32_t *done_out)
{
    struct cache_dev *cd;
    uint8_t *dst = buf;
    uint32_t done = 0;
    int rc = 0;

    /* 1. Gone media and uncached disks: the driver path does all checks. */
    if (!cache_begin(m, &cd))
        return media_driver_read(m, lba, count, buf, done_out);
    /* 2. Clip at the end of the media (overflow-safe). */
    bool clipped = false;
    if (lba >= m->capacity) {
        rc = count ? ERR_EOM : 0;
        goto out_unlock;
    }
    if (count > m->capacity - lba) {
        count = (uint32_t)(m->capacity - lba);
        clipped = true;
    }
    bool long_stream = false;
    uint32_t ra = cls == CACHE_DIRECT ? 0 : cache_readahead_locked(cd, lba, count, &long_stream);
    /* Drop-behind: file data of a sequential stream longer than the share,
     * read in large requests, is read like CACHE_DIRECT (cached lines used,
     * nothing inserted): each new line would only push out an older line of
     * the same stream, or other data, to be evicted itself before the stream
     * comes back. Small requests keep read-ahead, which needs the lines. */
    if (cls == CACHE_APP && long_stream &&
        (uint64_t)count * cd->ss >= CACHE_DROP_BEHIND_MIN_BYTES) {
        cls = CACHE_DIRECT;
        ra = 0;
    }
    /* 3. Serve valid sectors from their lines; a miss fills its run (step 4);
     *    a sector being read by another thread is waited for. */
    while (done < count) {
        lba_t s = lba + done;
        lba_t line_lba = cache_line_start(cd, s);
        unsigned idx = (unsigned)(s - line_lba);
        struct cache_line *l = cache_lookup_locked(cd, line_lba);
        if (l && l->data && (l->valid_mask >> idx) & 1) {
            uint32_t n = 0;
            while (idx + n < cd->spl && done + n < count && (l->valid_mask >> (idx + n)) & 1)
                n++;
            memcpy(dst + (size_t)done * cd->ss, l->data + (size_t)idx * cd->ss,
                   (size_t)n * cd->ss);
            cache_touch_locked(l, cls);
            cd->st.hits += n;
            done += n;
            continue;
        }
        if (l && l->data && (l->flags & LINE_READING)) {
            cond_wait(&cache_state.io_cv, &cache_state.lock);
            continue;
        }
        /* 4. One driver request for the missing run (plus read-ahead). */
        uint32_t got = 0;
        rc = cache_fill_locked(cd, s, count - done, ra, cls, dst + (size_t)done * cd->ss, &got);
        done += got;
        if (rc)
            break;
    }
    if (rc == 0 && clipped)
        rc = ERR_EOM;
out_unlock:
    mutex_unlock(&cache_state.lock);
    if (done_out)
        *done_out = done;
    return rc;
}

/* ---- write path --------------------------------------------------------------------------- */

int cache_write(struct media *m, lba_t lba, uint32_t count, const void *buf,
                enum cache_class cls, uint32_t *done_out)
{
    struct cache_dev *cd;
    const uint8_t *src = buf;
    uint32_t done = 0;
    int rc = 0;
    unsigned room_tries = 0;

    /* 1. Gone media, read-only media, drivers that cannot write, uncached
     *    disks: the driver path checks and refuses at once, or writes
     *    through. */
    if (m->readonly || !m->disk->has_write || !cache_begin(m, &cd))
        return media_driver_write(m, lba, count, buf, done_out);
    /* 2. Clip at the end of the media. */
    bool clipped = false;
    if (lba >= m->capacity) {
        mutex_unlock(&cache_state.lock);
        rc = count ? ERR_EOM : 0;
        goto out;
    }
    if (count > m->capacity - lba) {
        count = (uint32_t)(m->capacity - lba);
        clipped = true;
    }
    /* 3. Copy line by line, marking the sectors dirty. */
    while (done < count) {
        lba_t s = lba + done;
        lba_t line_lba = cache_line_start(cd, s);
        unsigned idx = (unsigned)(s - line_lba);
        uint32_t n = MIN(cd->spl - idx, count - done);
        struct cache_line *l = cache_lookup_locked(cd, line_lba);
        if (!l || !l->data) {
            if (cd->limit_lines == 0) {
                /* 3a. Uncached now (budget shrunk to 0): write through. */
                uint32_t got = 0;
                mutex_unlock(&cache_state.lock);
                rc = media_driver_write(m, s, n, src + (size_t)done * cd->ss, &got);
                mutex_lock(&cache_state.lock);
                cd->st.driver_writes++;
                cd->st.driver_write_sectors += got;
                done += got;
                if (rc)
                    break;
                continue;
            }
            rc = cache_line_get_new_locked(cd, line_lba, cls, false, &l);
            if (rc) {
                /* 3b. Full of dirty lines: write back and retry, a bounded
                 *     number of times; a failing write-back is the answer. */
                if (room_tries++ == CACHE_WRITE_ROOM_TRIES)
                    break;
                mutex_unlock(&cache_state.lock);
                int wrc = cache_dev_writeback(cd);
                mutex_lock(&cache_state.lock);
                if (wrc) {
                    rc = wrc;
                    break;
                }
                rc = 0;
                continue;
            }
        }
        memcpy(l->data + (size_t)idx * cd->ss, src + (size_t)done * cd->ss, (size_t)n * cd->ss);
        uint8_t mask = (uint8_t)(((1u << n) - 1) << idx);
        cd->st.cached_sectors += cache_popcount8(mask & (uint8_t)~l->valid_mask);
        l->valid_mask |= mask;
        cache_line_dirty_locked(l, mask);
        cache_touch_locked(l, cls);
        done += n;
    }
    if (rc == ERR_NOSPC)
        rc = ERR_NOMEM;
    /* 4. Too much dirty data: the flusher starts at 1/8 of the share, the
     *    writer itself writes back at 1/2 (throttling). */
    bool throttle = cd->dirty_lines > cd->limit_lines / 2;
    if (cd->dirty_lines > cd->limit_lines / 8)
        cache_kick_flusher_locked();
    mutex_unlock(&cache_state.lock);
    if (throttle)
        cache_dev_writeback(cd); /* an error stays sticky and is logged */
    if (rc == 0 && clipped)
        rc = ERR_EOM;
out:
    if (done_out)
        *done_out = done;
    return rc;
}

bool cache_holds(struct media *m, lba_t lba)
{
    bool yes = false;
    mutex_lock(&cache_state.lock);
    struct cache_dev *cd = m->cache;
    if (cd) {
        struct cache_line *l = cache_lookup_locked(cd, cache_line_start(cd, lba));
        yes = l && l->data && ((l->valid_mask >> cache_index_in_line(cd, lba)) & 1);
    }
    mutex_unlock(&cache_state.lock);
    return yes;
}

/* ---- partitions --------------------------------------------------------------------------- */

/* Translate a partition-relative request into a clipped whole-disk one. */
static int cache_part_transfer(struct media *m, bool write, unsigned part, lba_t lba,
                               uint32_t count, void *buf, enum cache_class cls, uint32_t *done)
{
    if (done)
        *done = 0;
    const struct part_info *p = media_part(m, part);
    if (!p)
        return ERR_NOENT;
    if (lba >= p->count_sectors)
        return count ? ERR_EOM : 0;
    bool clipped = count > p->count_sectors - lba;
    if (clipped)
        count = (uint32_t)(p->count_sectors - lba);
    int rc = write ? cache_write(m, p->first_lba + lba, count, buf, cls, done)
                   : cache_read(m, p->first_lba + lba, count, buf, cls, done);
    return (rc == 0 && clipped) ? ERR_EOM : rc;
}

int cache_part_read(struct media *m, unsigned part, lba_t lba, uint32_t count, void *buf,
                    enum cache_class cls, uint32_t *done)
{
    return cache_part_transfer(m, false, part, lba, count, buf, cls, done);
}

int cache_part_write(struct media *m, unsigned part, lba_t lba, uint32_t count,
                     const void *buf, enum cache_class cls, uint32_t *done)
{
    return cache_part_transfer(m, true, part, lba, count, (void *)(uintptr_t)buf, cls, done);
}

/* ---- administration ----------------------------------------------------------------------- */

void cache_init(void)
{
    if (cache_state.ready)
        return;
    mutex_init(&cache_state.lock, "cache");
    cond_init(&cache_state.io_cv);
    cond_init(&cache_state.flush_cv);
    cache_link_init(&cache_state.devs);
    cache_state.budget_bytes = CACHE_DEFAULT_BUDGET_BYTES;
    cache_state.dirty_age_ms = CACHE_DIRTY_AGE_MS;
    mutex_lock(&cache_state.lock);
    if (cache_hash_resize_locked(cache_hash_buckets_for(cache_state.budget_bytes)) ||
        cache_freq_resize_locked(cache_state.budget_bytes / CACHE_LINE_BYTES))
        panic("cache: no memory for the hash table at boot");
    mutex_unlock(&cache_state.lock);
    cache_wb_init();
    cache_state.ready = true;
}

int cache_set_budget_bytes(uint64_t bytes)
{
    cache_init();
    mutex_lock(&cache_state.lock);
    size_t want = cache_hash_buckets_for(bytes);
    if ((want > cache_state.hash_mask + 1 && cache_hash_resize_locked(want)) ||
        cache_freq_resize_locked(bytes / CACHE_LINE_BYTES)) {
        mutex_unlock(&cache_state.lock);
        pr_err("cache: no memory for a hash table of %zu buckets (budget %llu bytes)", want,
               (unsigned long long)bytes);
        return ERR_NOMEM;
    }
    cache_state.budget_bytes = bytes;
    for (struct cache_link *n = cache_state.devs.next; n != &cache_state.devs; n = n->next) {
        struct cache_dev *cd = container_of(n, struct cache_dev, node);
        cache_dev_set_limit_locked(cd);
        cache_dev_shrink_locked(cd, cd->limit_lines);
    }
    cache_kick_flusher_locked(); /* dirty lines over a smaller share go soon */
    mutex_unlock(&cache_state.lock);
    pr_info("cache: budget %llu KiB", (unsigned long long)(bytes / 1024));
    return 0;
}

uint64_t cache_budget_bytes(void)
{
    cache_init();
    mutex_lock(&cache_state.lock);
    uint64_t b = cache_state.budget_bytes;
    mutex_unlock(&cache_state.lock);
    return b;
}

int cache_get_stats(struct media *m, struct cache_stats *out)
{
    cache_init();
    mutex_lock(&cache_state.lock);
    struct cache_dev *cd = m->cache;
    if (cd) {
        *out = cd->st;
        out->limit_bytes = (uint64_t)cd->limit_lines * CACHE_LINE_BYTES;
    }
    mutex_unlock(&cache_state.lock);
    return cd ? 0 : ERR_NOENT;
}

static void cache_stats_add(struct cache_stats *a, const struct cache_stats *b)
{
    a->hits += b->hits;
    a->misses += b->misses;
    a->ra_used += b->ra_used;
    a->ra_wasted += b->ra_wasted;
    a->evictions += b->evictions;
    a->writebacks += b->writebacks;
    a->wb_errors += b->wb_errors;
    a->driver_reads += b->driver_reads;
    a->driver_read_sectors += b->driver_read_sectors;
    a->driver_writes += b->driver_writes;
    a->driver_write_sectors += b->driver_write_sectors;
    a->cached_sectors += b->cached_sectors;
    a->dirty_sectors += b->dirty_sectors;
}

void cache_stats_retire_locked(const struct cache_stats *st)
{
    struct cache_stats s = *st;
    s.cached_sectors = s.dirty_sectors = 0; /* "now" values leave with the media */
    cache_stats_add(&cache_state.gone, &s);
}

void cache_get_global_stats(struct cache_stats *out)
{
    cache_init();
    mutex_lock(&cache_state.lock);
    *out = cache_state.gone;
    for (struct cache_link *n = cache_state.devs.next; n != &cache_state.devs; n = n->next)
        cache_stats_add(out, &container_of(n, struct cache_dev, node)->st);
    out->limit_bytes = cache_state.budget_bytes;
    mutex_unlock(&cache_state.lock);
}

enum cache_state cache_get_state(struct media *m)
{
    enum cache_state s = CACHE_STATE_CLEAN;
    cache_init();
    mutex_lock(&cache_state.lock);
    struct cache_dev *cd = m->cache;
    if (cd && cd->sticky_err)
        s = CACHE_STATE_ERROR;
    else if (cd && cd->flushing)
        s = CACHE_STATE_FLUSHING;
    else if (cd && cd->dirty_lines)
        s = CACHE_STATE_DIRTY;
    mutex_unlock(&cache_state.lock);
    return s;
}

const char *cache_state_name(enum cache_state s)
{
    static const char *const names[] = { "clean", "dirty", "flushing", "error" };
    return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "?";
}
