// SPDX-License-Identifier: MIT
/* USB mass storage (BOT + SCSI) as DISKFUNC disks; contract in
 * usb_storage.h. One struct msc_dev per claimed interface (pipes, the
 * command mutex, CBW/CSW buffers) and one struct msc_unit per registered
 * logical unit (the disk's userdata). Lifetime: msc_dev.refs counts "still
 * plugged in" plus one per unit whose disk is not closed yet; the last
 * msc_put closes the pipes and drops the USB device reference.
 * DISK_STATUS codes are made in exactly one place, msc_err_to_status()
 * over blkdev's disk_err_to_status().
 * Locking: msc_state.lock (names, refs) is never held across a transfer;
 * msc_dev.lock serializes commands (the BOT data stage is not tagged, so
 * only one command may be in flight per device). */
#include "drivers/usb/usb_storage.h"
#include "blkdev/disk.h"
#include "blkdev/diskfunc.h"
#include "drivers/usb/defs.h"
#include "drivers/usb/lib/bot.h"
#include "drivers/usb/lib/scsi.h"
#include "drivers/usb/usb.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/time.h"

#define MSC_CLASS 0x08
#define MSC_SUBCLASS_SCSI 0x06
#define MSC_PROTOCOL_BOT 0x50
#define MSC_MAX_DISKS 128           /* usbhd0..usbhd127, like usbstor's bitmap */
#define MSC_CMD_TIMEOUT_MS 5000     /* CBW, CSW and small commands */
#define MSC_IO_TIMEOUT_MS 10000     /* data stage of READ/WRITE */
#define MSC_FLUSH_TIMEOUT_MS 30000  /* SYNCHRONIZE CACHE may write a lot */
#define MSC_MAX_ATTEMPTS 3          /* per READ/WRITE/flush command */
/* TEST UNIT READY at plug time: a device reports UNIT ATTENTION (power on)
 * or NOT READY (becoming ready) for a while; 20 x 100 ms covers slow sticks. */
#define MSC_TUR_ATTEMPTS 20
#define MSC_TUR_DELAY_MS 100
#define MSC_NAME_BYTES 12

struct msc_unit;

struct msc_dev {
    struct usb_device *udev;      /* holds a reference */
    struct usb_pipe *in, *out;    /* bulk pipes */
    uint8_t ep_in, ep_out;        /* endpoint addresses, for CLEAR_FEATURE */
    uint8_t iface;                /* interface number, for class requests */
    uint8_t max_lun;              /* GET MAX LUN, capped at BOT_MAX_LUN */
    struct mutex lock;            /* one command at a time; guards tag, buf */
    uint32_t tag;                 /* last CBW tag (lock) */
    uint8_t *buf;                 /* CBW (31) + CSW (13) + sense (18) + small data (lock) */
    struct msc_unit *units[BOT_MAX_LUN + 1]; /* registered units (msc_state.lock) */
    int refs;                     /* see the file header (msc_state.lock) */
};

/* Offsets in msc_dev.buf. */
#define MSC_BUF_CBW 0
#define MSC_BUF_CSW 64
#define MSC_BUF_SENSE 128
#define MSC_BUF_DATA 256            /* INQUIRY, capacity, MODE SENSE replies */
#define MSC_BUF_BYTES 512

struct msc_unit {
    struct msc_dev *m;
    uint8_t lun;
    unsigned index;               /* N of usbhdN */
    char name[MSC_NAME_BYTES];
    void *disk;                   /* DiskAdd handle */
    struct scsi_inquiry inq;
    uint64_t blocks;              /* capacity, checked > 0 */
    uint32_t block_bytes;         /* 512/1024/2048/4096 */
    bool no_sync_cache;           /* SYNCHRONIZE CACHE refused: nothing to flush */
    bool readonly;                /* MODE SENSE write-protect bit */
    uint32_t retries;             /* logged retries */
};

static struct {
    struct mutex lock;            /* names, msc_dev.refs and units */
    uint32_t names_used[MSC_MAX_DISKS / 32];
} msc_state;

/* DISK_STATUS of a driver error: disk_err_to_status (blkdev/disk.h), except
 * that an unplugged device (ERR_NODEV) reads as no media. */
static int msc_err_to_status(int err)
{
    return disk_err_to_status(err == ERR_NODEV ? ERR_NOMEDIA : err);
}

static void msc_put(struct msc_dev *m)
{
    mutex_lock(&msc_state.lock);
    int left = --m->refs;
    mutex_unlock(&msc_state.lock);
    if (left > 0)
        return;
    usb_pipe_close(m->udev, m->in);
    usb_pipe_close(m->udev, m->out);
    usb_device_put(m->udev);
    kfree(m->buf);
    kfree(m);
}

/* ---- Bulk-Only Transport (m->lock held) ---------------------------------------------- */

/* BOT §5.3.4: Bulk-Only Mass Storage Reset, then clear both halts. */
static void reset_recovery_locked(struct msc_dev *m, const char *why)
{
    struct usb_setup s = {
        .request_type = USB_RT_CLASS | USB_RT_INTERFACE, .request = BOT_REQ_RESET,
        .index = m->iface,
    };
    pr_warn("usb-storage: %s port %u: reset recovery (%s)", m->udev->hc->name,
            m->udev->port + 1, why);
    int rc = usb_control(m->udev, &s, NULL, NULL);
    if (rc == 0)
        rc = usb_clear_halt(m->udev, m->ep_in, m->in);
    if (rc == 0)
        rc = usb_clear_halt(m->udev, m->ep_out, m->out);
    if (rc)
        pr_warn("usb-storage: %s port %u: reset recovery failed (%s)", m->udev->hc->name,
                m->udev->port + 1, err_name(rc));
}

/* Read the CSW; one more try after clearing a stalled IN endpoint (BOT
 * §6.7.2: a halted data stage is followed by a CSW). */
static int read_csw_locked(struct msc_dev *m, uint32_t *got)
{
    bool stalled;
    int rc = usb_bulk(m->udev, m->in, m->buf + MSC_BUF_CSW, BOT_CSW_BYTES, got, &stalled,
                      MSC_CMD_TIMEOUT_MS);
    if (rc == ERR_IO && stalled) {
        rc = usb_clear_halt(m->udev, m->ep_in, m->in);
        if (rc == 0)
            rc = usb_bulk(m->udev, m->in, m->buf + MSC_BUF_CSW, BOT_CSW_BYTES, got, &stalled,
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
    rc = usb_bulk(m->udev, m->out, m->buf + MSC_BUF_CBW, BOT_CBW_BYTES, &got, &stalled,
                  MSC_CMD_TIMEOUT_MS);
    if (rc || got != BOT_CBW_BYTES) {
        if (rc != ERR_NODEV)
            reset_recovery_locked(m, "CBW not accepted");
        return rc ? rc : ERR_IO;
    }
    /* 2. Data stage; a STALL here is cleared and the CSW still follows. */
    if (bytes) {
        rc = usb_bulk(m->udev, dir_in ? m->in : m->out, data, bytes, &moved, &stalled,
                      timeout_ms);
        if (rc == ERR_IO && stalled) {
            rc = usb_clear_halt(m->udev, dir_in ? m->ep_in : m->ep_out, dir_in ? m->in : m->out);
        }
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

/* A SCSI command with REQUEST SENSE on failure; returns the classified
 * error (scsi_sense_to_err) and logs it unless `quiet`. *sense_out (may be
 * NULL) gets the sense. */
static int scsi_locked(struct msc_unit *u, const uint8_t *cdb, uint8_t cdb_len, void *data,
                       uint32_t bytes, bool dir_in, uint32_t *done, uint32_t timeout_ms,
                       bool quiet, struct scsi_sense *sense_out)
{
    struct msc_dev *m = u->m;
    struct scsi_sense sense = { 0 };
    uint8_t scdb[16];
    uint32_t sdone;
    bool check, scheck;

    int rc = bot_xfer_locked(m, u->lun, cdb, cdb_len, data, bytes, dir_in, done, &check,
                             timeout_ms);
    if (sense_out)
        memset(sense_out, 0, sizeof(*sense_out));
    if (rc != ERR_IO || !check)
        return rc;
    /* Command failed: ask why (SPC-4 §5.11: sense is kept for the next command). */
    uint8_t len = scsi_cdb_request_sense(scdb, SCSI_SENSE_BYTES);
    int src = bot_xfer_locked(m, u->lun, scdb, len, m->buf + MSC_BUF_SENSE, SCSI_SENSE_BYTES,
                              true, &sdone, &scheck, MSC_CMD_TIMEOUT_MS);
    if (src == 0)
        src = scsi_parse_sense(m->buf + MSC_BUF_SENSE, sdone, &sense);
    if (src) {
        pr_warn("usb-storage: %s: command 0x%02x failed, no sense (%s)", u->name, cdb[0],
                err_name(src));
        return ERR_IO;
    }
    if (sense_out)
        *sense_out = sense;
    rc = scsi_sense_to_err(&sense);
    if (rc == 0) /* failed, yet the sense says nothing is wrong: do not trust the data */
        rc = ERR_IO;
    if (!quiet)
        pr_warn("usb-storage: %s: command 0x%02x failed: %s (asc 0x%02x/0x%02x, %s)", u->name,
                cdb[0], scsi_sense_key_name(sense.key), sense.asc, sense.ascq, err_name(rc));
    return rc;
}

/* ---- DISKFUNC ------------------------------------------------------------------------ */

static int rw_chunk(struct msc_unit *u, uint8_t *buf, uint64_t lba, uint32_t count, bool write,
                    uint32_t *done_blocks)
{
    struct msc_dev *m = u->m;
    uint8_t cdb[16];
    uint32_t bytes = count * u->block_bytes, done = 0;
    int rc = ERR_IO;

    *done_blocks = 0;
    uint8_t len = scsi_cdb_rw(cdb, write, lba, count);
    for (unsigned attempt = 1; attempt <= MSC_MAX_ATTEMPTS; attempt++) {
        mutex_lock(&m->lock);
        rc = scsi_locked(u, cdb, len, buf, bytes, !write, &done, MSC_IO_TIMEOUT_MS, false, NULL);
        mutex_unlock(&m->lock);
        if (rc == 0 && done < bytes)
            rc = ERR_IO; /* passed but short: report what moved */
        if (rc == 0 || (rc != ERR_BUSY && rc != ERR_IO && rc != ERR_TIMEOUT))
            break;
        if (attempt < MSC_MAX_ATTEMPTS) {
            u->retries++;
            pr_warn("usb-storage: %s: retrying %s of %lu blocks at lba %llu (attempt %u of %u, "
                    "%s)", u->name, write ? "write" : "read", (unsigned long)count,
                    (unsigned long long)lba, attempt + 1, MSC_MAX_ATTEMPTS, err_name(rc));
        }
    }
    *done_blocks = rc == 0 ? count : done / u->block_bytes;
    return rc;
}

static int disk_rw(struct msc_unit *u, void *buf, int64_t start, int *numsectors, bool write)
{
    uint32_t want, done = 0;
    int rc = 0;

    /* 1. Check and clip the request (DISKFUNC: do what fits, say so). */
    if (*numsectors < 0 || start < 0) {
        *numsectors = 0;
        return DISK_STATUS_INVALID_CALL;
    }
    want = (uint32_t)*numsectors;
    if ((uint64_t)start >= u->blocks) {
        *numsectors = 0;
        return want ? DISK_STATUS_END_OF_MEDIA : DISK_STATUS_OK;
    }
    bool clipped = want > u->blocks - (uint64_t)start;
    if (clipped)
        want = (uint32_t)(u->blocks - (uint64_t)start);
    /* 2. Commands of at most USB_STORAGE_MAX_XFER_BYTES. */
    uint32_t per_cmd = USB_STORAGE_MAX_XFER_BYTES / u->block_bytes;
    while (done < want && rc == 0) {
        uint32_t n = MIN(want - done, per_cmd), got;
        rc = rw_chunk(u, (uint8_t *)buf + (size_t)done * u->block_bytes,
                      (uint64_t)start + done, n, write, &got);
        done += got;
    }
    /* 3. Honest count; END_OF_MEDIA when clipped and otherwise fine. */
    *numsectors = (int)done;
    if (rc == 0 && clipped)
        rc = ERR_EOM;
    return msc_err_to_status(rc);
}

static int STDCALL msc_disk_read(void *userdata, void *buffer, int64_t startsector,
                                 int *numsectors)
{
    return disk_rw(userdata, buffer, startsector, numsectors, false);
}

static int STDCALL msc_disk_write(void *userdata, const void *buffer, int64_t startsector,
                                  int *numsectors)
{
    /* The write path only reads the buffer; the shared helper takes void *. */
    return disk_rw(userdata, (void *)(uintptr_t)buffer, startsector, numsectors, true);
}

static int STDCALL msc_disk_querymedia(void *userdata, DISKMEDIAINFO *info)
{
    struct msc_unit *u = userdata;

    if (u->m->udev->gone)
        return DISK_STATUS_NO_MEDIA;
    info->flags = u->readonly ? DISK_MEDIA_READONLY : 0;
    info->sectorsize = u->block_bytes;
    info->capacity = u->blocks;
    return DISK_STATUS_OK;
}

/* SYNCHRONIZE CACHE (10): after it succeeds, written data is durable. */
static int STDCALL msc_disk_flush(void *userdata)
{
    struct msc_unit *u = userdata;
    uint8_t cdb[16];
    uint32_t done;
    int rc = ERR_IO;

    if (u->no_sync_cache)
        return DISK_STATUS_OK;
    uint8_t len = scsi_cdb_sync_cache10(cdb);
    for (unsigned attempt = 1; attempt <= MSC_MAX_ATTEMPTS; attempt++) {
        mutex_lock(&u->m->lock);
        rc = scsi_locked(u, cdb, len, NULL, 0, false, &done, MSC_FLUSH_TIMEOUT_MS, false, NULL);
        mutex_unlock(&u->m->lock);
        if (rc == ERR_NOTSUP) {
            /* ILLEGAL REQUEST: no such command, so no volatile cache to flush. */
            pr_info("usb-storage: %s: no SYNCHRONIZE CACHE, flush is a no-op", u->name);
            u->no_sync_cache = true;
            rc = 0;
        }
        if (rc == 0 || (rc != ERR_BUSY && rc != ERR_IO && rc != ERR_TIMEOUT))
            break;
        if (attempt < MSC_MAX_ATTEMPTS) {
            u->retries++;
            pr_warn("usb-storage: %s: retrying flush (attempt %u of %u, %s)", u->name,
                    attempt + 1, MSC_MAX_ATTEMPTS, err_name(rc));
        }
    }
    return msc_err_to_status(rc);
}

/* Last call for the disk: free the unit and its name. */
static void STDCALL msc_disk_close(void *userdata)
{
    struct msc_unit *u = userdata;
    struct msc_dev *m = u->m;

    pr_info("usb-storage: %s: closed", u->name);
    mutex_lock(&msc_state.lock);
    msc_state.names_used[u->index / 32] &= ~(1u << (u->index % 32));
    if (m->units[u->lun] == u)
        m->units[u->lun] = NULL;
    mutex_unlock(&msc_state.lock);
    kfree(u);
    msc_put(m); /* the unit's reference */
}

static DISKFUNC msc_disk_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = msc_disk_close,
    .querymedia = msc_disk_querymedia,
    .read = msc_disk_read,
    .write = msc_disk_write,
    .flush = msc_disk_flush,
};

/* ---- probe --------------------------------------------------------------------------- */

/* INQUIRY, TEST UNIT READY (with retries), READ CAPACITY, MODE SENSE. 0 if
 * the unit is a disk with a medium; ERR_NODEV (not a disk); ERR_NOMEDIA;
 * others. */
static int unit_identify(struct msc_unit *u)
{
    struct msc_dev *m = u->m;
    struct scsi_capacity cap;
    uint8_t cdb[16], len;
    uint32_t done;
    int rc;

    mutex_lock(&m->lock);
    /* 1. INQUIRY: only direct-access devices become disks. */
    len = scsi_cdb_inquiry(cdb, SCSI_INQUIRY_BYTES);
    rc = scsi_locked(u, cdb, len, m->buf + MSC_BUF_DATA, SCSI_INQUIRY_BYTES, true, &done,
                     MSC_CMD_TIMEOUT_MS, false, NULL);
    if (rc == 0)
        rc = scsi_parse_inquiry(m->buf + MSC_BUF_DATA, done, &u->inq);
    if (rc)
        goto out_unlock;
    if (u->inq.device_type != SCSI_TYPE_DISK || u->inq.qualifier != 0) {
        pr_info("usb-storage: %s: LUN %u is not a disk (type 0x%02x, qualifier %u)", u->name,
                u->lun, u->inq.device_type, u->inq.qualifier);
        rc = ERR_NODEV;
        goto out_unlock;
    }
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
    if (rc)
        goto out_unlock;
    /* 3. READ CAPACITY (10); (16) when the disk is 2^32 blocks or more. */
    len = scsi_cdb_read_capacity10(cdb);
    rc = scsi_locked(u, cdb, len, m->buf + MSC_BUF_DATA, SCSI_CAPACITY10_BYTES, true, &done,
                     MSC_CMD_TIMEOUT_MS, false, NULL);
    if (rc == 0)
        rc = scsi_parse_capacity10(m->buf + MSC_BUF_DATA, done, &cap);
    if (rc == 0 && cap.need16) {
        len = scsi_cdb_read_capacity16(cdb, SCSI_CAPACITY16_BYTES);
        rc = scsi_locked(u, cdb, len, m->buf + MSC_BUF_DATA, SCSI_CAPACITY16_BYTES, true,
                         &done, MSC_CMD_TIMEOUT_MS, false, NULL);
        if (rc == 0)
            rc = scsi_parse_capacity16(m->buf + MSC_BUF_DATA, done, &cap);
    }
    if (rc == 0 && cap.blocks == 0)
        rc = ERR_NOMEDIA;
    if (rc == 0) {
        u->blocks = cap.blocks;
        u->block_bytes = cap.block_bytes;
    }
    /* 4. MODE SENSE (6) for the write-protect bit; a device that refuses
     *    it is taken as writable (many sticks do not implement it). */
    if (rc == 0) {
        len = scsi_cdb_mode_sense6(cdb, SCSI_MODE_PAGE_ALL, SCSI_MODE_SENSE_BYTES);
        if (scsi_locked(u, cdb, len, m->buf + MSC_BUF_DATA, SCSI_MODE_SENSE_BYTES, true, &done,
                        MSC_CMD_TIMEOUT_MS, true, NULL) == 0)
            (void)scsi_parse_mode_sense6_wp(m->buf + MSC_BUF_DATA, done, &u->readonly);
    }
out_unlock:
    mutex_unlock(&m->lock);
    return rc;
}

/* Lowest free usbhdN index, or ERR_NOSPC. */
static int name_alloc(void)
{
    int idx = ERR_NOSPC;
    mutex_lock(&msc_state.lock);
    for (unsigned i = 0; i < MSC_MAX_DISKS; i++) {
        if (!(msc_state.names_used[i / 32] & (1u << (i % 32)))) {
            msc_state.names_used[i / 32] |= 1u << (i % 32);
            idx = (int)i;
            break;
        }
    }
    mutex_unlock(&msc_state.lock);
    return idx;
}

/* Identify LUN `lun` and register it as a disk. */
static void unit_add(struct msc_dev *m, uint8_t lun)
{
    struct msc_unit *u = kzalloc(sizeof(*u));
    if (!u)
        return;
    u->m = m;
    u->lun = lun;
    ksnprintf(u->name, sizeof(u->name), "%s.%u", m->udev->hc->name, m->udev->port + 1);
    int rc = unit_identify(u);
    if (rc) {
        if (rc != ERR_NODEV)
            pr_warn("usb-storage: %s: LUN %u not usable (%s)", u->name, lun, err_name(rc));
        kfree(u);
        return;
    }
    int idx = name_alloc();
    if (idx < 0) {
        pr_warn("usb-storage: %s: no free usbhd name (%d in use)", u->name, MSC_MAX_DISKS);
        kfree(u);
        return;
    }
    u->index = (unsigned)idx;
    ksnprintf(u->name, sizeof(u->name), "usbhd%u", u->index);
    mutex_lock(&msc_state.lock);
    m->refs++; /* the unit's, dropped by close */
    m->units[lun] = u;
    mutex_unlock(&msc_state.lock);
    pr_info("usb-storage: %s: \"%s %s %s\", LUN %u, %llu blocks of %lu bytes%s%s", u->name,
            u->inq.vendor, u->inq.product, u->inq.revision, lun, (unsigned long long)u->blocks,
            (unsigned long)u->block_bytes, u->inq.removable ? ", removable" : "",
            u->readonly ? ", write-protected" : "");
    u->disk = DiskAdd(&msc_disk_funcs, u->name, u, 0);
    if (!u->disk) { /* DiskAdd logged why; undo as close would */
        msc_disk_close(u);
        return;
    }
    DiskMediaChanged(u->disk, 1);
}

static int msc_probe(struct usb_device *dev, const struct usb_interface *iface)
{
    const struct usb_endpoint *in, *out;
    struct msc_dev *m;
    uint32_t got = 0;
    int rc;

    /* 1. BOT with SCSI commands and two bulk endpoints. */
    if (iface->iface_class != MSC_CLASS || iface->iface_subclass != MSC_SUBCLASS_SCSI ||
        iface->iface_protocol != MSC_PROTOCOL_BOT)
        return ERR_NODEV;
    in = usb_desc_find_endpoint(iface, USB_EP_BULK, true);
    out = usb_desc_find_endpoint(iface, USB_EP_BULK, false);
    if (!in || !out) {
        pr_warn("usb-storage: %s port %u: interface %u lacks bulk endpoints", dev->hc->name,
                dev->port + 1, iface->number);
        return ERR_NODEV;
    }
    /* 2. Device state and pipes. */
    m = kzalloc(sizeof(*m));
    if (!m)
        return ERR_NOMEM;
    m->buf = kzalloc(MSC_BUF_BYTES);
    if (!m->buf) {
        kfree(m);
        return ERR_NOMEM;
    }
    m->udev = dev;
    m->iface = iface->number;
    m->ep_in = in->address;
    m->ep_out = out->address;
    m->refs = 1; /* "plugged in", dropped by disconnect */
    m->tag = 0x5350494Eu; /* any start value; only equality matters */
    mutex_init(&m->lock, "usb-storage");
    usb_device_get(dev);
    dev->driver_data = m;
    rc = usb_pipe_open(dev, in, &m->in);
    if (rc == 0)
        rc = usb_pipe_open(dev, out, &m->out);
    if (rc) {
        pr_warn("usb-storage: %s port %u: cannot open bulk pipes (%s)", dev->hc->name,
                dev->port + 1, err_name(rc));
        dev->driver_data = NULL;
        msc_put(m);
        return rc;
    }
    /* 3. GET MAX LUN (BOT §3.2); a STALL means a single LUN. */
    struct usb_setup s = {
        .request_type = USB_RT_IN | USB_RT_CLASS | USB_RT_INTERFACE,
        .request = BOT_REQ_GET_MAX_LUN, .index = m->iface, .length = 1,
    };
    uint8_t maxlun = 0;
    if (usb_control(dev, &s, &maxlun, &got) != 0 || got != 1)
        maxlun = 0;
    m->max_lun = MIN(maxlun, (uint8_t)BOT_MAX_LUN);
    /* 4. Each unit that is a disk with a medium becomes usbhdN. */
    for (unsigned lun = 0; lun <= m->max_lun; lun++)
        unit_add(m, (uint8_t)lun);
    return 0;
}

static void msc_disconnect(struct usb_device *dev)
{
    struct msc_dev *m = dev->driver_data;
    void *disks[BOT_MAX_LUN + 1];
    unsigned n = 0;

    if (!m)
        return;
    /* Collect the disks under the lock, delete them without it. */
    mutex_lock(&msc_state.lock);
    for (unsigned lun = 0; lun <= m->max_lun; lun++) {
        if (m->units[lun] && m->units[lun]->disk)
            disks[n++] = m->units[lun]->disk;
    }
    mutex_unlock(&msc_state.lock);
    for (unsigned i = 0; i < n; i++)
        DiskDel(disks[i]); /* close follows the last user and frees the unit */
    msc_put(m); /* "plugged in" */
}

static void msc_describe(struct usb_device *dev, char *buf, size_t bytes)
{
    struct msc_dev *m = dev->driver_data;
    size_t off = 0;

    buf[0] = '\0';
    if (!m)
        return;
    mutex_lock(&msc_state.lock);
    for (unsigned lun = 0; lun <= m->max_lun && off + 1 < bytes; lun++) {
        if (m->units[lun])
            off += MIN((size_t)ksnprintf(buf + off, bytes - off, "%s%s", off ? "," : "",
                                         m->units[lun]->name),
                       bytes - off - 1);
    }
    mutex_unlock(&msc_state.lock);
}

static const struct usb_driver msc_driver = {
    .name = "usb-storage",
    .probe = msc_probe,
    .disconnect = msc_disconnect,
    .describe = msc_describe,
};

void usb_storage_register(void)
{
    mutex_init(&msc_state.lock, "usb-storage-names");
    int rc = usb_driver_register(&msc_driver);
    if (rc)
        pr_err("usb-storage: cannot register (%s)", err_name(rc));
}
