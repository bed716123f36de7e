// SPDX-License-Identifier: MIT
/* Reference-frequency sketch of the sector cache (TinyLFU admission, after
 * Einziger, Friedman & Manes, "TinyLFU: A Highly Efficient Cache Admission
 * Policy", ACM ToS 2017). It estimates how often each cache line key (media,
 * line) was referenced recently, including keys the cache no longer holds,
 * in a count-min sketch: CACHE_FREQ_ROWS saturating 8-bit counters per key
 * in one power-of-two array, the estimate being their minimum. Every
 * CACHE_FREQ_AGE_FACTOR x (lines of budget) references all counters are
 * halved, so the sketch follows a changing workload.
 * cache.c uses it when a line leaves the probation queue A1in: the line is
 * moved into the protected queue Am instead of being evicted if it was
 * referenced more often than Am's least recently used line, which is evicted
 * in its place. Ties keep Am as it is, so a one-pass scan (estimate 1) never
 * displaces anything.
 * Locking: cache_state.lock held by every caller. */
#include "blkdev/cache_priv.h"
#include "kernel/err.h"
#include "kernel/kmem.h"

#define CACHE_FREQ_ROWS 4
#define CACHE_FREQ_COUNTERS_PER_LINE 32 /* counters per line of budget (power of two) */
#define CACHE_FREQ_AGE_FACTOR 40

/* The CACHE_FREQ_ROWS counter indexes of a key: double hashing (Kirsch &
 * Mitzenmacher), row r at h1 + r * h2 with an odd h2, from two 32-bit key
 * hashes - independent enough for a count-min sketch, and cheap on i386. */
static void cache_freq_indexes(const struct cache_dev *cd, lba_t line_lba,
                               size_t idx[CACHE_FREQ_ROWS])
{
    uint32_t h1 = cache_key_hash(cd, line_lba, 0xD6E8FEB8u);
    uint32_t h2 = cache_mix32(h1 ^ 0x6659FD93u) | 1u;
    for (unsigned r = 0; r < CACHE_FREQ_ROWS; r++)
        idx[r] = (size_t)(h1 + r * h2) & cache_state.freq_mask;
}

int cache_freq_resize_locked(size_t budget_lines)
{
    size_t want = 1024;
    while (want < budget_lines * CACHE_FREQ_COUNTERS_PER_LINE && want < ((size_t)1 << 28))
        want <<= 1;
    if (cache_state.freq && want <= cache_state.freq_mask + 1)
        return 0;
    uint8_t *counters = kzalloc(want);
    if (!counters)
        return ERR_NOMEM;
    kfree(cache_state.freq);
    cache_state.freq = counters;
    cache_state.freq_mask = want - 1;
    cache_state.freq_adds = 0;
    cache_state.freq_age_at = MAX(budget_lines, (size_t)1) * CACHE_FREQ_AGE_FACTOR;
    return 0;
}

/* Halve every counter: old references count half as much as new ones. */
static void cache_freq_age_locked(void)
{
    for (size_t i = 0; i <= cache_state.freq_mask; i++)
        cache_state.freq[i] >>= 1;
    cache_state.freq_adds = 0;
    cache_state.freq_epoch++;
}

void cache_freq_add_locked(const struct cache_dev *cd, lba_t line_lba)
{
    if (!cache_state.freq)
        return;
    size_t idx[CACHE_FREQ_ROWS];
    cache_freq_indexes(cd, line_lba, idx);
    /* Conservative update: raise only the counters at the minimum. */
    uint8_t min = UINT8_MAX;
    for (unsigned r = 0; r < CACHE_FREQ_ROWS; r++)
        min = MIN(min, cache_state.freq[idx[r]]);
    if (min < UINT8_MAX) {
        for (unsigned r = 0; r < CACHE_FREQ_ROWS; r++) {
            uint8_t *c = &cache_state.freq[idx[r]];
            if (*c == min)
                (*c)++;
        }
    }
    if (++cache_state.freq_adds >= cache_state.freq_age_at)
        cache_freq_age_locked();
}

unsigned cache_freq_estimate_locked(const struct cache_dev *cd, lba_t line_lba)
{
    if (!cache_state.freq)
        return 0;
    size_t idx[CACHE_FREQ_ROWS];
    cache_freq_indexes(cd, line_lba, idx);
    uint8_t min = UINT8_MAX;
    for (unsigned r = 0; r < CACHE_FREQ_ROWS; r++)
        min = MIN(min, cache_state.freq[idx[r]]);
    return min;
}
