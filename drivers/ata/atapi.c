// SPDX-License-Identifier: MIT
/* ATAPI CD/DVD drives (cd0..): the PACKET protocol, the DISKFUNC callbacks
 * and a poll thread that turns media events into DiskMediaChanged(0/1).
 * Data is read with READ(10) (READ(12) if the drive refuses READ(10) or a
 * count does not fit 16 bits) by bus-master DMA when the drive and channel
 * can (PACKET with the DMA feature bit), else by PIO; a DMA read that times
 * out or is refused is tried by PIO and the drive stays on PIO if that
 * works. Other commands (sense, capacity, events, tray) always go by PIO.
 * A check condition is explained by REQUEST SENSE, decoded in
 * lib/atapi_sense.c. Media state lives in struct ata_device under the
 * channel mutex; the poll thread asks GET EVENT STATUS NOTIFICATION (media
 * class) each second and only talks more to the drive when the event says
 * so; drives without it are polled with TEST UNIT READY (a UNIT ATTENTION
 * 28h = new disc). The poll thread is the only caller of DiskMediaChanged,
 * so a change seen by a read is only flagged and announced on the next poll
 * (removal first, then insertion: the old media is closed before the new one
 * is scanned). Read only. Not done: audio, multi-session, DMADIR bridges.
 * Spec: ATA/ATAPI-7 vol. 2 §11.8-11.9 (PACKET PIO and DMA); MMC-5 §6.6
 * (GESN), §6.15-6.16 (READ), §6.21 (READ CAPACITY); SBC-2 §5.17 (START STOP
 * UNIT), SPC-3 §6.27 (REQUEST SENSE). */
#include "drivers/ata/ata_priv.h"
#include "blkdev/diskfunc.h"
#include "drivers/ata/lib/atapi_cdb.h"
#include "drivers/ata/lib/atapi_sense.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/mm/pmm.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define ATAPI_SECTOR_BYTES 2048u
#define ATAPI_DRQ_LIMIT 0xF800u      /* byte count limit: 31 sectors per data block */
/* Sectors per READ: the driver-wide command bound (4 MiB), 2048 sectors. */
#define ATAPI_READ_MAX_SECTORS (ATA_CMD_MAX_BYTES / ATAPI_SECTOR_BYTES)
#define ATAPI_TIMEOUT_MS 10000u
#define ATAPI_POLL_MS 1000u
#define ATAPI_UA_TRIES 4             /* UNIT ATTENTIONs swallowed per check */
/* READ CAPACITY answers beyond this many sectors are rejected: 2^32 is the
 * field's own limit; a BD-XL holds ~62 M. */
#define ATAPI_MAX_SECTORS 0xFFFFFFFFull

static uint32_t be32_at(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* As in ata_disk.c: the bus master reaches identity-mapped RAM directly. */
static bool can_dma_direct(const void *buf, uint32_t bytes)
{
    uintptr_t a = (uintptr_t)buf;
    return (a & 1) == 0 && a != 0 && (uint64_t)a + bytes <= pmm_map_top();
}

/* One PACKET command, PIO data-in (or no data). *got = bytes received.
 * Returns 0, ATA_CHECK_CONDITION (*err_reg holds the error register),
 * ERR_IO (protocol), ERR_TIMEOUT (channel reset). */
static int packet_pio_locked(struct ata_device *dev, const uint8_t *cdb, void *buf,
                             uint32_t bytes, uint32_t *got, uint8_t *err_reg)
{
    struct ata_channel *ch = dev->ch;
    uint32_t limit = bytes ? MIN(bytes, ATAPI_DRQ_LIMIT) : ATAPI_SECTOR_BYTES;
    struct ata_taskfile tf = { .command = ATA_CMD_PACKET, .lba = (uint64_t)limit << 8 };
    uint8_t *p = buf;
    uint8_t st;
    int rc;

    *got = 0;
    *err_reg = 0;
    /* 1. Select, issue PACKET, wait (polled, no interrupt) for DRQ. */
    rc = ata_select_locked(dev);
    if (rc)
        return rc;
    ata_issue_locked(dev, &tf);
    rc = ata_poll_locked(ch, ATA_SR_BSY | ATA_SR_DRQ, ATA_SR_DRQ, ATA_READY_TIMEOUT_MS);
    if (rc < 0) {
        ata_recover_locked(ch, "PACKET");
        return ERR_TIMEOUT;
    }
    /* 2. The 12 command bytes; the device interrupts when it has data or is done. */
    ata_irq_arm_locked(ch);
    outsw(ch->cmd_port, cdb, ATAPI_PACKET_BYTES / 2);
    /* 3. Data blocks of the size the device names in LBA mid/high; excess
     *    beyond `bytes` is read and dropped. Bounded by the byte count. */
    for (;;) {
        if (ata_irq_wait_locked(ch, ATAPI_TIMEOUT_MS, &st)) {
            ata_recover_locked(ch, "ATAPI command");
            return ERR_TIMEOUT;
        }
        if (st & ATA_SR_ERR) {
            *err_reg = ata_read_reg(ch, ATA_REG_ERROR);
            return ATA_CHECK_CONDITION;
        }
        if (!(st & ATA_SR_DRQ))
            return 0;
        uint32_t n = ata_read_reg(ch, ATA_REG_LBA_MID) |
                     ((uint32_t)ata_read_reg(ch, ATA_REG_LBA_HIGH) << 8);
        uint32_t take = MIN(n, bytes - *got) & ~1u;
        if (n == 0 || *got + n > bytes + ATAPI_DRQ_LIMIT) {
            pr_err("ata: %s: bad ATAPI data block (%lu bytes after %lu)", dev->name,
                   (unsigned long)n, (unsigned long)*got);
            ata_recover_locked(ch, "ATAPI data");
            return ERR_IO;
        }
        ata_irq_arm_locked(ch);
        insw(ch->cmd_port, p + *got, take / 2);
        for (uint32_t i = take; i < n; i += 2)
            (void)inw(ch->cmd_port);
        *got += take;
    }
}

/* The same by bus-master DMA, straight into `buf` or through the channel's
 * bounce buffer (the caller keeps `bytes` within ATA_BOUNCE_BYTES then). */
static int packet_dma_locked(struct ata_device *dev, const uint8_t *cdb, void *buf,
                             uint32_t bytes, uint32_t *got, uint8_t *err_reg)
{
    struct ata_channel *ch = dev->ch;
    bool direct = can_dma_direct(buf, bytes);
    int rc;

    *got = 0;
    if (!direct && bytes > ATA_BOUNCE_BYTES)
        return ERR_INVAL; /* a caller bug: chunk_sectors() bounds this */
    rc = ata_dma_packet_locked(dev, cdb, direct ? (uintptr_t)buf : ch->bounce.phys, bytes,
                               err_reg);
    if (rc)
        return rc;
    if (!direct)
        memcpy(buf, ch->bounce.virt, bytes);
    *got = bytes;
    return 0;
}

/* A command with REQUEST SENSE on a check condition, decoded by
 * lib/atapi_sense. Returns 0 or the sense's error code (ERR_NOMEDIA for no
 * medium and UNIT ATTENTION - then media_changed is set -, ERR_EOM,
 * ERR_NOTSUP, ERR_IO), ERR_IO (protocol), ERR_TIMEOUT. *sense is zero
 * unless a check condition was decoded. */
static int command_locked(struct ata_device *dev, const uint8_t *cdb, void *buf,
                          uint32_t bytes, uint32_t *got, struct atapi_sense *sense, bool dma)
{
    uint8_t err_reg, sbuf[ATAPI_SENSE_FULL_BYTES] = { 0 };
    uint8_t req[ATAPI_PACKET_BYTES] = { ATAPI_REQUEST_SENSE, 0, 0, 0, sizeof(sbuf) };
    uint32_t sgot;
    int rc = dma ? packet_dma_locked(dev, cdb, buf, bytes, got, &err_reg)
                 : packet_pio_locked(dev, cdb, buf, bytes, got, &err_reg);

    memset(sense, 0, sizeof(*sense));
    if (rc != ATA_CHECK_CONDITION)
        return rc;
    /* 1. Why: the sense data, or the key in error bits 7:4 if that fails. */
    if (packet_pio_locked(dev, req, sbuf, sizeof(sbuf), &sgot, &err_reg) != 0 ||
        atapi_sense_decode(sbuf, sgot, sense) != 0)
        atapi_sense_from_error_reg(err_reg, sense);
    /* 2. What it means; expected states (no disc, new disc) are not logged. */
    enum atapi_sense_class cls = atapi_sense_classify(sense);
    if (cls == ATAPI_SENSE_MEDIUM_CHANGED)
        dev->media_changed = true;
    if (cls != ATAPI_SENSE_OK && cls != ATAPI_SENSE_NO_MEDIUM &&
        cls != ATAPI_SENSE_BECOMING_READY && cls != ATAPI_SENSE_MEDIUM_CHANGED &&
        cls != ATAPI_SENSE_RESET && !(cls == ATAPI_SENSE_UNSUPPORTED && cdb[0] == ATAPI_OP_GESN)) {
        const char *what = atapi_sense_asc_name(sense);
        dev->errors++;
        pr_err("ata: %s: command 0x%02x failed: %s%s%s (sense %x/%02x/%02x)", dev->name, cdb[0],
               atapi_sense_key_name(sense->key), what ? ", " : "", what ? what : "", sense->key,
               sense->asc, sense->ascq);
    }
    return atapi_sense_class_to_err(cls);
}

/* ---- media state ------------------------------------------------------------------------- */

/* TEST UNIT READY, swallowing a few UNIT ATTENTIONs; then READ CAPACITY.
 * Returns 0 with *sectors, ERR_NOMEDIA, ERR_IO/ERR_TIMEOUT/ERR_CORRUPT. */
static int check_media_locked(struct ata_device *dev, uint64_t *sectors)
{
    uint8_t tur[ATAPI_PACKET_BYTES] = { ATAPI_TEST_UNIT_READY };
    uint8_t rcap[ATAPI_PACKET_BYTES] = { ATAPI_READ_CAPACITY };
    uint8_t cap[8];
    struct atapi_sense sense;
    uint32_t got;
    int rc = ERR_NOMEDIA;

    for (unsigned i = 0; i < ATAPI_UA_TRIES; i++) {
        rc = command_locked(dev, tur, NULL, 0, &got, &sense, false);
        if (!(rc == ERR_NOMEDIA && sense.key == ATAPI_KEY_UNIT_ATTENTION))
            break;
    }
    if (rc)
        return rc;
    rc = command_locked(dev, rcap, cap, sizeof(cap), &got, &sense, false);
    if (rc)
        return rc;
    uint64_t last = be32_at(cap);
    uint32_t block = be32_at(cap + 4);
    if (got < sizeof(cap) || block != ATAPI_SECTOR_BYTES || last >= ATAPI_MAX_SECTORS) {
        pr_err("ata: %s: unusable READ CAPACITY (%lu bytes, last lba %llu, block %lu)",
               dev->name, (unsigned long)got, (unsigned long long)last, (unsigned long)block);
        return ERR_CORRUPT;
    }
    *sectors = last + 1;
    return 0;
}

/* GET EVENT STATUS NOTIFICATION, media class. 0 with *ev; ERR_NOTSUP (no
 * media events: the caller switches to TEST UNIT READY polling); ERR_*. */
static int media_event_locked(struct ata_device *dev, struct atapi_media_event *ev)
{
    uint8_t cdb[ATAPI_PACKET_BYTES], buf[ATAPI_GESN_MEDIA_BYTES] = { 0 };
    struct atapi_sense sense;
    uint32_t got;

    atapi_cdb_gesn_media(cdb);
    int rc = command_locked(dev, cdb, buf, sizeof(buf), &got, &sense, false);
    if (rc)
        return rc;
    return atapi_gesn_parse_media(buf, got, ev);
}

/* One poll: announce removal and insertion. Called only by the poll thread. */
static void poll_once(struct ata_device *dev)
{
    struct ata_channel *ch = dev->ch;
    enum atapi_poll_action act = ATAPI_POLL_CHECK;
    struct atapi_media_event ev;
    uint64_t sectors = 0;
    bool removed = false, inserted = false;
    int rc;

    /* 1. Ask for a media event; without GESN, or when it fails, check fully. */
    mutex_lock(&ch->lock);
    bool changed = dev->media_changed;
    dev->media_changed = false;
    if (!dev->gesn_unsupported) {
        rc = media_event_locked(dev, &ev);
        if (rc == ERR_NOTSUP || rc == ERR_CORRUPT) {
            dev->gesn_unsupported = true;
            pr_info("ata: %s: no media events (GET EVENT STATUS: %s), polling with TEST UNIT "
                    "READY", dev->name, err_name(rc));
        } else if (rc == 0) {
            act = atapi_poll_decide(&ev, dev->media_present, changed);
            changed = changed || ev.code == ATAPI_MEC_NEW_MEDIA ||
                      ev.code == ATAPI_MEC_MEDIA_CHANGED;
        }
    }
    /* 2. Decide what changed. */
    if (act == ATAPI_POLL_NOTHING) {
        mutex_unlock(&ch->lock);
        return;
    }
    rc = act == ATAPI_POLL_REMOVED ? ERR_NOMEDIA : check_media_locked(dev, &sectors);
    if (dev->media_present && (rc != 0 || changed || sectors != dev->media_sectors)) {
        dev->media_present = false;
        removed = true;
    }
    if (rc == 0 && !dev->media_present) {
        dev->media_sectors = sectors;
        dev->media_present = true;
        inserted = true;
    }
    mutex_unlock(&ch->lock);
    /* 3. Tell the block layer, removal first, with no lock held. */
    if (removed) {
        pr_info("ata: %s: media removed or changed", dev->name);
        DiskMediaChanged(dev->disk, 0);
    }
    if (inserted) {
        pr_info("ata: %s: media present (%llu sectors of 2048 bytes)", dev->name,
                (unsigned long long)sectors);
        DiskMediaChanged(dev->disk, 1);
    }
}

static int poll_thread(void *arg)
{
    struct ata_device *dev = arg;

    for (;;) {
        poll_once(dev);
        sleep_ms(ATAPI_POLL_MS);
    }
    return 0;
}

/* ---- reads ------------------------------------------------------------------------------- */

/* Sectors for the next READ at `buf`: DMA through the bounce buffer is
 * bounded by its size. */
static uint32_t chunk_sectors(const struct ata_device *dev, const void *buf, uint32_t want)
{
    uint32_t n = MIN(want, ATAPI_READ_MAX_SECTORS);
    if (dev->use_dma && !can_dma_direct(buf, n * ATAPI_SECTOR_BYTES))
        n = MIN(n, ATA_BOUNCE_BYTES / ATAPI_SECTOR_BYTES);
    return n;
}

/* One READ of n sectors with bounded retries: timeouts and retryable
 * senses are repeated; a DMA read refused or timed out is tried by PIO
 * (the drive switches to PIO if that works); READ(10) refused as an unknown
 * opcode switches the drive to READ(12). A short answer is an error. */
static int read_chunk_locked(struct ata_device *dev, uint32_t lba, uint32_t n, uint8_t *buf)
{
    struct atapi_sense sense;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    bool dma = dev->use_dma;
    uint32_t got = 0;
    int rc = ERR_IO;

    for (unsigned attempt = 1; attempt <= ATA_MAX_ATTEMPTS; attempt++) {
        /* 1. One READ; all bytes or it failed. Success ends here (a PIO try
         *    that replaced DMA becomes the drive's mode). */
        uint8_t op = atapi_cdb_read(lba, n, dev->atapi_read12, cdb);
        rc = command_locked(dev, cdb, buf, n * ATAPI_SECTOR_BYTES, &got, &sense, dma);
        if (rc == 0 && got != n * ATAPI_SECTOR_BYTES) {
            pr_err("ata: %s: short read (%lu of %lu bytes)", dev->name, (unsigned long)got,
                   (unsigned long)(n * ATAPI_SECTOR_BYTES));
            rc = ERR_IO;
        }
        if (rc == 0) {
            if (dma != dev->use_dma) {
                pr_warn("ata: %s: DMA read failed but PIO works, switching to PIO", dev->name);
                dev->use_dma = false;
            }
            return 0;
        }
        /* 2. Pick the next try: READ(12), PIO, the same again - or give up
         *    (no medium, medium changed, out of range, hard errors). */
        enum atapi_sense_class cls = atapi_sense_classify(&sense);
        const char *why;
        if (rc == ERR_NOTSUP && op == ATAPI_OP_READ_10 && !dev->atapi_read12 &&
            sense.asc == ATAPI_ASC_INVALID_OPCODE) {
            dev->atapi_read12 = true;
            why = "READ(10) refused, using READ(12)";
        } else if (dma && (rc == ERR_TIMEOUT || rc == ERR_NOTSUP ||
                           (rc == ERR_IO && sense.key == 0))) {
            dma = false;
            why = "retry by PIO";
        } else if (rc == ERR_TIMEOUT || (sense.key && atapi_sense_is_retryable(cls))) {
            why = "retry";
        } else {
            return rc;
        }
        if (attempt < ATA_MAX_ATTEMPTS) {
            dev->retries++;
            pr_warn("ata: %s: %s: read of %lu sectors at lba %lu (attempt %u of %u, %s)",
                    dev->name, why, (unsigned long)n, (unsigned long)lba, attempt + 1,
                    ATA_MAX_ATTEMPTS, err_name(rc));
        }
    }
    return rc;
}

/* ---- DISKFUNC ----------------------------------------------------------------------------- */

static int STDCALL atapi_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct ata_device *dev = userdata;
    int status = DISK_STATUS_NO_MEDIA;

    mutex_lock(&dev->ch->lock);
    if (dev->media_present && !dev->media_changed) {
        info->flags = DISK_MEDIA_READONLY;
        info->sectorsize = ATAPI_SECTOR_BYTES;
        info->capacity = dev->media_sectors;
        status = DISK_STATUS_OK;
    }
    mutex_unlock(&dev->ch->lock);
    return status;
}

static int STDCALL atapi_read(void *userdata, void *buffer, int64_t startsector,
                              int *numsectors)
{
    struct ata_device *dev = userdata;
    uint32_t done = 0, want;
    int rc = 0;

    if (*numsectors < 0 || startsector < 0) {
        *numsectors = 0;
        return DISK_STATUS_INVALID_CALL;
    }
    want = (uint32_t)*numsectors;
    mutex_lock(&dev->ch->lock);
    /* 1. Media gone or changed under us: nothing is read from the new disc. */
    if (!dev->media_present || dev->media_changed) {
        rc = ERR_NOMEDIA;
        goto out_unlock;
    }
    if ((uint64_t)startsector >= dev->media_sectors) {
        rc = want ? ERR_EOM : 0;
        goto out_unlock;
    }
    bool clipped = want > dev->media_sectors - (uint64_t)startsector;
    if (clipped)
        want = (uint32_t)(dev->media_sectors - (uint64_t)startsector);
    /* 2. READs in pieces (media_sectors < 2^32, so the LBA fits). */
    while (done < want && rc == 0) {
        uint8_t *p = (uint8_t *)buffer + (size_t)done * ATAPI_SECTOR_BYTES;
        uint32_t n = chunk_sectors(dev, p, want - done);
        rc = read_chunk_locked(dev, (uint32_t)startsector + done, n, p);
        if (rc == 0)
            done += n;
    }
    if (rc == 0 && clipped)
        rc = ERR_EOM;
out_unlock:
    mutex_unlock(&dev->ch->lock);
    *numsectors = (int)done;
    return ata_err_to_status(rc);
}

int atapi_load_tray(struct ata_device *dev, bool eject)
{
    uint8_t cdb[ATAPI_PACKET_BYTES] = {
        ATAPI_START_STOP_UNIT, 0, 0, 0,
        (uint8_t)(eject ? ATAPI_SSU_LOEJ : ATAPI_SSU_LOEJ | ATAPI_SSU_START),
    };
    struct atapi_sense sense;
    uint32_t got;

    mutex_lock(&dev->ch->lock);
    int rc = command_locked(dev, cdb, NULL, 0, &got, &sense, false);
    if (eject && rc == 0)
        dev->media_changed = true; /* the poll thread announces the removal */
    mutex_unlock(&dev->ch->lock);
    return rc;
}

static int STDCALL atapi_loadtray(void *userdata, int flags)
{
    return ata_err_to_status(atapi_load_tray(userdata, flags == DISK_TRAY_EJECT));
}

static void STDCALL atapi_closemedia(void *userdata)
{
    struct ata_device *dev = userdata;
    pr_info("ata: %s: old media closed", dev->name);
}

static DISKFUNC atapi_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .closemedia = atapi_closemedia,
    .querymedia = atapi_querymedia,
    .read = atapi_read,
    .LoadTray = atapi_loadtray,
};

int atapi_register(struct ata_device *dev)
{
    char mode[16];

    pr_info("ata: %s: ATAPI %s (type %u), reads by %s", dev->name, dev->id.model,
            dev->id.packet_type, ata_mode_name(dev, mode, sizeof(mode)));
    dev->disk = DiskAdd(&atapi_funcs, dev->name, dev, 0);
    if (!dev->disk)
        return ERR_NOMEM;
    int rc = thread_create(dev->name, poll_thread, dev, THREAD_PRIO_LOW, NULL);
    if (rc)
        pr_err("ata: %s: no media poll thread (%s)", dev->name, err_name(rc));
    return 0;
}
