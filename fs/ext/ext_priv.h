/* SPDX-License-Identifier: MIT */
/* Internals shared by the files of the ext2/ext3/ext4 driver (fs/ext/).
 * Layout facts are from the Linux kernel's Documentation/filesystems/ext4
 * ("Super Block", "Block Group Descriptors", "Index Nodes", "Extent Tree",
 * "Directory Entries", "Inline Data"); the section is named beside each
 * group. All on-disk fields are little-endian. Not for use outside fs/ext/. */
#ifndef FS_EXT_EXT_PRIV_H
#define FS_EXT_EXT_PRIV_H

#include "blkdev/cache.h"
#include "fs/vfs.h"
#include "kernel/sync.h"
#include "kernel/types.h"

/* ---- super block ("Super Block") ---------------------------------------------------------- */

#define EXT_SB_OFFSET 1024u     /* byte offset of the primary super block */
#define EXT_SB_BYTES 1024u
#define EXT_MAGIC 0xEF53u
#define EXT_MIN_LOG_BLOCK 0u    /* 1 KiB blocks */
#define EXT_MAX_LOG_BLOCK 6u    /* 64 KiB blocks: the largest Linux mounts */
/* Clusters (bigalloc) up to 1 GiB, as Linux (EXT4_MAX_CLUSTER_LOG_SIZE):
 * block bytes * blocks per cluster then fits in 32 bits. */
#define EXT_MAX_LOG_CLUSTER 20u /* s_log_cluster_size: 1024 << 20 bytes */

enum {
    SB_INODES_COUNT = 0x00, SB_BLOCKS_COUNT_LO = 0x04, SB_FREE_BLOCKS_LO = 0x0C,
    SB_FREE_INODES = 0x10, SB_FIRST_DATA_BLOCK = 0x14, SB_LOG_BLOCK = 0x18,
    SB_LOG_CLUSTER = 0x1C, SB_BLOCKS_PER_GROUP = 0x20, SB_CLUSTERS_PER_GROUP = 0x24,
    SB_INODES_PER_GROUP = 0x28, SB_MAGIC = 0x38, SB_STATE = 0x3A, SB_REV_LEVEL = 0x4C,
    SB_FIRST_INO = 0x54, SB_INODE_SIZE = 0x58, SB_FEATURE_COMPAT = 0x5C,
    SB_FEATURE_INCOMPAT = 0x60, SB_FEATURE_RO_COMPAT = 0x64, SB_VOLUME_NAME = 0x78,
    SB_DESC_SIZE = 0xFE, SB_FIRST_META_BG = 0x104, SB_BLOCKS_COUNT_HI = 0x150,
    SB_FREE_BLOCKS_HI = 0x158, SB_BACKUP_BGS = 0x24C,
};
#define SB_VOLUME_NAME_BYTES 16u
#define EXT_REV_GOOD_OLD 0u     /* fixed 128-byte inodes, first inode 11 */
#define EXT_REV_DYNAMIC 1u
#define EXT_GOOD_OLD_INODE_BYTES 128u
#define EXT_GOOD_OLD_FIRST_INO 11u

/* Feature flags ("Super Block": s_feature_compat, _incompat, _ro_compat). */
#define EXT_COMPAT_HAS_JOURNAL 0x0004u
#define EXT_COMPAT_SPARSE_SUPER2 0x0200u
#define EXT_INCOMPAT_COMPRESSION 0x0001u
#define EXT_INCOMPAT_FILETYPE 0x0002u
#define EXT_INCOMPAT_RECOVER 0x0004u     /* the journal needs replaying */
#define EXT_INCOMPAT_JOURNAL_DEV 0x0008u
#define EXT_INCOMPAT_META_BG 0x0010u
#define EXT_INCOMPAT_EXTENTS 0x0040u
#define EXT_INCOMPAT_64BIT 0x0080u
#define EXT_INCOMPAT_MMP 0x0100u
#define EXT_INCOMPAT_FLEX_BG 0x0200u
#define EXT_INCOMPAT_EA_INODE 0x0400u
#define EXT_INCOMPAT_DIRDATA 0x1000u
#define EXT_INCOMPAT_CSUM_SEED 0x2000u
#define EXT_INCOMPAT_LARGEDIR 0x4000u
#define EXT_INCOMPAT_INLINE_DATA 0x8000u
#define EXT_INCOMPAT_ENCRYPT 0x10000u
#define EXT_INCOMPAT_CASEFOLD 0x20000u
/* What this driver reads correctly. MMP only guards against two writers,
 * CSUM_SEED only changes how checksums are seeded (not verified here). */
#define EXT_INCOMPAT_SUPPORTED                                                               \
    (EXT_INCOMPAT_FILETYPE | EXT_INCOMPAT_RECOVER | EXT_INCOMPAT_META_BG |                   \
     EXT_INCOMPAT_EXTENTS | EXT_INCOMPAT_64BIT | EXT_INCOMPAT_MMP | EXT_INCOMPAT_FLEX_BG |   \
     EXT_INCOMPAT_CSUM_SEED | EXT_INCOMPAT_LARGEDIR | EXT_INCOMPAT_INLINE_DATA)
#define EXT_RO_COMPAT_SPARSE_SUPER 0x0001u
#define EXT_RO_COMPAT_LARGE_FILE 0x0002u
#define EXT_RO_COMPAT_BTREE_DIR 0x0004u
#define EXT_RO_COMPAT_BIGALLOC 0x0200u
/* Features that make a volume "ext4" rather than ext2/ext3 (blkid's rule). */
#define EXT_INCOMPAT_EXT3 (EXT_INCOMPAT_FILETYPE | EXT_INCOMPAT_RECOVER | EXT_INCOMPAT_META_BG)
#define EXT_RO_COMPAT_EXT3                                                                   \
    (EXT_RO_COMPAT_SPARSE_SUPER | EXT_RO_COMPAT_LARGE_FILE | EXT_RO_COMPAT_BTREE_DIR)

/* ---- block group descriptors ("Block Group Descriptors") --------------------------------- */

enum { GD_INODE_TABLE_LO = 0x08, GD_INODE_TABLE_HI = 0x28 };
#define EXT_DESC_BYTES 32u          /* without INCOMPAT_64BIT */
#define EXT_DESC_MIN_64BIT 64u      /* s_desc_size bounds with INCOMPAT_64BIT */
#define EXT_DESC_MAX_BYTES 1024u
/* Groups a volume may have: 2^32 blocks of 1 KiB in groups of 8192 blocks
 * is 2^19; 64-bit volumes of 4 KiB blocks reach 2^20 groups at 4 PiB. */
#define EXT_MAX_GROUPS (1u << 24)

/* ---- inodes ("Index Nodes") --------------------------------------------------------------- */

enum {
    IN_MODE = 0x00, IN_SIZE_LO = 0x04, IN_ATIME = 0x08, IN_CTIME = 0x0C, IN_MTIME = 0x10,
    IN_LINKS = 0x1A, IN_BLOCKS_LO = 0x1C, IN_FLAGS = 0x20, IN_BLOCK = 0x28,
    IN_FILE_ACL_LO = 0x68, IN_SIZE_HI = 0x6C, IN_EXTRA_ISIZE = 0x80, IN_CTIME_EXTRA = 0x84,
    IN_MTIME_EXTRA = 0x88, IN_ATIME_EXTRA = 0x8C, IN_CRTIME = 0x90, IN_CRTIME_EXTRA = 0x94,
};
#define EXT_ROOT_INO 2u
#define EXT_N_BLOCK_BYTES 60u       /* i_block: 15 32-bit words */
#define EXT_NDIR_BLOCKS 12u         /* direct pointers; then single, double, triple */
#define EXT_MODE_FMT 0xF000u
#define EXT_MODE_DIR 0x4000u
#define EXT_MODE_REG 0x8000u
#define EXT_MODE_LNK 0xA000u
#define EXT_MODE_WRITE_BITS 0x0092u /* u+w g+w o+w */
#define EXT_FL_INDEX 0x00001000u    /* hashed (htree) directory; read linearly */
#define EXT_FL_EXTENTS 0x00080000u
#define EXT_FL_INLINE_DATA 0x10000000u
#define EXT_EXTRA_CRTIME_END 0x18u  /* i_extra_isize that covers i_crtime_extra */
/* Inode bytes read: inline data (in-inode extended attributes) is only
 * looked for in the first EXT_INODE_READ_MAX bytes; mke2fs allows inodes up
 * to the block size, but nothing real uses more than 1 KiB. */
#define EXT_INODE_READ_MAX 1024u

/* ---- extent tree ("Extent Tree") ---------------------------------------------------------- */

#define EXT_EXTENT_MAGIC 0xF30Au
#define EXT_EXTENT_ENTRY_BYTES 12u  /* header, index and leaf entries alike */
#define EXT_EXTENT_MAX_DEPTH 5u     /* Linux's EXT4_MAX_EXTENT_DEPTH */
#define EXT_EXTENT_INIT_MAX 32768u  /* ee_len above this: uninitialized, len - 32768 */

/* ---- directory entries ("Directory Entries") --------------------------------------------- */

#define EXT_DIRENT_HDR_BYTES 8u     /* inode(4) rec_len(2) name_len(1) file_type(1) */
#define EXT_NAME_MAX 255u
/* Largest directory walked (bytes): 100000 entries of 255-byte names need
 * about 27 MiB; bounds the work of one walk on a damaged size. */
#define EXT_DIR_MAX_BYTES (256u << 20)

/* ---- inline data ("Inline Data", "Extended Attributes") ----------------------------------- */

#define EXT_XATTR_MAGIC 0xEA020000u
#define EXT_XATTR_ENTRY_BYTES 16u   /* name_len, index, value_offs, value_inum, size, hash */
#define EXT_XATTR_INDEX_SYSTEM 7u   /* "system." prefix; inline data is "system.data" */
/* Inline content: i_block plus an attribute value inside the bytes read. */
#define EXT_INLINE_MAX_BYTES (EXT_N_BLOCK_BYTES + EXT_INODE_READ_MAX)

/* ---- limits of path resolution ------------------------------------------------------------ */

#define EXT_SYMLINK_MAX_FOLLOWS 40u /* links followed per lookup (Linux: 40) */
#define EXT_SYMLINK_MAX_BYTES 4095u /* longest target followed (PATH_MAX - 1) */
/* Path components resolved in one lookup, symlink targets included: a
 * looped directory tree cannot spin longer than this. */
#define EXT_PATH_MAX_COMPONENTS 4096u
#define EXT_RUN_MAX_BYTES (1024u * 1024) /* largest single data request */

/* ---- trusted structures -------------------------------------------------------------------- */

/* The super block after ext_sb_parse(): every field bounded. */
struct ext_sb {
    uint32_t block_bytes;       /* 1024..65536, power of two */
    uint32_t log_block;         /* block_bytes = 1024 << log_block */
    uint64_t blocks_count;      /* > first_data_block; blocks_count * block_bytes fits */
    uint32_t first_data_block;  /* 0 or 1 */
    uint32_t sb_block;          /* block holding byte 1024: 1 with 1 KiB blocks, else 0 */
    uint32_t blocks_per_group;  /* 8..8 * block_bytes * cluster_ratio */
    uint32_t inodes_per_group;  /* 1..8 * block_bytes */
    uint32_t inodes_count;      /* groups * inodes_per_group */
    uint32_t groups;            /* 1..EXT_MAX_GROUPS */
    uint32_t inode_bytes;       /* 128..block_bytes, power of two */
    uint32_t itable_blocks;     /* inode table blocks of one group */
    uint32_t desc_bytes;        /* 32, or s_desc_size with INCOMPAT_64BIT */
    uint32_t descs_per_block;
    uint32_t gdt_blocks;        /* descriptor blocks of the whole volume */
    uint32_t first_meta_bg;     /* with INCOMPAT_META_BG: first meta group */
    uint32_t backup_bgs[2];     /* with COMPAT_SPARSE_SUPER2 */
    uint32_t cluster_ratio;     /* blocks per cluster (BIGALLOC), else 1; clusters <= 1 GiB */
    uint32_t compat, incompat, ro_compat;
    uint32_t rev;
    uint64_t free_blocks;       /* as the super block says, <= blocks_count */
    char label[SB_VOLUME_NAME_BYTES + 1]; /* s_volume_name, printable bytes */
    char fs_name[8];            /* "ext2", "ext3" or "ext4" */
};

/* An inode after ext_inode_get(): type, size and flags checked. */
struct ext_inode {
    uint32_t ino;
    uint16_t mode;              /* type (EXT_MODE_FMT) and permission bits */
    uint32_t flags;             /* EXT_FL_* */
    uint64_t size;              /* bytes */
    uint32_t blocks_lo;         /* i_blocks_lo (512-byte units unless huge) */
    uint32_t file_acl;          /* extended attribute block, 0 if none */
    uint32_t extra_isize;       /* bytes after the first 128 in use */
    int64_t atime_s, mtime_s, ctime_s, crtime_s; /* seconds since 1970, UTC */
    bool has_crtime;
    uint64_t raw_pos;           /* byte offset of the inode in the partition */
    uint8_t block[EXT_N_BLOCK_BYTES]; /* i_block as stored */
};

/* A run of file blocks: `count` logical blocks from the one asked for map
 * to `count` physical blocks from pblk, or read as zeros (hole or
 * uninitialized extent). */
struct ext_run {
    uint64_t pblk;              /* first physical block; 0 when zero */
    uint64_t count;             /* >= 1 */
    bool zero;                  /* hole or uninitialized: reads as zeros */
};

/* A mounted volume. Fields above `lock` are constant after mount; the
 * buffers below it are used under it. */
struct ext_vol {
    struct media *m;            /* not referenced: the volume dies with the media */
    unsigned part;              /* 1-based partition number */
    char name[40];              /* "hd0/1" for log lines */
    uint32_t sector_bytes;      /* media sector size, 512..4096 */
    uint64_t limit_bytes;       /* blocks_count * block_bytes, <= partition */
    struct ext_sb sb;
    struct mutex lock;          /* one operation at a time on this volume */
    uint8_t *bounce;            /* one media sector, for partial sectors (ext_read_bytes) */
    uint8_t *map_blk;           /* one block: extent/indirect blocks (ext_map only) */
};

/* One directory entry as the walk reports it. */
struct ext_dirent {
    uint32_t ino;               /* 1..inodes_count */
    uint8_t type;               /* file_type byte (0 without INCOMPAT_FILETYPE) */
    uint32_t name_len;          /* 1..EXT_NAME_MAX */
    char name[EXT_NAME_MAX + 1]; /* NUL-terminated; never contains '/' or NUL */
};

/* ---- super.c -------------------------------------------------------------------------------- */

/* Parse and validate a super block (EXT_SB_BYTES bytes as read from byte
 * 1024) of a partition of part_bytes bytes. Returns 0, ERR_NOENT (no ext
 * magic), ERR_CORRUPT (bad geometry: logged). Feature flags are checked by
 * ext_sb_check_features, not here. */
int ext_sb_parse(const uint8_t *raw, uint64_t part_bytes, const char *who, struct ext_sb *out);
/* 0 if every INCOMPAT feature of sb is implemented, else ERR_NOTSUP (logged). */
int ext_sb_check_features(const struct ext_sb *sb, const char *who);
/* Read len bytes at byte `pos` of the partition through the cache. The
 * range must lie inside v->limit_bytes (else ERR_CORRUPT, logged). */
int ext_read_bytes(struct ext_vol *v, uint64_t pos, void *buf, uint32_t len,
                   enum cache_class cls);
/* The first block of the inode table of `group` (< sb.groups), checked to
 * lie inside the volume. Returns 0, ERR_CORRUPT (logged) or an I/O error. */
int ext_group_inode_table(struct ext_vol *v, uint32_t group, uint64_t *block_out);

/* ---- inode.c -------------------------------------------------------------------------------- */

/* Read and check inode `ino`. ERR_CORRUPT (logged) for a number outside
 * 1..inodes_count or a malformed inode. */
int ext_inode_get(struct ext_vol *v, uint32_t ino, struct ext_inode *out);
/* Read bytes [off, off+len) of the content of `in` (the caller keeps the
 * range below in->size): holes and uninitialized extents read as zeros,
 * inline data from the inode. Returns 0, ERR_CORRUPT, ERR_NOTSUP, or I/O. */
int ext_inode_read(struct ext_vol *v, const struct ext_inode *in, uint64_t off, void *buf,
                   uint32_t len, enum cache_class cls);
/* The file information (size, times, attributes; no name) of `in`. */
void ext_inode_info(const struct ext_inode *in, struct vfs_info *out);
/* The whole inline content of `in` (EXT_FL_INLINE_DATA): the 60 bytes of
 * i_block, then the value of its "system.data" attribute, into out (cap
 * >= EXT_INLINE_MAX_BYTES); *len_out = bytes. ERR_CORRUPT (logged) for a
 * malformed attribute area. */
int ext_inode_inline(struct ext_vol *v, const struct ext_inode *in, uint8_t *out, uint32_t cap,
                     uint32_t *len_out);
bool ext_inode_is_dir(const struct ext_inode *in);
bool ext_inode_is_symlink(const struct ext_inode *in);

/* ---- map.c ---------------------------------------------------------------------------------- */

/* Map logical block `lblk` of `in` (block map or extent tree) to a run.
 * Returns 0, or ERR_CORRUPT (logged) for a tree or pointer that is invalid
 * or points outside the volume. Uses v->map_blk. */
int ext_map(struct ext_vol *v, const struct ext_inode *in, uint64_t lblk, struct ext_run *out);

/* ---- dir.c ---------------------------------------------------------------------------------- */

typedef int (*ext_dir_fn)(struct ext_vol *v, const struct ext_dirent *d, void *ctx);
/* Walk the entries of directory `dir` ("." and ".." included); fn's
 * nonzero return stops the walk and is returned. ERR_CORRUPT (logged) for
 * an entry that overruns its block or names an inode out of range;
 * ERR_NOTDIR if `dir` is no directory. */
int ext_dir_walk(struct ext_vol *v, const struct ext_inode *dir, ext_dir_fn fn, void *ctx);
/* The inode number of `name` (len bytes) in `dir`: 0 and *ino_out, or
 * ERR_NOENT, ERR_CORRUPT, ERR_NOTDIR. */
int ext_dir_find(struct ext_vol *v, const struct ext_inode *dir, const char *name, size_t len,
                 uint32_t *ino_out);

/* ---- path.c --------------------------------------------------------------------------------- */

/* Resolve '/'-separated `path` starting in directory `start_ino` ("" = that
 * directory), following symbolic links inside the volume (an absolute
 * target starts at the root); the last component's link only if
 * follow_last. Returns 0 and *out, ERR_NOENT, ERR_NOTDIR, ERR_LOOP (more
 * than EXT_SYMLINK_MAX_FOLLOWS links: a loop, logged), ERR_NAMETOOLONG,
 * ERR_CORRUPT, ERR_NOMEM. */
int ext_resolve(struct ext_vol *v, uint32_t start_ino, const char *path, bool follow_last,
                struct ext_inode *out);

/* What symbolic link `link`, found in directory dir_ino, points at (its
 * target resolved with links followed). Errors as ext_resolve. */
int ext_follow(struct ext_vol *v, uint32_t dir_ino, const struct ext_inode *link,
               struct ext_inode *out);

extern const struct vfs_fs_ops ext_vfs_ops;

#endif
