/* SPDX-License-Identifier: MIT */
/* File-system probe table (STYLE §1): fs/ registers one probe per file system
 * it knows; blkdev/ runs every probe on every partition of a new media and
 * records the first name that answers. blkdev/ never includes fs/.
 * A probe sees the partition through a struct part_reader whose LBAs are
 * partition-relative and whose capacity is the partition's size. */
#ifndef BLKDEV_FSPROBE_H
#define BLKDEV_FSPROBE_H

#include "blkdev/part.h"

#define FSPROBE_MAX 8 /* registered file systems; we ship far fewer */

struct fsprobe {
    const char *name; /* e.g. "fat"; informative */
    /* Return 0 and write the file system's name ("fat32") into name_out if the
     * partition holds this file system, ERR_NOENT if not, another ERR_* on I/O
     * failure. Must treat everything it reads as hostile. Context: thread. */
    int (*probe)(const struct part_reader *part, char *name_out, size_t name_len);
};

/* Register a probe (the table must stay valid). Returns 0 or ERR_NOSPC. */
int fsprobe_register(const struct fsprobe *probe);

/* Run the probes on one partition; writes "none" when nothing matches. */
void fsprobe_run(const struct part_reader *part, char *name_out, size_t name_len);

#endif
