// SPDX-License-Identifier: MIT
/* Memory-backed DISKFUNC driver with a fault plan and a call recorder (see
 * fake_disk.h). Each callback: 1. runs the test's hook, 2. sleeps the
 * configured delay, 3. under the fake's lock decides the answer (medium
 * state, then the fault plan, then quirks), moves the data and records the
 * call. The block layer is only entered from the driver-side helpers
 * (fake_disk_add, _media_in/_out, _del), never with the lock held. */
#include "tests/fakes/fake_disk.h"
#include "blkdev/disk.h"
#include "kernel/err.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_DISK_MAX_BYTES (1u << 30) /* backing store cap (vdisk_bench: ~600 MiB) */
#define FAKE_OVERRUN_BYTE 0x00           /* what FAKE_QUIRK_OVERRUN scribbles */

struct fake_fault_slot {
    struct fake_fault rule;
    unsigned seen;  /* matching calls since the rule was added */
    bool used;      /* slot holds a rule */
};

struct fake_disk {
    pthread_mutex_t lock;         /* protects every field below except funcs/cfg */
    pthread_cond_t changed;       /* broadcast on closemedia and close */
    DISKFUNC funcs;               /* the table given to DiskAdd; constant */
    struct fake_disk_config cfg;  /* constant after create */
    struct disk *handle;          /* from disk_add; set once */
    uint8_t *data;                /* backing store, cfg.capacity sectors */
    size_t bytes;
    bool present;                 /* a medium is in the fake */
    bool media_open;              /* querymedia succeeded and no closemedia since */
    bool stale;                   /* opened medium removed/changed: decline until closemedia */
    bool closed;                  /* close was called */
    unsigned gen;                 /* generation of the present (or last) medium */
    unsigned quirks;              /* enum fake_quirk bits */
    uint32_t delay_ms;
    struct fake_fault_slot faults[FAKE_DISK_MAX_FAULTS];
    void (*hook[FAKE_CALL_KINDS])(struct fake_disk *f, void *ctx);
    void *hook_ctx[FAKE_CALL_KINDS];
    unsigned counts[FAKE_CALL_KINDS];
    unsigned queries_ok;
    unsigned after_close;
    struct fake_disk_call *log;   /* grows by doubling up to FAKE_DISK_LOG_MAX entries */
    size_t log_len, log_cap;
};

/* ---- helpers (lock held unless said otherwise) ----------------------------------------------- */

static void fake_record_locked(struct fake_disk *f, enum fake_call kind, int64_t lba,
                               int requested, int done, int status)
{
    f->counts[kind]++;
    if (f->closed && !(kind == FAKE_CALL_CLOSE && f->counts[kind] == 1))
        f->after_close++;
    if (f->log_len == f->log_cap && f->log_cap < FAKE_DISK_LOG_MAX) {
        size_t cap = f->log_cap ? f->log_cap * 2 : 1024;
        struct fake_disk_call *grown = realloc(f->log, cap * sizeof(*grown));
        if (grown) {
            f->log = grown;
            f->log_cap = cap;
        }
    }
    if (f->log_len < f->log_cap) {
        f->log[f->log_len++] = (struct fake_disk_call){
            .kind = kind, .lba = lba, .requested = requested, .done = done,
            .status = status, .gen = f->gen,
        };
    }
}

/* The rule that fires for this call of `kind`, if any; counts the call. */
static const struct fake_fault *fake_match_fault_locked(struct fake_disk *f, enum fake_call kind)
{
    const struct fake_fault *hit = NULL;
    for (size_t i = 0; i < FAKE_DISK_MAX_FAULTS; i++) {
        struct fake_fault_slot *s = &f->faults[i];
        if (!s->used || s->rule.call != kind)
            continue;
        s->seen++;
        bool fires = s->rule.persistent ? s->seen >= s->rule.nth : s->seen == s->rule.nth;
        if (fires && !hit)
            hit = &s->rule;
    }
    return hit;
}

static void fake_stamp_locked(struct fake_disk *f)
{
    uint32_t ss = f->cfg.sector_size;
    if (!f->cfg.tag_sectors || ss < FAKE_DISK_TAG_BYTES || !f->data)
        return;
    for (uint64_t lba = 0; lba < f->cfg.capacity; lba++) {
        uint8_t *p = f->data + lba * ss;
        for (int i = 0; i < 4; i++) {
            p[i] = (uint8_t)(FAKE_DISK_TAG_MAGIC >> (8 * i));
            p[4 + i] = (uint8_t)(f->gen >> (8 * i));
        }
        for (int i = 0; i < 8; i++)
            p[8 + i] = (uint8_t)(lba >> (8 * i));
    }
}

/* Steps 1 and 2 of every callback; called without the lock. */
static void fake_enter(struct fake_disk *f, enum fake_call kind)
{
    pthread_mutex_lock(&f->lock);
    void (*hook)(struct fake_disk *, void *) = f->hook[kind];
    void *ctx = f->hook_ctx[kind];
    uint32_t ms = f->delay_ms;
    pthread_mutex_unlock(&f->lock);
    if (hook)
        hook(f, ctx);
    bool io = kind == FAKE_CALL_QUERYMEDIA || kind == FAKE_CALL_READ ||
              kind == FAKE_CALL_WRITE || kind == FAKE_CALL_FLUSH;
    if (io && ms) {
        struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* ---- DISKFUNC callbacks ---------------------------------------------------------------------- */

static void STDCALL fake_close(void *userdata)
{
    struct fake_disk *f = userdata;
    fake_enter(f, FAKE_CALL_CLOSE);
    pthread_mutex_lock(&f->lock);
    fake_record_locked(f, FAKE_CALL_CLOSE, 0, 0, 0, 0);
    f->closed = true;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

static void STDCALL fake_closemedia(void *userdata)
{
    struct fake_disk *f = userdata;
    fake_enter(f, FAKE_CALL_CLOSEMEDIA);
    pthread_mutex_lock(&f->lock);
    fake_record_locked(f, FAKE_CALL_CLOSEMEDIA, 0, 0, 0, 0);
    f->media_open = false;
    f->stale = false; /* the kernel let go: a new medium may be used now */
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

static int STDCALL fake_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct fake_disk *f = userdata;
    int status = DISK_STATUS_OK;
    fake_enter(f, FAKE_CALL_QUERYMEDIA);
    pthread_mutex_lock(&f->lock);
    const struct fake_fault *fault = fake_match_fault_locked(f, FAKE_CALL_QUERYMEDIA);
    if (!f->present || f->stale) {
        status = DISK_STATUS_NO_MEDIA;
    } else if (fault) {
        status = fault->status;
    } else {
        info->flags = f->cfg.readonly ? DISK_MEDIA_READONLY : 0;
        info->sectorsize = f->cfg.sector_size;
        info->capacity = f->cfg.capacity;
        f->media_open = true;
        f->queries_ok++;
    }
    fake_record_locked(f, FAKE_CALL_QUERYMEDIA, 0, 0, 0, status);
    pthread_mutex_unlock(&f->lock);
    return status;
}

/* Read or write: 3a. medium and arguments, 3b. fault plan and quirks,
 * 3c. move the data, 3d. record. */
static int fake_rw(struct fake_disk *f, enum fake_call kind, void *buf, int64_t start,
                   int *numsectors)
{
    int want = *numsectors;
    int report = 0, status;
    uint32_t ss = f->cfg.sector_size;

    fake_enter(f, kind);
    pthread_mutex_lock(&f->lock);
    const struct fake_fault *fault = fake_match_fault_locked(f, kind);
    /* 3a. */
    if (!f->present || f->stale) {
        status = DISK_STATUS_NO_MEDIA;
        goto out_record;
    }
    if (kind == FAKE_CALL_WRITE && f->cfg.readonly && !(f->quirks & FAKE_QUIRK_RO_WRITES)) {
        status = DISK_STATUS_GENERAL_ERROR;
        goto out_record;
    }
    if (start < 0 || want < 0) {
        status = DISK_STATUS_INVALID_CALL;
        goto out_record;
    }
    if ((uint64_t)start >= f->cfg.capacity) {
        status = want ? DISK_STATUS_END_OF_MEDIA : DISK_STATUS_OK;
        goto out_record;
    }
    /* 3b. */
    uint64_t left = f->cfg.capacity - (uint64_t)start;
    int avail = (uint64_t)want > left ? (int)left : want;
    int move = avail;
    report = avail;
    status = avail < want ? DISK_STATUS_END_OF_MEDIA : DISK_STATUS_OK;
    if (fault && fault->kind == FAKE_FAULT_STATUS) {
        move = MIN(MAX(fault->done, 0), avail);
        report = move;
        status = fault->status;
    } else if (fault && fault->kind == FAKE_FAULT_SHORT) {
        int n = fault->done > 0 ? fault->done : MAX(1, want / 2);
        move = MIN(n, avail);
        report = move;
        status = DISK_STATUS_OK;
    } else if (fault && fault->kind == FAKE_FAULT_LIE) {
        int extra = MAX(fault->done, 1);
        report = want > INT_MAX - extra ? INT_MAX : want + extra;
        status = DISK_STATUS_OK;
    } else if ((f->quirks & FAKE_QUIRK_NO_CLIP) && avail < want) {
        report = want;
        status = DISK_STATUS_OK;
    }
    /* 3c. */
    size_t off = (size_t)start * ss, len = (size_t)move * ss;
    if (kind == FAKE_CALL_READ) {
        memcpy(buf, f->data + off, len);
        if ((f->quirks & FAKE_QUIRK_OVERRUN) && move > 0)
            memset((uint8_t *)buf + len, FAKE_OVERRUN_BYTE, ss);
    } else {
        memcpy(f->data + off, buf, len);
    }
out_record:
    /* 3d. */
    *numsectors = report;
    fake_record_locked(f, kind, start, want, report, status);
    pthread_mutex_unlock(&f->lock);
    return status;
}

static int STDCALL fake_read(void *userdata, void *buffer, int64_t startsector, int *numsectors)
{
    return fake_rw(userdata, FAKE_CALL_READ, buffer, startsector, numsectors);
}

static int STDCALL fake_write(void *userdata, const void *buffer, int64_t startsector,
                              int *numsectors)
{
    /* fake_rw only reads the buffer of a write. */
    return fake_rw(userdata, FAKE_CALL_WRITE, (void *)(uintptr_t)buffer, startsector,
                   numsectors);
}

static int STDCALL fake_flush(void *userdata)
{
    struct fake_disk *f = userdata;
    int status = DISK_STATUS_OK;
    fake_enter(f, FAKE_CALL_FLUSH);
    pthread_mutex_lock(&f->lock);
    const struct fake_fault *fault = fake_match_fault_locked(f, FAKE_CALL_FLUSH);
    if (!f->present || f->stale)
        status = DISK_STATUS_NO_MEDIA;
    else if (fault)
        status = fault->status;
    fake_record_locked(f, FAKE_CALL_FLUSH, 0, 0, 0, status);
    pthread_mutex_unlock(&f->lock);
    return status;
}

static unsigned STDCALL fake_adjust(void *userdata, unsigned suggested)
{
    struct fake_disk *f = userdata;
    fake_enter(f, FAKE_CALL_ADJUST);
    pthread_mutex_lock(&f->lock);
    fake_record_locked(f, FAKE_CALL_ADJUST, 0, (int)suggested, (int)suggested, 0);
    pthread_mutex_unlock(&f->lock);
    return suggested;
}

static int STDCALL fake_tray(void *userdata, int flags)
{
    struct fake_disk *f = userdata;
    fake_enter(f, FAKE_CALL_TRAY);
    pthread_mutex_lock(&f->lock);
    fake_record_locked(f, FAKE_CALL_TRAY, 0, flags, 0, DISK_STATUS_OK);
    pthread_mutex_unlock(&f->lock);
    return DISK_STATUS_OK;
}

/* ---- setup and driver-side actions ----------------------------------------------------------- */

int fake_disk_create(const struct fake_disk_config *cfg, struct fake_disk **out)
{
    if (!cfg || !out)
        return ERR_INVAL;
    struct fake_disk *f = calloc(1, sizeof(*f));
    if (!f)
        return ERR_NOMEM;
    f->cfg = *cfg;
    if (!f->cfg.sector_size)
        f->cfg.sector_size = 512;
    if (!f->cfg.strucsize)
        f->cfg.strucsize = sizeof(DISKFUNC);
    /* Bad geometry is allowed (querymedia reports it), but is never backed. */
    if (f->cfg.capacity && f->cfg.capacity <= FAKE_DISK_MAX_BYTES / f->cfg.sector_size) {
        f->bytes = (size_t)f->cfg.capacity * f->cfg.sector_size;
        f->data = calloc(1, f->bytes);
    } else if (f->cfg.capacity) {
        free(f);
        return ERR_INVAL;
    }
    if (f->bytes && !f->data) {
        free(f);
        return ERR_NOMEM;
    }
    f->funcs = (DISKFUNC){
        .strucsize = f->cfg.strucsize,
        .close = fake_close,
        .closemedia = fake_closemedia,
        .querymedia = fake_querymedia,
        .read = fake_read,
        .write = fake_write,
        .flush = fake_flush,
        .adjust_cache_size = fake_adjust,
        .LoadTray = fake_tray,
    };
    pthread_mutex_init(&f->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&f->changed, &attr);
    pthread_condattr_destroy(&attr);
    if (f->cfg.start_present) {
        f->present = true;
        f->gen = 1;
        fake_stamp_locked(f);
    }
    *out = f;
    return 0;
}

void fake_disk_destroy(struct fake_disk *f)
{
    if (!f)
        return;
    pthread_cond_destroy(&f->changed);
    pthread_mutex_destroy(&f->lock);
    free(f->data);
    free(f->log);
    free(f);
}

int fake_disk_add(struct fake_disk *f, const char *name)
{
    struct disk *d = NULL;
    int rc = disk_add(&f->funcs, name, f, f->cfg.add_flags, &d);
    if (rc == 0) {
        pthread_mutex_lock(&f->lock);
        f->handle = d;
        pthread_mutex_unlock(&f->lock);
    }
    return rc;
}

struct disk *fake_disk_handle(const struct fake_disk *f)
{
    return f->handle;
}

DISKFUNC *fake_disk_funcs(struct fake_disk *f)
{
    return &f->funcs;
}

void fake_disk_insert(struct fake_disk *f)
{
    pthread_mutex_lock(&f->lock);
    if (f->media_open)
        f->stale = true; /* a change: the opened medium is gone */
    f->present = true;
    f->gen++;
    fake_stamp_locked(f);
    pthread_mutex_unlock(&f->lock);
}

void fake_disk_remove(struct fake_disk *f)
{
    pthread_mutex_lock(&f->lock);
    if (f->media_open)
        f->stale = true;
    f->present = false;
    pthread_mutex_unlock(&f->lock);
}

void fake_disk_media_in(struct fake_disk *f)
{
    fake_disk_insert(f);
    if (!(f->cfg.add_flags & DISK_NO_INSERT_NOTIFICATION))
        DiskMediaChanged(f->handle, 1);
}

void fake_disk_media_out(struct fake_disk *f)
{
    fake_disk_remove(f);
    if (!(f->cfg.add_flags & DISK_NO_INSERT_NOTIFICATION))
        DiskMediaChanged(f->handle, 0);
}

void fake_disk_del(struct fake_disk *f)
{
    DiskDel(f->handle);
}

/* ---- fault plan ------------------------------------------------------------------------------ */

int fake_disk_add_fault(struct fake_disk *f, const struct fake_fault *fault)
{
    int rc = ERR_NOSPC;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < FAKE_DISK_MAX_FAULTS; i++) {
        if (!f->faults[i].used) {
            f->faults[i] = (struct fake_fault_slot){ .rule = *fault, .used = true };
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

void fake_disk_clear_faults(struct fake_disk *f)
{
    pthread_mutex_lock(&f->lock);
    memset(f->faults, 0, sizeof(f->faults));
    f->quirks = 0;
    pthread_mutex_unlock(&f->lock);
}

void fake_disk_set_quirks(struct fake_disk *f, unsigned quirks)
{
    pthread_mutex_lock(&f->lock);
    f->quirks = quirks;
    pthread_mutex_unlock(&f->lock);
}

void fake_disk_set_delay_ms(struct fake_disk *f, uint32_t ms)
{
    pthread_mutex_lock(&f->lock);
    f->delay_ms = ms;
    pthread_mutex_unlock(&f->lock);
}

void fake_disk_set_hook(struct fake_disk *f, enum fake_call call,
                        void (*hook)(struct fake_disk *f, void *ctx), void *ctx)
{
    pthread_mutex_lock(&f->lock);
    f->hook[call] = hook;
    f->hook_ctx[call] = ctx;
    pthread_mutex_unlock(&f->lock);
}

/* ---- recorder -------------------------------------------------------------------------------- */

/* The getters take the lock, which is not const; the recorder itself is. */
static struct fake_disk *fake_mut(const struct fake_disk *f)
{
    return (struct fake_disk *)(uintptr_t)f;
}

unsigned fake_disk_count(const struct fake_disk *f, enum fake_call kind)
{
    struct fake_disk *m = fake_mut(f);
    pthread_mutex_lock(&m->lock);
    unsigned n = m->counts[kind];
    pthread_mutex_unlock(&m->lock);
    return n;
}

size_t fake_disk_log_len(const struct fake_disk *f)
{
    struct fake_disk *m = fake_mut(f);
    pthread_mutex_lock(&m->lock);
    size_t n = m->log_len;
    pthread_mutex_unlock(&m->lock);
    return n;
}

struct fake_disk_call fake_disk_log_at(const struct fake_disk *f, size_t i)
{
    struct fake_disk *m = fake_mut(f);
    struct fake_disk_call c = { .kind = FAKE_CALL_KINDS };
    pthread_mutex_lock(&m->lock);
    if (i < m->log_len)
        c = m->log[i];
    pthread_mutex_unlock(&m->lock);
    return c;
}

long fake_disk_log_find(const struct fake_disk *f, enum fake_call kind, unsigned nth)
{
    struct fake_disk *m = fake_mut(f);
    long at = -1;
    unsigned seen = 0;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->log_len; i++) {
        if (m->log[i].kind == kind && ++seen == nth) {
            at = (long)i;
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return at;
}

long fake_disk_log_last(const struct fake_disk *f)
{
    return (long)fake_disk_log_len(f) - 1;
}

unsigned fake_disk_queries_ok(const struct fake_disk *f)
{
    struct fake_disk *m = fake_mut(f);
    pthread_mutex_lock(&m->lock);
    unsigned n = m->queries_ok;
    pthread_mutex_unlock(&m->lock);
    return n;
}

unsigned fake_disk_calls_after_close(const struct fake_disk *f)
{
    struct fake_disk *m = fake_mut(f);
    pthread_mutex_lock(&m->lock);
    unsigned n = m->after_close;
    pthread_mutex_unlock(&m->lock);
    return n;
}

void fake_disk_log_clear(struct fake_disk *f)
{
    pthread_mutex_lock(&f->lock);
    f->log_len = 0;
    memset(f->counts, 0, sizeof(f->counts));
    f->queries_ok = 0;
    pthread_mutex_unlock(&f->lock);
}

int fake_disk_wait_closemedia(struct fake_disk *f, unsigned count, uint32_t timeout_ms)
{
    struct timespec deadline;
    int rc = 0;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->lock);
    while (f->counts[FAKE_CALL_CLOSEMEDIA] < count && rc == 0) {
        if (pthread_cond_timedwait(&f->changed, &f->lock, &deadline) != 0 &&
            f->counts[FAKE_CALL_CLOSEMEDIA] < count)
            rc = ERR_TIMEOUT;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

/* ---- data ------------------------------------------------------------------------------------ */

uint8_t *fake_disk_data(struct fake_disk *f)
{
    return f->data;
}

size_t fake_disk_bytes(const struct fake_disk *f)
{
    return f->bytes;
}

unsigned fake_disk_generation(const struct fake_disk *f)
{
    struct fake_disk *m = fake_mut(f);
    pthread_mutex_lock(&m->lock);
    unsigned g = m->gen;
    pthread_mutex_unlock(&m->lock);
    return g;
}

bool fake_disk_tag_parse(const void *sector, unsigned *gen, uint64_t *lba)
{
    const uint8_t *p = sector;
    uint32_t magic = 0, g = 0;
    uint64_t l = 0;
    for (int i = 0; i < 4; i++) {
        magic |= (uint32_t)p[i] << (8 * i);
        g |= (uint32_t)p[4 + i] << (8 * i);
    }
    for (int i = 0; i < 8; i++)
        l |= (uint64_t)p[8 + i] << (8 * i);
    if (magic != FAKE_DISK_TAG_MAGIC)
        return false;
    *gen = g;
    *lba = l;
    return true;
}
