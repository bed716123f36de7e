/* SPDX-License-Identifier: MIT */
/* The file name space and the file API in the spirit of KolibriOS system
 * function 70. Paths are /DISK/PARTITION/path ("/hd0/1/docs/notes.txt",
 * partitions numbered from 1 as blkdev numbers them); "/" lists the disks and
 * "/DISK" its partitions (the virtual root, read-only). Each call looks the
 * disk up, takes a media reference, gets the partition's mounted file system
 * (mounting it on first use through blkdev/fsprobe.h), runs one operation
 * through that file system's struct vfs_fs_ops, and lets go again.
 * Functions return 0 or a negative ERR_*; vfs_kolibri_code() is the one place
 * where those become KolibriOS codes (0 ok, 2 not supported, 3 unknown file
 * system, 5 not found, 6 end of file, 8 disk full, 9 file system error,
 * 10 access denied, 11 device error, 12 out of memory). ERR_NOTDIR and
 * ERR_LOOP (a symbolic link loop) are 5: the path names no file, and a loop
 * is legal on a healthy volume, so 9 would wrongly report damage. ERR_EOM
 * means "end of file" at this layer.
 * Locking: none held by the caller; each file system serialises its own
 * volume. Context: thread, may sleep. */
#ifndef FS_VFS_H
#define FS_VFS_H

#include "kernel/types.h"

#define VFS_NAME_MAX 768   /* bytes of a UTF-8 name with NUL: 255 UTF-16 units, 3 bytes each */
#define VFS_FILE_MAX 0xFFFFFFFFull /* largest file, bytes (FAT: 4 GiB - 1) */

/* Attribute bits as KolibriOS (= FAT) defines them. */
enum vfs_attr {
    VFS_ATTR_READONLY = 0x01,
    VFS_ATTR_HIDDEN = 0x02,
    VFS_ATTR_SYSTEM = 0x04,
    VFS_ATTR_VOLUME = 0x08,
    VFS_ATTR_DIR = 0x10,
    VFS_ATTR_ARCHIVE = 0x20,
};

struct vfs_time {
    uint16_t year; /* 1980..2107 on FAT */
    uint8_t month, day, hour, minute, second;
};

/* One directory entry or the answer to get-info (KolibriOS's BDFE). */
struct vfs_info {
    uint32_t attr;          /* enum vfs_attr bits */
    struct vfs_time ctime;  /* created */
    struct vfs_time atime;  /* last access (date only on FAT) */
    struct vfs_time mtime;  /* last modification */
    uint64_t size;          /* bytes; 0 for directories */
    char name[VFS_NAME_MAX]; /* UTF-8 */
};

struct vfs_statfs {
    char fs_name[16];       /* "fat32" */
    uint64_t total_bytes;   /* data area */
    uint64_t free_bytes;
    char label[16];         /* volume label, "" if none */
};

/* Called for each entry of a listing; a nonzero return stops the walk and is
 * returned by the lister. Must not call back into the same file system. */
typedef int (*vfs_list_fn)(const struct vfs_info *entry, void *ctx);

/* Flags of vfs_read_file_ex / vfs_write_file_ex (and the read/write ops). */
enum vfs_io_flag {
    /* The data is cached elsewhere: a virtual disk's image file, whose
     * sectors the virtual disk's own cache holds. File data then goes
     * through the sector cache as CACHE_DIRECT (blkdev/cache.h): read
     * without being inserted, written lines leave once written back. */
    VFS_IO_NOCACHE = 1u << 0,
};

/* What a file system provides; `fs` is its mounted instance and `path` is
 * relative to the partition root, '/'-separated ("" = the root). */
struct vfs_fs_ops {
    /* flags: enum vfs_io_flag bits (file systems without a cache may ignore them). */
    int (*read)(void *fs, const char *path, uint64_t offset, void *buf, uint32_t len,
                unsigned flags, uint32_t *done);
    int (*list)(void *fs, const char *path, vfs_list_fn fn, void *ctx);
    int (*create)(void *fs, const char *path, const void *buf, uint32_t len, uint32_t *done);
    int (*write)(void *fs, const char *path, uint64_t offset, const void *buf, uint32_t len,
                 unsigned flags, uint32_t *done);
    int (*set_end)(void *fs, const char *path, uint64_t size);
    int (*get_info)(void *fs, const char *path, struct vfs_info *out);
    int (*set_info)(void *fs, const char *path, const struct vfs_info *in);
    int (*remove)(void *fs, const char *path);
    int (*mkdir)(void *fs, const char *path);
    int (*rename)(void *fs, const char *from, const char *to);
    int (*statfs)(void *fs, struct vfs_statfs *out);
    /* Optional (NULL = ERR_NOTSUP): set the volume label, "" removes it. */
    int (*set_label)(void *fs, const char *label);
    int (*sync)(void *fs);
};

/* 70.0: read up to len bytes at offset. *done = bytes read. ERR_EOM when the
 * file ended before len bytes (the bytes before the end are still read). */
int vfs_read_file(const char *path, uint64_t offset, void *buf, uint32_t len, uint32_t *done);
/* The same with enum vfs_io_flag bits. */
int vfs_read_file_ex(const char *path, uint64_t offset, void *buf, uint32_t len, unsigned flags,
                     uint32_t *done);
/* 70.1: entries [start, start+count) of a folder into out[]; *n_out = entries
 * stored, *total_out = entries in the folder (either may be NULL). The
 * listing excludes "." and "..". ERR_EOM when fewer than count were left. */
int vfs_read_folder(const char *path, uint32_t start, uint32_t count, struct vfs_info *out,
                    uint32_t *n_out, uint32_t *total_out);
/* The whole listing through a callback (no "." / ".."). */
int vfs_list(const char *path, vfs_list_fn fn, void *ctx);
/* 70.2: create or truncate to 0, then write len bytes. */
int vfs_create_file(const char *path, const void *buf, uint32_t len, uint32_t *done);
/* 70.3: write at offset; a gap after the old end reads as zeros. ERR_NOSPC
 * after writing what fitted (*done says how much). */
int vfs_write_file(const char *path, uint64_t offset, const void *buf, uint32_t len,
                   uint32_t *done);
/* The same with enum vfs_io_flag bits. */
int vfs_write_file_ex(const char *path, uint64_t offset, const void *buf, uint32_t len,
                      unsigned flags, uint32_t *done);
/* 70.4: truncate or extend (with zeros) to `size` bytes. */
int vfs_set_end(const char *path, uint64_t size);
/* 70.5 / 70.6: attributes, times, size (set_info ignores size and the
 * directory bit). */
int vfs_get_info(const char *path, struct vfs_info *out);
int vfs_set_info(const char *path, const struct vfs_info *in);
/* 70.8: delete a file or an empty folder (ERR_NOTEMPTY otherwise). */
int vfs_delete(const char *path);
/* 70.9: create a folder (ERR_EXIST if anything has that name). */
int vfs_mkdir(const char *path);
/* 70.10: rename or move within one partition (ERR_NOTSUP across partitions,
 * ERR_EXIST if `to` exists, ERR_INVAL for a folder into its own subtree). */
int vfs_rename(const char *from, const char *to);
/* Statistics of the partition `path` lies on. */
int vfs_statfs(const char *path, struct vfs_statfs *out);
/* Set the label of the volume mounted at partition path `path` ("/hd0/1");
 * "" removes it. ERR_NOTSUP if its file system cannot, ERR_INVAL or
 * ERR_NAMETOOLONG for a label it cannot store (FAT: 11 ASCII characters). */
int vfs_set_label(const char *path, const char *label);
/* Make every mounted file system durable (FAT: tables, FSInfo, dirty bit),
 * then the cache. Returns the first error; keeps going after it. */
int vfs_sync_all(void);
/* Call fn(path "/hd0/1", ctx) for every partition with a mounted (or
 * mountable) file system, mounting it. */
int vfs_for_each_mounted(int (*fn)(const char *path, void *ctx), void *ctx);

/* The one conversion from ERR_* to the KolibriOS sysfunction-70 codes, and
 * its message ("not found"). */
int vfs_kolibri_code(int err);
const char *vfs_kolibri_message(int code);

#endif
