// SPDX-License-Identifier: MIT
/* NTFS against images made by ntfs-3g's tools without mounting (tests/
 * images/make-ntfs-images.sh: mkntfs, ntfscp, libntfs-3g): every file and
 * folder of each image's manifest read back byte-exact and every folder
 * listed exactly (resident and non-resident files, a sparse file, a
 * 600-entry folder in INDX blocks, a file of ~3000 runs whose runlist is
 * spread over 13 extent records by an attribute list, 512-byte and 64 KiB
 * clusters, 4 KiB sectors with 4 KiB MFT records); names (case rule,
 * Unicode, surrogate pairs, metafiles hidden but reachable), times,
 * reads at any offset, statfs, ERR_ROFS for every write, the dirty-volume
 * warning; then damaged copies (boot sector fields, $MFT runlist, fixups,
 * attribute lengths, absurd runs, index entries, compressed and encrypted
 * flags, random bit flips): errors with one log line, never a crash; and
 * edited copies that must still work (an $MFT in three extents, entries
 * named "." and ".." left out of listings). */
#include "tests/unit/image_check.h"

#include "fs/ext/ext.h"
#include "fs/fat/fat.h"
#include "fs/fs_cmds.h"
#include "fs/iso9660/iso9660.h"
#include "fs/ntfs/ntfs.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/shell/shell.h"
#include "tests/host/print_host.h"

#define IMAGES_SUBDIR "build/host/images/ntfs"
#define SCRIPT "tests/images/make-ntfs-images.sh"

static int group_setup(void **state)
{
    (void)state;
    if (ic_build_images(SCRIPT, IMAGES_SUBDIR) != 0)
        return -1;
    blkdev_init();
    fat_register(); /* as the kernel registers them */
    iso9660_register();
    ext_register();
    ntfs_register();
    shell_init();
    fs_register_commands();
    return 0;
}

/* ---- image helpers -------------------------------------------------------------------------- */

static struct ic_img load_image(const char *name)
{
    return ic_load_image(IMAGES_SUBDIR, name, ".img");
}

/* The MFT record number of `path` from NAME.facts. */
static uint64_t fact_rec(const char *image, const char *path)
{
    char line[1200];
    unsigned long long no;
    int used;
    FILE *fp = ic_open_text(IMAGES_SUBDIR, image, ".facts");
    while (fgets(line, sizeof(line), fp)) {
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "rec %llu %n", &no, &used) == 1 && strcmp(line + used, path) == 0) {
            fclose(fp);
            return no;
        }
    }
    fclose(fp);
    fail_msg("no record fact for %s in %s", path, image);
    return 0;
}

static uint32_t cluster_bytes(const struct ic_img *im)
{
    return le16_at(im->data, 0x0B) * im->data[0x0D];
}

/* Byte offset of MFT record `no` (records of the MFT's first run). */
static size_t rec_at(const struct ic_img *im, uint64_t no)
{
    return (size_t)(le64_at(im->data, 0x30) * cluster_bytes(im) + no * 1024);
}

/* Byte offset of the first attribute of `type` in the record at rec. */
static size_t attr_at(const struct ic_img *im, size_t rec, uint32_t type)
{
    size_t p = rec + le16_at(im->data, rec + 0x14);
    while (le32_at(im->data, p) != 0xFFFFFFFFu) {
        if (le32_at(im->data, p) == type)
            return p;
        p += le32_at(im->data, p + 4);
    }
    fail_msg("no attribute 0x%x in record at %zu", type, rec);
    return 0;
}

/* Byte offset of the index entry (in an INDX block or an index root) of
 * ASCII name `name` that points at record `no` (the $FILE_NAME attribute
 * of the file's own record holds the same key, but no entry header). */
static size_t entry_of(const struct ic_img *im, uint64_t no, const char *name)
{
    size_t n = strlen(name);
    for (size_t q = 0x52; q + 2 * n <= im->bytes; q += 2) {
        size_t k;
        for (k = 0; k < n && le16_at(im->data, q + 2 * k) == (uint8_t)name[k]; k++)
            ;
        size_t ie = q - 0x52;
        if (k == n && im->data[q - 2] == n && (le64_at(im->data, ie) & 0xFFFFFFFFFFFFull) == no)
            return ie;
    }
    fail_msg("no index entry for %s", name);
    return 0;
}

/* Undo the update sequence of the record or INDX block at rec (`bytes`
 * long) so that it can be edited, then redo it with rec_seal. */
static void rec_unfix(uint8_t *rec, uint32_t bytes)
{
    uint32_t usa = le16_at(rec, 4);
    for (uint32_t i = 1; i <= bytes / 512; i++)
        put_le16(rec, i * 512 - 2, le16_at(rec, usa + 2 * i));
}

static void rec_seal(uint8_t *rec, uint32_t bytes)
{
    uint32_t usa = le16_at(rec, 4);
    for (uint32_t i = 1; i <= bytes / 512; i++) {
        put_le16(rec, usa + 2 * i, le16_at(rec, i * 512 - 2));
        put_le16(rec, i * 512 - 2, le16_at(rec, usa));
    }
}

static void check_manifest(const char *image, uint32_t ss, unsigned min_files)
{
    unsigned files, dirs;
    ic_check_manifest(IMAGES_SUBDIR, image, ".img", ss, "hdm", &files, &dirs);
    assert_true(files >= min_files);
}

/* ---- whole images --------------------------------------------------------------------------- */

static void test_ntfs_main_image_matches_manifest(void **state)
{
    (void)state;
    check_manifest("main", 512, 600);
}

static void test_ntfs_attribute_list_file_matches_manifest(void **state)
{
    (void)state;
    check_manifest("frag", 512, 6000); /* frag.bin: ~3000 runs in 13 extent records */
}

static void test_ntfs_512_byte_and_64k_clusters_match_manifest(void **state)
{
    (void)state;
    check_manifest("c512", 512, 4);
    check_manifest("c64k", 512, 4);
}

static void test_ntfs_4096_byte_sectors_and_records_match_manifest(void **state)
{
    (void)state;
    check_manifest("s4k", 4096, 4);
}

/* ---- probe, statfs, names, reads ------------------------------------------------------------ */

static void test_ntfs_probe_and_statfs_describe_the_volume(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("main");
    struct vfs_statfs st;
    (void)state;
    ic_vol_open(&c, &im, 512, "hdp");
    ic_expect_part_fs(&c, "ntfs");
    assert_int_equal(vfs_statfs(c.root, &st), 0);
    assert_string_equal(st.fs_name, "ntfs");
    assert_string_equal(st.label, "NTFS label");
    uint64_t total = le64_at(im.data, 0x28) * 512 / cluster_bytes(&im) * cluster_bytes(&im);
    assert_int_equal(st.total_bytes, total);
    assert_true(st.free_bytes > 20u << 20 && st.free_bytes < total);
    assert_true(klog_contains("ntfs: hdp/1: mounted NTFS 3.1 read-only, 12287 clusters of 4096 "
                              "bytes, 1024-byte records, label 'NTFS label'"));
    ic_vol_unload(&c, &im);
}

static void test_ntfs_names_case_rule_and_metafiles(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("main");
    struct vfs_info info;
    struct ic_names ns = { .n = 0 };
    (void)state;
    ic_vol_open(&c, &im, 512, "hdn");
    /* Exact spelling wins; another spelling finds a name equal ignoring case. */
    assert_int_equal(vfs_get_info(ic_p(&c, "upper.txt"), &info), 0);
    assert_int_equal(info.size, 6);
    assert_int_equal(vfs_get_info(ic_p(&c, "UPPER.TXT"), &info), 0);
    assert_int_equal(info.size, 7);
    assert_int_equal(vfs_get_info(ic_p(&c, "Upper.Txt"), &info), 0);
    assert_true(info.size == 6 || info.size == 7);
    assert_int_equal(vfs_get_info(ic_p(&c, "HELLO.TXT"), &info), 0);
    assert_int_equal(info.size, 11);
    assert_int_equal(vfs_get_info(ic_p(&c, "SUB DIR/ÜNÏCÖDÉ NÄME – ✓.TXT"), &info), 0);
    assert_int_equal(info.size, 4321);
    assert_int_equal(vfs_get_info(ic_p(&c, "hello.txt/x"), &info), ERR_NOTDIR);
    assert_int_equal(vfs_get_info(ic_p(&c, "nothing"), &info), ERR_NOENT);
    assert_int_equal(vfs_get_info(ic_p(&c, "sub dir/../deep/./level1/.."), &info), 0);
    assert_true(info.attr & VFS_ATTR_DIR);
    /* Metafiles: not listed, reachable by name. */
    assert_int_equal(vfs_list(c.root, ic_collect, &ns), 0);
    for (unsigned i = 0; i < ns.n; i++)
        assert_true(ns.v[i][0] != '$' && strcmp(ns.v[i], ".") != 0);
    ic_names_free(&ns);
    assert_int_equal(vfs_get_info(ic_p(&c, "$UpCase"), &info), 0);
    assert_int_equal(info.size, 131072);
    assert_int_equal(info.attr, VFS_ATTR_READONLY | VFS_ATTR_HIDDEN | VFS_ATTR_SYSTEM);
    /* A surrogate pair becomes one 4-byte UTF-8 character. */
    memset(&info, 0, sizeof(info));
    strcpy(info.name, "emoji \xF0\x9F\x98\x80.txt");
    assert_int_equal(vfs_list(ic_p(&c, "sub dir"), ic_find_entry, &info), 0);
    assert_int_equal(info.size, 6);
    /* Times: ntfscp -t kept the source's 2024-01-01 00:00:00 UTC. */
    assert_int_equal(vfs_get_info(ic_p(&c, "hello.txt"), &info), 0);
    assert_int_equal(info.attr, VFS_ATTR_READONLY);
    ic_expect_new_year_2024(&info.mtime);
    assert_true(info.ctime.year >= 2024);
    /* ntfs-3g's symbolic link (Interix style: a system file holding
     * "IntxLNK\1" and the UTF-16 target) is shown as it is, not followed. */
    assert_int_equal(vfs_get_info(ic_p(&c, "link-to-hello"), &info), 0);
    assert_int_equal(info.size, 8 + 2 * strlen("hello.txt"));
    assert_int_equal(info.attr, VFS_ATTR_READONLY | VFS_ATTR_SYSTEM);
    uint8_t b[8];
    uint32_t done = 9;
    assert_int_equal(vfs_read_file(ic_p(&c, "link-to-hello"), 0, b, 8, &done), 0);
    assert_memory_equal(b, "IntxLNK\1", 8);
    /* The shell sees the same. */
    ic_expect_shell("hash /hdn/1/hello.txt",
                    "96cd0aa5f0de71f312b6791ac3bd7c9dbce016b36d4c7122d8b96e8c480d88da"
                    " 11 /hdn/1/hello.txt\n");
    ic_vol_unload(&c, &im);
}

static void test_ntfs_read_at_any_offset_sparse_reads_zero(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("main");
    uint32_t done;
    (void)state;
    ic_vol_open(&c, &im, 512, "hdo");
    const uint32_t size = 5 * 1024 * 1024 + 7;
    uint8_t *whole = malloc(size), *part = malloc(300000);
    assert_int_equal(vfs_read_file(ic_p(&c, "sub dir/big.bin"), 0, whole, size + 1, &done),
                     ERR_EOM);
    assert_int_equal(done, size);
    static const uint32_t offs[] = { 1, 4095, 4096, 12287, 100000, 2000001, size - 100 };
    ic_check_reads_at(ic_p(&c, "sub dir/big.bin"), whole, size, offs, ARRAY_SIZE(offs), 100001);
    /* sparse.bin: data at 0 and 10 MiB + 100, a hole between. */
    assert_int_equal(vfs_read_file(ic_p(&c, "sparse.bin"), 5u << 20, part, 300000, &done), 0);
    for (uint32_t k = 0; k < 300000; k++)
        assert_int_equal(part[k], 0);
    assert_int_equal(vfs_read_file(ic_p(&c, "sparse.bin"), 20u << 20, part, 1, &done), ERR_EOM);
    assert_int_equal(done, 0);
    assert_int_equal(vfs_read_file(ic_p(&c, "many"), 0, part, 1, &done), ERR_ISDIR);
    /* VFS_IO_NOCACHE reads the same bytes. */
    assert_int_equal(vfs_read_file_ex(ic_p(&c, "sub dir/big.bin"), 4000, part, 9000,
                                      VFS_IO_NOCACHE, &done), 0);
    assert_memory_equal(part, whole + 4000, 9000);
    free(whole);
    free(part);
    ic_vol_unload(&c, &im);
}

static void test_ntfs_every_write_fails_with_rofs(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("main");
    (void)state;
    ic_vol_open(&c, &im, 512, "hdw");
    assert_int_equal(vfs_set_label(c.root, "x"), ERR_ROFS);
    ic_check_every_write_fails(&c, "hello.txt");
    ic_vol_unload(&c, &im);
}

static void test_ntfs_dirty_volume_mounts_with_warning(void **state)
{
    struct ic_vol c;
    struct ic_img im = load_image("main");
    char hex[SHA256_HEX_CHARS];
    int err;
    (void)state;
    size_t vi = attr_at(&im, rec_at(&im, 3), 0x70);
    size_t val = vi + le16_at(im.data, vi + 0x14);
    put_le16(im.data, val + 0x0A, le16_at(im.data, val + 0x0A) | 1);
    ic_vol_open(&c, &im, 512, "hdj");
    assert_int_equal(ic_hash("/hdj/1/hello.txt", hex, &err), 11);
    assert_true(klog_contains("ntfs: hdj/1: volume is dirty (not shut down cleanly); mounted "
                              "read-only"));
    ic_vol_unload(&c, &im);
}

/* ---- damaged images -------------------------------------------------------------------------- */

static void test_ntfs_bad_boot_sector_is_not_mounted(void **state)
{
    struct ic_img im = load_image("main");
    uint8_t *orig = malloc(im.bytes);
    (void)state;
    memcpy(orig, im.data, im.bytes);
    im.data[0x0D] = 0x81; /* sectors per cluster: neither a count nor a shift */
    ic_expect_damage(&im, 512, "hdb1", "hello.txt", ERR_NODEV,
                     "ntfs: hdb1: bad sector or cluster size (512 bytes per sector, cluster "
                     "byte 0x81)");
    memcpy(im.data, orig, 512);
    im.data[0x40] = 0xE0; /* 4 GiB MFT records */
    ic_expect_damage(&im, 512, "hdb2", "hello.txt", ERR_NODEV,
                     "ntfs: hdb2: bad MFT record or index block size (bytes 0xe0");
    memcpy(im.data, orig, 512);
    put_le64(im.data, 0x28, 1ull << 40); /* far larger than the disk */
    ic_expect_damage(&im, 512, "hdb3", "hello.txt", ERR_NODEV,
                     "ntfs: hdb3: volume larger than its partition");
    memcpy(im.data, orig, 512);
    put_le64(im.data, 0x30, 1ull << 40); /* $MFT outside */
    ic_expect_damage(&im, 512, "hdb4", "hello.txt", ERR_NODEV,
                     "ntfs: hdb4: $MFT or $MFTMirr outside the volume");
    memcpy(im.data, orig, 512);
    memcpy(im.data + 3, "NTFZ    ", 8); /* not NTFS at all: no partition either */
    ic_expect_damage(&im, 512, "hdb5", "hello.txt", ERR_NOENT, "mbr: hdb5: ");
    free(orig);
    free(im.data);
}

static void test_ntfs_mft_runlist_past_the_end_is_not_mounted(void **state)
{
    struct ic_img im = load_image("main");
    (void)state;
    size_t data = attr_at(&im, rec_at(&im, 0), 0x80);
    size_t pairs = data + le16_at(im.data, data + 0x20);
    uint8_t h = im.data[pairs];
    uint64_t len = 0;
    for (unsigned k = 0; k < (h & 15u); k++)
        len |= (uint64_t)im.data[pairs + 1 + k] << (8 * k);
    /* One pair: the same length (2 bytes), a 4-byte LCN far past the end. */
    assert_true(len < 65536 && le16_at(im.data, data + 0x20) + 7u <= le32_at(im.data, data + 4));
    im.data[pairs] = 0x42;
    put_le16(im.data, pairs + 1, (uint16_t)len);
    put_le32(im.data, pairs + 3, 0x7FFFFFF0u);
    ic_expect_damage(&im, 512, "hdr", "hello.txt", ERR_NODEV,
                     "ntfs: hdr/1: record 0: attribute 0x80: runlist byte 0: cluster outside "
                     "the volume");
    free(im.data);
}

static void test_ntfs_bad_record_fixup_or_length_is_corrupt(void **state)
{
    struct ic_img im = load_image("main");
    uint8_t *orig = malloc(im.bytes);
    struct ic_names ns = { .n = 0 };
    struct ic_vol c;
    (void)state;
    memcpy(orig, im.data, im.bytes);
    size_t hello = rec_at(&im, fact_rec("main", "hello.txt"));
    /* 1. A torn write: the second stride's last word is not the sequence number. */
    im.data[hello + 1022] ^= 0x55;
    ic_expect_damage(&im, 512, "hdf1", "hello.txt", ERR_CORRUPT,
                     ": fixup mismatch in stride 1");
    /* 2. An attribute whose length runs past the record. */
    memcpy(im.data, orig, im.bytes);
    put_le32(im.data, attr_at(&im, hello, 0x30) + 4, 0x1000);
    ic_expect_damage(&im, 512, "hdf2", "hello.txt", ERR_CORRUPT, ": length runs past the record");
    /* The folder still lists, without the damaged entry. */
    ic_vol_open(&c, &im, 512, "hdf3");
    assert_int_equal(vfs_list("/hdf3/1", ic_collect, &ns), 0);
    assert_true(ns.n >= 10);
    for (unsigned i = 0; i < ns.n; i++)
        assert_string_not_equal(ns.v[i], "hello.txt");
    ic_names_free(&ns);
    ic_vol_close(&c);
    free(orig);
    free(im.data);
}

static void test_ntfs_absurd_run_length_reads_corrupt(void **state)
{
    struct ic_img im = load_image("main");
    char hex[SHA256_HEX_CHARS];
    struct ic_vol c;
    int err;
    (void)state;
    size_t data = attr_at(&im, rec_at(&im, fact_rec("main", "data.bin")), 0x80);
    size_t pairs = data + le16_at(im.data, data + 0x20);
    uint8_t h = im.data[pairs];
    for (unsigned k = 0; k < (h & 15u); k++)
        im.data[pairs + 1 + k] = 0xFF;
    im.data[pairs + (h & 15u)] = 0x7F; /* the largest positive length */
    ic_vol_open(&c, &im, 512, "hda");
    assert_int_equal(ic_hash("/hda/1/data.bin", hex, &err), -1);
    assert_int_equal(err, ERR_CORRUPT);
    assert_true(klog_contains(": runlist byte 0: run length out of range"));
    assert_int_equal(ic_hash("/hda/1/hello.txt", hex, &err), 11); /* the rest still reads */
    ic_vol_unload(&c, &im);
}

static void test_ntfs_compressed_and_encrypted_data_are_refused(void **state)
{
    struct ic_img im = load_image("main");
    char hex[SHA256_HEX_CHARS];
    struct ic_vol c;
    struct vfs_info info;
    int err;
    (void)state;
    size_t d1 = attr_at(&im, rec_at(&im, fact_rec("main", "data.bin")), 0x80);
    put_le16(im.data, d1 + 0x0C, 0x0001);
    size_t d3 = attr_at(&im, rec_at(&im, fact_rec("main", "small.bin")), 0x80);
    put_le16(im.data, d3 + 0x0C, 0x4000);
    ic_vol_open(&c, &im, 512, "hdc");
    assert_int_equal(vfs_get_info("/hdc/1/data.bin", &info), 0);
    assert_int_equal(info.size, 3000);
    assert_int_equal(ic_hash("/hdc/1/data.bin", hex, &err), -1);
    assert_int_equal(err, ERR_NOTSUP);
    assert_true(klog_contains(": compressed data is not supported"));
    assert_int_equal(ic_hash("/hdc/1/small.bin", hex, &err), -1); /* resident, encrypted */
    assert_int_equal(err, ERR_NOTSUP);
    assert_true(klog_contains(": encrypted data is not supported"));
    ic_vol_unload(&c, &im);
}

static void test_ntfs_index_entry_past_its_block_is_corrupt(void **state)
{
    struct ic_img im = load_image("main");
    struct ic_names ns = { .n = 0 };
    struct ic_vol c;
    (void)state;
    /* many/'s first INDX block: the first run of its $INDEX_ALLOCATION. */
    size_t ia = attr_at(&im, rec_at(&im, fact_rec("main", "many")), 0xA0);
    size_t pairs = ia + le16_at(im.data, ia + 0x20);
    uint8_t h = im.data[pairs];
    uint64_t lcn = 0;
    for (unsigned k = 0; k < (h >> 4u); k++)
        lcn |= (uint64_t)im.data[pairs + 1 + (h & 15u) + k] << (8 * k);
    size_t blk = (size_t)(lcn * cluster_bytes(&im));
    assert_memory_equal(im.data + blk, "INDX", 4);
    size_t entry = blk + 0x18 + le32_at(im.data, blk + 0x18);
    put_le16(im.data, entry + 8, 0x7FF8);
    ic_vol_open(&c, &im, 512, "hdi");
    assert_int_equal(vfs_list("/hdi/1/many", ic_collect, &ns), ERR_CORRUPT);
    ic_names_free(&ns);
    assert_true(klog_contains(": index block 0: entry runs past the node"));
    assert_int_equal(vfs_list("/hdi/1", ic_collect, &ns), 0); /* the root still lists */
    assert_true(ns.n >= 10);
    ic_names_free(&ns);
    ic_vol_unload(&c, &im);
}

static void test_ntfs_entries_named_dot_or_dotdot_are_not_listed(void **state)
{
    struct ic_img im = load_image("main");
    struct ic_names ns = { .n = 0 };
    struct ic_vol c;
    (void)state;
    /* Rename the entries of hello.txt and data.bin to "." and "..". */
    size_t e1 = entry_of(&im, fact_rec("main", "hello.txt"), "hello.txt");
    size_t e2 = entry_of(&im, fact_rec("main", "data.bin"), "data.bin");
    im.data[e1 + 0x50] = 1;
    put_le16(im.data, e1 + 0x52, '.');
    im.data[e2 + 0x50] = 2;
    put_le16(im.data, e2 + 0x52, '.');
    put_le16(im.data, e2 + 0x54, '.');
    ic_vol_open(&c, &im, 512, "hdd");
    assert_int_equal(vfs_list(c.root, ic_collect, &ns), 0);
    assert_true(ns.n >= 8);
    for (unsigned i = 0; i < ns.n; i++) {
        assert_string_not_equal(ns.v[i], ".");
        assert_string_not_equal(ns.v[i], "..");
    }
    ic_names_free(&ns);
    assert_true(klog_contains("ntfs: hdd/1: folder 5: entry for record "));
    assert_true(klog_contains(" has an unusable name, skipped"));
    ic_vol_unload(&c, &im);
}

/* Turn free record `no` of main.img into an extent record of $MFT holding
 * its $DATA from vcn lo to hi, one run at lcn (mapping pairs in `pairs`). */
static void mft_extent_record(struct ic_img *im, uint64_t no, uint64_t lo, uint64_t hi,
                              const uint8_t *pairs, size_t npairs)
{
    uint8_t *r = im->data + rec_at(im, no);
    assert_memory_equal(r, "FILE", 4);
    assert_int_equal(le16_at(r, 0x16) & 1, 0); /* not in use */
    rec_unfix(r, 1024);
    uint32_t at = le16_at(r, 0x14);
    uint8_t *a = r + at;
    memset(a, 0, 0x50);
    put_le32(a, 0x00, 0x80);
    put_le32(a, 0x04, 0x48);
    a[0x08] = 1;
    put_le16(a, 0x0A, 0x40);
    put_le64(a, 0x10, lo);
    put_le64(a, 0x18, hi);
    put_le16(a, 0x20, 0x40);
    memcpy(a + 0x40, pairs, npairs);
    put_le32(a, 0x48, 0xFFFFFFFFu);
    put_le32(r, 0x18, at + 0x50);
    put_le16(r, 0x16, 1);
    put_le64(r, 0x20, 1ull << 48); /* base: record 0, sequence 1 */
    rec_seal(r, 1024);
}

static void test_ntfs_mft_extent_record_in_a_later_extent_mounts(void **state)
{
    struct ic_img im = load_image("main");
    char hex[SHA256_HEX_CHARS];
    struct ic_vol c;
    int err;
    (void)state;
    /* main.img's $MFT is one run of 175 clusters at lcn 4 (4 records per
     * cluster). Split it in three extents: vcn 0-5 in record 0, 6-11 in
     * record 17 (inside the first), 12-174 in record 40 (inside the second
     * only), listed by a new attribute list in record 0. */
    uint8_t *r0 = im.data + rec_at(&im, 0);
    rec_unfix(r0, 1024);
    size_t data = attr_at(&im, rec_at(&im, 0), 0x80) - rec_at(&im, 0);
    uint32_t pofs = le16_at(r0 + data, 0x20);
    assert_int_equal(le64_at(r0 + data, 0x18), 174);
    assert_true(pofs + 4 <= le32_at(r0 + data, 4));
    put_le64(r0 + data, 0x18, 5);
    memcpy(r0 + data + pofs, (const uint8_t[]){ 0x11, 6, 4, 0 }, 4);
    uint32_t used = le32_at(r0, 0x18), end = used - 8;
    assert_int_equal(le32_at(r0, end), 0xFFFFFFFFu);
    uint8_t *al = r0 + end;
    memset(al, 0, 0x78 + 8);
    put_le32(al, 0x00, 0x20);
    put_le32(al, 0x04, 0x78);
    put_le32(al, 0x10, 0x60);
    put_le16(al, 0x14, 0x18);
    static const uint64_t starts[3] = { 0, 6, 12 }, recs[3] = { 0, 17, 40 };
    for (unsigned i = 0; i < 3; i++) {
        uint8_t *e = al + 0x18 + 0x20 * i;
        put_le32(e, 0x00, 0x80);
        put_le16(e, 0x04, 0x20);
        e[0x07] = 0x1A;
        put_le64(e, 0x08, starts[i]);
        put_le64(e, 0x10, recs[i] | 1ull << 48);
    }
    put_le32(al, 0x78, 0xFFFFFFFFu);
    put_le32(r0, 0x18, end + 0x78 + 8);
    rec_seal(r0, 1024);
    mft_extent_record(&im, 17, 6, 11, (const uint8_t[]){ 0x11, 6, 10, 0 }, 4);
    mft_extent_record(&im, 40, 12, 174, (const uint8_t[]){ 0x12, 163, 0, 16, 0 }, 5);
    /* hello.txt's record lies in the third extent. */
    assert_true(fact_rec("main", "hello.txt") >= 48);
    ic_vol_open(&c, &im, 512, "hdx");
    assert_int_equal(ic_hash("/hdx/1/hello.txt", hex, &err), 11);
    assert_string_equal(hex, "96cd0aa5f0de71f312b6791ac3bd7c9dbce016b36d4c7122d8b96e8c480d88da");
    ic_vol_unload(&c, &im);
}

/* ---- random damage --------------------------------------------------------------------------- */

static const int fuzz_ok[] = { 0, ERR_CORRUPT, ERR_NODEV, ERR_NOENT, ERR_NOTDIR, ERR_EOM,
                               ERR_NOTSUP, ERR_ISDIR, ERR_NAMETOOLONG };

static void test_ntfs_random_flips_in_the_mft_never_crash(void **state)
{
    const struct ic_fuzz fz = { .ok = fuzz_ok, .nok = ARRAY_SIZE(fuzz_ok), .max_depth = 8,
                                .max_visits = 300 };
    struct ic_img im = load_image("c512");
    (void)state;
    uint32_t mft = (uint32_t)rec_at(&im, 0);
    ic_fuzz_image(&im, 150, 0, 512, 512, 512, &fz);          /* the boot sector */
    ic_fuzz_image(&im, 150, mft, mft + 80 * 1024, 512, 512, &fz); /* the first 80 records */
    free(im.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ntfs_main_image_matches_manifest),
        cmocka_unit_test(test_ntfs_attribute_list_file_matches_manifest),
        cmocka_unit_test(test_ntfs_512_byte_and_64k_clusters_match_manifest),
        cmocka_unit_test(test_ntfs_4096_byte_sectors_and_records_match_manifest),
        cmocka_unit_test(test_ntfs_probe_and_statfs_describe_the_volume),
        cmocka_unit_test(test_ntfs_names_case_rule_and_metafiles),
        cmocka_unit_test(test_ntfs_read_at_any_offset_sparse_reads_zero),
        cmocka_unit_test(test_ntfs_every_write_fails_with_rofs),
        cmocka_unit_test(test_ntfs_dirty_volume_mounts_with_warning),
        cmocka_unit_test(test_ntfs_bad_boot_sector_is_not_mounted),
        cmocka_unit_test(test_ntfs_mft_runlist_past_the_end_is_not_mounted),
        cmocka_unit_test(test_ntfs_bad_record_fixup_or_length_is_corrupt),
        cmocka_unit_test(test_ntfs_absurd_run_length_reads_corrupt),
        cmocka_unit_test(test_ntfs_compressed_and_encrypted_data_are_refused),
        cmocka_unit_test(test_ntfs_index_entry_past_its_block_is_corrupt),
        cmocka_unit_test(test_ntfs_entries_named_dot_or_dotdot_are_not_listed),
        cmocka_unit_test(test_ntfs_mft_extent_record_in_a_later_extent_mounts),
        cmocka_unit_test(test_ntfs_random_flips_in_the_mft_never_crash),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
