// SPDX-License-Identifier: MIT
/* Image-file DISKFUNC driver for kdisk (see image_disk.h). */
#include "tools/kdisk/image_disk.h"
#include "blkdev/disk.h"
#include "kernel/err.h"

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

int image_disk_add(const char *name, const char *path, uint32_t sector_size)
{
    struct stat st;
    struct disk *d;

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
