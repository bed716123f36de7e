// SPDX-License-Identifier: MIT
/* Image chains: backend registry, probing, chain open/validation, read
 * fall-through, copy-on-write, create and commit; contract in vd_chain.h.
 *
 * Registry: the backends in vd_formats.h, in probe order (content
 * signatures first, iso before raw, raw last because it matches anything).
 *
 * Copy-on-write follows vd_backend.h: a backend write answering
 * VD_BLOCK_FREE gets the whole unit, read from the images below it and
 * merged with the new data, written back with VD_WRITE_FULL_BLOCK.
 *
 * Parents found by uuid (VDI diffs, vd_chain_open_bases): each candidate is
 * opened read-only and compared by uuid; the others are closed again, so
 * the cost is one header and block map read per candidate tried. */
#include "drivers/vdisk/lib/vd_chain.h"

#include "drivers/vdisk/lib/vd_formats.h"
#include "drivers/vdisk/lib/vd_util.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

#define VD_CHAIN_COMMIT_CHUNK_BYTES (64u * 1024u) /* commit copies this much per step */

/* Candidate parents handed to vd_chain_open_bases, used while opening. */
struct vd_chain_bases {
    const char *const *names;
    unsigned count;
};

struct vd_chain {
    unsigned depth;                   /* images in img[], top = img[0] */
    struct vd_image img[VD_CHAIN_MAX];
    bool readonly;                    /* writes refused (flag or a read-only top) */
    bool incomplete;                  /* VD_OPEN_INFO and a parent is missing */
};

static struct {
    const struct vd_backend *extra[VD_BACKEND_EXTRA_MAX]; /* vd_backend_register */
} vd_chain_state;

/* Probe order. */
static const struct vd_backend *const vd_chain_backends[] = {
    &vd_backend_qcow2, &vd_backend_vmdk, &vd_backend_vdi,
    &vd_backend_vhd,   &vd_backend_iso,  &vd_backend_raw,
};

/* Backend number `i` in probe order (registered ones first), NULL when
 * that slot is empty; `i` runs to VD_BACKEND_EXTRA_MAX + built-ins. */
static const struct vd_backend *vd_chain_backend_at(size_t i)
{
    if (i < VD_BACKEND_EXTRA_MAX)
        return vd_chain_state.extra[i];
    return vd_chain_backends[i - VD_BACKEND_EXTRA_MAX];
}

#define VD_CHAIN_BACKEND_SLOTS (VD_BACKEND_EXTRA_MAX + ARRAY_SIZE(vd_chain_backends))

const struct vd_backend *vd_backend_by_name(const char *name)
{
    for (size_t i = 0; i < VD_CHAIN_BACKEND_SLOTS; i++) {
        const struct vd_backend *b = vd_chain_backend_at(i);
        if (b && kstrcasecmp(b->name, name) == 0)
            return b;
    }
    return NULL;
}

int vd_backend_register(const struct vd_backend *b)
{
    if (vd_backend_by_name(b->name))
        return ERR_EXIST;
    for (size_t i = 0; i < VD_BACKEND_EXTRA_MAX; i++) {
        if (!vd_chain_state.extra[i]) {
            vd_chain_state.extra[i] = b;
            return 0;
        }
    }
    return ERR_NOSPC;
}

void vd_backend_unregister(const struct vd_backend *b)
{
    for (size_t i = 0; i < VD_BACKEND_EXTRA_MAX; i++) {
        if (vd_chain_state.extra[i] == b)
            vd_chain_state.extra[i] = NULL;
    }
}

int vd_probe(struct vd_file *f, const struct vd_backend **out)
{
    for (size_t i = 0; i < VD_CHAIN_BACKEND_SLOTS; i++) {
        const struct vd_backend *b = vd_chain_backend_at(i);
        if (!b || !b->probe)
            continue;
        int rc = b->probe(f);
        if (rc == 0) {
            *out = b;
            return 0;
        }
        if (rc != ERR_NOTSUP)
            return rc;
    }
    return ERR_NOTSUP;
}

/* Close image `i`'s backend and its file. */
static void vd_chain_release(struct vd_image *img)
{
    if (img->backend)
        img->backend->close(img);
    if (img->file)
        img->file->ops->close(img->file);
    memset(img, 0, sizeof(*img));
}

/* Open `f` with backend `b` into `img`; `f` is closed on error. */
static int vd_chain_open_image(struct vd_image *img, const struct vd_backend *b,
                               struct vd_file *f, unsigned flags, uint64_t raw_offset)
{
    int rc;

    memset(img, 0, sizeof(*img));
    img->backend = b;
    img->file = f;
    img->readonly = (flags & VD_OPEN_READONLY) || f->readonly;
    img->raw_offset = raw_offset;
    rc = b->open(img, flags);
    if (rc < 0) {
        f->ops->close(f);
        memset(img, 0, sizeof(*img));
        return rc;
    }
    if (img->info.sector_size != 512 && img->info.sector_size != 2048) {
        pr_err("vdisk: %s: backend %s reported sector size %u\n", f->name, b->name,
               img->info.sector_size);
        vd_chain_release(img);
        return ERR_CORRUPT;
    }
    return 0;
}

/* Open the parent file of `img` (read-only unless told otherwise). */
static int vd_chain_open_parent_file(struct vd_image *img, bool readonly, struct vd_file **out)
{
    if (img->backend->open_parent)
        return img->backend->open_parent(img, readonly, out);
    if (!img->file->ops->open_relative)
        return ERR_NOTSUP;
    return img->file->ops->open_relative(img->file, img->info.parent, readonly, out);
}

/* Is a file of this name already in the chain? */
static bool vd_chain_has_file(const struct vd_chain *c, const struct vd_file *f)
{
    for (unsigned i = 0; i < c->depth; i++) {
        if (kstrcasecmp(c->img[i].file->name, f->name) == 0)
            return true;
    }
    return false;
}

/* Reject a parent file already in the chain (same name): a cycle. */
static int vd_chain_check_name(const struct vd_chain *c, const struct vd_file *f)
{
    if (vd_chain_has_file(c, f)) {
        pr_err("vdisk: %s: backing chain loops back to %s\n", c->img[0].file->name, f->name);
        return ERR_CORRUPT;
    }
    return 0;
}

/* Does the image have a parent still to be opened? */
static bool vd_chain_has_parent(const struct vd_image *img)
{
    return img->info.parent[0] != '\0' || img->info.parent_by_uuid;
}

/* 32 hex digits of a uuid, bytes as stored, for log lines; returns buf. */
static const char *vd_chain_uuid_hex(const uint8_t uuid[16], char buf[33])
{
    static const char digits[] = "0123456789abcdef";

    for (unsigned i = 0; i < 16; i++) {
        buf[2 * i] = digits[uuid[i] >> 4];
        buf[2 * i + 1] = digits[uuid[i] & 15];
    }
    buf[32] = '\0';
    return buf;
}

/* Check the new parent img[depth-1] against its child and the chain. */
static int vd_chain_check_parent(const struct vd_chain *c)
{
    const struct vd_image *p = &c->img[c->depth - 1];
    const struct vd_image *child = &c->img[c->depth - 2];

    if (p->info.sector_size != child->info.sector_size) {
        pr_err("vdisk: %s: parent %s has another sector size (%u, child %u)\n",
               child->file->name, p->file->name, p->info.sector_size,
               child->info.sector_size);
        return ERR_CORRUPT;
    }
    if (!vd_uuid_is_zero(child->info.parent_uuid) && !vd_uuid_is_zero(p->info.uuid) &&
        memcmp(child->info.parent_uuid, p->info.uuid, 16) != 0) {
        pr_err("vdisk: %s: parent %s is not the image it was made from (uuid differs)\n",
               child->file->name, p->file->name);
        return ERR_CORRUPT;
    }
    if (vd_uuid_is_zero(p->info.uuid))
        return 0;
    for (unsigned i = 0; i + 1 < c->depth; i++) {
        if (memcmp(c->img[i].info.uuid, p->info.uuid, 16) == 0) {
            pr_err("vdisk: %s: backing chain loops (%s has the uuid of %s)\n",
                   c->img[0].file->name, p->file->name, c->img[i].file->name);
            return ERR_CORRUPT;
        }
    }
    return 0;
}

/* Open candidate `name` of the child img[depth-1] read-only into
 * img[depth] (not counted yet). `is_base`: a base that is already in the
 * chain answers ERR_EXIST (skip it); for the stored hint that is a loop. */
static int vd_chain_open_candidate(struct vd_chain *c, unsigned flags, const char *name,
                                   bool is_base)
{
    struct vd_image *child = &c->img[c->depth - 1];
    const struct vd_backend *b;
    struct vd_file *f;
    int rc;

    if (strlen(name) >= sizeof(child->info.parent))
        return ERR_NAMETOOLONG;
    if (!child->file->ops->open_relative)
        return ERR_NOTSUP;
    rc = child->file->ops->open_relative(child->file, name, true, &f);
    if (rc < 0)
        return rc;
    if (is_base && vd_chain_has_file(c, f))
        rc = ERR_EXIST;
    else
        rc = vd_chain_check_name(c, f);
    if (rc == 0)
        rc = vd_probe(f, &b);
    if (rc < 0) {
        f->ops->close(f);
        return rc;
    }
    return vd_chain_open_image(&c->img[c->depth], b, f,
                               (flags & ~VD_OPEN_INFO) | VD_OPEN_READONLY, 0);
}

/* The parent of a child with parent_by_uuid (rule in vd_chain.h): try the
 * stored hint, then each base, until one's uuid is the child's parent_uuid.
 * 0 with img[depth] opened (not counted yet; the child's info.parent names
 * it), ERR_NOENT without candidates, ERR_CORRUPT when only wrong ones were
 * found, else the first candidate's error.
 * 1. Open the next candidate; a base already in the chain is skipped, a
 *    hint that loops or is damaged ends the search (ERR_CORRUPT).
 * 2. Same uuid: it is the parent; a base's name becomes info.parent; done.
 * 3. Another uuid: log both, close it, go to step 1.
 * 4. Out of candidates: ERR_NOENT if none could be tried, ERR_CORRUPT if
 *    some had another uuid, else the first open error. */
static int vd_chain_find_parent(struct vd_chain *c, unsigned flags,
                                const struct vd_chain_bases *bases)
{
    struct vd_image *child = &c->img[c->depth - 1];
    struct vd_image *cand = &c->img[c->depth];
    unsigned tried = 0, wrong = 0;
    int first_err = 0;
    char want[33], got[33];

    vd_chain_uuid_hex(child->info.parent_uuid, want);
    for (int i = child->info.parent[0] ? -1 : 0; i < (int)bases->count; i++) {
        const char *name = i < 0 ? child->info.parent : bases->names[i];
        /* 1. */
        int rc = vd_chain_open_candidate(c, flags, name, i >= 0);
        if (rc == ERR_EXIST)
            continue;
        tried++;
        if (rc < 0) {
            pr_warn("vdisk: %s: candidate parent %s not usable (%s)\n", child->file->name, name,
                    err_name(rc));
            if (!first_err)
                first_err = rc;
            if (i < 0 && rc == ERR_CORRUPT)
                return rc; /* the hint loops or is damaged: already logged */
            continue;
        }
        /* 2. */
        if (memcmp(cand->info.uuid, child->info.parent_uuid, 16) == 0) {
            if (i >= 0)
                kstrlcpy(child->info.parent, name, sizeof(child->info.parent));
            pr_debug("vdisk: %s: parent is %s (uuid %s)\n", child->file->name, name, want);
            return 0;
        }
        /* 3. */
        pr_warn("vdisk: %s: %s is not its parent (uuid %s, the diff links to %s)\n",
                child->file->name, cand->file->name, vd_chain_uuid_hex(cand->info.uuid, got),
                want);
        wrong++;
        vd_chain_release(cand);
    }
    /* 4. */
    if (tried == 0) {
        pr_err("vdisk: %s: differencing image names no parent file (links to uuid %s); "
               "give its base image (base=PATH)\n", child->file->name, want);
        return ERR_NOENT;
    }
    if (wrong) {
        pr_err("vdisk: %s: no candidate parent has the linked uuid (%s; %u tried, %u with "
               "another uuid)\n", child->file->name, want, tried, wrong);
        return ERR_CORRUPT;
    }
    pr_err("vdisk: %s: no parent candidate could be opened (%u tried: %s)\n",
           child->file->name, tried, err_name(first_err));
    return first_err;
}

/* 1. Open the next parent file (by uuid among candidates: go to step 4);
 * 2. refuse a name already in the chain; 3. probe and open it read-only;
 * 4. validate it against the chain. */
static int vd_chain_add_parent(struct vd_chain *c, unsigned flags,
                               const struct vd_chain_bases *bases)
{
    struct vd_image *child = &c->img[c->depth - 1];
    const struct vd_backend *b;
    struct vd_file *f;
    int rc;

    if (c->depth == VD_CHAIN_MAX) {
        pr_err("vdisk: %s: backing chain longer than %u images\n", c->img[0].file->name,
               VD_CHAIN_MAX);
        return ERR_CORRUPT;
    }
    if (child->info.parent_by_uuid) {
        rc = vd_chain_find_parent(c, flags, bases);
        if (rc < 0)
            return rc;
        c->img[c->depth].readonly = true;
        c->depth++;
        return vd_chain_check_parent(c); /* 4. */
    }
    /* 1. */
    rc = vd_chain_open_parent_file(child, true, &f);
    if (rc < 0) {
        pr_err("vdisk: %s: cannot open parent %s (%s)\n", child->file->name,
               child->info.parent, err_name(rc));
        return rc;
    }
    /* 2. */
    rc = vd_chain_check_name(c, f);
    if (rc == 0)
        rc = vd_probe(f, &b);
    if (rc < 0) {
        f->ops->close(f);
        return rc;
    }
    /* 3. */
    rc = vd_chain_open_image(&c->img[c->depth], b, f, (flags & ~VD_OPEN_INFO) | VD_OPEN_READONLY,
                             0);
    if (rc < 0)
        return rc;
    c->img[c->depth].readonly = true;
    c->depth++;
    /* 4. */
    return vd_chain_check_parent(c);
}

int vd_chain_open(struct vd_file *f, const char *format, unsigned flags, uint64_t raw_offset,
                  struct vd_chain **out)
{
    return vd_chain_open_bases(f, format, flags, raw_offset, NULL, 0, out);
}

int vd_chain_open_bases(struct vd_file *f, const char *format, unsigned flags,
                        uint64_t raw_offset, const char *const *bases, unsigned nbases,
                        struct vd_chain **out)
{
    const struct vd_chain_bases cands = {bases, nbases};
    const struct vd_backend *b = NULL;
    struct vd_chain *c;
    int rc;

    /* 1. Pick the top image's backend. */
    if (nbases > VD_CHAIN_BASES_MAX || (nbases && !bases)) {
        rc = ERR_INVAL;
        goto err_close_file;
    }
    if (!format || kstrcasecmp(format, "auto") == 0) {
        rc = raw_offset ? 0 : vd_probe(f, &b);
        if (raw_offset)
            b = &vd_backend_raw;
    } else {
        b = vd_backend_by_name(format);
        rc = b ? 0 : ERR_NOTSUP;
    }
    if (rc == 0 && raw_offset && b != &vd_backend_raw && b != &vd_backend_iso)
        rc = ERR_INVAL;
    if (rc < 0)
        goto err_close_file;
    c = kzalloc(sizeof(*c));
    if (!c) {
        rc = ERR_NOMEM;
        goto err_close_file;
    }
    /* 2. Open it (the file belongs to the image from here on). */
    rc = vd_chain_open_image(&c->img[0], b, f, flags, raw_offset);
    if (rc < 0) {
        kfree(c);
        return rc;
    }
    c->depth = 1;
    /* 3. Follow the parents; with VD_OPEN_INFO a missing parent only ends the walk. */
    while (vd_chain_has_parent(&c->img[c->depth - 1])) {
        rc = vd_chain_add_parent(c, flags, &cands);
        if (rc < 0 && (flags & VD_OPEN_INFO) && rc != ERR_CORRUPT) {
            pr_warn("vdisk: %s: chain incomplete, opened for information only\n",
                    c->img[0].file->name);
            c->incomplete = true;
            break;
        }
        if (rc < 0) {
            vd_chain_close(c);
            return rc;
        }
    }
    /* 4. A chain is writable only through a writable top. */
    c->readonly = (flags & VD_OPEN_READONLY) || c->img[0].readonly || c->incomplete;
    *out = c;
    return 0;

err_close_file:
    f->ops->close(f);
    return rc;
}

void vd_chain_close(struct vd_chain *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->depth; i++)
        vd_chain_release(&c->img[i]);
    kfree(c);
}

uint64_t vd_chain_size(const struct vd_chain *c)
{
    return c->img[0].info.disk_bytes;
}

uint32_t vd_chain_sector_size(const struct vd_chain *c)
{
    return c->img[0].info.sector_size;
}

bool vd_chain_readonly(const struct vd_chain *c)
{
    return c->readonly;
}

unsigned vd_chain_depth(const struct vd_chain *c)
{
    return c->depth;
}

const struct vd_info *vd_chain_info(const struct vd_chain *c, unsigned i)
{
    return i < c->depth ? &c->img[i].info : NULL;
}

const char *vd_chain_describe(const struct vd_chain *c, char *buf, size_t size)
{
    size_t pos = 0;

    if (size == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned i = 0; i < c->depth && pos < size; i++) {
        int n = ksnprintf(buf + pos, size - pos, "%s%s(%s)", i ? " <- " : "",
                          c->img[i].file->name, c->img[i].info.format);
        if (n < 0)
            break;
        pos += (size_t)n;
    }
    return buf;
}

/* Check a request against the top image's size and sector size. */
static int vd_chain_check_range(const struct vd_chain *c, uint64_t off, size_t len)
{
    uint32_t ss = c->img[0].info.sector_size;
    uint64_t size = c->img[0].info.disk_bytes;

    if (off % ss || len % ss)
        return ERR_INVAL;
    if (off > size || len > size - off)
        return ERR_EOM;
    return 0;
}

/* Read [off, off+len) as seen from image `level` down: each image's
 * VD_BLOCK_FREE ranges come from the next one, zeroes below the last one
 * and past a parent's end. Recursion depth is bounded by VD_CHAIN_MAX. */
static int vd_chain_read_level(struct vd_chain *c, unsigned level, uint64_t off, uint8_t *buf,
                               size_t len)
{
    while (len) {
        struct vd_image *img;
        size_t n, done = 0;
        int rc;

        if (level >= c->depth || off >= c->img[level].info.disk_bytes) {
            memset(buf, 0, len);
            return 0;
        }
        img = &c->img[level];
        n = (size_t)MIN((uint64_t)len, img->info.disk_bytes - off);
        rc = img->backend->read(img, off, buf, n, &done);
        if (rc < 0)
            return rc;
        if (done == 0 || done > n || done % 512) {
            pr_err("vdisk: %s: backend %s read returned a bad count (%zu of %zu)\n",
                   img->file->name, img->backend->name, done, n);
            return ERR_IO;
        }
        if (rc == VD_BLOCK_FREE) {
            rc = vd_chain_read_level(c, level + 1, off, buf, done);
            if (rc < 0)
                return rc;
        }
        off += done;
        buf += done;
        len -= done;
    }
    return 0;
}

int vd_chain_read(struct vd_chain *c, uint64_t off, void *buf, size_t len)
{
    int rc = vd_chain_check_range(c, off, len);

    if (rc < 0)
        return rc;
    if (c->incomplete)
        return ERR_NOENT;
    return vd_chain_read_level(c, 0, off, buf, len);
}

/* Write whole allocation units with VD_WRITE_FULL_BLOCK until done. */
static int vd_chain_write_full(struct vd_image *img, uint64_t off, const uint8_t *buf,
                               size_t len)
{
    while (len) {
        size_t done = 0;
        int rc = img->backend->write(img, off, buf, len, VD_WRITE_FULL_BLOCK, &done);
        if (rc < 0)
            return rc;
        if (rc == VD_BLOCK_FREE || done == 0 || done > len) {
            pr_err("vdisk: %s: backend %s did not allocate a full block (%zu of %zu)\n",
                   img->file->name, img->backend->name, done, len);
            return ERR_IO;
        }
        off += done;
        buf += done;
        len -= done;
    }
    return 0;
}

/* Copy-on-write of the unit of image `level` holding `off`: read the unit
 * from the images below, merge `n` new bytes at `off`, write it whole. */
static int vd_chain_cow(struct vd_chain *c, unsigned level, uint64_t off, const uint8_t *buf,
                        size_t n)
{
    struct vd_image *img = &c->img[level];
    uint64_t unit = img->info.block_bytes;
    uint64_t start, ulen;
    uint8_t *tmp;
    int rc;

    if (unit == 0 || unit > (64u << 20)) {
        pr_err("vdisk: %s: backend %s asked for copy-on-write without a block size\n",
               img->file->name, img->backend->name);
        return ERR_IO;
    }
    start = off - off % unit;
    ulen = MIN(unit, img->info.disk_bytes - start);
    if (n > ulen - (off - start))
        return ERR_IO;
    if (off == start && n == ulen)
        return vd_chain_write_full(img, off, buf, n); /* the caller's data covers it */
    tmp = kmalloc((size_t)ulen);
    if (!tmp)
        return ERR_NOMEM;
    rc = vd_chain_read_level(c, level + 1, start, tmp, (size_t)ulen);
    if (rc == 0) {
        memcpy(tmp + (off - start), buf, n);
        rc = vd_chain_write_full(img, start, tmp, (size_t)ulen);
    }
    kfree(tmp);
    return rc;
}

/* Write through image `level` (copy-on-write from the ones below it). */
static int vd_chain_write_level(struct vd_chain *c, unsigned level, uint64_t off,
                                const uint8_t *buf, size_t len)
{
    struct vd_image *img = &c->img[level];

    while (len) {
        size_t done = 0;
        int rc = img->backend->write(img, off, buf, len, 0, &done);
        if (rc < 0)
            return rc;
        if (done == 0 || done > len || done % 512) {
            pr_err("vdisk: %s: backend %s write returned a bad count (%zu of %zu)\n",
                   img->file->name, img->backend->name, done, len);
            return ERR_IO;
        }
        if (rc == VD_BLOCK_FREE) {
            rc = vd_chain_cow(c, level, off, buf, done);
            if (rc < 0)
                return rc;
        }
        off += done;
        buf += done;
        len -= done;
    }
    return 0;
}

int vd_chain_write(struct vd_chain *c, uint64_t off, const void *buf, size_t len)
{
    int rc = vd_chain_check_range(c, off, len);

    if (rc < 0)
        return rc;
    if (c->readonly)
        return ERR_ROFS;
    return vd_chain_write_level(c, 0, off, buf, len);
}

int vd_chain_flush(struct vd_chain *c)
{
    if (c->readonly)
        return 0;
    return c->img[0].backend->flush ? c->img[0].backend->flush(&c->img[0]) : 0;
}

int vd_create(struct vd_file *f, const char *format, const struct vd_create_opts *opts)
{
    const struct vd_backend *b = vd_backend_by_name(format);
    int rc;

    if (!b)
        rc = ERR_NOTSUP;
    else if (!b->create)
        rc = ERR_NOTSUP;
    else if (f->readonly)
        rc = ERR_ROFS;
    else
        rc = b->create(f, opts);
    if (rc == 0 && f->ops->flush)
        rc = f->ops->flush(f);
    f->ops->close(f);
    return rc;
}

/* Copy every allocated range of the top image into image 1. */
static int vd_chain_commit_copy(struct vd_chain *c)
{
    struct vd_image *top = &c->img[0];
    uint64_t off = 0, size = top->info.disk_bytes;
    uint8_t *buf = kmalloc(VD_CHAIN_COMMIT_CHUNK_BYTES);
    int rc = 0;

    if (!buf)
        return ERR_NOMEM;
    while (off < size) {
        size_t n = (size_t)MIN((uint64_t)VD_CHAIN_COMMIT_CHUNK_BYTES, size - off);
        size_t done = 0;
        rc = top->backend->read(top, off, buf, n, &done);
        if (rc < 0)
            break;
        if (done == 0 || done > n || done % 512) {
            rc = ERR_IO;
            break;
        }
        if (rc == 0) {
            rc = vd_chain_write_level(c, 1, off, buf, done);
            if (rc < 0)
                break;
        }
        rc = 0;
        off += done;
    }
    kfree(buf);
    return rc;
}

/* 1. Check that there is a parent that can take the data.
 * 2. Reopen the parent read-write through the top image and swap it in.
 * 3. Copy the top's allocated data down, then flush the parent (the commit
 *    point: from here the parent alone holds the disk's content).
 * 4. Drop the top image; the parent is the new, writable top. */
int vd_chain_commit(struct vd_chain *c)
{
    struct vd_image fresh;
    struct vd_file *f;
    int rc;

    /* 1. */
    if (c->depth < 2 || c->incomplete)
        return ERR_INVAL;
    if (c->readonly)
        return ERR_ROFS;
    if (c->img[0].info.disk_bytes > c->img[1].info.disk_bytes) {
        pr_err("vdisk: %s: cannot commit into a smaller parent (%llu > %llu bytes)\n",
               c->img[0].file->name, (unsigned long long)c->img[0].info.disk_bytes,
               (unsigned long long)c->img[1].info.disk_bytes);
        return ERR_NOTSUP;
    }
    /* 2. */
    rc = vd_chain_open_parent_file(&c->img[0], false, &f);
    if (rc < 0)
        return rc;
    rc = vd_chain_open_image(&fresh, c->img[1].backend, f, 0, 0);
    if (rc < 0)
        return rc;
    if (fresh.readonly) {
        vd_chain_release(&fresh);
        return ERR_ROFS;
    }
    vd_chain_release(&c->img[1]);
    c->img[1] = fresh;
    /* 3. */
    rc = vd_chain_commit_copy(c);
    if (rc == 0 && c->img[1].backend->flush)
        rc = c->img[1].backend->flush(&c->img[1]);
    if (rc < 0) {
        pr_err("vdisk: %s: commit into %s failed (%s)\n", c->img[0].file->name,
               c->img[1].file->name, err_name(rc));
        return rc;
    }
    /* 4. */
    vd_chain_release(&c->img[0]);
    memmove(&c->img[0], &c->img[1], (c->depth - 1) * sizeof(c->img[0]));
    c->depth--;
    memset(&c->img[c->depth], 0, sizeof(c->img[0]));
    return 0;
}
