// SPDX-License-Identifier: MIT
/* Sync order for nested disks: a virtual disk vd0 whose image file lies on
 * the FAT volume of disk hd0 (a fake disk). vd0's write-back goes into
 * hd0's file, so one `sync` (and one vfs_sync_all) must handle vd0 before
 * hd0; otherwise vd0's data is left dirty in hd0's cache or hd0's FAT is
 * left marked dirty. vd0 is played by a minimal DISKFUNC driver here over
 * the same vd_chain + vdisk_file code the kernel's vdisk driver uses (that
 * driver itself is kernel-only). After the sync the fake disk's bytes alone
 * must hold everything: no dirty sector in any cache, fsck.fat -n clean on
 * hd0 and on the image inside it, and mtools reads the file written to vd0.
 * Images come from mkfs.fat and mtools at test time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "blkdev/cache.h"
#include "blkdev/disk.h"
#include "drivers/vdisk/lib/vd_chain.h"
#include "drivers/vdisk/lib/vdisk_file.h"
#include "fs/fat/fat.h"
#include "fs/fs_cmds.h"
#include "fs/vfs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/xorshift.h"
#include "kernel/shell/shell.h"
#include "tests/fakes/fake_disk.h"
#include "tests/fakes/vd_images.h"
#include "tests/host/print_host.h"

#define FILE_BYTES 300000u
#define FILE_SEED 21u

/* The test's vd0: one chain, no locking (one test thread). */
static struct {
    struct vd_chain *chain;
    void *handle;
    uint64_t sectors;
    char host[8], vd[8]; /* disk names: each test its own pair (a failed test leaves its) */
} nv;

static int STDCALL nv_querymedia(void *ud, DISKMEDIAINFO *info)
{
    (void)ud;
    info->flags = 0;
    info->sectorsize = 512;
    info->capacity = nv.sectors;
    return DISK_STATUS_OK;
}

static int nv_rw(void *buf, int64_t start, int *n, bool write)
{
    int rc;

    if (start < 0 || (uint64_t)start + (uint64_t)*n > nv.sectors) {
        *n = 0;
        return DISK_STATUS_END_OF_MEDIA;
    }
    rc = write ? vd_chain_write(nv.chain, (uint64_t)start * 512, buf, (size_t)*n * 512)
               : vd_chain_read(nv.chain, (uint64_t)start * 512, buf, (size_t)*n * 512);
    if (rc < 0) {
        *n = 0;
        return DISK_STATUS_GENERAL_ERROR;
    }
    return DISK_STATUS_OK;
}

static int STDCALL nv_read(void *ud, void *buf, int64_t start, int *n)
{
    (void)ud;
    return nv_rw(buf, start, n, false);
}

static int STDCALL nv_write(void *ud, const void *buf, int64_t start, int *n)
{
    (void)ud;
    return nv_rw((void *)(uintptr_t)buf, start, n, true);
}

static int STDCALL nv_flush(void *ud)
{
    (void)ud;
    return vd_chain_flush(nv.chain) < 0 ? DISK_STATUS_GENERAL_ERROR : DISK_STATUS_OK;
}

static void STDCALL nv_close(void *ud)
{
    (void)ud;
    vd_chain_close(nv.chain);
    nv.chain = NULL;
}

static DISKFUNC nv_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = nv_close,
    .querymedia = nv_querymedia,
    .read = nv_read,
    .write = nv_write,
    .flush = nv_flush,
};

static int run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    int st;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char host_img[1100], inner_img[1100], out_dir[1024];

/* hd0: FAT16 (16 MiB) holding INNER.IMG, a 2 MiB FAT12 image. */
static int group_setup(void **state)
{
    (void)state;
    snprintf(out_dir, sizeof(out_dir), "%s", vd_image_scratch("nested"));
    if (run("mkdir -p '%s'", out_dir))
        return -1;
    snprintf(host_img, sizeof(host_img), "%s/host.img", out_dir);
    snprintf(inner_img, sizeof(inner_img), "%s/inner.img", out_dir);
    if (run("rm -f '%s' '%s' && mkfs.fat -C -F 16 -i 4e455354 -n HOST --invariant '%s' 16384 "
            ">/dev/null && mkfs.fat -C -F 12 -i 494e4e52 -n INNER --invariant '%s' 2048 "
            ">/dev/null && MTOOLS_SKIP_CHECK=1 mcopy -i '%s' '%s' ::/INNER.IMG",
            host_img, inner_img, host_img, inner_img, host_img, inner_img))
        return -1;
    blkdev_init();
    fat_register();
    shell_init();
    fs_register_commands();
    cache_register_commands();
    cache_set_budget_bytes(16u << 20);
    return 0;
}

/* hdN from host.img, then vdN over /hdN/1/INNER.IMG. */
static struct fake_disk *attach(unsigned n)
{
    char path[64];

    struct fake_disk_config cfg = {.sector_size = 512, .capacity = 16384u * 2};
    struct fake_disk *f;
    struct vd_file *vf;
    FILE *fp;

    assert_int_equal(fake_disk_create(&cfg, &f), 0);
    fp = fopen(host_img, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(fake_disk_data(f), 1, fake_disk_bytes(f), fp), fake_disk_bytes(f));
    fclose(fp);
    snprintf(nv.host, sizeof(nv.host), "hd%u", n);
    snprintf(nv.vd, sizeof(nv.vd), "vd%u", n);
    assert_int_equal(fake_disk_add(f, nv.host), 0);
    fake_disk_media_in(f);
    snprintf(path, sizeof(path), "/%s/1/INNER.IMG", nv.host);
    assert_int_equal(vdisk_file_open(path, false, &vf), 0);
    assert_int_equal(vd_chain_open(vf, "raw", 0, 0, &nv.chain), 0);
    nv.sectors = vd_chain_size(nv.chain) / 512;
    nv.handle = DiskAdd(&nv_funcs, nv.vd, NULL, 0);
    assert_non_null(nv.handle);
    DiskMediaChanged(nv.handle, 1);
    return f;
}

static void detach(struct fake_disk *f)
{
    DiskDel(nv.handle);
    assert_null(nv.chain); /* close ran: nobody used vd0 any more */
    fake_disk_del(f);
    fake_disk_destroy(f);
}

static uint64_t dirty_sectors(const char *name)
{
    struct cache_stats st = {0};
    struct disk *d;
    struct media *m;

    assert_int_equal(disk_find(name, &d), 0);
    assert_int_equal(disk_get_media(d, &m), 0);
    if (cache_get_stats(m, &st) != 0)
        st.dirty_sectors = 0;
    media_put(m);
    disk_put(d);
    return st.dirty_sectors;
}

/* Only the fake disk's bytes: both FATs clean, the file readable. */
static void assert_durable(struct fake_disk *f)
{
    char saved[1200];
    FILE *fp;
    uint8_t *got = malloc(FILE_BYTES + 1), *want = malloc(FILE_BYTES);
    struct xorshift x;

    snprintf(saved, sizeof(saved), "%s/saved.img", out_dir);
    fp = fopen(saved, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(fake_disk_data(f), 1, fake_disk_bytes(f), fp), fake_disk_bytes(f));
    fclose(fp);
    assert_int_equal(run("fsck.fat -n '%s' >'%s.fsck' 2>&1", saved, saved), 0);
    assert_int_equal(run("rm -f '%s/in.img' '%s/new.bin' && MTOOLS_SKIP_CHECK=1 mcopy -n -i "
                         "'%s' ::/INNER.IMG '%s/in.img'",
                         out_dir, out_dir, saved, out_dir),
                     0);
    assert_int_equal(run("fsck.fat -n '%s/in.img' >'%s/in.fsck' 2>&1", out_dir, out_dir), 0);
    assert_int_equal(run("MTOOLS_SKIP_CHECK=1 mcopy -n -i '%s/in.img' ::/new.bin '%s/new.bin'",
                         out_dir, out_dir),
                     0);
    snprintf(saved, sizeof(saved), "%s/new.bin", out_dir);
    fp = fopen(saved, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(got, 1, FILE_BYTES + 1, fp), FILE_BYTES);
    fclose(fp);
    xorshift_init(&x, FILE_SEED);
    xorshift_fill(&x, want, FILE_BYTES);
    assert_memory_equal(got, want, FILE_BYTES);
    free(got);
    free(want);
}

static void write_file_on_vd0(void)
{
    char line[100];
    int failed;

    snprintf(line, sizeof(line), "write /%s/1/new.bin %u %u", nv.vd, FILE_BYTES, FILE_SEED);
    print_host_capture_begin();
    failed = shell_execute(line);
    if (failed)
        fail_msg("'%s' failed: %s", line, print_host_captured());
    assert_true(dirty_sectors(nv.vd) > 0);
}

static void test_vd_nested_sync_command_leaves_nothing_dirty(void **state)
{
    struct fake_disk *f = attach(0);
    int failed;

    (void)state;
    write_file_on_vd0();
    print_host_capture_begin();
    failed = shell_execute("sync");
    if (failed)
        fail_msg("sync failed: %s", print_host_captured());
    assert_int_equal(dirty_sectors(nv.vd), 0);
    assert_int_equal(dirty_sectors(nv.host), 0);
    assert_durable(f);
    detach(f);
}

static void test_vd_nested_vfs_sync_all_leaves_nothing_dirty(void **state)
{
    struct fake_disk *f = attach(1);

    (void)state;
    write_file_on_vd0();
    assert_int_equal(vfs_sync_all(), 0);
    assert_int_equal(dirty_sectors(nv.vd), 0);
    assert_int_equal(dirty_sectors(nv.host), 0);
    assert_durable(f);
    detach(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vd_nested_sync_command_leaves_nothing_dirty),
        cmocka_unit_test(test_vd_nested_vfs_sync_all_leaves_nothing_dirty),
    };
    return cmocka_run_group_tests_name("vd_nested_sync", tests, group_setup, NULL);
}
