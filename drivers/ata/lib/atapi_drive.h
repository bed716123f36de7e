/* SPDX-License-Identifier: MIT */
/* An ATAPI drive above its transport: what the IDE driver (drivers/ata/
 * atapi.c) and the AHCI driver (drivers/ahci/ahci_atapi.c) do alike once a
 * PACKET command can be sent. A driver embeds one struct atapi_drive per
 * drive, fills in its transport (one callback that sends a CDB and returns
 * the data or a CHECK CONDITION), and then
 * - runs every command through atapi_drive_command(), which asks REQUEST
 *   SENSE after a check condition, flags UNIT ATTENTION as a possible disc
 *   change and logs the failures worth a line (lib/atapi_sense.h);
 * - moves the tray with atapi_drive_load_tray() (DISKFUNC LoadTray);
 * - polls once a second: atapi_drive_poll_locked() under its lock (GET EVENT
 *   STATUS, else TEST UNIT READY + READ CAPACITY, decided by the state
 *   machine of lib/atapi_media.h), then atapi_drive_announce() with no lock
 *   held, which calls DiskMediaChanged, removal first.
 * Data reads, retries and the DISKFUNC table stay in the drivers. Pure code
 * above the callback, hosted-testable with a scripted transport.
 * Locking: every function but atapi_drive_announce runs with the lock that
 * serialises the transport held (IDE channel mutex, AHCI port mutex); the
 * struct's fields are under that lock. Context: thread, may sleep (the
 * transport does).
 * Spec: SPC-3 §5.8.7 (unit attention), §6.27 (REQUEST SENSE); MMC-5 §6.6
 * (GESN); SBC-2 §5.17 (START STOP UNIT). */
#ifndef DRIVERS_ATA_LIB_ATAPI_DRIVE_H
#define DRIVERS_ATA_LIB_ATAPI_DRIVE_H

#include "drivers/ata/lib/atapi_media.h"
#include "drivers/ata/lib/atapi_sense.h"
#include "kernel/types.h"

/* Positive return of a transport's packet callback: the device ended the
 * command with ERR set (CHECK CONDITION); REQUEST SENSE tells why. Not an
 * enum err value. */
#define ATAPI_CHECK_CONDITION 1

/* A transport: how one PACKET command reaches the drive. */
struct atapi_transport {
    /* Send the ATAPI_PACKET_BYTES of `cdb`; data-in of at most `bytes` into
     * `buf` (NULL when 0); `dma` asks for DMA where the transport has the
     * choice. Returns 0 with *got = bytes received; ATAPI_CHECK_CONDITION
     * with *err_reg = the ATA error register (sense key in bits 7:4);
     * ERR_TIMEOUT (the transport was reset); ERR_IO, other ERR_* (logged by
     * the transport). The drive's lock is held. */
    int (*packet)(void *ctx, const uint8_t *cdb, void *buf, uint32_t bytes, bool dma,
                  uint32_t *got, uint8_t *err_reg);
};

/* One drive. The driver fills the first block before the poll thread
 * starts; the rest is under the driver's lock. */
struct atapi_drive {
    const char *log_prefix;              /* subsystem of log lines: "ata", "ahci" */
    const char *name;                    /* "cd0" */
    const struct atapi_transport *tp;    /* how commands are sent */
    void *ctx;                           /* the transport's argument */
    void *disk;                          /* DiskAdd handle, for DiskMediaChanged */
    uint64_t *errors;                    /* driver's counter of logged failures */
    bool no_events;                      /* poll by TEST UNIT READY, not GESN: set by the
                                          * driver or when the drive refuses GESN */
    struct atapi_media media;            /* announced media state */
};

/* What a poll found, to announce with no lock held. */
struct atapi_poll_news {
    bool removed;     /* DiskMediaChanged(0) first */
    bool inserted;    /* then DiskMediaChanged(1) */
    uint64_t sectors; /* of the inserted disc, for the log line */
};

/* One command through the transport (the arguments as for the callback).
 * After a check condition: REQUEST SENSE (or the error register's key if
 * that fails), any UNIT ATTENTION sets media.changed, a failure worth a line
 * is logged and counted. *sense is zeroed, and filled after a check
 * condition. Returns 0, the sense's error (atapi_sense_to_err: ERR_NOMEDIA,
 * ERR_EOM, ERR_NOTSUP, ERR_IO), or the transport's ERR_*. */
int atapi_drive_command(struct atapi_drive *d, const uint8_t *cdb, void *buf, uint32_t bytes,
                        bool dma, uint32_t *got, struct atapi_sense *sense);

/* START STOP UNIT: open (eject) or close the tray. A successful eject sets
 * media.changed (reads stop; the next poll announces the removal).
 * Returns 0 or as atapi_drive_command. */
int atapi_drive_load_tray(struct atapi_drive *d, bool eject);

/* One media poll (lib/atapi_media.h steps 1-3): GESN unless no_events (a
 * drive that refuses it or answers nonsense gets no_events, one info line),
 * then TEST UNIT READY (up to ATAPI_UA_TRIES UNIT ATTENTIONs swallowed) and
 * READ CAPACITY if the state machine asks. Fills *news. */
void atapi_drive_poll_locked(struct atapi_drive *d, struct atapi_poll_news *news);

/* Tell the block layer what a poll found: log and DiskMediaChanged(0),
 * then (1). No driver lock held (DISKFUNC rule). */
void atapi_drive_announce(const struct atapi_drive *d, const struct atapi_poll_news *news);

#endif
