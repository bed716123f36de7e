// SPDX-License-Identifier: MIT
/* File- or memory-backed sector reader for the partition tests; contract in
 * fake_sector_reader.h. Hosted only (uses POSIX pread). */
#include "tests/fakes/fake_sector_reader.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/err.h"
#include "kernel/lib/kstring.h"

static int fsr_read(void *ctx, lba_t lba, uint32_t count, void *buf)
{
    struct fake_sector_reader *f = ctx;
    uint32_t ss = f->reader.sector_size;
    size_t bytes = (size_t)count * ss;

    f->reads++;
    if (count > f->max_count)
        f->max_count = count;
    if (lba >= f->reader.capacity_sectors || count > f->reader.capacity_sectors - lba) {
        f->out_of_range++;
        return ERR_EOM;
    }
    if (f->fail_enabled && f->fail_lba >= lba && f->fail_lba - lba < count)
        return f->fail_err;
    if (f->mem) {
        memcpy(buf, f->mem + lba * ss, bytes);
        return 0;
    }
    if (pread(f->fd, buf, bytes, (off_t)(lba * ss)) != (ssize_t)bytes)
        return ERR_IO;
    return 0;
}

static void fsr_init_common(struct fake_sector_reader *f, uint32_t sector_size,
                            const char *disk_name)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->reader.ctx = f;
    f->reader.disk_name = disk_name;
    f->reader.sector_size = sector_size;
    f->reader.read = fsr_read;
}

int fsr_open_image(struct fake_sector_reader *f, const char *path, uint32_t sector_size,
                   const char *disk_name)
{
    struct stat st;

    fsr_init_common(f, sector_size, disk_name);
    f->fd = open(path, O_RDONLY);
    if (f->fd < 0 || fstat(f->fd, &st) != 0) {
        fsr_close(f);
        return ERR_NOENT;
    }
    f->reader.capacity_sectors = (lba_t)st.st_size / sector_size;
    return 0;
}

int fsr_open_image_copy(struct fake_sector_reader *f, const char *path, uint32_t sector_size,
                        const char *disk_name)
{
    size_t bytes;
    int err = fsr_open_image(f, path, sector_size, disk_name);

    if (err)
        return err;
    bytes = (size_t)f->reader.capacity_sectors * sector_size;
    f->mem = malloc(bytes ? bytes : 1);
    if (!f->mem || pread(f->fd, f->mem, bytes, 0) != (ssize_t)bytes) {
        fsr_close(f);
        return ERR_NOMEM;
    }
    close(f->fd);
    f->fd = -1;
    return 0;
}

int fsr_init_memory(struct fake_sector_reader *f, lba_t sectors, uint32_t sector_size,
                    const char *disk_name)
{
    fsr_init_common(f, sector_size, disk_name);
    f->mem = calloc((size_t)sectors, sector_size);
    if (!f->mem)
        return ERR_NOMEM;
    f->reader.capacity_sectors = sectors;
    return 0;
}

void fsr_close(struct fake_sector_reader *f)
{
    if (f->fd >= 0)
        close(f->fd);
    free(f->mem);
    f->fd = -1;
    f->mem = NULL;
}
