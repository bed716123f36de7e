// SPDX-License-Identifier: MIT
/* SATA disks as block devices: IDENTIFY (parsed by drivers/ata/lib) and the
 * DISKFUNC callbacks of sd0... A request is clipped at the capacity, split
 * into commands of at most the device's limit and AHCI_CMD_MAX_BYTES, and
 * each command (READ/WRITE DMA EXT, or the 28-bit forms on a disk without
 * LBA48) runs on slot 0 under the port mutex. The HBA reads or writes the
 * caller's buffer directly when it can reach it (identity-mapped RAM, even
 * address), otherwise the port's bounce buffer is used. A failed command is
 * retried up to AHCI_MAX_ATTEMPTS times when a retry can help (timeouts
 * after a COMRESET, CRC/media/device/interface faults); flush uses FLUSH
 * CACHE [EXT]. DISK_STATUS codes are made in one place, ahci_err_to_status().
 * Spec: ATA8-ACS §7.16 (IDENTIFY DEVICE), §7.25/§7.63 (READ/WRITE DMA EXT),
 * §7.11 (FLUSH CACHE EXT). */
#include "drivers/ahci/ahci_priv.h"
#include "blkdev/diskfunc.h"
#include "drivers/ata/defs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

int ahci_err_to_status(int err)
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

/* One command of `count` sectors at `lba` through `phys`; *retry says
 * whether repeating it may help. */
static int rw_cmd_locked(struct ahci_port *p, lba_t lba, uint32_t count, uint64_t phys,
                         bool write, bool *retry)
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
    *retry = fault.retryable;
    if (rc == 0 && done != cmd.bytes) {
        pr_err("ahci: %s: short transfer (%lu of %lu bytes at lba %llu)", p->name,
               (unsigned long)done, (unsigned long)cmd.bytes, (unsigned long long)lba);
        *retry = true;
        return ERR_IO;
    }
    return rc;
}

/* One chunk, direct or bounced, with bounded retries. */
static int xfer_locked(struct ahci_port *p, lba_t lba, uint32_t count, void *buf, bool write)
{
    uint32_t bytes = count * p->id.sector_bytes;
    bool direct = ahci_can_dma_direct(p, buf, bytes);
    bool retry = false;
    int rc = ERR_IO;

    if (!direct && bytes > p->bounce.bytes)
        return ERR_INVAL; /* the caller sizes bounced chunks; our bug otherwise */

    for (unsigned attempt = 1; attempt <= AHCI_MAX_ATTEMPTS; attempt++) {
        if (direct) {
            rc = rw_cmd_locked(p, lba, count, (uintptr_t)buf, write, &retry);
        } else {
            if (write)
                memcpy(p->bounce.virt, buf, bytes);
            rc = rw_cmd_locked(p, lba, count, p->bounce.phys, write, &retry);
            if (rc == 0 && !write)
                memcpy(buf, p->bounce.virt, bytes);
        }
        if (rc == 0 || !retry)
            return rc;
        if (attempt < AHCI_MAX_ATTEMPTS) {
            p->retries++;
            pr_warn("ahci: %s: retrying %s of %lu sectors at lba %llu (attempt %u of %u, %s)",
                    p->name, write ? "write" : "read", (unsigned long)count,
                    (unsigned long long)lba, attempt + 1, AHCI_MAX_ATTEMPTS, err_name(rc));
        }
    }
    return rc;
}

static int disk_rw(struct ahci_port *p, void *buf, int64_t start, int *numsectors, bool write)
{
    uint64_t cap = p->id.sectors;
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
    return ahci_err_to_status(rc);
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
    int rc = ERR_IO;

    mutex_lock(&p->lock);
    for (unsigned attempt = 1; attempt <= AHCI_MAX_ATTEMPTS && rc; attempt++) {
        rc = ahci_exec_locked(p, &cmd, &fault, NULL);
        if (rc && attempt < AHCI_MAX_ATTEMPTS) {
            p->retries++;
            pr_warn("ahci: %s: retrying flush (attempt %u of %u, %s)", p->name, attempt + 1,
                    AHCI_MAX_ATTEMPTS, err_name(rc));
        }
    }
    mutex_unlock(&p->lock);
    return ahci_err_to_status(rc);
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
