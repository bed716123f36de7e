/* SPDX-License-Identifier: MIT */
/* Test images for the partition scanner: part_images_prepare() runs
 * tests/images/make-part-images.sh into build/host/images/part (found from the
 * test binary's own path, so the cwd does not matter; the script skips the
 * work when the images are current). part_image_path() names a file there,
 * part_expect_load() reads NAME.expect (format: see the script) into a
 * struct part_expect. Hosted only; no cmocka here (kdisk links this too). */
#ifndef TESTS_FAKES_PART_IMAGES_H
#define TESTS_FAKES_PART_IMAGES_H

#include "blkdev/part.h"

#define PART_EXPECT_MAX_ROWS 64

struct part_expect_row {
    unsigned index;               /* the tool's partition number */
    lba_t start;                  /* first sector as the tool reports it */
    lba_t size;                   /* sectors as the tool reports it */
    char type[PART_TYPE_STR_BYTES]; /* "mbr:0x0c", "gpt:<guid>", "whole" */
    char uuid[40];                /* GPT unique GUID, "-" otherwise */
    uint64_t attrs;               /* GPT attribute bits */
    char name[PART_NAME_BYTES];   /* GPT name, UTF-8 */
};

struct part_expect {
    char label[8];                /* "dos", "gpt", "none" */
    uint32_t sector;              /* bytes per sector */
    lba_t capacity;               /* image size in sectors */
    char id[40];                  /* "0x5151ab01", a GUID, or "-" */
    unsigned count;
    struct part_expect_row rows[PART_EXPECT_MAX_ROWS];
};

/* Build the images if needed. Returns 0, or -1 if the script failed. */
int part_images_prepare(void);
/* "<images dir>/<name><ext>" in a static buffer (valid until the next call). */
const char *part_image_path(const char *name, const char *ext);
/* Returns 0, ERR_NOENT (no file) or ERR_CORRUPT (bad line). */
int part_expect_load(const char *name, struct part_expect *e);

#endif
