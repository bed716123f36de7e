/* SPDX-License-Identifier: MIT */
/* The media state machine of an ATAPI drive, one for every transport (IDE
 * drivers/ata/atapi.c, AHCI drivers/ahci/ahci_atapi.c, both through
 * atapi_drive.h, which runs the poll); USB mass storage runs it for its
 * removable units too (drivers/usb/lib/usb_msc.c, with NULL events and
 * `sectors` counted in the unit's own block size). One struct atapi_media per drive;
 * each media poll has three steps:
 * (1) atapi_media_poll_decide() with the drive's GET EVENT STATUS media
 * event, or NULL when it has none, says whether to do nothing, to announce a
 * removal, or to check the drive; (2) for a check, TEST UNIT READY
 * (swallowing up to ATAPI_UA_TRIES UNIT ATTENTIONs) and READ CAPACITY;
 * (3) atapi_media_update() with that result says what to tell the block
 * layer: DiskMediaChanged(0) and/or (1), removal first so the old media is
 * closed before the new one is scanned. Between polls, a command that sees
 * UNIT ATTENTION or an eject sets `changed`: reads stop at once
 * (atapi_media_is_usable) and the next poll re-announces the disc. This
 * module never talks to the drive or the block layer. Pure code,
 * hosted-testable; the caller owns the locking.
 * Spec: MMC-5 §6.6 (media events), SPC-3 §5.8.7 (unit attention). */
#ifndef DRIVERS_ATA_LIB_ATAPI_MEDIA_H
#define DRIVERS_ATA_LIB_ATAPI_MEDIA_H

#include "drivers/ata/lib/atapi_cdb.h"
#include "kernel/types.h"

/* UNIT ATTENTIONs a media check swallows before TEST UNIT READY counts:
 * a drive queues one per event (new disc, reset, mode change); four covers
 * a disc change right after a reset with room to spare. */
#define ATAPI_UA_TRIES 4

/* Media facts of one drive. The fields are the driver's, under its own lock
 * (channel or port mutex), written by the poll thread and by commands. */
struct atapi_media {
    bool present;      /* announced to the block layer as inserted */
    bool changed;      /* UNIT ATTENTION, an eject or a media event since the
                        * last poll: the announced disc may be gone */
    uint64_t sectors;  /* 2048-byte sectors of the announced disc */
};

/* What a media poll does next. */
enum atapi_poll_action {
    ATAPI_POLL_NOTHING = 0, /* state as known: no command needed */
    ATAPI_POLL_REMOVED,     /* the medium is gone: update with ERR_NOMEDIA, no command */
    ATAPI_POLL_CHECK,       /* TEST UNIT READY + READ CAPACITY, then update */
};

/* Step 1. `ev` is the drive's media event, or NULL (no GESN, or asking
 * failed): then always ATAPI_POLL_CHECK. With an event: a tray that is open
 * or empty is a removal of an announced disc (nothing if none was); a
 * new-media or media-changed event sets m->changed and needs a check, as do
 * a pending change and a disc not yet announced; otherwise nothing.
 * Context: any. */
enum atapi_poll_action atapi_media_poll_decide(struct atapi_media *m,
                                               const struct atapi_media_event *ev);

/* Step 3. `rc` is the result of the check (0 with `sectors`, or an error;
 * ERR_NOMEDIA for ATAPI_POLL_REMOVED). Updates *m and clears `changed`;
 * *removed / *inserted say what to announce, removal first. An error, a
 * pending change or another capacity removes an announced disc; success
 * then announces the disc found. Context: any. */
void atapi_media_update(struct atapi_media *m, int rc, uint64_t sectors, bool *removed,
                        bool *inserted);

/* True if reads may go to the disc: announced and no change seen since.
 * Context: any. */
bool atapi_media_is_usable(const struct atapi_media *m);

#endif
