// SPDX-License-Identifier: MIT
/* USB mass storage: the kernel glue between the USB core, the class logic
 * in lib/usb_msc.c and the block layer; contract in usb_storage.h. Per
 * claimed interface one struct usbstor_dev (the USB device, its bulk pipes
 * and the msc_transport_ops over usb_bulk/usb_control/usb_clear_halt);
 * per registered logical unit one struct usbstor_unit (the lib's unit,
 * its usbhdN index and the DiskAdd handle). A device with a removable
 * unit joins the poll list; one kernel thread, started with the first such
 * device, runs msc_unit_poll/msc_unit_announce on each of its removable
 * units every USBSTOR_POLL_MS. Lifetime: usbstor_dev.refs counts "still
 * plugged in", one per unit whose disk is not closed yet, and one per poll
 * of the device in progress; the last usbstor_put closes the pipes and
 * drops the USB device reference.
 * Locking, in this order: usbstor_dev.disk_lock (serializes
 * DiskMediaChanged with DiskDel, as the DISKFUNC contract asks), then
 * usbstor_state.lock (names, refs, unit table, poll list; never held across
 * a transfer or a call into the block layer), then the lib's msc_dev.lock
 * (one command at a time). */
#include "drivers/usb/usb_storage.h"
#include "blkdev/diskfunc.h"
#include "drivers/usb/lib/usb_msc.h"
#include "drivers/usb/usb.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define USBSTOR_CLASS 0x08
#define USBSTOR_SUBCLASS_SCSI 0x06
#define USBSTOR_PROTOCOL_BOT 0x50
#define USBSTOR_MAX_DISKS 128       /* usbhd0..usbhd127, like usbstor's bitmap */
/* Media poll period of removable units: a TEST UNIT READY (~2 ms) per unit
 * and second is little traffic, and a swapped card shows up within two
 * polls (removal, then the new medium after closemedia). KolibriOS's
 * usbstor polls every 2 s. */
#define USBSTOR_POLL_MS 1000

struct usbstor_unit;

struct usbstor_dev {
    struct msc_dev msc;           /* class logic state; msc.ctx = this */
    struct usb_device *udev;      /* holds a reference */
    struct usb_pipe *in, *out;    /* bulk pipes */
    uint8_t ep_in, ep_out;        /* endpoint addresses, for CLEAR_FEATURE */
    uint8_t max_lun;              /* GET MAX LUN, capped at BOT_MAX_LUN */
    struct usbstor_unit *units[BOT_MAX_LUN + 1]; /* registered units (usbstor_state.lock) */
    int refs;                     /* see the file header (usbstor_state.lock) */
    struct mutex disk_lock;       /* held across each unit's DiskMediaChanged and
                                   * the DiskDels of disconnect; guards unplugged */
    bool unplugged;               /* disconnect began: no more announcements (disk_lock) */
    bool polled;                  /* on the poll list (usbstor_state.lock) */
    struct usbstor_dev *poll_next; /* poll list link (usbstor_state.lock) */
};

struct usbstor_unit {
    struct msc_unit msc;          /* the disk's userdata is &msc */
    struct usbstor_dev *d;
    unsigned index;               /* N of usbhdN */
    void *disk;                   /* DiskAdd handle */
};

static struct {
    struct mutex lock;            /* names, usbstor_dev.refs, units, poll list */
    uint32_t names_used[USBSTOR_MAX_DISKS / 32];
    struct usbstor_dev *polled;   /* devices with a removable unit (lock) */
    bool poll_thread;             /* the poll thread was started (lock) */
} usbstor_state;

/* ---- transport over the USB core ---------------------------------------------------------- */

static int tr_bulk(void *ctx, bool dir_in, void *data, uint32_t bytes, uint32_t *moved,
                   bool *stalled, uint32_t timeout_ms)
{
    struct usbstor_dev *d = ctx;
    return usb_bulk(d->udev, dir_in ? d->in : d->out, data, bytes, moved, stalled, timeout_ms);
}

static int tr_control(void *ctx, const struct usb_setup *setup, void *data, uint32_t *moved)
{
    struct usbstor_dev *d = ctx;
    return usb_control(d->udev, setup, data, moved);
}

static int tr_clear_halt(void *ctx, bool dir_in)
{
    struct usbstor_dev *d = ctx;
    return usb_clear_halt(d->udev, dir_in ? d->ep_in : d->ep_out, dir_in ? d->in : d->out);
}

static bool tr_is_gone(void *ctx)
{
    struct usbstor_dev *d = ctx;
    return d->udev->gone;
}

static const struct msc_transport_ops usbstor_transport = {
    .bulk = tr_bulk,
    .control = tr_control,
    .clear_halt = tr_clear_halt,
    .is_gone = tr_is_gone,
};

/* ---- lifetime ----------------------------------------------------------------------------- */

static void usbstor_put(struct usbstor_dev *d)
{
    mutex_lock(&usbstor_state.lock);
    int left = --d->refs;
    mutex_unlock(&usbstor_state.lock);
    if (left > 0)
        return;
    usb_pipe_close(d->udev, d->in);
    usb_pipe_close(d->udev, d->out);
    usb_device_put(d->udev);
    msc_dev_fini(&d->msc);
    kfree(d);
}

/* Last call for the disk: free the unit and its name. */
static void STDCALL usbstor_disk_close(void *userdata)
{
    struct usbstor_unit *u = container_of(userdata, struct usbstor_unit, msc);
    struct usbstor_dev *d = u->d;

    pr_info("usb-storage: %s: closed", u->msc.name);
    mutex_lock(&usbstor_state.lock);
    usbstor_state.names_used[u->index / 32] &= ~(1u << (u->index % 32));
    if (d->units[u->msc.lun] == u)
        d->units[u->msc.lun] = NULL;
    mutex_unlock(&usbstor_state.lock);
    kfree(u);
    usbstor_put(d); /* the unit's reference */
}

/* A fixed disk: no tray, never polled. */
static DISKFUNC usbstor_disk_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = usbstor_disk_close,
    .closemedia = msc_disk_closemedia,
    .querymedia = msc_disk_querymedia,
    .read = msc_disk_read,
    .write = msc_disk_write,
    .flush = msc_disk_flush,
};

/* A removable disk (card reader, RMB stick): polled, with a tray. */
static DISKFUNC usbstor_removable_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = usbstor_disk_close,
    .closemedia = msc_disk_closemedia,
    .querymedia = msc_disk_querymedia,
    .read = msc_disk_read,
    .write = msc_disk_write,
    .flush = msc_disk_flush,
    .LoadTray = msc_disk_loadtray,
};

/* A CD/DVD unit: read-only (no write, nothing to flush), polled, a tray. */
static DISKFUNC usbstor_cd_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = usbstor_disk_close,
    .closemedia = msc_disk_closemedia,
    .querymedia = msc_disk_querymedia,
    .read = msc_disk_read,
    .LoadTray = msc_disk_loadtray,
};

/* ---- media poll --------------------------------------------------------------------------- */

/* Poll each removable unit of `d` and announce what changed. disk_lock
 * keeps disconnect's DiskDel out until the announcements are done; while
 * it is held and the device is not unplugged, the units stay registered
 * (only DiskDel leads to their close). */
static void poll_device(struct usbstor_dev *d)
{
    mutex_lock(&d->disk_lock);
    for (unsigned lun = 0; lun <= d->max_lun && !d->unplugged; lun++) {
        mutex_lock(&usbstor_state.lock);
        struct usbstor_unit *u = d->units[lun];
        mutex_unlock(&usbstor_state.lock);
        if (!u || !u->disk || !u->msc.removable)
            continue;
        struct msc_poll_news news;
        msc_unit_poll(&u->msc, &news);
        msc_unit_announce(&u->msc, u->disk, &news);
    }
    mutex_unlock(&d->disk_lock);
}

/* The poll thread: every USBSTOR_POLL_MS, each device on the poll list,
 * held by a reference taken under the list's lock. */
static int poll_thread(void *arg)
{
    (void)arg;
    for (;;) {
        struct usbstor_dev *batch[USBSTOR_MAX_DISKS];
        unsigned n = 0;

        sleep_ms(USBSTOR_POLL_MS);
        mutex_lock(&usbstor_state.lock);
        for (struct usbstor_dev *d = usbstor_state.polled; d && n < ARRAY_SIZE(batch);
             d = d->poll_next) {
            d->refs++; /* this poll's */
            batch[n++] = d;
        }
        mutex_unlock(&usbstor_state.lock);
        for (unsigned i = 0; i < n; i++) {
            poll_device(batch[i]);
            usbstor_put(batch[i]);
        }
    }
    return 0;
}

/* Put `d` on the poll list; the first device starts the thread. */
static void poll_list_add(struct usbstor_dev *d)
{
    mutex_lock(&usbstor_state.lock);
    d->polled = true;
    d->poll_next = usbstor_state.polled;
    usbstor_state.polled = d;
    bool start = !usbstor_state.poll_thread;
    usbstor_state.poll_thread = true;
    mutex_unlock(&usbstor_state.lock);
    if (start) {
        int rc = thread_create("usb-storage-poll", poll_thread, NULL, THREAD_PRIO_LOW, NULL);
        if (rc)
            pr_err("usb-storage: no media poll thread (%s)", err_name(rc));
    }
}

static void poll_list_remove(struct usbstor_dev *d)
{
    mutex_lock(&usbstor_state.lock);
    for (struct usbstor_dev **pp = &usbstor_state.polled; d->polled && *pp;
         pp = &(*pp)->poll_next) {
        if (*pp == d) {
            *pp = d->poll_next;
            d->polled = false;
            break;
        }
    }
    mutex_unlock(&usbstor_state.lock);
}

/* ---- probe -------------------------------------------------------------------------------- */

/* Lowest free usbhd index, or ERR_NOSPC. */
static int name_alloc(void)
{
    int idx = ERR_NOSPC;
    mutex_lock(&usbstor_state.lock);
    for (unsigned i = 0; i < USBSTOR_MAX_DISKS; i++) {
        if (!(usbstor_state.names_used[i / 32] & (1u << (i % 32)))) {
            usbstor_state.names_used[i / 32] |= 1u << (i % 32);
            idx = (int)i;
            break;
        }
    }
    mutex_unlock(&usbstor_state.lock);
    return idx;
}

/* Identify LUN `lun` and register it as disk usbhdN; returns true if it
 * is a removable one (to be polled). */
static bool unit_add(struct usbstor_dev *d, uint8_t lun)
{
    char name[MSC_NAME_BYTES];
    struct usbstor_unit *u = kzalloc(sizeof(*u));
    if (!u)
        return false;
    u->d = d;
    char path[USB_PATH_BYTES];
    usb_device_path(d->udev, path, sizeof(path)); /* "2" or, behind hubs, "5.1.2" */
    ksnprintf(name, sizeof(name), "%s.%s", d->udev->hc->name, path);
    msc_unit_init(&u->msc, &d->msc, lun, name);
    int rc = msc_unit_identify(&u->msc);
    if (rc) {
        if (rc != ERR_NODEV)
            pr_warn("usb-storage: %s: LUN %u not usable (%s)", name, lun, err_name(rc));
        kfree(u);
        return false;
    }
    int idx = name_alloc();
    if (idx < 0) {
        pr_warn("usb-storage: %s: no free usbhd name (%d in use)", name, USBSTOR_MAX_DISKS);
        kfree(u);
        return false;
    }
    u->index = (unsigned)idx;
    ksnprintf(u->msc.name, sizeof(u->msc.name), "usbhd%u", u->index);
    mutex_lock(&usbstor_state.lock);
    d->refs++; /* the unit's, dropped by close */
    d->units[lun] = u;
    mutex_unlock(&usbstor_state.lock);
    const struct msc_unit *m = &u->msc;
    if (m->removable && !m->media.present)
        pr_info("usb-storage: %s: \"%s %s %s\", LUN %u, %s, no medium", m->name, m->inq.vendor,
                m->inq.product, m->inq.revision, lun, m->is_cd ? "CD/DVD" : "removable");
    else
        pr_info("usb-storage: %s: \"%s %s %s\", LUN %u, %llu blocks of %lu bytes%s%s", m->name,
                m->inq.vendor, m->inq.product, m->inq.revision, lun,
                (unsigned long long)m->blocks, (unsigned long)m->block_bytes,
                m->is_cd ? ", CD/DVD" : m->removable ? ", removable" : "",
                m->readonly ? ", write-protected" : "");
    DISKFUNC *funcs = m->is_cd       ? &usbstor_cd_funcs
                      : m->removable ? &usbstor_removable_funcs
                                     : &usbstor_disk_funcs;
    u->disk = DiskAdd(funcs, u->msc.name, &u->msc, 0);
    if (!u->disk) { /* DiskAdd logged why; undo as close would */
        usbstor_disk_close(&u->msc);
        return false;
    }
    msc_unit_announce_initial(&u->msc, u->disk);
    return m->removable;
}

static int usbstor_probe(struct usb_device *dev, const struct usb_interface *iface)
{
    const struct usb_endpoint *in, *out;
    struct usbstor_dev *d;
    char where[MSC_WHERE_BYTES];
    int rc;

    /* 1. BOT with SCSI commands and two bulk endpoints. */
    if (iface->iface_class != USBSTOR_CLASS || iface->iface_subclass != USBSTOR_SUBCLASS_SCSI ||
        iface->iface_protocol != USBSTOR_PROTOCOL_BOT)
        return ERR_NODEV;
    in = usb_desc_find_endpoint(iface, USB_EP_BULK, true);
    out = usb_desc_find_endpoint(iface, USB_EP_BULK, false);
    char path[USB_PATH_BYTES];
    usb_device_path(dev, path, sizeof(path));
    if (!in || !out) {
        pr_warn("usb-storage: %s port %s: interface %u lacks bulk endpoints", dev->hc->name,
                path, iface->number);
        return ERR_NODEV;
    }
    /* 2. Device state and pipes. */
    d = kzalloc(sizeof(*d));
    if (!d)
        return ERR_NOMEM;
    ksnprintf(where, sizeof(where), "%s port %s", dev->hc->name, path);
    rc = msc_dev_init(&d->msc, &usbstor_transport, d, iface->number, where);
    if (rc) {
        kfree(d);
        return rc;
    }
    d->udev = dev;
    d->ep_in = in->address;
    d->ep_out = out->address;
    d->refs = 1; /* "plugged in", dropped by disconnect */
    mutex_init(&d->disk_lock, "usb-storage-disks");
    usb_device_get(dev);
    dev->driver_data = d;
    rc = usb_pipe_open(dev, in, &d->in);
    if (rc == 0)
        rc = usb_pipe_open(dev, out, &d->out);
    if (rc) {
        pr_warn("usb-storage: %s: cannot open bulk pipes (%s)", where, err_name(rc));
        dev->driver_data = NULL;
        usbstor_put(d);
        return rc;
    }
    /* 3. Each unit that is a disk with a medium, a removable disk or a
     *    CD/DVD unit becomes usbhdN; removable ones are polled from now on. */
    d->max_lun = msc_get_max_lun(&d->msc);
    bool poll = false;
    for (unsigned lun = 0; lun <= d->max_lun; lun++)
        poll |= unit_add(d, (uint8_t)lun);
    if (poll)
        poll_list_add(d);
    return 0;
}

static void usbstor_disconnect(struct usb_device *dev)
{
    struct usbstor_dev *d = dev->driver_data;
    void *disks[BOT_MAX_LUN + 1];
    unsigned n = 0;

    if (!d)
        return;
    /* 1. No more polls start; one under way finishes its announcements
     *    first (disk_lock), then sees `unplugged`. */
    poll_list_remove(d);
    mutex_lock(&d->disk_lock);
    d->unplugged = true;
    /* 2. Collect the disks under the state lock, delete them without it. */
    mutex_lock(&usbstor_state.lock);
    for (unsigned lun = 0; lun <= d->max_lun; lun++) {
        if (d->units[lun] && d->units[lun]->disk)
            disks[n++] = d->units[lun]->disk;
    }
    mutex_unlock(&usbstor_state.lock);
    for (unsigned i = 0; i < n; i++)
        DiskDel(disks[i]); /* close follows the last user and frees the unit */
    mutex_unlock(&d->disk_lock);
    usbstor_put(d); /* "plugged in" */
}

static void usbstor_describe(struct usb_device *dev, char *buf, size_t bytes)
{
    struct usbstor_dev *d = dev->driver_data;
    size_t off = 0;

    buf[0] = '\0';
    if (!d)
        return;
    mutex_lock(&usbstor_state.lock);
    for (unsigned lun = 0; lun <= d->max_lun && off + 1 < bytes; lun++) {
        if (d->units[lun])
            off += MIN((size_t)ksnprintf(buf + off, bytes - off, "%s%s", off ? "," : "",
                                         d->units[lun]->msc.name),
                       bytes - off - 1);
    }
    mutex_unlock(&usbstor_state.lock);
}

static const struct usb_driver usbstor_driver = {
    .name = "usb-storage",
    .probe = usbstor_probe,
    .disconnect = usbstor_disconnect,
    .describe = usbstor_describe,
};

void usb_storage_register(void)
{
    mutex_init(&usbstor_state.lock, "usb-storage-names");
    int rc = usb_driver_register(&usbstor_driver);
    if (rc)
        pr_err("usb-storage: cannot register (%s)", err_name(rc));
}
