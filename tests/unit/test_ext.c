// SPDX-License-Identifier: MIT
/* ext2/ext3/ext4 against images made by mke2fs -d (tests/images/
 * make-ext-images.sh): every file and folder of each image's manifest read
 * back byte-exact and every folder listed exactly (ext4 defaults with an
 * htree folder, ext2 block maps through triple indirect blocks, ext3,
 * 1 KiB-block ext4 with meta_bg and a depth-2 extent tree, inline data,
 * 1 KiB-block bigalloc with and without meta_bg), on 512- and 4096-byte
 * sectors; symbolic links (fast, slow, absolute, to
 * folders, dangling, looping), exact names, times, holes, reads at any
 * offset, statfs, ERR_ROFS for every write, the needs_recovery warning and
 * refused features; then damaged copies (bad magic, block size, geometry,
 * inode table, extents, block pointers, directory entries, inode numbers,
 * random byte flips): errors with one log line, never a crash or a hang;
 * tolerated oddities (a hole in a folder, a fast link with the extents
 * flag) read as Linux reads them. */
#include "tests/unit/image_check.h"

#include "fs/ext/ext.h"
#include "fs/ext/ext_priv.h"
#include "fs/fat/fat.h"
#include "fs/fs_cmds.h"
#include "fs/iso9660/iso9660.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/shell/shell.h"
#include "tests/host/print_host.h"

#define IMAGES_SUBDIR "build/host/images/ext"
#define SCRIPT "tests/images/make-ext-images.sh"
#define SB 1024u /* byte offset of the super block */

static int group_setup(void **state)
{
    (void)state;
    if (ic_build_images(SCRIPT, IMAGES_SUBDIR) != 0)
        return -1;
    blkdev_init();
    fat_register(); /* as the kernel: FAT and ISO 9660 first */
    iso9660_register();
    ext_register();
    shell_init();
    fs_register_commands();
    return 0;
}

/* ---- images in the fake disk --------------------------------------------------------------- */

/* NAME.img of the image folder; free(data) when done. */
static struct ic_img load_image(const char *name)
{
    return ic_load_image(IMAGES_SUBDIR, name, ".img");
}

/* ---- manifest and facts ---------------------------------------------------------------------- */

/* A number from NAME.facts: the inode position ("imap") or first block
 * ("blocks") of `path`. */
static uint64_t fact(const char *image, const char *kind, const char *path)
{
    char line[1200], k[16], p[1024];
    unsigned long long a = 0;
    unsigned b = 0;
    FILE *fp = ic_open_text(IMAGES_SUBDIR, image, ".facts");
    while (fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';
        int used = 0;
        if (strncmp(line, "imap ", 5) == 0 &&
            sscanf(line, "%15s %llu %x %n", k, &a, &b, &used) == 3) {
            snprintf(p, sizeof(p), "%s", line + used);
        } else if (sscanf(line, "%15s %llu %n", k, &a, &used) == 2) {
            snprintf(p, sizeof(p), "%s", line + used);
        } else {
            continue;
        }
        if (strcmp(k, kind) == 0 && strcmp(p, path) == 0) {
            fclose(fp);
            return strcmp(kind, "imap") == 0 ? ((uint64_t)a << 20 | b) : a;
        }
    }
    fclose(fp);
    fail_msg("no %s fact for %s in %s", kind, path, image);
    return 0;
}

static uint32_t block_bytes(const struct ic_img *im)
{
    return 1024u << le32_at(im->data, SB + 0x18);
}

/* Byte offset of the inode of `path` in the image. */
static size_t inode_at(const struct ic_img *im, const char *image, const char *path)
{
    uint64_t f = fact(image, "imap", path);
    return (size_t)((f >> 20) * block_bytes(im) + (f & 0xFFFFF));
}

/* Every manifest line of `image` must read back and list exactly. */
static void check_manifest(const char *image, uint32_t ss)
{
    unsigned files, dirs;
    ic_check_manifest(IMAGES_SUBDIR, image, ".img", ss, "hdm", &files, &dirs);
    assert_true(files >= 2);
    assert_true(dirs >= 1);
}

static void test_ext_ext4_defaults_match_manifest(void **state)
{
    (void)state;
    check_manifest("ext4", 512);
}

static void test_ext_ext2_block_maps_match_manifest(void **state)
{
    (void)state;
    check_manifest("ext2", 512);
}

static void test_ext_ext3_matches_manifest(void **state)
{
    (void)state;
    check_manifest("ext3", 512);
}

static void test_ext_meta_bg_and_deep_extent_tree_match_manifest(void **state)
{
    (void)state;
    check_manifest("small", 512);
}

static void test_ext_inline_data_matches_manifest(void **state)
{
    (void)state;
    check_manifest("inline", 512);
}

static void test_ext_4096_byte_sectors_match_manifest(void **state)
{
    (void)state;
    check_manifest("ext2", 4096); /* 1 KiB blocks: a quarter of a sector */
    check_manifest("small", 4096);
}

/* ---- probe, statfs, names, links ------------------------------------------------------------ */

static void open_image(struct ic_vol *c, struct ic_img *im, const char *image, const char *disk)
{
    *im = load_image(image);
    ic_vol_open(c, im, 512, disk);
}

static void check_statfs(const char *image, const char *disk, const char *fs, const char *label)
{
    struct ic_vol c;
    struct ic_img im;
    struct vfs_statfs st;
    open_image(&c, &im, image, disk);
    ic_expect_part_fs(&c, fs);
    assert_int_equal(vfs_statfs(c.root, &st), 0);
    assert_string_equal(st.fs_name, fs);
    uint64_t blocks = le32_at(im.data, SB + 4), bs = block_bytes(&im);
    assert_int_equal(st.total_bytes, blocks * bs);
    assert_int_equal(st.free_bytes, (uint64_t)le32_at(im.data, SB + 0xC) * bs);
    assert_true(st.free_bytes > 0 && st.free_bytes < st.total_bytes);
    assert_string_equal(st.label, label);
    ic_vol_unload(&c, &im);
}

static void test_ext_probe_and_statfs_name_each_flavour(void **state)
{
    (void)state;
    check_statfs("ext4", "hdp", "ext4", "ext4 label");
    assert_true(klog_contains("ext: hdp/1: mounted ext4 read-only, 12288 blocks of 4096 bytes"));
    check_statfs("ext2", "hdq", "ext2", "EXT2VOL");
    check_statfs("ext3", "hdr", "ext3", "");
}

static void test_ext_symlinks_are_followed_inside_the_volume(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    struct vfs_info info;
    char hex[SHA256_HEX_CHARS];
    int err;
    (void)state;
    open_image(&c, &im, "ext4", "hds");
    /* Fast link, link in a folder pointing up, link through a linked folder. */
    assert_int_equal(ic_hash(ic_p(&c, "link-hello"), hex, &err), 10);
    assert_int_equal(ic_hash(ic_p(&c, "sub dir/link-up"), hex, &err), 10);
    assert_int_equal(ic_hash(ic_p(&c, "link-dir/link-up"), hex, &err), 10);
    assert_int_equal(vfs_get_info(ic_p(&c, "link-dir/Ünïcödé näme – ✓.txt"), &info), 0);
    assert_int_equal(info.size, 4321);
    /* A slow (block-stored) absolute link whose target has "x/../", and an
     * absolute link to a folder: both end in folders. */
    assert_int_equal(vfs_get_info(ic_p(&c, "link-slow"), &info), 0);
    assert_true(info.attr & VFS_ATTR_DIR);
    assert_int_equal(ic_hash(ic_p(&c, "link-abs-dir/level2/level3/level4/level5/level6/level7/"
                                     "level8/level9/level10/level11/level12/level13/level14/"
                                     "level15/level16/level17/level18/level19/level20/level21/"
                                     "level22/level23/level24/leaf.txt"), hex, &err), 10);
    /* ".." after a link is the real parent of where the link led. */
    assert_int_equal(vfs_get_info(ic_p(&c, "link-dir/../hello.txt"), &info), 0);
    assert_int_equal(info.size, 10);
    /* Listing shows links as what they point at. */
    struct ic_names ns = { .n = 0 };
    assert_int_equal(vfs_list(ic_p(&c, "link-abs-dir"), ic_collect, &ns), 0);
    assert_int_equal(ns.n, 1);
    assert_string_equal(ns.v[0], "level2");
    ic_names_free(&ns);
    /* Dangling and looping links. */
    assert_int_equal(vfs_get_info(ic_p(&c, "dangling"), &info), ERR_NOENT);
    assert_int_equal(ic_hash(ic_p(&c, "loop-a"), hex, &err), -1);
    assert_int_equal(err, ERR_LOOP);
    assert_true(klog_contains("ext: hds/1: more than 40 symbolic links in one lookup"));
    assert_int_equal(vfs_get_info(ic_p(&c, "loop-b/x"), &info), ERR_LOOP);
    assert_int_equal(vfs_kolibri_code(ERR_LOOP), 5);
    assert_string_equal(err_name(ERR_LOOP), "ERR_LOOP");
    ic_vol_unload(&c, &im);
}

static void test_ext_names_times_and_attributes(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    struct vfs_info info;
    (void)state;
    open_image(&c, &im, "ext4", "hdn");
    /* Names are exact bytes: case matters. */
    assert_int_equal(vfs_get_info(ic_p(&c, "upper.txt"), &info), 0);
    assert_int_equal(info.size, 6);
    assert_int_equal(vfs_get_info(ic_p(&c, "UPPER.TXT"), &info), 0);
    assert_int_equal(info.size, 7);
    assert_string_equal(info.name, "UPPER.TXT");
    assert_int_equal(vfs_get_info(ic_p(&c, "Hello.txt"), &info), ERR_NOENT);
    assert_int_equal(vfs_get_info(ic_p(&c, "hello.txt/x"), &info), ERR_NOTDIR);
    /* Times: the source tree was stamped 2024-01-01 00:00:00 UTC. */
    assert_int_equal(vfs_get_info(ic_p(&c, "hello.txt"), &info), 0);
    assert_int_equal(info.attr, VFS_ATTR_READONLY);
    ic_expect_new_year_2024(&info.mtime);
    assert_int_equal(info.atime.year, 2024);
    assert_true(info.ctime.year >= 2024);
    /* A fifo: a system entry without content. */
    memset(&info, 0, sizeof(info));
    strcpy(info.name, "fifo");
    assert_int_equal(vfs_list(c.root, ic_find_entry, &info), 0);
    assert_int_equal(info.attr, VFS_ATTR_READONLY | VFS_ATTR_SYSTEM);
    assert_int_equal(info.size, 0);
    uint8_t b;
    uint32_t done = 9;
    assert_int_equal(vfs_read_file(ic_p(&c, "fifo"), 0, &b, 1, &done), ERR_EOM);
    assert_int_equal(done, 0);
    /* The shell sees the same. */
    ic_expect_shell("hash /hdn/1/hello.txt",
                    "2b7591000abe43b12079bc2f078bf382a278b1a63196a3120318e36b3621eb47"
                    " 10 /hdn/1/hello.txt\n");
    ic_vol_unload(&c, &im);
}

static void test_ext_read_at_any_offset_holes_read_zero(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    uint32_t done;
    (void)state;
    open_image(&c, &im, "ext4", "hdo");
    const uint32_t size = 40 * 12288; /* islands.bin: 40 x (4 KiB data + 8 KiB hole) */
    uint8_t *whole = malloc(size), *part = malloc(300000);
    assert_int_equal(vfs_read_file(ic_p(&c, "islands.bin"), 0, whole, size, &done), ERR_EOM);
    assert_int_equal(done, size - 8192); /* the last hole is past the end */
    for (uint32_t i = 0; i < 39; i++) {
        for (uint32_t k = 4096; k < 12288; k += 512)
            assert_int_equal(whole[i * 12288 + k], 0);
    }
    static const uint32_t offs[] = { 1, 4095, 4096, 12287, 100000, 200001, 471039 };
    ic_check_reads_at(ic_p(&c, "islands.bin"), whole, size - 8192, offs, ARRAY_SIZE(offs),
                      100001);
    /* sparse.bin: 20 MiB, data at 0 and at 10 MiB + 100, zeros elsewhere. */
    assert_int_equal(vfs_read_file(ic_p(&c, "sparse.bin"), 5u << 20, part, 300000, &done), 0);
    for (uint32_t k = 0; k < 300000; k++)
        assert_int_equal(part[k], 0);
    assert_int_equal(vfs_read_file(ic_p(&c, "sparse.bin"), (20u << 20) - 5, part, 10, &done),
                     ERR_EOM);
    assert_int_equal(done, 5);
    assert_int_equal(vfs_read_file(ic_p(&c, "sparse.bin"), 20u << 20, part, 1, &done), ERR_EOM);
    assert_int_equal(done, 0);
    assert_int_equal(vfs_read_file(ic_p(&c, "many"), 0, part, 1, &done), ERR_ISDIR);
    /* VFS_IO_NOCACHE reads the same bytes. */
    assert_int_equal(vfs_read_file_ex(ic_p(&c, "islands.bin"), 4000, part, 9000, VFS_IO_NOCACHE,
                                      &done), 0);
    assert_memory_equal(part, whole + 4000, 9000);
    free(whole);
    free(part);
    ic_vol_unload(&c, &im);
}

static void test_ext_every_write_fails_with_rofs(void **state)
{
    struct ic_vol c;
    struct ic_img im;
    (void)state;
    open_image(&c, &im, "ext4", "hdw");
    assert_int_equal(vfs_set_label(c.root, "x"), ERR_ROFS);
    ic_check_every_write_fails(&c, "hello.txt");
    ic_vol_unload(&c, &im);
}

/* ---- features -------------------------------------------------------------------------------- */

static void test_ext_needs_recovery_mounts_with_warning(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("ext3");
    char hex[SHA256_HEX_CHARS];
    int err;
    (void)state;
    put_le32(im.data, SB + 0x60, le32_at(im.data, SB + 0x60) | 0x4);
    ic_vol_open(&c, &im, 512, "hdj");
    assert_int_equal(ic_hash("/hdj/1/hello.txt", hex, &err), 11);
    assert_true(klog_contains("ext: hdj/1: journal needs recovery; mounted read-only without "
                              "replaying it"));
    ic_vol_unload(&c, &im);
}

static void test_ext_unsupported_incompat_feature_is_refused(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("ext4");
    struct vfs_info info;
    (void)state;
    put_le32(im.data, SB + 0x60, le32_at(im.data, SB + 0x60) | 0x10000);
    ic_vol_open(&c, &im, 512, "hdf");
    assert_int_equal(vfs_get_info("/hdf/1/hello.txt", &info), ERR_NODEV);
    assert_true(klog_contains("ext: hdf/1: unsupported incompatible features 0x10000 (encrypt), "
                              "not mounted"));
    ic_vol_unload(&c, &im);
}

/* ---- damaged images -------------------------------------------------------------------------- */

static void test_ext_bad_magic_is_not_mounted(void **state)
{
    struct ic_img im = load_image("ext4");
    (void)state;
    put_le16(im.data, SB + 0x38, 0xEF54);
    struct ic_vol c;
    struct vfs_info info;
    ic_vol_open(&c, &im, 512, "hdb1");
    ic_expect_part_fs(&c, "none");
    assert_int_equal(vfs_get_info("/hdb1/1/hello.txt", &info), ERR_NODEV);
    ic_vol_unload(&c, &im);
}

static void test_ext_absurd_geometry_is_not_mounted(void **state)
{
    struct ic_img im = load_image("ext4");
    uint8_t *orig = malloc(im.bytes);
    (void)state;
    memcpy(orig, im.data, im.bytes);
    put_le32(im.data, SB + 0x18, 7); /* 128 KiB blocks */
    ic_expect_damage(&im, 512, "hdb2", "hello.txt", ERR_NODEV, "ext: hdb2: bad block size (log 7");
    memcpy(im.data, orig, im.bytes);
    put_le32(im.data, SB + 0x04, 1u << 30); /* far larger than the disk */
    ic_expect_damage(&im, 512, "hdb3", "hello.txt", ERR_NODEV,
                     "ext: hdb3: file system larger than its partition");
    memcpy(im.data, orig, im.bytes);
    put_le16(im.data, SB + 0x58, 100); /* inode size */
    ic_expect_damage(&im, 512, "hdb4", "hello.txt", ERR_NODEV,
                     "ext: hdb4: bad inode size (100 bytes");
    memcpy(im.data, orig, im.bytes);
    put_le32(im.data, SB + 0x00, le32_at(im.data, SB) + 1); /* inode count */
    ic_expect_damage(&im, 512, "hdb5", "hello.txt", ERR_NODEV,
                     "ext: hdb5: inode count disagrees with the groups");
    memcpy(im.data, orig, im.bytes);
    put_le16(im.data, SB + 0xFE, 48); /* 64-bit descriptors of 48 bytes */
    ic_expect_damage(&im, 512, "hdb6", "hello.txt", ERR_NODEV,
                     "ext: hdb6: bad group descriptor size (48 bytes)");
    free(orig);
    free(im.data);
}

static void test_ext_descriptors_beyond_volume_are_not_mounted(void **state)
{
    struct ic_img im = load_image("ext4");
    uint8_t *orig = malloc(im.bytes);
    uint32_t bs = block_bytes(&im);
    (void)state;
    memcpy(orig, im.data, im.bytes);
    /* Group 0's inode table far outside: the root cannot be read. */
    put_le32(im.data, (size_t)bs + 0x08, 0x7FFFFFF0u);
    ic_expect_damage(&im, 512, "hdg1", "hello.txt", ERR_NODEV,
                     "ext: hdg1/1: inode table of group 0 outside the volume");
    /* meta_bg with the first meta group past the descriptor table. */
    memcpy(im.data, orig, im.bytes);
    put_le32(im.data, SB + 0x60, le32_at(im.data, SB + 0x60) | 0x10);
    put_le32(im.data, SB + 0x104, 1000);
    ic_expect_damage(&im, 512, "hdg2", "hello.txt", ERR_NODEV,
                     "ext: hdg2: bad first meta group (1000");
    free(orig);
    free(im.data);
}

static void test_ext_extent_past_the_end_reads_corrupt(void **state)
{
    struct ic_img im = load_image("ext4");
    char hex[SHA256_HEX_CHARS];
    struct ic_vol c;
    int err;
    (void)state;
    /* big.bin: extents in the inode (depth 0): the first one's start. */
    size_t big = inode_at(&im, "ext4", "/big.bin");
    assert_int_equal(le16_at(im.data, big + 0x28), 0xF30A);
    assert_int_equal(le16_at(im.data, big + 0x28 + 6), 0);
    put_le32(im.data, big + 0x28 + 12 + 8, 0xFFFFFF00u);
    /* islands.bin: depth 1, its index points past the end. */
    size_t isl = inode_at(&im, "ext4", "/islands.bin");
    assert_int_equal(le16_at(im.data, isl + 0x28 + 6), 1);
    put_le32(im.data, isl + 0x28 + 12 + 4, 0xFFFFFF00u);
    ic_vol_open(&c, &im, 512, "hde");
    assert_int_equal(ic_hash("/hde/1/big.bin", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_true(klog_contains("ext: hde/1: inode"));
    assert_true(klog_contains(": extent outside the volume (4294967040)"));
    assert_int_equal(ic_hash("/hde/1/islands.bin", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_true(klog_contains(": extent index points outside the volume (4294967040)"));
    /* The rest still reads. */
    assert_int_equal(ic_hash("/hde/1/data.bin", hex, &err), 3000);
    ic_vol_unload(&c, &im);
}

static void test_ext_block_pointer_past_the_end_reads_corrupt(void **state)
{
    struct ic_img im = load_image("ext2");
    char hex[SHA256_HEX_CHARS];
    struct ic_vol c;
    int err;
    (void)state;
    size_t in = inode_at(&im, "ext2", "/indirect.bin");
    put_le32(im.data, in + 0x28 + 4 * 13, 0x00FFFFFFu); /* the double indirect block */
    ic_vol_open(&c, &im, 512, "hdk");
    assert_int_equal(ic_hash("/hdk/1/indirect.bin", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_true(klog_contains("ext: hdk/1: inode "));
    assert_true(klog_contains(": indirect block outside the volume (16777215)"));
    /* Bytes before the double indirect range still read. */
    uint8_t buf[1024];
    uint32_t done;
    assert_int_equal(vfs_read_file("/hdk/1/indirect.bin", 200 * 1024, buf, 1024, &done), 0);
    ic_vol_unload(&c, &im);
}

static void test_ext_bad_directory_entries_make_folder_corrupt(void **state)
{
    struct ic_img im = load_image("ext4");
    uint8_t *orig = malloc(im.bytes);
    struct ic_names ns = { .n = 0 };
    struct ic_vol c;
    (void)state;
    memcpy(orig, im.data, im.bytes);
    size_t dir = (size_t)fact("ext4", "blocks", "/sub dir") * block_bytes(&im);
    /* 1. rec_len 0 in the first entry ("."). */
    put_le16(im.data, dir + 4, 0);
    ic_vol_open(&c, &im, 512, "hdd1");
    assert_int_equal(vfs_list("/hdd1/1/sub dir", ic_collect, &ns), ERR_CORRUPT);
    ic_names_free(&ns);
    assert_true(klog_contains("ext: hdd1/1: directory"));
    assert_true(klog_contains(": bad entry at byte 0 (rec_len 0, name_len 1)"));
    ic_vol_close(&c);
    /* 2. rec_len running past the block. */
    memcpy(im.data, orig, im.bytes);
    put_le16(im.data, dir + 12 + 4, (uint16_t)(block_bytes(&im) + 4));
    ic_vol_open(&c, &im, 512, "hdd2");
    assert_int_equal(vfs_list("/hdd2/1/sub dir", ic_collect, &ns), ERR_CORRUPT);
    ic_names_free(&ns);
    assert_true(klog_contains(": bad entry at byte 12 (rec_len 4100, name_len 2)"));
    /* The parent folder still lists. */
    assert_int_equal(vfs_list("/hdd2/1", ic_collect, &ns), 0);
    assert_true(ns.n > 10);
    ic_names_free(&ns);
    ic_vol_close(&c);
    /* 3. An entry naming an inode out of range. */
    memcpy(im.data, orig, im.bytes);
    put_le32(im.data, dir + 12, 0x7FFFFFFFu);
    ic_vol_open(&c, &im, 512, "hdd3");
    assert_int_equal(vfs_list("/hdd3/1/sub dir", ic_collect, &ns), ERR_CORRUPT);
    ic_names_free(&ns);
    assert_true(klog_contains("names inode 2147483647 (of 4096)"));
    ic_vol_close(&c);
    free(orig);
    free(im.data);
}

static void test_ext_inode_out_of_range_is_corrupt_listing_goes_on(void **state)
{
    struct ic_img im = load_image("ext4");
    struct ic_names ns = { .n = 0 };
    struct ic_vol c;
    struct vfs_info info;
    (void)state;
    /* hello.txt's inode gets an unknown file type: a free inode. */
    size_t in = inode_at(&im, "ext4", "/hello.txt");
    put_le16(im.data, in, 0);
    ic_vol_open(&c, &im, 512, "hdi");
    assert_int_equal(vfs_get_info("/hdi/1/hello.txt", &info), ERR_CORRUPT);
    assert_true(klog_contains("is not in use (mode 00)"));
    assert_int_equal(vfs_list("/hdi/1", ic_collect, &ns), 0);
    for (unsigned i = 0; i < ns.n; i++)
        assert_string_not_equal(ns.v[i], "hello.txt");
    assert_true(ns.n > 10);
    ic_names_free(&ns);
    ic_vol_unload(&c, &im);
}

/* ---- geometry and layout corner cases --------------------------------------------------------- */

static void test_ext_bigalloc_1k_blocks_find_descriptors_at_block_2(void **state)
{
    (void)state;
    /* First data block 0 with 1 KiB blocks: the super block is block 1, so
     * the descriptors are at block 2, with and without meta_bg. */
    check_manifest("bigalloc", 512);
    check_manifest("bigmeta", 4096);
}

static void test_ext_cluster_over_1_gib_is_refused(void **state)
{
    struct ic_img im = load_image("ext4");
    struct ext_sb sb;
    uint8_t raw[1024];
    (void)state;
    /* 64 KiB blocks in 2^16-block clusters: 4 GiB, past 32-bit sums. */
    memcpy(raw, im.data + SB, sizeof(raw));
    put_le32(raw, 0x18, 6);
    put_le32(raw, 0x04, 100);
    put_le32(raw, 0x150, 0);
    put_le32(raw, 0x14, 0);
    put_le32(raw, 0x20, 32768);
    put_le32(raw, 0x28, 1024);
    put_le32(raw, 0x00, 1024);
    put_le32(raw, 0x64, le32_at(raw, 0x64) | 0x200);
    put_le32(raw, 0x1C, 20); /* 1 GiB clusters: the largest Linux mounts */
    assert_int_equal(ext_sb_parse(raw, 100u * 65536, "sbt", &sb), 0);
    assert_int_equal(sb.cluster_ratio, 1u << 14);
    put_le32(raw, 0x1C, 22);
    assert_int_equal(ext_sb_parse(raw, 100u * 65536, "sbt", &sb), ERR_CORRUPT);
    assert_true(klog_contains("ext: sbt: bad cluster size (log 22, block log 6)"));
    free(im.data);
}

static void test_ext_directory_hole_is_skipped(void **state)
{
    struct ic_img im = load_image("ext2");
    struct ic_names ns = { .n = 0 };
    struct ic_vol c;
    struct vfs_info info;
    (void)state;
    /* /sub (one block) moves to its second block; the first becomes a hole. */
    size_t in = inode_at(&im, "ext2", "/sub");
    uint32_t blk = le32_at(im.data, in + 0x28);
    assert_int_equal(blk, fact("ext2", "blocks", "/sub"));
    put_le32(im.data, in + 0x28, 0);
    put_le32(im.data, in + 0x28 + 4, blk);
    put_le32(im.data, in + 0x04, 2 * block_bytes(&im));
    ic_vol_open(&c, &im, 512, "hdh");
    assert_int_equal(vfs_list("/hdh/1/sub", ic_collect, &ns), 0);
    assert_int_equal(ns.n, 2);
    qsort(ns.v, ns.n, sizeof(char *), ic_cmp_str);
    assert_string_equal(ns.v[0], "file.bin");
    assert_string_equal(ns.v[1], "link");
    ic_names_free(&ns);
    assert_int_equal(vfs_get_info("/hdh/1/sub/file.bin", &info), 0);
    assert_int_equal(info.size, 5000);
    ic_vol_unload(&c, &im);
}

static void test_ext_fast_symlink_with_extents_flag_is_followed(void **state)
{
    struct ic_img im = load_image("ext4");
    char hex[SHA256_HEX_CHARS];
    struct ic_vol c;
    int err;
    (void)state;
    /* Old kernels set EXTENTS_FL on fast links; the target stays in i_block. */
    size_t in = inode_at(&im, "ext4", "/link-hello");
    assert_int_equal(le32_at(im.data, in + 0x1C), 0); /* i_blocks: a fast link */
    put_le32(im.data, in + 0x20, le32_at(im.data, in + 0x20) | 0x80000);
    ic_vol_open(&c, &im, 512, "hdx");
    assert_int_equal(ic_hash("/hdx/1/link-hello", hex, &err), 10);
    ic_vol_unload(&c, &im);
}

/* ---- random damage --------------------------------------------------------------------------- */

static const int fuzz_ok[] = { 0, ERR_CORRUPT, ERR_NODEV, ERR_NOENT, ERR_NOTDIR, ERR_EOM,
                               ERR_NOTSUP, ERR_ISDIR, ERR_NAMETOOLONG, ERR_LOOP };

/* Flip bits in bytes [1024, span) (super block, descriptors, inode tables,
 * the first folders), on 512-byte sectors and every fourth time 4096. */
static void fuzz_image(const char *image, unsigned seeds, uint32_t span)
{
    const struct ic_fuzz fz = { .ok = fuzz_ok, .nok = ARRAY_SIZE(fuzz_ok), .max_depth = 8,
                                .max_visits = 300 };
    struct ic_img im = load_image(image);
    ic_fuzz_image(&im, seeds, 1024, span, 512, 4096, &fz);
    free(im.data);
}

static void test_ext_random_flips_never_crash_ext2(void **state)
{
    (void)state;
    fuzz_image("ext2", 120, 300 * 1024);
}

static void test_ext_random_flips_never_crash_small_ext4(void **state)
{
    (void)state;
    fuzz_image("small", 120, 300 * 1024);
}

static void test_ext_random_flips_never_crash_inline(void **state)
{
    (void)state;
    fuzz_image("inline", 120, 600 * 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ext_ext4_defaults_match_manifest),
        cmocka_unit_test(test_ext_ext2_block_maps_match_manifest),
        cmocka_unit_test(test_ext_ext3_matches_manifest),
        cmocka_unit_test(test_ext_meta_bg_and_deep_extent_tree_match_manifest),
        cmocka_unit_test(test_ext_inline_data_matches_manifest),
        cmocka_unit_test(test_ext_4096_byte_sectors_match_manifest),
        cmocka_unit_test(test_ext_probe_and_statfs_name_each_flavour),
        cmocka_unit_test(test_ext_symlinks_are_followed_inside_the_volume),
        cmocka_unit_test(test_ext_names_times_and_attributes),
        cmocka_unit_test(test_ext_read_at_any_offset_holes_read_zero),
        cmocka_unit_test(test_ext_every_write_fails_with_rofs),
        cmocka_unit_test(test_ext_needs_recovery_mounts_with_warning),
        cmocka_unit_test(test_ext_unsupported_incompat_feature_is_refused),
        cmocka_unit_test(test_ext_bad_magic_is_not_mounted),
        cmocka_unit_test(test_ext_absurd_geometry_is_not_mounted),
        cmocka_unit_test(test_ext_descriptors_beyond_volume_are_not_mounted),
        cmocka_unit_test(test_ext_extent_past_the_end_reads_corrupt),
        cmocka_unit_test(test_ext_block_pointer_past_the_end_reads_corrupt),
        cmocka_unit_test(test_ext_bad_directory_entries_make_folder_corrupt),
        cmocka_unit_test(test_ext_inode_out_of_range_is_corrupt_listing_goes_on),
        cmocka_unit_test(test_ext_bigalloc_1k_blocks_find_descriptors_at_block_2),
        cmocka_unit_test(test_ext_cluster_over_1_gib_is_refused),
        cmocka_unit_test(test_ext_directory_hole_is_skipped),
        cmocka_unit_test(test_ext_fast_symlink_with_extents_flag_is_followed),
        cmocka_unit_test(test_ext_random_flips_never_crash_ext2),
        cmocka_unit_test(test_ext_random_flips_never_crash_small_ext4),
        cmocka_unit_test(test_ext_random_flips_never_crash_inline),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
