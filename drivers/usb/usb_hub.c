// SPDX-License-Identifier: MIT
/* USB hub class driver: probe (descriptor, power), the port poll and the
 * connect sequence (debounce, reset, speed, enumerate); contract in
 * usb_hub.h, decoding in lib/hub.c. Per hub one struct usb_hub in
 * dev->driver_data; the children live in the core's tree (dev->child[]).
 * Locking: everything here runs with the USB core lock held (probe and
 * poll are called under it), which also keeps one device at a time at
 * address 0. Transfers go through usb_control() on the hub's ep0. */
#include "drivers/usb/usb_hub.h"
#include "drivers/usb/defs.h"
#include "drivers/usb/lib/hub.h"
#include "drivers/usb/usb.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/time.h"

/* A hub descriptor is at most 7 + 2 * 32 bytes (255 ports, §11.23.2.1). */
#define HUB_DESC_MAX_BYTES 71
/* Port reset: the hub drives it for 10-20 ms (§11.5.1.5); we give up
 * after 500 ms and look every 10 ms. */
#define HUB_RESET_TIMEOUT_MS 500
#define HUB_RESET_POLL_MS 10
/* hub_where(): "xhci0 port 15.15.15.15.15" and a NUL fit easily. */
#define HUB_WHERE_BYTES (USB_NAME_BYTES + 6 + USB_PATH_BYTES)

_Static_assert(HUB_MAX_PORTS <= USB_MAX_PORTS, "hub ports must fit usb_device.child[]");
_Static_assert(HUB_MAX_DEPTH == USB_HUB_MAX_DEPTH, "one depth limit");

struct usb_hub {
    struct usb_device *dev;       /* the hub; holds a reference */
    struct hub_desc desc;         /* parsed at probe */
    bool high_speed;              /* a USB 2 hub at high speed: its ports report HS */
    uint16_t status_failing;      /* bit p: GET_STATUS of port p failed when last read
                                   * (logged when the bit is set, not on every poll) */
};

/* "uhci0 port 1.3", for log lines. */
static void hub_where(const struct usb_device *dev, char *buf, size_t bytes)
{
    char path[USB_PATH_BYTES];
    usb_device_path(dev, path, sizeof(path));
    ksnprintf(buf, bytes, "%s port %s", dev->hc->name, path);
}

static int port_request(struct usb_device *dev, uint8_t request, uint16_t feature,
                        unsigned port)
{
    struct usb_setup s = {
        .request_type = USB_RT_PORT_OUT, .request = request, .value = feature,
        .index = (uint16_t)(port + 1),
    };
    return usb_control(dev, &s, NULL, NULL);
}

static int port_get_status(struct usb_device *dev, unsigned port, struct hub_port_status *st)
{
    uint8_t b[HUB_PORT_STATUS_BYTES];
    uint32_t got = 0;
    struct usb_setup s = {
        .request_type = USB_RT_PORT_IN, .request = USB_HUB_REQ_GET_STATUS,
        .index = (uint16_t)(port + 1), .length = sizeof(b),
    };
    int rc = usb_control(dev, &s, b, &got);
    if (rc)
        return rc;
    return hub_port_status_parse(b, got, st);
}

/* Acknowledge the wPortChange bits in `bits` (C_PORT_x = 16 + bit x). */
static void port_clear_changes(struct usb_device *dev, unsigned port, uint16_t bits)
{
    for (unsigned b = 0; (USB_PORT_C_ALL >> b) != 0; b++) {
        if (bits & (1u << b))
            (void)port_request(dev, USB_HUB_REQ_CLEAR_FEATURE,
                               (uint16_t)(USB_PORT_FEAT_C_CONNECTION + b), port);
    }
}

static enum usb_speed speed_of(enum hub_speed s)
{
    return s == HUB_SPEED_LOW ? USB_SPEED_LOW : s == HUB_SPEED_HIGH ? USB_SPEED_HIGH
                                                                   : USB_SPEED_FULL;
}

/* Reset port `port` and wait for C_PORT_RESET. Returns 0 and *speed;
 * ERR_NODEV (the device left), ERR_TIMEOUT, ERR_IO (not enabled after
 * reset) or the control transfer's error. */
static int port_reset(struct usb_hub *h, unsigned port, enum usb_speed *speed)
{
    struct usb_device *dev = h->dev;
    struct hub_port_status st = { 0 };
    int rc;

    /* 1. Drive reset; the hub ends it itself and sets C_PORT_RESET. */
    rc = port_request(dev, USB_HUB_REQ_SET_FEATURE, USB_PORT_FEAT_RESET, port);
    if (rc)
        return rc;
    uint64_t end = time_ms() + HUB_RESET_TIMEOUT_MS;
    for (;;) {
        sleep_ms(HUB_RESET_POLL_MS);
        rc = port_get_status(dev, port, &st);
        if (rc)
            return rc;
        if ((st.change & USB_PORT_C_RESET) && !(st.status & USB_PORT_STAT_RESET))
            break;
        if (time_ms() >= end)
            return ERR_TIMEOUT;
    }
    /* 2. Acknowledge the reset (and whatever else changed meanwhile except
     *    a new connection, which the next poll must see). */
    port_clear_changes(dev, port, st.change & (uint16_t)~USB_PORT_C_CONNECTION);
    if (!(st.status & USB_PORT_STAT_CONNECTION))
        return ERR_NODEV;
    if (!(st.status & USB_PORT_STAT_ENABLE))
        return ERR_IO;
    /* 3. Reset recovery (§7.1.7.5), then the device answers at address 0. */
    sleep_ms(USB_RESET_RECOVERY_MS);
    *speed = speed_of(hub_port_speed(st.status, h->high_speed));
    return 0;
}

/* Something is connected to port `port` and it has no child:
 * 1. Debounce: the connection must still be there, unchanged, after
 *    USB_DEBOUNCE_MS; otherwise leave it to the next poll (not a failure).
 * 2. Reset and read the speed.
 * 3. Enumerate through the core; on failure disable the port so nothing
 *    stays at address 0, and mark it until its connection changes. */
static void port_connect(struct usb_hub *h, unsigned port)
{
    struct usb_device *dev = h->dev;
    struct hub_port_status st;
    enum usb_speed speed = USB_SPEED_FULL;
    char where[HUB_WHERE_BYTES];
    int rc;

    /* 1. Debounce. */
    sleep_ms(USB_DEBOUNCE_MS);
    rc = port_get_status(dev, port, &st);
    if (rc == 0 && (!(st.status & USB_PORT_STAT_CONNECTION) ||
                    (st.change & USB_PORT_C_CONNECTION)))
        return;
    /* 2. Reset. */
    if (rc == 0)
        rc = port_reset(h, port, &speed);
    if (rc == ERR_NODEV && !dev->gone)
        return; /* the device left during reset: the next poll sees the change */
    /* 3. Enumerate. */
    if (rc == 0)
        rc = usb_hub_attach_locked(dev, port, speed);
    if (rc && !dev->gone) {
        hub_where(dev, where, sizeof(where));
        pr_warn("usb-hub: %s: port %u: device not usable (%s)", where, port + 1, err_name(rc));
        dev->hub_port_failed |= (uint16_t)(1u << port);
        (void)port_request(dev, USB_HUB_REQ_CLEAR_FEATURE, USB_PORT_FEAT_ENABLE, port);
    }
}

/* One look at every port; see usb_hub.h. */
static void hub_poll(struct usb_device *dev)
{
    struct usb_hub *h = dev->driver_data;
    char where[HUB_WHERE_BYTES];

    if (!h)
        return;
    for (unsigned port = 0; port < h->desc.num_ports && !dev->gone; port++) {
        struct hub_port_status st;
        struct hub_port_plan plan;
        uint16_t bit = (uint16_t)(1u << port);
        /* 1. Status; a port whose status cannot be read is logged once (not
         *    every poll) and left as it is. A hub that stops answering
         *    (timeout, gone) ends this poll: its other ports would only
         *    time out too. */
        int rc = port_get_status(dev, port, &st);
        if (rc) {
            if (!(h->status_failing & bit) && !dev->gone) {
                hub_where(dev, where, sizeof(where));
                pr_warn("usb-hub: %s: port %u: GET_STATUS failed (%s)", where, port + 1,
                        err_name(rc));
            }
            h->status_failing |= bit;
            if (rc == ERR_TIMEOUT || rc == ERR_NODEV)
                return;
            continue;
        }
        h->status_failing &= (uint16_t)~bit;
        /* 2. Acknowledge the changes, then act on the plan. */
        hub_port_plan(&st, dev->child[port] != NULL, (dev->hub_port_failed & bit) != 0, &plan);
        port_clear_changes(dev, port, plan.clear);
        if (plan.retry)
            dev->hub_port_failed &= (uint16_t)~bit;
        if (plan.over_current) {
            hub_where(dev, where, sizeof(where));
            pr_warn("usb-hub: %s: port %u: over-current (status 0x%04x)", where, port + 1,
                    st.status);
        }
        if (plan.detach)
            usb_hub_detach_locked(dev, port);
        if (plan.attach)
            port_connect(h, port);
    }
}

/* Claim a hub interface:
 * 1. Class 09, and not a hub too deep in the tree.
 * 2. Hub descriptor; tell the controller (xHCI) it is a hub.
 * 3. Power every port, wait power-on-to-power-good.
 * 4. Enumerate what is already plugged in (the first poll). */
static int hub_probe(struct usb_device *dev, const struct usb_interface *iface)
{
    uint8_t buf[HUB_DESC_MAX_BYTES];
    char where[HUB_WHERE_BYTES];
    struct usb_hub *h;
    uint32_t got = 0;
    int rc;

    /* 1. A hub, and room for its children. */
    if (iface->iface_class != USB_CLASS_HUB)
        return ERR_NODEV;
    hub_where(dev, where, sizeof(where));
    if (dev->depth >= USB_HUB_MAX_DEPTH) {
        pr_warn("usb-hub: %s: hub below %u other hubs, not used (USB allows %u)", where,
                dev->depth, USB_HUB_MAX_DEPTH);
        return ERR_NODEV;
    }
    /* 2. Descriptor (a class request to the device, §11.24.2.5). */
    struct usb_setup s = {
        .request_type = USB_RT_HUB_IN, .request = USB_REQ_GET_DESCRIPTOR,
        .value = USB_DT_HUB << 8, .length = sizeof(buf),
    };
    h = kzalloc(sizeof(*h));
    if (!h)
        return ERR_NOMEM;
    rc = usb_control(dev, &s, buf, &got);
    if (rc == 0)
        rc = hub_desc_parse(buf, got, &h->desc);
    h->high_speed = dev->speed == USB_SPEED_HIGH;
    if (rc == 0 && dev->hc->ops->hub_config)
        rc = dev->hc->ops->hub_config(dev->hc, dev, h->desc.num_ports, false,
                                      h->desc.tt_think_time);
    if (rc) {
        pr_warn("usb-hub: %s: not usable (%s)", where, err_name(rc));
        kfree(h);
        return rc;
    }
    h->dev = dev;
    usb_device_get(dev); /* dropped by hub_disconnect */
    dev->driver_data = h;
    dev->hub_ports = h->desc.num_ports;
    pr_info("usb-hub: %s: %u ports%s, %s speed, power good after %u ms", where,
            h->desc.num_ports, h->desc.per_port_power ? " (power per port)" : "",
            usb_speed_name(dev->speed), h->desc.power_good_ms);
    /* 3. Power (a hub without power switching ignores this, §11.11). */
    for (unsigned port = 0; port < h->desc.num_ports; port++) {
        rc = port_request(dev, USB_HUB_REQ_SET_FEATURE, USB_PORT_FEAT_POWER, port);
        if (rc)
            pr_warn("usb-hub: %s: port %u: power on failed (%s)", where, port + 1,
                    err_name(rc));
    }
    sleep_ms(h->desc.power_good_ms);
    /* 4. Devices present now come up before probe returns, like root ports. */
    hub_poll(dev);
    return 0;
}

/* The hub is gone; the core has already unplugged its children. */
static void hub_disconnect(struct usb_device *dev)
{
    struct usb_hub *h = dev->driver_data;

    if (!h)
        return;
    dev->driver_data = NULL;
    kfree(h);
    usb_device_put(dev);
}

static void hub_describe(struct usb_device *dev, char *buf, size_t bytes)
{
    struct usb_hub *h = dev->driver_data;

    buf[0] = '\0';
    if (h)
        ksnprintf(buf, bytes, "%u ports", h->desc.num_ports);
}

static const struct usb_driver hub_driver = {
    .name = "hub",
    .probe = hub_probe,
    .disconnect = hub_disconnect,
    .describe = hub_describe,
    .poll = hub_poll,
};

void usb_hub_register(void)
{
    int rc = usb_driver_register(&hub_driver);
    if (rc)
        pr_err("usb-hub: cannot register (%s)", err_name(rc));
}
