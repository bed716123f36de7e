// SPDX-License-Identifier: MIT
/* cache_bench: replays block traces through the sector cache (blkdev/cache.c)
 * over a simulated disk that counts requests, and compares with Belady's MIN,
 * an offline frequency oracle (the most referenced lines), a perfect LFU (an
 * online policy with exact counts and unlimited memory), LRU, plain 2Q (the
 * cache with its TinyLFU sketch switched off) and a KolibriOS-style
 * linear-scan cache on the same trace and memory. The zipf trace is also
 * replayed with caches from 4 to 64 MiB, next to MIN, the perfect LFU and
 * the A0 bound (the most probable lines, known in advance).
 *
 * Traces (512-byte sectors, 16 MiB cache = 4096 lines of 4 KiB):
 *   seq      one pass over 256 MiB in 4 KiB reads
 *   uniform  4 KiB reads, uniform over 64 MiB
 *   zipf     4 KiB reads, zipf(0.9) over 256 MiB (ranks scattered)
 *   fatmix   file opens: directory and FAT sectors (512-byte CACHE_SYS reads,
 *            zipf-popular) then the file's data streamed in 4 KiB reads
 *   scan     hot set of 8 MiB read at random, one 256 MiB scan, hot set again
 * Hit ratios are per line access (a 4 KiB request is one access, a 512-byte
 * read the access of its line); MIN and LRU run on the same line sequence
 * with the same number of lines; "linear" is a per-sector cache of the same
 * bytes with linear lookup and round-robin replacement (KolibriOS
 * disk_cache.inc). Timing: ns per cached read on the hit path vs memcpy of
 * the same bytes from a buffer of the same size, from 1 K to 1 M cached
 * sectors, and the linear lookup at the same sizes.
 * Output: progress on stderr; `BENCH name metric=value` lines and a table
 * on stdout. Host only; no timed assertions (STYLE §8). */
#include "blkdev/cache.h"
#include "blkdev/cache_priv.h"
#include "blkdev/disk.h"
#include "kernel/klog.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_CACHE_BYTES (16u << 20)
#define BENCH_LINES (BENCH_CACHE_BYTES / CACHE_LINE_BYTES)
#define BENCH_SPL 8 /* 512-byte sectors per line */

/* ---- simulated disk ------------------------------------------------------------------------ */

struct simdev {
    uint64_t capacity;
    uint64_t reads, read_sectors, writes, write_sectors;
};

static int STDCALL sim_query(void *u, DISKMEDIAINFO *info)
{
    struct simdev *s = u;
    info->flags = 0;
    info->sectorsize = 512;
    info->capacity = s->capacity;
    return DISK_STATUS_OK;
}

static int STDCALL sim_read(void *u, void *buf, int64_t start, int *n)
{
    struct simdev *s = u;
    (void)start;
    s->reads++;
    s->read_sectors += (uint64_t)*n;
    memset(buf, 0, (size_t)*n * 512);
    return DISK_STATUS_OK;
}

static int STDCALL sim_write(void *u, const void *buf, int64_t start, int *n)
{
    struct simdev *s = u;
    (void)buf;
    (void)start;
    s->writes++;
    s->write_sectors += (uint64_t)*n;
    return DISK_STATUS_OK;
}

static DISKFUNC sim_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .querymedia = sim_query,
    .read = sim_read,
    .write = sim_write,
};

struct simdisk {
    struct simdev dev;
    struct disk *d;
    struct media *m;
};

static void sim_open(struct simdisk *s, const char *name, uint64_t capacity)
{
    memset(s, 0, sizeof(*s));
    s->dev.capacity = capacity;
    s->d = DiskAdd(&sim_funcs, name, &s->dev, 0);
    if (!s->d) {
        fprintf(stderr, "cache_bench: DiskAdd %s failed\n", name);
        exit(1);
    }
    DiskMediaChanged(s->d, 1);
    if (disk_get_media(s->d, &s->m)) {
        fprintf(stderr, "cache_bench: no media on %s\n", name);
        exit(1);
    }
    cache_drop_all();
    s->dev.reads = s->dev.read_sectors = 0;
}

static void sim_close(struct simdisk *s)
{
    media_put(s->m);
    DiskDel(s->d);
}

/* ---- traces ---------------------------------------------------------------------------------- */

struct req {
    uint64_t lba;
    uint16_t count;
    uint8_t cls;
    uint8_t mark; /* scan trace: 1 = a post-scan hot-set read */
};

struct trace {
    struct req *r;
    size_t n, cap;
};

static void trace_add(struct trace *t, uint64_t lba, unsigned count, enum cache_class cls)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4096;
        t->r = realloc(t->r, t->cap * sizeof(*t->r));
        if (!t->r)
            exit(1);
    }
    t->r[t->n++] = (struct req){ lba, (uint16_t)count, (uint8_t)cls, 0 };
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Zipf sampler over n ranks (CDF + binary search), ranks mapped through a
 * random permutation so that popular blocks are not neighbours. */
struct zipf {
    double *cdf;
    uint32_t *perm;
    size_t n;
};

static void zipf_init(struct zipf *z, size_t n, double s)
{
    z->n = n;
    z->cdf = malloc(n * sizeof(double));
    z->perm = malloc(n * sizeof(uint32_t));
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += 1.0 / pow((double)(i + 1), s);
        z->cdf[i] = sum;
        z->perm[i] = (uint32_t)i;
    }
    for (size_t i = 0; i < n; i++)
        z->cdf[i] /= sum;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rnd() % (i + 1);
        uint32_t x = z->perm[i];
        z->perm[i] = z->perm[j];
        z->perm[j] = x;
    }
}

static uint32_t zipf_next(const struct zipf *z)
{
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    size_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (z->cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return z->perm[lo];
}

static void zipf_free(struct zipf *z)
{
    free(z->cdf);
    free(z->perm);
}

#define MIB_SECTORS(x) ((uint64_t)(x) * 2048)

static void trace_seq(struct trace *t)
{
    for (uint64_t lba = 0; lba < MIB_SECTORS(256); lba += 8)
        trace_add(t, lba, 8, CACHE_APP);
}

static void trace_uniform(struct trace *t)
{
    uint64_t blocks = MIB_SECTORS(64) / 8;
    for (int i = 0; i < 400000; i++)
        trace_add(t, (rnd() % blocks) * 8, 8, CACHE_APP);
}

static void trace_zipf(struct trace *t)
{
    struct zipf z;
    zipf_init(&z, MIB_SECTORS(256) / 8, 0.9);
    for (int i = 0; i < 600000; i++)
        trace_add(t, (uint64_t)zipf_next(&z) * 8, 8, CACHE_APP);
    zipf_free(&z);
}

/* A FAT32-like volume: FAT at 32.., 4 KiB clusters from 8192 on. */
#define FM_FAT_FIRST 32u
#define FM_DATA_FIRST 8192u
#define FM_FILES 3000u
#define FM_DIRS 300u

static void trace_fatmix(struct trace *t)
{
    struct zipf files, dirs;
    uint64_t *first_cluster = malloc(FM_FILES * sizeof(uint64_t));
    uint32_t *clusters = malloc(FM_FILES * sizeof(uint32_t));
    uint64_t *dir_cluster = malloc(FM_DIRS * sizeof(uint64_t));
    uint64_t next = 0;
    /* 1. Lay out files (4 KiB..512 KiB, a few of 16 MiB) and directories. */
    for (unsigned d = 0; d < FM_DIRS; d++)
        dir_cluster[d] = next++;
    for (unsigned f = 0; f < FM_FILES; f++) {
        clusters[f] = (f % 97 == 0) ? 4096 : 1 + (uint32_t)(rnd() % 128);
        first_cluster[f] = next;
        next += clusters[f];
    }
    zipf_init(&files, FM_FILES, 0.9);
    zipf_init(&dirs, FM_DIRS, 0.9);
    /* 2. Each open: its directory (1..2 sectors), the FAT sectors of its
     *    chain (128 entries each), then its data in 4 KiB reads. */
    while (t->n < 700000) {
        unsigned f = zipf_next(&files), d = zipf_next(&dirs);
        uint64_t dsec = FM_DATA_FIRST + dir_cluster[d] * 8;
        trace_add(t, dsec + rnd() % 8, 1, CACHE_SYS);
        uint64_t fat_first = FM_FAT_FIRST + first_cluster[f] / 128;
        uint64_t fat_last = FM_FAT_FIRST + (first_cluster[f] + clusters[f] - 1) / 128;
        for (uint64_t s = fat_first; s <= fat_last; s++)
            trace_add(t, s, 1, CACHE_SYS);
        for (uint32_t c = 0; c < clusters[f]; c++)
            trace_add(t, FM_DATA_FIRST + (first_cluster[f] + c) * 8, 8, CACHE_APP);
    }
    zipf_free(&files);
    zipf_free(&dirs);
    free(first_cluster);
    free(clusters);
    free(dir_cluster);
}

/* Hot set of half the cache read at random; one scan of 16x the cache; the
 * hot set again (marked). */
#define SCAN_HOT_LINES (BENCH_LINES / 2)
#define SCAN_HOT_FIRST MIB_SECTORS(512)
static void trace_scan(struct trace *t)
{
    for (int i = 0; i < 60000; i++)
        trace_add(t, SCAN_HOT_FIRST + (rnd() % SCAN_HOT_LINES) * 8, 8, CACHE_APP);
    for (uint64_t lba = 0; lba < MIB_SECTORS(256); lba += 8)
        trace_add(t, lba, 8, CACHE_APP);
    for (int i = 0; i < 20000; i++) {
        trace_add(t, SCAN_HOT_FIRST + (rnd() % SCAN_HOT_LINES) * 8, 8, CACHE_APP);
        t->r[t->n - 1].mark = 1;
    }
}

/* ---- line access sequence and the baselines -------------------------------------------------- */

/* Line ids of every access (one per line a request touches), densely renumbered. */
struct access {
    uint32_t *id;
    size_t n;
    uint32_t distinct;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u32_desc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x > y ? -1 : x < y;
}

static void access_build(const struct trace *t, struct access *a)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        n += (t->r[i].lba + t->r[i].count - 1) / 8 - t->r[i].lba / 8 + 1;
    uint64_t *lines = malloc(n * sizeof(uint64_t)), *sorted = malloc(n * sizeof(uint64_t));
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++)
        for (uint64_t l = t->r[i].lba / 8; l <= (t->r[i].lba + t->r[i].count - 1) / 8; l++)
            lines[k++] = l;
    memcpy(sorted, lines, n * sizeof(uint64_t));
    qsort(sorted, n, sizeof(uint64_t), cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || sorted[i] != sorted[i - 1])
            sorted[u++] = sorted[i];
    a->id = malloc(n * sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
        uint64_t *p = bsearch(&lines[i], sorted, u, sizeof(uint64_t), cmp_u64);
        a->id[i] = (uint32_t)(p - sorted);
    }
    a->n = n;
    a->distinct = (uint32_t)u;
    free(lines);
    free(sorted);
}

/* Offline frequency oracle: a cache that holds, from their first access on,
 * the `cap` lines referenced most often in the whole trace. On a trace of
 * independent references (zipf, uniform) this is the best any policy that
 * does not know the future order can do; MIN knows it. */
static double sim_topfreq(const struct access *a, size_t cap)
{
    uint32_t *count = calloc(a->distinct, sizeof(uint32_t));
    for (size_t i = 0; i < a->n; i++)
        count[a->id[i]]++;
    uint32_t *sorted = malloc(a->distinct * sizeof(uint32_t));
    memcpy(sorted, count, a->distinct * sizeof(uint32_t));
    qsort(sorted, a->distinct, sizeof(uint32_t), cmp_u32_desc);
    uint64_t hits = 0;
    for (size_t i = 0; i < MIN((size_t)a->distinct, cap); i++)
        hits += sorted[i] - 1; /* the first reference is a miss for everyone */
    free(sorted);
    free(count);
    return (double)hits / (double)a->n;
}

/* LRU over `cap` lines: hits / accesses. */
static double sim_lru(const struct access *a, size_t cap)
{
    uint32_t *prev = malloc(a->distinct * sizeof(uint32_t));
    uint32_t *next = malloc(a->distinct * sizeof(uint32_t));
    uint8_t *in = calloc(a->distinct, 1);
    uint32_t head = UINT32_MAX, tail = UINT32_MAX;
    size_t count = 0, hits = 0;
    for (size_t i = 0; i < a->n; i++) {
        uint32_t x = a->id[i];
        if (in[x]) {
            hits++;
            if (head == x)
                continue;
            next[prev[x]] = next[x]; /* unlink (x is not head) */
            if (tail == x)
                tail = prev[x];
            else
                prev[next[x]] = prev[x];
        } else {
            if (count == cap) {
                uint32_t v = tail;
                in[v] = 0;
                tail = prev[v];
                if (tail != UINT32_MAX)
                    next[tail] = UINT32_MAX;
                else
                    head = UINT32_MAX;
                count--;
            }
            in[x] = 1;
            count++;
        }
        prev[x] = UINT32_MAX;
        next[x] = head;
        if (head != UINT32_MAX)
            prev[head] = x;
        head = x;
        if (tail == UINT32_MAX)
            tail = x;
    }
    free(prev);
    free(next);
    free(in);
    return (double)hits / (double)a->n;
}

/* Belady's MIN: evict the resident line used farthest in the future
 * (max-heap of (next use, line) with lazy deletion). */
struct heap_ent {
    uint64_t key;
    uint32_t id;
};

static void heap_push(struct heap_ent *h, size_t *n, struct heap_ent e)
{
    size_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2].key < e.key) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = e;
}

static struct heap_ent heap_pop(struct heap_ent *h, size_t *n)
{
    struct heap_ent top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1].key > h[c].key)
            c++;
        if (h[c].key <= last.key)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = last;
    return top;
}

static double sim_min(const struct access *a, size_t cap)
{
    uint64_t *nextuse = malloc(a->n * sizeof(uint64_t));
    uint64_t *seen = malloc(a->distinct * sizeof(uint64_t));
    uint64_t *cur = malloc(a->distinct * sizeof(uint64_t));
    uint8_t *in = calloc(a->distinct, 1);
    struct heap_ent *h = malloc((a->n + 1) * sizeof(*h));
    size_t hn = 0, count = 0, hits = 0;
    for (uint32_t x = 0; x < a->distinct; x++)
        seen[x] = UINT64_MAX;
    for (size_t i = a->n; i-- > 0;) {
        nextuse[i] = seen[a->id[i]];
        seen[a->id[i]] = i;
    }
    for (size_t i = 0; i < a->n; i++) {
        uint32_t x = a->id[i];
        if (in[x]) {
            hits++;
        } else {
            if (count == cap) {
                for (;;) {
                    struct heap_ent e = heap_pop(h, &hn);
                    if (in[e.id] && cur[e.id] == e.key) {
                        in[e.id] = 0;
                        break;
                    }
                }
                count--;
            }
            in[x] = 1;
            count++;
        }
        cur[x] = nextuse[i];
        heap_push(h, &hn, (struct heap_ent){ nextuse[i], x });
    }
    free(nextuse);
    free(seen);
    free(cur);
    free(in);
    free(h);
    return (double)hits / (double)a->n;
}

/* Perfect LFU: an online policy with unlimited memory - exact reference
 * counts of every line ever seen (no aging, no sketch error, no sampling).
 * A missed line enters only if referenced more often than the least
 * referenced resident line, which it replaces (ties keep the resident).
 * On independent references this is what a frequency-based cache such as
 * ours tends towards; it still has to learn the counts, which the offline
 * oracle knows from the start. Min-heap of (count, line) as a max-heap of
 * the complement, with lazy deletion. */
static double sim_lfu(const struct access *a, size_t cap)
{
    uint32_t *count = calloc(a->distinct, sizeof(uint32_t));
    uint8_t *in = calloc(a->distinct, 1);
    struct heap_ent *h = malloc((a->n + 1) * sizeof(*h));
    size_t hn = 0, resident = 0, hits = 0;
#define LFU_KEY(c) (UINT64_MAX - (uint64_t)(c))
    for (size_t i = 0; i < a->n; i++) {
        uint32_t x = a->id[i];
        count[x]++;
        if (in[x]) {
            hits++;
        } else if (resident < cap) {
            in[x] = 1;
            resident++;
        } else {
            /* The least referenced resident line (skip stale heap entries). */
            while (!in[h[0].id] || LFU_KEY(count[h[0].id]) != h[0].key)
                heap_pop(h, &hn);
            if (count[x] <= count[h[0].id])
                continue;
            in[heap_pop(h, &hn).id] = 0;
            in[x] = 1;
        }
        heap_push(h, &hn, (struct heap_ent){ LFU_KEY(count[x]), x });
    }
#undef LFU_KEY
    free(count);
    free(in);
    free(h);
    return (double)hits / (double)a->n;
}

/* KolibriOS-style: `slots` 512-byte sector slots, linear lookup, round-robin
 * replacement; a request's line counts as a hit if all its sectors hit. */
static double sim_linear(const struct trace *t, size_t slots)
{
    uint64_t *key = malloc(slots * sizeof(uint64_t));
    size_t used = 0, rr = 0, acc = 0, hits = 0;
    /* A hash index stands in for the scan here: same decisions, feasible time. */
    size_t hsize = 1;
    while (hsize < slots * 2)
        hsize <<= 1;
    int64_t *hk = malloc(hsize * sizeof(int64_t));
    for (size_t i = 0; i < hsize; i++)
        hk[i] = -1;
#define HSLOT(k) (((k) * 0x9E3779B97F4A7C15ull) >> 20 & (hsize - 1))
    for (size_t i = 0; i < t->n; i++) {
        const struct req *r = &t->r[i];
        uint64_t line = UINT64_MAX;
        bool line_hit = true;
        for (uint64_t s = r->lba; s < r->lba + r->count; s++) {
            if (s / 8 != line) {
                if (line != UINT64_MAX) {
                    acc++;
                    hits += line_hit;
                }
                line = s / 8;
                line_hit = true;
            }
            size_t h = HSLOT(s);
            while (hk[h] != -1 && key[hk[h]] != s)
                h = (h + 1) & (hsize - 1);
            if (hk[h] != -1)
                continue;
            line_hit = false;
            size_t slot;
            if (used < slots) {
                slot = used++;
            } else {
                slot = rr;
                rr = (rr + 1) % slots;
                /* remove the old key (backward-shift deletion) */
                size_t j = HSLOT(key[slot]);
                while (hk[j] != (int64_t)slot)
                    j = (j + 1) & (hsize - 1);
                hk[j] = -1;
                for (size_t k = (j + 1) & (hsize - 1); hk[k] != -1; k = (k + 1) & (hsize - 1)) {
                    int64_t v = hk[k];
                    hk[k] = -1;
                    size_t p = HSLOT(key[v]);
                    while (hk[p] != -1)
                        p = (p + 1) & (hsize - 1);
                    hk[p] = v;
                }
                h = HSLOT(s);
                while (hk[h] != -1)
                    h = (h + 1) & (hsize - 1);
            }
            key[slot] = s;
            hk[h] = (int64_t)slot;
        }
        acc++;
        hits += line_hit;
    }
#undef HSLOT
    free(key);
    free(hk);
    return (double)hits / (double)acc;
}

/* ---- replay through the real cache ----------------------------------------------------------- */

struct result {
    const char *name;
    double hit, hit_nora, hit_2q, min, topfreq, lfu, lru, linear;
    uint64_t reqs;
    double mean_kib;
    double hot_kept; /* scan only */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Replay t on a fresh disk; hit = line already held before its request. */
static double replay(const struct trace *t, unsigned disk_no, bool readahead, struct result *res)
{
    struct simdisk s;
    char dname[16];
    static uint8_t buf[64 * 512];
    size_t acc = 0, hits = 0;

    cache_state.ra_off = !readahead; /* bench knob (cache_priv.h); single-threaded here */
    snprintf(dname, sizeof(dname), "bench%u%s", disk_no, readahead ? "" : "n");
    sim_open(&s, dname, MIB_SECTORS(4096));
    for (size_t i = 0; i < t->n; i++) {
        const struct req *r = &t->r[i];
        for (uint64_t l = r->lba / 8; l <= (r->lba + r->count - 1) / 8; l++) {
            acc++;
            hits += cache_holds(s.m, l * 8 > r->lba ? l * 8 : r->lba);
        }
        uint32_t done;
        if (cache_read(s.m, r->lba, r->count, buf, (enum cache_class)r->cls, &done) ||
            done != r->count) {
            fprintf(stderr, "cache_bench: read failed\n");
            exit(1);
        }
        if (readahead && r->mark == 1 && i > 0 && t->r[i - 1].mark == 0) {
            /* Just after the scan: how much of the hot set is still held? */
            size_t kept = 0;
            for (uint64_t h = 0; h < SCAN_HOT_LINES; h++)
                kept += cache_holds(s.m, SCAN_HOT_FIRST + h * 8);
            res->hot_kept = (double)kept / SCAN_HOT_LINES;
        }
    }
    if (readahead) {
        res->reqs = s.dev.reads;
        res->mean_kib = s.dev.reads ? (double)s.dev.read_sectors / (double)s.dev.reads / 2 : 0;
    }
    sim_close(&s);
    cache_state.ra_off = false;
    return (double)hits / (double)acc;
}

static void run_trace(const char *name, void (*gen)(struct trace *), struct result *res,
                      unsigned disk_no)
{
    struct trace t = { 0 };
    struct access a;
    double t0 = now_s();

    gen(&t);
    access_build(&t, &a);
    res->name = name;
    /* 1. Replay with read-ahead (what the system gets) and without it (the
     *    replacement policy alone, comparable with MIN and LRU). */
    res->hit = replay(&t, disk_no, true, res);
    res->hit_nora = replay(&t, disk_no, false, res);
    cache_state.freq_off = true; /* plain 2Q: what the frequency sketch adds */
    res->hit_2q = replay(&t, disk_no + 100, false, res);
    cache_state.freq_off = false;
    fprintf(stderr, "cache_bench: %s: %zu requests replayed, baselines...\n", name, t.n);
    /* 2. Baselines on the same accesses and memory. */
    res->lru = sim_lru(&a, BENCH_LINES);
    res->min = sim_min(&a, BENCH_LINES);
    res->topfreq = sim_topfreq(&a, BENCH_LINES);
    res->lfu = sim_lfu(&a, BENCH_LINES);
    res->linear = sim_linear(&t, BENCH_CACHE_BYTES / 512);
    free(a.id);
    free(t.r);
    fprintf(stderr, "cache_bench: %s done (%.1f s)\n", name, now_s() - t0);
}

/* ---- zipf over cache sizes ----------------------------------------------------------------- */

/* A0 (Aho, Denning & Ullman 1971): keep the `cap` lines of highest
 * probability. Under independent references it is the best policy that does
 * not know the future; an online cache must in addition learn the
 * probabilities, so A0 bounds what any such cache can reach. Expected hit
 * ratio over `accesses` references: each kept line hits on every reference
 * but its first. */
static double zipf_a0(size_t ranks, double s, size_t cap, size_t accesses)
{
    double sum = 0, hits = 0;
    for (size_t i = 0; i < ranks; i++)
        sum += 1.0 / pow((double)(i + 1), s);
    for (size_t i = 0; i < MIN(ranks, cap); i++) {
        double p = 1.0 / pow((double)(i + 1), s) / sum;
        hits += p * (double)accesses - (1.0 - pow(1.0 - p, (double)accesses));
    }
    return hits / (double)accesses;
}

#define SWEEP_SIZES 5
struct sweep_row {
    size_t lines;
    double ours, lfu, a0, min;
};

/* The zipf trace with caches from 1/64 to 1/4 of its 256 MiB: how close the
 * cache (no read-ahead) comes to MIN, to the perfect-LFU online policy and
 * to the A0 bound at each size. */
static void run_zipf_sweep(struct sweep_row rows[SWEEP_SIZES])
{
    struct trace t = { 0 };
    struct access a;
    struct result scratch;

    rng_state = 0x5A17F00Dull;
    trace_zipf(&t);
    access_build(&t, &a);
    for (unsigned i = 0; i < SWEEP_SIZES; i++) {
        struct sweep_row *r = &rows[i];
        r->lines = (size_t)1024 << i;
        fprintf(stderr, "cache_bench: zipf sweep, %zu lines (%u/%u)...\n", r->lines, i + 1,
                SWEEP_SIZES);
        cache_set_budget_bytes(r->lines * CACHE_LINE_BYTES);
        r->ours = replay(&t, 200 + i, false, &scratch);
        r->lfu = sim_lfu(&a, r->lines);
        r->min = sim_min(&a, r->lines);
        r->a0 = zipf_a0(MIB_SECTORS(256) / 8, 0.9, r->lines, a.n);
    }
    free(a.id);
    free(t.r);
}

/* ---- hit path timing --------------------------------------------------------------------------- */

static volatile uint64_t sink;

/* ns per cached read of `count` sectors with `sectors` cached, and ns per
 * memcpy of the same bytes from a buffer of the same size. */
static void time_hit_path(unsigned disk_no, uint64_t sectors, unsigned count, double *ns_cache,
                          double *ns_memcpy)
{
    struct simdisk s;
    char dname[16];
    static uint8_t buf[4096];
    uint32_t done;
    const int iters = 400000;

    cache_set_budget_bytes(sectors * 512 + 64 * CACHE_LINE_BYTES);
    snprintf(dname, sizeof(dname), "hit%u", disk_no);
    sim_open(&s, dname, sectors + 4096);
    /* Fill from the top down: no stream, so no read-ahead beyond the set. */
    static uint8_t fill[512 * 512];
    for (uint64_t lba = sectors; lba > 0;) {
        uint64_t n = MIN(lba, (uint64_t)512);
        lba -= n;
        cache_read(s.m, lba, (uint32_t)n, fill, CACHE_SYS, &done);
    }
    uint64_t blocks = sectors / count;
    uint64_t *lbas = malloc(iters * sizeof(uint64_t));
    for (int i = 0; i < iters; i++)
        lbas[i] = (rnd() % blocks) * count;
    uint64_t before = s.dev.reads;
    double t0 = now_s();
    for (int i = 0; i < iters; i++)
        cache_read(s.m, lbas[i], count, buf, CACHE_SYS, &done);
    *ns_cache = (now_s() - t0) * 1e9 / iters;
    if (s.dev.reads != before)
        fprintf(stderr, "cache_bench: warning: %llu misses in the hit-path run\n",
                (unsigned long long)(s.dev.reads - before));
    sim_close(&s);
    uint8_t *src = malloc(sectors * 512);
    memset(src, 1, sectors * 512);
    t0 = now_s();
    for (int i = 0; i < iters; i++) {
        memcpy(buf, src + lbas[i] * 512, (size_t)count * 512);
        sink += buf[i & 511];
    }
    *ns_memcpy = (now_s() - t0) * 1e9 / iters;
    free(src);
    free(lbas);
}

/* ns per lookup of a present key in a linear table of n keys. */
static double time_linear_lookup(uint64_t n)
{
    uint64_t *keys = malloc(n * sizeof(uint64_t));
    for (uint64_t i = 0; i < n; i++)
        keys[i] = i * 7 + 1;
    int iters = (int)MAX((uint64_t)50, 20000000 / n);
    double t0 = now_s();
    for (int i = 0; i < iters; i++) {
        uint64_t want = (rnd() % n) * 7 + 1;
        for (uint64_t k = 0; k < n; k++) {
            if (keys[k] == want) {
                sink += k;
                break;
            }
        }
    }
    double ns = (now_s() - t0) * 1e9 / iters;
    free(keys);
    return ns;
}

int main(void)
{
    static struct result res[5];
    static const struct {
        const char *name;
        void (*gen)(struct trace *);
    } traces[] = {
        { "seq", trace_seq },       { "uniform", trace_uniform }, { "zipf", trace_zipf },
        { "fatmix", trace_fatmix }, { "scan", trace_scan },
    };

    klog_set_console_level(KLOG_ERR);
    blkdev_init();
    /* 1. Hit ratios. */
    for (size_t i = 0; i < ARRAY_SIZE(traces); i++) {
        cache_set_budget_bytes(BENCH_CACHE_BYTES);
        run_trace(traces[i].name, traces[i].gen, &res[i], (unsigned)i);
    }
    for (size_t i = 0; i < ARRAY_SIZE(traces); i++) {
        const struct result *r = &res[i];
        printf("BENCH cache_%s hit_ratio=%.4f\n", r->name, r->hit);
        printf("BENCH cache_%s hit_ratio_no_readahead=%.4f\n", r->name, r->hit_nora);
        printf("BENCH cache_%s min_hit_ratio=%.4f\n", r->name, r->min);
        printf("BENCH cache_%s plain_2q_hit_ratio=%.4f\n", r->name, r->hit_2q);
        printf("BENCH cache_%s topfreq_hit_ratio=%.4f\n", r->name, r->topfreq);
        printf("BENCH cache_%s perfect_lfu_hit_ratio=%.4f\n", r->name, r->lfu);
        printf("BENCH cache_%s lru_hit_ratio=%.4f\n", r->name, r->lru);
        printf("BENCH cache_%s linear_hit_ratio=%.4f\n", r->name, r->linear);
        printf("BENCH cache_%s no_readahead_of_min=%.3f\n", r->name,
               r->min > 0 ? r->hit_nora / r->min : 0);
        printf("BENCH cache_%s driver_requests=%llu\n", r->name, (unsigned long long)r->reqs);
        printf("BENCH cache_%s mean_request_kib=%.1f\n", r->name, r->mean_kib);
    }
    printf("BENCH cache_scan hot_set_kept=%.4f\n", res[4].hot_kept);
    struct sweep_row sweep[SWEEP_SIZES];
    run_zipf_sweep(sweep);
    for (size_t i = 0; i < SWEEP_SIZES; i++) {
        const struct sweep_row *w = &sweep[i];
        printf("BENCH cache_zipf_%zuMiB hit_ratio_no_readahead=%.4f\n", w->lines / 256, w->ours);
        printf("BENCH cache_zipf_%zuMiB of_min=%.3f\n", w->lines / 256, w->ours / w->min);
        printf("BENCH cache_zipf_%zuMiB perfect_lfu_of_min=%.3f\n", w->lines / 256,
               w->lfu / w->min);
        printf("BENCH cache_zipf_%zuMiB a0_of_min=%.3f\n", w->lines / 256, w->a0 / w->min);
    }
    cache_set_budget_bytes(BENCH_CACHE_BYTES);
    /* 2. Hit path and lookup cost from 1 K to 1 M cached sectors. */
    static const uint64_t sizes[] = { 1024, 16384, 131072, 1048576 };
    double c512[4], m512[4], c4k[4], m4k[4], lin[4];
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
        fprintf(stderr, "cache_bench: hit path with %llu cached sectors...\n",
                (unsigned long long)sizes[i]);
        time_hit_path((unsigned)(10 + i), sizes[i], 1, &c512[i], &m512[i]);
        time_hit_path((unsigned)(20 + i), sizes[i], 8, &c4k[i], &m4k[i]);
        lin[i] = time_linear_lookup(sizes[i]);
        printf("BENCH cache_hit_%llu ns_per_512B_read=%.1f\n", (unsigned long long)sizes[i],
               c512[i]);
        printf("BENCH cache_hit_%llu ns_per_512B_memcpy=%.1f\n", (unsigned long long)sizes[i],
               m512[i]);
        printf("BENCH cache_hit_%llu ns_per_4KiB_read=%.1f\n", (unsigned long long)sizes[i],
               c4k[i]);
        printf("BENCH cache_hit_%llu ns_per_4KiB_memcpy=%.1f\n", (unsigned long long)sizes[i],
               m4k[i]);
        printf("BENCH cache_hit_%llu ns_per_linear_lookup=%.1f\n", (unsigned long long)sizes[i],
               lin[i]);
    }
    /* 3. The table for the issue note. */
    printf("\n| trace | hit | hit, no RA | plain 2Q, no RA | MIN | top-freq oracle | perfect LFU |"
           " no RA / MIN | LRU | linear (KolibriOS) | driver reqs | mean req |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < ARRAY_SIZE(traces); i++) {
        const struct result *r = &res[i];
        printf("| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.3f | %.3f | %llu |"
               " %.1f KiB |\n",
               r->name, r->hit, r->hit_nora, r->hit_2q, r->min, r->topfreq, r->lfu,
               r->min > 0 ? r->hit_nora / r->min : 0, r->lru, r->linear,
               (unsigned long long)r->reqs, r->mean_kib);
    }
    printf("\nscan: hot set kept after the scan: %.1f%%\n", res[4].hot_kept * 100);
    printf("\nzipf(0.9) over 256 MiB, no read-ahead, by cache size (ratios to MIN):\n"
           "\n| cache | ours | perfect LFU | A0 bound | MIN | ours / MIN | perfect LFU / MIN |"
           " A0 / MIN | ours / perfect LFU |\n|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < SWEEP_SIZES; i++) {
        const struct sweep_row *w = &sweep[i];
        printf("| %zu MiB | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n",
               w->lines / 256, w->ours, w->lfu, w->a0, w->min, w->ours / w->min,
               w->lfu / w->min, w->a0 / w->min, w->ours / w->lfu);
    }
    printf("\n| cached sectors | 512 B read | memcpy 512 B | 4 KiB read | memcpy 4 KiB | ratio 4K |"
           " linear lookup |\n|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
        printf("| %llu | %.0f ns | %.0f ns | %.0f ns | %.0f ns | %.2f | %.0f ns |\n",
               (unsigned long long)sizes[i], c512[i], m512[i], c4k[i], m4k[i],
               c4k[i] / m4k[i], lin[i]);
    return 0;
}
