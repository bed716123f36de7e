// SPDX-License-Identifier: MIT
/* USB core: the controller and class-driver registries, enumeration of a
 * device on a root port, the hub thread that notices connect and
 * disconnect, device references, and the `usb` shell command. The
 * contract is in usb.h.
 * Enumeration (USB 2.0 §9.1.2): port reset (HCD) -> 8 bytes of the device
 * descriptor at address 0 (endpoint 0 max packet) -> SET_ADDRESS -> 2 ms
 * -> device descriptor -> configuration (9 bytes, then wTotalLength) ->
 * product string -> SET_CONFIGURATION -> offer each interface to the class
 * drivers. A device that fails enumeration is left alone until its port
 * reports another connect change.
 * Locking: usb_state.lock (mutex) guards the registries, the port tables
 * and enumeration; device references use usb_state.ref_lock (spinlock).
 * Order: usb_state.lock -> HCD lock. */
#include "drivers/usb/usb.h"
#include "drivers/usb/defs.h"
#include "drivers/usb/ehci.h"
#include "drivers/usb/ohci.h"
#include "drivers/usb/uhci.h"
#include "drivers/usb/xhci.h"
#include "drivers/usb/usb_storage.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/thread.h"
#include "kernel/time.h"

#define USB_LANG_EN_US 0x0409
#define USB_STRING_MAX_BYTES 255

static struct {
    struct mutex lock;              /* everything below but refs */
    struct spinlock ref_lock;       /* usb_device.refs */
    struct usb_hc *hcs[USB_MAX_HCS];
    uint16_t port_failed[USB_MAX_HCS]; /* enumeration failed; retry on a change */
    unsigned hc_count;
    const struct usb_driver *drivers[USB_MAX_DRIVERS];
    unsigned driver_count;
    bool ready;                     /* locks initialised */
} usb_state;

const char *usb_speed_name(enum usb_speed speed)
{
    switch (speed) {
    case USB_SPEED_LOW:
        return "low";
    case USB_SPEED_FULL:
        return "full";
    case USB_SPEED_SUPER:
        return "super";
    default:
        return "high";
    }
}

static void core_ready(void)
{
    if (!usb_state.ready) {
        mutex_init(&usb_state.lock, "usb");
        spin_init(&usb_state.ref_lock, "usb-ref");
        usb_state.ready = true;
    }
}

/* ---- references and transfers -------------------------------------------------------- */

void usb_device_get(struct usb_device *dev)
{
    spin_lock(&usb_state.ref_lock);
    dev->refs++;
    spin_unlock(&usb_state.ref_lock);
}

void usb_device_put(struct usb_device *dev)
{
    spin_lock(&usb_state.ref_lock);
    int left = --dev->refs;
    spin_unlock(&usb_state.ref_lock);
    if (left > 0)
        return;
    if (dev->ep0) /* the last reference: nobody can be using ep0 */
        dev->hc->ops->pipe_close(dev->hc, dev->ep0);
    kfree(dev);
}

int usb_control(struct usb_device *dev, const struct usb_setup *setup, void *data,
                uint32_t *moved)
{
    uint32_t got = 0;
    if (dev->gone)
        return ERR_NODEV;
    int rc = dev->hc->ops->control(dev->hc, dev->ep0, setup, data, &got, USB_CTRL_TIMEOUT_MS);
    if (moved)
        *moved = got;
    return rc;
}

int usb_pipe_open(struct usb_device *dev, const struct usb_endpoint *ep,
                  struct usb_pipe **out)
{
    *out = NULL;
    if (dev->gone)
        return ERR_NODEV;
    return dev->hc->ops->pipe_open(dev->hc, dev, ep, out);
}

void usb_pipe_close(struct usb_device *dev, struct usb_pipe *pipe)
{
    if (pipe)
        dev->hc->ops->pipe_close(dev->hc, pipe);
}

int usb_bulk(struct usb_device *dev, struct usb_pipe *pipe, void *data, uint32_t bytes,
             uint32_t *moved, bool *stalled, uint32_t timeout_ms)
{
    *moved = 0;
    *stalled = false;
    if (dev->gone)
        return ERR_NODEV;
    return dev->hc->ops->bulk(dev->hc, pipe, data, bytes, moved, stalled, timeout_ms);
}

int usb_clear_halt(struct usb_device *dev, uint8_t ep_addr, struct usb_pipe *pipe)
{
    struct usb_setup s = {
        .request_type = USB_RT_ENDPOINT, .request = USB_REQ_CLEAR_FEATURE,
        .value = USB_FEATURE_ENDPOINT_HALT, .index = ep_addr,
    };
    int rc = usb_control(dev, &s, NULL, NULL);
    if (rc == 0) /* USB 2.0 §9.4.5: the endpoint's toggle is DATA0 again */
        dev->hc->ops->pipe_reset_toggle(dev->hc, pipe);
    return rc;
}

/* ---- enumeration (usb_state.lock held) ----------------------------------------------- */

static int get_descriptor(struct usb_device *dev, uint8_t type, uint8_t index, uint16_t lang,
                          void *buf, uint16_t bytes, uint32_t *moved)
{
    struct usb_setup s = {
        .request_type = USB_RT_IN, .request = USB_REQ_GET_DESCRIPTOR,
        .value = (uint16_t)(type << 8 | index), .index = lang, .length = bytes,
    };
    return usb_control(dev, &s, buf, moved);
}

static int alloc_address_locked(struct usb_hc *hc)
{
    for (unsigned a = 1; a < 128; a++) {
        if (!(hc->addr_used[a / 32] & (1u << (a % 32)))) {
            hc->addr_used[a / 32] |= 1u << (a % 32);
            return (int)a;
        }
    }
    return ERR_NOSPC;
}

static void free_address_locked(struct usb_hc *hc, uint8_t a)
{
    if (a && !hc->ops->set_address)
        hc->addr_used[a / 32] &= ~(1u << (a % 32));
}

/* Address the device at address 0 and reopen ep0 for the new address. */
static int set_address_locked(struct usb_device *dev)
{
    uint8_t head[8];
    uint32_t got = 0;
    int rc;

    /* 1. First 8 bytes of the device descriptor: bMaxPacketSize0. */
    rc = get_descriptor(dev, USB_DT_DEVICE, 0, 0, head, sizeof(head), &got);
    if (rc || got < 8 || head[1] != USB_DT_DEVICE) {
        pr_warn("usb: %s: port %u: no device descriptor at address 0 (%s, %lu bytes)",
                dev->hc->name, dev->port + 1, err_name(rc ? rc : ERR_CORRUPT),
                (unsigned long)got);
        return rc ? rc : ERR_CORRUPT;
    }
    if (head[7] == 8 || head[7] == 16 || head[7] == 32 || head[7] == 64)
        dev->max_packet0 = head[7];
    else if (head[7] == 9 && le16_at(head, 2) >= 0x0300)
        dev->max_packet0 = 512; /* USB 3: 2^9 (USB 3.2 §9.6.1) */
    /* 2. The controller addresses the device itself (xHCI), or: */
    if (dev->hc->ops->set_address)
        return dev->hc->ops->set_address(dev->hc, dev, &dev->address);
    /* 3. SET_ADDRESS, recovery time, new ep0 pipe. */
    int addr = alloc_address_locked(dev->hc);
    if (addr < 0)
        return addr;
    struct usb_setup s = { .request = USB_REQ_SET_ADDRESS, .value = (uint16_t)addr };
    rc = usb_control(dev, &s, NULL, NULL);
    if (rc) {
        free_address_locked(dev->hc, (uint8_t)addr);
        pr_warn("usb: %s: port %u: SET_ADDRESS %d failed (%s)", dev->hc->name, dev->port + 1,
                addr, err_name(rc));
        return rc;
    }
    sleep_ms(USB_SET_ADDRESS_RECOVERY_MS);
    dev->hc->ops->pipe_close(dev->hc, dev->ep0);
    dev->ep0 = NULL;
    dev->address = (uint8_t)addr;
    return dev->hc->ops->pipe_open(dev->hc, dev, NULL, &dev->ep0);
}

/* Device descriptor, configuration, product string; SET_CONFIGURATION. */
static int configure_locked(struct usb_device *dev)
{
    uint8_t ddesc[USB_DEVICE_DESC_BYTES];
    uint8_t *cbuf = NULL;
    uint16_t total;
    uint32_t got = 0;
    int rc;

    /* 1. Device descriptor. */
    rc = get_descriptor(dev, USB_DT_DEVICE, 0, 0, ddesc, sizeof(ddesc), &got);
    if (rc == 0)
        rc = usb_desc_parse_device(ddesc, got, &dev->desc);
    if (rc)
        return rc;
    /* 2. Configuration 0: header for wTotalLength, then all of it. */
    cbuf = kmalloc(USB_CONFIG_MAX_BYTES);
    if (!cbuf)
        return ERR_NOMEM;
    rc = get_descriptor(dev, USB_DT_CONFIG, 0, 0, cbuf, USB_CONFIG_DESC_BYTES, &got);
    if (rc == 0)
        rc = usb_desc_config_total(cbuf, got, &total);
    if (rc == 0)
        rc = get_descriptor(dev, USB_DT_CONFIG, 0, 0, cbuf, total, &got);
    if (rc == 0)
        rc = usb_desc_parse_config(cbuf, got, &dev->config);
    /* 3. Product string (cosmetic: failures are ignored). */
    if (rc == 0 && dev->desc.i_product) {
        if (get_descriptor(dev, USB_DT_STRING, dev->desc.i_product, USB_LANG_EN_US, cbuf,
                           USB_STRING_MAX_BYTES, &got) == 0)
            (void)usb_desc_parse_string(cbuf, got, dev->product, sizeof(dev->product));
    }
    kfree(cbuf);
    if (rc)
        return rc;
    /* 4. SET_CONFIGURATION: the device is configured (USB 2.0 §9.4.7). */
    struct usb_setup s = { .request = USB_REQ_SET_CONFIGURATION, .value = dev->config.value };
    return usb_control(dev, &s, NULL, NULL);
}

/* Offer each interface to each class driver until one claims it. */
static void bind_locked(struct usb_device *dev)
{
    for (unsigned i = 0; i < dev->config.num_interfaces && !dev->driver; i++) {
        for (unsigned d = 0; d < usb_state.driver_count; d++) {
            const struct usb_driver *drv = usb_state.drivers[d];
            if (drv->probe(dev, &dev->config.iface[i]) == 0) {
                dev->driver = drv;
                break;
            }
        }
    }
}

static void enumerate_locked(struct usb_hc *hc, unsigned hc_index, unsigned port)
{
    enum usb_speed speed;
    struct usb_device *dev;
    int rc;

    /* 1. Reset the port; the HCD says how fast the device is. */
    rc = hc->ops->port_reset(hc, port, &speed);
    if (rc) {
        if (rc != ERR_NODEV)
            pr_warn("usb: %s: port %u: reset failed (%s)", hc->name, port + 1, err_name(rc));
        usb_state.port_failed[hc_index] |= (uint16_t)(1u << port);
        return;
    }
    /* 2. The device at address 0 with a default pipe. */
    dev = kzalloc(sizeof(*dev));
    if (!dev)
        return;
    dev->hc = hc;
    dev->port = port;
    dev->speed = speed;
    dev->max_packet0 = speed == USB_SPEED_LOW ? 8 : speed == USB_SPEED_SUPER ? 512 : 64;
    dev->refs = 1; /* the core's, dropped on disconnect */
    rc = hc->ops->pipe_open(hc, dev, NULL, &dev->ep0);
    /* 3. Address, configure, bind. */
    if (rc == 0)
        rc = set_address_locked(dev);
    if (rc == 0)
        rc = configure_locked(dev);
    if (rc) {
        pr_warn("usb: %s: port %u: enumeration failed (%s)", hc->name, port + 1, err_name(rc));
        usb_state.port_failed[hc_index] |= (uint16_t)(1u << port);
        free_address_locked(hc, dev->address);
        dev->gone = true;
        usb_device_put(dev);
        return;
    }
    hc->port_dev[port] = dev;
    pr_info("usb: %s: port %u: %04x:%04x %s speed, class %02x, address %u, \"%s\"", hc->name,
            port + 1, dev->desc.vendor_id, dev->desc.product_id, usb_speed_name(dev->speed),
            dev->config.num_interfaces ? dev->config.iface[0].iface_class : dev->desc.dev_class,
            dev->address, dev->product);
    bind_locked(dev);
    if (!dev->driver)
        pr_info("usb: %s: port %u: no driver for this device", hc->name, port + 1);
}

static void disconnect_locked(struct usb_hc *hc, unsigned port)
{
    struct usb_device *dev = hc->port_dev[port];

    hc->port_dev[port] = NULL;
    dev->gone = true; /* from here on its transfers fail with ERR_NODEV */
    pr_info("usb: %s: port %u: %04x:%04x disconnected", hc->name, port + 1,
            dev->desc.vendor_id, dev->desc.product_id);
    if (dev->driver && dev->driver->disconnect)
        dev->driver->disconnect(dev);
    free_address_locked(hc, dev->address);
    usb_device_put(dev); /* the core's reference */
}

/* One pass over the ports of controller `i`. */
static void scan_ports_locked(unsigned i)
{
    struct usb_hc *hc = usb_state.hcs[i];

    for (unsigned port = 0; port < hc->num_ports; port++) {
        bool connected, changed;
        hc->ops->port_status(hc, port, &connected, &changed);
        if (changed)
            usb_state.port_failed[i] &= (uint16_t)~(1u << port);
        if (hc->port_dev[port] && (changed || !connected))
            disconnect_locked(hc, port);
        if (connected && !hc->port_dev[port] && !(usb_state.port_failed[i] & (1u << port)))
            enumerate_locked(hc, i, port);
    }
}

static int hub_thread(void *arg)
{
    (void)arg;
    for (;;) {
        sleep_ms(USB_POLL_MS);
        mutex_lock(&usb_state.lock);
        for (unsigned i = 0; i < usb_state.hc_count; i++)
            scan_ports_locked(i);
        mutex_unlock(&usb_state.lock);
    }
    return 0;
}

/* ---- registration -------------------------------------------------------------------- */

int usb_driver_register(const struct usb_driver *drv)
{
    core_ready();
    mutex_lock(&usb_state.lock);
    if (usb_state.driver_count >= USB_MAX_DRIVERS) {
        mutex_unlock(&usb_state.lock);
        return ERR_NOSPC;
    }
    usb_state.drivers[usb_state.driver_count++] = drv;
    mutex_unlock(&usb_state.lock);
    return 0;
}

int usb_hc_register(struct usb_hc *hc)
{
    core_ready();
    mutex_lock(&usb_state.lock);
    if (usb_state.hc_count >= USB_MAX_HCS) {
        mutex_unlock(&usb_state.lock);
        return ERR_NOSPC;
    }
    if (hc->num_ports > USB_MAX_PORTS)
        hc->num_ports = USB_MAX_PORTS;
    unsigned i = usb_state.hc_count++;
    usb_state.hcs[i] = hc;
    scan_ports_locked(i);
    mutex_unlock(&usb_state.lock);
    return 0;
}

/* ---- shell --------------------------------------------------------------------------- */

static int cmd_usb(int argc, char **argv)
{
    char line[160];

    (void)argv;
    if (argc != 1)
        return shell_error("usage: usb");
    /* One line per controller, then one per root port: the device with its
     * class, driver and disks, or "empty" / "not usable". */
    core_ready();
    mutex_lock(&usb_state.lock);
    if (usb_state.hc_count == 0)
        kprintf("no USB host controllers\n");
    for (unsigned i = 0; i < usb_state.hc_count; i++) {
        struct usb_hc *hc = usb_state.hcs[i];
        hc->ops->describe(hc, line, sizeof(line));
        kprintf("%s: %s\n", hc->name, line);
        for (unsigned port = 0; port < hc->num_ports; port++) {
            struct usb_device *dev = hc->port_dev[port];
            if (!dev) {
                kprintf("  port %u: %s\n", port + 1,
                        usb_state.port_failed[i] & (1u << port) ? "not usable" : "empty");
                continue;
            }
            const struct usb_interface *f = dev->config.num_interfaces ? &dev->config.iface[0]
                                                                        : NULL;
            line[0] = '\0';
            if (dev->driver && dev->driver->describe)
                dev->driver->describe(dev, line, sizeof(line));
            kprintf("  port %u: %04x:%04x %s speed, address %u, class %02x/%02x/%02x, "
                    "driver %s%s%s, \"%s\"\n",
                    port + 1, dev->desc.vendor_id, dev->desc.product_id,
                    usb_speed_name(dev->speed), dev->address, f ? f->iface_class : 0,
                    f ? f->iface_subclass : 0, f ? f->iface_protocol : 0,
                    dev->driver ? dev->driver->name : "none", line[0] ? " " : "", line,
                    dev->product);
        }
    }
    mutex_unlock(&usb_state.lock);
    return 0;
}

static const struct shell_cmd usb_cmds[] = {
    { "usb", "", "list USB controllers, ports and devices", cmd_usb },
};

void usb_init(void)
{
    core_ready();
    shell_register(usb_cmds, ARRAY_SIZE(usb_cmds));
    usb_storage_register();
    /* All probe now, and devices present at boot are enumerated. EHCI
     * before UHCI and OHCI: it takes the high-speed devices before its
     * companions see them. */
    ehci_register();
    uhci_register();
    ohci_register();
    xhci_register();
    int rc = thread_create("usb-hub", hub_thread, NULL, THREAD_PRIO_NORMAL, NULL);
    if (rc)
        pr_err("usb: cannot start the hub thread (%s); no hot plug", err_name(rc));
}
