/* SPDX-License-Identifier: MIT */
/* Shared helpers of the FAT tests (header-only, included by each
 * test_fat_*.c): build the images with tests/images/make-fat-images.sh into
 * build/host/images/fat, load one into a fake disk (a superfloppy: partition
 * 1 is the whole image), run shell commands and capture their output, save
 * the fake's bytes to a file and ask the real tools about it (fsck.fat -n,
 * mtools). The generic image helpers come from image_check.h. Hosted only. */
#ifndef TESTS_UNIT_FAT_CHECK_H
#define TESTS_UNIT_FAT_CHECK_H

#include "tests/unit/image_check.h"

#include "fs/fat/fat.h"
#include "fs/fs_cmds.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/shell/shell.h"
#include "tests/host/print_host.h"

#define FC_IMAGES_SUBDIR "build/host/images/fat"
#define FC_SCRIPT "tests/images/make-fat-images.sh"

struct fc_img {
    struct fake_disk *f;
    char disk[16];   /* disk name, e.g. "fat12" */
    char root[32];   /* "/fat12/1" */
};

static inline const char *fc_path(const char *name)
{
    return ic_image_path(FC_IMAGES_SUBDIR, name);
}

/* Group setup: the images, the FAT probe, the commands. */
static inline int fc_setup(void **state)
{
    (void)state;
    if (ic_build_images(FC_SCRIPT, FC_IMAGES_SUBDIR) != 0)
        return -1;
    blkdev_init();
    fat_register();
    shell_init();
    fs_register_commands();
    return 0;
}

#define FC_MBR_START_LBA 2048u /* where fc_open_mbr puts the volume */

/* Load image `image` ("fat16") as disk `disk` and insert it; with `mbr` the
 * volume sits in MBR partition 1 (type 0x06) at FC_MBR_START_LBA instead of
 * being a superfloppy. */
static inline void fc_open_ex(struct fc_img *t, const char *image, const char *disk, bool mbr)
{
    struct ic_img im = ic_load_image(FC_IMAGES_SUBDIR, image, ".img");
    size_t bytes = im.bytes;
    uint32_t start = mbr ? FC_MBR_START_LBA : 0;
    struct fake_disk_config cfg = { .sector_size = 512,
                                    .capacity = (uint64_t)bytes / 512 + start };
    memset(t, 0, sizeof(*t));
    assert_int_equal(fake_disk_create(&cfg, &t->f), 0);
    uint8_t *d = fake_disk_data(t->f);
    memcpy(d + (size_t)start * 512, im.data, bytes);
    free(im.data);
    if (mbr) {
        memset(d, 0, 512);
        uint8_t *e = d + 446;
        e[4] = 0x06;
        put_le32(e, 8, start);
        put_le32(e, 12, (uint32_t)(bytes / 512));
        d[510] = 0x55;
        d[511] = 0xAA;
    }
    kstrlcpy(t->disk, disk, sizeof(t->disk));
    snprintf(t->root, sizeof(t->root), "/%s/1", disk);
    assert_int_equal(fake_disk_add(t->f, disk), 0);
    fake_disk_media_in(t->f);
}

static inline void fc_open(struct fc_img *t, const char *image, const char *disk)
{
    fc_open_ex(t, image, disk, false);
}

static inline void fc_close(struct fc_img *t)
{
    fake_disk_del(t->f);
    fake_disk_destroy(t->f);
}

/* "<root>/<rel>" in a rotating static buffer (four live results). */
static inline const char *fc_p(const struct fc_img *t, const char *rel)
{
    return ic_join(t->root, rel);
}

/* Run a shell line; returns its captured output (valid until the next run)
 * and the number of failed commands in *failed. */
static inline const char *fc_run(const char *line, int *failed)
{
    print_host_capture_begin();
    int f = shell_execute(line);
    if (failed)
        *failed = f;
    return print_host_captured();
}

/* Save the fake's bytes to build/host/images/fat/<name>. */
static inline const char *fc_save(struct fc_img *t, const char *name)
{
    const char *p = fc_path(name);
    FILE *fp = fopen(p, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(fake_disk_data(t->f), 1, fake_disk_bytes(t->f), fp),
                     fake_disk_bytes(t->f));
    fclose(fp);
    return p;
}

/* Exit status of a shell command line. */
static inline int fc_system(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* fsck.fat -n must find nothing to repair. */
static inline void fc_assert_fsck_clean(struct fc_img *t, const char *save_as)
{
    const char *p = fc_save(t, save_as);
    int st = fc_system("fsck.fat -n '%s' > '%s.fsck' 2>&1", p, p);
    if (st != 0)
        fc_system("cat '%s.fsck'", p);
    assert_int_equal(st, 0);
}

/* sha256 of a file read through the vfs in 64 KiB reads; returns its size,
 * -1 on error. */
static inline long long fc_hash(const char *path, char hex[SHA256_HEX_CHARS], int *err)
{
    return ic_hash_chunked(path, 65536, hex, err);
}

#endif
