/* SPDX-License-Identifier: MIT */
/* USB mass storage class logic, Bulk-Only Transport with SCSI commands,
 * over a small transport interface so that it runs the same in the kernel
 * (drivers/usb/usb_storage.c binds it to the USB core) and in the hosted
 * tests (a scripted BOT device). Use: fill a struct msc_transport_ops,
 * msc_dev_init() per claimed interface, msc_get_max_lun(), then per LUN
 * msc_unit_init() and msc_unit_identify() (INQUIRY, TEST UNIT READY with
 * retries, READ CAPACITY (10), or (16) beyond 2^32 blocks, MODE SENSE (6)
 * for write protection); a unit that identified becomes a disk whose
 * DISKFUNC callbacks are msc_disk_*() with the unit as userdata (the caller
 * supplies close). Reads and writes use READ/WRITE (10), or (16) past LBA
 * 2^32, in commands of at most MSC_MAX_XFER_BYTES; flush is SYNCHRONIZE
 * CACHE (10). A failed command gets REQUEST SENSE, decoded and classified
 * by the ATAPI code (drivers/ata/lib/atapi_sense.h) and mapped by
 * scsi_sense_to_err(); a bad CSW, phase error or transport failure gets
 * reset recovery (BOT §5.3.4: Bulk-Only Mass Storage Reset,
 * CLEAR_FEATURE(HALT) on both bulk endpoints). Retries are bounded
 * (MSC_MAX_ATTEMPTS) and logged. A device that is gone (transport
 * ERR_NODEV) reads as "no media".
 * Removable units (INQUIRY RMB=1, and every CD/DVD unit, peripheral type
 * 5) may have no medium; the caller polls them about once a second with
 * msc_unit_poll() (TEST UNIT READY, REQUEST SENSE on CHECK CONDITION, READ
 * CAPACITY when a medium is new) and hands the result, with no lock held,
 * to msc_unit_announce(), which calls DiskMediaChanged. The state machine
 * is the ATAPI one (drivers/ata/lib/atapi_media.h): any UNIT ATTENTION
 * (0x28 medium may have changed, 0x29 reset) marks the medium changed, reads
 * stop at once, and the next poll announces a removal (DiskMediaChanged 0)
 * and, after the block layer's closemedia, the medium it finds (1). CD/DVD
 * units are read-only with 2048-byte blocks, read with READ (10), or READ
 * (12) once the unit refuses READ (10). msc_disk_loadtray() is START STOP
 * UNIT (LoEj), after PREVENT ALLOW MEDIUM REMOVAL (allow) for an eject.
 * Fixed units (RMB=0) are never polled and send no command of their own.
 * Does not: name disks, call DiskAdd, run the poll thread, or own the
 * device's lifetime.
 * Spec: USB MSC BOT 1.0; SPC-4 (§5.14 unit attention, §6.13 PREVENT ALLOW
 * MEDIUM REMOVAL); SBC-3 (§5.25 START STOP UNIT); MMC-5 §6.15-6.16. */
#ifndef DRIVERS_USB_LIB_USB_MSC_H
#define DRIVERS_USB_LIB_USB_MSC_H

#include "blkdev/diskfunc.h"
#include "drivers/ata/lib/atapi_media.h"
#include "drivers/usb/lib/bot.h"
#include "drivers/usb/lib/scsi.h"
#include "drivers/usb/usb.h"
#include "kernel/sync.h"
#include "kernel/types.h"

/* Bytes per READ/WRITE command. 256 KiB keeps the per-command overhead
 * (CBW + CSW, ~2 ms under QEMU) small against the data. */
#define MSC_MAX_XFER_BYTES (256u * 1024)
#define MSC_CMD_TIMEOUT_MS 5000     /* CBW, CSW and small commands */
#define MSC_IO_TIMEOUT_MS 10000     /* data stage of READ/WRITE */
#define MSC_FLUSH_TIMEOUT_MS 30000  /* SYNCHRONIZE CACHE may write a lot */
#define MSC_MAX_ATTEMPTS 3          /* per READ/WRITE/flush command */
#define MSC_NAME_BYTES 24
#define MSC_WHERE_BYTES 32

/* How the class logic reaches the device. Every call may sleep; every
 * call that waits has the given (or the transport's own) timeout. */
struct msc_transport_ops {
    /* Bulk transfer of `bytes` on the IN (dir_in) or OUT endpoint; as
     * usb_bulk(): returns 0 (a short IN is no error), ERR_IO (*stalled set
     * if the endpoint halted), ERR_TIMEOUT, ERR_NODEV (device gone). */
    int (*bulk)(void *ctx, bool dir_in, void *data, uint32_t bytes, uint32_t *moved,
                bool *stalled, uint32_t timeout_ms);
    /* Control request on the default pipe; as usb_control(). */
    int (*control)(void *ctx, const struct usb_setup *setup, void *data, uint32_t *moved);
    /* CLEAR_FEATURE(ENDPOINT_HALT) on the IN or OUT bulk endpoint and reset
     * its toggle; as usb_clear_halt(). */
    int (*clear_halt)(void *ctx, bool dir_in);
    /* The device was unplugged (never becomes false again). */
    bool (*is_gone)(void *ctx);
};

/* One claimed BOT interface. */
struct msc_dev {
    const struct msc_transport_ops *ops; /* set by msc_dev_init, then constant */
    void *ctx;                    /* the transport's */
    char where[MSC_WHERE_BYTES];  /* "uhci0 port 1" or "xhci0 port 5.1.2": log prefix */
    uint8_t iface;                /* interface number, for class requests */
    struct mutex lock;            /* one command at a time; guards tag, buf */
    uint32_t tag;                 /* last CBW tag (lock) */
    uint8_t *buf;                 /* CBW + CSW + sense + small data replies (lock) */
};

/* One logical unit; the disk's userdata. Written by msc_unit_init and
 * msc_unit_identify before the disk exists. Afterwards a fixed unit's
 * fields change only in `no_sync_cache` (set once), `read12` (set once) and
 * `retries` (a statistic); a removable unit's capacity, write protection
 * and media state change under m->lock, by the poll and the commands. */
struct msc_unit {
    struct msc_dev *m;            /* the interface; outlives the unit */
    uint8_t lun;
    char name[MSC_NAME_BYTES];    /* for log lines; the caller may rename it */
    struct scsi_inquiry inq;
    bool is_cd;                   /* peripheral type 5: read-only, 2048-byte blocks */
    bool removable;               /* RMB or is_cd: polled, has a tray */
    uint64_t blocks;              /* capacity of the current medium, > 0 (m->lock) */
    uint32_t block_bytes;         /* 512/1024/2048/4096 (m->lock) */
    bool no_sync_cache;           /* SYNCHRONIZE CACHE refused: nothing to flush */
    bool read12;                  /* CD refused READ (10): READ (12) from now on */
    bool readonly;                /* MODE SENSE write-protect bit, or a CD (m->lock) */
    struct atapi_media media;     /* removable: announced medium, its `sectors` are
                                   * blocks; a UNIT ATTENTION sets `changed` (m->lock) */
    bool media_open;              /* a medium was announced and its closemedia has
                                   * not come yet: no new one before it (m->lock) */
    bool media_bad;               /* removable: the medium in the unit answered READ
                                   * CAPACITY with nonsense; treated as absent and
                                   * not asked again until it goes or a UNIT
                                   * ATTENTION comes (m->lock) */
    uint32_t retries;             /* logged retries */
};

/* What a media poll found, to announce with no lock held. */
struct msc_poll_news {
    bool removed;                 /* DiskMediaChanged(0) */
    bool inserted;                /* DiskMediaChanged(1), after any removal */
    uint64_t blocks;              /* of the inserted medium, for the log line */
    uint32_t block_bytes;
};

/* Set up `m` for interface `iface` reached through ops/ctx; `where` names
 * it in log lines (copied, truncated). Returns 0; ERR_NOMEM. Context:
 * thread. */
int msc_dev_init(struct msc_dev *m, const struct msc_transport_ops *ops, void *ctx,
                 uint8_t iface, const char *where);

/* Free what msc_dev_init allocated; no command may be running. */
void msc_dev_fini(struct msc_dev *m);

/* GET MAX LUN (BOT §3.2), capped at BOT_MAX_LUN; a STALL or any failure
 * means a single LUN: 0. Context: thread, may sleep. */
uint8_t msc_get_max_lun(struct msc_dev *m);

/* Prepare unit `lun` of `m`, named `name` (copied) until renamed. */
void msc_unit_init(struct msc_unit *u, struct msc_dev *m, uint8_t lun, const char *name);

/* Identify the unit. Returns 0: a direct-access disk with a medium
 * (blocks, block_bytes, readonly filled), or a removable unit or CD/DVD
 * unit with or without one (media.present says which; a medium still
 * becoming ready after the TEST UNIT READY attempts, or one whose capacity
 * makes no sense, counts as none and is left to the poll); ERR_NODEV (neither
 * a disk nor a CD/DVD unit, or the device is gone); ERR_NOMEDIA (a fixed
 * unit without medium, or capacity 0); ERR_CORRUPT (bad replies, logged);
 * transport and sense errors. Locking: takes m->lock. Context: thread,
 * may sleep. */
int msc_unit_identify(struct msc_unit *u);

/* Move up to *count blocks at `lba` (write: from buf, else into buf).
 * *count becomes the blocks actually moved, never more than asked.
 * Returns 0; ERR_EOM (clipped at the end of the medium, the rest moved);
 * ERR_NOMEDIA (device gone; a removable unit's medium absent, or changed
 * since the last poll); ERR_ROFS (a write to a CD); ERR_IO, ERR_BUSY, ERR_TIMEOUT, ... after
 * MSC_MAX_ATTEMPTS tries (each retry logged). Locking: takes m->lock per
 * command. Context: thread, may sleep. */
int msc_unit_rw(struct msc_unit *u, void *buf, uint64_t lba, uint32_t *count, bool write);

/* SYNCHRONIZE CACHE (10); after 0, written data is durable. A unit that
 * refuses the command (ILLEGAL REQUEST) has no cache: 0 from then on.
 * Returns 0 or an error as msc_unit_rw. */
int msc_unit_flush(struct msc_unit *u);

/* After DiskAdd of a unit that identified: DiskMediaChanged(disk, 1) if it
 * has a medium (always for a fixed unit). Locking: takes m->lock, none
 * held. Context: thread, may sleep. */
void msc_unit_announce_initial(struct msc_unit *u, void *disk);

/* One media poll of a removable unit (a fixed unit: nothing, no command).
 * TEST UNIT READY, swallowing up to ATAPI_UA_TRIES UNIT ATTENTIONs (each
 * marks the medium changed); ready and new or changed: READ CAPACITY and,
 * for a disk, MODE SENSE for write protection; then the ATAPI state
 * machine. "Medium not present" is a removal; so is a medium whose
 * capacity makes no sense (one line; it is not asked again until it is
 * removed or a UNIT ATTENTION comes). A transient state (becoming ready,
 * transport error) keeps the state as it was until the next poll.
 * A new medium waits until the old one's closemedia. Fills *news.
 * Locking: takes m->lock. Context: thread, may sleep. */
void msc_unit_poll(struct msc_unit *u, struct msc_poll_news *news);

/* Tell the block layer what a poll found: a log line and
 * DiskMediaChanged(disk, 0), then (1). Locking: none held (DISKFUNC rule;
 * the caller serializes it with its DiskDel). Context: thread, may sleep. */
void msc_unit_announce(struct msc_unit *u, void *disk, const struct msc_poll_news *news);

/* Open (eject) or close (load) a removable unit's tray or let go of its
 * medium: PREVENT ALLOW MEDIUM REMOVAL (allow) first for an eject (a refusal
 * is ignored: many units have no lock), then START STOP UNIT with LoEj.
 * After a successful eject the medium counts as changed (reads stop; the
 * next poll announces the removal). Returns 0; ERR_NOTSUP (a fixed unit,
 * or the unit refuses); other errors as msc_unit_rw. Locking: takes
 * m->lock. Context: thread, may sleep. */
int msc_unit_load_tray(struct msc_unit *u, bool eject);

/* DISKFUNC callbacks (blkdev/diskfunc.h) over the calls above, userdata a
 * struct msc_unit *. Each converts its error once, with
 * disk_err_to_status(). querymedia answers NO_MEDIA for a removable unit
 * whose medium is absent or changed since the last poll; closemedia
 * records that the block layer let go of the announced medium; loadtray is
 * for removable units only (flags DISK_TRAY_LOAD / DISK_TRAY_EJECT). */
int STDCALL msc_disk_read(void *userdata, void *buffer, int64_t startsector, int *numsectors);
int STDCALL msc_disk_write(void *userdata, const void *buffer, int64_t startsector,
                           int *numsectors);
int STDCALL msc_disk_querymedia(void *userdata, DISKMEDIAINFO *info);
int STDCALL msc_disk_flush(void *userdata);
void STDCALL msc_disk_closemedia(void *userdata);
int STDCALL msc_disk_loadtray(void *userdata, int flags);

#endif
