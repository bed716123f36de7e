// SPDX-License-Identifier: MIT
/* ATA disks as block devices: the DISKFUNC callbacks of hd0..hd3. A request
 * is clipped at the capacity, split into commands of at most
 * max_xfer_sectors and ATA_CMD_MAX_BYTES, and each command runs under the
 * channel mutex by DMA (default) or PIO. DMA goes straight to the caller's
 * buffer when it is usable by the bus master (identity-mapped RAM, even
 * address, below 4 GiB; the PRD builder splits it at 64 KiB boundaries),
 * otherwise through the channel's bounce buffer. PIO uses READ/WRITE
 * MULTIPLE [EXT] with the block size set at probe time (SET MULTIPLE MODE,
 * from IDENTIFY word 47) when the device has it. A failed command is retried
 * up to ATA_MAX_ATTEMPTS times when a retry can help (lib/ata_retry.h:
 * timeouts after a channel reset, CRC/media/device faults); a DMA command
 * the device aborts is tried by PIO, and the device switches to PIO only if
 * that works. LBA28 commands are used while the range fits, LBA48 beyond.
 * Requests are clipped and DISK_STATUS codes made by lib/ata_diskfunc.h,
 * shared with the ATAPI path and drivers/ahci. */
#include "drivers/ata/ata_priv.h"
#include "blkdev/disk.h"
#include "blkdev/diskfunc.h"
#include "drivers/ata/lib/ata_retry.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

const char *ata_mode_name(const struct ata_device *dev, char *buf, size_t len)
{
    if (!dev->use_dma)
        ksnprintf(buf, len, "PIO");
    else if (dev->id.udma_selected >= 0)
        ksnprintf(buf, len, "UDMA%d", dev->id.udma_selected);
    else if (dev->id.udma_max >= 0)
        ksnprintf(buf, len, "UDMA%d", dev->id.udma_max);
    else
        ksnprintf(buf, len, "MWDMA%d", dev->id.mwdma_max < 0 ? 0 : dev->id.mwdma_max);
    return buf;
}

/* The PRD format wants an even address (dma_can_direct() checks the rest). */
bool ata_can_dma_direct(const void *buf, uint32_t bytes)
{
    return ((uintptr_t)buf & 1) == 0 && dma_can_direct(buf, bytes);
}

int ata_disk_set_multiple_locked(struct ata_device *dev)
{
    uint32_t pick = ata_identify_multiple_pick(&dev->id);
    struct ata_taskfile tf = { .command = ATA_CMD_SET_MULTIPLE, .count = (uint16_t)pick };

    lock_assert_held(&dev->ch->lock);
    if (pick == 0) {
        dev->multiple_sectors = 0;
        return 0;
    }
    int rc = ata_nodata_locked(dev, &tf, ATA_IO_TIMEOUT_MS);
    if (rc == ERR_NOTSUP) {
        /* Refused (ABRT): for good; PIO goes on sector by sector. */
        pr_warn("ata: %s: SET MULTIPLE MODE %lu refused, PIO one sector per interrupt",
                dev->name, (unsigned long)pick);
        dev->multiple_sectors = 0;
        return rc;
    }
    if (rc)
        return rc; /* no answer: setting kept, sent again before the next PIO command */
    dev->multiple_sectors = pick;
    dev->multiple_resets = dev->ch->resets;
    return 0;
}

/* PIO command of `count` sectors: READ/WRITE MULTIPLE when a block size is
 * set (re-sent after a channel reset, which may have cleared it), else the
 * one-sector-per-interrupt commands. */
static int pio_xfer_locked(struct ata_device *dev, struct ata_taskfile *tf, uint32_t count,
                           void *buf, bool write)
{
    uint32_t ss = dev->id.sector_bytes;

    if (dev->multiple_sectors && dev->multiple_resets != dev->ch->resets) {
        int rc = ata_disk_set_multiple_locked(dev);
        if (rc && rc != ERR_NOTSUP)
            return rc;
    }
    uint32_t per = dev->multiple_sectors;
    if (per) {
        tf->command = write ? (tf->lba48 ? ATA_CMD_WRITE_MULTIPLE_EXT : ATA_CMD_WRITE_MULTIPLE)
                            : (tf->lba48 ? ATA_CMD_READ_MULTIPLE_EXT : ATA_CMD_READ_MULTIPLE);
        if (write)
            return ata_pio_out_multi_locked(dev, tf, buf, count, ss, per);
        return ata_pio_in_multi_locked(dev, tf, buf, count, ss, per, ATA_IO_TIMEOUT_MS);
    }
    tf->command = write ? (tf->lba48 ? ATA_CMD_WRITE_PIO_EXT : ATA_CMD_WRITE_PIO)
                        : (tf->lba48 ? ATA_CMD_READ_PIO_EXT : ATA_CMD_READ_PIO);
    if (write)
        return ata_pio_out_locked(dev, tf, buf, count, ss);
    return ata_pio_in_locked(dev, tf, buf, count, ss, ATA_IO_TIMEOUT_MS);
}

/* Read or write one command's worth, by DMA (`dma`) or PIO. */
static int xfer_once_locked(struct ata_device *dev, lba_t lba, uint32_t count, void *buf,
                            bool write, bool dma)
{
    struct ata_channel *ch = dev->ch;
    uint32_t bytes = count * dev->id.sector_bytes;
    bool lba48 = dev->id.has_lba48 &&
                 (count > ATA_LBA28_MAX_XFER || lba + count > ATA_LBA28_LIMIT - 1);
    struct ata_taskfile tf = {
        .count = (uint16_t)count, .lba = lba, .lba48 = lba48, .use_lba = true,
    };
    int rc;

    if (!dma)
        return pio_xfer_locked(dev, &tf, count, buf, write);
    tf.command = write ? (lba48 ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_WRITE_DMA)
                       : (lba48 ? ATA_CMD_READ_DMA_EXT : ATA_CMD_READ_DMA);
    if (ata_can_dma_direct(buf, bytes))
        return ata_dma_locked(dev, &tf, (uintptr_t)buf, bytes, write);
    /* Bounce: the caller limited count to the bounce buffer. */
    if (write)
        memcpy(ch->bounce.virt, buf, bytes);
    rc = ata_dma_locked(dev, &tf, ch->bounce.phys, bytes, write);
    if (rc == 0 && !write)
        memcpy(buf, ch->bounce.virt, bytes);
    return rc;
}

/* One command with bounded retries (policy: drivers/ata/lib/ata_retry.h).
 * A DMA command the device aborts is tried once by PIO; only if that works
 * does the device switch to PIO - an abort that PIO repeats is the data's
 * fault (a failing or vanished medium), not DMA's. A device that used up
 * its attempts on timeouts gets one attempt per request until it answers
 * again, so a dead disk costs one timeout per request, not three. */
static int xfer_locked(struct ata_device *dev, lba_t lba, uint32_t count, void *buf, bool write)
{
    unsigned max = dev->unresponsive ? 1 : ATA_MAX_ATTEMPTS;
    bool dma = dev->use_dma;
    int rc;

    for (unsigned attempt = 1;; attempt++) {
        /* 1. One attempt; on success a PIO try that replaced DMA becomes
         *    the device's mode, and a silent device is trusted again. */
        dev->last_fault = ATA_FAULT_NONE;
        rc = xfer_once_locked(dev, lba, count, buf, write, dma);
        if (rc == 0) {
            if (dma != dev->use_dma) {
                pr_warn("ata: %s: DMA command refused but PIO works, switching to PIO",
                        dev->name);
                dev->use_dma = false;
            }
            dev->unresponsive = false;
            return 0;
        }
        /* 2. Failed: the policy says repeat, repeat by PIO, or go to step 3. */
        enum ata_retry_action act = ata_retry_decide(rc, dev->last_fault, dma, attempt, max);
        if (act == ATA_RETRY_FAIL)
            break;
        dev->retries++;
        pr_warn("ata: %s: %s: %s of %lu sectors at lba %llu (attempt %u of %u, %s)", dev->name,
                ata_retry_name(act), write ? "write" : "read", (unsigned long)count,
                (unsigned long long)lba, attempt + 1, max, err_name(rc));
        if (act == ATA_RETRY_PIO)
            dma = false;
    }
    /* 3. Give up; timeouts to the end mark the device as not responding. */
    if (rc == ERR_TIMEOUT && !dev->unresponsive) {
        dev->unresponsive = true;
        pr_err("ata: %s: not responding after %u attempts, one attempt per request from now on",
               dev->name, max);
    }
    return rc;
}

/* Largest command for a buffer at `buf`. */
static uint32_t chunk_limit(const struct ata_device *dev, const void *buf, uint32_t want)
{
    uint32_t limit = MIN(dev->id.max_xfer_sectors, ATA_CMD_MAX_BYTES / dev->id.sector_bytes);
    if (dev->use_dma && !ata_can_dma_direct(buf, want * dev->id.sector_bytes))
        limit = MIN(limit, ATA_BOUNCE_BYTES / dev->id.sector_bytes);
    return MIN(want, limit);
}

static int disk_rw(struct ata_device *dev, void *buf, int64_t start, int *numsectors, bool write)
{
    uint32_t done = 0, want;
    bool clipped;

    /* 1. Check and clip the request (DISKFUNC: do what fits, say so). */
    int rc = ata_request_clip(start, *numsectors, dev->id.sectors, &want, &clipped);
    if (rc) {
        *numsectors = 0;
        return ata_err_to_status(rc);
    }
    /* 2. Commands of at most the device's limit, under the channel mutex. */
    mutex_lock(&dev->ch->lock);
    while (done < want && rc == 0) {
        uint8_t *p = (uint8_t *)buf + (size_t)done * dev->id.sector_bytes;
        uint32_t n = chunk_limit(dev, p, want - done);
        rc = xfer_locked(dev, (lba_t)start + done, n, p, write);
        if (rc == 0)
            done += n;
    }
    mutex_unlock(&dev->ch->lock);
    /* 3. Honest count; END_OF_MEDIA when clipped and otherwise fine. */
    *numsectors = (int)done;
    if (rc == 0 && clipped)
        rc = ERR_EOM;
    return ata_err_to_status(rc);
}

static int STDCALL ata_disk_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct ata_device *dev = userdata;

    info->flags = 0;
    info->sectorsize = dev->id.sector_bytes;
    info->capacity = dev->id.sectors;
    return DISK_STATUS_OK;
}

static int STDCALL ata_disk_read(void *userdata, void *buffer, int64_t startsector,
                                 int *numsectors)
{
    return disk_rw(userdata, buffer, startsector, numsectors, false);
}

static int STDCALL ata_disk_write(void *userdata, const void *buffer, int64_t startsector,
                                  int *numsectors)
{
    /* The write path only reads the buffer; the shared helper takes void *. */
    return disk_rw(userdata, (void *)(uintptr_t)buffer, startsector, numsectors, true);
}

/* FLUSH CACHE [EXT]: the point after which written data is durable. */
static int STDCALL ata_disk_flush(void *userdata)
{
    struct ata_device *dev = userdata;
    struct ata_taskfile tf = {
        .command = dev->id.has_lba48 && dev->id.has_flush_ext ? ATA_CMD_FLUSH_EXT
                                                              : ATA_CMD_FLUSH,
    };
    int rc;

    /* Same retry policy as data commands: an abort (flush refused, or the
     * medium gone) is final, a timeout is repeated after the reset. */
    mutex_lock(&dev->ch->lock);
    unsigned max = dev->unresponsive ? 1 : ATA_MAX_ATTEMPTS;
    for (unsigned attempt = 1;; attempt++) {
        dev->last_fault = ATA_FAULT_NONE;
        rc = ata_nodata_locked(dev, &tf, ATA_FLUSH_TIMEOUT_MS);
        if (rc == 0)
            break;
        enum ata_retry_action act = ata_retry_decide(rc, dev->last_fault, false, attempt, max);
        if (act == ATA_RETRY_FAIL)
            break;
        dev->retries++;
        pr_warn("ata: %s: retrying flush (attempt %u of %u, %s)", dev->name, attempt + 1, max,
                err_name(rc));
    }
    mutex_unlock(&dev->ch->lock);
    return ata_err_to_status(rc);
}

/* The device lives as long as the controller; nothing to free. */
static void STDCALL ata_disk_close(void *userdata)
{
    struct ata_device *dev = userdata;
    pr_info("ata: %s: closed", dev->name);
}

static DISKFUNC ata_disk_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = ata_disk_close,
    .querymedia = ata_disk_querymedia,
    .read = ata_disk_read,
    .write = ata_disk_write,
    .flush = ata_disk_flush,
};

int ata_disk_register(struct ata_device *dev)
{
    char mode[16];

    pr_info("ata: %s: %s, %llu sectors of %lu bytes, LBA%s, %s, write cache %s, "
            "PIO multiple %lu", dev->name, dev->id.model, (unsigned long long)dev->id.sectors,
            (unsigned long)dev->id.sector_bytes, dev->id.has_lba48 ? "48" : "28",
            ata_mode_name(dev, mode, sizeof(mode)),
            dev->id.write_cache_enabled ? "on" : "off", (unsigned long)dev->multiple_sectors);
    dev->disk = DiskAdd(&ata_disk_funcs, dev->name, dev, 0);
    if (!dev->disk)
        return ERR_NOMEM; /* DiskAdd logged why */
    DiskMediaChanged(dev->disk, 1);
    return 0;
}
