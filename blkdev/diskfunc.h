/* SPDX-License-Identifier: MIT */
/* The KolibriOS disk driver ABI: the one header a disk driver includes.
 *
 * A driver fills a DISKFUNC table of stdcall callbacks and calls, in this
 * order and never two at once: DiskAdd, then DiskMediaChanged zero or more
 * times, then optionally DiskDel. The kernel calls the callbacks with the
 * driver's `userdata`; `close` comes last of all, after DiskDel and after the
 * last operation, and `closemedia` once per media after its last operation.
 * Contract text: KolibriOS kernel/trunk/blkdev/disk.inc (our copy of the
 * contract: shared/seeds/000). Assembly drivers: blkdev/diskfunc.inc has the
 * same layout for NASM (tests/unit/test_diskfunc_abi.c checks they agree).
 *
 * Layout on i386 (byte offsets; every field is a 32-bit pointer):
 *   0 strucsize, 4 close, 8 closemedia, 12 querymedia, 16 read, 20 write,
 *   24 flush, 28 adjust_cache_size, 32 LoadTray.
 * A field at or beyond `strucsize`, or NULL, gets the kernel default:
 * close/closemedia/flush do nothing and succeed; querymedia/read/write fail
 * with DISK_STATUS_INVALID_CALL; adjust_cache_size keeps the suggested size;
 * LoadTray fails with DISK_STATUS_INVALID_CALL. So old drivers with a shorter
 * table keep working. */
#ifndef BLKDEV_DISKFUNC_H
#define BLKDEV_DISKFUNC_H

#include <stdint.h>

/* stdcall on i386 (callee pops the arguments), nothing on 64-bit hosts,
 * where the attribute would only warn. */
#if defined(__i386__)
#define STDCALL __attribute__((stdcall))
#else
#define STDCALL
#endif

/* Status codes returned by callbacks (KolibriOS DISK_STATUS_*). */
#define DISK_STATUS_OK 0
#define DISK_STATUS_GENERAL_ERROR (-1)
#define DISK_STATUS_INVALID_CALL 1
#define DISK_STATUS_NO_MEDIA 2
#define DISK_STATUS_END_OF_MEDIA 3
#define DISK_STATUS_NO_MEMORY 4

/* DiskAdd flags: the driver never calls DiskMediaChanged(h, 1); the kernel
 * asks querymedia itself when an operation needs the media. */
#define DISK_NO_INSERT_NOTIFICATION 1

/* DISKMEDIAINFO.flags */
#define DISK_MEDIA_READONLY 1

/* LoadTray flags */
#define DISK_TRAY_LOAD 0
#define DISK_TRAY_EJECT 1

typedef struct DISKMEDIAINFO {
    uint32_t flags;      /* DISK_MEDIA_READONLY */
    uint32_t sectorsize; /* bytes: 512, 1024, 2048 or 4096 */
    uint64_t capacity;   /* sectors */
} DISKMEDIAINFO;

typedef struct DISKFUNC {
    uint32_t strucsize; /* bytes of this table the driver filled, >= 4 */
    /* Last call for the disk: free everything behind userdata. */
    void(STDCALL *close)(void *userdata);
    /* The kernel is done with the current media. */
    void(STDCALL *closemedia)(void *userdata);
    /* Fill *info for the current media; 0 = success. */
    int(STDCALL *querymedia)(void *userdata, DISKMEDIAINFO *info);
    /* *numsectors: in = requested, out = done. 0 = success. */
    int(STDCALL *read)(void *userdata, void *buffer, int64_t startsector, int *numsectors);
    int(STDCALL *write)(void *userdata, const void *buffer, int64_t startsector,
                        int *numsectors);
    /* Flush the device's own write cache. */
    int(STDCALL *flush)(void *userdata);
    /* Returns the cache size in bytes the kernel should use (0 = none). */
    unsigned(STDCALL *adjust_cache_size)(void *userdata, unsigned suggested_bytes);
    /* DISK_TRAY_LOAD or DISK_TRAY_EJECT. */
    int(STDCALL *LoadTray)(void *userdata, int flags);
} DISKFUNC;

/* Register a disk. `functions` must stay valid until close is called;
 * `name` is copied ([a-z0-9], 1..31 characters, unique). Returns the disk
 * handle, or NULL (the reason is logged). */
void *STDCALL DiskAdd(DISKFUNC *functions, const char *name, void *userdata, int flags);
/* The disk is going away: unreachable at once; close follows the last user. */
void STDCALL DiskDel(void *hDisk);
/* newstate 0: media removed; nonzero: media inserted or changed. Must not be
 * called with nonzero newstate from a callback. */
void STDCALL DiskMediaChanged(void *hDisk, int newstate);

#if defined(__i386__)
_Static_assert(sizeof(DISKMEDIAINFO) == 16, "DISKMEDIAINFO is 16 bytes");
_Static_assert(__builtin_offsetof(DISKMEDIAINFO, sectorsize) == 4, "sectorsize at 4");
_Static_assert(__builtin_offsetof(DISKMEDIAINFO, capacity) == 8, "capacity at 8");
_Static_assert(sizeof(DISKFUNC) == 36, "DISKFUNC is 36 bytes");
_Static_assert(__builtin_offsetof(DISKFUNC, close) == 4, "close at 4");
_Static_assert(__builtin_offsetof(DISKFUNC, closemedia) == 8, "closemedia at 8");
_Static_assert(__builtin_offsetof(DISKFUNC, querymedia) == 12, "querymedia at 12");
_Static_assert(__builtin_offsetof(DISKFUNC, read) == 16, "read at 16");
_Static_assert(__builtin_offsetof(DISKFUNC, write) == 20, "write at 20");
_Static_assert(__builtin_offsetof(DISKFUNC, flush) == 24, "flush at 24");
_Static_assert(__builtin_offsetof(DISKFUNC, adjust_cache_size) == 28, "adjust at 28");
_Static_assert(__builtin_offsetof(DISKFUNC, LoadTray) == 32, "LoadTray at 32");
#endif

#endif
