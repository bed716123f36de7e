// SPDX-License-Identifier: MIT
/* FAT volumes: boot-sector validation, the probe, mount/unmount, the dirty
 * bit and sync, and sector I/O through the cache. Register with
 * fat_register(); blkdev then probes every partition (fat_probe), mounts on
 * first use (fat_mount: BPB, FSInfo, free-cluster count) and unmounts with
 * the media (fat_unmount: sync, free).
 * Policy on bad boot sectors (STYLE §5): every rule of FAT spec §3 below is a
 * reject (ERR_CORRUPT, one log line); the partition stays unmounted. A FAT32
 * FSInfo sector with bad signatures is tolerated (warned, then ignored and
 * not written): its counts are hints only and we count free clusters
 * ourselves. The dirty bit lives in the boot sector's state byte (what Linux
 * and dosfstools read) and in FAT[1]'s clean-shutdown bit (FAT16/32). */
#include "fs/fat/fat.h"
#include "blkdev/fsprobe.h"
#include "fs/fat/fat_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

/* ---- sector I/O -------------------------------------------------------------------------- */

/* A short transfer or a clipped request is a device-level failure here: the
 * volume geometry was checked against the partition at mount. */
int fat_io_read(struct fat_vol *v, uint32_t sector, uint32_t count, void *buf,
                enum cache_class cls)
{
    uint32_t done = 0;
    int rc = cache_part_read(v->m, v->part, sector, count, buf, cls, &done);
    if (rc == 0 && done != count)
        rc = ERR_IO;
    if (rc == ERR_EOM)
        rc = ERR_IO;
    return rc;
}

int fat_io_write(struct fat_vol *v, uint32_t sector, uint32_t count, const void *buf,
                 enum cache_class cls)
{
    uint32_t done = 0;
    if (v->readonly)
        return ERR_ROFS;
    /* A write from anywhere but v->sec makes the held directory sector stale. */
    if (buf != v->sec && v->sec_lba >= sector && v->sec_lba - sector < count)
        v->sec_lba = UINT32_MAX;
    int rc = cache_part_write(v->m, v->part, sector, count, buf, cls, &done);
    if (rc == 0 && done != count)
        rc = ERR_IO;
    if (rc == ERR_EOM)
        rc = ERR_IO;
    return rc;
}

/* ---- boot sector ------------------------------------------------------------------------- */

static void fat_copy_label(const uint8_t *src, char out[12])
{
    size_t n = 11;
    memcpy(out, src, 11);
    while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\0'))
        n--;
    out[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        if ((uint8_t)out[i] < 0x20 || (uint8_t)out[i] > 0x7E)
            out[i] = '_';
    }
    if (strcmp(out, "NO NAME") == 0)
        out[0] = '\0';
}

int fat_bpb_parse(const uint8_t *s, uint32_t sector_bytes, uint64_t part_sectors,
                  const char *who, struct fat_bpb *out)
{
    struct fat_bpb b;

    memset(&b, 0, sizeof(b));
    /* 1. Does it look like a FAT boot sector at all? (jump + signature) */
    bool jump = s[0] == 0xEB || s[0] == 0xE9;
    if (!jump || s[510] != 0x55 || s[511] != 0xAA)
        return ERR_NOENT;
    /* NTFS and exFAT boot sectors have both too, and their OEM name says
     * whose they are: not FAT, and nothing to warn about. */
    if (memcmp(s + 3, "NTFS    ", 8) == 0 || memcmp(s + 3, "EXFAT   ", 8) == 0)
        return ERR_NOENT;
    uint32_t bps = le16_at(s, BPB_BYTS_PER_SEC);
    uint32_t spc = s[BPB_SEC_PER_CLUS];
    uint32_t rsvd = le16_at(s, BPB_RSVD_SEC_CNT);
    uint32_t nfats = s[BPB_NUM_FATS];
    uint32_t root_ents = le16_at(s, BPB_ROOT_ENT_CNT);
    uint32_t tot = le16_at(s, BPB_TOT_SEC16);
    uint32_t fatsz = le16_at(s, BPB_FAT_SZ16);
    if (tot == 0)
        tot = le32_at(s, BPB_TOT_SEC32);
    bool is32 = fatsz == 0;
    if (is32)
        fatsz = le32_at(s, BPB32_FAT_SZ32);
    /* Not even the byte-per-sector field is FAT-like: someone else's sector. */
    if (bps < 512 || bps > 4096 || !IS_POW2(bps))
        return ERR_NOENT;
    /* 2. Field ranges (FAT spec §3.1). */
    if (bps != sector_bytes) {
        pr_warn("fat: %s: bytes per sector %u does not match the media (%u)", who, bps,
                sector_bytes);
        return ERR_CORRUPT;
    }
    if (!IS_POW2(spc) || spc > 128 || bps * spc > FAT_MAX_CLUSTER_BYTES) {
        pr_warn("fat: %s: bad sectors per cluster (%u, %u-byte sectors)", who, spc, bps);
        return ERR_CORRUPT;
    }
    if (rsvd == 0 || nfats < 1 || nfats > 2 || fatsz == 0 || tot == 0) {
        pr_warn("fat: %s: bad BPB (reserved %u, FATs %u, FAT size %u, total %u)", who, rsvd,
                nfats, fatsz, tot);
        return ERR_CORRUPT;
    }
    if (tot > part_sectors) {
        pr_warn("fat: %s: volume larger than its partition (%u > %llu sectors)", who, tot,
                (unsigned long long)part_sectors);
        return ERR_CORRUPT;
    }
    if (is32 && root_ents != 0) {
        pr_warn("fat: %s: FAT32 BPB with %u fixed root entries", who, root_ents);
        return ERR_CORRUPT;
    }
    /* 3. Layout, in 64 bits so no field combination can wrap. */
    uint64_t root_secs = ((uint64_t)root_ents * FAT_DIRENT_BYTES + bps - 1) / bps;
    uint64_t data_first = (uint64_t)rsvd + (uint64_t)nfats * fatsz + root_secs;
    if (data_first >= tot) {
        pr_warn("fat: %s: metadata beyond the volume (data at %llu, total %u)", who,
                (unsigned long long)data_first, tot);
        return ERR_CORRUPT;
    }
    uint64_t clusters = (tot - data_first) / spc;
    /* 4. The type follows from the cluster count (§3.5); a FAT32-shaped BPB
     *    stays FAT32 (mkfs.fat -F 32 makes small ones, as does Linux). */
    if (is32) {
        b.type = FAT_TYPE_32;
        if (clusters == 0 || clusters > FAT32_MAX_CLUSTERS) {
            pr_warn("fat: %s: FAT32 cluster count %llu out of range", who,
                    (unsigned long long)clusters);
            return ERR_CORRUPT;
        }
    } else if (clusters == 0) {
        pr_warn("fat: %s: no data clusters", who);
        return ERR_CORRUPT;
    } else if (clusters <= FAT12_MAX_CLUSTERS) {
        b.type = FAT_TYPE_12;
    } else if (clusters <= FAT16_MAX_CLUSTERS) {
        b.type = FAT_TYPE_16;
    } else {
        pr_warn("fat: %s: %llu clusters is too many for a FAT12/16 BPB", who,
                (unsigned long long)clusters);
        return ERR_CORRUPT;
    }
    /* 5. The FAT must hold an entry for every cluster. */
    uint64_t fat_bytes_needed = b.type == FAT_TYPE_12 ? ((clusters + 2) * 3 + 1) / 2
                                : (clusters + 2) * (b.type / 8);
    if ((uint64_t)fatsz * bps < fat_bytes_needed) {
        pr_warn("fat: %s: FAT too small (%u sectors for %llu clusters)", who, fatsz,
                (unsigned long long)clusters);
        return ERR_CORRUPT;
    }
    b.sector_bytes = bps;
    b.cluster_sectors = spc;
    b.cluster_bytes = bps * spc;
    b.fat_first = rsvd;
    b.fat_sectors = fatsz;
    b.fat_count = nfats;
    b.fat_mirror = true;
    b.root_first = (uint32_t)(rsvd + nfats * fatsz);
    b.root_sectors = (uint32_t)root_secs;
    b.data_first = (uint32_t)data_first;
    b.total_sectors = tot;
    b.clusters = (uint32_t)clusters;
    /* 6. FAT32 extras: version, root cluster, FSInfo, mirroring. */
    if (is32) {
        uint32_t flags = le16_at(s, BPB32_EXT_FLAGS);
        if (le16_at(s, BPB32_FS_VER) != 0) {
            pr_warn("fat: %s: unknown FAT32 version 0x%x", who, le16_at(s, BPB32_FS_VER));
            return ERR_CORRUPT;
        }
        if (flags & 0x80) {
            b.fat_mirror = false;
            b.fat_active = flags & 0x0F;
            if (b.fat_active >= nfats) {
                pr_warn("fat: %s: active FAT %u of %u", who, b.fat_active, nfats);
                return ERR_CORRUPT;
            }
        }
        b.root_cluster = le32_at(s, BPB32_ROOT_CLUS);
        if (b.root_cluster < 2 || b.root_cluster - 2 >= b.clusters) {
            pr_warn("fat: %s: root cluster %u outside 2..%u", who, b.root_cluster,
                    b.clusters + 1);
            return ERR_CORRUPT;
        }
        uint32_t fsi = le16_at(s, BPB32_FS_INFO);
        if (fsi != 0 && fsi != 0xFFFF && fsi >= rsvd) {
            pr_warn("fat: %s: FSInfo sector %u not in the reserved area (%u)", who, fsi, rsvd);
            return ERR_CORRUPT;
        }
        b.fsinfo_sector = fsi == 0xFFFF ? 0 : fsi;
        b.state_offset = BS32_STATE;
        if (s[BS32_BOOT_SIG] == 0x29) {
            b.volume_id = le32_at(s, BS32_VOL_ID);
            fat_copy_label(s + BS32_VOL_LAB, b.label);
        }
    } else {
        b.state_offset = BS16_STATE;
        if (s[BS16_BOOT_SIG] == 0x29) {
            b.volume_id = le32_at(s, BS16_VOL_ID);
            fat_copy_label(s + BS16_VOL_LAB, b.label);
        }
    }
    *out = b;
    return 0;
}

/* ---- probe --------------------------------------------------------------------------------- */

static int fat_probe(const struct part_reader *part, char *name_out, size_t name_len)
{
    struct fat_bpb b;
    uint8_t *s;

    if (part->sector_size < 512 || part->sector_size > 4096 || part->capacity_sectors == 0)
        return ERR_NOENT;
    s = kmalloc(part->sector_size);
    if (!s)
        return ERR_NOMEM;
    int rc = part->read(part->ctx, 0, 1, s);
    if (rc == 0)
        rc = fat_bpb_parse(s, part->sector_size, part->capacity_sectors,
                           part->disk_name ? part->disk_name : "?", &b);
    kfree(s);
    if (rc == ERR_CORRUPT)
        return ERR_NOENT; /* logged by the parser; not a probe failure */
    if (rc)
        return rc;
    ksnprintf(name_out, name_len, "fat%u", (unsigned)b.type);
    return 0;
}

/* ---- dirty bit, FSInfo, sync --------------------------------------------------------------- */

static int fat_write_state(struct fat_vol *v, bool dirty)
{
    int rc = fat_io_read(v, 0, 1, v->bounce, CACHE_SYS);
    if (rc)
        return rc;
    uint8_t st = v->bounce[v->bpb.state_offset];
    uint8_t want = dirty ? (uint8_t)(st | FAT_BS_STATE_DIRTY) : (uint8_t)(st & ~FAT_BS_STATE_DIRTY);
    if (want != st) {
        v->bounce[v->bpb.state_offset] = want;
        rc = fat_io_write(v, 0, 1, v->bounce, CACHE_SYS);
        if (rc)
            return rc;
    }
    return fat_table_set_clean(v, !dirty);
}

int fat_vol_begin_write(struct fat_vol *v)
{
    lock_assert_held(&v->lock);
    if (v->readonly)
        return ERR_ROFS;
    if (v->marked_dirty)
        return 0;
    int rc = fat_write_state(v, true);
    if (rc == 0)
        rc = fat_table_flush(v);
    if (rc == 0)
        v->marked_dirty = true;
    return rc;
}

static int fat_write_fsinfo(struct fat_vol *v)
{
    if (v->bpb.type != FAT_TYPE_32 || v->bpb.fsinfo_sector == 0)
        return 0;
    int rc = fat_io_read(v, v->bpb.fsinfo_sector, 1, v->bounce, CACHE_SYS);
    if (rc)
        return rc;
    put_le32(v->bounce, FSI_FREE_COUNT, v->free_count);
    put_le32(v->bounce, FSI_NXT_FREE, v->next_free);
    return fat_io_write(v, v->bpb.fsinfo_sector, 1, v->bounce, CACHE_SYS);
}

int fat_vol_commit_locked(struct fat_vol *v)
{
    lock_assert_held(&v->lock);
    /* 1. Allocations, data, directories: every reference is durable after this. */
    int rc = fat_table_flush(v);
    if (rc == 0)
        rc = cache_sync(v->m);
    if (rc || (v->pend_free_count == 0 && v->pend_eoc_count == 0))
        goto out_fsinfo;
    /* 2. Now nothing references the released clusters: free them on disk. */
    rc = fat_pending_apply(v);
    if (rc == 0)
        rc = fat_table_flush(v);
out_fsinfo:
    if (rc == 0)
        rc = fat_write_fsinfo(v);
    if (rc == 0)
        rc = cache_sync(v->m);
    return rc;
}

int fat_vol_sync_locked(struct fat_vol *v)
{
    lock_assert_held(&v->lock);
    if (!v->marked_dirty)
        return cache_sync(v->m);
    /* 1. Commit phases 1-2 (fat_priv.h, write ordering). */
    int rc = fat_vol_commit_locked(v);
    /* 2. Only a durable volume is declared clean (commit point). */
    if (rc == 0)
        rc = fat_write_state(v, false);
    if (rc == 0)
        rc = fat_table_flush(v);
    if (rc == 0)
        rc = cache_sync(v->m);
    if (rc == 0)
        v->marked_dirty = false;
    else
        pr_err("fat: %s: sync failed (%s)", v->name, err_name(rc));
    return rc;
}

/* ---- mount / unmount ----------------------------------------------------------------------- */

static void fat_vol_free(struct fat_vol *v)
{
    for (unsigned i = 0; i < FAT_FC_SLOTS; i++)
        kfree(v->fc[i].buf);
    kfree(v->sec);
    kfree(v->bounce);
    kfree(v->zero);
    kfree(v->pend_free_map);
    kfree(v->pend_eoc_map);
    kfree(v);
}

/* FSInfo check (FAT spec §5): bad signatures are tolerated, see the header. */
static int fat_check_fsinfo(struct fat_vol *v)
{
    if (v->bpb.type != FAT_TYPE_32 || v->bpb.fsinfo_sector == 0)
        return 0;
    int rc = fat_io_read(v, v->bpb.fsinfo_sector, 1, v->bounce, CACHE_SYS);
    if (rc)
        return rc;
    if (le32_at(v->bounce, FSI_LEAD) != FSI_LEAD_SIG ||
        le32_at(v->bounce, FSI_STRUC) != FSI_STRUC_SIG ||
        le32_at(v->bounce, FSI_TRAIL) != FSI_TRAIL_SIG) {
        pr_warn("fat: %s: FSInfo sector %u has bad signatures; ignored", v->name,
                v->bpb.fsinfo_sector);
        v->bpb.fsinfo_sector = 0;
        return 0;
    }
    uint32_t hint = le32_at(v->bounce, FSI_NXT_FREE);
    if (fat_cluster_is_valid(v, hint))
        v->next_free = hint;
    return 0;
}

static int fat_mount(struct media *m, unsigned part, void **fs_out)
{
    const struct part_info *pi = media_part(m, part);
    struct fat_vol *v;
    int rc;

    /* 1. The volume object and its buffers. */
    if (!pi)
        return ERR_NOENT;
    uint32_t ss = media_sector_size(m);
    v = kzalloc(sizeof(*v));
    if (!v)
        return ERR_NOMEM;
    v->m = m;
    v->part = part;
    v->readonly = media_is_readonly(m);
    v->sec_lba = UINT32_MAX;
    ksnprintf(v->name, sizeof(v->name), "%s/%u", disk_name(media_disk(m)), part);
    mutex_init(&v->lock, "fat-vol");
    v->sec = kmalloc(ss);
    v->bounce = kmalloc(ss);
    rc = ERR_NOMEM;
    if (!v->sec || !v->bounce)
        goto err_free;
    /* 2. Boot sector. */
    rc = fat_io_read(v, 0, 1, v->bounce, CACHE_SYS);
    if (rc)
        goto err_free;
    rc = fat_bpb_parse(v->bounce, ss, pi->count_sectors, v->name, &v->bpb);
    if (rc == ERR_NOENT) {
        pr_warn("fat: %s: not a FAT boot sector any more", v->name);
        rc = ERR_CORRUPT;
    }
    if (rc)
        goto err_free;
    rc = ERR_NOMEM;
    v->zero = kzalloc(v->bpb.cluster_bytes);
    if (!v->zero)
        goto err_free;
    for (unsigned i = 0; i < FAT_FC_SLOTS; i++) {
        v->fc[i].buf = kmalloc(ss);
        if (!v->fc[i].buf)
            goto err_free;
    }
    /* 3. FSInfo, root chain start, free clusters. */
    v->next_free = 2;
    rc = fat_check_fsinfo(v);
    if (rc)
        goto err_free;
    rc = fat_count_free(v, &v->free_count);
    if (rc)
        goto err_free;
    pr_info("fat: %s: mounted fat%u, %u clusters of %u bytes, %u free%s", v->name,
            (unsigned)v->bpb.type, v->bpb.clusters, v->bpb.cluster_bytes, v->free_count,
            v->readonly ? ", read-only" : "");
    *fs_out = v;
    return 0;
err_free:
    fat_vol_free(v);
    return rc;
}

static void fat_unmount(void *fs)
{
    struct fat_vol *v = fs;
    mutex_lock(&v->lock);
    if (v->marked_dirty && !media_is_removed(v->m))
        fat_vol_sync_locked(v);
    else if (v->marked_dirty)
        pr_warn("fat: %s: media gone with the volume marked dirty", v->name);
    mutex_unlock(&v->lock);
    fat_vol_free(v);
}

static int fat_sync(void *fs)
{
    struct fat_vol *v = fs;
    mutex_lock(&v->lock);
    int rc = fat_vol_sync_locked(v);
    mutex_unlock(&v->lock);
    return rc;
}

static const struct fsprobe fat_fsprobe = {
    .name = "fat",
    .probe = fat_probe,
    .mount = fat_mount,
    .unmount = fat_unmount,
    .sync = fat_sync,
    .ops = &fat_vfs_ops,
};

void fat_register(void)
{
    fsprobe_register(&fat_fsprobe); /* logs a full table itself */
}
