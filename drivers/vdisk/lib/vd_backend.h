/* SPDX-License-Identifier: MIT */
/* Virtual-disk image backends: the interface every image format implements
 * (modelled on the facts of VirtualBox's VD image backends: probe by content,
 * open with flags, close, read, write, flush, size, create, info), and the
 * byte-level file interface the backends do their I/O through.
 *
 * Layering: this folder (drivers/vdisk/lib/) is hardware-free and compiled
 * both freestanding (kernel) and hosted (cmocka tests, kdisk). A backend never
 * opens files by name itself: it reads and writes its image through a
 * struct vd_file, which the kernel implements over the file API (fs/vfs.h),
 * kdisk over pread/pwrite, and the tests over memory. Backing (parent) images
 * are opened through vd_file_ops.open_relative, so a parent path is resolved
 * relative to the child by whoever owns the files.
 *
 * Unallocated blocks: a backend whose image has no data for a range returns
 * VD_BLOCK_FREE from read (nothing copied); the chain layer (vd_chain.h) then
 * reads the parent, or zeroes when there is none. A write to an unallocated
 * block of a differencing image is done by the chain layer as copy-on-write:
 * it reads the whole block from the parent and writes it with
 * VD_WRITE_FULL_BLOCK so the backend can allocate it.
 *
 * Errors: negative ERR_* from kernel/err.h. A malformed image gives
 * ERR_CORRUPT with one log line saying which field is wrong; a host file
 * system that fills up gives ERR_NOSPC and the image stays consistent (the
 * backend writes data before the metadata that points at it).
 * Locking: none inside; the vdisk driver serialises calls per image chain.
 * Context: thread, may sleep. */
#ifndef DRIVERS_VDISK_LIB_VD_BACKEND_H
#define DRIVERS_VDISK_LIB_VD_BACKEND_H

#include "kernel/types.h"

/* Positive "not an error" answer of vd_backend_ops.read: range not allocated. */
#define VD_BLOCK_FREE 1

/* ---- the file an image lives in ------------------------------------------ */

struct vd_file;

struct vd_file_ops {
    /* Read/write exactly `len` bytes at byte offset `off`. A read that would
     * pass the end of the file returns ERR_EOM (nothing partial is promised).
     * A write past the end extends the file. 0 or ERR_*. */
    int (*read)(struct vd_file *f, uint64_t off, void *buf, size_t len);
    int (*write)(struct vd_file *f, uint64_t off, const void *buf, size_t len);
    int (*get_size)(struct vd_file *f, uint64_t *bytes);
    int (*set_size)(struct vd_file *f, uint64_t bytes);
    int (*flush)(struct vd_file *f);
    /* Open `path` relative to this file's folder (an absolute path as is).
     * NULL when the owner cannot open other files. */
    int (*open_relative)(struct vd_file *f, const char *path, bool readonly,
                         struct vd_file **out);
    /* Release the file (and the struct itself). */
    void (*close)(struct vd_file *f);
};

struct vd_file {
    const struct vd_file_ops *ops;
    bool readonly;
    char name[128]; /* for log lines and `vdisk list` */
};

/* ---- one opened image ------------------------------------------------------- */

enum vd_open_flags {
    VD_OPEN_READONLY = 1u << 0,
    VD_OPEN_INFO = 1u << 1, /* only headers are needed (vdisk info) */
};

enum vd_write_flags {
    VD_WRITE_FULL_BLOCK = 1u << 0, /* buffer covers whole allocation units */
};

struct vd_image;
struct vd_backend;

/* What `vdisk info` prints and the chain layer validates. */
struct vd_info {
    char format[16];        /* "qcow2", "vdi", ... */
    char variant[32];       /* "dynamic", "fixed", "monolithicSparse", "diff" ... */
    uint64_t disk_bytes;    /* virtual size */
    uint32_t sector_size;   /* 512 or 2048 (iso) */
    uint32_t block_bytes;   /* allocation unit (cluster, grain, block), 0 = none */
    char parent[256];       /* backing file name as stored, "" = none */
    /* Identities for chain validation (VHD, VDI); all-zero = unknown, not
     * checked. The chain rejects a parent whose uuid differs from the
     * child's parent_uuid when both are known, and any uuid seen twice. */
    uint8_t uuid[16];
    uint8_t parent_uuid[16];
    /* VDI: uuidModify (changes when the content does, in VirtualBox); a new
     * VDI differencing image records its parent's as uuidParentModify.
     * All-zero for formats without one. */
    uint8_t modify_uuid[16];
    /* A differencing image whose format stores no parent file name (VDI:
     * VirtualBox keeps it in its media registry). `parent` is then only a
     * hint ("" = none) and the chain picks the parent among candidate files
     * by parent_uuid (vd_chain_open_bases), writing the chosen name into
     * `parent`. */
    bool parent_by_uuid;
};

/* Filled by the chain before backend->open (backend, file, readonly,
 * raw_offset); the backend fills info and priv and may force readonly to
 * true. The chain may move this struct between calls (commit does): a
 * backend keeps no pointer to it, only to its own priv. */
struct vd_image {
    const struct vd_backend *backend;
    struct vd_file *file;
    struct vd_info info;
    bool readonly;
    void *priv;             /* backend state */
    uint64_t raw_offset;    /* raw/iso only: byte offset of the disk in the file,
                             * set by the chain before open; 0 for other formats */
};

struct vd_create_opts {
    uint64_t disk_bytes;
    const char *variant;    /* NULL = the format's default ("dynamic") */
    const char *parent;     /* backing file name to record, NULL = none */
    const struct vd_info *parent_info; /* size and identity of the parent */
};

struct vd_backend {
    const char *name;       /* "raw", "vdi", "vhd", "vmdk", "qcow2", "iso" */
    /* 0 if the content is this format, ERR_NOTSUP if not, other ERR_* on I/O. */
    int (*probe)(struct vd_file *f);
    /* Fill img->info and img->priv; on error everything is released. */
    int (*open)(struct vd_image *img, unsigned flags);
    void (*close)(struct vd_image *img);
    /* Byte offsets and lengths are multiples of 512. A backend may complete
     * less than asked at an allocation-unit boundary: *done says how much
     * (always > 0 on success). VD_BLOCK_FREE: `*done` bytes are not allocated.
     *
     * write and VD_BLOCK_FREE: a write into an allocation unit that is not
     * allocated, without VD_WRITE_FULL_BLOCK, may return VD_BLOCK_FREE with
     * *done = bytes of the request inside that unit and nothing written;
     * the chain then reads the whole unit from the parent (zeroes without
     * one), merges the new data and writes the unit with
     * VD_WRITE_FULL_BLOCK (off aligned to info.block_bytes, len = one or
     * more whole units, the last one cut at disk_bytes). A backend that
     * knows the unit's old content (zeroes: no parent, or a "zero" block)
     * may instead allocate by itself and return 0. */
    int (*read)(struct vd_image *img, uint64_t off, void *buf, size_t len, size_t *done);
    int (*write)(struct vd_image *img, uint64_t off, const void *buf, size_t len,
                 unsigned flags, size_t *done);
    int (*flush)(struct vd_image *img);
    /* Create a new empty image in `f` (NULL if the format cannot be created). */
    int (*create)(struct vd_file *f, const struct vd_create_opts *opts);
    /* Optional: open the parent of an image whose info.parent is set (read-
     * only unless `readonly` is false), for formats that store several
     * candidate names (VHD parent locators). NULL: the chain calls
     * img->file->ops->open_relative(img->file, img->info.parent, ...). */
    int (*open_parent)(struct vd_image *img, bool readonly, struct vd_file **out);
};

#endif
