// SPDX-License-Identifier: MIT
/* kdisk convert (see convert.h). */
#include "tools/kdisk/convert.h"
#include "drivers/vdisk/lib/vd_chain.h"
#include "kernel/err.h"
#include "tools/kdisk/vd_host_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONVERT_CHUNK_BYTES (1u << 20) /* read this much per step */
#define CONVERT_ZERO_BYTES (64u * 1024) /* unit of the all-zero test */

static bool convert_is_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (p[i])
            return false;
    }
    return true;
}

/* Copy every non-zero unit of src into dst; progress on stderr. */
static int convert_copy(struct vd_chain *src, struct vd_chain *dst, const char *dst_path)
{
    uint64_t size = vd_chain_size(src), off = 0, written = 0;
    uint8_t *buf = malloc(CONVERT_CHUNK_BYTES);
    unsigned last_pct = 101;
    int rc = 0;

    if (!buf)
        return ERR_NOMEM;
    while (off < size && rc == 0) {
        size_t n = (size_t)(size - off < CONVERT_CHUNK_BYTES ? size - off : CONVERT_CHUNK_BYTES);
        rc = vd_chain_read(src, off, buf, n);
        for (size_t u = 0; rc == 0 && u < n; u += CONVERT_ZERO_BYTES) {
            size_t len = n - u < CONVERT_ZERO_BYTES ? n - u : CONVERT_ZERO_BYTES;
            if (convert_is_zero(buf + u, len))
                continue; /* a new image reads as zeroes already */
            rc = vd_chain_write(dst, off + u, buf + u, len);
            written += len;
        }
        off += n;
        unsigned pct = (unsigned)(off * 100 / size);
        if (pct != last_pct && (pct % 5 == 0 || off == size)) {
            fprintf(stderr, "\rkdisk: convert %s: %3u%% (%llu MiB written)", dst_path, pct,
                    (unsigned long long)(written >> 20));
            last_pct = pct;
        }
    }
    fprintf(stderr, "\n");
    free(buf);
    return rc;
}

/* 1. Open the source chain read-only. 2. Create DST (refusing an existing
 *    file) with the source's size. 3. Open it and copy; flush.
 * 4. On any failure after 2, remove DST. */
int kdisk_convert(const char *src, const char *dst, const char *format)
{
    struct vd_create_opts opts = { 0 };
    struct vd_chain *in = NULL, *out = NULL;
    struct vd_file *f;
    int rc;

    /* 1. */
    rc = vd_host_file_open(src, true, &f);
    if (rc == 0)
        rc = vd_chain_open(f, "auto", VD_OPEN_READONLY, 0, &in);
    if (rc < 0) {
        fprintf(stderr, "kdisk: convert: cannot open %s (%s)\n", src, err_name(rc));
        return rc;
    }
    /* 2. */
    if (access(dst, F_OK) == 0) {
        fprintf(stderr, "kdisk: convert: %s exists (not overwritten)\n", dst);
        vd_chain_close(in);
        return ERR_EXIST;
    }
    opts.disk_bytes = vd_chain_size(in);
    rc = vd_host_file_create(dst, &f);
    if (rc == 0)
        rc = vd_create(f, format, &opts);
    /* 3. */
    if (rc == 0) {
        rc = vd_host_file_open(dst, false, &f);
        if (rc == 0)
            rc = vd_chain_open(f, format, 0, 0, &out);
    }
    if (rc == 0 && vd_chain_size(out) < vd_chain_size(in))
        rc = ERR_RANGE; /* the format rounded the size down */
    if (rc == 0)
        rc = convert_copy(in, out, dst);
    if (rc == 0)
        rc = vd_chain_flush(out);
    vd_chain_close(out);
    vd_chain_close(in);
    /* 4. */
    if (rc < 0) {
        fprintf(stderr, "kdisk: convert %s -> %s (%s) failed (%s)\n", src, dst, format,
                err_name(rc));
        unlink(dst);
    }
    return rc;
}
