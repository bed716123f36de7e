/* SPDX-License-Identifier: MIT */
/* A load generator for the file layer: stress_run() starts several threads
 * that, until a deadline, do a seeded random mix of create, read-back,
 * overwrite, append, truncate/extend, rename/move, delete, mkdir/rmdir and an
 * occasional vfs_sync_all() over their own files, spread over the folders
 * given. Each thread keeps a shadow copy of what every one of its files must
 * hold and compares every byte it reads (and every size it is told) against
 * it. A full disk (ERR_NOSPC) is an expected outcome: the thread deletes the
 * file it was writing plus another one and carries on. At the end each
 * thread verifies and deletes what it made, so the folders are left empty.
 * Only fs/vfs.h is used: any mounted file system works.
 * The shell command is `stress SECONDS THREADS PATH [PATH...]`.
 * It does not measure speed (that is blkbench) and does not inject faults
 * (that is the faulty disk). */
#ifndef FS_STRESS_H
#define FS_STRESS_H

#include "kernel/types.h"

#define STRESS_MAX_THREADS 16        /* enough to oversubscribe any machine we boot on */
#define STRESS_MAX_PATHS 8           /* folders per run */
#define STRESS_MAX_SECONDS 3600      /* one hour */
#define STRESS_FILES_PER_THREAD 8    /* file slots per thread, dealt round-robin to the paths */
#define STRESS_FILE_MAX_BYTES 65536u /* largest file (the shadow copy lives in the heap) */

struct stress_config {
    uint32_t seconds;          /* run time, 1..STRESS_MAX_SECONDS */
    unsigned threads;          /* 1..STRESS_MAX_THREADS */
    const char *const *paths;  /* npaths folders "/DISK/PART/dir", created if missing */
    unsigned npaths;           /* 1..STRESS_MAX_PATHS */
    uint32_t seed;             /* base seed; thread i uses seed + i (0 is allowed) */
};

/* What one thread (or the whole run) did. */
struct stress_stats {
    uint64_t ops;            /* operations attempted */
    uint64_t bytes_written;  /* bytes the file system accepted */
    uint64_t bytes_verified; /* bytes read back and compared */
    uint64_t mismatches;     /* wrong bytes or wrong sizes seen (each counted once per check) */
    uint64_t errors;         /* unexpected error codes */
    uint64_t nospc;          /* ERR_NOSPC seen (expected, not an error) */
};

/* Run the load described by cfg and wait for every thread. *total gets the
 * sum; per_thread (NULL or an array of cfg->threads) gets each thread's share.
 * Every mismatch and unexpected error also leaves one "stress: ..." line in
 * the kernel log.
 * Returns 0 when the run happened (look at mismatches/errors for its verdict),
 * ERR_INVAL for a bad config, ERR_NOMEM, or the error of creating a folder of
 * cfg->paths (nothing was started then).
 * Locking: none held. Context: thread, sleeps for cfg->seconds. */
int stress_run(const struct stress_config *cfg, struct stress_stats *total,
               struct stress_stats *per_thread);

/* Register the `stress` shell command. Context: init time. */
void stress_register_commands(void);

#endif
