// SPDX-License-Identifier: MIT
/* Memory-backed vd_file file system for hosted tests; contract in
 * mem_vd_file.h. Hosted only (stdio for load/save). */
#include "tests/fakes/mem_vd_file.h"

#include <stdio.h>
#include <stdlib.h>

#include "kernel/err.h"
#include "kernel/lib/kstring.h"

#define MEM_VD_PATH_MAX 128 /* = sizeof(struct vd_file.name) */

struct mem_vd_node {
    char path[MEM_VD_PATH_MAX];
    uint8_t *data;
    size_t size;
    size_t cap;
    unsigned refs;  /* open handles */
    bool removed;   /* no longer in the table; freed at the last close */
};

struct mem_vd_fs {
    struct mem_vd_node *nodes[MEM_VD_FS_MAX_FILES];
    int64_t free_bytes;      /* growth left, -1 = unlimited */
    unsigned fail_in;        /* write calls until the planned failure, 0 = none */
    bool fail_persistent;
    unsigned long write_calls;
    unsigned handles;
};

struct mem_vd_handle {
    struct vd_file base;     /* first: a vd_file pointer is a handle pointer */
    struct mem_vd_fs *fs;
    struct mem_vd_node *node;
};

static const struct vd_file_ops mem_vd_ops;

/* Normalise absolute `path` ("." and ".." and repeated '/') into out. */
static int mem_vd_normalise(const char *path, char *out, size_t size)
{
    size_t pos = 0;
    const char *p = path;

    if (path[0] != '/')
        return ERR_INVAL;
    while (*p) {
        const char *start;
        size_t len;
        while (*p == '/')
            p++;
        start = p;
        while (*p && *p != '/')
            p++;
        len = (size_t)(p - start);
        if (len == 0 || (len == 1 && start[0] == '.'))
            continue;
        if (len == 2 && start[0] == '.' && start[1] == '.') {
            while (pos > 0 && out[pos - 1] != '/')
                pos--;
            if (pos > 0)
                pos--;
            continue;
        }
        if (pos + 1 + len + 1 > size)
            return ERR_NAMETOOLONG;
        out[pos++] = '/';
        memcpy(out + pos, start, len);
        pos += len;
    }
    if (pos == 0)
        out[pos++] = '/';
    out[pos] = '\0';
    return 0;
}

static struct mem_vd_node *mem_vd_find(struct mem_vd_fs *fs, const char *path, int *slot)
{
    char norm[MEM_VD_PATH_MAX];

    if (mem_vd_normalise(path, norm, sizeof(norm)) < 0)
        return NULL;
    for (int i = 0; i < MEM_VD_FS_MAX_FILES; i++) {
        if (fs->nodes[i] && strcmp(fs->nodes[i]->path, norm) == 0) {
            if (slot)
                *slot = i;
            return fs->nodes[i];
        }
    }
    return NULL;
}

static void mem_vd_node_put(struct mem_vd_node *n)
{
    if (n->refs == 0 && n->removed) {
        free(n->data);
        free(n);
    }
}

/* Take node `n` out of the table (freed now or at its last close). */
static void mem_vd_unlink(struct mem_vd_fs *fs, int slot)
{
    struct mem_vd_node *n = fs->nodes[slot];

    fs->nodes[slot] = NULL;
    if (fs->free_bytes >= 0)
        fs->free_bytes += (int64_t)n->size;
    n->removed = true;
    mem_vd_node_put(n);
}

struct mem_vd_fs *mem_vd_fs_new(void)
{
    struct mem_vd_fs *fs = calloc(1, sizeof(*fs));

    if (fs)
        fs->free_bytes = -1;
    return fs;
}

void mem_vd_fs_free(struct mem_vd_fs *fs)
{
    if (!fs)
        return;
    for (int i = 0; i < MEM_VD_FS_MAX_FILES; i++) {
        if (fs->nodes[i])
            mem_vd_unlink(fs, i);
    }
    free(fs);
}

int mem_vd_fs_add(struct mem_vd_fs *fs, const char *path, const void *data, size_t len)
{
    struct mem_vd_node *n;
    int slot = -1;

    if (mem_vd_find(fs, path, &slot))
        mem_vd_unlink(fs, slot);
    slot = -1;
    for (int i = 0; i < MEM_VD_FS_MAX_FILES && slot < 0; i++) {
        if (!fs->nodes[i])
            slot = i;
    }
    if (slot < 0)
        return ERR_NOSPC;
    n = calloc(1, sizeof(*n));
    if (!n)
        return ERR_NOMEM;
    if (mem_vd_normalise(path, n->path, sizeof(n->path)) < 0) {
        free(n);
        return ERR_INVAL;
    }
    n->cap = len ? len : 1;
    n->data = malloc(n->cap);
    if (!n->data) {
        free(n);
        return ERR_NOMEM;
    }
    if (len)
        memcpy(n->data, data, len);
    n->size = len;
    fs->nodes[slot] = n;
    return 0;
}

int mem_vd_fs_load(struct mem_vd_fs *fs, const char *path, const char *host_path)
{
    FILE *fp = fopen(host_path, "rb");
    uint8_t *buf;
    long size;
    int rc;

    if (!fp)
        return ERR_NOENT;
    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return ERR_IO;
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        fclose(fp);
        return ERR_NOMEM;
    }
    rc = fread(buf, 1, (size_t)size, fp) == (size_t)size ? 0 : ERR_IO;
    fclose(fp);
    if (rc == 0)
        rc = mem_vd_fs_add(fs, path, buf, (size_t)size);
    free(buf);
    return rc;
}

int mem_vd_fs_save(struct mem_vd_fs *fs, const char *path, const char *host_path)
{
    struct mem_vd_node *n = mem_vd_find(fs, path, NULL);
    FILE *fp;
    int rc;

    if (!n)
        return ERR_NOENT;
    fp = fopen(host_path, "wb");
    if (!fp)
        return ERR_IO;
    rc = fwrite(n->data, 1, n->size, fp) == n->size ? 0 : ERR_IO;
    if (fclose(fp) != 0)
        rc = ERR_IO;
    return rc;
}

int mem_vd_fs_remove(struct mem_vd_fs *fs, const char *path)
{
    int slot;

    if (!mem_vd_find(fs, path, &slot))
        return ERR_NOENT;
    mem_vd_unlink(fs, slot);
    return 0;
}

const uint8_t *mem_vd_fs_data(struct mem_vd_fs *fs, const char *path, size_t *len)
{
    struct mem_vd_node *n = mem_vd_find(fs, path, NULL);

    if (!n)
        return NULL;
    *len = n->size;
    return n->data;
}

static int mem_vd_open_node(struct mem_vd_fs *fs, struct mem_vd_node *n, bool readonly,
                            struct vd_file **out)
{
    struct mem_vd_handle *h = calloc(1, sizeof(*h));

    if (!h)
        return ERR_NOMEM;
    h->base.ops = &mem_vd_ops;
    h->base.readonly = readonly;
    kstrlcpy(h->base.name, n->path, sizeof(h->base.name));
    h->fs = fs;
    h->node = n;
    n->refs++;
    fs->handles++;
    *out = &h->base;
    return 0;
}

int mem_vd_fs_open(struct mem_vd_fs *fs, const char *path, bool readonly, struct vd_file **out)
{
    struct mem_vd_node *n = mem_vd_find(fs, path, NULL);

    if (!n)
        return ERR_NOENT;
    return mem_vd_open_node(fs, n, readonly, out);
}

int mem_vd_fs_create(struct mem_vd_fs *fs, const char *path, struct vd_file **out)
{
    int rc = mem_vd_fs_add(fs, path, NULL, 0);

    if (rc < 0)
        return rc;
    return mem_vd_fs_open(fs, path, false, out);
}

void mem_vd_fs_set_free_space(struct mem_vd_fs *fs, int64_t bytes)
{
    fs->free_bytes = bytes;
}

void mem_vd_fs_fail_write(struct mem_vd_fs *fs, unsigned n, bool persistent)
{
    fs->fail_in = n;
    fs->fail_persistent = persistent;
}

unsigned long mem_vd_fs_write_calls(const struct mem_vd_fs *fs)
{
    return fs->write_calls;
}

unsigned mem_vd_fs_open_handles(const struct mem_vd_fs *fs)
{
    return fs->handles;
}

/* Count a write-type call; true when the fault plan fails it. */
static bool mem_vd_fault(struct mem_vd_fs *fs)
{
    fs->write_calls++;
    if (fs->fail_in == 0)
        return false;
    if (fs->fail_in == 1) {
        if (!fs->fail_persistent)
            fs->fail_in = 0;
        return true;
    }
    fs->fail_in--;
    return false;
}

/* Resize node `n` to `size` bytes within the free space; returns the size
 * reached (less than asked when the file system is full). */
static size_t mem_vd_resize(struct mem_vd_fs *fs, struct mem_vd_node *n, size_t size)
{
    if (size > n->size && fs->free_bytes >= 0 && (int64_t)(size - n->size) > fs->free_bytes)
        size = n->size + (size_t)fs->free_bytes;
    if (size > n->cap) {
        size_t cap = MAX(size, n->cap * 2);
        uint8_t *p = realloc(n->data, cap);
        if (!p)
            return n->size;
        n->data = p;
        n->cap = cap;
    }
    if (size > n->size)
        memset(n->data + n->size, 0, size - n->size);
    if (fs->free_bytes >= 0)
        fs->free_bytes -= (int64_t)size - (int64_t)n->size;
    n->size = size;
    return size;
}

static int mem_vd_read(struct vd_file *f, uint64_t off, void *buf, size_t len)
{
    struct mem_vd_handle *h = (struct mem_vd_handle *)f;

    if (off > h->node->size || len > h->node->size - off)
        return ERR_EOM;
    memcpy(buf, h->node->data + off, len);
    return 0;
}

static int mem_vd_write(struct vd_file *f, uint64_t off, const void *buf, size_t len)
{
    struct mem_vd_handle *h = (struct mem_vd_handle *)f;
    struct mem_vd_node *n = h->node;
    size_t fit = len;

    if (f->readonly)
        return ERR_ROFS;
    if (mem_vd_fault(h->fs))
        return ERR_IO;
    if (off > SIZE_MAX - len)
        return ERR_FBIG;
    if (off + len > n->size) {
        size_t reached = mem_vd_resize(h->fs, n, (size_t)(off + len));
        fit = reached > off ? reached - (size_t)off : 0;
    }
    if (fit)
        memcpy(n->data + off, buf, fit);
    return fit == len ? 0 : ERR_NOSPC;
}

static int mem_vd_get_size(struct vd_file *f, uint64_t *bytes)
{
    *bytes = ((struct mem_vd_handle *)f)->node->size;
    return 0;
}

static int mem_vd_set_size(struct vd_file *f, uint64_t bytes)
{
    struct mem_vd_handle *h = (struct mem_vd_handle *)f;

    if (f->readonly)
        return ERR_ROFS;
    if (mem_vd_fault(h->fs))
        return ERR_IO;
    if (bytes > SIZE_MAX)
        return ERR_FBIG;
    return mem_vd_resize(h->fs, h->node, (size_t)bytes) == bytes ? 0 : ERR_NOSPC;
}

static int mem_vd_flush(struct vd_file *f)
{
    (void)f;
    return 0;
}

static int mem_vd_open_relative(struct vd_file *f, const char *path, bool readonly,
                                struct vd_file **out)
{
    struct mem_vd_handle *h = (struct mem_vd_handle *)f;
    char full[MEM_VD_PATH_MAX * 2];

    if (path[0] == '/') {
        kstrlcpy(full, path, sizeof(full));
    } else {
        const char *slash = strrchr(f->name, '/');
        size_t dir = slash ? (size_t)(slash - f->name) : 0;
        if (dir + 1 + strlen(path) + 1 > sizeof(full))
            return ERR_NAMETOOLONG;
        memcpy(full, f->name, dir);
        full[dir] = '/';
        kstrlcpy(full + dir + 1, path, sizeof(full) - dir - 1);
    }
    return mem_vd_fs_open(h->fs, full, readonly, out);
}

static void mem_vd_close(struct vd_file *f)
{
    struct mem_vd_handle *h = (struct mem_vd_handle *)f;
    struct mem_vd_node *n = h->node;

    n->refs--;
    h->fs->handles--;
    free(h);
    mem_vd_node_put(n);
}

static const struct vd_file_ops mem_vd_ops = {
    .read = mem_vd_read,
    .write = mem_vd_write,
    .get_size = mem_vd_get_size,
    .set_size = mem_vd_set_size,
    .flush = mem_vd_flush,
    .open_relative = mem_vd_open_relative,
    .close = mem_vd_close,
};
