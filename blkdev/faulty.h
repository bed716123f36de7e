/* SPDX-License-Identifier: MIT */
/* Fault injection ("faulty disk", after QEMU's blkdebug): a DISKFUNC driver
 * that wraps an existing disk and misbehaves on purpose, by rules.
 *
 * Use: faulty_create() (or `faulty add NAME of DISK RULES`) looks the lower
 * disk up, writes back and drops what the cache holds for it, and registers a
 * new disk NAME with DiskAdd (DISK_NO_INSERT_NOTIFICATION: its media is the
 * lower disk's current media, polled on first use). Every read, write and
 * flush of NAME then goes to the lower disk's raw driver path
 * (media_driver_*), unless a rule intervenes; faulty_set_rules() swaps the
 * rules at any time; faulty_destroy() (`faulty del`) calls DiskDel.
 *
 * Why the raw path: NAME has its own sector cache (it is a disk like any
 * other). Going through the lower disk's cache as well would cache every
 * sector twice and, worse, let the lower cache absorb and delay the very
 * writes a test wants to see fail. So the lower disk must not be used
 * directly while it is wrapped: its cache is emptied at creation and again
 * when NAME's media closes, but reads through it in between may see old data,
 * and a file system mounted on it would be a second writer. Creation
 * therefore refuses a lower disk with a mounted file system (ERR_BUSY).
 *
 * Rules: a list of words separated by blanks or commas ("" or "none": no
 * rules). Calls are counted per kind from the moment the rules were set
 * (an `any` rule counts all kinds together); N is 1-based. OP is read,
 * write, flush or any.
 *   OP-fail[@N[+]][=STATUS]  fail with STATUS: io (default), nomem, eom,
 *                            nomedia, inval, or a decimal DISK_STATUS value
 *   OP-short[@N[+]][=K]      move only K sectors (default half the request;
 *                            K >= request moves request - 1), status OK
 *   OP-shortfail[@N[+]][=K]  the same with DISK_STATUS_GENERAL_ERROR
 *   OP-over[@N[+]][=K]       move the request, claim K more (default 1)
 *   OP-delay[@N[+]]=MS       sleep MS milliseconds first (adds to others)
 *   OP-bad=A-B               a request touching sectors A..B (inclusive)
 *                            moves the sectors before A, then fails (io)
 *   nomedia[@N]              from the Nth operation (any kind) on, every
 *                            call, querymedia included, says NO_MEDIA
 *   delay=MS                 any-delay=MS
 * Without @N a rule applies to every call; @N is the Nth call only; @N+ the
 * Nth and every later one. short/shortfail/over/bad need read, write or any.
 * The first matching non-delay rule decides; nomedia wins over everything.
 * At most FAULTY_MAX_RULES rules, FAULTY_RULES_MAX bytes of text.
 *
 * Locking: one module mutex guards the registry, the rules and the
 * counters; it is never held across a lower-disk call or a delay. Callers of
 * the functions below hold no block-layer lock. Context: thread, may sleep. */
#ifndef BLKDEV_FAULTY_H
#define BLKDEV_FAULTY_H

#include "kernel/types.h"

#define FAULTY_MAX_RULES 16      /* plenty for a test; more is a typo */
#define FAULTY_RULES_MAX 256     /* bytes of rule text, NUL included */
#define FAULTY_DELAY_MAX_MS 60000u /* a longer delay is a hang, not a delay */
#define FAULTY_OVER_MAX 65536u   /* largest lie about *numsectors */

struct faulty;
struct disk;

/* Counters since creation (faulty_set_rules does not reset them). */
struct faulty_counters {
    uint64_t reads, writes, flushes, queries; /* callbacks received */
    uint64_t read_sectors, write_sectors;     /* moved by the lower disk */
    uint64_t injected;                        /* calls answered by a rule (not delays) */
    uint64_t delayed_ms;                      /* injected sleep in total */
};

/* Wrap disk `lower` as new disk `name` with `rules` (NULL = none).
 * Returns 0 and *out (valid until faulty_destroy), ERR_INVAL (bad rules:
 * the reason is logged; or a bad name), ERR_NOENT (no disk `lower`), ERR_BUSY
 * (a file system of `lower` is mounted), ERR_EXIST (name taken), ERR_NOMEM,
 * or the error of writing back the lower disk's dirty sectors. */
int faulty_create(const char *lower, const char *name, const char *rules,
                  struct faulty **out);
/* Replace the rules and restart the per-kind call counts. Returns 0 or
 * ERR_INVAL (bad rules: the old ones stay, the reason is logged). */
int faulty_set_rules(struct faulty *f, const char *rules);
/* Check rules without applying them. Returns 0 or ERR_INVAL with a one-line
 * reason in why (why_len bytes, may be 0). */
int faulty_check_rules(const char *rules, char *why, size_t why_len);
/* DiskDel the faulty disk; f must not be used afterwards (its memory and the
 * lower disk reference go in close, after the block layer's last use). */
void faulty_destroy(struct faulty *f);
/* Find a faulty disk by name. Returns 0 or ERR_NOENT; *out as for create. */
int faulty_find(const char *name, struct faulty **out);
/* The registered disk (for disk_get_media) and the counters. */
struct disk *faulty_disk(const struct faulty *f);
void faulty_get_counters(struct faulty *f, struct faulty_counters *out);

/* Register the `faulty` shell command (kernel_main and kdisk). */
void faulty_init(void);

#endif
