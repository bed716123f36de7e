// SPDX-License-Identifier: MIT
/* VHD backend; contract and format notes in vhd.h. */
#include "drivers/vdisk/lib/vhd.h"

#include "drivers/vdisk/lib/vd_util.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

/* Footer fields (spec "Hard Disk Footer Format"), big-endian. */
enum {
    VHD_F_COOKIE = 0,
    VHD_F_FEATURES = 8,
    VHD_F_VERSION = 12,
    VHD_F_DATA_OFFSET = 16,
    VHD_F_TIMESTAMP = 24,
    VHD_F_CREATOR_APP = 28,
    VHD_F_CREATOR_VER = 32,
    VHD_F_CREATOR_OS = 36,
    VHD_F_ORIG_SIZE = 40,
    VHD_F_CUR_SIZE = 48,
    VHD_F_CYLINDERS = 56, /* u16, then heads u8, sectors per track u8 */
    VHD_F_TYPE = 60,
    VHD_F_CHECKSUM = 64,
    VHD_F_UUID = 68,
    VHD_FOOTER_BYTES = 512,
};

/* Dynamic disk header fields (spec "Dynamic Disk Header Format"). */
enum {
    VHD_D_COOKIE = 0,
    VHD_D_DATA_OFFSET = 8,
    VHD_D_TABLE_OFFSET = 16,
    VHD_D_VERSION = 24,
    VHD_D_MAX_ENTRIES = 28,
    VHD_D_BLOCK_SIZE = 32,
    VHD_D_CHECKSUM = 36,
    VHD_D_PARENT_UUID = 40,
    VHD_D_PARENT_TIME = 56,
    VHD_D_PARENT_NAME = 64, /* 512 bytes of UTF-16BE */
    VHD_D_LOCATORS = 576,   /* 8 entries of 24 bytes */
    VHD_DYN_BYTES = 1024,
};

/* Parent locator entry fields. */
enum { VHD_L_CODE = 0, VHD_L_SPACE = 4, VHD_L_LENGTH = 8, VHD_L_OFFSET = 16, VHD_L_BYTES = 24 };

#define VHD_PARENT_NAME_BYTES 512u
#define VHD_LOCATORS 8u
#define VHD_LOCATOR_MAX_BYTES 4096u /* a UTF-16 path; Windows paths stay far below */
#define VHD_BLOCK_MIN_BYTES 4096u
#define VHD_BLOCK_MAX_BYTES (256u << 20)
#define VHD_BAT_FREE 0xffffffffu
#define VHD_VERSION_1 0x00010000u
#define VHD_MAX_CHS_SECTORS (65535ull * 16 * 255)
#define VHD_CODE(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (c) << 8 | (d))
#define VHD_CODE_W2RU VHD_CODE('W', '2', 'r', 'u')
#define VHD_CODE_W2KU VHD_CODE('W', '2', 'k', 'u')

enum vhd_type { VHD_TYPE_FIXED = 2, VHD_TYPE_DYNAMIC = 3, VHD_TYPE_DIFF = 4 };

struct vhd_state {
    uint32_t type;
    uint8_t footer[VHD_FOOTER_BYTES]; /* raw footer, written again when it moves */
    uint64_t footer_pos;  /* byte offset of the footer at the end of the file */
    uint64_t disk_bytes;
    /* dynamic and differencing only: */
    uint64_t bat_offset;
    uint32_t bat_entries;
    uint32_t block_bytes;
    uint32_t bitmap_bytes;  /* sector bitmap before each block, whole sectors */
    uint32_t *bat;          /* native copy */
    uint8_t *bitmap;        /* cached bitmap of block `bitmap_block` */
    uint32_t bitmap_block;  /* VHD_BAT_FREE = cache empty */
    uint8_t dyn[VHD_DYN_BYTES]; /* raw dynamic header: parent name and locators */
};

/* One structure in the file, for the overlap check (units: sectors). */
struct vhd_region {
    uint64_t start;
    uint64_t count;
};

/* Spec: one's complement of the byte sum, the checksum field counted as 0. */
static uint32_t vhd_checksum(const uint8_t *buf, size_t len, size_t field)
{
    uint32_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        if (i >= field && i < field + 4)
            continue;
        sum += buf[i];
    }
    return ~sum;
}

static bool vhd_footer_ok(const uint8_t *f)
{
    return memcmp(f + VHD_F_COOKIE, "conectix", 8) == 0 &&
           vd_be32_at(f, VHD_F_CHECKSUM) == vhd_checksum(f, VHD_FOOTER_BYTES, VHD_F_CHECKSUM);
}

static int vhd_probe(struct vd_file *f)
{
    uint8_t buf[8];
    uint64_t size;
    int rc;

    rc = f->ops->read(f, 0, buf, 8);
    if (rc == 0 && memcmp(buf, "conectix", 8) == 0)
        return 0;
    if (rc < 0 && rc != ERR_EOM)
        return rc;
    rc = f->ops->get_size(f, &size);
    if (rc < 0)
        return rc;
    if (size < VHD_FOOTER_BYTES)
        return ERR_NOTSUP;
    rc = f->ops->read(f, size - VHD_FOOTER_BYTES, buf, 8);
    if (rc < 0)
        return rc;
    return memcmp(buf, "conectix", 8) == 0 ? 0 : ERR_NOTSUP;
}

/* Disk size as the footer's creator meant it (see vhd.h). */
static uint64_t vhd_footer_disk_bytes(const uint8_t *f)
{
    uint64_t chs = (uint64_t)vd_be16_at(f, VHD_F_CYLINDERS) * f[VHD_F_CYLINDERS + 2] *
                   f[VHD_F_CYLINDERS + 3];

    if ((memcmp(f + VHD_F_CREATOR_APP, "vpc ", 4) == 0 ||
         memcmp(f + VHD_F_CREATOR_APP, "qemu", 4) == 0) &&
        chs != VHD_MAX_CHS_SECTORS)
        return chs * 512;
    return vd_be64_at(f, VHD_F_CUR_SIZE);
}

/* 1. Take the footer at the end, or the copy at 0 (warning) when the end one
 *    is damaged. 2. Check version, type and size. */
static int vhd_read_footer(struct vd_image *img, struct vhd_state *s, uint64_t file_bytes)
{
    const char *name = img->file->name;
    uint8_t *f = s->footer;
    int rc;

    /* 1. */
    if (file_bytes < VHD_FOOTER_BYTES) {
        pr_err("vhd: %s: file shorter than a footer (%llu bytes)\n", name,
               (unsigned long long)file_bytes);
        return ERR_CORRUPT;
    }
    s->footer_pos = file_bytes - VHD_FOOTER_BYTES;
    rc = img->file->ops->read(img->file, s->footer_pos, f, VHD_FOOTER_BYTES);
    if (rc < 0)
        return rc;
    if (!vhd_footer_ok(f)) {
        uint8_t end_sum[4];
        memcpy(end_sum, f + VHD_F_CHECKSUM, 4);
        rc = img->file->ops->read(img->file, 0, f, VHD_FOOTER_BYTES);
        if (rc < 0)
            return rc;
        if (!vhd_footer_ok(f) || vd_be32_at(f, VHD_F_TYPE) == VHD_TYPE_FIXED) {
            pr_err("vhd: %s: bad footer cookie or checksum (stored 0x%08x, computed 0x%08x)\n",
                   name, vd_be32_at(end_sum, 0), vhd_checksum(f, VHD_FOOTER_BYTES,
                                                              VHD_F_CHECKSUM));
            return ERR_CORRUPT;
        }
        pr_warn("vhd: %s: footer at the end damaged, using the copy at offset 0\n", name);
    }
    /* 2. */
    if ((vd_be32_at(f, VHD_F_VERSION) >> 16) != 1) {
        pr_err("vhd: %s: unsupported version 0x%08x\n", name, vd_be32_at(f, VHD_F_VERSION));
        return ERR_NOTSUP;
    }
    s->type = vd_be32_at(f, VHD_F_TYPE);
    if (s->type != VHD_TYPE_FIXED && s->type != VHD_TYPE_DYNAMIC && s->type != VHD_TYPE_DIFF) {
        pr_err("vhd: %s: unknown disk type %u\n", name, s->type);
        return ERR_CORRUPT;
    }
    s->disk_bytes = vhd_footer_disk_bytes(f);
    if (s->disk_bytes == 0 || s->disk_bytes % 512 || s->disk_bytes > VHD_MAX_DISK_BYTES) {
        pr_err("vhd: %s: bad disk size (%llu bytes, max %llu)\n", name,
               (unsigned long long)s->disk_bytes, (unsigned long long)VHD_MAX_DISK_BYTES);
        return ERR_CORRUPT;
    }
    if (s->type == VHD_TYPE_FIXED && s->disk_bytes > s->footer_pos) {
        pr_err("vhd: %s: fixed disk larger than its file (%llu > %llu bytes)\n", name,
               (unsigned long long)s->disk_bytes, (unsigned long long)s->footer_pos);
        return ERR_CORRUPT;
    }
    return 0;
}

/* Check the dynamic header (cookie, checksum, sizes, BAT placement). */
static int vhd_parse_dyn(const char *name, struct vhd_state *s, uint64_t dyn_off)
{
    const uint8_t *d = s->dyn;
    uint64_t need, bat_bytes;

    if (memcmp(d + VHD_D_COOKIE, "cxsparse", 8) != 0 ||
        vd_be32_at(d, VHD_D_CHECKSUM) != vhd_checksum(d, VHD_DYN_BYTES, VHD_D_CHECKSUM)) {
        pr_err("vhd: %s: bad dynamic header cookie or checksum (stored 0x%08x, computed "
               "0x%08x)\n", name, vd_be32_at(d, VHD_D_CHECKSUM),
               vhd_checksum(d, VHD_DYN_BYTES, VHD_D_CHECKSUM));
        return ERR_CORRUPT;
    }
    if ((vd_be32_at(d, VHD_D_VERSION) >> 16) != 1) {
        pr_err("vhd: %s: unsupported dynamic header version 0x%08x\n", name,
               vd_be32_at(d, VHD_D_VERSION));
        return ERR_NOTSUP;
    }
    s->block_bytes = vd_be32_at(d, VHD_D_BLOCK_SIZE);
    s->bat_entries = vd_be32_at(d, VHD_D_MAX_ENTRIES);
    s->bat_offset = vd_be64_at(d, VHD_D_TABLE_OFFSET);
    if (!vd_is_pow2(s->block_bytes) || s->block_bytes < VHD_BLOCK_MIN_BYTES ||
        s->block_bytes > VHD_BLOCK_MAX_BYTES) {
        pr_err("vhd: %s: bad block size (%u)\n", name, s->block_bytes);
        return ERR_CORRUPT;
    }
    need = (s->disk_bytes + s->block_bytes - 1) / s->block_bytes;
    if (s->bat_entries < need || s->bat_entries > VHD_MAX_BAT_ENTRIES) {
        pr_err("vhd: %s: bad BAT size (%u entries, disk needs %llu, max %u)\n", name,
               s->bat_entries, (unsigned long long)need, VHD_MAX_BAT_ENTRIES);
        return ERR_CORRUPT;
    }
    bat_bytes = (uint64_t)s->bat_entries * 4;
    if (s->bat_offset % 512 || dyn_off % 512 || s->bat_offset > s->footer_pos ||
        bat_bytes > s->footer_pos - s->bat_offset) {
        pr_err("vhd: %s: BAT outside the file (offset %llu, %llu bytes, file data ends at "
               "%llu)\n", name, (unsigned long long)s->bat_offset,
               (unsigned long long)bat_bytes, (unsigned long long)s->footer_pos);
        return ERR_CORRUPT;
    }
    s->bitmap_bytes = ALIGN_UP(s->block_bytes / 512 / 8, 512u);
    return 0;
}

/* Collect every structure (footer copy, dynamic header, BAT, locators,
 * blocks) and reject any that leaves the file or overlaps another. */
static int vhd_check_layout(const char *name, struct vhd_state *s, uint64_t dyn_off)
{
    uint64_t end = s->footer_pos / 512;
    uint64_t block_sectors = (s->bitmap_bytes + (uint64_t)s->block_bytes) / 512;
    struct vhd_region meta[3 + VHD_LOCATORS];
    size_t nmeta = 0, nkeys = 0;
    uint64_t *keys;
    int rc = 0;

    meta[nmeta++] = (struct vhd_region){0, 1};
    meta[nmeta++] = (struct vhd_region){dyn_off / 512, VHD_DYN_BYTES / 512};
    meta[nmeta++] = (struct vhd_region){s->bat_offset / 512,
                                        ALIGN_UP((uint64_t)s->bat_entries * 4, 512u) / 512};
    for (unsigned i = 0; s->type == VHD_TYPE_DIFF && i < VHD_LOCATORS; i++) {
        const uint8_t *l = s->dyn + VHD_D_LOCATORS + i * VHD_L_BYTES;
        uint64_t off = vd_be64_at(l, VHD_L_OFFSET);
        uint32_t len = vd_be32_at(l, VHD_L_LENGTH);
        if (vd_be32_at(l, VHD_L_CODE) == 0 || len == 0)
            continue;
        if (len > VHD_LOCATOR_MAX_BYTES || off > s->footer_pos || len > s->footer_pos - off) {
            pr_err("vhd: %s: parent locator %u outside the file (offset %llu, %u bytes)\n",
                   name, i, (unsigned long long)off, len);
            return ERR_CORRUPT;
        }
        meta[nmeta++] = (struct vhd_region){off / 512, (off % 512 + len + 511) / 512};
    }
    keys = kmalloc((nmeta + s->bat_entries) * sizeof(*keys));
    if (!keys)
        return ERR_NOMEM;
    /* Key: start sector in the high bits, region number below (meta first). */
    for (size_t i = 0; i < nmeta; i++) {
        if (meta[i].start + meta[i].count > end) {
            pr_err("vhd: %s: header structure %zu beyond the data end (sector %llu)\n", name,
                   i, (unsigned long long)meta[i].start);
            rc = ERR_CORRUPT;
            goto out;
        }
        keys[nkeys++] = meta[i].start << 24 | i;
    }
    for (uint32_t b = 0; b < s->bat_entries; b++) {
        uint32_t e = s->bat[b];
        if (e == VHD_BAT_FREE)
            continue;
        if ((uint64_t)e + block_sectors > end) {
            pr_err("vhd: %s: block %u beyond the data end (sector %u, %llu sectors, end %llu)\n",
                   name, b, e, (unsigned long long)block_sectors, (unsigned long long)end);
            rc = ERR_CORRUPT;
            goto out;
        }
        keys[nkeys++] = (uint64_t)e << 24 | (nmeta + b);
    }
    vd_sort_u64(keys, nkeys);
    for (size_t i = 0; i + 1 < nkeys; i++) {
        uint64_t idx = keys[i] & 0xffffff, start = keys[i] >> 24;
        uint64_t count = idx < nmeta ? meta[idx].count : block_sectors;
        if (start + count > keys[i + 1] >> 24) {
            pr_err("vhd: %s: structures overlap at sector %llu (BAT index %lld)\n", name,
                   (unsigned long long)(keys[i + 1] >> 24),
                   (long long)((keys[i + 1] & 0xffffff) - nmeta));
            rc = ERR_CORRUPT;
            goto out;
        }
    }
out:
    kfree(keys);
    return rc;
}

/* Read the dynamic header and BAT, then check the layout. */
static int vhd_open_dynamic(struct vd_image *img, struct vhd_state *s)
{
    const char *name = img->file->name;
    uint64_t dyn_off = vd_be64_at(s->footer, VHD_F_DATA_OFFSET);
    int rc;

    if (dyn_off < VHD_FOOTER_BYTES || dyn_off > s->footer_pos ||
        s->footer_pos - dyn_off < VHD_DYN_BYTES) {
        pr_err("vhd: %s: dynamic header outside the file (offset %llu)\n", name,
               (unsigned long long)dyn_off);
        return ERR_CORRUPT;
    }
    rc = img->file->ops->read(img->file, dyn_off, s->dyn, VHD_DYN_BYTES);
    if (rc < 0)
        return rc;
    rc = vhd_parse_dyn(name, s, dyn_off);
    if (rc < 0)
        return rc;
    s->bat = kmalloc((size_t)s->bat_entries * 4);
    s->bitmap = kmalloc(s->bitmap_bytes);
    if (!s->bat || !s->bitmap)
        return ERR_NOMEM;
    s->bitmap_block = VHD_BAT_FREE;
    rc = img->file->ops->read(img->file, s->bat_offset, s->bat, (size_t)s->bat_entries * 4);
    if (rc < 0)
        return rc;
    for (uint32_t i = 0; i < s->bat_entries; i++)
        s->bat[i] = vd_be32_at(s->bat, (size_t)i * 4);
    return vhd_check_layout(name, s, dyn_off);
}

/* Decode a locator's path (UTF-16LE) or the unicode name (UTF-16BE) into
 * out[size] with '/' separators. */
static int vhd_parent_path(const uint8_t *raw, size_t bytes, bool big_endian, char *out,
                           size_t size)
{
    int rc = vd_utf16_to_utf8(raw, bytes, big_endian, out, size);

    if (rc < 0)
        return rc;
    for (char *p = out; *p; p++) {
        if (*p == '\\')
            *p = '/';
    }
    if (out[0] == '.' && out[1] == '/')
        memmove(out, out + 2, strlen(out + 2) + 1);
    return out[0] ? 0 : ERR_NOENT;
}

/* Candidate parent path number `which` (0 W2ru, 1 unicode name, 2 W2ku);
 * ERR_NOENT when the image has none of that kind. */
static int vhd_parent_candidate(struct vd_image *img, unsigned which, char *out, size_t size)
{
    struct vhd_state *s = img->priv;
    uint32_t want = which == 0 ? VHD_CODE_W2RU : VHD_CODE_W2KU;
    uint8_t raw[VHD_LOCATOR_MAX_BYTES];
    int rc;

    if (which == 1)
        return vhd_parent_path(s->dyn + VHD_D_PARENT_NAME, VHD_PARENT_NAME_BYTES, true, out,
                               size);
    for (unsigned i = 0; i < VHD_LOCATORS; i++) {
        const uint8_t *l = s->dyn + VHD_D_LOCATORS + i * VHD_L_BYTES;
        uint32_t len = vd_be32_at(l, VHD_L_LENGTH);
        if (vd_be32_at(l, VHD_L_CODE) != want || len == 0)
            continue;
        rc = img->file->ops->read(img->file, vd_be64_at(l, VHD_L_OFFSET), raw, len);
        if (rc < 0)
            return rc;
        return vhd_parent_path(raw, len, false, out, size);
    }
    return ERR_NOENT;
}

static int vhd_open_parent(struct vd_image *img, bool readonly, struct vd_file **out)
{
    char path[sizeof(img->info.parent)];
    int rc = ERR_NOENT;

    if (!img->file->ops->open_relative)
        return ERR_NOTSUP;
    for (unsigned which = 0; which < 3; which++) {
        int r = vhd_parent_candidate(img, which, path, sizeof(path));
        if (r < 0) {
            if (r != ERR_NOENT)
                rc = r;
            continue;
        }
        r = img->file->ops->open_relative(img->file, path, readonly, out);
        if (r == 0)
            return 0;
        rc = r;
    }
    return rc;
}

static void vhd_free_state(struct vhd_state *s)
{
    if (!s)
        return;
    kfree(s->bat);
    kfree(s->bitmap);
    kfree(s);
}

/* 1. Footer; 2. dynamic header, BAT and layout (not fixed); 3. info, with
 *    the first parent name that decodes. */
static int vhd_open(struct vd_image *img, unsigned flags)
{
    struct vhd_state *s;
    uint64_t file_bytes;
    int rc;

    (void)flags;
    s = kzalloc(sizeof(*s));
    if (!s)
        return ERR_NOMEM;
    /* 1. */
    rc = img->file->ops->get_size(img->file, &file_bytes);
    if (rc == 0)
        rc = vhd_read_footer(img, s, file_bytes);
    /* 2. */
    if (rc == 0 && s->type != VHD_TYPE_FIXED)
        rc = vhd_open_dynamic(img, s);
    if (rc < 0) {
        vhd_free_state(s);
        return rc;
    }
    /* 3. */
    memset(&img->info, 0, sizeof(img->info));
    img->priv = s;
    kstrlcpy(img->info.format, "vhd", sizeof(img->info.format));
    kstrlcpy(img->info.variant,
             s->type == VHD_TYPE_FIXED ? "fixed" : s->type == VHD_TYPE_DYNAMIC ? "dynamic"
                                                                            : "diff",
             sizeof(img->info.variant));
    img->info.disk_bytes = s->disk_bytes;
    img->info.sector_size = 512;
    img->info.block_bytes = s->type == VHD_TYPE_FIXED ? 0 : s->block_bytes;
    memcpy(img->info.uuid, s->footer + VHD_F_UUID, 16);
    if (s->type == VHD_TYPE_DIFF) {
        memcpy(img->info.parent_uuid, s->dyn + VHD_D_PARENT_UUID, 16);
        for (unsigned which = 0; which < 3 && !img->info.parent[0]; which++) {
            rc = vhd_parent_candidate(img, which, img->info.parent, sizeof(img->info.parent));
            if (rc < 0 && rc != ERR_NOENT) {
                pr_err("vhd: %s: unreadable parent name (%s)\n", img->file->name, err_name(rc));
                img->priv = NULL;
                vhd_free_state(s);
                return rc == ERR_EOM ? ERR_CORRUPT : rc;
            }
            if (rc < 0)
                img->info.parent[0] = '\0';
        }
        if (!img->info.parent[0]) {
            pr_err("vhd: %s: differencing image without a parent name\n", img->file->name);
            img->priv = NULL;
            vhd_free_state(s);
            return ERR_CORRUPT;
        }
    }
    return 0;
}

static void vhd_close(struct vd_image *img)
{
    vhd_free_state(img->priv);
    img->priv = NULL;
}

/* Make the bitmap of block `b` (allocated) the cached one. */
static int vhd_load_bitmap(struct vd_image *img, struct vhd_state *s, uint32_t b)
{
    int rc;

    if (s->bitmap_block == b)
        return 0;
    s->bitmap_block = VHD_BAT_FREE;
    rc = img->file->ops->read(img->file, (uint64_t)s->bat[b] * 512, s->bitmap, s->bitmap_bytes);
    if (rc == 0)
        s->bitmap_block = b;
    return rc;
}

static bool vhd_bit(const uint8_t *bitmap, uint32_t sector)
{
    return bitmap[sector / 8] & (0x80u >> (sector % 8)); /* spec: MSB is the first sector */
}

static int vhd_read(struct vd_image *img, uint64_t off, void *buf, size_t len, size_t *done)
{
    struct vhd_state *s = img->priv;
    uint32_t b, in;
    size_t n;
    int rc;

    *done = 0;
    if (s->type == VHD_TYPE_FIXED) {
        rc = img->file->ops->read(img->file, off, buf, len);
        if (rc == 0)
            *done = len;
        return rc;
    }
    b = (uint32_t)(off / s->block_bytes);
    in = (uint32_t)(off % s->block_bytes);
    n = MIN(len, (size_t)(s->block_bytes - in));
    if (s->bat[b] == VHD_BAT_FREE) {
        *done = n;
        return VD_BLOCK_FREE;
    }
    if (s->type == VHD_TYPE_DIFF) {
        /* The run of sectors with the same bitmap state as the first one. */
        uint32_t first = in / 512, count = 1;
        bool present;
        rc = vhd_load_bitmap(img, s, b);
        if (rc < 0)
            return rc;
        present = vhd_bit(s->bitmap, first);
        while (count < n / 512 && vhd_bit(s->bitmap, first + count) == present)
            count++;
        n = (size_t)count * 512;
        if (!present) {
            *done = n;
            return VD_BLOCK_FREE;
        }
    }
    rc = img->file->ops->read(img->file, (uint64_t)s->bat[b] * 512 + s->bitmap_bytes + in, buf,
                              n);
    if (rc == 0)
        *done = n;
    return rc;
}

/* Set the bitmap bits of sectors [first, first+count) of block `b` and write
 * the changed bitmap back (after the data it describes). */
static int vhd_mark_present(struct vd_image *img, struct vhd_state *s, uint32_t b,
                            uint32_t first, uint32_t count)
{
    bool changed = false;
    int rc = vhd_load_bitmap(img, s, b);

    if (rc < 0)
        return rc;
    for (uint32_t i = first; i < first + count; i++) {
        if (!vhd_bit(s->bitmap, i)) {
            s->bitmap[i / 8] |= (uint8_t)(0x80u >> (i % 8));
            changed = true;
        }
    }
    if (!changed)
        return 0;
    rc = img->file->ops->write(img->file, (uint64_t)s->bat[b] * 512, s->bitmap, s->bitmap_bytes);
    if (rc < 0)
        s->bitmap_block = VHD_BAT_FREE;
    return rc;
}

/* Allocate block `b` with `n` bytes of data at `in`; see vhd.h for the order.
 * 1. Build bitmap + block: zeroes, the new data, bits for the new sectors
 *    (all bits in a dynamic image, whose free sectors are zero anyway).
 * 2. Footer at the new end (grows the file; undone on failure).
 * 3. Bitmap and data where the footer was.
 * 4. BAT entry: the commit point. */
static int vhd_allocate(struct vd_image *img, struct vhd_state *s, uint32_t b, uint32_t in,
                        const void *data, size_t n)
{
    uint64_t pos = ALIGN_UP(s->footer_pos, 512u);
    uint64_t new_footer = pos + s->bitmap_bytes + s->block_bytes;
    size_t total = s->bitmap_bytes + (size_t)s->block_bytes;
    uint8_t *blk, be[4];
    int rc;

    if (pos / 512 >= VHD_BAT_FREE)
        return ERR_FBIG;
    /* 1. */
    blk = kzalloc(total);
    if (!blk)
        return ERR_NOMEM;
    if (s->type == VHD_TYPE_DIFF) {
        for (uint32_t i = in / 512; i < (in + n) / 512; i++)
            blk[i / 8] |= (uint8_t)(0x80u >> (i % 8));
    } else {
        memset(blk, 0xff, s->bitmap_bytes);
    }
    memcpy(blk + s->bitmap_bytes + in, data, n);
    /* 2. */
    rc = vd_file_append(img->file, s->footer_pos + VHD_FOOTER_BYTES, new_footer, s->footer,
                        VHD_FOOTER_BYTES);
    if (rc < 0)
        goto out;
    /* 3. */
    rc = img->file->ops->write(img->file, pos, blk, total);
    if (rc < 0)
        goto out;
    s->footer_pos = new_footer;
    /* 4. */
    vd_put_be32(be, 0, (uint32_t)(pos / 512));
    rc = img->file->ops->write(img->file, s->bat_offset + (uint64_t)b * 4, be, 4);
    if (rc < 0)
        goto out;
    s->bat[b] = (uint32_t)(pos / 512);
    memcpy(s->bitmap, blk, s->bitmap_bytes);
    s->bitmap_block = b;
out:
    kfree(blk);
    return rc;
}

static int vhd_write(struct vd_image *img, uint64_t off, const void *buf, size_t len,
                     unsigned flags, size_t *done)
{
    struct vhd_state *s = img->priv;
    uint32_t b, in;
    size_t n;
    int rc;

    (void)flags;
    *done = 0;
    if (img->readonly)
        return ERR_ROFS;
    if (s->type == VHD_TYPE_FIXED) {
        rc = img->file->ops->write(img->file, off, buf, len);
        if (rc == 0)
            *done = len;
        return rc;
    }
    b = (uint32_t)(off / s->block_bytes);
    in = (uint32_t)(off % s->block_bytes);
    n = MIN(len, (size_t)(s->block_bytes - in));
    if (s->bat[b] == VHD_BAT_FREE) {
        rc = vhd_allocate(img, s, b, in, buf, n);
    } else {
        rc = img->file->ops->write(img->file,
                                   (uint64_t)s->bat[b] * 512 + s->bitmap_bytes + in, buf, n);
        if (rc == 0)
            rc = vhd_mark_present(img, s, b, in / 512, (uint32_t)(n / 512));
    }
    if (rc == 0)
        *done = n;
    return rc;
}

static int vhd_flush(struct vd_image *img)
{
    return img->file->ops->flush ? img->file->ops->flush(img->file) : 0;
}

/* Spec appendix "CHS Calculation". */
static void vhd_geometry(uint64_t sectors, uint8_t *footer)
{
    uint32_t spt, heads, cth;

    if (sectors > VHD_MAX_CHS_SECTORS)
        sectors = VHD_MAX_CHS_SECTORS;
    if (sectors >= 65535ull * 16 * 63) {
        spt = 255;
        heads = 16;
        cth = (uint32_t)(sectors / spt);
    } else {
        spt = 17;
        cth = (uint32_t)(sectors / spt);
        heads = MAX((cth + 1023) / 1024, 4u);
        if (cth >= heads * 1024 || heads > 16) {
            spt = 31;
            heads = 16;
            cth = (uint32_t)(sectors / spt);
        }
        if (cth >= heads * 1024) {
            spt = 63;
            heads = 16;
            cth = (uint32_t)(sectors / spt);
        }
    }
    /* QEMU sizes images of unknown creators by CHS; when CHS cannot express
     * the size exactly, store the maximum geometry, which makes every reader
     * use current_size. */
    if ((uint64_t)(cth / heads) * heads * spt != sectors) {
        spt = 255;
        heads = 16;
        cth = 65535u * 16;
    }
    vd_put_be16(footer, VHD_F_CYLINDERS, (uint16_t)(cth / heads));
    footer[VHD_F_CYLINDERS + 2] = (uint8_t)heads;
    footer[VHD_F_CYLINDERS + 3] = (uint8_t)spt;
}

static void vhd_make_footer(uint8_t *f, uint32_t type, uint64_t disk_bytes)
{
    memset(f, 0, VHD_FOOTER_BYTES);
    memcpy(f + VHD_F_COOKIE, "conectix", 8);
    vd_put_be32(f, VHD_F_FEATURES, 2); /* spec: "reserved" bit always set */
    vd_put_be32(f, VHD_F_VERSION, VHD_VERSION_1);
    vd_put_be64(f, VHD_F_DATA_OFFSET, type == VHD_TYPE_FIXED ? ~0ull : VHD_FOOTER_BYTES);
    memcpy(f + VHD_F_CREATOR_APP, "spnd", 4);
    vd_put_be32(f, VHD_F_CREATOR_VER, 0x00010000);
    memcpy(f + VHD_F_CREATOR_OS, "Wi2k", 4);
    vd_put_be64(f, VHD_F_ORIG_SIZE, disk_bytes);
    vd_put_be64(f, VHD_F_CUR_SIZE, disk_bytes);
    vhd_geometry(disk_bytes / 512, f);
    vd_put_be32(f, VHD_F_TYPE, type);
    vd_uuid_generate(f + VHD_F_UUID);
    vd_put_be32(f, VHD_F_CHECKSUM, vhd_checksum(f, VHD_FOOTER_BYTES, VHD_F_CHECKSUM));
}

/* Dynamic or differencing layout: footer copy, dynamic header, BAT, the
 * W2ru locator data (diff), footer. */
static int vhd_create_dynamic(struct vd_file *f, const struct vd_create_opts *opts,
                              uint32_t type, uint64_t disk_bytes)
{
    uint32_t entries = (uint32_t)((disk_bytes + VHD_DEFAULT_BLOCK_BYTES - 1) /
                                  VHD_DEFAULT_BLOCK_BYTES);
    uint64_t bat_bytes = ALIGN_UP((uint64_t)entries * 4, 512u);
    uint64_t loc_off = 512 + VHD_DYN_BYTES + bat_bytes, end = loc_off;
    uint8_t footer[VHD_FOOTER_BYTES], dyn[VHD_DYN_BYTES];
    uint8_t loc[VHD_LOCATOR_MAX_BYTES];
    size_t loc_bytes = 0, name_bytes;
    uint8_t *bat;
    int rc;

    memset(dyn, 0, sizeof(dyn));
    memcpy(dyn + VHD_D_COOKIE, "cxsparse", 8);
    vd_put_be64(dyn, VHD_D_DATA_OFFSET, ~0ull);
    vd_put_be64(dyn, VHD_D_TABLE_OFFSET, 512 + VHD_DYN_BYTES);
    vd_put_be32(dyn, VHD_D_VERSION, VHD_VERSION_1);
    vd_put_be32(dyn, VHD_D_MAX_ENTRIES, entries);
    vd_put_be32(dyn, VHD_D_BLOCK_SIZE, VHD_DEFAULT_BLOCK_BYTES);
    if (type == VHD_TYPE_DIFF) {
        char win[sizeof(((struct vd_info *)0)->parent)];
        kstrlcpy(win, opts->parent, sizeof(win));
        for (char *p = win; *p; p++) {
            if (*p == '/')
                *p = '\\';
        }
        memcpy(dyn + VHD_D_PARENT_UUID, opts->parent_info->uuid, 16);
        rc = vd_utf8_to_utf16(opts->parent, true, dyn + VHD_D_PARENT_NAME,
                              VHD_PARENT_NAME_BYTES, &name_bytes);
        if (rc == 0)
            rc = vd_utf8_to_utf16(win, false, loc, sizeof(loc), &loc_bytes);
        if (rc < 0)
            return rc;
        vd_put_be32(dyn, VHD_D_LOCATORS + VHD_L_CODE, VHD_CODE_W2RU);
        vd_put_be32(dyn, VHD_D_LOCATORS + VHD_L_SPACE, (uint32_t)ALIGN_UP(loc_bytes, 512u) / 512);
        vd_put_be32(dyn, VHD_D_LOCATORS + VHD_L_LENGTH, (uint32_t)loc_bytes);
        vd_put_be64(dyn, VHD_D_LOCATORS + VHD_L_OFFSET, loc_off);
        end += ALIGN_UP(loc_bytes, 512u);
    }
    vd_put_be32(dyn, VHD_D_CHECKSUM, vhd_checksum(dyn, VHD_DYN_BYTES, VHD_D_CHECKSUM));
    vhd_make_footer(footer, type, disk_bytes);
    bat = kmalloc((size_t)bat_bytes);
    if (!bat)
        return ERR_NOMEM;
    memset(bat, 0xff, (size_t)bat_bytes);
    rc = f->ops->set_size ? f->ops->set_size(f, 0) : 0;
    if (rc == 0)
        rc = f->ops->write(f, 0, footer, sizeof(footer));
    if (rc == 0)
        rc = f->ops->write(f, 512, dyn, sizeof(dyn));
    if (rc == 0)
        rc = f->ops->write(f, 512 + VHD_DYN_BYTES, bat, (size_t)bat_bytes);
    kfree(bat);
    if (rc == 0 && loc_bytes) {
        memset(loc + loc_bytes, 0, ALIGN_UP(loc_bytes, 512u) - loc_bytes);
        rc = f->ops->write(f, loc_off, loc, ALIGN_UP(loc_bytes, 512u));
    }
    if (rc == 0)
        rc = f->ops->write(f, end, footer, sizeof(footer));
    return rc;
}

static int vhd_create(struct vd_file *f, const struct vd_create_opts *opts)
{
    uint64_t disk_bytes = opts->disk_bytes;
    uint32_t type = VHD_TYPE_DYNAMIC;
    uint8_t footer[VHD_FOOTER_BYTES];
    int rc;

    /* 1. Pick the type and size. */
    if (opts->parent && opts->parent[0]) {
        if (!opts->parent_info || opts->parent_info->sector_size != 512)
            return ERR_INVAL;
        type = VHD_TYPE_DIFF;
        if (disk_bytes == 0)
            disk_bytes = opts->parent_info->disk_bytes;
    } else if (opts->variant && kstrcasecmp(opts->variant, "fixed") == 0) {
        type = VHD_TYPE_FIXED;
    } else if (opts->variant && kstrcasecmp(opts->variant, "dynamic") != 0) {
        return ERR_INVAL;
    }
    if (disk_bytes == 0 || disk_bytes % 512 || disk_bytes > VHD_MAX_DISK_BYTES)
        return ERR_INVAL;
    /* 2. Write it; a failure leaves an empty file. */
    if (type == VHD_TYPE_FIXED) {
        vhd_make_footer(footer, type, disk_bytes);
        rc = f->ops->set_size ? f->ops->set_size(f, 0) : ERR_NOTSUP;
        if (rc == 0)
            rc = f->ops->set_size(f, disk_bytes);
        if (rc == 0)
            rc = f->ops->write(f, disk_bytes, footer, sizeof(footer));
    } else {
        rc = vhd_create_dynamic(f, opts, type, disk_bytes);
    }
    if (rc < 0 && f->ops->set_size)
        (void)f->ops->set_size(f, 0);
    return rc;
}

const struct vd_backend vd_backend_vhd = {
    .name = "vhd",
    .probe = vhd_probe,
    .open = vhd_open,
    .close = vhd_close,
    .read = vhd_read,
    .write = vhd_write,
    .flush = vhd_flush,
    .create = vhd_create,
    .open_parent = vhd_open_parent,
};
