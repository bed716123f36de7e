// SPDX-License-Identifier: MIT
/* SATA disks as block devices: IDENTIFY (parsed by drivers/ata/lib) and the
 * DISKFUNC callbacks of sd0... A request is clipped at the capacity, split
 * into commands of at most the device's limit and AHCI_CMD_MAX_BYTES, and
 * each command (READ/WRITE DMA EXT, or the 28-bit forms on a disk without
 * LBA48) runs on slot 0 under the port mutex. The HBA reads or writes the
 * caller's buffer directly when it can reach it (identity-mapped RAM, even
 * address), otherwise the port's bounce buffer is used. A failed command is
 * retried up to AHCI_MAX_ATTEMPTS times when the IDE driver's policy says a
 * retry can help (drivers/ata/lib/ata_retry.h: timeouts after a COMRESET,
 * host and interface errors, CRC/media/device faults; never an abort);
 * flush uses FLUSH CACHE [EXT] under the same policy. Requests are clipped and DISK_STATUS codes made by
 * drivers/ata/lib/ata_diskfunc.h, as in the IDE driver.
 * Spec: ATA8-ACS §7.16 (IDENTIFY DEVICE), §7.25/§7.63 (READ/WRITE DMA EXT),
 * §7.11 (FLUSH CACHE EXT). */
#include "drivers/ahci/ahci_priv.h"
#include "blkdev/disk.h"
#include "blkdev/diskfunc.h"
#include "drivers/ata/defs.h"
#include "drivers/ata/lib/ata_retry.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

int ahci_identify_locked(struct ahci_port *p)
{
    bool packet = p->kind == AHCI_DEV_ATAPI;
    struct ahci_cmd cmd = {
        .fis = { .command = packet ? ATA_CMD_IDENTIFY_PACKET : ATA_CMD_IDENTIFY },
        .phys = p->bounce.phys,
        .bytes = ATA_IDENTIFY_BYTES,
        .timeout_ms = AHCI_IDENTIFY_TIMEOUT_MS,
    };
    struct ahci_fault fault;
    uint32_t done;

    int rc = ahci_exec_locked(p, &cmd, &fault, &done);
    if (rc)
        return rc;
    if (done != ATA_IDENTIFY_BYTES) {
        pr_err("ahci: %s: short IDENTIFY (%lu of %u bytes)", p->name, (unsigned long)done,
               ATA_IDENTIFY_BYTES);
        return ERR_IO;
    }
    return ata_identify_parse(p->name, p->bounce.virt, packet, &p->id);
}

/* One command of `count` sectors at `lba` through `phys`; *fault gets the
 * device's verdict for the retry policy (ATA_FAULT_NONE when the device
 * gave none: timeouts, host errors, a short transfer). */
static int rw_cmd_locked(struct ahci_port *p, lba_t lba, uint32_t count, uint64_t phys,
                         bool write, enum ata_fault *fault_out)
{
    bool lba48 = p->id.has_lba48;
    struct ahci_cmd cmd = {
        .fis = {
            .command = write ? (lba48 ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_WRITE_DMA)
                             : (lba48 ? ATA_CMD_READ_DMA_EXT : ATA_CMD_READ_DMA),
            .lba = lba48 ? lba : (lba & 0xFFFFFFu),
            .count = (uint16_t)count, /* 65536 (LBA48) / 256 (LBA28) are written as 0 */
            .device = (uint8_t)(AHCI_FIS_DEV_LBA | (lba48 ? 0 : ((lba >> 24) & 0xF))),
        },
        .phys = phys,
        .bytes = count * p->id.sector_bytes,
        .write = write,
        .timeout_ms = AHCI_IO_TIMEOUT_MS,
    };
    struct ahci_fault fault;
    uint32_t done;

    int rc = ahci_exec_locked(p, &cmd, &fault, &done);
    *fault_out = fault.ata;
    if (rc == 0 && done != cmd.bytes) {
        pr_err("ahci: %s: short transfer (%lu of %lu bytes at lba %llu)", p->name,
               (unsigned long)done, (unsigned long)cmd.bytes, (unsigned long long)lba);
        return ERR_IO; /* no device fault: the policy repeats it */
    }
    return rc;
}

/* One chunk, direct or bounced, with bounded retries decided by the ATA
 * retry policy (drivers/ata/lib/ata_retry.h, shared with the IDE driver;
 * all data moves by DMA here and there is no PIO to fall back to). */
static int xfer_locked(struct ahci_port *p, lba_t lba, uint32_t count, void *buf, bool write)
{
    uint32_t bytes = count * p->id.sector_bytes;
    bool direct = ahci_can_dma_direct(p, buf, bytes);
    enum ata_fault fault = ATA_FAULT_NONE;
    int rc;

    if (!direct && bytes > p->bounce.bytes)
        return ERR_INVAL; /* the caller sizes bounced chunks; our bug otherwise */

    for (unsigned attempt = 1;; attempt++) {
        if (direct) {
            rc = rw_cmd_locked(p, lba, count, (uintptr_t)buf, write, &fault);
        } else {
            if (write)
                memcpy(p->bounce.virt, buf, bytes);
            rc = rw_cmd_locked(p, lba, count, p->bounce.phys, write, &fault);
            if (rc == 0 && !write)
                memcpy(buf, p->bounce.virt, bytes);
        }
        if (rc == 0 ||
            ata_retry_decide(rc, fault, false, attempt, AHCI_MAX_ATTEMPTS) == ATA_RETRY_FAIL)
            return rc;
        p->retries++;
        pr_warn("ahci: %s: retrying %s of %lu sectors at lba %llu (attempt %u of %u, %s)",
                p->name, write ? "write" : "read", (unsigned long)count,
                (unsigned long long)lba, attempt + 1, AHCI_MAX_ATTEMPTS, err_name(rc));
    }
}

static int disk_rw(struct ahci_port *p, void *buf, int64_t start, int *numsectors, bool write)
{
    uint32_t done = 0, want;
    bool clipped;

    /* 1. Check and clip the request (DISKFUNC: do what fits, say so). */
    int rc = ata_request_clip(start, *numsectors, p->id.sectors, &want, &clipped);
    if (rc) {
        *numsectors = 0;
        return ata_err_to_status(rc);
    }
    /* 2. Commands within the device, PRD table and bounce limits. */
    mutex_lock(&p->lock);
    while (done < want && rc == 0) {
        uint8_t *at = (uint8_t *)buf + (size_t)done * p->id.sector_bytes;
        uint32_t n = ahci_chunk_sectors(want - done, p->id.sector_bytes,
                                        p->id.max_xfer_sectors, AHCI_CMD_MAX_BYTES);
        if (!ahci_can_dma_direct(p, at, n * p->id.sector_bytes))
            n = ahci_chunk_sectors(n, p->id.sector_bytes, p->id.max_xfer_sectors,
                                   AHCI_BOUNCE_BYTES);
        rc = xfer_locked(p, (lba_t)start + done, n, at, write);
        if (rc == 0)
            done += n;
    }
    mutex_unlock(&p->lock);
    /* 3. Honest count; END_OF_MEDIA when clipped and otherwise fine. */
    *numsectors = (int)done;
    if (rc == 0 && clipped)
        rc = ERR_EOM;
    return ata_err_to_status(rc);
}

static int STDCALL ahci_disk_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct ahci_port *p = userdata;

    info->flags = 0;
    info->sectorsize = p->id.sector_bytes;
    info->capacity = p->id.sectors;
    return DISK_STATUS_OK;
}

static int STDCALL ahci_disk_read(void *userdata, void *buffer, int64_t startsector,
                                  int *numsectors)
{
    return disk_rw(userdata, buffer, startsector, numsectors, false);
}

static int STDCALL ahci_disk_write(void *userdata, const void *buffer, int64_t startsector,
                                   int *numsectors)
{
    /* The write path only reads the buffer; the shared helper takes void *. */
    return disk_rw(userdata, (void *)(uintptr_t)buffer, startsector, numsectors, true);
}

/* FLUSH CACHE [EXT]: the point after which written data is durable. */
static int STDCALL ahci_disk_flush(void *userdata)
{
    struct ahci_port *p = userdata;
    struct ahci_cmd cmd = {
        .fis = { .command = p->id.has_lba48 && p->id.has_flush_ext ? ATA_CMD_FLUSH_EXT
                                                                    : ATA_CMD_FLUSH,
                 .device = AHCI_FIS_DEV_LBA },
        .timeout_ms = AHCI_FLUSH_TIMEOUT_MS,
    };
    struct ahci_fault fault;
    int rc;

    /* Same retry policy as data commands: an abort (flush refused, or the
     * medium gone) is final, a timeout is repeated after the COMRESET. */
    mutex_lock(&p->lock);
    for (unsigned attempt = 1;; attempt++) {
        rc = ahci_exec_locked(p, &cmd, &fault, NULL);
        if (rc == 0 || ata_retry_decide(rc, fault.ata, false, attempt, AHCI_MAX_ATTEMPTS) ==
                           ATA_RETRY_FAIL)
            break;
        p->retries++;
        pr_warn("ahci: %s: retrying flush (attempt %u of %u, %s)", p->name, attempt + 1,
                AHCI_MAX_ATTEMPTS, err_name(rc));
    }
    mutex_unlock(&p->lock);
    return ata_err_to_status(rc);
}

/* The port lives as long as the controller; nothing to free. */
static void STDCALL ahci_disk_close(void *userdata)
{
    struct ahci_port *p = userdata;
    pr_info("ahci: %s: closed", p->name);
}

static DISKFUNC ahci_disk_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = ahci_disk_close,
    .querymedia = ahci_disk_querymedia,
    .read = ahci_disk_read,
    .write = ahci_disk_write,
    .flush = ahci_disk_flush,
};

int ahci_disk_register(struct ahci_port *p)
{
    pr_info("ahci: %s: port %u: \"%s\", %llu sectors of %lu bytes, LBA%s, write cache %s",
            p->name, p->num, p->id.model, (unsigned long long)p->id.sectors,
            (unsigned long)p->id.sector_bytes, p->id.has_lba48 ? "48" : "28",
            p->id.write_cache_enabled ? "on" : "off");
    p->disk = DiskAdd(&ahci_disk_funcs, p->name, p, 0);
    if (!p->disk)
        return ERR_NOMEM; /* DiskAdd logged why */
    DiskMediaChanged(p->disk, 1);
    return 0;
}
