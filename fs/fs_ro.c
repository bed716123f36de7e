// SPDX-License-Identifier: MIT
/* The shared pieces of the read-only file systems' vfs operations (see
 * fs_ro.h): the ERR_ROFS stubs, the name a path spells, a label cut at a
 * UTF-8 character start. */
#include "fs/fs_ro.h"
#include "kernel/err.h"
#include "kernel/lib/kstring.h"

int fs_ro_create(void *fs, const char *path, const void *buf, uint32_t len, uint32_t *done)
{
    (void)fs, (void)path, (void)buf, (void)len;
    *done = 0;
    return ERR_ROFS;
}

int fs_ro_write(void *fs, const char *path, uint64_t off, const void *buf, uint32_t len,
                unsigned flags, uint32_t *done)
{
    (void)fs, (void)path, (void)off, (void)buf, (void)len, (void)flags;
    *done = 0;
    return ERR_ROFS;
}

int fs_ro_set_end(void *fs, const char *path, uint64_t size)
{
    (void)fs, (void)path, (void)size;
    return ERR_ROFS;
}

int fs_ro_set_info(void *fs, const char *path, const struct vfs_info *in)
{
    (void)fs, (void)path, (void)in;
    return ERR_ROFS;
}

int fs_ro_remove(void *fs, const char *path)
{
    (void)fs, (void)path;
    return ERR_ROFS;
}

int fs_ro_mkdir(void *fs, const char *path)
{
    (void)fs, (void)path;
    return ERR_ROFS;
}

int fs_ro_rename(void *fs, const char *from, const char *to)
{
    (void)fs, (void)from, (void)to;
    return ERR_ROFS;
}

int fs_ro_set_label(void *fs, const char *label)
{
    (void)fs, (void)label;
    return ERR_ROFS;
}

int fs_ro_sync(void *fs)
{
    (void)fs;
    return 0;
}

void fs_ro_name_from_path(const char *path, char *out, size_t cap)
{
    const char *name = path;
    size_t len = strlen(path);
    while (len > 0 && path[len - 1] == '/')
        len--;
    for (const char *s = path; s < path + len; s++) {
        if (*s == '/')
            name = s + 1;
    }
    size_t n = MIN((size_t)(path + len - name), cap - 1);
    memcpy(out, name, n);
    out[n] = '\0';
}

void fs_ro_label_copy(char *out, size_t cap, const char *label)
{
    size_t n = strlen(label);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((uint8_t)label[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, label, n);
    out[n] = '\0';
}
