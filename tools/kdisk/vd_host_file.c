// SPDX-License-Identifier: MIT
/* Host-file vd_file over pread/pwrite (see vd_host_file.h). */
#include "tools/kdisk/vd_host_file.h"
#include "kernel/err.h"
#include "kernel/lib/path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct vd_host_file {
    struct vd_file base; /* first: the vd_file pointer is this pointer */
    int fd;
    char path[PATH_MAX];
};

static int vd_host_errno(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return ERR_NOENT;
    case EACCES:
    case EPERM:
        return ERR_ACCESS;
    case ENOSPC:
    case EDQUOT:
        return ERR_NOSPC;
    case EFBIG:
        return ERR_FBIG;
    case EROFS:
        return ERR_ROFS;
    case ENOMEM:
        return ERR_NOMEM;
    case EISDIR:
        return ERR_ISDIR;
    case ENAMETOOLONG:
        return ERR_NAMETOOLONG;
    default:
        return ERR_IO;
    }
}

static int vd_host_read(struct vd_file *vf, uint64_t off, void *buf, size_t len)
{
    struct vd_host_file *f = (struct vd_host_file *)vf;
    size_t done = 0;

    while (done < len) {
        ssize_t n = pread(f->fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return vd_host_errno(errno);
        if (n == 0)
            return ERR_EOM;
        done += (size_t)n;
    }
    return 0;
}

static int vd_host_write(struct vd_file *vf, uint64_t off, const void *buf, size_t len)
{
    struct vd_host_file *f = (struct vd_host_file *)vf;
    size_t done = 0;

    if (vf->readonly)
        return ERR_ROFS;
    while (done < len) {
        ssize_t n = pwrite(f->fd, (const char *)buf + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? vd_host_errno(errno) : ERR_IO;
        done += (size_t)n;
    }
    return 0;
}

static int vd_host_get_size(struct vd_file *vf, uint64_t *bytes)
{
    struct vd_host_file *f = (struct vd_host_file *)vf;
    struct stat st;

    if (fstat(f->fd, &st) != 0)
        return vd_host_errno(errno);
    *bytes = (uint64_t)st.st_size;
    return 0;
}

static int vd_host_set_size(struct vd_file *vf, uint64_t bytes)
{
    struct vd_host_file *f = (struct vd_host_file *)vf;

    if (vf->readonly)
        return ERR_ROFS;
    return ftruncate(f->fd, (off_t)bytes) == 0 ? 0 : vd_host_errno(errno);
}

static int vd_host_flush(struct vd_file *vf)
{
    struct vd_host_file *f = (struct vd_host_file *)vf;

    if (vf->readonly)
        return 0;
    return fsync(f->fd) == 0 ? 0 : vd_host_errno(errno);
}

static int vd_host_open_relative(struct vd_file *vf, const char *name, bool readonly,
                                 struct vd_file **out)
{
    struct vd_host_file *f = (struct vd_host_file *)vf;
    char path[PATH_MAX];
    int rc = path_resolve(f->path, name, path, sizeof(path));

    if (rc < 0)
        return rc;
    return vd_host_file_open(path, readonly, out);
}

static void vd_host_close(struct vd_file *vf)
{
    struct vd_host_file *f = (struct vd_host_file *)vf;

    close(f->fd);
    free(f);
}

static const struct vd_file_ops vd_host_ops = {
    .read = vd_host_read,
    .write = vd_host_write,
    .get_size = vd_host_get_size,
    .set_size = vd_host_set_size,
    .flush = vd_host_flush,
    .open_relative = vd_host_open_relative,
    .close = vd_host_close,
};

static int vd_host_file_new(const char *path, int flags, bool readonly, struct vd_file **out)
{
    struct vd_host_file *f = calloc(1, sizeof(*f));
    size_t len = strlen(path);
    struct stat st;

    if (!f)
        return ERR_NOMEM;
    if (len >= sizeof(f->path)) {
        free(f);
        return ERR_NAMETOOLONG;
    }
    f->fd = open(path, flags, 0644);
    if (f->fd < 0) {
        int rc = vd_host_errno(errno);
        free(f);
        return rc;
    }
    if (fstat(f->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(f->fd);
        free(f);
        return ERR_ISDIR;
    }
    memcpy(f->path, path, len + 1);
    f->base.ops = &vd_host_ops;
    f->base.readonly = readonly;
    /* The tail tells images apart (the chain compares names for cycles). */
    if (len < sizeof(f->base.name))
        memcpy(f->base.name, path, len + 1);
    else
        snprintf(f->base.name, sizeof(f->base.name), "...%s",
                 path + len - (sizeof(f->base.name) - 4));
    *out = &f->base;
    return 0;
}

int vd_host_file_open(const char *path, bool readonly, struct vd_file **out)
{
    if (readonly)
        return vd_host_file_new(path, O_RDONLY, true, out);
    int rc = vd_host_file_new(path, O_RDWR, false, out);
    if (rc == ERR_ACCESS || rc == ERR_ROFS)
        rc = vd_host_file_new(path, O_RDONLY, true, out);
    return rc;
}

int vd_host_file_create(const char *path, struct vd_file **out)
{
    return vd_host_file_new(path, O_RDWR | O_CREAT | O_TRUNC, false, out);
}
