/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of the FAT driver (fs/fat/). Layout facts are
 * from the Microsoft FAT specification 1.03 ("FAT spec" below); section
 * numbers are cited beside each group. Not for use outside fs/fat/. */
#ifndef FS_FAT_FAT_PRIV_H
#define FS_FAT_FAT_PRIV_H

#include "blkdev/cache.h"
#include "fs/vfs.h"
#include "kernel/sync.h"
#include "kernel/types.h"

/* ---- on-disk layout ---------------------------------------------------------------------- */

/* FAT spec §3.1-3.3: BPB field offsets in the boot sector. */
enum {
    BPB_BYTS_PER_SEC = 11, BPB_SEC_PER_CLUS = 13, BPB_RSVD_SEC_CNT = 14, BPB_NUM_FATS = 16,
    BPB_ROOT_ENT_CNT = 17, BPB_TOT_SEC16 = 19, BPB_MEDIA = 21, BPB_FAT_SZ16 = 22,
    BPB_TOT_SEC32 = 32,
    BS16_STATE = 37, BS16_BOOT_SIG = 38, BS16_VOL_ID = 39, BS16_VOL_LAB = 43,
    BPB32_FAT_SZ32 = 36, BPB32_EXT_FLAGS = 40, BPB32_FS_VER = 42, BPB32_ROOT_CLUS = 44,
    BPB32_FS_INFO = 48, BPB32_BK_BOOT_SEC = 50, BS32_STATE = 65, BS32_BOOT_SIG = 66, BS32_VOL_ID = 67,
    BS32_VOL_LAB = 71,
};
#define FAT_BS_STATE_DIRTY 0x01 /* Linux/dosfstools: boot sector "state" bit 0 */

/* FAT spec §5: FSInfo sector. */
#define FSI_LEAD_SIG 0x41615252u
#define FSI_STRUC_SIG 0x61417272u
#define FSI_TRAIL_SIG 0xAA550000u
enum { FSI_LEAD = 0, FSI_STRUC = 484, FSI_FREE_COUNT = 488, FSI_NXT_FREE = 492, FSI_TRAIL = 508 };

/* FAT spec §4: cluster-count limits that decide the FAT type. */
#define FAT12_MAX_CLUSTERS 4084u
#define FAT16_MAX_CLUSTERS 65524u
#define FAT32_MAX_CLUSTERS 0x0FFFFFF4u /* entries 0x0FFFFFF7.. are bad/EOC */
#define FAT_MAX_CLUSTER_BYTES (64u * 1024) /* larger clusters are non-standard: rejected */
/* FAT spec §4.2: FAT[1] "clean shutdown" bits of FAT16 / FAT32. */
#define FAT16_CLEAN_BIT 0x8000u
#define FAT32_CLEAN_BIT 0x08000000u

/* FAT spec §6: directory entry. */
#define FAT_DIRENT_BYTES 32u
enum {
    DIR_NAME = 0, DIR_ATTR = 11, DIR_NTRES = 12, DIR_CRT_TIME_TENTH = 13, DIR_CRT_TIME = 14,
    DIR_CRT_DATE = 16, DIR_LST_ACC_DATE = 18, DIR_FST_CLUS_HI = 20, DIR_WRT_TIME = 22,
    DIR_WRT_DATE = 24, DIR_FST_CLUS_LO = 26, DIR_FILE_SIZE = 28,
};
#define FAT_ATTR_LFN 0x0F          /* RO|HIDDEN|SYSTEM|VOLUME = long-name entry */
#define FAT_ATTR_MASK 0x3F
#define FAT_ENTRY_FREE 0x00        /* this and every later entry are free */
#define FAT_ENTRY_DELETED 0xE5
#define FAT_ENTRY_KANJI_E5 0x05    /* first byte 0xE5 stored as 0x05 */
#define FAT_NTRES_LOWER_BASE 0x08  /* Windows NT: show the 8-char base in lower case */
#define FAT_NTRES_LOWER_EXT 0x10
/* FAT spec §6: a directory holds at most 65536 entries (2 MiB). */
#define FAT_DIR_MAX_ENTRIES 65536u
/* FAT spec §7: long-name entry. */
enum { LFN_ORD = 0, LFN_NAME1 = 1, LFN_ATTR = 11, LFN_CHKSUM = 13, LFN_NAME2 = 14,
       LFN_NAME3 = 28 };
#define LFN_LAST 0x40              /* ord bit of the first physical (last logical) entry */
#define LFN_UNITS_PER_ENTRY 13
#define FAT_NAME_UNITS 255         /* longest long name, UTF-16 units */
#define LFN_MAX_ENTRIES 20         /* ceil(255 / 13) */

/* ---- trusted volume geometry ------------------------------------------------------------- */

enum fat_type { FAT_TYPE_12 = 12, FAT_TYPE_16 = 16, FAT_TYPE_32 = 32 };

/* The BPB after fat_bpb_parse(): every value checked, every derived sector
 * number inside the volume. Sectors are partition-relative. */
struct fat_bpb {
    enum fat_type type;
    uint32_t sector_bytes;      /* = the media's sector size */
    uint32_t cluster_sectors;   /* power of two, 1..128 */
    uint32_t cluster_bytes;     /* <= FAT_MAX_CLUSTER_BYTES */
    uint32_t fat_first;         /* first sector of FAT copy 0 */
    uint32_t fat_sectors;       /* sectors per copy */
    uint32_t fat_count;         /* copies, 1..2 */
    uint32_t fat_active;        /* copy read (FAT32 with mirroring off), else 0 */
    bool fat_mirror;            /* write every copy */
    uint32_t root_first;        /* FAT12/16: first sector of the fixed root */
    uint32_t root_sectors;      /* FAT12/16: its length; 0 on FAT32 */
    uint32_t data_first;        /* sector of cluster 2 */
    uint32_t total_sectors;     /* of the volume, <= partition */
    uint32_t clusters;          /* data clusters: valid numbers are 2..clusters+1 */
    uint32_t root_cluster;      /* FAT32: first cluster of the root; else 0 */
    uint32_t fsinfo_sector;     /* FAT32: FSInfo sector, 0 = none/ignored */
    uint32_t state_offset;      /* boot-sector byte holding the dirty bit */
    uint32_t volume_id;
    char label[12];             /* BPB label, trailing blanks cut; "" for "NO NAME" */
};

/* FAT spec §4: what a FAT entry says. */
enum fat_link { FAT_LINK_FREE, FAT_LINK_NEXT, FAT_LINK_END, FAT_LINK_BAD };

#define FAT_FC_SLOTS 8 /* cached FAT sectors */
#define FAT_WALK_HINTS 4 /* chains whose walk position is remembered */

struct fat_fc_slot {
    uint8_t *buf;       /* one sector of FAT copy fat_active */
    uint32_t sector;    /* index within the FAT (0..fat_sectors-1) */
    uint32_t age;       /* LRU stamp */
    bool valid, dirty;
};

/* A mounted volume. All fields below `lock` are guarded by it. */
struct fat_vol {
    struct media *m;            /* not referenced: the volume dies with the media */
    unsigned part;              /* 1-based partition number */
    char name[40];              /* "hd0/1" for log lines */
    struct fat_bpb bpb;         /* constant after mount */
    bool readonly;              /* media read-only; constant */
    struct mutex lock;          /* one operation at a time on this volume */
    bool marked_dirty;          /* the dirty bit is set on disk */
    uint32_t free_count;        /* free clusters, counted at mount, kept exact */
    uint32_t next_free;         /* allocation hint (a cluster number) */
    struct fat_fc_slot fc[FAT_FC_SLOTS];
    uint32_t fc_clock;
    uint8_t *sec;               /* one-sector buffer for directory sectors */
    uint32_t sec_lba;           /* sector held in sec, UINT32_MAX if none */
    uint8_t *bounce;            /* one-sector buffer for partial data sectors */
    uint8_t *zero;              /* one zeroed cluster */
    /* Chain-walk hints: cluster number `cluster` is index `index` of the
     * chain starting at `first` (first 0 = unused). One per recently walked
     * chain, so a file read in many calls does not walk from its start again
     * after each path lookup walked a directory. Reset whenever the FAT
     * changes. */
    struct fat_walk_hint {
        uint32_t first, index, cluster;
    } hints[FAT_WALK_HINTS];
    unsigned hint_victim;       /* the slot a new chain's hint replaces next */
    /* Deferred FAT changes (see "Write ordering" below): one bit per data
     * cluster (bit c - 2), allocated at the first deferral, kept until unmount. */
    uint32_t *pend_free_map;    /* freed since the last commit; FAT still says in use */
    uint32_t *pend_eoc_map;     /* cut to end-of-chain since the last commit */
    uint32_t pend_free_count;   /* bits set in pend_free_map */
    uint32_t pend_eoc_count;    /* bits set in pend_eoc_map */
};

/* ---- write ordering (crash consistency) ------------------------------------------------------
 * The cache writes dirty sectors back sorted by LBA, whenever it likes (flusher, memory
 * pressure, sync). On a FAT volume the FATs lie below every directory and data sector, so
 * whatever sits in the cache reaches the disk FAT first. The driver keeps the cache's content
 * "safe" at all times, meaning any prefix of that write-back leaves at worst lost clusters:
 *  - Allocation before reference: new FAT entries (end marks and links that make a chain
 *    longer) go into the FAT at once; they land before the entries that reference them.
 *    "At once" means in the cache before any directory sector is written: the FAT sector
 *    LRU (fc) is flushed into the cache by fat_dir_put, not only at the end of the operation.
 *  - Release after dereference: freeing a chain (delete, truncate) and cutting a chain short
 *    are only noted (pend_*_map); the FAT keeps the old links, in the cache as on the disk, and
 *    those clusters are not reused. fat_get() shows the new state to the driver itself.
 *  - Initialisation before reference: a new folder's cluster (mkdir) and clusters added to a
 *    folder are zeroed / given "." and ".." and written back (cache_sync) before the entry or
 *    link that makes them part of the tree is written.
 *  - Rename adds the new entry, writes it back, then removes the old one: a crash in between
 *    leaves two entries sharing one chain (fsck.fat: cross-linked), never a lost file.
 * The cache keeps its side (blkdev/cache_wb.c): a write-back round writes an LBA-ordered prefix
 * of the dirty lines as they were at one instant, even while an operation changes them.
 * A commit (fat_vol_commit_locked: sync, or an allocation that needs the pending clusters)
 * then runs in phases, each ended by cache_sync (write-back + device flush):
 *   1. FAT (allocations only, both copies), file data, directories: all references durable;
 *   2. the pending frees and cuts applied to the FAT (both copies) and FSInfo: only clusters
 *      nothing references any more change, so a crash here leaves lost clusters or FAT copy 2
 *      behind copy 1 (fsck.fat uses copy 1 and warns);
 *   3. fat_vol_sync_locked only: the dirty bit cleared (the commit point of a clean volume).
 * A crash may leave, by design: lost clusters, FATs that differ (copy 1 is right), a chain
 * longer than its file (an append whose size update did not land), a renamed entry twice. */

/* ---- bpb.c ---------------------------------------------------------------------------------- */

/* Parse and validate a boot sector (FAT spec §3). `sector` holds
 * `sector_bytes` bytes; part_sectors is the partition's size. quiet: log
 * nothing when the sector does not look like FAT at all. Returns 0,
 * ERR_NOENT (not FAT), ERR_CORRUPT (FAT-like but invalid: logged). */
int fat_bpb_parse(const uint8_t *sector, uint32_t sector_bytes, uint64_t part_sectors,
                  const char *who, struct fat_bpb *out);
/* Mark the volume dirty on disk before its first change. */
int fat_vol_begin_write(struct fat_vol *v);
/* Commit phases 1-2 of the write ordering above (the volume stays marked
 * dirty). Returns 0 or the first cache/driver error (ERR_IO...). */
int fat_vol_commit_locked(struct fat_vol *v);
/* Commit (phases 1-2), then clear the dirty bit and cache_sync (phase 3). */
int fat_vol_sync_locked(struct fat_vol *v);

/* ---- sector I/O through the cache (partition-relative) ------------------------------------ */

int fat_io_read(struct fat_vol *v, uint32_t sector, uint32_t count, void *buf,
                enum cache_class cls);
int fat_io_write(struct fat_vol *v, uint32_t sector, uint32_t count, const void *buf,
                 enum cache_class cls);

/* ---- table.c -------------------------------------------------------------------------------- */

static inline bool fat_cluster_is_valid(const struct fat_vol *v, uint32_t c)
{
    return c >= 2 && c - 2 < v->bpb.clusters;
}
static inline uint32_t fat_cluster_sector(const struct fat_vol *v, uint32_t c)
{
    return v->bpb.data_first + (c - 2) * v->bpb.cluster_sectors;
}
int fat_get(struct fat_vol *v, uint32_t c, uint32_t *val);
int fat_set(struct fat_vol *v, uint32_t c, uint32_t val);
/* Next cluster of a chain: *next = 0 at the end. ERR_CORRUPT (logged) for a
 * free, bad or out-of-range link. */
int fat_next(struct fat_vol *v, uint32_t c, uint32_t *next);
/* Cluster number `index` (0-based) of the chain at `first`; ERR_EOM if the
 * chain is shorter. Bounded by the cluster count (loops -> ERR_CORRUPT). */
int fat_chain_nth(struct fat_vol *v, uint32_t first, uint32_t index, uint32_t *out);
/* Tell the walk hint that cluster `index` of the chain from `first` is
 * `cluster` (after a change that kept that prefix, e.g. an append). */
void fat_chain_hint(struct fat_vol *v, uint32_t first, uint32_t index, uint32_t cluster);
/* Length in clusters and last cluster of a chain (first != 0). */
int fat_chain_length(struct fat_vol *v, uint32_t first, uint32_t *len, uint32_t *last);
/* Allocate `count` clusters linked into a chain, appended to `prev` (0 =
 * a new chain), preferring the clusters right after prev. *first_out is the
 * first new one. ERR_NOSPC (nothing changed) if fewer are free. */
int fat_alloc(struct fat_vol *v, uint32_t prev, uint32_t count, uint32_t *first_out);
/* Free the chain from `first` on (bounded; stops at a corrupt link). The
 * FAT change is deferred to the next commit (see write ordering); the
 * clusters are not reused before it. */
int fat_free_chain(struct fat_vol *v, uint32_t first);
/* Make cluster c the end of its chain, freeing what followed it (deferred
 * like fat_free_chain). */
int fat_chain_cut(struct fat_vol *v, uint32_t c);
/* Write the deferred frees and cuts into the FAT (sector LRU); the caller
 * made every reference to them durable first. Returns 0 or an I/O error. */
int fat_pending_apply(struct fat_vol *v);
/* Free clusters, the ones waiting for a commit included. */
static inline uint32_t fat_free_clusters(const struct fat_vol *v)
{
    return v->free_count + v->pend_free_count;
}
/* Write back dirty FAT sectors to every copy. */
int fat_table_flush(struct fat_vol *v);
/* Count free clusters (mount). */
int fat_count_free(struct fat_vol *v, uint32_t *out);
/* Set or clear the FAT[1] clean-shutdown bit (FAT16/32). */
int fat_table_set_clean(struct fat_vol *v, bool clean);

/* ---- name.c --------------------------------------------------------------------------------- */

/* UTF-8 -> UTF-16. Returns units, ERR_INVAL (bad UTF-8), ERR_NAMETOOLONG. */
int fat_utf8_to_utf16(const char *s, size_t len, uint16_t *out, size_t max_units);
/* UTF-16 -> UTF-8 (bad surrogates become U+FFFD); always NUL-terminates. */
void fat_utf16_to_utf8(const uint16_t *u, size_t n, char *out, size_t cap);
uint16_t fat_unit_upper(uint16_t c);
bool fat_units_equal_nocase(const uint16_t *a, size_t an, const uint16_t *b, size_t bn);
uint8_t fat_lfn_checksum(const uint8_t name11[11]);
/* The display form of a short entry (NT lower-case flags applied). */
size_t fat_short_to_units(const uint8_t *ent, uint16_t *out);
/* Check a long name (units) for FAT: ERR_INVAL for forbidden characters,
 * ".", "..", empty. Trailing dots and blanks are cut (*n updated). */
int fat_name_check(uint16_t *u, size_t *n);
/* Exact 8.3 form of a name if it has one: true and name11 + ntres. */
bool fat_name_fits_short(const uint16_t *u, size_t n, uint8_t name11[11], uint8_t *ntres);
/* The basis name of FAT spec §7.4 (upper case, invalid -> '_'). */
void fat_name_basis(const uint16_t *u, size_t n, uint8_t name11[11]);

/* ---- dir.c ---------------------------------------------------------------------------------- */

/* A directory: its first cluster, 0 for the fixed FAT12/16 root. */
struct fat_dir {
    uint32_t first;
};

/* An entry found in a directory. */
struct fat_found {
    struct fat_dir parent;      /* directory holding it */
    uint32_t index;             /* entry index of the short entry */
    uint32_t lfn_index;         /* index of its first long-name entry (= index if none) */
    uint8_t raw[FAT_DIRENT_BYTES]; /* the short entry as read */
    uint16_t units[FAT_NAME_UNITS + 1]; /* name as shown (long or 8.3) */
    size_t nunits;
    bool is_root;               /* the root pseudo-entry (no raw entry) */
};

static inline uint32_t fat_ent_cluster(const struct fat_vol *v, const uint8_t *raw)
{
    uint32_t c = (uint32_t)raw[DIR_FST_CLUS_LO] | ((uint32_t)raw[DIR_FST_CLUS_LO + 1] << 8);
    if (v->bpb.type == FAT_TYPE_32)
        c |= ((uint32_t)raw[DIR_FST_CLUS_HI] | ((uint32_t)raw[DIR_FST_CLUS_HI + 1] << 8)) << 16;
    return c;
}
void fat_ent_set_cluster(uint8_t *raw, uint32_t c);
bool fat_found_is_dir(const struct fat_found *f);
/* The folder an entry names (root: first cluster of the root; 0 = fixed
 * root). ERR_CORRUPT for a folder entry without a valid first cluster. */
int fat_found_dir(const struct fat_vol *v, const struct fat_found *f, struct fat_dir *out);
struct fat_dir fat_root_dir(const struct fat_vol *v);

/* Walk the valid entries of dir: fn gets each; nonzero stops. The walk
 * skips deleted entries, volume labels, LFN entries whose chain is broken. */
int fat_dir_walk(struct fat_vol *v, struct fat_dir dir,
                 int (*fn)(struct fat_vol *v, const struct fat_found *f, void *ctx), void *ctx);
/* Find `name` (case-insensitive, long or 8.3) in dir. ERR_NOENT if absent. */
int fat_dir_find(struct fat_vol *v, struct fat_dir dir, const uint16_t *u, size_t n,
                 struct fat_found *out);
/* Resolve a '/'-separated path from the root. The root itself ("") gives a
 * found with is_root. ERR_NOENT, ERR_NOTDIR, ERR_NAMETOOLONG, ERR_INVAL. */
int fat_lookup(struct fat_vol *v, const char *path, struct fat_found *out);
/* Resolve the parent folder of path and check the last component as a new
 * FAT name: *dir is the folder, u (FAT_NAME_UNITS + 1 units) / *n the name.
 * ERR_INVAL for the root or a bad name, else as fat_lookup. */
int fat_lookup_parent(struct fat_vol *v, const char *path, struct fat_dir *dir, uint16_t *u,
                      size_t *n);
/* Is folder dir the folder at cluster `ancestor` or below it? (follows "..") */
int fat_dir_is_inside(struct fat_vol *v, struct fat_dir dir, uint32_t ancestor, bool *inside);
/* Point the ".." entry of folder dir at parent. */
int fat_dir_set_dotdot(struct fat_vol *v, struct fat_dir dir, struct fat_dir parent);
/* Fill cluster c with zeros. */
int fat_zero_cluster(struct fat_vol *v, uint32_t c);
/* Create an entry named u/n in dir from the template short entry `raw`
 * (attr, times, cluster, size are kept; the name fields are replaced).
 * Writes long-name entries and a unique ~N alias as needed. */
int fat_dir_add(struct fat_vol *v, struct fat_dir dir, const uint16_t *u, size_t n,
                const uint8_t *raw, struct fat_found *out);
/* Mark the entries of f (long-name run and short entry) deleted. */
int fat_dir_remove(struct fat_vol *v, const struct fat_found *f);
/* Rewrite the short entry of f from f->raw. */
int fat_dir_update(struct fat_vol *v, const struct fat_found *f);
/* True if dir has no entries other than "." and "..". */
int fat_dir_is_empty(struct fat_vol *v, struct fat_dir dir, bool *empty);
/* Volume label from the root directory's label entry; "" if none. */
int fat_dir_label(struct fat_vol *v, char *out, size_t cap);
/* Set the root directory's label entry to name11 (blank-padded, already
 * validated); eleven blanks delete it. Caller holds v->lock in a change. */
int fat_dir_set_label(struct fat_vol *v, const uint8_t name11[11]);

/* DOS date/time of "now" from the wall clock (kernel/lib/wallclock.h), in
 * 2-second steps; outside 1980..2107 clamped to the nearest end of the range. */
void fat_now(uint16_t *date, uint16_t *time);
void fat_time_decode(uint16_t date, uint16_t time, struct vfs_time *out);
void fat_time_encode(const struct vfs_time *t, uint16_t *date, uint16_t *time);

extern const struct vfs_fs_ops fat_vfs_ops;

#endif
