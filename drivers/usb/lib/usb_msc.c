// SPDX-License-Identifier: MIT
/* USB mass storage (BOT + SCSI) class logic over struct msc_transport_ops;
 * contract in usb_msc.h. Layers, bottom up: one BOT command (CBW, data,
 * CSW, reset recovery), one SCSI command (REQUEST SENSE on failure and its
 * classification), then the unit operations (identify, read/write in
 * bounded commands with retries, flush, media poll, tray) and their
 * DISKFUNC wrappers. DISK_STATUS codes are made in exactly one place,
 * msc_err_to_status().
 * Locking: msc_dev.lock serializes commands (the BOT data stage is not
 * tagged, so only one command may be in flight per device) and guards a
 * removable unit's medium fields; it is never held across a sleep between
 * retries nor across a call into the block layer. */
#include "drivers/usb/lib/usb_msc.h"
#include "blkdev/disk.h"
#include "drivers/ata/lib/atapi_cdb.h"
#include "drivers/usb/defs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/time.h"

/* TEST UNIT READY at plug time: a device reports UNIT ATTENTION (power on)
 * or NOT READY (becoming ready) for a while; 20 x 100 ms covers slow sticks. */
#define MSC_TUR_ATTEMPTS 20
#define MSC_TUR_DELAY_MS 100

/* Offsets in msc_dev.buf. */
#define MSC_BUF_CBW 0
#define MSC_BUF_CSW 64
#define MSC_BUF_SENSE 128
#define MSC_BUF_DATA 256            /* INQUIRY, capacity, MODE SENSE replies */
#define MSC_BUF_BYTES 512

/* A device that is gone reads as no media at the disk boundary. */
static int gone_is_nomedia(int err)
{
    return err == ERR_NODEV ? ERR_NOMEDIA : err;
}

static int msc_err_to_status(int err)
{
    return disk_err_to_status(gone_is_nomedia(err));
}

/* ---- Bulk-Only Transport (m->lock held) ------------------------------------------------- */

/* BOT §5.3.4: Bulk-Only Mass Storage Reset, then clear both halts. */
static void reset_recovery_locked(struct msc_dev *m, const char *why)
{
    struct usb_setup s = {
        .request_type = USB_RT_CLASS | USB_RT_INTERFACE, .request = BOT_REQ_RESET,
        .index = m->iface,
    };
    pr_warn("usb-storage: %s: reset recovery (%s)", m->where, why);
    int rc = m->ops->control(m->ctx, &s, NULL, NULL);
    if (rc == 0)
        rc = m->ops->clear_halt(m->ctx, true);
    if (rc == 0)
        rc = m->ops->clear_halt(m->ctx, false);
    if (rc)
        pr_warn("usb-storage: %s: reset recovery failed (%s)", m->where, err_name(rc));
}

/* Read the CSW; one more try after clearing a stalled IN endpoint (BOT
 * §6.7.2: a halted data stage is followed by a CSW). */
static int read_csw_locked(struct msc_dev *m, uint32_t *got)
{
    bool stalled;
    int rc = m->ops->bulk(m->ctx, true, m->buf + MSC_BUF_CSW, BOT_CSW_BYTES, got, &stalled,
                          MSC_CMD_TIMEOUT_MS);
    if (rc == ERR_IO && stalled) {
        rc = m->ops->clear_halt(m->ctx, true);
        if (rc == 0)
            rc = m->ops->bulk(m->ctx, true, m->buf + MSC_BUF_CSW, BOT_CSW_BYTES, got, &stalled,
                              MSC_CMD_TIMEOUT_MS);
    }
    return rc;
}

/* One BOT command: CBW, optional data stage, CSW (BOT §5, §6). Returns 0
 * (passed; *done = data bytes to believe); ERR_IO with *check = true when
 * the device reports "command failed" (sense data waits); ERR_IO, ERR_TIMEOUT
 * or ERR_NODEV for transport failures (after reset recovery). */
static int bot_xfer_locked(struct msc_dev *m, uint8_t lun, const uint8_t *cdb, uint8_t cdb_len,
                           void *data, uint32_t bytes, bool dir_in, uint32_t *done, bool *check,
                           uint32_t timeout_ms)
{
    struct bot_csw csw;
    uint32_t moved = 0, got = 0;
    bool stalled;
    int rc;

    *done = 0;
    *check = false;
    /* 1. Command stage. */
    uint32_t tag = ++m->tag;
    rc = bot_build_cbw(m->buf + MSC_BUF_CBW, tag, bytes, dir_in, lun, cdb, cdb_len);
    if (rc)
        return rc;
    rc = m->ops->bulk(m->ctx, false, m->buf + MSC_BUF_CBW, BOT_CBW_BYTES, &got, &stalled,
                      MSC_CMD_TIMEOUT_MS);
    if (rc || got != BOT_CBW_BYTES) {
        if (rc != ERR_NODEV)
            reset_recovery_locked(m, "CBW not accepted");
        return rc ? rc : ERR_IO;
    }
    /* 2. Data stage; a STALL here is cleared and the CSW still follows. */
    if (bytes) {
        rc = m->ops->bulk(m->ctx, dir_in, data, bytes, &moved, &stalled, timeout_ms);
        if (rc == ERR_IO && stalled)
            rc = m->ops->clear_halt(m->ctx, dir_in);
        if (rc) {
            if (rc != ERR_NODEV)
                reset_recovery_locked(m, rc == ERR_TIMEOUT ? "data stage timed out"
                                                           : "data stage failed");
            return rc;
        }
    }
    /* 3. Status stage and its checks (BOT §6.3). */
    rc = read_csw_locked(m, &got);
    if (rc == 0)
        rc = bot_parse_csw(m->buf + MSC_BUF_CSW, got, tag, bytes, &csw);
    if (rc) {
        if (rc != ERR_NODEV)
            reset_recovery_locked(m, "no valid CSW");
        return rc == ERR_CORRUPT ? ERR_IO : rc;
    }
    if (csw.status == BOT_STATUS_PHASE_ERROR) {
        reset_recovery_locked(m, "phase error");
        return ERR_IO;
    }
    *done = bot_done_bytes(bytes, moved, csw.residue);
    if (csw.status == BOT_STATUS_FAILED) {
        *check = true;
        return ERR_IO;
    }
    return 0;
}

/* A SCSI command with REQUEST SENSE on failure. *sense_out (may be NULL)
 * is zeroed, and filled after a CHECK CONDITION; a UNIT ATTENTION marks a
 * removable unit's medium changed (SPC-4 §5.14: it is how a unit says the
 * medium may be another). Returns 0, the sense's error (scsi_sense_to_err;
 * a failure whose sense names no reason is ERR_IO), or the transport's. A
 * failure worth a line (atapi_sense_is_worth_logging) is logged unless
 * `quiet`. */
static int scsi_locked(struct msc_unit *u, const uint8_t *cdb, uint8_t cdb_len, void *data,
                       uint32_t bytes, bool dir_in, uint32_t *done, uint32_t timeout_ms,
                       bool quiet, struct atapi_sense *sense_out)
{
    struct msc_dev *m = u->m;
    struct atapi_sense sense;
    char text[ATAPI_SENSE_TEXT_BYTES];
    uint8_t scdb[16];
    uint32_t sdone;
    bool check, scheck;

    lock_assert_held(&m->lock);
    if (sense_out)
        memset(sense_out, 0, sizeof(*sense_out));
    int rc = bot_xfer_locked(m, u->lun, cdb, cdb_len, data, bytes, dir_in, done, &check,
                             timeout_ms);
    if (rc != ERR_IO || !check)
        return rc;
    /* 1. Command failed: ask why (SPC-4 §5.11: sense is kept for the next command). */
    uint8_t len = scsi_cdb_request_sense(scdb, SCSI_SENSE_BYTES);
    int src = bot_xfer_locked(m, u->lun, scdb, len, m->buf + MSC_BUF_SENSE, SCSI_SENSE_BYTES,
                              true, &sdone, &scheck, MSC_CMD_TIMEOUT_MS);
    if (src == 0)
        src = atapi_sense_decode(m->buf + MSC_BUF_SENSE, sdone, &sense);
    if (src) {
        pr_warn("usb-storage: %s: command 0x%02x failed, no sense (%s)", u->name, cdb[0],
                err_name(src));
        return ERR_IO;
    }
    /* 2. What it means; any UNIT ATTENTION may hide a new medium. */
    if (sense.key == ATAPI_KEY_UNIT_ATTENTION && u->removable)
        u->media.changed = true;
    if (sense_out)
        *sense_out = sense;
    rc = scsi_sense_to_err(&sense);
    if (rc == 0) /* failed, yet the sense says nothing is wrong: do not trust the data */
        rc = ERR_IO;
    if (!quiet && atapi_sense_is_worth_logging(&sense, cdb[0]))
        pr_warn("usb-storage: %s: command 0x%02x failed: %s, %s", u->name, cdb[0],
                atapi_sense_describe(&sense, text, sizeof(text)), err_name(rc));
    return rc;
}

/* ---- set-up --------------------------------------------------------------------------- */

int msc_dev_init(struct msc_dev *m, const struct msc_transport_ops *ops, void *ctx,
                 uint8_t iface, const char *where)
{
    memset(m, 0, sizeof(*m));
    m->buf = kzalloc(MSC_BUF_BYTES);
    if (!m->buf)
        return ERR_NOMEM;
    m->ops = ops;
    m->ctx = ctx;
    m->iface = iface;
    m->tag = 0x5350494Eu; /* any start value; only equality matters */
    kstrlcpy(m->where, where, sizeof(m->where));
    mutex_init(&m->lock, "usb-storage");
    return 0;
}

void msc_dev_fini(struct msc_dev *m)
{
    kfree(m->buf);
    m->buf = NULL;
}

uint8_t msc_get_max_lun(struct msc_dev *m)
{
    struct usb_setup s = {
        .request_type = USB_RT_IN | USB_RT_CLASS | USB_RT_INTERFACE,
        .request = BOT_REQ_GET_MAX_LUN, .index = m->iface, .length = 1,
    };
    uint8_t maxlun = 0;
    uint32_t got = 0;

    if (m->ops->control(m->ctx, &s, &maxlun, &got) != 0 || got != 1)
        return 0;
    return MIN(maxlun, (uint8_t)BOT_MAX_LUN);
}

void msc_unit_init(struct msc_unit *u, struct msc_dev *m, uint8_t lun, const char *name)
{
    memset(u, 0, sizeof(*u));
    u->m = m;
    u->lun = lun;
    kstrlcpy(u->name, name, sizeof(u->name));
}

/* READ CAPACITY (10), or (16) for a disk of 2^32 blocks or more; a CD/DVD
 * unit must answer 2048-byte blocks (the ATAPI parser). Capacity 0 is no
 * medium. Returns 0 with *cap, ERR_NOMEDIA, ERR_CORRUPT, command errors. */
static int read_capacity_locked(struct msc_unit *u, struct scsi_capacity *cap)
{
    uint8_t cdb[16], *buf = u->m->buf + MSC_BUF_DATA;
    uint32_t done;

    memset(cap, 0, sizeof(*cap));
    uint8_t len = scsi_cdb_read_capacity10(cdb);
    int rc = scsi_locked(u, cdb, len, buf, SCSI_CAPACITY10_BYTES, true, &done,
                         MSC_CMD_TIMEOUT_MS, false, NULL);
    if (rc)
        return rc;
    if (u->is_cd) {
        cap->block_bytes = ATAPI_SECTOR_BYTES;
        rc = atapi_read_capacity_parse(u->name, buf, done, &cap->blocks);
    } else {
        rc = scsi_parse_capacity10(buf, done, cap);
        if (rc == 0 && cap->need16) {
            len = scsi_cdb_read_capacity16(cdb, SCSI_CAPACITY16_BYTES);
            rc = scsi_locked(u, cdb, len, buf, SCSI_CAPACITY16_BYTES, true, &done,
                             MSC_CMD_TIMEOUT_MS, false, NULL);
            if (rc == 0)
                rc = scsi_parse_capacity16(buf, done, cap);
        }
    }
    if (rc == 0 && cap->blocks == 0)
        rc = ERR_NOMEDIA;
    return rc;
}

/* Is the medium write-protected? A CD always is; for a disk MODE SENSE (6)
 * tells, and a unit that refuses it is taken as writable (many sticks do
 * not implement it). */
static bool is_write_protected_locked(struct msc_unit *u)
{
    uint8_t cdb[16];
    uint32_t done;
    bool wp = false;

    if (u->is_cd)
        return true;
    uint8_t len = scsi_cdb_mode_sense6(cdb, SCSI_MODE_PAGE_ALL, SCSI_MODE_SENSE_BYTES);
    if (scsi_locked(u, cdb, len, u->m->buf + MSC_BUF_DATA, SCSI_MODE_SENSE_BYTES, true, &done,
                    MSC_CMD_TIMEOUT_MS, true, NULL) == 0)
        (void)scsi_parse_mode_sense6_wp(u->m->buf + MSC_BUF_DATA, done, &wp);
    return wp;
}

/* A removable unit's medium answered READ CAPACITY with nonsense (the
 * parser logged what): one line more, then it counts as absent and is not
 * asked again until it goes or a UNIT ATTENTION comes, so the poll does not
 * repeat both lines every second. Returns ERR_NOMEDIA. */
static int medium_unusable_locked(struct msc_unit *u)
{
    lock_assert_held(&u->m->lock);
    pr_warn("usb-storage: %s: medium not usable (bad capacity), ignored until it is changed",
            u->name);
    u->media_bad = true;
    return ERR_NOMEDIA;
}

int msc_unit_identify(struct msc_unit *u)
{
    struct msc_dev *m = u->m;
    struct scsi_capacity cap;
    uint8_t cdb[16], len;
    uint32_t done;
    int rc;

    mutex_lock(&m->lock);
    /* 1. INQUIRY: direct-access disks and CD/DVD units become disks; a CD
     *    is removable whatever its RMB bit says. */
    len = scsi_cdb_inquiry(cdb, SCSI_INQUIRY_BYTES);
    rc = scsi_locked(u, cdb, len, m->buf + MSC_BUF_DATA, SCSI_INQUIRY_BYTES, true, &done,
                     MSC_CMD_TIMEOUT_MS, false, NULL);
    if (rc == 0)
        rc = scsi_parse_inquiry(m->buf + MSC_BUF_DATA, done, &u->inq);
    if (rc)
        goto out_unlock;
    if ((u->inq.device_type != SCSI_TYPE_DISK && u->inq.device_type != SCSI_TYPE_CDROM) ||
        u->inq.qualifier != 0) {
        pr_info("usb-storage: %s: LUN %u is neither a disk nor a CD/DVD (type 0x%02x, "
                "qualifier %u)", u->name, u->lun, u->inq.device_type, u->inq.qualifier);
        rc = ERR_NODEV;
        goto out_unlock;
    }
    u->is_cd = u->inq.device_type == SCSI_TYPE_CDROM;
    u->removable = u->inq.removable || u->is_cd;
    /* 2. TEST UNIT READY until ready, no medium, or the attempts run out. */
    for (unsigned i = 1; i <= MSC_TUR_ATTEMPTS; i++) {
        len = scsi_cdb_test_unit_ready(cdb);
        rc = scsi_locked(u, cdb, len, NULL, 0, false, &done, MSC_CMD_TIMEOUT_MS, true, NULL);
        if (rc == 0 || rc == ERR_NOMEDIA || rc == ERR_NODEV)
            break;
        if (i < MSC_TUR_ATTEMPTS) {
            pr_debug("usb-storage: %s: not ready yet (%s), attempt %u of %u", u->name,
                     err_name(rc), i + 1, MSC_TUR_ATTEMPTS);
            mutex_unlock(&m->lock);
            sleep_ms(MSC_TUR_DELAY_MS);
            mutex_lock(&m->lock);
        }
    }
    /* 3. Capacity and write protection of the medium. */
    if (rc == 0)
        rc = read_capacity_locked(u, &cap);
    if (rc == 0) {
        u->blocks = cap.blocks;
        u->block_bytes = cap.block_bytes;
        u->readonly = is_write_protected_locked(u);
    }
    /* 4. A removable unit is a disk with or without a medium: one still
     *    becoming ready is left to the poll, one whose capacity makes no
     *    sense counts as none. The unit attentions of power-on are
     *    history now. */
    if (u->removable && rc == ERR_CORRUPT)
        rc = medium_unusable_locked(u);
    if (u->removable && (rc == 0 || rc == ERR_NOMEDIA || rc == ERR_BUSY)) {
        u->media = (struct atapi_media){ .present = rc == 0, .sectors = u->blocks };
        rc = 0;
    }
out_unlock:
    mutex_unlock(&m->lock);
    return rc;
}

void msc_unit_announce_initial(struct msc_unit *u, void *disk)
{
    mutex_lock(&u->m->lock);
    bool present = !u->removable || u->media.present;
    mutex_unlock(&u->m->lock);
    if (present)
        DiskMediaChanged(disk, 1);
}

/* ---- reads, writes, flush --------------------------------------------------------------- */

/* Bounded retries: a retry for busy, I/O and timeout errors only. */
static bool can_retry(int rc)
{
    return rc == ERR_BUSY || rc == ERR_IO || rc == ERR_TIMEOUT;
}

/* May commands reach the medium? A removable unit's must be announced and
 * unchanged since (a UNIT ATTENTION or an eject stops I/O at once). */
static bool is_medium_usable_locked(const struct msc_unit *u)
{
    lock_assert_held(&u->m->lock);
    return !u->removable || atapi_media_is_usable(&u->media);
}

/* The READ/WRITE CDB: SBC (10)/(16) for a disk, MMC READ (10)/(12) for a
 * CD (the ATAPI builder). Returns its length. */
static uint8_t rw_cdb(const struct msc_unit *u, uint8_t cdb[16], bool write, uint64_t lba,
                      uint32_t count)
{
    if (!u->is_cd)
        return scsi_cdb_rw(cdb, write, lba, count);
    memset(cdb, 0, 16);
    /* A CD's capacity came from READ CAPACITY (10): its LBAs fit 32 bits. */
    return atapi_cdb_read((uint32_t)lba, count, u->read12, cdb) == ATAPI_READ_10 ? 10 : 12;
}

/* One READ/WRITE command of `count` blocks of `block_bytes`, with retries. */
static int rw_chunk(struct msc_unit *u, uint8_t *buf, uint64_t lba, uint32_t count,
                    uint32_t block_bytes, bool write, uint32_t *done_blocks)
{
    struct msc_dev *m = u->m;
    struct atapi_sense sense = { 0 };
    uint8_t cdb[16];
    uint32_t bytes = count * block_bytes, done = 0;
    int rc = ERR_IO;

    *done_blocks = 0;
    for (unsigned attempt = 1; attempt <= MSC_MAX_ATTEMPTS; attempt++) {
        /* 1. One command, unless the medium went away (then no retry). */
        mutex_lock(&m->lock);
        if (is_medium_usable_locked(u)) {
            uint8_t len = rw_cdb(u, cdb, write, lba, count);
            rc = scsi_locked(u, cdb, len, buf, bytes, !write, &done, MSC_IO_TIMEOUT_MS, false,
                             &sense);
        } else {
            rc = ERR_NOMEDIA;
            done = 0;
        }
        mutex_unlock(&m->lock);
        if (rc == 0 && done < bytes)
            rc = ERR_IO; /* passed but short: report what moved */
        /* 2. A CD that does not know READ (10) gets READ (12) (MMC-5 makes
         *    both mandatory, yet some bridges pass only one). */
        bool to_read12 = rc == ERR_NOTSUP && u->is_cd && !u->read12 &&
                         sense.asc == ATAPI_ASC_INVALID_OPCODE;
        if (to_read12) {
            u->read12 = true;
            pr_info("usb-storage: %s: READ(10) refused, using READ(12)", u->name);
        }
        if (rc == 0 || !(can_retry(rc) || to_read12))
            break;
        if (attempt < MSC_MAX_ATTEMPTS) {
            u->retries++;
            pr_warn("usb-storage: %s: retrying %s of %lu blocks at lba %llu (attempt %u of %u, "
                    "%s)", u->name, write ? "write" : "read", (unsigned long)count,
                    (unsigned long long)lba, attempt + 1, MSC_MAX_ATTEMPTS, err_name(rc));
        }
    }
    *done_blocks = rc == 0 ? count : done / block_bytes;
    return rc;
}

int msc_unit_rw(struct msc_unit *u, void *buf, uint64_t lba, uint32_t *count, bool write)
{
    uint32_t want = *count, done = 0;
    int rc = 0;

    /* 1. The medium as it is now: there and unchanged, writable if written. */
    *count = 0;
    mutex_lock(&u->m->lock);
    bool usable = is_medium_usable_locked(u);
    uint64_t blocks = u->blocks;
    uint32_t block_bytes = u->block_bytes;
    mutex_unlock(&u->m->lock);
    if (!usable)
        return want ? ERR_NOMEDIA : 0;
    if (write && u->is_cd)
        return want ? ERR_ROFS : 0;
    /* 2. Clip the request at the end of the medium (do what fits, say so). */
    if (lba >= blocks)
        return want ? ERR_EOM : 0;
    bool clipped = want > blocks - lba;
    if (clipped)
        want = (uint32_t)(blocks - lba);
    /* 3. Commands of at most MSC_MAX_XFER_BYTES. */
    uint32_t per_cmd = MSC_MAX_XFER_BYTES / block_bytes;
    while (done < want && rc == 0) {
        uint32_t n = MIN(want - done, per_cmd), got;
        rc = rw_chunk(u, (uint8_t *)buf + (size_t)done * block_bytes, lba + done, n,
                      block_bytes, write, &got);
        done += got;
    }
    /* 4. Honest count; END_OF_MEDIA when clipped and otherwise fine. */
    *count = done;
    if (rc == 0 && clipped)
        rc = ERR_EOM;
    return gone_is_nomedia(rc);
}

int msc_unit_flush(struct msc_unit *u)
{
    uint8_t cdb[16];
    uint32_t done;
    int rc = ERR_IO;

    if (u->no_sync_cache || u->is_cd)
        return 0;
    uint8_t len = scsi_cdb_sync_cache10(cdb);
    for (unsigned attempt = 1; attempt <= MSC_MAX_ATTEMPTS; attempt++) {
        mutex_lock(&u->m->lock);
        rc = is_medium_usable_locked(u)
                 ? scsi_locked(u, cdb, len, NULL, 0, false, &done, MSC_FLUSH_TIMEOUT_MS, false,
                               NULL)
                 : ERR_NOMEDIA;
        mutex_unlock(&u->m->lock);
        if (rc == ERR_NOTSUP) {
            /* ILLEGAL REQUEST: no such command, so no volatile cache to flush. */
            pr_info("usb-storage: %s: no SYNCHRONIZE CACHE, flush is a no-op", u->name);
            u->no_sync_cache = true;
            rc = 0;
        }
        if (rc == 0 || !can_retry(rc))
            break;
        if (attempt < MSC_MAX_ATTEMPTS) {
            u->retries++;
            pr_warn("usb-storage: %s: retrying flush (attempt %u of %u, %s)", u->name,
                    attempt + 1, MSC_MAX_ATTEMPTS, err_name(rc));
        }
    }
    return gone_is_nomedia(rc);
}

/* ---- removable media ---------------------------------------------------------------------- */

void msc_unit_poll(struct msc_unit *u, struct msc_poll_news *news)
{
    struct msc_dev *m = u->m;
    struct atapi_sense sense;
    struct scsi_capacity cap = { 0 };
    uint8_t cdb[16];
    uint32_t done;
    bool ro = false;
    int rc = ERR_NOMEDIA;

    memset(news, 0, sizeof(*news));
    if (!u->removable || m->ops->is_gone(m->ctx))
        return;
    mutex_lock(&m->lock);
    /* 1. TEST UNIT READY; each UNIT ATTENTION (scsi_locked marks the medium
     *    changed) is followed by another, up to ATAPI_UA_TRIES. */
    uint8_t len = scsi_cdb_test_unit_ready(cdb);
    for (unsigned i = 0; i < ATAPI_UA_TRIES; i++) {
        rc = scsi_locked(u, cdb, len, NULL, 0, false, &done, MSC_CMD_TIMEOUT_MS, true, &sense);
        if (sense.key != ATAPI_KEY_UNIT_ATTENTION)
            break;
    }
    /* 2. Ready: a medium that is new or changed gets its capacity and write
     *    protection read; the announced one keeps its own. One that gave a
     *    nonsensical capacity stays absent until it goes or a UNIT
     *    ATTENTION (changed) says it may be another. */
    if (rc == ERR_NOMEDIA || u->media.changed)
        u->media_bad = false;
    if (rc == 0 && u->media_bad) {
        rc = ERR_NOMEDIA;
    } else if (rc == 0 && (!u->media.present || u->media.changed)) {
        rc = read_capacity_locked(u, &cap);
        if (rc == 0)
            ro = is_write_protected_locked(u);
        else if (rc == ERR_CORRUPT)
            rc = medium_unusable_locked(u);
    } else if (rc == 0) {
        cap.blocks = u->media.sectors;
        cap.block_bytes = u->block_bytes;
    }
    /* 3. Only "no medium" is news; becoming ready, a busy unit or a
     *    transport error leave the state for the next poll to settle. */
    if (rc != 0 && rc != ERR_NOMEDIA) {
        pr_debug("usb-storage: %s: media poll inconclusive (%s)", u->name, err_name(rc));
        goto out_unlock;
    }
    /* 4. The state machine; another block size is another medium. */
    if (rc == 0 && u->media.present && cap.block_bytes != u->block_bytes)
        u->media.changed = true;
    atapi_media_update(&u->media, rc, cap.blocks, &news->removed, &news->inserted);
    /* 5. A new medium waits until the block layer closed the old one
     *    (DISKFUNC: no insertion before the previous closemedia); it stays
     *    unannounced and the next poll finds it again. */
    if (news->inserted && (news->removed || u->media_open)) {
        u->media.present = false;
        news->inserted = false;
    }
    if (news->inserted) {
        u->blocks = cap.blocks;
        u->block_bytes = cap.block_bytes;
        u->readonly = ro;
        news->blocks = cap.blocks;
        news->block_bytes = cap.block_bytes;
    }
out_unlock:
    mutex_unlock(&m->lock);
}

void msc_unit_announce(struct msc_unit *u, void *disk, const struct msc_poll_news *news)
{
    if (news->removed) {
        pr_info("usb-storage: %s: medium removed or changed", u->name);
        DiskMediaChanged(disk, 0);
    }
    if (news->inserted) {
        pr_info("usb-storage: %s: medium present (%llu blocks of %lu bytes)", u->name,
                (unsigned long long)news->blocks, (unsigned long)news->block_bytes);
        DiskMediaChanged(disk, 1);
    }
}

int msc_unit_load_tray(struct msc_unit *u, bool eject)
{
    uint8_t cdb[16];
    uint32_t done;
    int rc;

    if (!u->removable)
        return ERR_NOTSUP;
    mutex_lock(&u->m->lock);
    /* 1. Let go of any lock on the medium; units without one refuse (quietly). */
    if (eject) {
        uint8_t len = scsi_cdb_prevent_allow(cdb, false);
        (void)scsi_locked(u, cdb, len, NULL, 0, false, &done, MSC_CMD_TIMEOUT_MS, true, NULL);
    }
    /* 2. START STOP UNIT with LoEj (the ATAPI builder; 6 bytes, SBC-3 §5.25). */
    memset(cdb, 0, sizeof(cdb));
    atapi_cdb_start_stop(cdb, eject);
    rc = scsi_locked(u, cdb, 6, NULL, 0, false, &done, MSC_IO_TIMEOUT_MS, false, NULL);
    if (eject && rc == 0)
        u->media.changed = true; /* reads stop; the next poll announces the removal */
    mutex_unlock(&u->m->lock);
    return gone_is_nomedia(rc);
}

/* ---- DISKFUNC --------------------------------------------------------------------------- */

static int disk_rw(struct msc_unit *u, void *buf, int64_t start, int *numsectors, bool write)
{
    if (*numsectors < 0 || start < 0) {
        *numsectors = 0;
        return DISK_STATUS_INVALID_CALL;
    }
    uint32_t count = (uint32_t)*numsectors;
    int rc = msc_unit_rw(u, buf, (uint64_t)start, &count, write);
    *numsectors = (int)count;
    return msc_err_to_status(rc);
}

int STDCALL msc_disk_read(void *userdata, void *buffer, int64_t startsector, int *numsectors)
{
    return disk_rw(userdata, buffer, startsector, numsectors, false);
}

int STDCALL msc_disk_write(void *userdata, const void *buffer, int64_t startsector,
                           int *numsectors)
{
    /* The write path only reads the buffer; the shared helper takes void *. */
    return disk_rw(userdata, (void *)(uintptr_t)buffer, startsector, numsectors, true);
}

int STDCALL msc_disk_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct msc_unit *u = userdata;
    int rc = ERR_NOMEDIA;

    if (u->m->ops->is_gone(u->m->ctx))
        return msc_err_to_status(ERR_NODEV);
    mutex_lock(&u->m->lock);
    if (is_medium_usable_locked(u)) {
        info->flags = u->readonly ? DISK_MEDIA_READONLY : 0;
        info->sectorsize = u->block_bytes;
        info->capacity = u->blocks;
        /* The block layer makes a media of this answer; its closemedia follows. */
        u->media_open = true;
        rc = 0;
    }
    mutex_unlock(&u->m->lock);
    return msc_err_to_status(rc);
}

int STDCALL msc_disk_flush(void *userdata)
{
    return msc_err_to_status(msc_unit_flush(userdata));
}

void STDCALL msc_disk_closemedia(void *userdata)
{
    struct msc_unit *u = userdata;

    mutex_lock(&u->m->lock);
    u->media_open = false;
    mutex_unlock(&u->m->lock);
}

int STDCALL msc_disk_loadtray(void *userdata, int flags)
{
    return msc_err_to_status(msc_unit_load_tray(userdata, flags == DISK_TRAY_EJECT));
}
