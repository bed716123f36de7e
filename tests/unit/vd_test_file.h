/* SPDX-License-Identifier: MIT */
/* Shared helpers of the QCOW2 and VMDK backend tests (header-only, included
 * by test_qcow2.c and test_vmdk.c): build the images with
 * tests/images/make-vdisk-qcow2-vmdk.sh into build/host/images/qcow2-vmdk,
 * load an image file into a memory-backed struct vd_file (writes counted,
 * an optional injected failure on the Nth write, open_relative loading
 * siblings from the same folder), save it back to disk for qemu-img check /
 * compare, and read a whole virtual disk through a backend. Hosted only. */
#ifndef TESTS_UNIT_VD_TEST_FILE_H
#define TESTS_UNIT_VD_TEST_FILE_H

#include "tests/unit/image_check.h"

#include "drivers/vdisk/lib/vd_backend.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

#define VTF_SUBDIR "build/host/images/qcow2-vmdk"
#define VTF_SCRIPT "tests/images/make-vdisk-qcow2-vmdk.sh"

struct vtf {
    struct vd_file vf;
    char dir[1024];      /* folder for open_relative */
    uint8_t *data;
    size_t size, cap;
    unsigned writes;     /* successful write calls */
    unsigned reads;      /* read calls (how many host-file reads a backend makes) */
    unsigned fail_at;    /* the write call number that fails (1-based), 0 = never */
    int fail_err;        /* what it fails with */
    bool fail_sticky;    /* every later write fails too */
    unsigned calls;      /* write calls so far, failed ones included */
};

/* Files opened through open_relative (extents, parents), newest last, so a
 * test can save them; entries are cleared by vtf_close. */
#define VTF_OPENED_MAX 16
static struct vtf *vtf_opened[VTF_OPENED_MAX];

/* "<images dir>/<name>" in one of 4 rotating static buffers. */
static inline const char *vtf_path(const char *name)
{
    return ic_image_path(VTF_SUBDIR, name);
}

static inline int vtf_prepare(void)
{
    return ic_build_images(VTF_SCRIPT, VTF_SUBDIR);
}

static inline struct vtf *vtf_of(struct vd_file *f)
{
    return container_of(f, struct vtf, vf);
}

static int vtf_grow(struct vtf *t, size_t size)
{
    if (size > t->cap) {
        size_t cap = MAX(size, t->cap * 2);
        uint8_t *d = realloc(t->data, cap);
        if (!d)
            return ERR_NOMEM;
        t->data = d;
        t->cap = cap;
    }
    if (size > t->size)
        memset(t->data + t->size, 0, size - t->size);
    t->size = size;
    return 0;
}

static int vtf_read(struct vd_file *f, uint64_t off, void *buf, size_t len)
{
    struct vtf *t = vtf_of(f);
    t->reads++;
    if (off > t->size || len > t->size - off)
        return ERR_EOM;
    memcpy(buf, t->data + off, len);
    return 0;
}

static int vtf_write(struct vd_file *f, uint64_t off, const void *buf, size_t len)
{
    struct vtf *t = vtf_of(f);
    t->calls++;
    if (t->fail_at && (t->calls == t->fail_at || (t->fail_sticky && t->calls > t->fail_at)))
        return t->fail_err;
    if (f->readonly)
        return ERR_ROFS;
    if (off + len > t->size && vtf_grow(t, (size_t)(off + len)))
        return ERR_NOSPC;
    memcpy(t->data + off, buf, len);
    t->writes++;
    return 0;
}

static int vtf_get_size(struct vd_file *f, uint64_t *bytes)
{
    *bytes = vtf_of(f)->size;
    return 0;
}

static int vtf_set_size(struct vd_file *f, uint64_t bytes)
{
    struct vtf *t = vtf_of(f);
    if (bytes < t->size) {
        t->size = (size_t)bytes;
        return 0;
    }
    return vtf_grow(t, (size_t)bytes);
}

static int vtf_flush(struct vd_file *f)
{
    (void)f;
    return 0;
}

static void vtf_close(struct vd_file *f)
{
    struct vtf *t = vtf_of(f);
    for (int i = 0; i < VTF_OPENED_MAX; i++) {
        if (vtf_opened[i] == t)
            vtf_opened[i] = NULL;
    }
    free(t->data);
    free(t);
}

static int vtf_open_relative(struct vd_file *f, const char *path, bool readonly,
                             struct vd_file **out);

static const struct vd_file_ops vtf_ops = {
    .read = vtf_read, .write = vtf_write, .get_size = vtf_get_size, .set_size = vtf_set_size,
    .flush = vtf_flush, .open_relative = vtf_open_relative, .close = vtf_close,
};

/* An empty memory file named `name` in folder `dir`. */
static inline struct vtf *vtf_new(const char *dir, const char *name)
{
    struct vtf *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->vf.ops = &vtf_ops;
    kstrlcpy(t->vf.name, name, sizeof(t->vf.name));
    kstrlcpy(t->dir, dir, sizeof(t->dir));
    return t;
}

/* Load the file at `path` (NULL when it does not exist). */
static inline struct vtf *vtf_load_path(const char *path, bool readonly)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char dir[1024];
    kstrlcpy(dir, path, sizeof(dir));
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    struct vtf *t = vtf_new(dir, base);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    assert_int_equal(vtf_grow(t, (size_t)n), 0);
    assert_int_equal(fread(t->data, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    t->vf.readonly = readonly;
    return t;
}

static inline struct vtf *vtf_load(const char *name, bool readonly)
{
    struct vtf *t = vtf_load_path(vtf_path(name), readonly);
    assert_non_null(t);
    return t;
}

static int vtf_open_relative(struct vd_file *f, const char *path, bool readonly,
                             struct vd_file **out)
{
    char full[2100];
    if (path[0] == '/')
        kstrlcpy(full, path, sizeof(full));
    else
        snprintf(full, sizeof(full), "%s/%s", vtf_of(f)->dir, path);
    struct vtf *t = vtf_load_path(full, readonly);
    if (!t)
        return ERR_NOENT;
    for (int i = 0; i < VTF_OPENED_MAX; i++) {
        if (!vtf_opened[i]) {
            vtf_opened[i] = t;
            break;
        }
    }
    *out = &t->vf;
    return 0;
}

static inline void vtf_save(const struct vtf *t, const char *path)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(t->data, 1, t->size, fp), t->size);
    fclose(fp);
}

/* Run a shell command built like printf; returns its exit status. */
static inline int vtf_system(const char *fmt, ...) PRINTF_LIKE(1, 2);
static inline int vtf_system(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Load a whole host file into memory (size in *n). */
static inline uint8_t *vtf_slurp(const char *path, size_t *n)
{
    struct vtf *t = vtf_load_path(path, true);
    assert_non_null(t);
    uint8_t *d = t->data;
    *n = t->size;
    free(t);
    return d;
}

/* Open `f` with backend `b` into img (the test owns f). */
static inline int vtf_open_image(const struct vd_backend *b, struct vtf *t, bool readonly,
                                 struct vd_image *img)
{
    memset(img, 0, sizeof(*img));
    img->backend = b;
    img->file = &t->vf;
    img->readonly = readonly;
    return b->open(img, readonly ? VD_OPEN_READONLY : 0);
}

/* Read [off, off+len) through the backend in requests of `chunk` bytes;
 * unallocated ranges come from `parent` (another open image) or zeroes. */
static inline int vtf_read_all(struct vd_image *img, struct vd_image *parent, uint64_t off,
                               uint8_t *buf, size_t len, size_t chunk)
{
    while (len) {
        size_t want = MIN(len, chunk), done = 0;
        int rc = img->backend->read(img, off, buf, want, &done);
        if (rc < 0)
            return rc;
        if (done == 0 || done > want)
            return ERR_IO;
        if (rc == VD_BLOCK_FREE) {
            if (parent) {
                int prc = vtf_read_all(parent, NULL, off, buf, done, done);
                if (prc < 0)
                    return prc;
            } else {
                memset(buf, 0, done);
            }
        }
        off += done;
        buf += done;
        len -= done;
    }
    return 0;
}

/* Write through the backend until done; VD_BLOCK_FREE answers are an error
 * here (images without a parent must allocate by themselves). */
static inline int vtf_write_all(struct vd_image *img, uint64_t off, const uint8_t *buf,
                                size_t len, unsigned flags)
{
    while (len) {
        size_t done = 0;
        int rc = img->backend->write(img, off, buf, len, flags, &done);
        if (rc < 0)
            return rc;
        if (rc == VD_BLOCK_FREE || done == 0 || done > len)
            return ERR_IO;
        off += done;
        buf += done;
        len -= done;
    }
    return 0;
}

#endif
