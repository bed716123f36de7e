// SPDX-License-Identifier: MIT
/* Raw and ISO backends; contract in raw.h. */
#include "drivers/vdisk/lib/raw.h"

#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

/* 0 when `f` holds an ISO 9660 volume descriptor at sector 16 and its size
 * is a whole number of 2048-byte sectors; ERR_NOTSUP otherwise. */
static int iso_probe(struct vd_file *f)
{
    uint8_t vd[8];
    uint64_t size;
    int rc;

    rc = f->ops->get_size(f, &size);
    if (rc < 0)
        return rc;
    if (size % RAW_ISO_SECTOR_BYTES || size < RAW_ISO_VD_OFFSET + RAW_ISO_SECTOR_BYTES)
        return ERR_NOTSUP;
    rc = f->ops->read(f, RAW_ISO_VD_OFFSET, vd, sizeof(vd));
    if (rc < 0)
        return rc;
    return memcmp(vd + 1, "CD001", 5) == 0 ? 0 : ERR_NOTSUP;
}

/* Raw matches any content; the chain tries it last. */
static int raw_probe(struct vd_file *f)
{
    (void)f;
    return 0;
}

/* Size the disk from the file: everything after raw_offset, whole sectors. */
static int raw_open_common(struct vd_image *img, uint32_t sector_bytes, const char *format)
{
    uint64_t size;
    int rc;

    rc = img->file->ops->get_size(img->file, &size);
    if (rc < 0)
        return rc;
    if (img->raw_offset % 512 || img->raw_offset >= size) {
        pr_err("vdisk: %s: raw offset outside the image (offset %llu, file %llu bytes)\n",
               img->file->name, (unsigned long long)img->raw_offset,
               (unsigned long long)size);
        return ERR_INVAL;
    }
    size -= img->raw_offset;
    if (size % sector_bytes) {
        pr_warn("vdisk: %s: ignoring %llu bytes after the last whole sector\n",
                img->file->name, (unsigned long long)(size % sector_bytes));
        size -= size % sector_bytes;
    }
    if (size == 0) {
        pr_err("vdisk: %s: image smaller than one sector (%u bytes)\n", img->file->name,
               sector_bytes);
        return ERR_CORRUPT;
    }
    memset(&img->info, 0, sizeof(img->info));
    kstrlcpy(img->info.format, format, sizeof(img->info.format));
    kstrlcpy(img->info.variant, img->raw_offset ? "offset" : "flat", sizeof(img->info.variant));
    img->info.disk_bytes = size;
    img->info.sector_size = sector_bytes;
    img->priv = NULL;
    return 0;
}

static int raw_open(struct vd_image *img, unsigned flags)
{
    (void)flags;
    return raw_open_common(img, 512, "raw");
}

static int iso_open(struct vd_image *img, unsigned flags)
{
    (void)flags;
    img->readonly = true;
    return raw_open_common(img, RAW_ISO_SECTOR_BYTES, "iso");
}

static void raw_close(struct vd_image *img)
{
    img->priv = NULL;
}

static int raw_read(struct vd_image *img, uint64_t off, void *buf, size_t len, size_t *done)
{
    int rc = img->file->ops->read(img->file, img->raw_offset + off, buf, len);

    *done = rc < 0 ? 0 : len;
    return rc;
}

static int raw_write(struct vd_image *img, uint64_t off, const void *buf, size_t len,
                     unsigned flags, size_t *done)
{
    int rc;

    (void)flags;
    *done = 0;
    if (img->readonly)
        return ERR_ROFS;
    rc = img->file->ops->write(img->file, img->raw_offset + off, buf, len);
    if (rc == 0)
        *done = len;
    return rc;
}

static int raw_flush(struct vd_image *img)
{
    return img->file->ops->flush ? img->file->ops->flush(img->file) : 0;
}

static int raw_create(struct vd_file *f, const struct vd_create_opts *opts)
{
    int rc;

    if (opts->parent && opts->parent[0])
        return ERR_NOTSUP;
    if (opts->disk_bytes == 0 || opts->disk_bytes % 512)
        return ERR_INVAL;
    if (!f->ops->set_size)
        return ERR_NOTSUP;
    rc = f->ops->set_size(f, 0);
    if (rc == 0)
        rc = f->ops->set_size(f, opts->disk_bytes);
    if (rc < 0)
        (void)f->ops->set_size(f, 0);
    return rc;
}

const struct vd_backend vd_backend_raw = {
    .name = "raw",
    .probe = raw_probe,
    .open = raw_open,
    .close = raw_close,
    .read = raw_read,
    .write = raw_write,
    .flush = raw_flush,
    .create = raw_create,
};

const struct vd_backend vd_backend_iso = {
    .name = "iso",
    .probe = iso_probe,
    .open = iso_open,
    .close = raw_close,
    .read = raw_read,
    .write = raw_write,
    .flush = raw_flush,
    .create = NULL,
};
