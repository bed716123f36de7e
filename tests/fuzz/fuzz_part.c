// SPDX-License-Identifier: MIT
/* libFuzzer harness: the partition scanner (blkdev/part*.c). The input is a
 * whole disk image; it is scanned twice, as 512-byte and as 4096-byte
 * sectors (capacity = whole sectors in the input), through the same
 * sector-reader seam the kernel uses. A read past the input fails like a
 * bad sector would. Every reported partition must lie inside the disk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev/part.h"
#include "kernel/err.h"

struct fz_image {
    const uint8_t *data;
    size_t len;
    uint32_t ss;
};

static int fz_read(void *ctx, lba_t lba, uint32_t count, void *buf)
{
    const struct fz_image *img = ctx;
    lba_t sectors = img->len / img->ss;
    if (lba >= sectors || count > sectors - lba)
        return ERR_IO;
    memcpy(buf, img->data + (size_t)lba * img->ss, (size_t)count * img->ss);
    return 0;
}

static void fz_scan(const uint8_t *data, size_t len, uint32_t ss)
{
    struct fz_image img = { data, len, ss };
    struct part_reader r = { &img, "fz", ss, len / ss, fz_read };
    struct part_table t;
    char type[PART_TYPE_STR_BYTES];

    if (len / ss == 0)
        return;
    if (part_scan(&r, &t) != 0)
        return;
    for (unsigned i = 0; i < t.count; i++) {
        const struct part_info *p = &t.parts[i];
        if (p->number != i + 1 || p->count_sectors == 0 || p->first_lba >= r.capacity_sectors ||
            p->count_sectors > r.capacity_sectors - p->first_lba)
            abort(); /* the scanner's own contract (part.h) */
        part_format_type(p, type, sizeof(type));
        if (strnlen(p->name, sizeof(p->name)) == sizeof(p->name))
            abort();
    }
    part_table_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    fz_scan(data, len, 512);
    fz_scan(data, len, 4096);
    return 0;
}
