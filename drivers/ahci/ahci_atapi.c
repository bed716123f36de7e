// SPDX-License-Identifier: MIT
/* ATAPI CD/DVD drives on AHCI ports: PACKET commands by DMA on slot 0 (the
 * command bytes go in the command table's ATAPI area, AHCI 1.3.1 §4.2.3),
 * the DISKFUNC callbacks and a poll thread that turns TEST UNIT READY /
 * READ CAPACITY answers into DiskMediaChanged(0/1). Command bytes, sense
 * and capacity parsing and the media state machine come from
 * drivers/ata/lib (atapi_cdb.h, atapi_sense.h, atapi_media.h), shared with
 * the IDE driver. The poll thread is the only caller of DiskMediaChanged: a
 * change seen by a read (UNIT ATTENTION) is only flagged and announced on
 * the next poll. Data: READ (10) of 2048-byte sectors, read only. The
 * tray moves through DISKFUNC LoadTray (shell: `remove NAME`); `eject` and
 * `load` of drivers/ata only know IDE drives.
 * Spec: SATA 3.0 §11.6 (PACKET DMA protocol); MMC-5, SPC-3 (see the lib). */
#include "drivers/ahci/ahci_priv.h"
#include "blkdev/diskfunc.h"
#include "drivers/ata/defs.h"
#include "drivers/ata/lib/atapi_cdb.h"
#include "drivers/ata/lib/atapi_sense.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define ATAPI_TIMEOUT_MS 10000u
#define ATAPI_POLL_MS 1000u
#define ATAPI_UA_TRIES 4     /* UNIT ATTENTIONs swallowed per check */
#define PACKET_BYTE_LIMIT 0xFFFEu /* byte count limit for the PIO form; unused by DMA */

/* One PACKET command; data (if any) lands in `phys`. Returns 0 with *got
 * bytes moved, ERR_IO with *check = true for a check condition (then the
 * error register is in *err_reg), ERR_TIMEOUT, other ERR_*. */
static int packet_locked(struct ahci_port *p, const uint8_t *cdb, uint64_t phys, uint32_t bytes,
                         uint32_t *got, bool *check, uint8_t *err_reg)
{
    struct ahci_cmd cmd = {
        .fis = {
            .command = ATA_CMD_PACKET,
            .features = bytes ? AHCI_PACKET_FEAT_DMA : 0,
            .lba = (uint64_t)MIN(bytes ? bytes : ATAPI_SECTOR_BYTES_CD, PACKET_BYTE_LIMIT) << 8,
        },
        .cdb = cdb,
        .phys = phys,
        .bytes = bytes,
        .timeout_ms = ATAPI_TIMEOUT_MS,
    };
    struct ahci_fault fault;

    int rc = ahci_exec_locked(p, &cmd, &fault, got);
    *check = rc != 0 && fault.ata != ATA_FAULT_NONE;
    *err_reg = fault.error;
    return rc;
}

/* A command with REQUEST SENSE on a check condition. Returns 0,
 * ERR_NOMEDIA (no medium, becoming ready, or medium changed: then
 * media.changed is set), ERR_EOM, ERR_NOTSUP, ERR_IO, ERR_TIMEOUT.
 * *unit_attention (may be NULL) tells a unit attention of any kind. */
static int command_locked(struct ahci_port *p, const uint8_t *cdb, uint64_t phys,
                          uint32_t bytes, uint32_t *got, bool *unit_attention)
{
    uint8_t req[ATAPI_CDB_BYTES], err_reg, err_reg2;
    struct atapi_sense sense;
    uint32_t sgot = 0;
    bool check, check2;

    if (unit_attention)
        *unit_attention = false;
    int rc = packet_locked(p, cdb, phys, bytes, got, &check, &err_reg);
    if (rc == 0 || !check)
        return rc;
    /* Check condition: the sense data says why; without it, the key in
     * the error register. */
    atapi_cdb_request_sense(req);
    if (packet_locked(p, req, p->bounce.phys, ATAPI_SENSE_ALLOC, &sgot, &check2, &err_reg2) ||
        atapi_sense_decode(p->bounce.virt, sgot, &sense))
        atapi_sense_from_error_reg(err_reg, &sense);
    enum atapi_sense_class cls = atapi_sense_classify(&sense);
    bool ua = sense.key == ATAPI_KEY_UNIT_ATTENTION;
    if (unit_attention)
        *unit_attention = ua;
    if (ua)
        p->media.changed = true;
    rc = atapi_sense_class_to_err(cls);
    if (rc == 0)
        rc = ERR_IO; /* the device failed the command yet reports no sense */
    if (rc != ERR_NOMEDIA && !ua) {
        p->errors++;
        pr_err("ahci: %s: command 0x%02x failed (sense %x/%02x/%02x, %s)", p->name, cdb[0],
               sense.key, sense.asc, sense.ascq, atapi_sense_key_name(sense.key));
    }
    return rc;
}

/* TEST UNIT READY (a few UNIT ATTENTIONs swallowed), then READ CAPACITY.
 * Returns 0 with *sectors, ERR_NOMEDIA, ERR_IO/ERR_TIMEOUT/ERR_CORRUPT. */
static int check_media_locked(struct ahci_port *p, uint64_t *sectors)
{
    uint8_t cdb[ATAPI_CDB_BYTES];
    uint32_t got;
    int rc = ERR_NOMEDIA;

    atapi_cdb_test_unit_ready(cdb);
    for (unsigned i = 0; i < ATAPI_UA_TRIES; i++) {
        bool ua;
        rc = command_locked(p, cdb, 0, 0, &got, &ua);
        if (!ua)
            break;
    }
    if (rc)
        return rc;
    atapi_cdb_read_capacity(cdb);
    rc = command_locked(p, cdb, p->bounce.phys, ATAPI_RCAP_BYTES, &got, NULL);
    if (rc)
        return rc;
    return atapi_read_capacity_parse(p->name, p->bounce.virt, got, sectors);
}

static void poll_once(struct ahci_port *p)
{
    uint64_t sectors = 0;
    bool removed, inserted;

    /* 1. Ask the drive under the port lock; decide what changed. */
    mutex_lock(&p->lock);
    int rc = check_media_locked(p, &sectors);
    atapi_media_update(&p->media, rc, sectors, &removed, &inserted);
    mutex_unlock(&p->lock);
    /* 2. Tell the block layer, removal first, with no lock held. */
    if (removed) {
        pr_info("ahci: %s: media removed or changed", p->name);
        DiskMediaChanged(p->disk, 0);
    }
    if (inserted) {
        pr_info("ahci: %s: media present (%llu sectors of 2048 bytes)", p->name,
                (unsigned long long)sectors);
        DiskMediaChanged(p->disk, 1);
    }
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
    if (p->media.present && !p->media.changed) {
        info->flags = DISK_MEDIA_READONLY;
        info->sectorsize = ATAPI_SECTOR_BYTES_CD;
        info->capacity = p->media.sectors;
        status = DISK_STATUS_OK;
    }
    mutex_unlock(&p->lock);
    return status;
}

/* READ (10) of n sectors at lba into buf, direct or bounced, one retry
 * after a timeout; a short answer is an error, never success. */
static int read_chunk_locked(struct ahci_port *p, uint32_t lba, uint32_t n, uint8_t *buf)
{
    uint32_t bytes = n * ATAPI_SECTOR_BYTES_CD, got = 0;
    bool direct = ahci_can_dma_direct(p, buf, bytes);
    uint8_t cdb[ATAPI_CDB_BYTES];
    int rc = ERR_IO;

    if (!direct && bytes > p->bounce.bytes)
        return ERR_INVAL; /* the caller sizes bounced chunks; our bug otherwise */
    (void)atapi_cdb_read(lba, n, false, cdb); /* n <= 65535: READ (10) */
    for (unsigned attempt = 1; attempt <= 2; attempt++) {
        rc = command_locked(p, cdb, direct ? (uintptr_t)buf : p->bounce.phys, bytes, &got,
                            NULL);
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
    if (rc == 0 && !direct)
        memcpy(buf, p->bounce.virt, bytes);
    return rc;
}

static int STDCALL ahci_atapi_read(void *userdata, void *buffer, int64_t startsector,
                                   int *numsectors)
{
    struct ahci_port *p = userdata;
    uint32_t done = 0, want;
    int rc = 0;

    if (*numsectors < 0 || startsector < 0) {
        *numsectors = 0;
        return DISK_STATUS_INVALID_CALL;
    }
    want = (uint32_t)*numsectors;
    mutex_lock(&p->lock);
    /* 1. Media gone or changed under us: nothing is read from the new disc. */
    if (!p->media.present || p->media.changed) {
        rc = ERR_NOMEDIA;
        goto out_unlock;
    }
    if ((uint64_t)startsector >= p->media.sectors) {
        rc = want ? ERR_EOM : 0;
        goto out_unlock;
    }
    bool clipped = want > p->media.sectors - (uint64_t)startsector;
    if (clipped)
        want = (uint32_t)(p->media.sectors - (uint64_t)startsector);
    /* 2. READ (10) in pieces within the PRD table or bounce buffer. */
    while (done < want && rc == 0) {
        uint8_t *at = (uint8_t *)buffer + (size_t)done * ATAPI_SECTOR_BYTES_CD;
        uint32_t n = ahci_chunk_sectors(want - done, ATAPI_SECTOR_BYTES_CD,
                                        ATAPI_READ10_MAX_COUNT, AHCI_CMD_MAX_BYTES);
        if (!ahci_can_dma_direct(p, at, n * ATAPI_SECTOR_BYTES_CD))
            n = ahci_chunk_sectors(n, ATAPI_SECTOR_BYTES_CD, ATAPI_READ10_MAX_COUNT,
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
    return ahci_err_to_status(rc);
}

int ahci_atapi_load_tray(struct ahci_port *p, bool eject)
{
    uint8_t cdb[ATAPI_CDB_BYTES];
    uint32_t got;

    atapi_cdb_start_stop(cdb, eject);
    mutex_lock(&p->lock);
    int rc = command_locked(p, cdb, 0, 0, &got, NULL);
    if (eject && rc == 0)
        p->media.changed = true; /* the poll thread announces the removal */
    mutex_unlock(&p->lock);
    return rc;
}

static int STDCALL ahci_atapi_loadtray(void *userdata, int flags)
{
    return ahci_err_to_status(ahci_atapi_load_tray(userdata, flags == DISK_TRAY_EJECT));
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
    p->disk = DiskAdd(&ahci_atapi_funcs, p->name, p, 0);
    if (!p->disk)
        return ERR_NOMEM;
    int rc = thread_create(p->name, poll_thread, p, THREAD_PRIO_LOW, NULL);
    if (rc)
        pr_err("ahci: %s: no media poll thread (%s)", p->name, err_name(rc));
    return 0;
}
