/* SPDX-License-Identifier: MIT */
/* File-system probe table (STYLE §1): fs/ registers one entry per file system
 * it knows; blkdev/ runs every probe on every partition of a new media,
 * records the first entry that answers, mounts that file system on first use
 * (fsprobe_mounted) and unmounts it when the media is released, before the
 * driver's closemedia. blkdev/ never includes fs/: the mounted instance and
 * the operation table are opaque pointers here.
 * A probe sees the partition through a struct part_reader whose LBAs are
 * partition-relative and whose capacity is the partition's size. */
#ifndef BLKDEV_FSPROBE_H
#define BLKDEV_FSPROBE_H

#include "blkdev/part.h"

#define FSPROBE_MAX 8 /* registered file systems; we ship far fewer */

struct media;

struct fsprobe {
    const char *name; /* e.g. "fat"; informative */
    /* Return 0 and write the file system's name ("fat32") into name_out if the
     * partition holds this file system, ERR_NOENT if not, another ERR_* on I/O
     * failure. Must treat everything it reads as hostile. Context: thread. */
    int (*probe)(const struct part_reader *part, char *name_out, size_t name_len);
    /* Mount partition `part` (1-based) of m: validate fully, then return the
     * instance in *fs_out. Returns 0 or ERR_* (the reason is logged by the
     * file system). May be NULL (probe only). Context: thread, may sleep. */
    int (*mount)(struct media *m, unsigned part, void **fs_out);
    /* Release an instance (syncing what can still be synced first). The
     * media is still valid but may be removed (I/O fails). Context: thread. */
    void (*unmount)(void *fs);
    /* Make the instance durable (FAT: tables, FSInfo, clean bit, then
     * cache_sync). Returns 0 or ERR_*. May be NULL. Context: thread. */
    int (*sync)(void *fs);
    const void *ops; /* the fs layer's operation table; opaque to blkdev */
};

/* Register a probe (the table must stay valid); registering the same one
 * again does nothing. Returns 0, or ERR_NOSPC (logged) when the table is full. */
int fsprobe_register(const struct fsprobe *probe);

/* Run the probes on one partition; writes "none" when nothing matches.
 * Returns the entry that matched, or NULL. */
const struct fsprobe *fsprobe_run(const struct part_reader *part, char *name_out,
                                  size_t name_len);

/* The mounted file system of partition `part` (1-based) of m, mounting it on
 * the first call. The caller holds a media reference for as long as it uses
 * *fs_out (the instance lives until the media is released).
 * Returns 0, ERR_NOENT (no such partition), ERR_NODEV (no known file system,
 * or its mount failed: the failure is remembered, not retried).
 * Locking: takes the partition's mount lock. Context: thread, may sleep. */
int fsprobe_mounted(struct media *m, unsigned part, const struct fsprobe **probe_out,
                    void **fs_out);

/* Sync every disk, newest first: its mounted file systems (FAT copies,
 * FSInfo, dirty bit go into the cache), then its cache and device
 * (cache_sync). Newest first because a disk whose data lives in a file on
 * an older disk (a vdisk image on hd0's FAT) writes into that disk when
 * synced. For the `sync` command. Returns the first error; keeps going. */
int fsprobe_sync_all(void);

/* Like fsprobe_mounted, but never mounts: ERR_NODEV unless already mounted. */
int fsprobe_if_mounted(struct media *m, unsigned part, const struct fsprobe **probe_out,
                       void **fs_out);

#endif
