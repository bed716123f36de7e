// SPDX-License-Identifier: MIT
/* Path resolution on an ext volume: walk '/'-separated names from a start
 * directory, one directory lookup per name, and follow symbolic links the
 * way a POSIX lookup does: the link's target replaces the link in the
 * remaining path; a relative target is resolved from the directory that
 * holds the link, an absolute one from the root of this volume (a link
 * never leaves the volume). ".." is the directory's own ".." entry, so it
 * is right after a link too. Targets live in the inode (fast links: fewer
 * than 60 bytes and no data blocks), in a block, or in inline data.
 * Bounds: EXT_SYMLINK_MAX_FOLLOWS links per lookup (a loop gives ERR_LOOP
 * and one log line), EXT_PATH_MAX_COMPONENTS names per lookup (a looped
 * directory tree gives ERR_NAMETOOLONG), targets up to
 * EXT_SYMLINK_MAX_BYTES (longer, empty or with a NUL: ERR_CORRUPT).
 * Locking: the caller holds v->lock. */
#include "fs/ext/ext_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

#define EXT_SECTOR_UNITS 512u /* i_blocks counts 512-byte units */

/* "Symbolic Links": the target is in i_block when the link has no data
 * blocks of its own (an attribute block may be counted in i_blocks). The
 * extents flag does not matter: some old kernels set it on fast links
 * (e2fsck: "Fast symlink %i has EXTENT_FL set"), and Linux reads them as
 * fast links all the same. */
static bool ext_symlink_is_fast(const struct ext_vol *v, const struct ext_inode *in)
{
    uint32_t ea = in->file_acl ? v->sb.block_bytes * v->sb.cluster_ratio / EXT_SECTOR_UNITS : 0;
    return in->size < EXT_N_BLOCK_BYTES && !(in->flags & EXT_FL_INLINE_DATA) &&
           in->blocks_lo == ea;
}

/* The target of link `in` into out (EXT_SYMLINK_MAX_BYTES + 1 bytes), NUL-terminated. */
static int ext_symlink_target(struct ext_vol *v, const struct ext_inode *in, char *out)
{
    if (in->size == 0 || in->size > EXT_SYMLINK_MAX_BYTES) {
        pr_warn("ext: %s: symbolic link %u has a bad length (%llu)", v->name, in->ino,
                (unsigned long long)in->size);
        return ERR_CORRUPT;
    }
    uint32_t n = (uint32_t)in->size;
    if (ext_symlink_is_fast(v, in)) {
        memcpy(out, in->block, n);
    } else {
        int rc = ext_inode_read(v, in, 0, out, n, CACHE_SYS);
        if (rc)
            return rc;
    }
    out[n] = '\0';
    if (strlen(out) != n) {
        pr_warn("ext: %s: symbolic link %u holds a NUL byte", v->name, in->ino);
        return ERR_CORRUPT;
    }
    return 0;
}

struct ext_walk {
    char *path;                 /* what is left to resolve */
    char *spare;                /* the next `path` while a link is spliced in */
    size_t cap;                 /* bytes of each */
    char *target;               /* EXT_SYMLINK_MAX_BYTES + 1 */
    unsigned follows, steps;
};

/* Replace the resolved part of w->path by the target: target + "/" + rest. */
static int ext_splice(struct ext_walk *w, const char *rest)
{
    size_t tl = strlen(w->target), rl = strlen(rest);
    if (tl + 1 + rl + 1 > w->cap)
        return ERR_NAMETOOLONG;
    memcpy(w->spare, w->target, tl);
    w->spare[tl] = '/';
    memcpy(w->spare + tl + 1, rest, rl + 1);
    char *t = w->path;
    w->path = w->spare;
    w->spare = t;
    return 0;
}

/* The walk itself: cur is the directory reached so far. */
static int ext_walk_run(struct ext_vol *v, struct ext_walk *w, bool follow_last,
                        struct ext_inode *cur)
{
    struct ext_inode child;
    const char *p = w->path;

    for (;;) {
        /* 1. The next name; none left: cur is the answer. */
        while (*p == '/')
            p++;
        if (*p == '\0')
            return 0;
        const char *name = p;
        size_t len = 0;
        while (name[len] != '\0' && name[len] != '/')
            len++;
        p = name + len;
        const char *after = p;
        while (*after == '/')
            after++;
        bool last = *after == '\0';
        if (++w->steps > EXT_PATH_MAX_COMPONENTS)
            return ERR_NAMETOOLONG;
        /* 2. Look it up in cur. */
        if (!ext_inode_is_dir(cur))
            return ERR_NOTDIR;
        if (len == 1 && name[0] == '.')
            continue;
        if (len > EXT_NAME_MAX)
            return ERR_NAMETOOLONG;
        uint32_t ino;
        int rc = ext_dir_find(v, cur, name, len, &ino);
        if (rc == 0)
            rc = ext_inode_get(v, ino, &child);
        if (rc)
            return rc;
        /* 3. A link to follow: splice its target in, from cur or the root. */
        if (ext_inode_is_symlink(&child) && (!last || follow_last)) {
            if (++w->follows > EXT_SYMLINK_MAX_FOLLOWS) {
                pr_warn("ext: %s: more than %u symbolic links in one lookup (a loop?) at '%.*s'",
                        v->name, EXT_SYMLINK_MAX_FOLLOWS, (int)len, name);
                return ERR_LOOP;
            }
            rc = ext_symlink_target(v, &child, w->target);
            if (rc == 0)
                rc = ext_splice(w, after);
            if (rc == 0 && w->target[0] == '/')
                rc = ext_inode_get(v, EXT_ROOT_INO, cur);
            if (rc)
                return rc;
            p = w->path;
            continue;
        }
        /* 4. Step down. */
        *cur = child;
    }
}

int ext_resolve(struct ext_vol *v, uint32_t start_ino, const char *path, bool follow_last,
                struct ext_inode *out)
{
    struct ext_walk w = { 0 };
    int rc = ERR_NOMEM;

    w.cap = strlen(path) + 1 + 2 * (EXT_SYMLINK_MAX_BYTES + 1);
    w.path = kmalloc(w.cap);
    w.spare = kmalloc(w.cap);
    w.target = kmalloc(EXT_SYMLINK_MAX_BYTES + 1);
    if (!w.path || !w.spare || !w.target)
        goto out_free;
    memcpy(w.path, path, strlen(path) + 1);
    rc = ext_inode_get(v, start_ino, out);
    if (rc == 0)
        rc = ext_walk_run(v, &w, follow_last, out);
out_free:
    kfree(w.path);
    kfree(w.spare);
    kfree(w.target);
    return rc;
}

int ext_follow(struct ext_vol *v, uint32_t dir_ino, const struct ext_inode *link,
               struct ext_inode *out)
{
    char *target = kmalloc(EXT_SYMLINK_MAX_BYTES + 1);
    if (!target)
        return ERR_NOMEM;
    int rc = ext_symlink_target(v, link, target);
    if (rc == 0)
        rc = ext_resolve(v, target[0] == '/' ? EXT_ROOT_INO : dir_ino, target, true, out);
    kfree(target);
    return rc;
}
