/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of the NTFS driver (fs/ntfs/). Layout facts
 * are from the Linux-NTFS project's documentation of the on-disk format
 * ("Boot sector", "FILE record", "Attributes", "Data runs", "Index
 * records"), cross-checked with Linux fs/ntfs3 (ntfs.h) and ntfs-3g
 * (layout.h); the structure is named beside each group. All fields are
 * little-endian. Not for use outside fs/ntfs/. */
#ifndef FS_NTFS_NTFS_PRIV_H
#define FS_NTFS_NTFS_PRIV_H

#include "blkdev/cache.h"
#include "fs/vfs.h"
#include "kernel/sync.h"
#include "kernel/types.h"

/* ---- boot sector ("Boot sector") ------------------------------------------------------------ */

enum {
    BS_OEM = 0x03, BS_BYTES_PER_SECTOR = 0x0B, BS_SECTORS_PER_CLUSTER = 0x0D,
    BS_TOTAL_SECTORS = 0x28, BS_MFT_LCN = 0x30, BS_MFTMIRR_LCN = 0x38,
    BS_CLUSTERS_PER_RECORD = 0x40, BS_CLUSTERS_PER_INDEX = 0x44, BS_SIGNATURE = 0x1FE,
};
#define NTFS_BOOT_BYTES 512u
#define NTFS_OEM "NTFS    "
#define NTFS_BOOT_SIGNATURE 0xAA55u
#define NTFS_MIN_SECTOR_BYTES 256u
#define NTFS_MAX_SECTOR_BYTES 4096u
#define NTFS_MAX_CLUSTER_BYTES (2u << 20)  /* 2 MiB: the largest Windows formats */
#define NTFS_MIN_RECORD_BYTES 512u         /* one fixup stride */
#define NTFS_MAX_RECORD_BYTES 4096u        /* as Linux ntfs3 (MAXIMUM_BYTES_PER_MFT) */
#define NTFS_MIN_INDEX_BYTES 512u
#define NTFS_MAX_INDEX_BYTES 65536u
/* Largest attribute size believed (bytes): every vcn * cluster and every
 * offset then fits in 64 bits with room to spare. NTFS itself stops at
 * 2^64 - 1; no real volume comes near 2^60 (1 EiB). */
#define NTFS_MAX_SIZE (1ull << 60)

/* ---- multi-sector records ("FILE record", "Index records": update sequence) ----------------- */

#define NTFS_FIXUP_STRIDE 512u  /* bytes protected by one update sequence entry, any sector size */
enum {
    REC_MAGIC = 0x00, REC_USA_OFS = 0x04, REC_USA_COUNT = 0x06, REC_SEQ = 0x10,
    REC_ATTRS_OFS = 0x14, REC_FLAGS = 0x16, REC_BYTES_USED = 0x18, REC_BYTES_ALLOC = 0x1C,
    REC_BASE_REF = 0x20,
};
#define NTFS_REC_HEADER_BYTES 0x30u   /* fixed header of a FILE record (3.1: 0x30) */
#define NTFS_REC_IN_USE 0x0001u
#define NTFS_REC_IS_DIR 0x0002u

/* Well-known MFT records ("Files"): the first 16 are the metafiles. */
enum {
    NTFS_MFT_NO = 0, NTFS_VOLUME_NO = 3, NTFS_ROOT_NO = 5, NTFS_BITMAP_NO = 6,
    NTFS_UPCASE_NO = 10, NTFS_FIRST_USER_NO = 16,
};
#define NTFS_REF_NO(ref) ((ref) & 0xFFFFFFFFFFFFull) /* low 48 bits: record number */
#define NTFS_REF_SEQ(ref) ((uint16_t)((ref) >> 48))  /* high 16 bits: sequence number */

/* ---- attributes ("Attributes", "Attribute header") ---------------------------------------- */

enum ntfs_attr_type {
    AT_STANDARD_INFORMATION = 0x10, AT_ATTRIBUTE_LIST = 0x20, AT_FILE_NAME = 0x30,
    AT_VOLUME_NAME = 0x60, AT_VOLUME_INFORMATION = 0x70, AT_DATA = 0x80,
    AT_INDEX_ROOT = 0x90, AT_INDEX_ALLOCATION = 0xA0, AT_BITMAP = 0xB0, AT_END = 0xFFFFFFFFu,
};
enum {
    AH_TYPE = 0x00, AH_LENGTH = 0x04, AH_NONRES = 0x08, AH_NAME_LEN = 0x09, AH_NAME_OFS = 0x0A,
    AH_FLAGS = 0x0C,
    /* resident */
    AH_VALUE_LEN = 0x10, AH_VALUE_OFS = 0x14,
    /* non-resident */
    AH_LOWEST_VCN = 0x10, AH_HIGHEST_VCN = 0x18, AH_PAIRS_OFS = 0x20, AH_COMP_UNIT = 0x22,
    AH_ALLOC_SIZE = 0x28, AH_DATA_SIZE = 0x30, AH_INIT_SIZE = 0x38,
};
#define NTFS_RESIDENT_HDR_BYTES 0x18u
#define NTFS_NONRES_HDR_BYTES 0x40u
#define NTFS_ATTR_COMPRESSED 0x00FFu  /* any compression method */
#define NTFS_ATTR_ENCRYPTED 0x4000u
#define NTFS_ATTR_SPARSE 0x8000u

/* $ATTRIBUTE_LIST entries ("Attribute list"). */
enum { AL_TYPE = 0x00, AL_LENGTH = 0x04, AL_NAME_LEN = 0x06, AL_NAME_OFS = 0x07,
       AL_START_VCN = 0x08, AL_REF = 0x10 };
#define NTFS_AL_ENTRY_MIN 0x1Au
/* Largest attribute list read: 256 KiB holds about 8000 extents, far more
 * than Windows ever writes (it gives up near 1.5 million runs per file). */
#define NTFS_ALIST_MAX_BYTES (256u << 10)

/* $STANDARD_INFORMATION and $FILE_NAME values. */
enum { SI_CTIME = 0x00, SI_MTIME = 0x08, SI_ATIME = 0x18, SI_FLAGS = 0x20 };
#define NTFS_SI_MIN_BYTES 0x24u
enum { FN_PARENT = 0x00, FN_FLAGS = 0x38, FN_NAME_LEN = 0x40, FN_NAMESPACE = 0x41,
       FN_NAME = 0x42 };
#define NTFS_FN_MIN_BYTES 0x42u
enum { NTFS_NS_POSIX = 0, NTFS_NS_WIN32 = 1, NTFS_NS_DOS = 2, NTFS_NS_WIN32_DOS = 3 };
/* File attribute flags (SI_FLAGS); the first three equal enum vfs_attr bits. */
#define NTFS_FA_READONLY 0x0001u
#define NTFS_FA_HIDDEN 0x0002u
#define NTFS_FA_SYSTEM 0x0004u
#define NTFS_FA_REPARSE 0x0400u

/* $VOLUME_INFORMATION value. */
enum { VI_MAJOR = 0x08, VI_MINOR = 0x09, VI_FLAGS = 0x0A };
#define NTFS_VI_MIN_BYTES 0x0Cu
#define NTFS_VOL_DIRTY 0x0001u

/* ---- indexes ("Index root", "Index records", "Index entry") ------------------------------- */

enum { IR_TYPE = 0x00, IR_COLLATION = 0x04, IR_BLOCK_BYTES = 0x08, IR_HEADER = 0x10 };
enum { IH_ENTRIES_OFS = 0x00, IH_INDEX_LEN = 0x04, IH_ALLOC_LEN = 0x08, IH_FLAGS = 0x0C };
#define NTFS_IH_BYTES 0x10u
#define NTFS_IH_LARGE 0x01u           /* the root has children in INDX blocks */
#define NTFS_COLLATION_FILE_NAME 0x01u
enum { INDX_VCN = 0x10, INDX_HEADER = 0x18 };
enum { IE_REF = 0x00, IE_LENGTH = 0x08, IE_KEY_LEN = 0x0A, IE_FLAGS = 0x0C, IE_KEY = 0x10 };
#define NTFS_IE_MIN_BYTES 0x10u
#define NTFS_IE_SUBNODE 0x01u
#define NTFS_IE_LAST 0x02u
/* Depth of an index tree walked: a B+ tree of 64 KiB blocks is a handful
 * of levels deep for any real folder; 32 stops a cycle in child pointers. */
#define NTFS_INDEX_MAX_DEPTH 32u

/* ---- limits --------------------------------------------------------------------------------- */

#define NTFS_NAME_UNITS 255u          /* longest name, UTF-16 units */
#define NTFS_MFT_MAX_RUNS 16384u      /* runs of $MFT kept in memory (fragmented MFTs) */
#define NTFS_PATH_MAX_COMPONENTS 4096u /* names resolved per lookup */
#define NTFS_UPCASE_UNITS 65536u

/* ---- trusted structures -------------------------------------------------------------------- */

/* The boot sector after ntfs_boot_parse(): every field bounded. */
struct ntfs_boot {
    uint32_t sector_bytes;      /* 256..4096, power of two */
    uint32_t cluster_bytes;     /* sector_bytes * sectors per cluster, <= 2 MiB */
    uint32_t cluster_shift;     /* cluster_bytes = 1 << cluster_shift */
    uint64_t total_clusters;    /* >= 16; total_clusters * cluster_bytes <= partition */
    uint64_t mft_lcn;           /* < total_clusters */
    uint64_t mftmirr_lcn;       /* < total_clusters */
    uint32_t record_bytes;      /* 512..4096, power of two */
    uint32_t index_bytes;       /* 512..65536, power of two (each root says its own) */
};

/* One attribute of a record after ntfs_attr_next(): every offset checked
 * against the attribute's length. Pointers lead into the record buffer. */
struct ntfs_attr {
    uint32_t type;
    bool resident;
    uint16_t flags;             /* NTFS_ATTR_* */
    const uint8_t *name;        /* UTF-16LE, name_len units (unaligned) */
    uint8_t name_len;
    const uint8_t *value;       /* resident: the value */
    uint32_t value_len;
    uint64_t lowest_vcn;        /* non-resident: first cluster this extent maps */
    uint64_t highest_vcn;       /* last one; lowest_vcn - 1 when it maps none */
    const uint8_t *pairs;       /* mapping pairs */
    uint32_t pairs_len;         /* bytes from pairs to the attribute's end */
    uint64_t alloc_size, data_size, init_size; /* only valid where lowest_vcn == 0 */
};

/* A run of clusters: `count` clusters from the vcn asked for are at lcn
 * (or read as zeros). */
struct ntfs_run {
    uint64_t lcn;               /* first cluster; 0 when sparse */
    uint64_t count;             /* >= 1 */
    bool sparse;
};

/* One $MFT run kept at mount: vcn .. vcn+count-1 at lcn. */
struct ntfs_mft_run {
    uint64_t vcn, lcn, count;
};

/* A file (an MFT base record) after ntfs_inode_get(). */
struct ntfs_inode {
    uint64_t no;                /* MFT record number */
    uint16_t seq;               /* its sequence number */
    bool is_dir;                /* record flag: holds a $I30 index */
    uint32_t file_attr;         /* $STANDARD_INFORMATION flags (NTFS_FA_*) */
    uint64_t ctime, mtime, atime; /* FILETIME: 100 ns since 1601-01-01 UTC */
    uint64_t parent;            /* record number of the first $FILE_NAME's parent */
    uint8_t *rec;               /* the base record (record_bytes), fixups applied */
    uint8_t *alist;             /* its $ATTRIBUTE_LIST value, NULL if none */
    uint32_t alist_bytes;
};

/* An attribute (all extents of one type and name) opened for reading. */
struct ntfs_stream {
    const struct ntfs_inode *in;
    uint32_t type;
    uint8_t name[8];            /* UTF-16LE name ("" or "$I30") */
    uint8_t name_len;
    bool resident;
    uint8_t *value;             /* resident: a copy of the value (kmalloc'd) */
    uint16_t flags;             /* NTFS_ATTR_* of the first extent */
    uint64_t data_size;         /* bytes; <= NTFS_MAX_SIZE */
    uint64_t init_size;         /* bytes written; past it everything reads as zeros */
};

/* A mounted volume. Fields above `lock` are constant after mount; the
 * buffers below it are used under it. */
struct ntfs_vol {
    struct media *m;            /* not referenced: the volume dies with the media */
    unsigned part;              /* 1-based partition number */
    char name[40];              /* "hd0/1" for log lines */
    uint32_t media_sector_bytes; /* 512..4096 */
    uint64_t limit_bytes;       /* partition bytes; every read stays below */
    struct ntfs_boot b;
    struct ntfs_mft_run *mft_runs; /* $MFT's $DATA, in vcn order */
    uint32_t mft_nruns;
    uint64_t mft_records;       /* records $MFT holds (its initialized size) */
    uint16_t *upcase;           /* 65536 units: $UpCase, or ASCII folding */
    uint8_t major, minor;       /* NTFS version */
    bool dirty;                 /* $VOLUME_INFORMATION said the volume is dirty */
    uint64_t free_clusters;     /* zero bits of $Bitmap, counted at mount */
    char label[VFS_NAME_MAX];   /* $VOLUME_NAME in UTF-8 */
    struct mutex lock;          /* one operation at a time on this volume */
    uint8_t *bounce;            /* one media sector (ntfs_read_bytes) */
    uint8_t *ext_rec;           /* one record: extent records (ntfs_stream_map only) */
};

/* A directory index entry, checked (ntfs_index_*): name inside the block. */
struct ntfs_dirent {
    uint64_t ref;               /* MFT reference: record number and sequence */
    uint8_t name_space;         /* NTFS_NS_* */
    uint8_t name_len;           /* UTF-16 units, 1..255 */
    const uint8_t *name;        /* UTF-16LE, unaligned */
    const uint8_t *fn;          /* the whole $FILE_NAME key */
};

/* ---- super.c -------------------------------------------------------------------------------- */

/* Parse and validate a boot sector (NTFS_BOOT_BYTES bytes) of a partition
 * of part_bytes bytes. Returns 0, ERR_NOENT (no NTFS OEM id or signature:
 * silent), ERR_CORRUPT (bad geometry: logged). */
int ntfs_boot_parse(const uint8_t *raw, uint64_t part_bytes, const char *who,
                    struct ntfs_boot *out);
/* Read len bytes at byte `pos` of the partition through the cache
 * (fs/fs_bytes.h). ERR_CORRUPT (logged) outside the partition. */
int ntfs_read_bytes(struct ntfs_vol *v, uint64_t pos, void *buf, uint32_t len,
                    enum cache_class cls);

/* ---- volume.c ------------------------------------------------------------------------------- */

/* Load the metafiles of a volume whose boot sector is in v->b: $MFT's map
 * (v->mft_runs), $Volume (version, dirty flag, label), $UpCase, the free
 * clusters of $Bitmap, and check the root folder. ERR_CORRUPT (logged),
 * ERR_NOTSUP (an NTFS version other than 1.x-3.x), ERR_NOMEM, I/O. */
int ntfs_volume_load(struct ntfs_vol *v);

/* ---- record.c ------------------------------------------------------------------------------- */

/* Apply the update sequence array of a multi-sector record of `bytes`
 * bytes in place, after checking its magic ("FILE" / "INDX"), the array's
 * place and size, and that every stride ends with the sequence number.
 * ERR_CORRUPT (logged with `what` and `no`) otherwise. */
int ntfs_fixup(const struct ntfs_vol *v, uint8_t *buf, uint32_t bytes, const char *magic,
               const char *what, uint64_t no);
/* Read MFT record `no` into buf (record_bytes), apply its fixups and check
 * its header (in use, sizes, first attribute offset). Returns 0,
 * ERR_NOENT (record not in use, or past the initialized MFT),
 * ERR_CORRUPT (logged), or an I/O error. */
int ntfs_record_read(struct ntfs_vol *v, uint64_t no, uint8_t *buf);
/* Check the header of a record already read and fixed up. */
int ntfs_record_check(const struct ntfs_vol *v, const uint8_t *rec, uint64_t no);
/* Step through the attributes of a checked record: *pos starts at 0.
 * Returns 1 with *out filled, 0 at the end marker, ERR_CORRUPT (logged)
 * for a header that runs past the record or is inconsistent. */
int ntfs_attr_next(const struct ntfs_vol *v, const uint8_t *rec, uint64_t no, uint32_t *pos,
                   struct ntfs_attr *out);
/* Find the first attribute of `type` named name/name_len (UTF-16LE) in a
 * checked record. 1 found, 0 not there, ERR_CORRUPT. */
int ntfs_attr_find_in(const struct ntfs_vol *v, const uint8_t *rec, uint64_t no, uint32_t type,
                      const uint8_t *name, uint8_t name_len, struct ntfs_attr *out);

/* ---- runs.c --------------------------------------------------------------------------------- */

typedef int (*ntfs_run_fn)(uint64_t vcn, const struct ntfs_run *r, void *ctx);
/* Decode the mapping pairs of non-resident extent `a`, calling fn for
 * every run from a->lowest_vcn on (a nonzero return stops and is
 * returned). ERR_CORRUPT (logged) for a malformed pair, a run outside the
 * volume or past a->highest_vcn, or pairs that stop before it. */
int ntfs_runs_walk(const struct ntfs_vol *v, const struct ntfs_attr *a, uint64_t no,
                   ntfs_run_fn fn, void *ctx);
/* As ntfs_runs_walk, from `vcn` on: fn sees the run holding vcn cut to
 * start there, then each later run of the extent. ERR_CORRUPT (logged) as
 * ntfs_runs_walk, or when vcn is outside lowest..highest of `a`. */
int ntfs_runs_from(const struct ntfs_vol *v, const struct ntfs_attr *a, uint64_t no,
                   uint64_t vcn, ntfs_run_fn fn, void *ctx);

/* ---- inode.c -------------------------------------------------------------------------------- */

/* Load base record `no` (checked against sequence `seq` unless 0) with its
 * attribute list and standard information. ERR_NOENT (not in use or a
 * stale reference), ERR_CORRUPT (logged), ERR_NOMEM, I/O errors. */
int ntfs_inode_get(struct ntfs_vol *v, uint64_t no, uint16_t seq, struct ntfs_inode *out);
/* Free what ntfs_inode_get allocated (safe on a zeroed inode). */
void ntfs_inode_put(struct ntfs_inode *in);
/* The file information of `in` (size of its unnamed $DATA; no name). */
int ntfs_inode_info(struct ntfs_vol *v, const struct ntfs_inode *in, struct vfs_info *out);

/* ---- stream.c ------------------------------------------------------------------------------- */

/* Open the attribute of `type` and name (UTF-16LE, name_len units) of in:
 * its first extent (lowest vcn 0, in the base record or through the
 * attribute list) gives the sizes. ERR_NOENT if it does not exist,
 * ERR_CORRUPT (logged), ERR_NOMEM. Close with ntfs_stream_close. */
int ntfs_stream_open(struct ntfs_vol *v, const struct ntfs_inode *in, uint32_t type,
                     const uint8_t *name, uint8_t name_len, struct ntfs_stream *out);
void ntfs_stream_close(struct ntfs_stream *s);
/* The extent of non-resident stream s that maps `vcn` into *a (pointing
 * into s->in->rec or v->ext_rec until the next call), *rec_no its record.
 * ERR_CORRUPT (logged) when no extent maps it. */
int ntfs_stream_extent(struct ntfs_vol *v, const struct ntfs_stream *s, uint64_t vcn,
                       struct ntfs_attr *a, uint64_t *rec_no);
/* Read bytes [off, off+len) of s (the caller keeps them below
 * s->data_size): sparse runs and bytes past the initialized size read as
 * zeros. ERR_NOTSUP (logged) for compressed or encrypted data,
 * ERR_CORRUPT, I/O errors. Uses v->ext_rec. */
int ntfs_stream_read(struct ntfs_vol *v, const struct ntfs_stream *s, uint64_t off, void *buf,
                     uint32_t len, enum cache_class cls);

/* ---- name.c --------------------------------------------------------------------------------- */

/* UTF-16LE (n units at src, unaligned) -> UTF-8, NUL-terminated, cut at a
 * character boundary to fit cap; unpaired surrogates become U+FFFD. */
void ntfs_name_to_utf8(const uint8_t *src, uint32_t n, char *out, size_t cap);
/* UTF-8 (len bytes) -> UTF-16 units. Returns the unit count,
 * ERR_NAMETOOLONG (over max units) or ERR_NOENT (not valid UTF-8: no NTFS
 * name can match). */
int ntfs_name_from_utf8(const char *s, size_t len, uint16_t *out, uint32_t max);
/* Collation of a name (u, n units) against an on-disk name (UTF-16LE):
 * <0, 0, >0. Upcased units first, then length; with exact, equal upcased
 * names are then ordered by their raw units (NTFS's COLLATION_FILE_NAME). */
int ntfs_name_cmp(const struct ntfs_vol *v, const uint16_t *u, uint32_t n, const uint8_t *disk,
                  uint32_t disk_n, bool exact);
/* FILETIME (100 ns since 1601) -> UTC broken down; before 1970 -> 1970. */
void ntfs_time_to_vfs(uint64_t ft, struct vfs_time *out);
/* Fill v->upcase with ASCII folding only (when $UpCase is unusable). */
void ntfs_upcase_default(uint16_t *up);

/* ---- index.c -------------------------------------------------------------------------------- */

typedef int (*ntfs_dir_fn)(struct ntfs_vol *v, const struct ntfs_dirent *d, void *ctx);
/* Call fn for every entry of directory `dir`'s $I30 index in collation
 * order (DOS names included; a nonzero return stops the walk and is
 * returned). ERR_NOTDIR, ERR_CORRUPT (logged), ERR_NOMEM, I/O errors. */
int ntfs_index_walk(struct ntfs_vol *v, const struct ntfs_inode *dir, ntfs_dir_fn fn, void *ctx);
/* Look name (u, n units) up in `dir` by descending its B+ tree: an entry
 * with exactly this name, else one equal ignoring case. 0 with *ref_out,
 * ERR_NOENT, ERR_NOTDIR, ERR_CORRUPT, ERR_NOMEM. */
int ntfs_index_find(struct ntfs_vol *v, const struct ntfs_inode *dir, const uint16_t *u,
                    uint32_t n, uint64_t *ref_out);

/* ---- path.c --------------------------------------------------------------------------------- */

/* Resolve '/'-separated `path` from the root ("" = the root); "." stays,
 * ".." goes to the parent. 0 and *out (ntfs_inode_put it), ERR_NOENT,
 * ERR_NOTDIR, ERR_NAMETOOLONG, ERR_CORRUPT, ERR_NOMEM. */
int ntfs_resolve(struct ntfs_vol *v, const char *path, struct ntfs_inode *out);

extern const struct vfs_fs_ops ntfs_vfs_ops;

#endif
