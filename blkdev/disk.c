// SPDX-License-Identifier: MIT
/* The disk registry and the media lifetime (see disk.h), after KolibriOS
 * kernel/trunk/blkdev/disk.inc.
 *
 * Lifetime essay. A disk is born in DiskAdd holding one reference, the
 * "registration", which DiskDel drops. Every operation holds a reference for
 * its duration, and so does every media object of the disk. When the count
 * reaches zero the driver's `close` runs - necessarily last of all, since a
 * media still alive would hold a reference.
 * A media is born when the driver announces it (DiskMediaChanged(h, 1)) or,
 * for DISK_NO_INSERT_NOTIFICATION disks, when an operation needs it and
 * querymedia succeeds. It holds one reference, "present", dropped when the
 * media is removed (DiskMediaChanged(h, 0), a change, or DiskDel); each
 * operation holds another. Removal makes it unreachable at once: disk->media
 * is cleared, and I/O through a removed media fails with ERR_NOMEDIA. When
 * its count reaches zero the driver's `closemedia` runs, exactly once.
 * Until then the disk remembers it as `closing` (so does a media dropped
 * because the disk changed while it was being inserted); an insertion announced
 * while a media is closing is a driver error (the contract forbids it): it is
 * logged and deferred until closemedia has run, never followed into a state
 * with two media.
 *
 * The sector cache hangs off the media: DiskDel first writes back what the
 * cache holds for the disk's media (the driver still works), and when a
 * media's last reference goes, the cache drops its lines before closemedia,
 * logging dirty sectors that could not be written (media already gone).
 *
 * Lock order: blk_state.lock (a mutex: list, all reference counts, the
 * media pointers) is the outermost block-layer lock; disk->insert_lock
 * (serialises insertions of one disk) is taken before it, never inside it;
 * the cache's lock (cache_state.lock) comes after both.
 * No lock is held while a driver callback runs. */
#include "blkdev/disk.h"
#include "blkdev/cache_priv.h"
#include "blkdev/disk_priv.h"
#include "kernel/assert.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/ksym.h"
#include "kernel/sync.h"

static struct {
    struct mutex lock;    /* protects the disk list, reference counts, media pointers */
    bool ready;
    struct disk *first;   /* registered disks, in registration order */
} blk_state;

/* ---- default callbacks for fields the driver left out ------------------------------------ */

static void STDCALL disk_default_close(void *userdata)
{
    (void)userdata;
}

static int STDCALL disk_default_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    (void)userdata;
    (void)info;
    return DISK_STATUS_INVALID_CALL;
}

static int STDCALL disk_default_rw(void *userdata, void *buffer, int64_t start, int *count)
{
    (void)userdata;
    (void)buffer;
    (void)start;
    *count = 0;
    return DISK_STATUS_INVALID_CALL;
}

static int STDCALL disk_default_write(void *userdata, const void *buffer, int64_t start,
                                      int *count)
{
    (void)userdata;
    (void)buffer;
    (void)start;
    *count = 0;
    return DISK_STATUS_INVALID_CALL;
}

static int STDCALL disk_default_flush(void *userdata)
{
    (void)userdata;
    return DISK_STATUS_OK;
}

static unsigned STDCALL disk_default_adjust(void *userdata, unsigned suggested)
{
    (void)userdata;
    return suggested;
}

static int STDCALL disk_default_tray(void *userdata, int flags)
{
    (void)userdata;
    (void)flags;
    return DISK_STATUS_INVALID_CALL;
}

/* A table field counts only if it lies wholly inside strucsize and is set. */
#define DISKFUNC_HAS(f, field)                                                                 \
    (offsetof(DISKFUNC, field) + sizeof((f)->field) <= (f)->strucsize && (f)->field)

static void disk_normalize_funcs(const DISKFUNC *f, DISKFUNC *out)
{
    out->strucsize = sizeof(*out);
    out->close = DISKFUNC_HAS(f, close) ? f->close : disk_default_close;
    out->closemedia = DISKFUNC_HAS(f, closemedia) ? f->closemedia : disk_default_close;
    out->querymedia = DISKFUNC_HAS(f, querymedia) ? f->querymedia : disk_default_querymedia;
    out->read = DISKFUNC_HAS(f, read) ? f->read : disk_default_rw;
    out->write = DISKFUNC_HAS(f, write) ? f->write : disk_default_write;
    out->flush = DISKFUNC_HAS(f, flush) ? f->flush : disk_default_flush;
    out->adjust_cache_size =
        DISKFUNC_HAS(f, adjust_cache_size) ? f->adjust_cache_size : disk_default_adjust;
    out->LoadTray = DISKFUNC_HAS(f, LoadTray) ? f->LoadTray : disk_default_tray;
}

/* ---- status conversion: the one place DISK_STATUS_* and enum err meet ------------------- */

int disk_status_to_err(int status)
{
    switch (status) {
    case DISK_STATUS_OK:
        return 0;
    case DISK_STATUS_INVALID_CALL:
        return ERR_NOTSUP;
    case DISK_STATUS_NO_MEDIA:
        return ERR_NOMEDIA;
    case DISK_STATUS_END_OF_MEDIA:
        return ERR_EOM;
    case DISK_STATUS_NO_MEMORY:
        return ERR_NOMEM;
    default: /* GENERAL_ERROR and anything unknown */
        return ERR_IO;
    }
}

int disk_err_to_status(int err)
{
    switch (err) {
    case 0:
        return DISK_STATUS_OK;
    case ERR_NOTSUP:
    case ERR_INVAL:
        return DISK_STATUS_INVALID_CALL;
    case ERR_NOMEDIA:
        return DISK_STATUS_NO_MEDIA;
    case ERR_EOM:
        return DISK_STATUS_END_OF_MEDIA;
    case ERR_NOMEM:
        return DISK_STATUS_NO_MEMORY;
    default:
        return DISK_STATUS_GENERAL_ERROR;
    }
}

void disk_violation(struct disk *d, const char *what)
{
    d->violations++;
    pr_err("disk: %s: driver broke the DISKFUNC contract: %s", d->name, what);
}

/* ---- registry ----------------------------------------------------------------------------- */

/* What driver modules may link against, besides the kernel's own exports. */
static const struct ksym blkdev_ksyms[] = {
    KSYM_ENTRY(DiskAdd),
    KSYM_ENTRY(DiskDel),
    KSYM_ENTRY(DiskMediaChanged),
};

void blkdev_init(void)
{
    if (blk_state.ready)
        return;
    cache_init();
    mutex_init(&blk_state.lock, "blk");
    blk_state.ready = true;
    if (ksym_register(blkdev_ksyms, ARRAY_SIZE(blkdev_ksyms)))
        pr_err("blkdev: cannot export DiskAdd/DiskDel/DiskMediaChanged to modules");
}

static bool disk_name_is_valid(const char *name, size_t *len_out)
{
    size_t len = 0;
    for (; name[len]; len++) {
        if (len == DISK_NAME_MAX)
            return false;
        if (!ch_is_lower(name[len]) && !ch_is_digit(name[len]))
            return false;
    }
    *len_out = len;
    return len > 0;
}

static struct disk *disk_find_locked(const char *name)
{
    lock_assert_held(&blk_state.lock);
    for (struct disk *d = blk_state.first; d; d = d->next) {
        if (kstrcasecmp(d->name, name) == 0)
            return d;
    }
    return NULL;
}

int disk_add(const DISKFUNC *funcs, const char *name, void *userdata, int flags,
             struct disk **out)
{
    size_t len;

    blkdev_init();
    /* 1. Validate what the driver passed. */
    if (!funcs || funcs->strucsize < sizeof(uint32_t)) {
        pr_err("disk: DiskAdd: bad DISKFUNC table (%s)", funcs ? "strucsize < 4" : "NULL");
        return ERR_INVAL;
    }
    if (!name || !disk_name_is_valid(name, &len)) {
        pr_err("disk: DiskAdd: bad name '%s' (want 1..%d of [a-z0-9])", name ? name : "(null)",
               DISK_NAME_MAX);
        return ERR_INVAL;
    }
    /* 2. Build the disk with its registration reference. */
    struct disk *d = kzalloc(sizeof(*d));
    if (!d) {
        pr_err("disk: %s: DiskAdd: out of memory", name);
        return ERR_NOMEM;
    }
    memcpy(d->name, name, len + 1);
    disk_normalize_funcs(funcs, &d->ops);
    d->has_write = DISKFUNC_HAS(funcs, write); /* else the cache writes through (and fails) */
    d->userdata = userdata;
    d->flags = flags;
    d->refs = 1;
    mutex_init(&d->insert_lock, "disk-insert");
    /* 3. Publish it unless the name is taken. */
    mutex_lock(&blk_state.lock);
    if (disk_find_locked(name)) {
        mutex_unlock(&blk_state.lock);
        pr_err("disk: %s: DiskAdd: name already registered", name);
        kfree(d);
        return ERR_EXIST;
    }
    struct disk **tail = &blk_state.first;
    while (*tail)
        tail = &(*tail)->next;
    *tail = d;
    mutex_unlock(&blk_state.lock);
    pr_info("disk: %s: added%s", d->name,
            (flags & DISK_NO_INSERT_NOTIFICATION) ? " (media polled on use)" : "");
    *out = d;
    return 0;
}

int disk_find(const char *name, struct disk **out)
{
    blkdev_init();
    mutex_lock(&blk_state.lock);
    struct disk *d = disk_find_locked(name);
    if (d)
        d->refs++;
    mutex_unlock(&blk_state.lock);
    if (!d)
        return ERR_NOENT;
    *out = d;
    return 0;
}

void disk_get(struct disk *d)
{
    mutex_lock(&blk_state.lock);
    KASSERT(d->refs > 0);
    d->refs++;
    mutex_unlock(&blk_state.lock);
}

void disk_put(struct disk *d)
{
    mutex_lock(&blk_state.lock);
    KASSERT(d->refs > 0);
    bool last = --d->refs == 0;
    mutex_unlock(&blk_state.lock);
    if (!last)
        return;
    /* The last reference: the disk is unlisted and has no media left. */
    KASSERT(d->deleted && !d->media && !d->closing);
    pr_info("disk: %s: closed", d->name);
    d->ops.close(d->userdata); /* last call the driver gets for this disk */
    kfree(d);
}

const char *disk_name(const struct disk *d)
{
    return d->name;
}

unsigned disk_contract_violations(const struct disk *d)
{
    return d->violations;
}

/* disk_for_each in registration order or its reverse. */
static int disk_visit(int (*fn)(struct disk *d, void *ctx), void *ctx, bool newest_first)
{
    struct disk **snap;
    size_t n = 0, i = 0;
    int rc = 0;

    /* 1. Snapshot the list with a reference on each disk, so fn may sleep,
     *    and disks may come and go meanwhile. */
    blkdev_init();
    mutex_lock(&blk_state.lock);
    for (struct disk *d = blk_state.first; d; d = d->next)
        n++;
    snap = kmalloc((n ? n : 1) * sizeof(*snap));
    if (snap) {
        for (struct disk *d = blk_state.first; d; d = d->next) {
            d->refs++;
            snap[i++] = d;
        }
    }
    mutex_unlock(&blk_state.lock);
    if (!snap)
        return ERR_NOMEM;
    /* 2. Visit, then drop every reference. */
    for (i = 0; i < n; i++) {
        struct disk *d = snap[newest_first ? n - 1 - i : i];
        if (rc == 0)
            rc = fn(d, ctx);
        disk_put(d);
    }
    kfree(snap);
    return rc;
}

int disk_for_each(int (*fn)(struct disk *d, void *ctx), void *ctx)
{
    return disk_visit(fn, ctx, false);
}

int disk_for_each_newest_first(int (*fn)(struct disk *d, void *ctx), void *ctx)
{
    return disk_visit(fn, ctx, true);
}

/* ---- media lifetime ----------------------------------------------------------------------- */

/* Drops one media reference under the lock; returns true if it was the last,
 * in which case the caller must call media_release() after unlocking. */
static bool media_unref_locked(struct media *m)
{
    lock_assert_held(&blk_state.lock);
    KASSERT(m->refs > 0);
    return --m->refs == 0;
}

/* Make the present media of d unreachable. Returns it if that dropped the
 * last reference (caller runs media_release), else NULL. */
static struct media *disk_detach_media_locked(struct disk *d)
{
    struct media *m = d->media;
    lock_assert_held(&blk_state.lock);
    if (!m)
        return NULL;
    d->media = NULL;
    m->removed = true;
    d->closing = m;
    return media_unref_locked(m) ? m : NULL;
}

static void disk_insert_media(struct disk *d);

/* The last reference to m is gone: closemedia, free, then a deferred insert. */
static void media_release(struct media *m)
{
    struct disk *d = m->disk;

    /* 1. The cache lets go of it (its dirty sectors are lost by now: logged).
     *    The driver hears that the kernel is done with this media. From the
     *    call on it may announce a new one (contract); that insertion waits
     *    for step 2. */
    media_unmount_parts(m); /* file systems go first: they may still sync */
    cache_media_release(m);
    pr_info("disk: %s: media closed", d->name);
    mutex_lock(&blk_state.lock);
    m->closemedia_called = true;
    mutex_unlock(&blk_state.lock);
    d->ops.closemedia(d->userdata);
    /* 2. Forget it; pick up an insertion that arrived in the meantime. */
    mutex_lock(&blk_state.lock);
    if (d->closing == m)
        d->closing = NULL;
    bool insert = d->insert_pending && !d->deleted;
    d->insert_pending = false;
    mutex_unlock(&blk_state.lock);
    media_free_parts(m);
    kfree(m);
    /* 3. The media's disk reference goes last: close may follow right here. */
    if (insert)
        disk_insert_media(d);
    disk_put(d);
}

bool media_tryget(struct media *m)
{
    mutex_lock(&blk_state.lock);
    bool ok = m->refs > 0;
    if (ok)
        m->refs++;
    mutex_unlock(&blk_state.lock);
    return ok;
}

void media_put(struct media *m)
{
    mutex_lock(&blk_state.lock);
    bool last = media_unref_locked(m);
    mutex_unlock(&blk_state.lock);
    if (last)
        media_release(m);
}

/* Ask the driver about its media and check the answer. */
static int disk_query_media(struct disk *d, DISKMEDIAINFO *info)
{
    memset(info, 0, sizeof(*info));
    int st = d->ops.querymedia(d->userdata, info);
    if (st != DISK_STATUS_OK)
        return disk_status_to_err(st);
    uint32_t ss = info->sectorsize;
    if (ss != 512 && ss != 1024 && ss != 2048 && ss != 4096) {
        pr_err("disk: %s: querymedia: sector size %u not supported (512/1024/2048/4096)",
               d->name, ss);
        return ERR_CORRUPT;
    }
    if (info->capacity == 0 || info->capacity > UINT64_MAX / ss) {
        pr_err("disk: %s: querymedia: capacity %llu sectors out of range", d->name,
               (unsigned long long)info->capacity);
        return ERR_CORRUPT;
    }
    return 0;
}

/* Query, scan and publish a new media for d. Serialised per disk. */
static void disk_insert_media(struct disk *d)
{
    DISKMEDIAINFO info;

    mutex_lock(&d->insert_lock);
    /* 1. Note the change count: a removal during steps 2-3 voids this insertion. */
    mutex_lock(&blk_state.lock);
    unsigned seq = d->change_seq;
    bool busy = d->media != NULL || d->closing != NULL || d->deleted;
    /* A media still closing blocks this insertion: do it after closemedia. */
    if (!d->media && d->closing && !d->deleted)
        d->insert_pending = true;
    mutex_unlock(&blk_state.lock);
    if (busy)
        goto out_unlock;
    /* 2. Ask the driver what is inserted. */
    int rc = disk_query_media(d, &info);
    if (rc) {
        if (rc != ERR_NOMEDIA)
            pr_warn("disk: %s: querymedia failed (%s)", d->name, err_name(rc));
        goto out_unlock;
    }
    struct media *m = kzalloc(sizeof(*m));
    if (!m) {
        pr_err("disk: %s: out of memory for new media", d->name);
        goto out_unlock;
    }
    m->disk = d;
    m->refs = 1; /* "present" */
    m->readonly = (info.flags & DISK_MEDIA_READONLY) != 0;
    m->sector_size = info.sectorsize;
    m->capacity = info.capacity;
    disk_get(d); /* the media's reference to its disk */
    /* 3. Partitions and file systems, read through this (unpublished) media. */
    media_scan_parts(m);
    /* 4. Publish, unless the disk changed meanwhile. */
    mutex_lock(&blk_state.lock);
    bool stale = d->change_seq != seq || d->deleted;
    if (!stale) {
        d->media = m;
    } else {
        /* The driver did hand this media out: it is closing until its
         * closemedia, so no other insertion may query before that. */
        m->removed = true;
        if (!d->closing)
            d->closing = m;
    }
    mutex_unlock(&blk_state.lock);
    if (stale) {
        pr_warn("disk: %s: media changed during insertion, dropped", d->name);
        mutex_unlock(&d->insert_lock);
        media_put(m); /* closemedia: the driver did hand this media out */
        return;
    }
    pr_info("disk: %s: media %llu sectors of %u bytes%s, %u partition(s)", d->name,
            (unsigned long long)m->capacity, m->sector_size, m->readonly ? ", read-only" : "",
            m->nparts);
out_unlock:
    mutex_unlock(&d->insert_lock);
}

void disk_media_changed(struct disk *d, bool present)
{
    struct media *release;

    /* 1. Refuse calls after DiskDel: the handle may be closing. */
    mutex_lock(&blk_state.lock);
    if (d->deleted) {
        mutex_unlock(&blk_state.lock);
        disk_violation(d, "DiskMediaChanged after DiskDel");
        return;
    }
    d->change_seq++;
    bool was_closing = d->closing != NULL && !d->closing->closemedia_called;
    /* 2. Whatever media there was is gone now (a change is removal + insertion). */
    release = disk_detach_media_locked(d);
    /* 3. An insertion while the old media is still in use waits for its
     *    closemedia; if the driver had already removed that media, announcing a
     *    new one before closemedia was called breaks the contract. (Once the
     *    call has started it is allowed, and just waits for it to finish.) */
    bool defer = present && d->closing && d->closing != release;
    if (defer)
        d->insert_pending = true;
    else if (!present)
        d->insert_pending = false; /* removal cancels an insertion still waiting */
    disk_get_locked(d);
    mutex_unlock(&blk_state.lock);
    if (release)
        media_release(release);
    if (defer && was_closing)
        disk_violation(d, "DiskMediaChanged(1) before closemedia of the previous media "
                          "(insertion deferred until it is closed)");
    else if (defer)
        pr_info("disk: %s: media changed while in use; new media after the old one closes",
                d->name);
    else if (present)
        disk_insert_media(d);
    disk_put(d);
}

void disk_get_locked(struct disk *d)
{
    lock_assert_held(&blk_state.lock);
    d->refs++;
}

void disk_del(struct disk *d)
{
    struct media *release;

    /* 0. The driver still works: write back what the cache holds for the
     *    present media (what arrives after this is lost, and logged). */
    mutex_lock(&blk_state.lock);
    struct media *present = d->deleted ? NULL : d->media;
    if (present)
        present->refs++;
    mutex_unlock(&blk_state.lock);
    if (present) {
        cache_media_flush_before_removal(present);
        media_put(present);
    }
    /* 1. Unlist the disk so no new operation can find it. */
    mutex_lock(&blk_state.lock);
    if (d->deleted) {
        mutex_unlock(&blk_state.lock);
        disk_violation(d, "DiskDel called twice");
        return;
    }
    d->deleted = true;
    d->change_seq++;
    for (struct disk **p = &blk_state.first; *p; p = &(*p)->next) {
        if (*p == d) {
            *p = d->next;
            break;
        }
    }
    /* 2. Its media goes away with it. */
    release = disk_detach_media_locked(d);
    d->insert_pending = false;
    mutex_unlock(&blk_state.lock);
    pr_info("disk: %s: deleted", d->name);
    if (release)
        media_release(release);
    /* 3. Drop the registration reference: close runs after the last user. */
    disk_put(d);
}

int disk_get_media(struct disk *d, struct media **out)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        mutex_lock(&blk_state.lock);
        struct media *m = d->media;
        if (m)
            m->refs++;
        bool can_poll = !m && !d->deleted && !d->closing &&
                        (d->flags & DISK_NO_INSERT_NOTIFICATION);
        mutex_unlock(&blk_state.lock);
        if (m) {
            *out = m;
            return 0;
        }
        if (!can_poll || attempt == 1)
            break;
        /* DISK_NO_INSERT_NOTIFICATION: a successful querymedia is an insertion. */
        disk_insert_media(d);
    }
    return ERR_NOMEDIA;
}

/* A driver of a DISK_NO_INSERT_NOTIFICATION disk said NO_MEDIA during I/O:
 * the kernel itself notices the removal (nobody else will tell it). */
void disk_noticed_no_media(struct media *m)
{
    struct disk *d = m->disk;
    if (!(d->flags & DISK_NO_INSERT_NOTIFICATION))
        return;
    mutex_lock(&blk_state.lock);
    struct media *release = d->media == m ? disk_detach_media_locked(d) : NULL;
    if (d->media == NULL)
        d->change_seq++;
    mutex_unlock(&blk_state.lock);
    if (release)
        media_release(release);
}

bool media_is_removed(const struct media *m)
{
    return m->removed;
}

struct disk *media_disk(const struct media *m)
{
    return m->disk;
}

uint32_t media_sector_size(const struct media *m)
{
    return m->sector_size;
}

lba_t media_capacity(const struct media *m)
{
    return m->capacity;
}

bool media_is_readonly(const struct media *m)
{
    return m->readonly;
}

int disk_load_tray(struct disk *d, int flags)
{
    return disk_status_to_err(d->ops.LoadTray(d->userdata, flags));
}

bool disk_has_tray(const struct disk *d)
{
    return d->ops.LoadTray != disk_default_tray;
}

unsigned disk_adjust_cache_size(struct disk *d, unsigned suggested_bytes)
{
    return d->ops.adjust_cache_size(d->userdata, suggested_bytes);
}

/* ---- the KolibriOS exports ---------------------------------------------------------------- */

void *STDCALL DiskAdd(DISKFUNC *functions, const char *name, void *userdata, int flags)
{
    struct disk *d = NULL;
    if (disk_add(functions, name, userdata, flags, &d))
        return NULL;
    return d;
}

void STDCALL DiskDel(void *hDisk)
{
    if (hDisk)
        disk_del(hDisk);
}

void STDCALL DiskMediaChanged(void *hDisk, int newstate)
{
    if (hDisk)
        disk_media_changed(hDisk, newstate != 0);
}
