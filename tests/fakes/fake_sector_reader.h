/* SPDX-License-Identifier: MIT */
/* A struct part_reader for hosted tests, backed by an image file (pread) or
 * by a zeroed memory buffer the test fills. It records how it was used and
 * can fail reads: init, optionally set fail_lba/fail_err or edit mem, pass
 * &f.reader to part_scan(), inspect the counters, then fsr_close().
 * Requests outside the media are refused with ERR_EOM and counted in
 * out_of_range, so a test can assert that the scanner never asked for them. */
#ifndef TESTS_FAKES_FAKE_SECTOR_READER_H
#define TESTS_FAKES_FAKE_SECTOR_READER_H

#include "blkdev/part.h"

struct fake_sector_reader {
    struct part_reader reader; /* pass &f->reader to part_scan */
    int fd;                    /* image file, or -1 for memory */
    uint8_t *mem;              /* memory image (calloc'ed), or NULL */
    bool fail_enabled;         /* fail reads that touch fail_lba */
    lba_t fail_lba;
    int fail_err;              /* returned by a failing read, e.g. ERR_IO */
    unsigned reads;            /* read calls */
    unsigned out_of_range;     /* calls refused for reaching past the end */
    uint32_t max_count;        /* largest count asked for in one call */
};

/* Open `path` read-only; capacity = file size / sector_size (rounded down).
 * Returns 0 or ERR_NOENT. */
int fsr_open_image(struct fake_sector_reader *f, const char *path, uint32_t sector_size,
                   const char *disk_name);
/* Like fsr_open_image, but the file is copied into mem so the test can patch
 * named fields before scanning. Returns 0, ERR_NOENT or ERR_NOMEM. */
int fsr_open_image_copy(struct fake_sector_reader *f, const char *path, uint32_t sector_size,
                        const char *disk_name);
/* Zero-filled memory media of `sectors` sectors. Returns 0 or ERR_NOMEM. */
int fsr_init_memory(struct fake_sector_reader *f, lba_t sectors, uint32_t sector_size,
                    const char *disk_name);
void fsr_close(struct fake_sector_reader *f);

#endif
