/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of the ISO 9660 driver (fs/iso9660/).
 * Layout facts are from ECMA-119 4th edition (2019), the Joliet
 * specification (1995), SUSP 1.12 (IEEE P1281) and RRIP 1.12 (IEEE P1282);
 * sections are cited beside each group. Not for use outside fs/iso9660/. */
#ifndef FS_ISO9660_ISO_PRIV_H
#define FS_ISO9660_ISO_PRIV_H

#include "blkdev/cache.h"
#include "fs/vfs.h"
#include "kernel/sync.h"
#include "kernel/types.h"

/* ---- on-disk layout ------------------------------------------------------------------------ */

/* ECMA-119 §6.1.2, §8.4.12: every real medium uses 2048-byte logical blocks;
 * other sizes (allowed by the standard, never seen) are rejected. */
#define ISO_BLOCK_BYTES 2048u
#define ISO_FIRST_VD_BLOCK 16u   /* §6.2.1: blocks 0-15 are the system area */
/* Descriptors read before giving up on a terminator: discs carry 3-6 (boot,
 * primary, Joliet, ISO 9660:1999, terminator); 64 leaves room for odd ones. */
#define ISO_MAX_DESCRIPTORS 64u
/* The smallest volume: system area, one descriptor, the terminator. */
#define ISO_MIN_VOLUME_BLOCKS (ISO_FIRST_VD_BLOCK + 2u)

/* §8.1, §8.4: volume descriptor fields (byte offsets). */
enum {
    VD_TYPE = 0, VD_ID = 1, VD_VERSION = 6, VD_FLAGS = 7, VD_VOLUME_ID = 40,
    VD_SPACE_SIZE = 80, VD_ESCAPES = 88, VD_BLOCK_SIZE = 128, VD_ROOT_RECORD = 156,
};
enum { VD_TYPE_BOOT = 0, VD_TYPE_PRIMARY = 1, VD_TYPE_SUPPLEMENTARY = 2,
       VD_TYPE_PARTITION = 3, VD_TYPE_TERMINATOR = 255 };
#define VD_VOLUME_ID_BYTES 32u
#define VD_ESCAPES_BYTES 32u

/* §9.1: directory record fields (byte offsets). Numbers are "both-byte
 * order" (§7.2.3, §7.3.3); we read the little-endian half only (as Linux
 * does), since some mastering tools got the big-endian half wrong. */
enum {
    DR_LEN = 0, DR_EA_LEN = 1, DR_EXTENT = 2, DR_SIZE = 10, DR_TIME = 18, DR_FLAGS = 25,
    DR_UNIT_SIZE = 26, DR_GAP_SIZE = 27, DR_VOL_SEQ = 28, DR_NAME_LEN = 32, DR_NAME = 33,
};
#define DR_MIN_BYTES 34u          /* fixed part + a 1-byte identifier */
#define DR_TIME_BYTES 7u
/* §9.1.6 file flags. */
#define DR_FLAG_HIDDEN 0x01       /* "existence": hide from the user */
#define DR_FLAG_DIR 0x02
#define DR_FLAG_ASSOC 0x04        /* associated file (Mac resource fork): skipped */
#define DR_FLAG_MULTI 0x80        /* another record of this file follows */
#define DR_NAME_DOT 0x00          /* §6.8.2.2: identifier of "." */
#define DR_NAME_DOTDOT 0x01       /* identifier of ".." */

/* SUSP 1.12 §4-5 and RRIP 1.12 §4.1: system-use entries. */
#define SUSP_HDR_BYTES 4u         /* signature(2) length(1) version(1) */
#define SUSP_SP_BYTES 7u
#define SUSP_CE_BYTES 28u
#define RR_NM_CONTINUE 0x01
#define RR_NM_CURRENT 0x02
#define RR_NM_PARENT 0x04
/* Continuation areas followed for one record: xorriso writes at most one or
 * two (long names, ACLs); more is a loop or garbage. */
#define ISO_CE_MAX_HOPS 8u
/* Bytes of one continuation area scanned; a 255-byte NM needs 260. Longer
 * areas (big ACLs) are scanned up to this size only. */
#define ISO_CE_MAX_BYTES 4096u
#define ISO_RR_NAME_MAX 255u      /* RRIP name bytes (POSIX NAME_MAX); longer: plain name */

/* ---- limits of the walks ------------------------------------------------------------------- */

/* Largest directory accepted (bytes): the 300-entry test folder needs 40 KiB,
 * 100000 long Rock Ridge names about 30 MiB. Bounds the work of one walk. */
#define ISO_DIR_MAX_BYTES (64u << 20)
/* Records of one multi-extent file: xorriso's default -file_size_limit is
 * 100 extents of 4 GiB - 2 KiB. */
#define ISO_MAX_EXTENTS 128u
/* Path components resolved in one lookup (the deepest Rock Ridge tree is
 * bounded by path length only; a looped directory could go on forever). */
#define ISO_PATH_MAX_COMPONENTS 256u

/* ---- trusted structures -------------------------------------------------------------------- */

enum iso_names {
    ISO_NAMES_PLAIN,  /* ECMA-119 identifiers, version and trailing dot cut */
    ISO_NAMES_JOLIET, /* UTF-16BE identifiers of the Joliet tree */
    ISO_NAMES_RR,     /* Rock Ridge NM entries of the primary tree */
};

/* A directory: where its records are. Checked to lie inside the volume. */
struct iso_dir {
    uint32_t block;             /* first block */
    uint32_t bytes;             /* 1..ISO_DIR_MAX_BYTES */
};

/* One extent of file data, inside the volume (checked when parsed). */
struct iso_extent {
    uint32_t block;             /* first block of the data (after the EA record) */
    uint32_t bytes;
};

/* What the descriptors say, after iso_vd_parse(). */
struct iso_vd_info {
    uint32_t volume_blocks;     /* §8.4.8 volume space size, >= ISO_MIN_VOLUME_BLOCKS */
    uint64_t limit_bytes;       /* readable: min(volume, partition) */
    struct iso_dir pvd_root;    /* root of the primary tree */
    struct vfs_time pvd_root_time;
    bool has_joliet;            /* a valid Joliet supplementary descriptor */
    unsigned joliet_level;      /* 1..3 */
    struct iso_dir joliet_root;
    struct vfs_time joliet_root_time;
    char label[VD_VOLUME_ID_BYTES + 1]; /* primary volume id, blanks cut, printable */
};

/* A mounted volume. Fields above `lock` are constant after mount; the
 * buffers below it are used under it. */
struct iso_vol {
    struct media *m;            /* not referenced: the volume dies with the media */
    unsigned part;              /* 1-based partition number */
    char name[40];              /* "cd0/1" for log lines */
    uint32_t sector_bytes;      /* media sector size, 512..4096 */
    struct iso_vd_info vd;
    enum iso_names names;       /* which names the tree in use has */
    struct iso_dir root;        /* root of the tree in use */
    struct vfs_time root_time;
    uint32_t susp_skip;         /* SUSP SP LEN_SKP: bytes skipped in every SU area */
    struct mutex lock;          /* one operation at a time on this volume */
    uint8_t *blk;               /* one directory block */
    uint8_t *bounce;            /* one media sector, for partial sectors */
    uint8_t *ce;                /* one continuation area (ISO_CE_MAX_BYTES) */
};

/* A directory entry as the walk reports it: one logical file, possibly made
 * of several records (multi-extent). */
struct iso_found {
    char name[VFS_NAME_MAX];    /* UTF-8, as shown */
    bool is_root;               /* the root pseudo-entry */
    bool is_dot, is_dotdot;     /* "." / ".." records */
    bool is_dir;
    bool hidden;                /* existence flag set */
    bool bad_extent;            /* an extent lies outside the volume: reading fails */
    bool interleaved;           /* file unit size != 0: not supported */
    bool linked;                /* RR CL: the directory lives at link_block */
    uint32_t link_block;
    struct vfs_time time;       /* recording time, UTC */
    uint64_t size;              /* bytes, sum of the extents (0 for directories) */
    unsigned nextents;
    struct iso_extent ext[ISO_MAX_EXTENTS];
};

/* ---- volume.c ------------------------------------------------------------------------------- */

/* Read blocks of the descriptor area: block -> ISO_BLOCK_BYTES bytes. */
typedef int (*iso_block_read_fn)(void *ctx, uint32_t block, uint8_t *out);

/* Parse and validate the volume descriptor set (ECMA-119 §8) of a partition
 * of part_bytes bytes, reading through rd. quiet: log nothing when block 16
 * holds no descriptor at all. Returns 0, ERR_NOENT (not ISO 9660),
 * ERR_CORRUPT (ISO-like but invalid: logged), or the reader's error. */
int iso_vd_parse(iso_block_read_fn rd, void *ctx, uint64_t part_bytes, const char *who,
                 struct iso_vd_info *out);

/* Read len bytes at byte `pos` of the partition through the cache. The
 * range must lie inside v->vd.limit_bytes (else ERR_CORRUPT, logged). */
int iso_read_bytes(struct iso_vol *v, uint64_t pos, void *buf, uint32_t len,
                   enum cache_class cls);

/* ---- dir.c ---------------------------------------------------------------------------------- */

/* Check that a directory at `block` of `bytes` bytes lies inside the volume
 * and is not too large. Returns 0 or ERR_CORRUPT (logged). */
int iso_dir_check(const struct iso_vol *v, uint32_t block, uint64_t bytes, struct iso_dir *out);
/* Walk the records of dir: fn gets each logical entry (dots included);
 * nonzero stops and is returned. ERR_CORRUPT (logged) for a record that
 * overruns its block or directory, or a broken multi-extent group. */
int iso_dir_walk(struct iso_vol *v, struct iso_dir dir,
                 int (*fn)(struct iso_vol *v, const struct iso_found *f, void *ctx), void *ctx);
/* The directory an entry names (root, a directory record, or an RR link).
 * ERR_NOTDIR for a file, ERR_CORRUPT for a bad extent. */
int iso_found_dir(struct iso_vol *v, const struct iso_found *f, struct iso_dir *out);
/* Resolve a '/'-separated path from the root ("" = the root; "." dropped,
 * ".." taken back lexically). Matches names case-insensitively (an exact
 * match wins). ERR_NOENT, ERR_NOTDIR, ERR_NAMETOOLONG (more than
 * ISO_PATH_MAX_COMPONENTS names), ERR_CORRUPT, ERR_NOMEM. */
int iso_lookup(struct iso_vol *v, const char *path, struct iso_found *out);
/* Scan the system-use area of the root's "." record for SUSP (SP) and Rock
 * Ridge (ER/RR/PX); sets v->susp_skip. *has_rr: use Rock Ridge names. */
int iso_detect_rr(struct iso_vol *v, struct iso_dir pvd_root, bool *has_rr);
/* The directory whose "." record is the first record of `block` (RR links
 * point at a block, the size comes from that record). */
int iso_dir_at_block(struct iso_vol *v, uint32_t block, struct iso_dir *out);

/* ---- name.c --------------------------------------------------------------------------------- */

/* ECMA-119 identifier -> shown name: ";version" and a trailing '.' cut,
 * bytes outside printable ASCII and '/' become '_'. */
void iso_name_plain(const uint8_t *id, size_t len, char *out, size_t cap);
/* Joliet UTF-16BE identifier -> UTF-8 (";version" cut; bad surrogates
 * become U+FFFD; '/' and controls become '_'). */
void iso_name_joliet(const uint8_t *id, size_t len, char *out, size_t cap);
/* Rock Ridge NM bytes (meant as UTF-8) -> UTF-8 (invalid sequences become
 * U+FFFD; '/' and controls become '_'). */
void iso_name_rr(const uint8_t *nm, size_t len, char *out, size_t cap);
/* Compare a path component (len bytes of UTF-8) with a shown name:
 * returns 2 for an exact match, 1 for a match ignoring case, 0 otherwise. */
int iso_name_match(const char *comp, size_t len, const char *name);
/* §9.1.5 recording date and time (7 bytes) -> UTC; invalid fields give an
 * all-zero time. */
void iso_time_decode(const uint8_t *t, struct vfs_time *out);

extern const struct vfs_fs_ops iso_vfs_ops;

#endif
