// SPDX-License-Identifier: MIT
/* VDI backend; contract and format notes in vdi.h. */
#include "drivers/vdisk/lib/vdi.h"

#include "drivers/vdisk/lib/vd_util.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* Header fields, byte offsets in the first sector (little-endian). */
enum {
    VDI_OFF_SIGNATURE = 0x40,
    VDI_OFF_VERSION = 0x44,
    VDI_OFF_HEADER_SIZE = 0x48, /* bytes from here to the end of the header */
    VDI_OFF_TYPE = 0x4c,
    VDI_OFF_FLAGS = 0x50,
    VDI_OFF_COMMENT = 0x54, /* 256 bytes of free text; holds our parent hint */
    VDI_OFF_OFFSET_BMAP = 0x154,
    VDI_OFF_OFFSET_DATA = 0x158,
    VDI_OFF_SECTOR_SIZE = 0x168, /* legacy geometry: cyl, heads, sectors, sector size */
    VDI_OFF_DISK_SIZE = 0x170,
    VDI_OFF_BLOCK_SIZE = 0x178,
    VDI_OFF_BLOCK_EXTRA = 0x17c,
    VDI_OFF_BLOCKS = 0x180,
    VDI_OFF_ALLOCATED = 0x184,
    VDI_OFF_UUID_IMAGE = 0x188,         /* uuidCreate */
    VDI_OFF_UUID_MODIFY = 0x198,        /* uuidModify */
    VDI_OFF_UUID_LINK = 0x1a8,          /* uuidLinkage: the parent's uuidCreate */
    VDI_OFF_UUID_PARENT_MODIFY = 0x1b8, /* uuidParentModify: the parent's uuidModify */
};

#define VDI_COMMENT_BYTES 256u
/* Our parent hint in the comment of the differencing images we create:
 * this prefix, then the parent's name relative to the diff, NUL-ended. */
static const char vdi_hint_prefix[] = "spindle-parent:";

#define VDI_HEADER_SIZE_MIN 0x180u /* QEMU's (no LCHS geometry) */
#define VDI_HEADER_SIZE_STD 0x190u /* VirtualBox 1.1 */
#define VDI_HEADER_SIZE_MAX (512u - VDI_OFF_HEADER_SIZE)
#define VDI_BLOCK_MIN_BYTES 4096u
#define VDI_BLOCK_MAX_BYTES (64u << 20)
#define VDI_MAP_FREE 0xffffffffu
#define VDI_MAP_ZERO 0xfffffffeu

enum vdi_type { VDI_TYPE_NORMAL = 1, VDI_TYPE_FIXED = 2, VDI_TYPE_UNDO = 3, VDI_TYPE_DIFF = 4 };

/* The trusted header (after vdi_parse_header). */
struct vdi_header {
    uint32_t type;
    uint32_t offset_bmap;
    uint32_t offset_data;
    uint64_t disk_bytes;
    uint32_t block_bytes;
    uint32_t blocks;
    uint32_t allocated;
    uint8_t uuid[16];
    uint8_t modify_uuid[16];
    uint8_t link_uuid[16];     /* differencing images only (else ignored) */
};

struct vdi_state {
    struct vdi_header h;
    uint32_t *map;      /* block map, native order, blocks entries */
    uint8_t *used;      /* bit per data-area index: taken by some map entry */
    uint32_t used_count; /* map entries that point at data */
    uint32_t next_index; /* lowest data-area index worth trying for the next block */
    uint64_t file_bytes; /* current file size */
};

static const char vdi_text[] = "<<< Spindle VDI Disk Image >>>\n";

static bool vdi_used(const struct vdi_state *s, uint32_t i)
{
    return s->used[i / 8] & (1u << (i % 8));
}

static void vdi_set_used(struct vdi_state *s, uint32_t i)
{
    s->used[i / 8] |= (uint8_t)(1u << (i % 8));
}

static int vdi_probe(struct vd_file *f)
{
    uint8_t b[8];
    int rc = f->ops->read(f, VDI_OFF_SIGNATURE, b, sizeof(b));

    if (rc == ERR_EOM)
        return ERR_NOTSUP;
    if (rc < 0)
        return rc;
    return le32_at(b, 0) == VDI_SIGNATURE ? 0 : ERR_NOTSUP;
}

/* Validate the header sector `raw` against the file size; see vdi.h for
 * what is rejected. Fills *h. */
static int vdi_parse_header(const char *name, const uint8_t *raw, uint64_t file_bytes,
                            struct vdi_header *h)
{
    uint32_t version = le32_at(raw, VDI_OFF_VERSION);
    uint32_t hsize = le32_at(raw, VDI_OFF_HEADER_SIZE);
    uint32_t sector = le32_at(raw, VDI_OFF_SECTOR_SIZE);
    uint32_t extra = le32_at(raw, VDI_OFF_BLOCK_EXTRA);
    uint64_t need_blocks, map_end;

    /* 1. Identity: signature, version, header size, type. */
    if (le32_at(raw, VDI_OFF_SIGNATURE) != VDI_SIGNATURE) {
        pr_err("vdi: %s: bad signature (0x%08x, expected 0x%08x)\n", name,
               le32_at(raw, VDI_OFF_SIGNATURE), VDI_SIGNATURE);
        return ERR_CORRUPT;
    }
    if (version != VDI_VERSION_1_1) {
        pr_err("vdi: %s: unsupported version 0x%08x\n", name, version);
        return ERR_NOTSUP;
    }
    if (hsize < VDI_HEADER_SIZE_MIN || hsize > VDI_HEADER_SIZE_MAX) {
        pr_err("vdi: %s: bad header size (%u, allowed %u..%u)\n", name, hsize,
               VDI_HEADER_SIZE_MIN, VDI_HEADER_SIZE_MAX);
        return ERR_CORRUPT;
    }
    h->type = le32_at(raw, VDI_OFF_TYPE);
    if (h->type != VDI_TYPE_NORMAL && h->type != VDI_TYPE_FIXED && h->type != VDI_TYPE_DIFF) {
        pr_err("vdi: %s: unsupported image type %u (undo or unknown)\n", name, h->type);
        return ERR_NOTSUP;
    }
    memcpy(h->link_uuid, raw + VDI_OFF_UUID_LINK, 16);
    if (h->type == VDI_TYPE_DIFF && vd_uuid_is_zero(h->link_uuid)) {
        pr_err("vdi: %s: differencing image without a parent uuid (uuidLinkage is zero)\n",
               name);
        return ERR_CORRUPT;
    }
    /* 2. Sizes: sector, block, disk, block counts. */
    h->block_bytes = le32_at(raw, VDI_OFF_BLOCK_SIZE);
    h->disk_bytes = le64_at(raw, VDI_OFF_DISK_SIZE);
    h->blocks = le32_at(raw, VDI_OFF_BLOCKS);
    h->allocated = le32_at(raw, VDI_OFF_ALLOCATED);
    if (sector != 512) {
        pr_err("vdi: %s: bad sector size (%u, expected 512)\n", name, sector);
        return ERR_CORRUPT;
    }
    if (!vd_is_pow2(h->block_bytes) || h->block_bytes < VDI_BLOCK_MIN_BYTES ||
        h->block_bytes > VDI_BLOCK_MAX_BYTES) {
        pr_err("vdi: %s: bad block size (%u)\n", name, h->block_bytes);
        return ERR_CORRUPT;
    }
    if (extra != 0) {
        pr_err("vdi: %s: unsupported per-block extra data (%u bytes)\n", name, extra);
        return ERR_NOTSUP;
    }
    if (h->disk_bytes == 0 || h->disk_bytes % 512) {
        pr_err("vdi: %s: bad disk size (%llu)\n", name, (unsigned long long)h->disk_bytes);
        return ERR_CORRUPT;
    }
    need_blocks = (h->disk_bytes + h->block_bytes - 1) / h->block_bytes;
    if (h->blocks > VDI_MAX_BLOCKS || h->blocks < need_blocks) {
        pr_err("vdi: %s: bad block count (%u, disk needs %llu, max %u)\n", name, h->blocks,
               (unsigned long long)need_blocks, VDI_MAX_BLOCKS);
        return ERR_CORRUPT;
    }
    if (h->allocated > h->blocks) {
        pr_err("vdi: %s: more blocks allocated than exist (%u > %u)\n", name, h->allocated,
               h->blocks);
        return ERR_CORRUPT;
    }
    /* 3. Offsets: map after the header, data after the map, both in the file. */
    h->offset_bmap = le32_at(raw, VDI_OFF_OFFSET_BMAP);
    h->offset_data = le32_at(raw, VDI_OFF_OFFSET_DATA);
    map_end = (uint64_t)h->offset_bmap + (uint64_t)h->blocks * 4;
    if (h->offset_bmap % 512 || h->offset_data % 512 ||
        h->offset_bmap < VDI_OFF_HEADER_SIZE + hsize || map_end > h->offset_data ||
        h->offset_data > file_bytes) {
        pr_err("vdi: %s: bad map/data offsets (map %u, %u entries, data %u, file %llu)\n",
               name, h->offset_bmap, h->blocks, h->offset_data,
               (unsigned long long)file_bytes);
        return ERR_CORRUPT;
    }
    memcpy(h->uuid, raw + VDI_OFF_UUID_IMAGE, 16);
    memcpy(h->modify_uuid, raw + VDI_OFF_UUID_MODIFY, 16);
    if (h->type == VDI_TYPE_DIFF && memcmp(h->uuid, h->link_uuid, 16) == 0) {
        pr_err("vdi: %s: differencing image links to itself (uuidLinkage == uuidCreate)\n",
               name);
        return ERR_CORRUPT;
    }
    return 0;
}

/* The parent name we stored in the comment of a diff we created, into
 * dst[size] ("" when the comment is anything else: it is free text). */
static void vdi_parse_hint(const uint8_t *raw, char *dst, size_t size)
{
    const char *c = (const char *)raw + VDI_OFF_COMMENT;
    size_t plen = sizeof(vdi_hint_prefix) - 1;
    size_t len = strnlen(c, VDI_COMMENT_BYTES);

    dst[0] = '\0';
    if (len == VDI_COMMENT_BYTES || len <= plen || memcmp(c, vdi_hint_prefix, plen) != 0)
        return;
    kstrlcpy(dst, c + plen, size);
}

/* Load the block map and check every entry (range, duplicates). */
static int vdi_load_map(struct vd_image *img, struct vdi_state *s)
{
    const char *name = img->file->name;
    uint64_t in_file = (s->file_bytes - s->h.offset_data) / s->h.block_bytes;
    uint32_t limit = (uint32_t)MIN(in_file, (uint64_t)s->h.blocks);
    uint32_t top = 0;
    int rc;

    s->map = kmalloc((size_t)s->h.blocks * 4);
    s->used = kzalloc(s->h.blocks / 8 + 1);
    if (!s->map || !s->used)
        return ERR_NOMEM;
    rc = img->file->ops->read(img->file, s->h.offset_bmap, s->map, (size_t)s->h.blocks * 4);
    if (rc < 0)
        return rc == ERR_EOM ? ERR_CORRUPT : rc;
    for (uint32_t i = 0; i < s->h.blocks; i++) {
        uint32_t e = le32_at(s->map, (size_t)i * 4);
        s->map[i] = e;
        if (e == VDI_MAP_FREE || e == VDI_MAP_ZERO)
            continue;
        if (e >= limit) {
            pr_err("vdi: %s: block %u points outside the data area (index %u, %u fit)\n",
                   name, i, e, limit);
            return ERR_CORRUPT;
        }
        if (vdi_used(s, e)) {
            pr_err("vdi: %s: block %u overlaps another block (index %u)\n", name, i, e);
            return ERR_CORRUPT;
        }
        vdi_set_used(s, e);
        s->used_count++;
        top = MAX(top, e + 1);
    }
    if (s->used_count != s->h.allocated)
        pr_warn("vdi: %s: blocks_allocated %u disagrees with the map (%u used)\n", name,
                s->h.allocated, s->used_count);
    s->next_index = top;
    return 0;
}

static void vdi_free_state(struct vdi_state *s)
{
    if (!s)
        return;
    kfree(s->map);
    kfree(s->used);
    kfree(s);
}

/* 1. Read and validate the header; 2. load and check the map; 3. fill info. */
static int vdi_open(struct vd_image *img, unsigned flags)
{
    uint8_t raw[512];
    struct vdi_state *s;
    int rc;

    (void)flags;
    s = kzalloc(sizeof(*s));
    if (!s)
        return ERR_NOMEM;
    /* 1. */
    rc = img->file->ops->get_size(img->file, &s->file_bytes);
    if (rc < 0)
        goto err_free;
    rc = img->file->ops->read(img->file, 0, raw, sizeof(raw));
    if (rc == ERR_EOM) {
        pr_err("vdi: %s: file shorter than the header (%llu bytes)\n", img->file->name,
               (unsigned long long)s->file_bytes);
        rc = ERR_CORRUPT;
    }
    if (rc < 0)
        goto err_free;
    rc = vdi_parse_header(img->file->name, raw, s->file_bytes, &s->h);
    if (rc < 0)
        goto err_free;
    /* 2. */
    rc = vdi_load_map(img, s);
    if (rc < 0)
        goto err_free;
    /* 3. */
    memset(&img->info, 0, sizeof(img->info));
    kstrlcpy(img->info.format, "vdi", sizeof(img->info.format));
    kstrlcpy(img->info.variant,
             s->h.type == VDI_TYPE_FIXED  ? "fixed"
             : s->h.type == VDI_TYPE_DIFF ? "diff"
                                          : "dynamic",
             sizeof(img->info.variant));
    img->info.disk_bytes = s->h.disk_bytes;
    img->info.sector_size = 512;
    img->info.block_bytes = s->h.block_bytes;
    memcpy(img->info.uuid, s->h.uuid, 16);
    memcpy(img->info.modify_uuid, s->h.modify_uuid, 16);
    if (s->h.type == VDI_TYPE_DIFF) {
        /* The parent is found by uuid (vd_chain_open_bases); our hint first. */
        memcpy(img->info.parent_uuid, s->h.link_uuid, 16);
        img->info.parent_by_uuid = true;
        vdi_parse_hint(raw, img->info.parent, sizeof(img->info.parent));
    }
    img->priv = s;
    return 0;

err_free:
    vdi_free_state(s);
    return rc;
}

static void vdi_close(struct vd_image *img)
{
    vdi_free_state(img->priv);
    img->priv = NULL;
}

static int vdi_read(struct vd_image *img, uint64_t off, void *buf, size_t len, size_t *done)
{
    struct vdi_state *s = img->priv;
    uint32_t block = (uint32_t)(off / s->h.block_bytes);
    uint32_t in = (uint32_t)(off % s->h.block_bytes);
    size_t n = MIN(len, (size_t)(s->h.block_bytes - in));
    uint32_t e = s->map[block];
    int rc;

    *done = n;
    if (e == VDI_MAP_FREE)
        return VD_BLOCK_FREE;
    if (e == VDI_MAP_ZERO) {
        memset(buf, 0, n);
        return 0;
    }
    rc = img->file->ops->read(img->file,
                              s->h.offset_data + (uint64_t)e * s->h.block_bytes + in, buf, n);
    if (rc < 0)
        *done = 0;
    return rc;
}

/* The data-area index for a new block: the lowest unused one from
 * next_index on (the file ends there unless entries were leaked). */
static int vdi_pick_index(struct vdi_state *s, uint32_t *out)
{
    for (uint32_t i = s->next_index; i < s->h.blocks; i++) {
        if (!vdi_used(s, i)) {
            *out = i;
            return 0;
        }
    }
    for (uint32_t i = 0; i < s->next_index && i < s->h.blocks; i++) {
        if (!vdi_used(s, i)) {
            *out = i;
            return 0;
        }
    }
    return ERR_CORRUPT; /* every index taken but a block is free: impossible after load */
}

/* Allocate `block` holding `n` new bytes at `in` (rest zero), or the whole
 * caller buffer when it covers the block.
 * 1. Pick the data index; build the block.
 * 2. Write the block data (grows the file; undone on failure).
 * 3. Write the map entry - the commit point: from here the block is live.
 * 4. Rewrite blocks_allocated from the map. */
static int vdi_allocate(struct vd_image *img, struct vdi_state *s, uint32_t block, uint32_t in,
                        const void *data, size_t n)
{
    uint32_t bs = s->h.block_bytes;
    uint8_t *tmp = NULL;
    const void *src = data;
    uint64_t pos;
    uint32_t index;
    uint8_t le[4];
    int rc;

    /* 1. */
    rc = vdi_pick_index(s, &index);
    if (rc < 0)
        return rc;
    if (in != 0 || n != bs) {
        tmp = kzalloc(bs);
        if (!tmp)
            return ERR_NOMEM;
        memcpy(tmp + in, data, n);
        src = tmp;
    }
    pos = s->h.offset_data + (uint64_t)index * bs;
    /* 2. */
    if (pos + bs > s->file_bytes)
        rc = vd_file_append(img->file, s->file_bytes, pos, src, bs);
    else
        rc = img->file->ops->write(img->file, pos, src, bs);
    kfree(tmp);
    if (rc < 0)
        return rc;
    s->file_bytes = MAX(s->file_bytes, pos + bs);
    /* 3. */
    put_le32(le, 0, index);
    rc = img->file->ops->write(img->file, s->h.offset_bmap + (uint64_t)block * 4, le, 4);
    if (rc < 0)
        return rc;
    s->map[block] = index;
    vdi_set_used(s, index);
    s->used_count++;
    s->next_index = MAX(s->next_index, index + 1);
    /* 4. */
    put_le32(le, 0, s->used_count);
    return img->file->ops->write(img->file, VDI_OFF_ALLOCATED, le, 4);
}

static int vdi_write(struct vd_image *img, uint64_t off, const void *buf, size_t len,
                     unsigned flags, size_t *done)
{
    struct vdi_state *s = img->priv;
    uint32_t block = (uint32_t)(off / s->h.block_bytes);
    uint32_t in = (uint32_t)(off % s->h.block_bytes);
    size_t n = MIN(len, (size_t)(s->h.block_bytes - in));
    uint32_t e;
    int rc;

    *done = 0;
    if (img->readonly)
        return ERR_ROFS;
    e = s->map[block];
    if (e == VDI_MAP_FREE && s->h.type == VDI_TYPE_DIFF && !(flags & VD_WRITE_FULL_BLOCK)) {
        *done = n; /* the parent's block comes first: the chain copies it (COW) */
        return VD_BLOCK_FREE;
    }
    if (e == VDI_MAP_FREE || e == VDI_MAP_ZERO)
        rc = vdi_allocate(img, s, block, in, buf, n); /* old content: zeroes or the chain's */
    else
        rc = img->file->ops->write(img->file,
                                   s->h.offset_data + (uint64_t)e * s->h.block_bytes + in, buf,
                                   n);
    if (rc == 0)
        *done = n;
    return rc;
}

static int vdi_flush(struct vd_image *img)
{
    return img->file->ops->flush ? img->file->ops->flush(img->file) : 0;
}

/* Check a differencing image's options against its parent (VDCreateDiff:
 * same size; the parent's block size when it is a valid VDI one); 0,
 * ERR_NOTSUP (parent not a VDI with a uuid), ERR_INVAL, ERR_NAMETOOLONG. */
static int vdi_check_diff_opts(const struct vd_create_opts *opts, uint32_t *bs)
{
    const struct vd_info *p = opts->parent_info;

    if (!p || kstrcasecmp(p->format, "vdi") != 0 || vd_uuid_is_zero(p->uuid))
        return ERR_NOTSUP;
    if (opts->variant && kstrcasecmp(opts->variant, "diff") != 0 &&
        kstrcasecmp(opts->variant, "dynamic") != 0)
        return ERR_INVAL;
    if (opts->disk_bytes != p->disk_bytes)
        return ERR_INVAL;
    if (strlen(opts->parent) >= VDI_COMMENT_BYTES - (sizeof(vdi_hint_prefix) - 1))
        return ERR_NAMETOOLONG;
    if (vd_is_pow2(p->block_bytes) && p->block_bytes >= VDI_BLOCK_MIN_BYTES &&
        p->block_bytes <= VDI_BLOCK_MAX_BYTES &&
        opts->disk_bytes <= (uint64_t)VDI_MAX_BLOCKS * p->block_bytes)
        *bs = p->block_bytes;
    return 0;
}

/* 1. Check the options (a parent makes a differencing image);
 * 2. write header and map; 3. fixed: size the data area. */
static int vdi_create(struct vd_file *f, const struct vd_create_opts *opts)
{
    uint32_t bs = VDI_DEFAULT_BLOCK_BYTES;
    uint8_t hdr[512];
    uint32_t blocks, map_bytes, offset_data;
    uint8_t *map;
    bool fixed = false, diff = opts->parent && opts->parent[0];
    int rc;

    /* 1. */
    if (diff) {
        rc = vdi_check_diff_opts(opts, &bs);
        if (rc < 0)
            return rc;
    } else if (opts->variant) {
        if (kstrcasecmp(opts->variant, "fixed") == 0 || kstrcasecmp(opts->variant, "static") == 0)
            fixed = true;
        else if (kstrcasecmp(opts->variant, "dynamic") != 0)
            return ERR_INVAL;
    }
    if (opts->disk_bytes == 0 || opts->disk_bytes % 512 ||
        opts->disk_bytes > (uint64_t)VDI_MAX_BLOCKS * bs)
        return ERR_INVAL;
    blocks = (uint32_t)((opts->disk_bytes + bs - 1) / bs);
    map_bytes = ALIGN_UP(blocks * 4, 512u);
    offset_data = 512 + map_bytes;
    /* 2. */
    memset(hdr, 0, sizeof(hdr));
    memcpy(hdr, vdi_text, sizeof(vdi_text) - 1);
    put_le32(hdr, VDI_OFF_SIGNATURE, VDI_SIGNATURE);
    put_le32(hdr, VDI_OFF_VERSION, VDI_VERSION_1_1);
    put_le32(hdr, VDI_OFF_HEADER_SIZE, VDI_HEADER_SIZE_STD);
    put_le32(hdr, VDI_OFF_TYPE, diff ? VDI_TYPE_DIFF : fixed ? VDI_TYPE_FIXED : VDI_TYPE_NORMAL);
    put_le32(hdr, VDI_OFF_OFFSET_BMAP, 512);
    put_le32(hdr, VDI_OFF_OFFSET_DATA, offset_data);
    put_le32(hdr, VDI_OFF_SECTOR_SIZE, 512);
    put_le64(hdr, VDI_OFF_DISK_SIZE, opts->disk_bytes);
    put_le32(hdr, VDI_OFF_BLOCK_SIZE, bs);
    put_le32(hdr, VDI_OFF_BLOCKS, blocks);
    put_le32(hdr, VDI_OFF_ALLOCATED, fixed ? blocks : 0);
    vd_uuid_generate(hdr + VDI_OFF_UUID_IMAGE);
    vd_uuid_generate(hdr + VDI_OFF_UUID_MODIFY);
    if (diff) {
        memcpy(hdr + VDI_OFF_UUID_LINK, opts->parent_info->uuid, 16);
        memcpy(hdr + VDI_OFF_UUID_PARENT_MODIFY, opts->parent_info->modify_uuid, 16);
        memcpy(hdr + VDI_OFF_COMMENT, vdi_hint_prefix, sizeof(vdi_hint_prefix) - 1);
        memcpy(hdr + VDI_OFF_COMMENT + sizeof(vdi_hint_prefix) - 1, opts->parent,
               strlen(opts->parent)); /* length checked in step 1; the rest stays zero */
    }
    map = kmalloc(map_bytes);
    if (!map)
        return ERR_NOMEM;
    memset(map, 0, map_bytes);
    for (uint32_t i = 0; i < blocks; i++)
        put_le32(map, (size_t)i * 4, fixed ? i : VDI_MAP_FREE);
    rc = f->ops->set_size ? f->ops->set_size(f, 0) : 0;
    if (rc == 0)
        rc = f->ops->write(f, 0, hdr, sizeof(hdr));
    if (rc == 0)
        rc = f->ops->write(f, 512, map, map_bytes);
    kfree(map);
    /* 3. */
    if (rc == 0 && fixed)
        rc = f->ops->set_size ? f->ops->set_size(f, offset_data + (uint64_t)blocks * bs)
                              : ERR_NOTSUP;
    if (rc < 0 && f->ops->set_size)
        (void)f->ops->set_size(f, 0);
    return rc;
}

const struct vd_backend vd_backend_vdi = {
    .name = "vdi",
    .probe = vdi_probe,
    .open = vdi_open,
    .close = vdi_close,
    .read = vdi_read,
    .write = vdi_write,
    .flush = vdi_flush,
    .create = vdi_create,
};
