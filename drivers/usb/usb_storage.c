// SPDX-License-Identifier: MIT
/* USB mass storage: the kernel glue between the USB core, the class logic
 * in lib/usb_msc.c and the block layer; contract in usb_storage.h. Per
 * claimed interface one struct usbstor_dev (the USB device, its bulk pipes
 * and the msc_transport_ops over usb_bulk/usb_control/usb_clear_halt);
 * per registered logical unit one struct usbstor_unit (the lib's unit,
 * its usbhdN index and the DiskAdd handle). Lifetime: usbstor_dev.refs
 * counts "still plugged in" plus one per unit whose disk is not closed
 * yet; the last usbstor_put closes the pipes and drops the USB device
 * reference.
 * Locking: usbstor_state.lock (names, refs, unit table) is never held
 * across a transfer or a DiskAdd/DiskDel; commands serialize on the lib's
 * msc_dev.lock. */
#include "drivers/usb/usb_storage.h"
#include "blkdev/diskfunc.h"
#include "drivers/usb/lib/usb_msc.h"
#include "drivers/usb/usb.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

#define USBSTOR_CLASS 0x08
#define USBSTOR_SUBCLASS_SCSI 0x06
#define USBSTOR_PROTOCOL_BOT 0x50
#define USBSTOR_MAX_DISKS 128       /* usbhd0..usbhd127, like usbstor's bitmap */

struct usbstor_unit;

struct usbstor_dev {
    struct msc_dev msc;           /* class logic state; msc.ctx = this */
    struct usb_device *udev;      /* holds a reference */
    struct usb_pipe *in, *out;    /* bulk pipes */
    uint8_t ep_in, ep_out;        /* endpoint addresses, for CLEAR_FEATURE */
    uint8_t max_lun;              /* GET MAX LUN, capped at BOT_MAX_LUN */
    struct usbstor_unit *units[BOT_MAX_LUN + 1]; /* registered units (usbstor_state.lock) */
    int refs;                     /* see the file header (usbstor_state.lock) */
};

struct usbstor_unit {
    struct msc_unit msc;          /* the disk's userdata is &msc */
    struct usbstor_dev *d;
    unsigned index;               /* N of usbhdN */
    void *disk;                   /* DiskAdd handle */
};

static struct {
    struct mutex lock;            /* names, usbstor_dev.refs and units */
    uint32_t names_used[USBSTOR_MAX_DISKS / 32];
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

static DISKFUNC usbstor_disk_funcs = {
    .strucsize = sizeof(DISKFUNC),
    .close = usbstor_disk_close,
    .querymedia = msc_disk_querymedia,
    .read = msc_disk_read,
    .write = msc_disk_write,
    .flush = msc_disk_flush,
};

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

/* Identify LUN `lun` and register it as disk usbhdN. */
static void unit_add(struct usbstor_dev *d, uint8_t lun)
{
    char name[MSC_NAME_BYTES];
    struct usbstor_unit *u = kzalloc(sizeof(*u));
    if (!u)
        return;
    u->d = d;
    ksnprintf(name, sizeof(name), "%s.%u", d->udev->hc->name, d->udev->port + 1);
    msc_unit_init(&u->msc, &d->msc, lun, name);
    int rc = msc_unit_identify(&u->msc);
    if (rc) {
        if (rc != ERR_NODEV)
            pr_warn("usb-storage: %s: LUN %u not usable (%s)", name, lun, err_name(rc));
        kfree(u);
        return;
    }
    int idx = name_alloc();
    if (idx < 0) {
        pr_warn("usb-storage: %s: no free usbhd name (%d in use)", name, USBSTOR_MAX_DISKS);
        kfree(u);
        return;
    }
    u->index = (unsigned)idx;
    ksnprintf(u->msc.name, sizeof(u->msc.name), "usbhd%u", u->index);
    mutex_lock(&usbstor_state.lock);
    d->refs++; /* the unit's, dropped by close */
    d->units[lun] = u;
    mutex_unlock(&usbstor_state.lock);
    const struct msc_unit *m = &u->msc;
    pr_info("usb-storage: %s: \"%s %s %s\", LUN %u, %llu blocks of %lu bytes%s%s", m->name,
            m->inq.vendor, m->inq.product, m->inq.revision, lun, (unsigned long long)m->blocks,
            (unsigned long)m->block_bytes, m->inq.removable ? ", removable" : "",
            m->readonly ? ", write-protected" : "");
    u->disk = DiskAdd(&usbstor_disk_funcs, u->msc.name, &u->msc, 0);
    if (!u->disk) { /* DiskAdd logged why; undo as close would */
        usbstor_disk_close(&u->msc);
        return;
    }
    DiskMediaChanged(u->disk, 1);
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
    if (!in || !out) {
        pr_warn("usb-storage: %s port %u: interface %u lacks bulk endpoints", dev->hc->name,
                dev->port + 1, iface->number);
        return ERR_NODEV;
    }
    /* 2. Device state and pipes. */
    d = kzalloc(sizeof(*d));
    if (!d)
        return ERR_NOMEM;
    ksnprintf(where, sizeof(where), "%s port %u", dev->hc->name, dev->port + 1);
    rc = msc_dev_init(&d->msc, &usbstor_transport, d, iface->number, where);
    if (rc) {
        kfree(d);
        return rc;
    }
    d->udev = dev;
    d->ep_in = in->address;
    d->ep_out = out->address;
    d->refs = 1; /* "plugged in", dropped by disconnect */
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
    /* 3. Each unit that is a disk with a medium becomes usbhdN. */
    d->max_lun = msc_get_max_lun(&d->msc);
    for (unsigned lun = 0; lun <= d->max_lun; lun++)
        unit_add(d, (uint8_t)lun);
    return 0;
}

static void usbstor_disconnect(struct usb_device *dev)
{
    struct usbstor_dev *d = dev->driver_data;
    void *disks[BOT_MAX_LUN + 1];
    unsigned n = 0;

    if (!d)
        return;
    /* Collect the disks under the lock, delete them without it. */
    mutex_lock(&usbstor_state.lock);
    for (unsigned lun = 0; lun <= d->max_lun; lun++) {
        if (d->units[lun] && d->units[lun]->disk)
            disks[n++] = d->units[lun]->disk;
    }
    mutex_unlock(&usbstor_state.lock);
    for (unsigned i = 0; i < n; i++)
        DiskDel(disks[i]); /* close follows the last user and frees the unit */
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
