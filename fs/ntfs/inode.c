// SPDX-License-Identifier: MIT
/* NTFS files ("inodes"): load a base MFT record with what every operation
 * needs from it (its $STANDARD_INFORMATION: attribute flags and times; its
 * $ATTRIBUTE_LIST, resident or not, so that stream.c can find extents in
 * other records; the parent named by its first $FILE_NAME), and turn that
 * into a struct vfs_info.
 * Policy (STYLE §5), one log line each: a reference to an extent record
 * (one with a base reference) or a base record without a standard
 * information attribute: ERR_CORRUPT; a reference whose sequence number is
 * stale: ERR_NOENT (the entry names a deleted file); an attribute list
 * larger than NTFS_ALIST_MAX_BYTES: ERR_NOTSUP.
 * Shown: VFS_ATTR_READONLY always (the volume is read-only), then hidden
 * and system from the standard information, VFS_ATTR_DIR for a record with
 * the directory flag; the archive bit is not shown. Size: the unnamed
 * $DATA's data size (0 for folders and for files without one, such as
 * most reparse points).
 * Locking: the caller holds v->lock. */
#include "fs/ntfs/ntfs_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* Read the (possibly non-resident) attribute list of `in` into in->alist. */
static int ntfs_inode_alist(struct ntfs_vol *v, struct ntfs_inode *in)
{
    struct ntfs_stream s;
    int rc = ntfs_stream_open(v, in, AT_ATTRIBUTE_LIST, NULL, 0, &s);
    if (rc == ERR_NOENT)
        return 0;
    if (rc)
        return rc;
    if (s.data_size > NTFS_ALIST_MAX_BYTES) {
        pr_warn("ntfs: %s: record %llu: attribute list too large (%llu bytes, at most %u)",
                v->name, (unsigned long long)in->no, (unsigned long long)s.data_size,
                NTFS_ALIST_MAX_BYTES);
        rc = ERR_NOTSUP;
        goto out_close;
    }
    uint32_t n = (uint32_t)s.data_size;
    uint8_t *list = kmalloc(n ? n : 1);
    rc = ERR_NOMEM;
    if (!list)
        goto out_close;
    rc = ntfs_stream_read(v, &s, 0, list, n, CACHE_SYS);
    if (rc) {
        kfree(list);
        goto out_close;
    }
    in->alist = list; /* only now: the reads above look in the base record */
    in->alist_bytes = n;
out_close:
    ntfs_stream_close(&s);
    return rc;
}

/* Standard information and the first file name's parent, from the base record. */
static int ntfs_inode_fields(struct ntfs_vol *v, struct ntfs_inode *in)
{
    struct ntfs_attr a;
    int rc = ntfs_attr_find_in(v, in->rec, in->no, AT_STANDARD_INFORMATION, NULL, 0, &a);
    if (rc < 0)
        return rc;
    if (rc == 0 || !a.resident || a.value_len < NTFS_SI_MIN_BYTES) {
        pr_warn("ntfs: %s: record %llu has no usable standard information", v->name,
                (unsigned long long)in->no);
        return ERR_CORRUPT;
    }
    in->ctime = le64_at(a.value, SI_CTIME);
    in->mtime = le64_at(a.value, SI_MTIME);
    in->atime = le64_at(a.value, SI_ATIME);
    in->file_attr = le32_at(a.value, SI_FLAGS);
    in->parent = NTFS_ROOT_NO;
    rc = ntfs_attr_find_in(v, in->rec, in->no, AT_FILE_NAME, NULL, 0, &a);
    if (rc < 0)
        return rc;
    if (rc == 1 && a.resident && a.value_len >= NTFS_FN_MIN_BYTES)
        in->parent = NTFS_REF_NO(le64_at(a.value, FN_PARENT));
    return 0;
}

int ntfs_inode_get(struct ntfs_vol *v, uint64_t no, uint16_t seq, struct ntfs_inode *out)
{
    int rc;

    /* 1. The record: in use, a base record, the sequence asked for. */
    memset(out, 0, sizeof(*out));
    out->no = no;
    out->rec = kmalloc(v->b.record_bytes);
    if (!out->rec)
        return ERR_NOMEM;
    rc = ntfs_record_read(v, no, out->rec);
    if (rc)
        goto err_put;
    out->seq = le16_at(out->rec, REC_SEQ);
    out->is_dir = (le16_at(out->rec, REC_FLAGS) & NTFS_REC_IS_DIR) != 0;
    if (NTFS_REF_NO(le64_at(out->rec, REC_BASE_REF)) != 0) {
        pr_warn("ntfs: %s: record %llu is an extent record, not a file", v->name,
                (unsigned long long)no);
        rc = ERR_CORRUPT;
        goto err_put;
    }
    if (seq != 0 && out->seq != seq) {
        rc = ERR_NOENT;
        goto err_put;
    }
    /* 2. What every operation needs. */
    rc = ntfs_inode_fields(v, out);
    if (rc == 0)
        rc = ntfs_inode_alist(v, out);
    if (rc == 0)
        return 0;
err_put:
    ntfs_inode_put(out);
    return rc;
}

void ntfs_inode_put(struct ntfs_inode *in)
{
    kfree(in->rec);
    kfree(in->alist);
    in->rec = NULL;
    in->alist = NULL;
}

int ntfs_inode_info(struct ntfs_vol *v, const struct ntfs_inode *in, struct vfs_info *out)
{
    memset(out, 0, sizeof(*out));
    out->attr = VFS_ATTR_READONLY |
                (in->file_attr & (NTFS_FA_HIDDEN | NTFS_FA_SYSTEM)); /* same bit values */
    ntfs_time_to_vfs(in->ctime, &out->ctime);
    ntfs_time_to_vfs(in->mtime, &out->mtime);
    ntfs_time_to_vfs(in->atime, &out->atime);
    if (in->is_dir) {
        out->attr |= VFS_ATTR_DIR;
        return 0;
    }
    struct ntfs_stream s;
    int rc = ntfs_stream_open(v, in, AT_DATA, NULL, 0, &s);
    if (rc == ERR_NOENT)
        return 0;
    if (rc)
        return rc;
    out->size = s.data_size;
    ntfs_stream_close(&s);
    return 0;
}
