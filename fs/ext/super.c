// SPDX-License-Identifier: MIT
/* ext2/3/4 volumes: the super block, the probe, mount/unmount, the group
 * descriptors and byte-addressed reads through the cache. Register with
 * ext_register(); blkdev then probes every partition (ext_probe reads the
 * super block at byte 1024 straight through the sector reader), mounts on
 * first use (ext_mount: super block again through the cache, feature check,
 * descriptor table bounds, root inode) and unmounts with the media.
 * Blocks are 1..64 KiB and sectors 512..4096 bytes, so everything is
 * addressed in bytes (a 1 KiB block may be a quarter of a sector).
 * Policy on bad super blocks (STYLE §5), one log line each:
 *  - no 0xEF53 magic: not ext (ERR_NOENT, silent);
 *  - block size outside 1..64 KiB, a cluster smaller than a block or
 *    over 1 GiB, revision > 1, inode size not a power of
 *    two in 128..block size, group sizes outside what one bitmap block can
 *    describe, an inode count that disagrees with groups * inodes per group,
 *    a first data block other than 0/1, a volume larger than its partition,
 *    or a descriptor table outside the volume: reject (ERR_CORRUPT; the
 *    partition stays unmounted). Linux refuses the same volumes, and no
 *    tool writes them, so there is nothing to tolerate;
 *  - an INCOMPAT feature this driver does not implement (compression,
 *    journal device, EA inodes, dirdata, encryption, casefold, or unknown
 *    bits): refuse (ERR_NOTSUP). RO_COMPAT features never matter to a
 *    read-only mount;
 *  - needs_recovery (a journal with unreplayed transactions): mount anyway
 *    with a warning; the journal is not replayed, so the last changes
 *    before a crash may be missing from what is read.
 * Checksums (metadata_csum, gdt_csum) are not verified: every structure is
 * bounds-checked instead, which is what keeps a bad volume from hurting us. */
#include "fs/ext/ext.h"
#include "blkdev/fsprobe.h"
#include "fs/ext/ext_priv.h"
#include "fs/fs_bytes.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

/* Names of the INCOMPAT bits we refuse, for the log line. */
static const struct {
    uint32_t bit;
    const char *name;
} ext_incompat_names[] = {
    { EXT_INCOMPAT_COMPRESSION, "compression" }, { EXT_INCOMPAT_JOURNAL_DEV, "journal_dev" },
    { EXT_INCOMPAT_EA_INODE, "ea_inode" },       { EXT_INCOMPAT_DIRDATA, "dirdata" },
    { EXT_INCOMPAT_ENCRYPT, "encrypt" },         { EXT_INCOMPAT_CASEFOLD, "casefold" },
};

/* ---- byte reads through the cache ---------------------------------------------------------- */

int ext_read_bytes(struct ext_vol *v, uint64_t pos, void *buf, uint32_t len,
                   enum cache_class cls)
{
    const struct fs_bytes src = {
        .m = v->m, .part = v->part, .sector_bytes = v->sector_bytes,
        .limit_bytes = v->limit_bytes, .bounce = v->bounce, .fs = "ext", .name = v->name,
    };
    return fs_bytes_read(&src, pos, buf, len, cls);
}

/* ---- super block ---------------------------------------------------------------------------- */

static bool ext_is_pow_of(uint32_t g, uint32_t base)
{
    while (g > 1 && g % base == 0)
        g /= base;
    return g == 1;
}

/* "Super Block": groups holding a backup super block (and descriptors). */
static bool ext_group_has_super(const struct ext_sb *sb, uint32_t g)
{
    if (g == 0)
        return true;
    if (sb->compat & EXT_COMPAT_SPARSE_SUPER2)
        return g == sb->backup_bgs[0] || g == sb->backup_bgs[1];
    if (!(sb->ro_compat & EXT_RO_COMPAT_SPARSE_SUPER))
        return true;
    return g == 1 || ext_is_pow_of(g, 3) || ext_is_pow_of(g, 5) || ext_is_pow_of(g, 7);
}

static void ext_copy_label(const uint8_t *src, char *out)
{
    size_t n = 0;
    while (n < SB_VOLUME_NAME_BYTES && src[n] != '\0') {
        out[n] = src[n] < 0x20 || src[n] == 0x7F ? '_' : (char)src[n];
        n++;
    }
    out[n] = '\0';
}

static const char *ext_pick_name(uint32_t compat, uint32_t incompat, uint32_t ro_compat)
{
    if ((incompat & ~EXT_INCOMPAT_EXT3 & ~EXT_INCOMPAT_JOURNAL_DEV) ||
        (ro_compat & ~EXT_RO_COMPAT_EXT3))
        return "ext4";
    return (compat & EXT_COMPAT_HAS_JOURNAL) ? "ext3" : "ext2";
}

/* Step 2 of ext_sb_parse: sizes of one group and of the whole volume. */
static int ext_sb_geometry(const uint8_t *raw, uint64_t part_bytes, const char *who,
                           struct ext_sb *sb)
{
    uint32_t bs = sb->block_bytes;
    uint64_t max_per_group = 8ull * bs * sb->cluster_ratio;

    /* 1. Group sizes: one bitmap block describes a group. */
    sb->blocks_per_group = le32_at(raw, SB_BLOCKS_PER_GROUP);
    sb->inodes_per_group = le32_at(raw, SB_INODES_PER_GROUP);
    sb->inodes_count = le32_at(raw, SB_INODES_COUNT);
    sb->first_data_block = le32_at(raw, SB_FIRST_DATA_BLOCK);
    sb->blocks_count = le32_at(raw, SB_BLOCKS_COUNT_LO);
    if (sb->incompat & EXT_INCOMPAT_64BIT)
        sb->blocks_count |= (uint64_t)le32_at(raw, SB_BLOCKS_COUNT_HI) << 32;
    if (sb->blocks_per_group < 8 || sb->blocks_per_group > max_per_group ||
        sb->inodes_per_group == 0 || sb->inodes_per_group > 8u * bs) {
        pr_warn("ext: %s: bad group size (%u blocks, %u inodes, block size %u)", who,
                sb->blocks_per_group, sb->inodes_per_group, bs);
        return ERR_CORRUPT;
    }
    /* 2. The volume: after the boot block, inside the partition. */
    if (sb->first_data_block > 1 || sb->blocks_count <= sb->first_data_block) {
        pr_warn("ext: %s: bad block count (%llu blocks, first data block %u)", who,
                (unsigned long long)sb->blocks_count, sb->first_data_block);
        return ERR_CORRUPT;
    }
    if (sb->blocks_count > part_bytes / bs) {
        pr_warn("ext: %s: file system larger than its partition (%llu blocks of %u bytes, "
                "partition %llu bytes)", who, (unsigned long long)sb->blocks_count, bs,
                (unsigned long long)part_bytes);
        return ERR_CORRUPT;
    }
    /* 3. Groups, and the inodes they hold. */
    uint64_t groups = (sb->blocks_count - sb->first_data_block + sb->blocks_per_group - 1) /
                      sb->blocks_per_group;
    if (groups > EXT_MAX_GROUPS || groups * sb->inodes_per_group != sb->inodes_count) {
        pr_warn("ext: %s: inode count disagrees with the groups (%u inodes, %llu groups of "
                "%u)", who, sb->inodes_count, (unsigned long long)groups,
                sb->inodes_per_group);
        return ERR_CORRUPT;
    }
    sb->groups = (uint32_t)groups;
    sb->itable_blocks =
        (uint32_t)(((uint64_t)sb->inodes_per_group * sb->inode_bytes + bs - 1) / bs);
    return 0;
}

/* Step 3 of ext_sb_parse: the descriptor table ("Block Group Descriptors"). */
static int ext_sb_descriptors(const uint8_t *raw, const char *who, struct ext_sb *sb)
{
    sb->desc_bytes = EXT_DESC_BYTES;
    if (sb->incompat & EXT_INCOMPAT_64BIT) {
        sb->desc_bytes = le16_at(raw, SB_DESC_SIZE);
        if (sb->desc_bytes < EXT_DESC_MIN_64BIT || sb->desc_bytes > EXT_DESC_MAX_BYTES ||
            !IS_POW2(sb->desc_bytes) || sb->desc_bytes > sb->block_bytes) {
            pr_warn("ext: %s: bad group descriptor size (%u bytes)", who, sb->desc_bytes);
            return ERR_CORRUPT;
        }
    }
    sb->descs_per_block = sb->block_bytes / sb->desc_bytes;
    sb->gdt_blocks = (sb->groups + sb->descs_per_block - 1) / sb->descs_per_block;
    sb->first_meta_bg = sb->gdt_blocks;
    if (sb->incompat & EXT_INCOMPAT_META_BG) {
        sb->first_meta_bg = le32_at(raw, SB_FIRST_META_BG);
        if (sb->first_meta_bg > sb->gdt_blocks) {
            pr_warn("ext: %s: bad first meta group (%u, %u descriptor blocks)", who,
                    sb->first_meta_bg, sb->gdt_blocks);
            return ERR_CORRUPT;
        }
    }
    /* The table right after the super block's block (all of it, or up to
     * the first meta group) must lie inside the volume. That is block 2
     * with 1 KiB blocks even when the first data block is 0 (bigalloc). */
    uint64_t gdt_start = (uint64_t)sb->sb_block + 1;
    if (gdt_start >= sb->blocks_count || sb->first_meta_bg > sb->blocks_count - gdt_start) {
        pr_warn("ext: %s: group descriptors outside the volume (blocks %llu+%u, volume "
                "%llu blocks)", who, (unsigned long long)gdt_start, sb->first_meta_bg,
                (unsigned long long)sb->blocks_count);
        return ERR_CORRUPT;
    }
    return 0;
}

int ext_sb_parse(const uint8_t *raw, uint64_t part_bytes, const char *who, struct ext_sb *out)
{
    struct ext_sb *sb = out;
    memset(sb, 0, sizeof(*sb));
    /* 1. Identity, block size, revision, inode size. */
    if (le16_at(raw, SB_MAGIC) != EXT_MAGIC)
        return ERR_NOENT;
    uint32_t log_block = le32_at(raw, SB_LOG_BLOCK);
    sb->rev = le32_at(raw, SB_REV_LEVEL);
    if (log_block > EXT_MAX_LOG_BLOCK) {
        pr_warn("ext: %s: bad block size (log %u, at most %u)", who, log_block,
                EXT_MAX_LOG_BLOCK);
        return ERR_CORRUPT;
    }
    sb->log_block = log_block;
    sb->block_bytes = 1024u << log_block;
    sb->sb_block = EXT_SB_OFFSET / sb->block_bytes;
    if (sb->rev > EXT_REV_DYNAMIC) {
        pr_warn("ext: %s: unknown revision %u", who, sb->rev);
        return ERR_CORRUPT;
    }
    sb->compat = sb->rev ? le32_at(raw, SB_FEATURE_COMPAT) : 0;
    sb->incompat = sb->rev ? le32_at(raw, SB_FEATURE_INCOMPAT) : 0;
    sb->ro_compat = sb->rev ? le32_at(raw, SB_FEATURE_RO_COMPAT) : 0;
    sb->inode_bytes = sb->rev ? le16_at(raw, SB_INODE_SIZE) : EXT_GOOD_OLD_INODE_BYTES;
    if (sb->inode_bytes < EXT_GOOD_OLD_INODE_BYTES || sb->inode_bytes > sb->block_bytes ||
        !IS_POW2(sb->inode_bytes)) {
        pr_warn("ext: %s: bad inode size (%u bytes, block size %u)", who, sb->inode_bytes,
                sb->block_bytes);
        return ERR_CORRUPT;
    }
    sb->cluster_ratio = 1;
    if (sb->ro_compat & EXT_RO_COMPAT_BIGALLOC) {
        uint32_t log_cluster = le32_at(raw, SB_LOG_CLUSTER);
        if (log_cluster < log_block || log_cluster > EXT_MAX_LOG_CLUSTER) {
            pr_warn("ext: %s: bad cluster size (log %u, block log %u)", who, log_cluster,
                    log_block);
            return ERR_CORRUPT;
        }
        sb->cluster_ratio = 1u << (log_cluster - log_block);
    }
    /* 2. Group and volume sizes; 3. the descriptor table. */
    int rc = ext_sb_geometry(raw, part_bytes, who, sb);
    if (rc == 0)
        rc = ext_sb_descriptors(raw, who, sb);
    if (rc)
        return rc;
    /* 4. What statfs shows. */
    sb->backup_bgs[0] = le32_at(raw, SB_BACKUP_BGS);
    sb->backup_bgs[1] = le32_at(raw, SB_BACKUP_BGS + 4);
    sb->free_blocks = le32_at(raw, SB_FREE_BLOCKS_LO);
    if (sb->incompat & EXT_INCOMPAT_64BIT)
        sb->free_blocks |= (uint64_t)le32_at(raw, SB_FREE_BLOCKS_HI) << 32;
    sb->free_blocks = MIN(sb->free_blocks, sb->blocks_count);
    ext_copy_label(raw + SB_VOLUME_NAME, sb->label);
    kstrlcpy(sb->fs_name, ext_pick_name(sb->compat, sb->incompat, sb->ro_compat),
             sizeof(sb->fs_name));
    return 0;
}

int ext_sb_check_features(const struct ext_sb *sb, const char *who)
{
    uint32_t bad = sb->incompat & ~EXT_INCOMPAT_SUPPORTED;
    const char *name = "unknown";
    if (bad == 0)
        return 0;
    for (unsigned i = 0; i < ARRAY_SIZE(ext_incompat_names); i++) {
        if (bad & ext_incompat_names[i].bit) {
            name = ext_incompat_names[i].name;
            break;
        }
    }
    pr_warn("ext: %s: unsupported incompatible features 0x%x (%s), not mounted", who, bad,
            name);
    return ERR_NOTSUP;
}

/* ---- group descriptors --------------------------------------------------------------------- */

int ext_group_inode_table(struct ext_vol *v, uint32_t group, uint64_t *block_out)
{
    const struct ext_sb *sb = &v->sb;
    uint32_t dblock = group / sb->descs_per_block, within = group % sb->descs_per_block;
    uint64_t blk;
    uint8_t raw[EXT_DESC_MIN_64BIT];

    /* 1. Where the descriptor block is: after the super block's block, or
     *    (meta_bg) in the first group of its meta group, after that group's
     *    backup; group 0 of a 1 KiB-block volume whose first data block is
     *    0 (bigalloc) starts with the boot block, so one more (Linux's
     *    descriptor_loc does the same). */
    if (dblock < sb->first_meta_bg) {
        blk = (uint64_t)sb->sb_block + 1 + dblock;
    } else {
        uint32_t first = dblock * sb->descs_per_block;
        blk = (uint64_t)sb->first_data_block + (uint64_t)first * sb->blocks_per_group +
              (ext_group_has_super(sb, first) ? 1 : 0);
        if (first == 0 && sb->sb_block > sb->first_data_block)
            blk++;
    }
    if (blk >= sb->blocks_count) {
        pr_warn("ext: %s: descriptor of group %u outside the volume (block %llu)", v->name,
                group, (unsigned long long)blk);
        return ERR_CORRUPT;
    }
    /* 2. The inode table field (hi half only with 64-byte descriptors). */
    uint32_t n = sb->desc_bytes >= EXT_DESC_MIN_64BIT ? EXT_DESC_MIN_64BIT : EXT_DESC_BYTES;
    int rc = ext_read_bytes(v, blk * sb->block_bytes + (uint64_t)within * sb->desc_bytes, raw,
                            n, CACHE_SYS);
    if (rc)
        return rc;
    uint64_t table = le32_at(raw, GD_INODE_TABLE_LO);
    if (n >= EXT_DESC_MIN_64BIT)
        table |= (uint64_t)le32_at(raw, GD_INODE_TABLE_HI) << 32;
    /* 3. The whole table inside the volume. */
    if (table == 0 || table >= sb->blocks_count ||
        sb->itable_blocks > sb->blocks_count - table) {
        pr_warn("ext: %s: inode table of group %u outside the volume (block %llu, %u blocks)",
                v->name, group, (unsigned long long)table, sb->itable_blocks);
        return ERR_CORRUPT;
    }
    *block_out = table;
    return 0;
}

/* ---- probe ---------------------------------------------------------------------------------- */

static int ext_probe(const struct part_reader *part, char *name_out, size_t name_len)
{
    uint32_t ss = part->sector_size;
    struct ext_sb *sb;
    uint8_t *buf;

    if (ss < 512 || ss > 4096 || !IS_POW2(ss))
        return ERR_NOENT;
    /* The sectors holding bytes 1024..2047. */
    lba_t first = EXT_SB_OFFSET / ss, last = (EXT_SB_OFFSET + EXT_SB_BYTES - 1) / ss;
    uint32_t count = (uint32_t)(last - first + 1);
    if (part->capacity_sectors <= last)
        return ERR_NOENT;
    buf = kmalloc((size_t)count * ss);
    sb = kmalloc(sizeof(*sb));
    int rc = ERR_NOMEM;
    if (buf && sb)
        rc = part->read(part->ctx, first, count, buf);
    if (rc == 0)
        rc = ext_sb_parse(buf + (EXT_SB_OFFSET - first * ss),
                          (uint64_t)part->capacity_sectors * ss,
                          part->disk_name ? part->disk_name : "?", sb);
    if (rc == 0)
        kstrlcpy(name_out, sb->fs_name, name_len);
    kfree(buf);
    kfree(sb);
    return rc == ERR_CORRUPT ? ERR_NOENT : rc; /* logged by the parser */
}

/* ---- mount / unmount ------------------------------------------------------------------------ */

static void ext_vol_free(struct ext_vol *v)
{
    kfree(v->bounce);
    kfree(v->map_blk);
    kfree(v);
}

static int ext_mount(struct media *m, unsigned part, void **fs_out)
{
    const struct part_info *pi = media_part(m, part);
    struct ext_inode root;
    uint8_t *raw = NULL;
    struct ext_vol *v;
    int rc;

    /* 1. The volume object and a sector bounce buffer. */
    if (!pi)
        return ERR_NOENT;
    v = kzalloc(sizeof(*v));
    if (!v)
        return ERR_NOMEM;
    v->m = m;
    v->part = part;
    v->sector_bytes = media_sector_size(m);
    v->limit_bytes = (uint64_t)pi->count_sectors * v->sector_bytes;
    ksnprintf(v->name, sizeof(v->name), "%s/%u", disk_name(media_disk(m)), part);
    mutex_init(&v->lock, "ext-vol");
    v->bounce = kmalloc(v->sector_bytes);
    raw = kmalloc(EXT_SB_BYTES);
    rc = ERR_NOMEM;
    if (!v->bounce || !raw)
        goto err_free;
    /* 2. The super block, read again through the cache (the media may have
     *    changed since the probe), and its features. */
    rc = ext_read_bytes(v, EXT_SB_OFFSET, raw, EXT_SB_BYTES, CACHE_SYS);
    if (rc == 0)
        rc = ext_sb_parse(raw, v->limit_bytes, v->name, &v->sb);
    if (rc == ERR_NOENT) {
        pr_warn("ext: %s: no super block at byte 1024 any more", v->name);
        rc = ERR_CORRUPT;
    }
    if (rc == 0)
        rc = ext_sb_check_features(&v->sb, v->name);
    if (rc)
        goto err_free;
    v->limit_bytes = v->sb.blocks_count * v->sb.block_bytes;
    if (v->sb.incompat & EXT_INCOMPAT_RECOVER)
        pr_warn("ext: %s: journal needs recovery; mounted read-only without replaying it, "
                "recent changes may be missing", v->name);
    /* 3. The mapping buffer, then the root: a directory, or nothing works. */
    v->map_blk = kmalloc(v->sb.block_bytes);
    rc = ERR_NOMEM;
    if (!v->map_blk)
        goto err_free;
    rc = ext_inode_get(v, EXT_ROOT_INO, &root);
    if (rc == 0 && !ext_inode_is_dir(&root)) {
        pr_warn("ext: %s: root inode is not a directory (mode 0%o)", v->name, root.mode);
        rc = ERR_CORRUPT;
    }
    if (rc)
        goto err_free;
    pr_info("ext: %s: mounted %s read-only, %llu blocks of %u bytes, %u groups, label '%s'",
            v->name, v->sb.fs_name, (unsigned long long)v->sb.blocks_count, v->sb.block_bytes,
            v->sb.groups, v->sb.label);
    kfree(raw);
    *fs_out = v;
    return 0;
err_free:
    kfree(raw);
    ext_vol_free(v);
    return rc;
}

static void ext_unmount(void *fs)
{
    ext_vol_free(fs);
}

static const struct fsprobe ext_fsprobe = {
    .name = "ext",
    .probe = ext_probe,
    .mount = ext_mount,
    .unmount = ext_unmount,
    .sync = NULL,
    .ops = &ext_vfs_ops,
};

void ext_register(void)
{
    fsprobe_register(&ext_fsprobe); /* logs a full table itself */
}
