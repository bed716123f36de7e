// SPDX-License-Identifier: MIT
/* ATAPI CD/DVD drives (cd0..): the PACKET protocol over PIO, the DISKFUNC
 * callbacks and a poll thread that turns TEST UNIT READY answers into
 * DiskMediaChanged(0/1). Media state lives in struct ata_device under the
 * channel mutex; the poll thread is the only caller of DiskMediaChanged, so
 * a change seen by a read (UNIT ATTENTION) is only flagged and announced on
 * the next poll (removal first, then insertion: the old media is closed
 * before the new one is scanned). Data: READ(10) of 2048-byte sectors, read
 * only. Not done: DMA for packets, READ(12), GET EVENT STATUS NOTIFICATION,
 * audio, multi-session.
 * Spec: ATA/ATAPI-7 vol. 2 §11.8 (PACKET PIO protocol); MMC-5 §6.21 (READ
 * CAPACITY), SBC-2 §5.17 (START STOP UNIT), SPC-3 §6.27 (REQUEST SENSE). */
#include "drivers/ata/ata_priv.h"
#include "blkdev/diskfunc.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define ATAPI_SECTOR_BYTES 2048u
#define ATAPI_DRQ_LIMIT 0xF800u      /* byte count limit: 31 sectors per data block */
#define ATAPI_READ_MAX_SECTORS 256u  /* per READ(10) */
#define ATAPI_TIMEOUT_MS 10000u
#define ATAPI_POLL_MS 1000u
#define ATAPI_UA_TRIES 4             /* UNIT ATTENTIONs swallowed per check */
#define SENSE_BYTES 18
/* READ CAPACITY answers beyond this many sectors are rejected: 2^32 is the
 * field's own limit; a BD-XL holds ~62 M. */
#define ATAPI_MAX_SECTORS 0xFFFFFFFFull

struct atapi_sense {
    uint8_t key, asc, ascq;
};

static uint32_t be32_at(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* One PACKET command, PIO data-in (or no data). *got = bytes received.
 * Returns 0, ERR_IO (check condition: *err_reg holds the error register),
 * ERR_TIMEOUT (channel reset). */
static int packet_locked(struct ata_device *dev, const uint8_t *cdb, void *buf, uint32_t bytes,
                         uint32_t *got, uint8_t *err_reg)
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
            return ERR_IO;
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

/* A command with REQUEST SENSE on failure. Returns 0, ERR_NOMEDIA (no
 * medium, or UNIT ATTENTION: then media_changed is set), ERR_IO, ERR_TIMEOUT. */
static int command_locked(struct ata_device *dev, const uint8_t *cdb, void *buf,
                          uint32_t bytes, uint32_t *got, struct atapi_sense *sense)
{
    uint8_t err_reg, sbuf[SENSE_BYTES] = { 0 };
    uint8_t req[ATAPI_PACKET_BYTES] = { ATAPI_REQUEST_SENSE, 0, 0, 0, SENSE_BYTES };
    uint32_t sgot;
    int rc = packet_locked(dev, cdb, buf, bytes, got, &err_reg);

    memset(sense, 0, sizeof(*sense));
    if (rc != ERR_IO)
        return rc;
    /* Check condition: the sense data says why (key also in error bits 7:4). */
    sense->key = (uint8_t)(err_reg >> ATAPI_ER_SENSE_SHIFT);
    if (packet_locked(dev, req, sbuf, SENSE_BYTES, &sgot, &err_reg) == 0 && sgot >= 14) {
        sense->key = sbuf[2] & 0x0F;
        sense->asc = sbuf[12];
        sense->ascq = sbuf[13];
    }
    if (sense->key == ATAPI_SENSE_UNIT_ATTENTION) {
        dev->media_changed = true;
        return ERR_NOMEDIA;
    }
    if (sense->key == ATAPI_SENSE_NOT_READY)
        return ERR_NOMEDIA;
    dev->errors++;
    pr_err("ata: %s: command 0x%02x failed (sense %x/%02x/%02x)", dev->name, cdb[0],
           sense->key, sense->asc, sense->ascq);
    return ERR_IO;
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
        rc = command_locked(dev, tur, NULL, 0, &got, &sense);
        if (!(rc == ERR_NOMEDIA && sense.key == ATAPI_SENSE_UNIT_ATTENTION))
            break;
    }
    if (rc)
        return rc;
    rc = command_locked(dev, rcap, cap, sizeof(cap), &got, &sense);
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

/* One poll: announce removal and insertion. Called only by the poll thread. */
static void poll_once(struct ata_device *dev)
{
    struct ata_channel *ch = dev->ch;
    uint64_t sectors = 0;
    bool removed = false, inserted = false;

    /* 1. Ask the drive under the channel lock; decide what changed. */
    mutex_lock(&ch->lock);
    int rc = check_media_locked(dev, &sectors);
    bool changed = dev->media_changed;
    dev->media_changed = false;
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
    /* 2. Tell the block layer, removal first, with no lock held. */
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
    struct atapi_sense sense;
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
    /* 2. READ(10) in pieces; a short answer is an error, never success. */
    while (done < want && rc == 0) {
        uint32_t n = MIN(want - done, ATAPI_READ_MAX_SECTORS);
        uint32_t lba = (uint32_t)startsector + done, got;
        uint8_t cdb[ATAPI_PACKET_BYTES] = {
            ATAPI_READ_10, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16), (uint8_t)(lba >> 8),
            (uint8_t)lba, 0, (uint8_t)(n >> 8), (uint8_t)n,
        };
        rc = command_locked(dev, cdb, (uint8_t *)buffer + (size_t)done * ATAPI_SECTOR_BYTES,
                            n * ATAPI_SECTOR_BYTES, &got, &sense);
        if (rc == ERR_TIMEOUT) {
            dev->retries++;
            pr_warn("ata: %s: retrying read at lba %lu after timeout", dev->name,
                    (unsigned long)lba);
            rc = command_locked(dev, cdb, (uint8_t *)buffer + (size_t)done * ATAPI_SECTOR_BYTES,
                                n * ATAPI_SECTOR_BYTES, &got, &sense);
        }
        if (rc == 0 && got != n * ATAPI_SECTOR_BYTES) {
            pr_err("ata: %s: short read (%lu of %lu bytes)", dev->name, (unsigned long)got,
                   (unsigned long)(n * ATAPI_SECTOR_BYTES));
            rc = ERR_IO;
        }
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
    int rc = command_locked(dev, cdb, NULL, 0, &got, &sense);
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
    pr_info("ata: %s: ATAPI %s (type %u), PIO", dev->name, dev->id.model,
            dev->id.packet_type);
    dev->use_dma = false; /* packets go by PIO */
    dev->disk = DiskAdd(&atapi_funcs, dev->name, dev, 0);
    if (!dev->disk)
        return ERR_NOMEM;
    int rc = thread_create(dev->name, poll_thread, dev, THREAD_PRIO_LOW, NULL);
    if (rc)
        pr_err("ata: %s: no media poll thread (%s)", dev->name, err_name(rc));
    return 0;
}
