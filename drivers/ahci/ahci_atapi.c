// SPDX-License-Identifier: MIT
/* ATAPI CD/DVD drives on AHCI ports: PACKET commands by DMA on slot 0 (the
 * command bytes go in the command table's ATAPI area, AHCI 1.3.1 §4.2.3),
 * the DISKFUNC callbacks and a poll thread that turns TEST UNIT READY /
 * READ CAPACITY answers into DiskMediaChanged(0/1). Everything above the
 * PACKET command - REQUEST SENSE after a check condition, the tray, the
 * media poll and its state machine - is drivers/ata/lib/atapi_drive.h,
 * shared with the IDE driver, with this file as its transport; media
 * events are not used here, so every poll checks the drive. The poll thread
 * is the only caller of DiskMediaChanged: a change seen by a read (UNIT
 * ATTENTION) or an eject is only flagged and announced on the next poll.
 * Data: READ (10) of 2048-byte sectors, read only. The tray moves through
 * DISKFUNC LoadTray (shell: `eject`, `load`, `remove`).
 * Spec: SATA 3.0 §11.6 (PACKET DMA protocol); MMC-5, SPC-3 (see the lib). */
#include "drivers/ahci/ahci_priv.h"
#include "blkdev/disk.h"
#include "blkdev/diskfunc.h"
#include "drivers/ata/defs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define ATAPI_TIMEOUT_MS 10000u
#define ATAPI_POLL_MS 1000u
#define PACKET_BYTE_LIMIT 0xFFFEu /* byte count limit for the PIO form; unused by DMA */

/* The transport of drivers/ata/lib/atapi_drive.h: one PACKET command with
 * its data by DMA, straight into `buf` when the caller allows it (`dma`,
 * reads) and the HBA can reach it, else through the port's bounce buffer
 * (small answers: sense, capacity). */
static int packet_locked(void *ctx, const uint8_t *cdb, void *buf, uint32_t bytes, bool dma,
                         uint32_t *got, uint8_t *err_reg)
{
    struct ahci_port *p = ctx;
    bool direct = dma && ahci_can_dma_direct(p, buf, bytes);
    struct ahci_cmd cmd = {
        .fis = {
            .command = ATA_CMD_PACKET,
            .features = bytes ? ATA_PACKET_FEAT_DMA : 0,
            .lba = (uint64_t)MIN(bytes ? bytes : ATAPI_SECTOR_BYTES, PACKET_BYTE_LIMIT) << 8,
        },
        .cdb = cdb,
        .phys = bytes ? (direct ? (uintptr_t)buf : p->bounce.phys) : 0,
        .bytes = bytes,
        .timeout_ms = ATAPI_TIMEOUT_MS,
    };
    struct ahci_fault fault;

    lock_assert_held(&p->lock);
    *got = 0;
    *err_reg = 0;
    if (!direct && bytes > p->bounce.bytes)
        return ERR_INVAL; /* the caller sizes bounced chunks; our bug otherwise */
    int rc = ahci_exec_locked(p, &cmd, &fault, got);
    if (rc) {
        /* The device's own verdict (ERR in the task file) is a CHECK
         * CONDITION; host, link and timeout errors are the port's. */
        *err_reg = fault.error;
        return fault.ata != ATA_FAULT_NONE ? ATAPI_CHECK_CONDITION : rc;
    }
    *got = MIN(*got, bytes);
    if (!direct && *got)
        memcpy(buf, p->bounce.virt, *got);
    return 0;
}

static const struct atapi_transport atapi_ahci_transport = { .packet = packet_locked };

/* One poll (drivers/ata/lib/atapi_drive.h): ask under the port mutex,
 * announce without it. Called only by the poll thread. */
static void poll_once(struct ahci_port *p)
{
    struct atapi_poll_news news;

    mutex_lock(&p->lock);
    atapi_drive_poll_locked(&p->atapi, &news);
    mutex_unlock(&p->lock);
    atapi_drive_announce(&p->atapi, &news);
}

static int poll_thread(void *arg)
{
    struct ahci_port *p = arg;

    for (;;) {
        poll_once(p);
        sleep_ms(ATAPI_POLL_MS);
    }
    return 0;
}

/* ---- DISKFUNC ----------------------------------------------------------------------------- */

static int STDCALL ahci_atapi_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct ahci_port *p = userdata;
    int status = DISK_STATUS_NO_MEDIA;

    mutex_lock(&p->lock);
    if (atapi_media_is_usable(&p->atapi.media)) {
        info->flags = DISK_MEDIA_READONLY;
        info->sectorsize = ATAPI_SECTOR_BYTES;
        info->capacity = p->atapi.media.sectors;
        status = DISK_STATUS_OK;
    }
    mutex_unlock(&p->lock);
    return status;
}

/* READ (10) of n sectors at lba into buf, direct or bounced (the
 * transport decides), one retry after a timeout; a short answer is an
 * error, never success. */
static int read_chunk_locked(struct ahci_port *p, uint32_t lba, uint32_t n, uint8_t *buf)
{
    uint32_t bytes = n * ATAPI_SECTOR_BYTES, got = 0;
    uint8_t cdb[ATAPI_PACKET_BYTES];
    struct atapi_sense sense;
    int rc = ERR_IO;

    (void)atapi_cdb_read(lba, n, false, cdb); /* n <= 65535: READ (10) */
    for (unsigned attempt = 1; attempt <= 2; attempt++) {
        rc = atapi_drive_command(&p->atapi, cdb, buf, bytes, true, &got, &sense);
        if (rc != ERR_TIMEOUT)
            break;
        p->retries++;
        pr_warn("ahci: %s: retrying read at lba %lu after timeout", p->name,
                (unsigned long)lba);
    }
    if (rc == 0 && got != bytes) {
        pr_err("ahci: %s: short read (%lu of %lu bytes)", p->name, (unsigned long)got,
               (unsigned long)bytes);
        rc = ERR_IO;
    }
    return rc;
}

static int STDCALL ahci_atapi_read(void *userdata, void *buffer, int64_t startsector,
                                   int *numsectors)
{
    struct ahci_port *p = userdata;
    uint32_t done = 0, want;
    bool clipped;
    int rc;

    mutex_lock(&p->lock);
    /* 1. Media gone or changed under us: nothing is read from the new disc.
     *    Otherwise check and clip the request at the disc's end. */
    rc = atapi_media_is_usable(&p->atapi.media)
             ? ata_request_clip(startsector, *numsectors, p->atapi.media.sectors, &want,
                                &clipped)
             : ERR_NOMEDIA;
    if (rc)
        goto out_unlock;
    /* 2. READ (10) in pieces within the PRD table or bounce buffer. */
    while (done < want && rc == 0) {
        uint8_t *at = (uint8_t *)buffer + (size_t)done * ATAPI_SECTOR_BYTES;
        uint32_t n = ahci_chunk_sectors(want - done, ATAPI_SECTOR_BYTES,
                                        ATAPI_READ10_MAX_COUNT, AHCI_CMD_MAX_BYTES);
        if (!ahci_can_dma_direct(p, at, n * ATAPI_SECTOR_BYTES))
            n = ahci_chunk_sectors(n, ATAPI_SECTOR_BYTES, ATAPI_READ10_MAX_COUNT,
                                   AHCI_BOUNCE_BYTES);
        rc = read_chunk_locked(p, (uint32_t)startsector + done, n, at);
        if (rc == 0)
            done += n;
    }
    if (rc == 0 && clipped)
        rc = ERR_EOM;
out_unlock:
    mutex_unlock(&p->lock);
    *numsectors = (int)done;
    return ata_err_to_status(rc);
}

/* DISKFUNC LoadTray: START STOP UNIT (the shell's `eject`/`load` and
 * `remove` reach it through the block layer). */
static int STDCALL ahci_atapi_loadtray(void *userdata, int flags)
{
    struct ahci_port *p = userdata;

    mutex_lock(&p->lock);
    int rc = atapi_drive_load_tray(&p->atapi, flags == DISK_TRAY_EJECT);
    mutex_unlock(&p->lock);
    return ata_err_to_status(rc);
}

static void STDCALL ahci_atapi_closemedia(void *userdata)
{
    struct ahci_port *p = userdata;
    pr_info("ahci: %s: old media closed", p->name);
}

static DISKFUNC ahci_atapi_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .closemedia = ahci_atapi_closemedia,
    .querymedia = ahci_atapi_querymedia,
    .read = ahci_atapi_read,
    .LoadTray = ahci_atapi_loadtray,
};

int ahci_atapi_register(struct ahci_port *p)
{
    pr_info("ahci: %s: port %u: ATAPI \"%s\" (type %u), DMA", p->name, p->num, p->id.model,
            p->id.packet_type);
    /* Media events (GESN) are not used on AHCI yet: every poll checks the
     * drive with TEST UNIT READY, as this driver always did. */
    p->atapi = (struct atapi_drive){
        .log_prefix = "ahci", .name = p->name, .tp = &atapi_ahci_transport, .ctx = p,
        .errors = &p->errors, .no_events = true,
    };
    p->disk = DiskAdd(&ahci_atapi_funcs, p->name, p, 0);
    if (!p->disk)
        return ERR_NOMEM;
    p->atapi.disk = p->disk;
    int rc = thread_create(p->name, poll_thread, p, THREAD_PRIO_LOW, NULL);
    if (rc)
        pr_err("ahci: %s: no media poll thread (%s)", p->name, err_name(rc));
    return 0;
}
