// SPDX-License-Identifier: MIT
/* libFuzzer harness: the virtual-disk formats (drivers/vdisk/lib): probe
 * and open the input as an image file (read-only, no parents: a backing
 * file reference cannot be opened), then read the virtual disk at a spread
 * of offsets, including both ends. The image lives in memory behind a
 * struct vd_file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/vdisk/lib/vd_chain.h"
#include "kernel/err.h"

struct fz_file {
    struct vd_file f;
    const uint8_t *data;
    size_t len;
};

static int fz_read(struct vd_file *vf, uint64_t off, void *buf, size_t len)
{
    struct fz_file *f = (struct fz_file *)vf;
    if (off > f->len || len > f->len - off)
        return ERR_EOM;
    memcpy(buf, f->data + off, len);
    return 0;
}

static int fz_write(struct vd_file *vf, uint64_t off, const void *buf, size_t len)
{
    (void)vf, (void)off, (void)buf, (void)len;
    return ERR_ROFS;
}

static int fz_get_size(struct vd_file *vf, uint64_t *bytes)
{
    *bytes = ((struct fz_file *)vf)->len;
    return 0;
}

static int fz_set_size(struct vd_file *vf, uint64_t bytes)
{
    (void)vf, (void)bytes;
    return ERR_ROFS;
}

static int fz_flush(struct vd_file *vf)
{
    (void)vf;
    return 0;
}

static void fz_close(struct vd_file *vf)
{
    free(vf);
}

static const struct vd_file_ops fz_ops = {
    .read = fz_read,
    .write = fz_write,
    .get_size = fz_get_size,
    .set_size = fz_set_size,
    .flush = fz_flush,
    .open_relative = NULL,
    .close = fz_close,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static uint8_t buf[65536];
    struct vd_chain *c;
    struct fz_file *f = calloc(1, sizeof(*f));
    if (!f)
        return 0;
    f->f.ops = &fz_ops;
    f->f.readonly = true;
    strcpy(f->f.name, "fuzz.img");
    f->data = data;
    f->len = len;
    if (vd_chain_open(&f->f, NULL, VD_OPEN_READONLY, 0, &c))
        return 0; /* the chain owns and closed the file */
    uint64_t size = vd_chain_size(c);
    uint32_t ss = vd_chain_sector_size(c);
    if (ss != 512 && ss != 2048)
        abort();
    /* Sixteen reads spread over the disk, the last one at its very end. */
    for (unsigned i = 0; i < 16 && size; i++) {
        uint64_t off = size / 16 * i;
        size_t n = (size_t)(size - off < sizeof(buf) ? size - off : sizeof(buf));
        if (i == 15)
            off = size - n;
        vd_chain_read(c, off - off % ss, buf, n - n % ss);
    }
    vd_chain_close(c);
    return 0;
}
