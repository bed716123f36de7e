// SPDX-License-Identifier: MIT
/* FAT (fs/fat) and the real cache on top of a faulty disk (blkdev/faulty.c)
 * over a fake disk holding an image made by mkfs.fat + mtools: for every N,
 * the Nth driver write of a batch of file operations fails (once, or from
 * then on: the disk dies); afterwards the image must pass fsck.fat -n and
 * every file synced before the fault must read back intact, through a fresh
 * mount of our FAT and through mtools. Read faults during file reads must
 * return an error or the right bytes, never wrong bytes. The lower disk must
 * not be wrapped while its file system is mounted. */
#include "blkdev/cache.h"
#include "blkdev/faulty.h"
#include "kernel/lib/xorshift.h"
#include "tests/unit/fat_check.h"

#define FF_MAX_N 64 /* more writes than any batch below makes */

static void ff_stream(size_t size, uint32_t seed, uint8_t *out)
{
    struct xorshift x;
    xorshift_init(&x, seed);
    xorshift_fill(&x, out, size);
}

/* Write `size` bytes of stream `seed` as path; returns the vfs error. */
static int ff_write(const char *path, size_t size, uint32_t seed)
{
    uint8_t *buf = malloc(size ? size : 1);
    uint32_t done;
    ff_stream(size, seed, buf);
    int rc = vfs_create_file(path, buf, (uint32_t)size, &done);
    free(buf);
    return rc;
}

/* path must hold exactly stream `seed` of `size` bytes (our FAT). */
static void ff_assert_file(const char *path, size_t size, uint32_t seed)
{
    uint8_t *want = malloc(size + 1), *got = malloc(size + 1);
    uint32_t done = 0;
    ff_stream(size, seed, want);
    int rc = vfs_read_file(path, 0, got, (uint32_t)size + 1, &done);
    if (rc != ERR_EOM || done != size)
        fail_msg("%s: read %s, %u of %zu bytes", path, err_name(rc), done, size);
    assert_memory_equal(got, want, size);
    free(want);
    free(got);
}

/* The same through mtools on the saved image. */
static void ff_assert_mtools(const char *img, const char *inner, size_t size, uint32_t seed)
{
    char out[1500];
    snprintf(out, sizeof(out), "%s.out", img);
    assert_int_equal(fc_system("MTOOLS_SKIP_CHECK=1 mcopy -n -i '%s' '::/%s' '%s'", img, inner,
                               out),
                     0);
    FILE *fp = fopen(out, "rb");
    assert_non_null(fp);
    uint8_t *got = malloc(size + 1), *want = malloc(size + 1);
    ff_stream(size, seed, want);
    assert_int_equal(fread(got, 1, size + 1, fp), size);
    fclose(fp);
    assert_memory_equal(got, want, size);
    free(got);
    free(want);
}

/* The image `image` as fake disk `low`, wrapped as faulty disk `name`. */
static struct faulty *ff_open(struct fc_img *t, const char *image, const char *low,
                              const char *name)
{
    struct faulty *f;
    fc_open(t, image, low);
    assert_int_equal(faulty_create(low, name, "", &f), 0);
    return f;
}

/* Unwrap (DiskDel of the faulty disk: what is still dirty is written if it
 * can be, else reported lost), then check the lower disk's image. */
static void ff_unwrap(struct faulty *f)
{
    faulty_destroy(f);
}

/* The batch of operations a fault hits: new files, a folder, a delete, a
 * rename, a truncate. Errors are allowed (they are the point); wrong data
 * is not, and is checked by the callers. mkdir and rename write back
 * internally (fs/fat/fat_priv.h, write ordering), so a fault may hit an
 * operation rather than the sync. Returns the first operation error. */
static int ff_batch(const char *root)
{
    char p[128], q[128];
    int rc[6];
    snprintf(p, sizeof(p), "%s/batch one.bin", root);
    rc[0] = ff_write(p, 50000, 21);
    snprintf(p, sizeof(p), "%s/New Folder", root);
    rc[1] = vfs_mkdir(p);
    snprintf(p, sizeof(p), "%s/New Folder/inner file.dat", root);
    rc[2] = ff_write(p, 3000, 22);
    snprintf(p, sizeof(p), "%s/HELLO.TXT", root);
    rc[3] = vfs_delete(p);
    snprintf(p, sizeof(p), "%s/frag.bin", root);
    snprintf(q, sizeof(q), "%s/SUBDIR/moved frag.bin", root);
    rc[4] = vfs_rename(p, q);
    snprintf(p, sizeof(p), "%s/PAD1.BIN", root);
    rc[5] = vfs_set_end(p, 100);
    for (size_t i = 0; i < ARRAY_SIZE(rc); i++) {
        if (rc[i])
            return rc[i];
    }
    return 0;
}

/* Files synced before the fault: written, synced, then left alone. */
static void ff_prepare(const char *root)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/synced one.bin", root);
    assert_int_equal(ff_write(p, 30000, 11), 0);
    snprintf(p, sizeof(p), "%s/SUBDIR/synced two.bin", root);
    assert_int_equal(ff_write(p, 7000, 12), 0);
    assert_int_equal(vfs_sync_all(), 0);
}

static void ff_assert_synced(const char *root)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/synced one.bin", root);
    ff_assert_file(p, 30000, 11);
    snprintf(p, sizeof(p), "%s/SUBDIR/synced two.bin", root);
    ff_assert_file(p, 7000, 12);
    snprintf(p, sizeof(p), "%s/A Long File Name With Spaces.bin", root);
    char hex[SHA256_HEX_CHARS];
    int err;
    assert_int_equal(fc_hash(p, hex, &err), 3000);
}

static void ff_assert_synced_mtools(const char *img)
{
    ff_assert_mtools(img, "synced one.bin", 30000, 11);
    ff_assert_mtools(img, "SUBDIR/synced two.bin", 7000, 12);
}

/* Driver writes the batch + sync makes with no fault (the loop bound). */
static uint64_t ff_writes_of_batch(const char *image)
{
    struct fc_img t;
    struct faulty_counters c0, c1;
    struct faulty *f = ff_open(&t, image, "ffcl", "ffc");
    ff_prepare("/ffc/1");
    faulty_get_counters(f, &c0);
    ff_batch("/ffc/1");
    assert_int_equal(vfs_sync_all(), 0);
    faulty_get_counters(f, &c1);
    ff_unwrap(f);
    fc_assert_fsck_clean(&t, "faulty-clean.img");
    fc_close(&t);
    return c1.writes - c0.writes;
}

static void test_faulty_fat_nth_write_failing_once_recovers_on_resync(void **state)
{
    char save[64];
    (void)state;
    uint64_t total = ff_writes_of_batch("fat16");
    assert_true(total >= 2 && total < FF_MAX_N);
    for (unsigned n = 1; n <= total; n++) {
        struct fc_img t;
        char rules[32];
        struct faulty *f = ff_open(&t, "fat16", "ff1l", "ff1");
        ff_prepare("/ff1/1");
        snprintf(rules, sizeof(rules), "write-fail@%u", n);
        assert_int_equal(faulty_set_rules(f, rules), 0);
        int batch = ff_batch("/ff1/1");
        /* The failed write-back is reported (to the operation that wrote back,
         * or to sync); the retry writes what stayed dirty. */
        int first = vfs_sync_all();
        struct faulty_counters c;
        faulty_get_counters(f, &c);
        assert_int_equal(c.injected, 1);
        assert_int_equal(batch == ERR_IO ? ERR_IO : first, ERR_IO);
        assert_int_equal(vfs_sync_all(), 0);
        ff_assert_synced("/ff1/1");
        if (batch == 0) {
            ff_assert_file("/ff1/1/New Folder/inner file.dat", 3000, 22);
            ff_assert_file("/ff1/1/batch one.bin", 50000, 21);
        }
        ff_unwrap(f);
        snprintf(save, sizeof(save), "faulty-once-%u.img", n);
        fc_assert_fsck_clean(&t, save);
        ff_assert_synced_mtools(fc_path(save));
        if (batch == 0)
            ff_assert_mtools(fc_path(save), "New Folder/inner file.dat", 3000, 22);
        fc_close(&t);
    }
}

/* A volume whose disk died in the middle carries the dirty bit (FAT16
 * boot sector byte 37 bit 0, and FAT[1] bit 15 clear: set before the first
 * change, cleared only by a complete sync), and fsck.fat -n exits 1 for that
 * alone. So fsck runs on a copy marked clean. Returns its exit status; the findings are left in
 * IMG.nodirty.fsck. */
static int ff_fsck_after_crash(const char *img)
{
    char copy[1500];
    snprintf(copy, sizeof(copy), "%s.nodirty", img);
    assert_int_equal(fc_system("cp '%s' '%s'", img, copy), 0);
    FILE *fp = fopen(copy, "r+b");
    assert_non_null(fp);
    uint8_t bs[64];
    assert_int_equal(fread(bs, 1, sizeof(bs), fp), sizeof(bs));
    bs[37] &= (uint8_t)~1u; /* the other bits stay */
    fseek(fp, 37, SEEK_SET);
    fputc(bs[37], fp);
    /* The FAT16 twin of the bit: FAT[1] bit 15 (1 = clean), in every FAT. */
    uint32_t reserved = le16_at(bs, 14), fats = bs[16], fat_sectors = le16_at(bs, 22);
    for (uint32_t i = 0; i < fats; i++) {
        long off = (long)(reserved + i * fat_sectors) * 512 + 3;
        uint8_t hi;
        fseek(fp, off, SEEK_SET);
        assert_int_equal(fread(&hi, 1, 1, fp), 1);
        fseek(fp, off, SEEK_SET);
        fputc(hi | 0x80, fp);
    }
    fclose(fp);
    return fc_system("fsck.fat -n '%s' > '%s.fsck' 2>&1", copy, copy);
}

static void test_faulty_fat_disk_dying_at_nth_write_keeps_synced_files(void **state)
{
    char save[64];
    (void)state;
    unsigned unclean = 0;
    uint64_t total = ff_writes_of_batch("fat16");
    for (unsigned n = 1; n <= total; n++) {
        struct fc_img t;
        char rules[32];
        struct faulty *f = ff_open(&t, "fat16", "ff2l", "ff2");
        ff_prepare("/ff2/1");
        snprintf(rules, sizeof(rules), "write-fail@%u+", n);
        assert_int_equal(faulty_set_rules(f, rules), 0);
        ff_batch("/ff2/1");
        assert_int_equal(vfs_sync_all(), ERR_IO);
        ff_unwrap(f); /* the dirty rest is lost here, loudly */
        assert_true(klog_contains("DATA LOST"));
        /* What reached the disk: a prefix of the batch's writes. */
        snprintf(save, sizeof(save), "faulty-dead-%u.img", n);
        const char *img = fc_save(&t, save);
        int st = ff_fsck_after_crash(img);
        if (st != 0) {
            unclean++;
            print_message("disk died at write %u of %llu: fsck.fat -n exit %d:\n", n,
                          (unsigned long long)total, st);
            fc_system("grep -v '^fsck.fat\\|^Leaving\\|files,' '%s.nodirty.fsck' | sed 's/^/    /'",
                      img);
            /* Only what the write ordering allows (fs/fat/fat_priv.h): lost
             * clusters, FAT copy 2 behind copy 1, the renamed file twice, the
             * truncated file's chain longer than its new size. */
            assert_int_equal(fc_system("grep -v -e '^fsck.fat' -e '^Leaving' -e 'files,' "
                                       "-e '^ *$' -e 'FATs differ but appear to be intact' "
                                       "-e 'Using first FAT' -e 'Reclaimed .* unused cluster' "
                                       "-e '^/FRAG.BIN  and$' -e '^/SUBDIR/moved frag.bin$' "
                                       "-e 'share clusters' -e 'Truncating second to 0 bytes' "
                                       "-e 'is 20000 bytes, cluster chain length is 0 bytes' "
                                       "-e 'Truncating file to 0 bytes' -e '^/PAD1.BIN$' "
                                       "-e 'is 100 bytes, cluster chain length is > ' "
                                       "-e 'Truncating file to 100 bytes' '%s.nodirty.fsck'",
                                       img),
                             1);
        }
        ff_assert_synced_mtools(img);
        /* A fresh mount of the lower disk by our FAT reads them too. */
        ff_assert_synced("/ff2l/1");
        fc_close(&t);
    }
    print_message("disk died at each of %llu writes: fsck.fat -n unclean after %u "
                  "(allowed findings only)\n", (unsigned long long)total, unclean);
}

/* sha256 of `inner` from the image's manifest (what mtools was given). */
static void ff_manifest_hash(const char *image, const char *inner, char hex[SHA256_HEX_CHARS])
{
    char name[64], line[1200];
    snprintf(name, sizeof(name), "%s.manifest", image);
    FILE *fp = fopen(fc_path(name), "r");
    assert_non_null(fp);
    hex[0] = '\0';
    while (fgets(line, sizeof(line), fp)) {
        unsigned long size;
        char sum[SHA256_HEX_CHARS + 1];
        int off = 0;
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "f %lu %64s %n", &size, sum, &off) == 2 && off &&
            !strcmp(line + off, inner))
            kstrlcpy(hex, sum, SHA256_HEX_CHARS);
    }
    fclose(fp);
    assert_true(hex[0] != '\0');
}

static void test_faulty_fat_read_faults_give_errors_never_wrong_bytes(void **state)
{
    char want[SHA256_HEX_CHARS];
    (void)state;
    ff_manifest_hash("fat16", "A Long File Name With Spaces.bin", want);
    for (unsigned n = 1; n <= 24; n++) {
        struct fc_img t;
        char rules[32];
        struct faulty *f = ff_open(&t, "fat16", "ff3l", "ff3");
        /* The media is opened (partition scan) before the rule is armed. */
        struct disk *d = faulty_disk(f);
        struct media *m;
        assert_int_equal(disk_get_media(d, &m), 0);
        assert_int_equal(cache_drop(m), 0);
        snprintf(rules, sizeof(rules), "read-fail@%u", n);
        assert_int_equal(faulty_set_rules(f, rules), 0);
        char hex[SHA256_HEX_CHARS];
        int err;
        long long size = fc_hash("/ff3/1/A Long File Name With Spaces.bin", hex, &err);
        if (size >= 0) {
            assert_int_equal(size, 3000);
            assert_string_equal(hex, want);
        } else {
            assert_true(err == ERR_IO || err == ERR_NODEV);
        }
        media_put(m);
        ff_unwrap(f);
        fc_close(&t);
    }
}

static void test_faulty_fat_refuses_to_wrap_a_mounted_volume(void **state)
{
    struct fc_img t;
    struct faulty *f;
    char hex[SHA256_HEX_CHARS];
    int err;
    (void)state;
    fc_open(&t, "fat12", "ff4l");
    assert_int_equal(fc_hash("/ff4l/1/HELLO.TXT", hex, &err), 10);
    assert_int_equal(faulty_create("ff4l", "ff4", "", &f), ERR_BUSY);
    assert_true(klog_contains("faulty: ff4: cannot take over ff4l (ERR_BUSY)"));
    fc_close(&t);
}

static int ff_setup(void **state)
{
    int rc = fc_setup(state);
    faulty_init();
    return rc;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faulty_fat_refuses_to_wrap_a_mounted_volume),
        cmocka_unit_test(test_faulty_fat_nth_write_failing_once_recovers_on_resync),
        cmocka_unit_test(test_faulty_fat_disk_dying_at_nth_write_keeps_synced_files),
        cmocka_unit_test(test_faulty_fat_read_faults_give_errors_never_wrong_bytes),
    };
    return cmocka_run_group_tests(tests, ff_setup, NULL);
}
