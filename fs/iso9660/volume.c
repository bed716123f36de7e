// SPDX-License-Identifier: MIT
/* ISO 9660 volumes: the volume descriptor set, the probe, mount/unmount and
 * byte-addressed reads through the cache. Register with iso9660_register();
 * blkdev then probes every partition (iso_probe reads the descriptors
 * straight through the sector reader), mounts on first use (iso_mount:
 * descriptors again, Rock Ridge detection, choice of the name tree) and
 * unmounts with the media. A logical block is 2048 bytes; the media sector
 * may be 512..4096 bytes, so everything is addressed in bytes and a block is
 * several sectors (512-byte media: 4 per block) or half of one (4096).
 * Policy on bad descriptors (STYLE §5), each with one log line:
 *  - no "CD001" at block 16: not ISO 9660 (ERR_NOENT, silent);
 *  - no primary descriptor before the terminator, a primary with version
 *    != 1, a logical block size != 2048, a volume smaller than 18 blocks, or
 *    a root record that is not a directory inside the volume: reject
 *    (ERR_CORRUPT; the partition stays unmounted);
 *  - a volume space size larger than the partition: tolerate and clamp (CD
 *    drives report the capacity of track-at-once discs a few blocks short,
 *    and truncated images are common); reads past the partition then fail
 *    as ERR_CORRUPT for the files that lie there;
 *  - a missing terminator after a valid primary: tolerate (warning);
 *  - a Joliet descriptor with bad fields: ignored (warning), plain or Rock
 *    Ridge names are used instead.
 * Name choice: Rock Ridge when the primary root's "." record has SUSP SP
 * and a Rock Ridge ER/RR/PX entry, else Joliet, else plain. Rock Ridge wins
 * over Joliet because its names are the exact POSIX bytes (any length up to
 * 255, case kept), whereas Joliet cuts names at 64 UTF-16 units (103 with
 * xorriso's joliet_long_names) and forbids * / : ; ? and backslash; Linux
 * makes the same choice. */
#include "fs/iso9660/iso9660.h"
#include "blkdev/fsprobe.h"
#include "fs/fs_bytes.h"
#include "fs/iso9660/iso_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

/* Joliet §"Identification": the escape sequences of a Joliet descriptor. */
static const char *const iso_joliet_escapes[] = { "%/@", "%/C", "%/E" };

/* ---- byte reads through the cache ---------------------------------------------------------- */

/* Bytes [pos, pos+len) of the partition, which must end by limit_bytes. */
static int iso_read_upto(struct iso_vol *v, uint64_t limit_bytes, uint64_t pos, void *buf,
                         uint32_t len, enum cache_class cls)
{
    const struct fs_bytes src = {
        .m = v->m, .part = v->part, .sector_bytes = v->sector_bytes,
        .limit_bytes = limit_bytes, .bounce = v->bounce, .fs = "iso9660", .name = v->name,
    };
    return fs_bytes_read(&src, pos, buf, len, cls);
}

int iso_read_bytes(struct iso_vol *v, uint64_t pos, void *buf, uint32_t len,
                   enum cache_class cls)
{
    return iso_read_upto(v, v->vd.limit_bytes, pos, buf, len, cls);
}

/* ---- volume descriptors ------------------------------------------------------------------- */

static void iso_copy_label(const uint8_t *src, char *out)
{
    size_t n = VD_VOLUME_ID_BYTES;
    while (n > 0 && (src[n - 1] == ' ' || src[n - 1] == '\0'))
        n--;
    for (size_t i = 0; i < n; i++)
        out[i] = src[i] >= 0x20 && src[i] < 0x7F ? (char)src[i] : '_';
    out[n] = '\0';
}

/* The root directory record of a descriptor (§8.4.18): exactly 34 bytes,
 * the "." identifier, a directory inside the readable volume. */
static int iso_vd_root(const uint8_t *vd, uint64_t limit_bytes, const char *who,
                       const char *which, struct iso_dir *root, struct vfs_time *time)
{
    const uint8_t *r = vd + VD_ROOT_RECORD;
    uint64_t block = (uint64_t)le32_at(r, DR_EXTENT) + r[DR_EA_LEN];
    uint32_t bytes = le32_at(r, DR_SIZE);

    if (r[DR_LEN] != DR_MIN_BYTES || r[DR_NAME_LEN] != 1 || r[DR_NAME] != DR_NAME_DOT ||
        !(r[DR_FLAGS] & DR_FLAG_DIR)) {
        pr_warn("iso9660: %s: %s root record malformed (length %u, id length %u, flags 0x%02x)",
                who, which, r[DR_LEN], r[DR_NAME_LEN], r[DR_FLAGS]);
        return ERR_CORRUPT;
    }
    uint64_t start = block * ISO_BLOCK_BYTES;
    if (bytes == 0 || bytes > ISO_DIR_MAX_BYTES || start >= limit_bytes ||
        bytes > limit_bytes - start) {
        pr_warn("iso9660: %s: %s root directory outside the volume (block %llu, %u bytes, "
                "limit %llu bytes)", who, which, (unsigned long long)block, bytes,
                (unsigned long long)limit_bytes);
        return ERR_CORRUPT;
    }
    root->block = (uint32_t)block;
    root->bytes = bytes;
    iso_time_decode(r + DR_TIME, time);
    return 0;
}

/* Joliet level from the escape sequences, 0 if this is not Joliet. */
static unsigned iso_joliet_level(const uint8_t *vd)
{
    for (unsigned i = 0; i < ARRAY_SIZE(iso_joliet_escapes); i++) {
        if (memcmp(vd + VD_ESCAPES, iso_joliet_escapes[i], 3) == 0)
            return i + 1;
    }
    return 0;
}

int iso_vd_parse(iso_block_read_fn rd, void *ctx, uint64_t part_bytes, const char *who,
                 struct iso_vd_info *out)
{
    uint8_t *vd = kmalloc(ISO_BLOCK_BYTES), *pvd = kmalloc(ISO_BLOCK_BYTES);
    uint8_t *svd = kmalloc(ISO_BLOCK_BYTES);
    bool have_pvd = false, have_svd = false, terminated = false;
    int rc = ERR_NOMEM;

    memset(out, 0, sizeof(*out));
    if (!vd || !pvd || !svd)
        goto out_free;
    /* 1. The descriptor set from block 16 on, up to the terminator. */
    rc = ERR_NOENT;
    if (part_bytes / ISO_BLOCK_BYTES < ISO_MIN_VOLUME_BLOCKS)
        goto out_free;
    uint64_t part_blocks = part_bytes / ISO_BLOCK_BYTES;
    for (uint32_t i = 0; i < ISO_MAX_DESCRIPTORS; i++) {
        uint32_t block = ISO_FIRST_VD_BLOCK + i;
        if (block >= part_blocks)
            break;
        rc = rd(ctx, block, vd);
        if (rc)
            goto out_free;
        if (memcmp(vd + VD_ID, "CD001", 5) != 0) {
            if (i == 0) {
                rc = ERR_NOENT; /* 1a. someone else's block 16 */
                goto out_free;
            }
            break;
        }
        if (vd[VD_TYPE] == VD_TYPE_TERMINATOR) {
            terminated = true;
            break;
        }
        if (vd[VD_TYPE] == VD_TYPE_PRIMARY && !have_pvd) {
            memcpy(pvd, vd, ISO_BLOCK_BYTES);
            have_pvd = true;
        } else if (vd[VD_TYPE] == VD_TYPE_SUPPLEMENTARY && !have_svd && vd[VD_VERSION] == 1 &&
                   iso_joliet_level(vd)) {
            memcpy(svd, vd, ISO_BLOCK_BYTES);
            have_svd = true;
        }
    }
    rc = ERR_CORRUPT;
    if (!have_pvd) {
        pr_warn("iso9660: %s: no primary volume descriptor in the descriptor set "
                "(from block %u)", who, ISO_FIRST_VD_BLOCK);
        goto out_free;
    }
    if (!terminated)
        pr_warn("iso9660: %s: volume descriptor set has no terminator (read %u blocks)", who,
                ISO_MAX_DESCRIPTORS);
    /* 2. The primary descriptor's fields (§8.4). */
    uint32_t block_bytes = le16_at(pvd, VD_BLOCK_SIZE);
    out->volume_blocks = le32_at(pvd, VD_SPACE_SIZE);
    if (pvd[VD_VERSION] != 1 || block_bytes != ISO_BLOCK_BYTES) {
        pr_warn("iso9660: %s: unsupported primary descriptor (version %u, block size %u)", who,
                pvd[VD_VERSION], block_bytes);
        goto out_free;
    }
    if (out->volume_blocks < ISO_MIN_VOLUME_BLOCKS) {
        pr_warn("iso9660: %s: volume too small (%u blocks, minimum %u)", who,
                out->volume_blocks, ISO_MIN_VOLUME_BLOCKS);
        goto out_free;
    }
    out->limit_bytes = (uint64_t)out->volume_blocks * ISO_BLOCK_BYTES;
    if (out->limit_bytes > part_bytes) {
        pr_warn("iso9660: %s: volume larger than its partition, clamped (%u blocks, %llu bytes)",
                who, out->volume_blocks, (unsigned long long)part_bytes);
        out->limit_bytes = part_bytes;
    }
    iso_copy_label(pvd + VD_VOLUME_ID, out->label);
    /* 3. The root record of the primary tree. */
    rc = iso_vd_root(pvd, out->limit_bytes, who, "primary", &out->pvd_root,
                     &out->pvd_root_time);
    if (rc)
        goto out_free;
    /* 4. Joliet: a bad one is dropped, not fatal. */
    if (have_svd) {
        block_bytes = le16_at(svd, VD_BLOCK_SIZE);
        if (block_bytes != ISO_BLOCK_BYTES) {
            pr_warn("iso9660: %s: Joliet descriptor ignored (block size %u)", who, block_bytes);
        } else if (iso_vd_root(svd, out->limit_bytes, who, "Joliet", &out->joliet_root,
                               &out->joliet_root_time) == 0) {
            out->has_joliet = true;
            out->joliet_level = iso_joliet_level(svd);
        } else {
            pr_warn("iso9660: %s: Joliet descriptor ignored", who);
        }
    }
    rc = 0;
out_free:
    kfree(vd);
    kfree(pvd);
    kfree(svd);
    return rc;
}

/* ---- probe ---------------------------------------------------------------------------------- */

struct iso_probe_ctx {
    const struct part_reader *part;
    uint8_t *sectors; /* MAX(ISO_BLOCK_BYTES, sector size) bytes */
};

/* Block `block` through the sector reader: 2048/ss whole sectors, or half
 * of a 4096-byte one. */
static int iso_probe_read(void *ctx, uint32_t block, uint8_t *out)
{
    struct iso_probe_ctx *c = ctx;
    uint32_t ss = c->part->sector_size;
    uint64_t pos = (uint64_t)block * ISO_BLOCK_BYTES;
    uint32_t count = ss >= ISO_BLOCK_BYTES ? 1 : ISO_BLOCK_BYTES / ss;
    lba_t lba = pos / ss;
    if (lba >= c->part->capacity_sectors || count > c->part->capacity_sectors - lba)
        return ERR_CORRUPT;
    int rc = c->part->read(c->part->ctx, lba, count, c->sectors);
    if (rc == 0)
        memcpy(out, c->sectors + pos % ss, ISO_BLOCK_BYTES);
    return rc;
}

static int iso_probe(const struct part_reader *part, char *name_out, size_t name_len)
{
    struct iso_vd_info *info;
    struct iso_probe_ctx c = { part, NULL };
    uint32_t ss = part->sector_size;

    if (ss < 512 || ss > 4096 || !IS_POW2(ss) || part->capacity_sectors == 0)
        return ERR_NOENT;
    info = kmalloc(sizeof(*info));
    c.sectors = kmalloc(MAX(ISO_BLOCK_BYTES, ss));
    int rc = ERR_NOMEM;
    if (info && c.sectors)
        rc = iso_vd_parse(iso_probe_read, &c, (uint64_t)part->capacity_sectors * ss,
                          part->disk_name ? part->disk_name : "?", info);
    kfree(info);
    kfree(c.sectors);
    if (rc == ERR_CORRUPT)
        return ERR_NOENT; /* logged by the parser; not a probe failure */
    if (rc)
        return rc;
    kstrlcpy(name_out, "iso9660", name_len);
    return 0;
}

/* ---- mount / unmount ------------------------------------------------------------------------ */

static int iso_mount_read(void *ctx, uint32_t block, uint8_t *out)
{
    /* The volume's size is what is being read: only the partition bounds it. */
    return iso_read_upto(ctx, FS_BYTES_NO_LIMIT, (uint64_t)block * ISO_BLOCK_BYTES, out,
                         ISO_BLOCK_BYTES, CACHE_SYS);
}

static void iso_vol_free(struct iso_vol *v)
{
    kfree(v->blk);
    kfree(v->bounce);
    kfree(v->ce);
    kfree(v);
}

static const char *iso_names_label(enum iso_names n)
{
    return n == ISO_NAMES_RR ? "rock ridge" : n == ISO_NAMES_JOLIET ? "joliet" : "plain";
}

static int iso_mount(struct media *m, unsigned part, void **fs_out)
{
    const struct part_info *pi = media_part(m, part);
    struct iso_vol *v;
    bool has_rr = false;
    int rc;

    /* 1. The volume object and its buffers. */
    if (!pi)
        return ERR_NOENT;
    v = kzalloc(sizeof(*v));
    if (!v)
        return ERR_NOMEM;
    v->m = m;
    v->part = part;
    v->sector_bytes = media_sector_size(m);
    ksnprintf(v->name, sizeof(v->name), "%s/%u", disk_name(media_disk(m)), part);
    mutex_init(&v->lock, "iso-vol");
    v->blk = kmalloc(ISO_BLOCK_BYTES);
    v->bounce = kmalloc(v->sector_bytes);
    v->ce = kmalloc(ISO_CE_MAX_BYTES);
    rc = ERR_NOMEM;
    if (!v->blk || !v->bounce || !v->ce)
        goto err_free;
    /* 2. The descriptors, read again through the cache (the media may have
     *    changed since the probe). */
    rc = iso_vd_parse(iso_mount_read, v, (uint64_t)pi->count_sectors * v->sector_bytes,
                      v->name, &v->vd);
    if (rc == ERR_NOENT) {
        pr_warn("iso9660: %s: no volume descriptor at block 16 any more", v->name);
        rc = ERR_CORRUPT;
    }
    if (rc)
        goto err_free;
    /* 3. Which tree and which names (see the header). */
    rc = iso_detect_rr(v, v->vd.pvd_root, &has_rr);
    if (rc)
        goto err_free;
    if (has_rr) {
        v->names = ISO_NAMES_RR;
        v->root = v->vd.pvd_root;
        v->root_time = v->vd.pvd_root_time;
    } else if (v->vd.has_joliet) {
        v->names = ISO_NAMES_JOLIET;
        v->root = v->vd.joliet_root;
        v->root_time = v->vd.joliet_root_time;
    } else {
        v->names = ISO_NAMES_PLAIN;
        v->root = v->vd.pvd_root;
        v->root_time = v->vd.pvd_root_time;
    }
    pr_info("iso9660: %s: mounted, %u blocks, %s names%s, label '%s'", v->name,
            v->vd.volume_blocks, iso_names_label(v->names),
            v->vd.has_joliet && v->names != ISO_NAMES_JOLIET ? " (joliet present)" : "",
            v->vd.label);
    *fs_out = v;
    return 0;
err_free:
    iso_vol_free(v);
    return rc;
}

static void iso_unmount(void *fs)
{
    iso_vol_free(fs);
}

static const struct fsprobe iso_fsprobe = {
    .name = "iso9660",
    .probe = iso_probe,
    .mount = iso_mount,
    .unmount = iso_unmount,
    .sync = NULL,
    .ops = &iso_vfs_ops,
};

void iso9660_register(void)
{
    fsprobe_register(&iso_fsprobe); /* logs a full table itself */
}
