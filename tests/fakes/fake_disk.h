/* SPDX-License-Identifier: MIT */
/* A memory-backed DISKFUNC driver with a fault plan, for hosted tests of the
 * block layer (STYLE §8). Create one with a configuration (geometry, flags,
 * strucsize), register it with fake_disk_add() (through disk_add, exactly as
 * a driver would), then play the driver's part with fake_disk_media_in/out
 * and fake_disk_del, and inspect what the kernel did through the call
 * recorder. Destroy it with fake_disk_destroy() once the kernel has called
 * close (or if it was never added): unlike a real driver the fake does not
 * free itself in close, so tests can still read the recorder afterwards.
 *
 * Media model, after the KolibriOS contract (disk.inc): a medium is "present"
 * or not; every insertion starts a new generation. Once the kernel has opened
 * a medium (successful querymedia), removing or changing it makes the fake
 * "stale": it declines every request with DISK_STATUS_NO_MEDIA until the
 * kernel calls closemedia. With tag_sectors, each insertion stamps every
 * sector with FAKE_DISK_TAG_MAGIC, the generation and the LBA, so a test can
 * tell which medium a buffer came from (fake_disk_tag_parse).
 *
 * Fault plan: up to FAKE_DISK_MAX_FAULTS rules, each matching the Nth call of
 * one kind counted from when it was set, once or from then on. Quirks are
 * permanent misbehaviours for conformance tests (diskcheck).
 * Everything is thread-safe (one pthread mutex inside; it is never held while
 * calling into the block layer or while sleeping). Hosted builds only. */
#ifndef TESTS_FAKES_FAKE_DISK_H
#define TESTS_FAKES_FAKE_DISK_H

#include "blkdev/diskfunc.h"
#include "kernel/types.h"

struct disk;
struct fake_disk;

#define FAKE_DISK_MAX_FAULTS 4
#define FAKE_DISK_LOG_MAX (1u << 18) /* recorded calls; later ones are only counted */
#define FAKE_DISK_TAG_MAGIC 0x46414b45u /* "FAKE" little-endian, at byte 0 of a tag */
#define FAKE_DISK_TAG_BYTES 16    /* magic(4) generation(4) lba(8), little-endian */

enum fake_call {
    FAKE_CALL_CLOSE,
    FAKE_CALL_CLOSEMEDIA,
    FAKE_CALL_QUERYMEDIA,
    FAKE_CALL_READ,
    FAKE_CALL_WRITE,
    FAKE_CALL_FLUSH,
    FAKE_CALL_ADJUST,
    FAKE_CALL_TRAY,
    FAKE_CALL_KINDS
};

/* One recorded callback. */
struct fake_disk_call {
    enum fake_call kind;
    int64_t lba;      /* read/write: startsector as passed */
    int requested;    /* read/write: *numsectors on entry */
    int done;         /* read/write: *numsectors on return */
    int status;       /* DISK_STATUS_* returned (0 for void callbacks) */
    unsigned gen;     /* medium generation at the call (0 = none inserted yet) */
};

struct fake_disk_config {
    uint32_t sector_size; /* reported by querymedia, bytes; 0 = 512 (any value, even bad) */
    uint64_t capacity;    /* reported, sectors; backed by memory (keep it test-sized) */
    bool readonly;        /* DISK_MEDIA_READONLY; writes fail with GENERAL_ERROR */
    uint32_t strucsize;   /* DISKFUNC.strucsize given to DiskAdd; 0 = sizeof(DISKFUNC) */
    int add_flags;        /* DiskAdd flags, e.g. DISK_NO_INSERT_NOTIFICATION */
    bool start_present;   /* a medium is in the fake from the start (generation 1) */
    bool tag_sectors;     /* stamp every sector at insertion (see above) */
};

enum fake_fault_kind {
    FAKE_FAULT_STATUS, /* return `status`, having moved `done` sectors (clipped) */
    FAKE_FAULT_SHORT,  /* succeed with `done` sectors (0 = half the request, at least 1) */
    FAKE_FAULT_LIE,    /* move the sectors, report *numsectors = request + `done` (>= 1) */
};

struct fake_fault {
    enum fake_call call;       /* which callback: READ, WRITE, QUERYMEDIA or FLUSH */
    unsigned nth;              /* 1 = the next such call */
    bool persistent;           /* the nth and every later call */
    enum fake_fault_kind kind;
    int status;                /* FAKE_FAULT_STATUS: DISK_STATUS_* or any int */
    int done;                  /* see the kinds */
};

enum fake_quirk {
    FAKE_QUIRK_NO_CLIP = 1u << 0,     /* across the end: report the full request, OK */
    FAKE_QUIRK_OVERRUN = 1u << 1,     /* reads write one sector more into the buffer */
    FAKE_QUIRK_RO_WRITES = 1u << 2,   /* read-only media still accepts writes */
};

/* Allocate a fake (not yet registered). Returns 0, ERR_INVAL, ERR_NOMEM. */
int fake_disk_create(const struct fake_disk_config *cfg, struct fake_disk **out);
/* Free it. Allowed before fake_disk_add or after the kernel called close. */
void fake_disk_destroy(struct fake_disk *f);

/* Register as `name` through disk_add. Returns what disk_add returns. */
int fake_disk_add(struct fake_disk *f, const char *name);
/* The handle DiskAdd gave (NULL before fake_disk_add succeeded). */
struct disk *fake_disk_handle(const struct fake_disk *f);
/* The DISKFUNC table the fake registers (for tests calling DiskAdd directly). */
DISKFUNC *fake_disk_funcs(struct fake_disk *f);

/* Driver side, medium only: a medium goes in (new generation) / comes out. */
void fake_disk_insert(struct fake_disk *f);
void fake_disk_remove(struct fake_disk *f);
/* Driver side, with the notification: insert + DiskMediaChanged(h, 1) (only
 * insert for NO_INSERT_NOTIFICATION disks); remove + DiskMediaChanged(h, 0);
 * DiskDel(h). */
void fake_disk_media_in(struct fake_disk *f);
void fake_disk_media_out(struct fake_disk *f);
void fake_disk_del(struct fake_disk *f);

/* Fault plan: add a rule (ERR_NOSPC when full); drop all rules and quirks. */
int fake_disk_add_fault(struct fake_disk *f, const struct fake_fault *fault);
void fake_disk_clear_faults(struct fake_disk *f);
void fake_disk_set_quirks(struct fake_disk *f, unsigned quirks);
/* Sleep this long in every querymedia/read/write/flush (0 = none). */
void fake_disk_set_delay_ms(struct fake_disk *f, uint32_t ms);
/* Called (without the fake's lock) at the start of every callback of `call`
 * kind; NULL removes it. Lets a test act from inside a driver call. */
void fake_disk_set_hook(struct fake_disk *f, enum fake_call call,
                        void (*hook)(struct fake_disk *f, void *ctx), void *ctx);

/* Recorder. Counters never wrap within a test; the log keeps the first
 * FAKE_DISK_LOG_MAX calls. */
unsigned fake_disk_count(const struct fake_disk *f, enum fake_call kind);
size_t fake_disk_log_len(const struct fake_disk *f);
struct fake_disk_call fake_disk_log_at(const struct fake_disk *f, size_t i);
/* Log index of the nth (1-based) call of `kind`, or -1 if there is none. */
long fake_disk_log_find(const struct fake_disk *f, enum fake_call kind, unsigned nth);
/* Index of the last recorded call, or -1 on an empty log. */
long fake_disk_log_last(const struct fake_disk *f);
/* Successful querymedia calls (media the kernel may have opened). */
unsigned fake_disk_queries_ok(const struct fake_disk *f);
/* Callbacks the kernel made after close (must stay 0). */
unsigned fake_disk_calls_after_close(const struct fake_disk *f);
void fake_disk_log_clear(struct fake_disk *f);
/* Wait until closemedia was called at least `count` times. 0 or ERR_TIMEOUT. */
int fake_disk_wait_closemedia(struct fake_disk *f, unsigned count, uint32_t timeout_ms);

/* The backing store: capacity * sector_size bytes, for tests to fill and check. */
uint8_t *fake_disk_data(struct fake_disk *f);
size_t fake_disk_bytes(const struct fake_disk *f);
unsigned fake_disk_generation(const struct fake_disk *f);
/* Read a tag at the start of a sector buffer. Returns true if it is one. */
bool fake_disk_tag_parse(const void *sector, unsigned *gen, uint64_t *lba);

#endif
