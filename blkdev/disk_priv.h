/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of the block-layer core (disk.c, media_io.c,
 * media_scan.c) and the sector cache (cache*.c). Not for use outside blkdev/. */
#ifndef BLKDEV_DISK_PRIV_H
#define BLKDEV_DISK_PRIV_H

#include "blkdev/disk.h"
#include "kernel/sync.h"

#define FS_NAME_MAX 15

struct disk {
    struct disk *next;        /* registry list; blk lock */
    char name[DISK_NAME_MAX + 1]; /* set at DiskAdd, then constant */
    DISKFUNC ops;             /* the driver's table with defaults filled in; constant */
    void *userdata;           /* passed to every callback; constant */
    int flags;                /* DiskAdd flags; constant */
    bool has_write;           /* the driver's table has a write callback; constant */
    unsigned refs;            /* blk lock */
    bool deleted;             /* DiskDel was called; blk lock */
    struct media *media;      /* present media or NULL; blk lock */
    struct media *closing;    /* removed media awaiting closemedia; blk lock */
    bool insert_pending;      /* insertion deferred until `closing` is closed; blk lock */
    unsigned change_seq;      /* bumped by every media change and DiskDel; blk lock */
    struct mutex insert_lock; /* serialises insertions of this disk (outside blk lock) */
    unsigned violations;      /* contract violations seen (statistics) */
};

struct media_part {
    struct part_info info;    /* from the partition scan; constant after insertion */
    char fs[FS_NAME_MAX + 1]; /* probed file system, "none" if none */
    const struct fsprobe *probe; /* the entry that matched, NULL if none; constant */
    struct mutex mount_lock;  /* guards the three fields below */
    void *fs_instance;        /* mounted file system, NULL until first use; mount_lock */
    int mount_err;            /* 0, or why the mount failed (not retried); mount_lock */
    bool mount_tried;         /* mount was attempted; mount_lock */
};

struct media {
    struct disk *disk;        /* holds a reference on it; constant */
    unsigned refs;            /* blk lock */
    bool removed;             /* set once, under blk lock; read without it by I/O */
    bool closemedia_called;   /* closemedia has started (may still run); blk lock */
    bool readonly;            /* constant after insertion */
    uint32_t sector_size;     /* bytes; validated; constant */
    lba_t capacity;           /* sectors; validated; constant */
    struct media_part *parts; /* kmalloc'ed array, nparts long; constant after insertion */
    unsigned nparts;
    struct cache_dev *cache;  /* its sector cache, NULL before the first I/O; cache lock */
};

/* DISK_STATUS_* -> enum err; the only such conversion (unknown -> ERR_IO). */
int disk_status_to_err(int status);
/* Count and log a driver contract violation. */
void disk_violation(struct disk *d, const char *what);
void disk_get_locked(struct disk *d);
/* A NO_INSERT_NOTIFICATION driver reported NO_MEDIA: treat as removal. */
void disk_noticed_no_media(struct media *m);
/* Take a media reference unless the last one is already gone (then the
 * media is being released). For the cache's flusher, which finds media
 * through its own tables. No lock held. */
bool media_tryget(struct media *m);
/* The raw driver path (media_io.c), used only by the cache: bounds and
 * read-only checks, requests of at most DISK_MAX_REQUEST_SECTORS, every
 * driver answer checked against the DISKFUNC contract. Returns as
 * media_read/media_write in disk.h. No lock held. */
int media_driver_read(struct media *m, lba_t lba, uint32_t count, void *buf, uint32_t *done);
int media_driver_write(struct media *m, lba_t lba, uint32_t count, const void *buf,
                       uint32_t *done);
/* The driver's flush callback (device write cache). 0, ERR_NOMEDIA, ERR_*. */
int media_driver_flush(struct media *m);
/* Partition scan + fs probe of a new media (media_scan.c); and its undo. */
void media_scan_parts(struct media *m);
void media_free_parts(struct media *m);
/* Unmount every mounted file system of m (media_scan.c); before closemedia. */
void media_unmount_parts(struct media *m);

#endif
