// SPDX-License-Identifier: MIT
/* Image-file DISKFUNC driver for kdisk (see image_disk.h): raw files go
 * straight to pread/pwrite (no layer in between, as fast as before); any
 * other format found by vd_probe goes through an image chain. */
#include "tools/kdisk/image_disk.h"
#include "blkdev/disk.h"
#include "drivers/ramdisk/memclip.h"
#include "drivers/vdisk/lib/vd_chain.h"
#include "kernel/err.h"
#include "tools/kdisk/vd_host_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct image_disk {
    int fd;
    uint32_t sector_size;
    uint64_t sectors;
    int readonly;
    char path[4096];
};

static void STDCALL image_close(void *userdata)
{
    struct image_disk *img = userdata;
    close(img->fd);
    free(img);
}

static int STDCALL image_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct image_disk *img = userdata;
    info->flags = img->readonly ? DISK_MEDIA_READONLY : 0;
    info->sectorsize = img->sector_size;
    info->capacity = img->sectors;
    return DISK_STATUS_OK;
}

/* Shared by read and write: clip to the image, loop over short transfers. */
static int image_rw(struct image_disk *img, void *buf, int64_t start, int *numsectors, int write)
{
    int want = *numsectors;
    *numsectors = 0;
    if (start < 0 || want < 0)
        return DISK_STATUS_INVALID_CALL;
    if ((uint64_t)start >= img->sectors)
        return want ? DISK_STATUS_END_OF_MEDIA : DISK_STATUS_OK;
    int avail = (uint64_t)want > img->sectors - (uint64_t)start
                    ? (int)(img->sectors - (uint64_t)start)
                    : want;
    size_t bytes = (size_t)avail * img->sector_size;
    off_t off = (off_t)start * img->sector_size;
    size_t done = 0;
    while (done < bytes) {
        ssize_t n = write ? pwrite(img->fd, (const char *)buf + done, bytes - done, off + done)
                          : pread(img->fd, (char *)buf + done, bytes - done, off + done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    *numsectors = (int)(done / img->sector_size);
    if (done < bytes)
        return DISK_STATUS_GENERAL_ERROR;
    return avail < want ? DISK_STATUS_END_OF_MEDIA : DISK_STATUS_OK;
}

static int STDCALL image_read(void *userdata, void *buf, int64_t start, int *numsectors)
{
    return image_rw(userdata, buf, start, numsectors, 0);
}

static int STDCALL image_write(void *userdata, const void *buf, int64_t start, int *numsectors)
{
    struct image_disk *img = userdata;
    if (img->readonly) {
        *numsectors = 0;
        return DISK_STATUS_GENERAL_ERROR;
    }
    return image_rw(img, (void *)(uintptr_t)buf, start, numsectors, 1);
}

static int STDCALL image_flush(void *userdata)
{
    struct image_disk *img = userdata;
    if (img->readonly)
        return DISK_STATUS_OK;
    return fsync(img->fd) == 0 ? DISK_STATUS_OK : DISK_STATUS_GENERAL_ERROR;
}

static DISKFUNC image_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = image_close,
    .querymedia = image_querymedia,
    .read = image_read,
    .write = image_write,
    .flush = image_flush,
};

/* ---- images in a format: through drivers/vdisk/lib chains ---------------------------------- */

struct chain_disk {
    struct vd_chain *chain; /* owns the files */
    uint32_t sector_size;
    uint64_t sectors;
    bool readonly;
};

static void STDCALL chain_close(void *userdata)
{
    struct chain_disk *cd = userdata;
    vd_chain_close(cd->chain);
    free(cd);
}

static int STDCALL chain_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct chain_disk *cd = userdata;
    info->flags = cd->readonly ? DISK_MEDIA_READONLY : 0;
    info->sectorsize = cd->sector_size;
    info->capacity = cd->sectors;
    return DISK_STATUS_OK;
}

/* Clip, then the whole request through the chain or nothing. */
static int chain_rw(struct chain_disk *cd, void *buf, int64_t start, int *numsectors, int write)
{
    uint32_t count;
    int status = memclip(cd->sectors, start, *numsectors, &count);
    int rc = 0;

    *numsectors = 0;
    if (count == 0)
        return status;
    uint64_t off = (uint64_t)start * cd->sector_size;
    size_t len = (size_t)count * cd->sector_size;
    rc = write ? vd_chain_write(cd->chain, off, buf, len) : vd_chain_read(cd->chain, off, buf, len);
    if (rc < 0) {
        fprintf(stderr, "kdisk: image %s failed at sector %lld (%s)\n", write ? "write" : "read",
                (long long)start, err_name(rc));
        return rc == ERR_EOM ? DISK_STATUS_END_OF_MEDIA
                             : rc == ERR_NOMEM ? DISK_STATUS_NO_MEMORY : DISK_STATUS_GENERAL_ERROR;
    }
    *numsectors = (int)count;
    return status;
}

static int STDCALL chain_read(void *userdata, void *buf, int64_t start, int *numsectors)
{
    return chain_rw(userdata, buf, start, numsectors, 0);
}

static int STDCALL chain_write(void *userdata, const void *buf, int64_t start, int *numsectors)
{
    struct chain_disk *cd = userdata;
    if (cd->readonly) {
        *numsectors = 0;
        return DISK_STATUS_GENERAL_ERROR;
    }
    return chain_rw(cd, (void *)(uintptr_t)buf, start, numsectors, 1);
}

static int STDCALL chain_flush(void *userdata)
{
    struct chain_disk *cd = userdata;
    return vd_chain_flush(cd->chain) == 0 ? DISK_STATUS_OK : DISK_STATUS_GENERAL_ERROR;
}

static DISKFUNC chain_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = chain_close,
    .querymedia = chain_querymedia,
    .read = chain_read,
    .write = chain_write,
    .flush = chain_flush,
};

/* Open the chain of `path` (writable if the file is) and register it. */
static int chain_disk_add(const char *name, const char *path, uint32_t sector_size)
{
    struct chain_disk *cd = NULL;
    struct vd_file *f;
    struct disk *d;
    int rc = vd_host_file_open(path, false, &f);

    if (rc == 0) {
        cd = calloc(1, sizeof(*cd));
        if (!cd) {
            f->ops->close(f);
            return ERR_NOMEM;
        }
        rc = vd_chain_open(f, "auto", 0, 0, &cd->chain);
        if (rc < 0)
            free(cd);
    }
    if (rc < 0) {
        fprintf(stderr, "kdisk: %s: cannot open image (%s)\n", path, err_name(rc));
        return rc;
    }
    uint32_t chain_ss = vd_chain_sector_size(cd->chain);
    if (sector_size % chain_ss || vd_chain_size(cd->chain) < sector_size) {
        fprintf(stderr, "kdisk: %s: sector size %u does not fit the image (%u, %llu bytes)\n",
                path, sector_size, chain_ss, (unsigned long long)vd_chain_size(cd->chain));
        chain_close(cd);
        return ERR_INVAL;
    }
    cd->sector_size = sector_size;
    cd->sectors = vd_chain_size(cd->chain) / sector_size;
    cd->readonly = vd_chain_readonly(cd->chain);
    rc = disk_add(&chain_funcs, name, cd, 0, &d);
    if (rc) {
        fprintf(stderr, "kdisk: cannot add disk '%s' (%s)\n", name, err_name(rc));
        chain_close(cd);
        return rc;
    }
    disk_media_changed(d, true);
    return 0;
}

/* The image's format by content, NULL when unknown or unreadable. */
static const char *image_format(const char *path)
{
    const struct vd_backend *b = NULL;
    struct vd_file *f;

    if (vd_host_file_open(path, true, &f) < 0)
        return NULL;
    if (vd_probe(f, &b) < 0)
        b = NULL;
    f->ops->close(f);
    return b ? b->name : NULL;
}

int image_disk_add(const char *name, const char *path, uint32_t sector_size)
{
    struct stat st;
    struct disk *d;

    /* 0. A known image format goes through its chain; raw and iso stay here. */
    const char *format = image_format(path);
    if (format && strcmp(format, "raw") != 0 && strcmp(format, "iso") != 0)
        return chain_disk_add(name, path, sector_size);

    /* 1. Open read-write if we may, read-only otherwise. */
    struct image_disk *img = calloc(1, sizeof(*img));
    if (!img)
        return ERR_NOMEM;
    img->fd = open(path, O_RDWR);
    if (img->fd < 0 && (errno == EACCES || errno == EROFS)) {
        img->fd = open(path, O_RDONLY);
        img->readonly = 1;
    }
    if (img->fd < 0) {
        fprintf(stderr, "kdisk: %s: %s\n", path, strerror(errno));
        free(img);
        return ERR_NOENT;
    }
    /* 2. Size in whole sectors. */
    if (fstat(img->fd, &st) != 0 || st.st_size < (off_t)sector_size) {
        fprintf(stderr, "kdisk: %s: smaller than one %u-byte sector\n", path, sector_size);
        close(img->fd);
        free(img);
        return ERR_INVAL;
    }
    img->sector_size = sector_size;
    img->sectors = (uint64_t)st.st_size / sector_size;
    if ((uint64_t)st.st_size % sector_size)
        fprintf(stderr, "kdisk: %s: ignoring a partial last sector (%llu bytes)\n", path,
                (unsigned long long)((uint64_t)st.st_size % sector_size));
    snprintf(img->path, sizeof(img->path), "%s", path);
    /* 3. Register through the same DiskAdd the kernel's drivers use. */
    int rc = disk_add(&image_funcs, name, img, 0, &d);
    if (rc) {
        fprintf(stderr, "kdisk: cannot add disk '%s' (%s)\n", name, err_name(rc));
        close(img->fd);
        free(img);
        return rc;
    }
    disk_media_changed(d, true);
    return 0;
}
