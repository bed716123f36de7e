// SPDX-License-Identifier: MIT
/* NTFS volumes: the boot sector, the probe, mount/unmount and byte reads
 * through the cache. Register with ntfs_register(); blkdev then probes
 * every partition (ntfs_probe reads the boot sector through the sector
 * reader), mounts on first use (ntfs_mount: boot sector again through the
 * cache, then volume.c loads $MFT's map, $Volume, $UpCase and $Bitmap) and
 * unmounts with the media.
 * Policy on bad boot sectors (STYLE §5), one log line each:
 *  - no "NTFS    " OEM id or no 0xAA55 signature: not NTFS (ERR_NOENT,
 *    silent);
 *  - bytes per sector outside 256..4096 or not a power of two, sectors per
 *    cluster not a power of two (or a negative shift giving more than
 *    2 MiB clusters), a record or index block size outside its bounds, a
 *    volume larger than its partition or under 16 clusters, $MFT or
 *    $MFTMirr outside the volume: reject (ERR_CORRUPT). Windows and ntfs-3g
 *    refuse the same volumes, so nothing is tolerated. */
#include "fs/ntfs/ntfs.h"
#include "blkdev/fsprobe.h"
#include "fs/fs_bytes.h"
#include "fs/ntfs/ntfs_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

int ntfs_read_bytes(struct ntfs_vol *v, uint64_t pos, void *buf, uint32_t len,
                    enum cache_class cls)
{
    const struct fs_bytes src = {
        .m = v->m, .part = v->part, .sector_bytes = v->media_sector_bytes,
        .limit_bytes = v->limit_bytes, .bounce = v->bounce, .fs = "ntfs", .name = v->name,
    };
    return fs_bytes_read(&src, pos, buf, len, cls);
}

/* ---- boot sector ---------------------------------------------------------------------------- */

/* "Boot sector": a size byte that is a cluster count when positive and a
 * shift when negative (0xF6 = 2^10 bytes). 0 when out of [lo, hi]. */
static uint32_t ntfs_size_byte(uint8_t raw, uint32_t cluster_bytes, uint32_t lo, uint32_t hi)
{
    int8_t s = (int8_t)raw;
    uint64_t bytes;
    if (s > 0)
        bytes = (uint64_t)s * cluster_bytes;
    else if (s < 0 && -s < 32)
        bytes = 1ull << -s;
    else
        return 0;
    return bytes >= lo && bytes <= hi && IS_POW2(bytes) ? (uint32_t)bytes : 0;
}

int ntfs_boot_parse(const uint8_t *raw, uint64_t part_bytes, const char *who,
                    struct ntfs_boot *out)
{
    struct ntfs_boot *b = out;
    memset(b, 0, sizeof(*b));
    /* 1. Identity. */
    if (memcmp(raw + BS_OEM, NTFS_OEM, 8) != 0 || le16_at(raw, BS_SIGNATURE) != NTFS_BOOT_SIGNATURE)
        return ERR_NOENT;
    /* 2. Sector and cluster sizes (a negative sectors-per-cluster byte is a
     *    shift: 0xF4 = 4096 sectors). */
    b->sector_bytes = le16_at(raw, BS_BYTES_PER_SECTOR);
    uint8_t spc_raw = raw[BS_SECTORS_PER_CLUSTER];
    uint64_t spc = spc_raw <= 0x80 ? spc_raw : (spc_raw >= 0xE0 ? 1ull << (256 - spc_raw) : 0);
    uint64_t cb = spc * b->sector_bytes;
    if (b->sector_bytes < NTFS_MIN_SECTOR_BYTES || b->sector_bytes > NTFS_MAX_SECTOR_BYTES ||
        !IS_POW2(b->sector_bytes) || !IS_POW2(spc) || cb > NTFS_MAX_CLUSTER_BYTES) {
        pr_warn("ntfs: %s: bad sector or cluster size (%u bytes per sector, cluster byte 0x%02x)",
                who, b->sector_bytes, spc_raw);
        return ERR_CORRUPT;
    }
    b->cluster_bytes = (uint32_t)cb;
    while ((1u << b->cluster_shift) < b->cluster_bytes)
        b->cluster_shift++;
    /* 3. Record and index block sizes. */
    b->record_bytes = ntfs_size_byte(raw[BS_CLUSTERS_PER_RECORD], b->cluster_bytes,
                                     NTFS_MIN_RECORD_BYTES, NTFS_MAX_RECORD_BYTES);
    b->index_bytes = ntfs_size_byte(raw[BS_CLUSTERS_PER_INDEX], b->cluster_bytes,
                                    NTFS_MIN_INDEX_BYTES, NTFS_MAX_INDEX_BYTES);
    if (b->record_bytes == 0 || b->index_bytes == 0) {
        pr_warn("ntfs: %s: bad MFT record or index block size (bytes 0x%02x, 0x%02x)", who,
                raw[BS_CLUSTERS_PER_RECORD], raw[BS_CLUSTERS_PER_INDEX]);
        return ERR_CORRUPT;
    }
    /* 4. The volume inside its partition; $MFT and $MFTMirr inside it. */
    uint64_t sectors = le64_at(raw, BS_TOTAL_SECTORS);
    if (sectors > part_bytes / b->sector_bytes) {
        pr_warn("ntfs: %s: volume larger than its partition (%llu sectors of %u bytes, "
                "partition %llu bytes)", who, (unsigned long long)sectors, b->sector_bytes,
                (unsigned long long)part_bytes);
        return ERR_CORRUPT;
    }
    b->total_clusters = sectors * b->sector_bytes / b->cluster_bytes;
    if (b->total_clusters < NTFS_FIRST_USER_NO) {
        pr_warn("ntfs: %s: volume too small (%llu clusters)", who,
                (unsigned long long)b->total_clusters);
        return ERR_CORRUPT;
    }
    b->mft_lcn = le64_at(raw, BS_MFT_LCN);
    b->mftmirr_lcn = le64_at(raw, BS_MFTMIRR_LCN);
    if (b->mft_lcn >= b->total_clusters || b->mftmirr_lcn >= b->total_clusters) {
        pr_warn("ntfs: %s: $MFT or $MFTMirr outside the volume (clusters %llu, %llu of %llu)",
                who, (unsigned long long)b->mft_lcn, (unsigned long long)b->mftmirr_lcn,
                (unsigned long long)b->total_clusters);
        return ERR_CORRUPT;
    }
    return 0;
}

/* ---- probe ---------------------------------------------------------------------------------- */

static int ntfs_probe(const struct part_reader *part, char *name_out, size_t name_len)
{
    uint32_t ss = part->sector_size;
    struct ntfs_boot b;

    if (ss < 512 || ss > 4096 || !IS_POW2(ss) || part->capacity_sectors < 1)
        return ERR_NOENT;
    uint8_t *buf = kmalloc(ss);
    if (!buf)
        return ERR_NOMEM;
    int rc = part->read(part->ctx, 0, 1, buf);
    if (rc == 0)
        rc = ntfs_boot_parse(buf, (uint64_t)part->capacity_sectors * ss,
                             part->disk_name ? part->disk_name : "?", &b);
    if (rc == 0)
        kstrlcpy(name_out, "ntfs", name_len);
    kfree(buf);
    return rc == ERR_CORRUPT ? ERR_NOENT : rc; /* logged by the parser */
}

/* ---- mount / unmount ------------------------------------------------------------------------ */

static void ntfs_vol_free(struct ntfs_vol *v)
{
    kfree(v->bounce);
    kfree(v->ext_rec);
    kfree(v->mft_runs);
    kfree(v->upcase);
    kfree(v);
}

static int ntfs_mount(struct media *m, unsigned part, void **fs_out)
{
    const struct part_info *pi = media_part(m, part);
    uint8_t *raw = NULL;
    struct ntfs_vol *v;
    int rc;

    /* 1. The volume object and a sector bounce buffer. */
    if (!pi)
        return ERR_NOENT;
    v = kzalloc(sizeof(*v));
    if (!v)
        return ERR_NOMEM;
    v->m = m;
    v->part = part;
    v->media_sector_bytes = media_sector_size(m);
    v->limit_bytes = (uint64_t)pi->count_sectors * v->media_sector_bytes;
    ksnprintf(v->name, sizeof(v->name), "%s/%u", disk_name(media_disk(m)), part);
    mutex_init(&v->lock, "ntfs-vol");
    v->bounce = kmalloc(v->media_sector_bytes);
    raw = kmalloc(NTFS_BOOT_BYTES);
    rc = ERR_NOMEM;
    if (!v->bounce || !raw)
        goto err_free;
    /* 2. The boot sector, read again through the cache (the media may have
     *    changed since the probe). */
    rc = ntfs_read_bytes(v, 0, raw, NTFS_BOOT_BYTES, CACHE_SYS);
    if (rc == 0)
        rc = ntfs_boot_parse(raw, v->limit_bytes, v->name, &v->b);
    if (rc == ERR_NOENT) {
        pr_warn("ntfs: %s: no NTFS boot sector any more", v->name);
        rc = ERR_CORRUPT;
    }
    if (rc)
        goto err_free;
    v->limit_bytes = v->b.total_clusters * v->b.cluster_bytes;
    /* 3. The metafiles: $MFT's map, $Volume, $UpCase, $Bitmap, the root. */
    v->ext_rec = kmalloc(v->b.record_bytes);
    rc = ERR_NOMEM;
    if (!v->ext_rec)
        goto err_free;
    rc = ntfs_volume_load(v);
    if (rc)
        goto err_free;
    pr_info("ntfs: %s: mounted NTFS %u.%u read-only, %llu clusters of %u bytes, %u-byte "
            "records, label '%s'", v->name, v->major, v->minor,
            (unsigned long long)v->b.total_clusters, v->b.cluster_bytes, v->b.record_bytes,
            v->label);
    kfree(raw);
    *fs_out = v;
    return 0;
err_free:
    kfree(raw);
    ntfs_vol_free(v);
    return rc;
}

static void ntfs_unmount(void *fs)
{
    ntfs_vol_free(fs);
}

static const struct fsprobe ntfs_fsprobe = {
    .name = "ntfs",
    .probe = ntfs_probe,
    .mount = ntfs_mount,
    .unmount = ntfs_unmount,
    .sync = NULL,
    .ops = &ntfs_vfs_ops,
};

void ntfs_register(void)
{
    fsprobe_register(&ntfs_fsprobe); /* logs a full table itself */
}
