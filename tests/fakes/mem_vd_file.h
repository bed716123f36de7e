/* SPDX-License-Identifier: MIT */
/* A memory-backed file system for the virtual-disk backends (struct
 * vd_file, drivers/vdisk/lib/vd_backend.h), for hosted tests. Make one with
 * mem_vd_fs_new(), put files in it (mem_vd_fs_add from bytes, _load from a
 * host file), open them as struct vd_file (mem_vd_fs_open/_create), and
 * afterwards look at the bytes (mem_vd_fs_data) or write them to a host
 * file for qemu-img (mem_vd_fs_save). Files grow on writes past their end
 * and on set_size (new bytes are zero). open_relative resolves a path
 * against the folder of the opening file's name ("/img/child.vhd" +
 * "../base/b.vhd" = "/base/b.vhd"; names are case-sensitive, '/'-separated).
 * Several handles may share one file; a file removed while open lives until
 * its last handle closes.
 *
 * Faults: mem_vd_fs_set_free_space(N) makes the file system full after N
 * more bytes of growth (the write that crosses it stores what fits, like a
 * real file system, and returns ERR_NOSPC); shrinking gives space back.
 * mem_vd_fs_fail_write(n, persistent) fails the nth write call from now
 * with ERR_IO (nothing stored). Counters tell how many writes and set_size
 * calls were made, so tests can assert "nothing written".
 * Not thread-safe (one test thread). Hosted builds only. */
#ifndef TESTS_FAKES_MEM_VD_FILE_H
#define TESTS_FAKES_MEM_VD_FILE_H

#include "drivers/vdisk/lib/vd_backend.h"
#include "kernel/types.h"

#define MEM_VD_FS_MAX_FILES 64

struct mem_vd_fs;

/* NULL when out of memory. */
struct mem_vd_fs *mem_vd_fs_new(void);
/* Free the file system; every handle must be closed already. */
void mem_vd_fs_free(struct mem_vd_fs *fs);

/* Create or replace file `path` (absolute) with a copy of data[len].
 * 0, ERR_NOMEM, ERR_NOSPC (table full), ERR_INVAL (relative path). */
int mem_vd_fs_add(struct mem_vd_fs *fs, const char *path, const void *data, size_t len);
/* Same, from host file `host_path`; ERR_NOENT when it cannot be read. */
int mem_vd_fs_load(struct mem_vd_fs *fs, const char *path, const char *host_path);
/* Write file `path` to host file `host_path`; 0, ERR_NOENT, ERR_IO. */
int mem_vd_fs_save(struct mem_vd_fs *fs, const char *path, const char *host_path);
/* Remove `path` (0 or ERR_NOENT). */
int mem_vd_fs_remove(struct mem_vd_fs *fs, const char *path);
/* The bytes of `path` and their count, NULL when there is no such file. The
 * pointer is valid until the file next changes. */
const uint8_t *mem_vd_fs_data(struct mem_vd_fs *fs, const char *path, size_t *len);

/* Open an existing file: 0, ERR_NOENT, ERR_NOMEM. The handle's name is the
 * normalised absolute path. */
int mem_vd_fs_open(struct mem_vd_fs *fs, const char *path, bool readonly, struct vd_file **out);
/* Create (or truncate) `path` and open it read-write. */
int mem_vd_fs_create(struct mem_vd_fs *fs, const char *path, struct vd_file **out);

/* Bytes the files may still grow by in total; -1 = unlimited (default). */
void mem_vd_fs_set_free_space(struct mem_vd_fs *fs, int64_t bytes);
/* Fail the nth write call from now (1 = the next) with ERR_IO; persistent:
 * that one and every later one. n = 0 clears the plan. */
void mem_vd_fs_fail_write(struct mem_vd_fs *fs, unsigned n, bool persistent);
/* Successful or failed write + set_size calls since the file system was made. */
unsigned long mem_vd_fs_write_calls(const struct mem_vd_fs *fs);
/* Handles currently open. */
unsigned mem_vd_fs_open_handles(const struct mem_vd_fs *fs);

#endif
