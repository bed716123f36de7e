/* SPDX-License-Identifier: MIT */
/* Helpers shared by tests/unit/test_part_*.c (include after <cmocka.h>):
 * scan a generated image and compare the table with what the tools reported
 * in NAME.expect, after applying the policy of blkdev/part.h to the tool's
 * raw values (length 0 or start beyond the end: skipped; tail past the end:
 * clamped). Numbers must be 1..n in the tool's listing order, which is slot
 * order then EBR chain order for MBR, entry order for GPT. */
#ifndef TESTS_UNIT_PART_CHECK_H
#define TESTS_UNIT_PART_CHECK_H

#include "blkdev/part.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "tests/fakes/fake_sector_reader.h"
#include "tests/fakes/part_images.h"

struct part_img {
    struct fake_sector_reader f;
    struct part_table t;
    struct part_expect e;
    int err; /* part_scan result */
};

static inline int part_group_setup(void **state)
{
    (void)state;
    return part_images_prepare();
}

/* Load NAME.expect, open NAME.img with its sector size (as a patchable
 * memory copy when `copy`), but do not scan yet. */
static inline void part_img_open(const char *name, struct part_img *img, bool copy)
{
    const char *path;

    memset(img, 0, sizeof(*img));
    klog_clear();
    assert_int_equal(part_expect_load(name, &img->e), 0);
    path = part_image_path(name, ".img");
    if (copy)
        assert_int_equal(fsr_open_image_copy(&img->f, path, img->e.sector, name), 0);
    else
        assert_int_equal(fsr_open_image(&img->f, path, img->e.sector, name), 0);
    assert_int_equal(img->f.reader.capacity_sectors, img->e.capacity);
}

static inline void part_img_scan(struct part_img *img)
{
    img->err = part_scan(&img->f.reader, &img->t);
    assert_int_equal(img->f.out_of_range, 0); /* never asked past the end */
}

static inline void part_img_run(const char *name, struct part_img *img)
{
    part_img_open(name, img, false);
    part_img_scan(img);
}

static inline void part_img_done(struct part_img *img)
{
    part_table_free(&img->t);
    fsr_close(&img->f);
}

/* Compare img->t with the expectation; returns how many rows survived the
 * policy. */
static inline unsigned part_check_rows(const struct part_img *img)
{
    const struct part_expect *e = &img->e;
    const struct part_table *t = &img->t;
    unsigned n = 0;

    for (unsigned i = 0; i < e->count; i++) {
        const struct part_expect_row *r = &e->rows[i];
        const struct part_info *p;
        char type[PART_TYPE_STR_BYTES], uuid[40];
        lba_t size = r->size;
        bool clamped = false;

        if (r->size == 0 || r->start >= e->capacity)
            continue;
        if (size > e->capacity - r->start) {
            size = e->capacity - r->start;
            clamped = true;
        }
        assert_true(n < t->count);
        p = &t->parts[n];
        assert_int_equal(p->number, n + 1);
        assert_int_equal(p->table_index, r->index);
        assert_int_equal(p->first_lba, r->start);
        assert_int_equal(p->count_sectors, size);
        assert_int_equal(p->clamped, clamped);
        assert_int_equal(part_format_type(p, type, sizeof(type)), 0);
        assert_string_equal(type, r->type);
        if (p->kind == PART_KIND_GPT) {
            assert_int_equal(part_format_guid(p->gpt_unique_guid, uuid, sizeof(uuid)), 0);
            assert_string_equal(uuid, r->uuid);
            assert_int_equal(p->gpt_attributes, r->attrs);
            assert_string_equal(p->name, r->name);
        } else {
            assert_string_equal(p->name, "");
        }
        n++;
    }
    assert_int_equal(t->count, n);
    return n;
}

/* The table's disk identifier equals the tool's label id. */
static inline void part_check_disk_id(const struct part_img *img)
{
    char id[40];

    if (img->t.kind == PART_KIND_GPT)
        assert_int_equal(part_format_guid(img->t.gpt_disk_guid, id, sizeof(id)), 0);
    else
        ksnprintf(id, sizeof(id), "0x%08x", img->t.mbr_disk_id);
    assert_string_equal(id, img->e.id);
}

#endif
