// SPDX-License-Identifier: MIT
/* ATA disks as block devices: the DISKFUNC callbacks of hd0..hd3. A request
 * is clipped at the capacity, split into commands of at most
 * max_xfer_sectors and ATA_CMD_MAX_BYTES, and each command runs under the
 * channel mutex by DMA (default) or PIO. DMA goes straight to the caller's
 * buffer when it is usable by the bus master (identity-mapped RAM, even
 * address, below 4 GiB; the PRD builder splits it at 64 KiB boundaries),
 * otherwise through the channel's bounce buffer. A failed command is retried
 * up to ATA_MAX_ATTEMPTS times when a retry can help (timeouts after a
 * channel reset, CRC/media/device faults); a DMA command the device aborts
 * switches the device to PIO. LBA28 commands are used while the range fits,
 * LBA48 beyond. DISK_STATUS codes are made in exactly one place,
 * ata_err_to_status(). */
#include "drivers/ata/ata_priv.h"
#include "blkdev/diskfunc.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/mm/pmm.h"

int ata_err_to_status(int err)
{
    switch (err) {
    case 0:
        return DISK_STATUS_OK;
    case ERR_NOMEDIA:
        return DISK_STATUS_NO_MEDIA;
    case ERR_EOM:
        return DISK_STATUS_END_OF_MEDIA;
    case ERR_NOMEM:
        return DISK_STATUS_NO_MEMORY;
    case ERR_INVAL:
        return DISK_STATUS_INVALID_CALL;
    default:
        return DISK_STATUS_GENERAL_ERROR;
    }
}

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

/* True if the bus master can reach [buf, buf + bytes) directly: RAM is
 * identity-mapped below pmm_map_top() (kernel/mm/pmm.h), so the range is
 * physically contiguous; the PRD format wants an even address. */
static bool can_dma_direct(const void *buf, uint32_t bytes)
{
    uintptr_t a = (uintptr_t)buf;
    return (a & 1) == 0 && a != 0 && (uint64_t)a + bytes <= pmm_map_top();
}

/* Read or write one command's worth with the device's current mode. */
static int xfer_once_locked(struct ata_device *dev, lba_t lba, uint32_t count, void *buf,
                            bool write)
{
    struct ata_channel *ch = dev->ch;
    uint32_t bytes = count * dev->id.sector_bytes;
    bool lba48 = dev->id.has_lba48 &&
                 (count > ATA_LBA28_MAX_XFER || lba + count > ATA_LBA28_LIMIT - 1);
    struct ata_taskfile tf = {
        .count = (uint16_t)count, .lba = lba, .lba48 = lba48, .use_lba = true,
    };
    int rc;

    if (!dev->use_dma) {
        tf.command = write ? (lba48 ? ATA_CMD_WRITE_PIO_EXT : ATA_CMD_WRITE_PIO)
                           : (lba48 ? ATA_CMD_READ_PIO_EXT : ATA_CMD_READ_PIO);
        if (write)
            return ata_pio_out_locked(dev, &tf, buf, count, dev->id.sector_bytes);
        return ata_pio_in_locked(dev, &tf, buf, count, dev->id.sector_bytes,
                                 ATA_IO_TIMEOUT_MS);
    }
    tf.command = write ? (lba48 ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_WRITE_DMA)
                       : (lba48 ? ATA_CMD_READ_DMA_EXT : ATA_CMD_READ_DMA);
    if (can_dma_direct(buf, bytes))
        return ata_dma_locked(dev, &tf, (uintptr_t)buf, bytes, write);
    /* Bounce: the caller limited count to the bounce buffer. */
    if (write)
        memcpy(ch->bounce.virt, buf, bytes);
    rc = ata_dma_locked(dev, &tf, ch->bounce.phys, bytes, write);
    if (rc == 0 && !write)
        memcpy(buf, ch->bounce.virt, bytes);
    return rc;
}

/* One command with bounded retries. */
static int xfer_locked(struct ata_device *dev, lba_t lba, uint32_t count, void *buf, bool write)
{
    int rc = ERR_IO;

    for (unsigned attempt = 1; attempt <= ATA_MAX_ATTEMPTS; attempt++) {
        rc = xfer_once_locked(dev, lba, count, buf, write);
        if (rc == 0)
            return 0;
        if (rc == ERR_NOTSUP && dev->use_dma) {
            pr_warn("ata: %s: DMA command refused, falling back to PIO", dev->name);
            dev->use_dma = false;
        } else if (rc != ERR_TIMEOUT && rc != ERR_IO) {
            return rc;
        }
        if (attempt < ATA_MAX_ATTEMPTS) {
            dev->retries++;
            pr_warn("ata: %s: retrying %s of %lu sectors at lba %llu (attempt %u of %u, %s)",
                    dev->name, write ? "write" : "read", (unsigned long)count,
                    (unsigned long long)lba, attempt + 1, ATA_MAX_ATTEMPTS, err_name(rc));
        }
    }
    return rc;
}

/* Largest command for a buffer at `buf`. */
static uint32_t chunk_limit(const struct ata_device *dev, const void *buf, uint32_t want)
{
    uint32_t limit = MIN(dev->id.max_xfer_sectors, ATA_CMD_MAX_BYTES / dev->id.sector_bytes);
    if (dev->use_dma && !can_dma_direct(buf, want * dev->id.sector_bytes))
        limit = MIN(limit, ATA_BOUNCE_BYTES / dev->id.sector_bytes);
    return MIN(want, limit);
}

static int disk_rw(struct ata_device *dev, void *buf, int64_t start, int *numsectors, bool write)
{
    uint64_t cap = dev->id.sectors;
    uint32_t done = 0, want;
    int rc = 0;

    /* 1. Check and clip the request (DISKFUNC: do what fits, say so). */
    if (*numsectors < 0 || start < 0) {
        *numsectors = 0;
        return DISK_STATUS_INVALID_CALL;
    }
    want = (uint32_t)*numsectors;
    if ((uint64_t)start >= cap) {
        *numsectors = 0;
        return want ? DISK_STATUS_END_OF_MEDIA : DISK_STATUS_OK;
    }
    bool clipped = want > cap - (uint64_t)start;
    if (clipped)
        want = (uint32_t)(cap - (uint64_t)start);
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
    int rc = ERR_IO;

    mutex_lock(&dev->ch->lock);
    for (unsigned attempt = 1; attempt <= ATA_MAX_ATTEMPTS && rc; attempt++) {
        rc = ata_nodata_locked(dev, &tf, ATA_FLUSH_TIMEOUT_MS);
        if (rc && attempt < ATA_MAX_ATTEMPTS) {
            dev->retries++;
            pr_warn("ata: %s: retrying flush (attempt %u of %u, %s)", dev->name, attempt + 1,
                    ATA_MAX_ATTEMPTS, err_name(rc));
        }
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

    pr_info("ata: %s: %s, %llu sectors of %lu bytes, LBA%s, %s, write cache %s", dev->name,
            dev->id.model, (unsigned long long)dev->id.sectors,
            (unsigned long)dev->id.sector_bytes, dev->id.has_lba48 ? "48" : "28",
            ata_mode_name(dev, mode, sizeof(mode)),
            dev->id.write_cache_enabled ? "on" : "off");
    dev->disk = DiskAdd(&ata_disk_funcs, dev->name, dev, 0);
    if (!dev->disk)
        return ERR_NOMEM; /* DiskAdd logged why */
    DiskMediaChanged(dev->disk, 1);
    return 0;
}
