// SPDX-License-Identifier: MIT
/* USB core: the controller and class-driver registries, enumeration of a
 * device on a root port or a hub port, the device tree and its unplug, the
 * hub thread that notices connect and disconnect on root ports and polls
 * the hub driver, device references, and the `usb` shell command. The
 * contract is in usb.h.
 * Enumeration (USB 2.0 §9.1.2): port reset (HCD, or the hub driver) -> 8
 * bytes of the device descriptor at address 0 (endpoint 0 max packet) ->
 * SET_ADDRESS -> 2 ms -> device descriptor -> configuration (9 bytes, then
 * wTotalLength) -> product string -> SET_CONFIGURATION -> offer each
 * interface to the class drivers. A device that fails enumeration is left
 * alone until its port reports another connect change.
 * Locking: usb_state.lock (mutex, "the core lock") guards the registries,
 * the port tables (usb_hc.port_dev, usb_device.child) and enumeration;
 * device references use usb_state.ref_lock (spinlock).
 * Order: usb_state.lock -> HCD lock. */
#include "drivers/usb/usb.h"
#include "drivers/usb/defs.h"
#include "drivers/usb/ehci.h"
#include "drivers/usb/lib/hub.h"
#include "drivers/usb/ohci.h"
#include "drivers/usb/uhci.h"
#include "drivers/usb/usb_hub.h"
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
#define USB_LINE_BYTES 160

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
    struct usb_device *parent = dev->parent;
    if (dev->ep0) /* the last reference: nobody can be using ep0 */
        dev->hc->ops->pipe_close(dev->hc, dev->ep0);
    kfree(dev);
    if (parent) /* a hub outlives its children's slots and pipes */
        usb_device_put(parent);
}

void usb_device_path(const struct usb_device *dev, char *buf, size_t bytes)
{
    const struct usb_device *chain[USB_HUB_MAX_DEPTH + 1];
    unsigned n = 0;
    size_t at = 0;

    if (bytes == 0)
        return;
    buf[0] = '\0';
    for (const struct usb_device *d = dev; d && n < ARRAY_SIZE(chain); d = d->parent)
        chain[n++] = d;
    for (unsigned i = n; i-- > 0;) {
        int w = ksnprintf(buf + at, bytes - at, i + 1 == n ? "%u" : ".%u", chain[i]->port + 1);
        if (w < 0 || (size_t)w >= bytes - at)
            break;
        at += (size_t)w;
    }
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
    char where[USB_PATH_BYTES];
    uint8_t head[8];
    uint32_t got = 0;
    int rc;

    /* 1. First 8 bytes of the device descriptor: bMaxPacketSize0. */
    usb_device_path(dev, where, sizeof(where));
    rc = get_descriptor(dev, USB_DT_DEVICE, 0, 0, head, sizeof(head), &got);
    if (rc || got < 8 || head[1] != USB_DT_DEVICE) {
        pr_warn("usb: %s: port %s: no device descriptor at address 0 (%s, %lu bytes)",
                dev->hc->name, where, err_name(rc ? rc : ERR_CORRUPT), (unsigned long)got);
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
        pr_warn("usb: %s: port %s: SET_ADDRESS %d failed (%s)", dev->hc->name, where, addr,
                err_name(rc));
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

/* Place `dev` (speed set) on port `port` of `parent` (NULL: a root port):
 * route string, depth and the transaction translator serving it (USB 2.0
 * §11.14: a low/full-speed device behind a high-speed hub talks through
 * that hub's TT; behind a full-speed hub it inherits its hub's). Takes a
 * reference on the parent. Returns 0; ERR_RANGE (too deep). */
static int place_locked(struct usb_device *dev, struct usb_device *parent, unsigned port)
{
    dev->parent = NULL;
    dev->port = port;
    if (!parent) {
        dev->root_port = (uint8_t)port;
        return 0;
    }
    int rc = hub_route_string(parent->route, parent->depth, port + 1, &dev->route);
    if (rc)
        return rc;
    dev->root_port = parent->root_port;
    dev->depth = (uint8_t)(parent->depth + 1);
    if (dev->speed == USB_SPEED_LOW || dev->speed == USB_SPEED_FULL) {
        if (parent->speed == USB_SPEED_HIGH) {
            dev->tt_hub = parent;
            dev->tt_port = (uint8_t)(port + 1);
        } else {
            dev->tt_hub = parent->tt_hub;
            dev->tt_port = parent->tt_port;
        }
    }
    usb_device_get(parent);
    dev->parent = parent; /* dropped by the device's last put */
    return 0;
}

/* Enumerate the device that runs at `speed` on port `port` of `parent`
 * (NULL: root port `port` of `hc`), reset already done:
 * 1. A device at address 0 in its place in the tree, with a default pipe.
 * 2. Address, configure; on failure undo and return the error (logged).
 * 3. Publish it in its port table, then offer it to the class drivers
 *    (a hub's probe enumerates what is behind it, recursively).
 * Returns 0 or an ERR_*. */
static int device_attach_locked(struct usb_hc *hc, struct usb_device *parent, unsigned port,
                                enum usb_speed speed)
{
    char where[USB_PATH_BYTES];
    struct usb_device *dev;
    int rc;

    /* 1. The device at address 0 with a default pipe. */
    dev = kzalloc(sizeof(*dev));
    if (!dev)
        return ERR_NOMEM;
    dev->hc = hc;
    dev->speed = speed;
    dev->max_packet0 = speed == USB_SPEED_LOW ? 8 : speed == USB_SPEED_SUPER ? 512 : 64;
    dev->refs = 1; /* the core's, dropped on disconnect */
    rc = place_locked(dev, parent, port);
    usb_device_path(dev, where, sizeof(where));
    if (rc == 0)
        rc = hc->ops->pipe_open(hc, dev, NULL, &dev->ep0);
    /* 2. Address, configure. */
    if (rc == 0)
        rc = set_address_locked(dev);
    if (rc == 0)
        rc = configure_locked(dev);
    if (rc) {
        pr_warn("usb: %s: port %s: enumeration failed (%s)", hc->name, where, err_name(rc));
        free_address_locked(hc, dev->address);
        dev->gone = true;
        usb_device_put(dev);
        return rc;
    }
    /* 3. Publish, bind. */
    if (parent)
        parent->child[port] = dev;
    else
        hc->port_dev[port] = dev;
    pr_info("usb: %s: port %s: %04x:%04x %s speed, class %02x, address %u, \"%s\"", hc->name,
            where, dev->desc.vendor_id, dev->desc.product_id, usb_speed_name(dev->speed),
            dev->config.num_interfaces ? dev->config.iface[0].iface_class : dev->desc.dev_class,
            dev->address, dev->product);
    bind_locked(dev);
    if (!dev->driver)
        pr_info("usb: %s: port %s: no driver for this device", hc->name, where);
    return 0;
}

static void root_enumerate_locked(struct usb_hc *hc, unsigned hc_index, unsigned port)
{
    enum usb_speed speed;

    /* The HCD resets the port and says how fast the device is. */
    int rc = hc->ops->port_reset(hc, port, &speed);
    if (rc) {
        if (rc != ERR_NODEV)
            pr_warn("usb: %s: port %u: reset failed (%s)", hc->name, port + 1, err_name(rc));
        usb_state.port_failed[hc_index] |= (uint16_t)(1u << port);
        return;
    }
    if (device_attach_locked(hc, NULL, port, speed))
        usb_state.port_failed[hc_index] |= (uint16_t)(1u << port);
}

static void mark_gone_locked(struct usb_device *dev)
{
    dev->gone = true; /* from here on its transfers fail with ERR_NODEV */
    for (unsigned p = 0; p < USB_MAX_PORTS; p++) {
        if (dev->child[p])
            mark_gone_locked(dev->child[p]);
    }
}

/* `dev` left its port (already cleared in the port table): the devices
 * behind it go first, then its class driver lets go, then the core's
 * reference. Recursion is bounded by USB_HUB_MAX_DEPTH. */
static void unplug_locked(struct usb_device *dev)
{
    char where[USB_PATH_BYTES];

    mark_gone_locked(dev);
    for (unsigned p = 0; p < USB_MAX_PORTS; p++) {
        struct usb_device *c = dev->child[p];
        if (c) {
            dev->child[p] = NULL;
            unplug_locked(c);
        }
    }
    usb_device_path(dev, where, sizeof(where));
    pr_info("usb: %s: port %s: %04x:%04x disconnected", dev->hc->name, where,
            dev->desc.vendor_id, dev->desc.product_id);
    if (dev->driver && dev->driver->disconnect)
        dev->driver->disconnect(dev);
    free_address_locked(dev->hc, dev->address);
    usb_device_put(dev); /* the core's reference */
}

static void disconnect_locked(struct usb_hc *hc, unsigned port)
{
    struct usb_device *dev = hc->port_dev[port];

    hc->port_dev[port] = NULL;
    unplug_locked(dev);
}

int usb_hub_attach_locked(struct usb_device *hub, unsigned port, enum usb_speed speed)
{
    lock_assert_held(&usb_state.lock);
    if (port >= hub->hub_ports || port >= USB_MAX_PORTS || hub->depth >= USB_HUB_MAX_DEPTH)
        return ERR_RANGE;
    if (hub->gone)
        return ERR_NODEV;
    if (hub->child[port])
        return ERR_BUSY;
    return device_attach_locked(hub->hc, hub, port, speed);
}

void usb_hub_detach_locked(struct usb_device *hub, unsigned port)
{
    lock_assert_held(&usb_state.lock);
    if (port >= USB_MAX_PORTS || !hub->child[port])
        return;
    struct usb_device *c = hub->child[port];
    hub->child[port] = NULL;
    unplug_locked(c);
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
            root_enumerate_locked(hc, i, port);
    }
}

/* Let the class drivers with a poll() (hubs) look at `dev`, then at what
 * is behind it; a poll may have unplugged children, so child[] is read
 * after it. */
static void poll_tree_locked(struct usb_device *dev)
{
    if (dev->gone)
        return;
    if (dev->driver && dev->driver->poll)
        dev->driver->poll(dev);
    for (unsigned p = 0; p < USB_MAX_PORTS; p++) {
        if (dev->child[p])
            poll_tree_locked(dev->child[p]);
    }
}

static int hub_thread(void *arg)
{
    (void)arg;
    for (;;) {
        sleep_ms(USB_POLL_MS);
        mutex_lock(&usb_state.lock);
        for (unsigned i = 0; i < usb_state.hc_count; i++) {
            struct usb_hc *hc = usb_state.hcs[i];
            scan_ports_locked(i);
            for (unsigned port = 0; port < hc->num_ports; port++) {
                if (hc->port_dev[port])
                    poll_tree_locked(hc->port_dev[port]);
            }
        }
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

/* One line for the device on a port, then (a hub) one per port of its own,
 * indented by tier. */
static void print_device_locked(struct usb_device *dev)
{
    char line[USB_LINE_BYTES], where[USB_PATH_BYTES];
    const struct usb_interface *f = dev->config.num_interfaces ? &dev->config.iface[0] : NULL;
    unsigned indent = 2 + 2 * dev->depth;

    usb_device_path(dev, where, sizeof(where));
    line[0] = '\0';
    if (dev->driver && dev->driver->describe)
        dev->driver->describe(dev, line, sizeof(line));
    kprintf("%*sport %s: %04x:%04x %s speed, address %u, class %02x/%02x/%02x, "
            "driver %s%s%s, \"%s\"\n",
            (int)indent, "", where, dev->desc.vendor_id, dev->desc.product_id,
            usb_speed_name(dev->speed), dev->address, f ? f->iface_class : 0,
            f ? f->iface_subclass : 0, f ? f->iface_protocol : 0,
            dev->driver ? dev->driver->name : "none", line[0] ? " " : "", line, dev->product);
    for (unsigned p = 0; p < dev->hub_ports && p < USB_MAX_PORTS; p++) {
        if (dev->child[p]) {
            print_device_locked(dev->child[p]);
            continue;
        }
        kprintf("%*sport %s.%u: %s\n", (int)indent + 2, "", where, p + 1,
                dev->hub_port_failed & (1u << p) ? "not usable" : "empty");
    }
}

static int cmd_usb(int argc, char **argv)
{
    char line[USB_LINE_BYTES];

    (void)argv;
    if (argc != 1)
        return shell_error("usage: usb");
    /* One line per controller, then the tree from each root port: the
     * device with its class, driver and disks, or "empty" / "not usable";
     * behind a hub its ports, "port 1.3", indented one step more. */
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
            if (dev)
                print_device_locked(dev);
            else
                kprintf("  port %u: %s\n", port + 1,
                        usb_state.port_failed[i] & (1u << port) ? "not usable" : "empty");
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
    usb_hub_register();
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
