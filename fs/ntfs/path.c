// SPDX-License-Identifier: MIT
/* Path resolution on an NTFS volume: walk '/'-separated UTF-8 names from
 * the root, one index lookup per name (index.c: the exact name, else a
 * name equal ignoring case through $UpCase, as Windows looks names up).
 * "." stays; ".." goes to the parent named by the folder's first
 * $FILE_NAME (NTFS stores no ".." entries); the root is its own parent.
 * Reparse points (symbolic links, junctions) are never followed: a path
 * through one reaches the reparse point itself.
 * Bounds: NTFS_PATH_MAX_COMPONENTS names per lookup, NTFS_NAME_UNITS units
 * per name (longer: ERR_NAMETOOLONG).
 * Locking: the caller holds v->lock. */
#include "fs/ntfs/ntfs_priv.h"
#include "kernel/err.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"

/* Replace *cur by record `no` (sequence seq, 0 = any). */
static int ntfs_step(struct ntfs_vol *v, struct ntfs_inode *cur, uint64_t no, uint16_t seq)
{
    struct ntfs_inode next;
    int rc = ntfs_inode_get(v, no, seq, &next);
    if (rc)
        return rc;
    ntfs_inode_put(cur);
    *cur = next;
    return 0;
}

int ntfs_resolve(struct ntfs_vol *v, const char *path, struct ntfs_inode *out)
{
    uint16_t *units = kmalloc(NTFS_NAME_UNITS * sizeof(uint16_t));
    const char *p = path;
    unsigned steps = 0;
    int rc;

    if (!units)
        return ERR_NOMEM;
    rc = ntfs_inode_get(v, NTFS_ROOT_NO, 0, out);
    while (rc == 0) {
        /* 1. The next name; none left: out is the answer. */
        while (*p == '/')
            p++;
        if (*p == '\0')
            break;
        const char *name = p;
        size_t len = 0;
        while (name[len] != '\0' && name[len] != '/')
            len++;
        p = name + len;
        if (++steps > NTFS_PATH_MAX_COMPONENTS) {
            rc = ERR_NAMETOOLONG;
            break;
        }
        /* 2. Only folders have names in them. */
        if (!out->is_dir) {
            rc = ERR_NOTDIR;
            break;
        }
        if (len == 1 && name[0] == '.')
            continue;
        if (len == 2 && name[0] == '.' && name[1] == '.') {
            rc = ntfs_step(v, out, out->parent, 0);
            continue;
        }
        /* 3. Look it up and step down. */
        int n = ntfs_name_from_utf8(name, len, units, NTFS_NAME_UNITS);
        uint64_t ref;
        rc = n < 0 ? n : ntfs_index_find(v, out, units, (uint32_t)n, &ref);
        if (rc == 0)
            rc = ntfs_step(v, out, NTFS_REF_NO(ref), NTFS_REF_SEQ(ref));
    }
    if (rc)
        ntfs_inode_put(out);
    kfree(units);
    return rc;
}
