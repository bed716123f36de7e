// SPDX-License-Identifier: MIT
/* ATAPI CD/DVD drives (cd0..): the PACKET protocol, the DISKFUNC callbacks
 * and a poll thread that turns media events into DiskMediaChanged(0/1).
 * Data is read with READ(10) (READ(12) if the drive refuses READ(10) or a
 * count does not fit 16 bits) by bus-master DMA when the drive and channel
 * can (PACKET with the DMA feature bit), else by PIO; a DMA read that times
 * out or is refused is tried by PIO and the drive stays on PIO if that
 * works. Other commands (sense, capacity, events, tray) always go by PIO.
 * Everything above the PACKET protocol that drivers/ahci does alike -
 * REQUEST SENSE after a check condition, the tray, the media poll and its
 * state machine - is lib/atapi_drive.h, with this file as its transport;
 * the drive's struct atapi_drive lives in struct ata_device under the
 * channel mutex. The poll thread runs it each second: GET EVENT STATUS
 * NOTIFICATION (media class) first, more commands only when the event says
 * so; drives without it are checked with TEST UNIT READY each time. The
 * poll thread is the only caller of DiskMediaChanged, so a change seen by a
 * read or an eject is only flagged and announced on the next poll. Read
 * only. Not done: audio, multi-session, DMADIR bridges.
 * Spec: ATA/ATAPI-7 vol. 2 §11.8-11.9 (PACKET PIO and DMA); MMC-5 §6.6
 * (GESN), §6.15-6.16 (READ), §6.21 (READ CAPACITY); SBC-2 §5.17 (START STOP
 * UNIT), SPC-3 §6.27 (REQUEST SENSE). */
#include "drivers/ata/ata_priv.h"
#include "blkdev/disk.h"
#include "blkdev/diskfunc.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define ATAPI_DRQ_LIMIT 0xF800u      /* byte count limit: 31 sectors per data block */
/* Sectors per READ: the driver-wide command bound (4 MiB), 2048 sectors. */
#define ATAPI_READ_MAX_SECTORS (ATA_CMD_MAX_BYTES / ATAPI_SECTOR_BYTES)
#define ATAPI_TIMEOUT_MS 10000u
#define ATAPI_POLL_MS 1000u

/* One PACKET command, PIO data-in (or no data). *got = bytes received.
 * Returns 0, ATAPI_CHECK_CONDITION (*err_reg holds the error register),
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
            return ATAPI_CHECK_CONDITION;
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
    bool direct = ata_can_dma_direct(buf, bytes);
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

/* The transport of lib/atapi_drive.h: one PACKET command by DMA (reads
 * of a drive set to DMA) or PIO (everything else). */
static int packet_locked(void *ctx, const uint8_t *cdb, void *buf, uint32_t bytes, bool dma,
                         uint32_t *got, uint8_t *err_reg)
{
    struct ata_device *dev = ctx;

    lock_assert_held(&dev->ch->lock);
    return dma ? packet_dma_locked(dev, cdb, buf, bytes, got, err_reg)
               : packet_pio_locked(dev, cdb, buf, bytes, got, err_reg);
}

static const struct atapi_transport atapi_ide_transport = { .packet = packet_locked };

/* ---- media poll ------------------------------------------------------------------------- */

/* One poll (lib/atapi_drive.h): ask under the channel mutex, announce
 * without it. Called only by the poll thread. */
static void poll_once(struct ata_device *dev)
{
    struct atapi_poll_news news;

    mutex_lock(&dev->ch->lock);
    atapi_drive_poll_locked(&dev->atapi, &news);
    mutex_unlock(&dev->ch->lock);
    atapi_drive_announce(&dev->atapi, &news);
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
    if (dev->use_dma && !ata_can_dma_direct(buf, n * ATAPI_SECTOR_BYTES))
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
        rc = atapi_drive_command(&dev->atapi, cdb, buf, n * ATAPI_SECTOR_BYTES, dma, &got,
                                 &sense);
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
        if (rc == ERR_NOTSUP && op == ATAPI_READ_10 && !dev->atapi_read12 &&
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
    if (atapi_media_is_usable(&dev->atapi.media)) {
        info->flags = DISK_MEDIA_READONLY;
        info->sectorsize = ATAPI_SECTOR_BYTES;
        info->capacity = dev->atapi.media.sectors;
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
    bool clipped;
    int rc;

    mutex_lock(&dev->ch->lock);
    /* 1. Media gone or changed under us: nothing is read from the new disc.
     *    Otherwise check and clip the request at the disc's end. */
    rc = atapi_media_is_usable(&dev->atapi.media)
             ? ata_request_clip(startsector, *numsectors, dev->atapi.media.sectors, &want,
                                &clipped)
             : ERR_NOMEDIA;
    if (rc)
        goto out_unlock;
    /* 2. READs in pieces (media.sectors < 2^32, so the LBA fits). */
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

/* DISKFUNC LoadTray: START STOP UNIT (the shell's `eject`/`load` and
 * `remove` reach it through the block layer). */
static int STDCALL atapi_loadtray(void *userdata, int flags)
{
    struct ata_device *dev = userdata;

    mutex_lock(&dev->ch->lock);
    int rc = atapi_drive_load_tray(&dev->atapi, flags == DISK_TRAY_EJECT);
    mutex_unlock(&dev->ch->lock);
    return ata_err_to_status(rc);
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
    dev->atapi = (struct atapi_drive){
        .log_prefix = "ata", .name = dev->name, .tp = &atapi_ide_transport, .ctx = dev,
        .errors = &dev->errors,
    };
    dev->disk = DiskAdd(&atapi_funcs, dev->name, dev, 0);
    if (!dev->disk)
        return ERR_NOMEM;
    dev->atapi.disk = dev->disk;
    int rc = thread_create(dev->name, poll_thread, dev, THREAD_PRIO_LOW, NULL);
    if (rc)
        pr_err("ata: %s: no media poll thread (%s)", dev->name, err_name(rc));
    return 0;
}
