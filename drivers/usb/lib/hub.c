// SPDX-License-Identifier: MIT
/* USB hub protocol decoding (USB 2.0 §11.23.2.1 hub descriptor, §11.24.2.7
 * port status, §11.24.2.7.1 port status bits; xHCI 1.2 §8.9 route string).
 * Contract and reject/tolerate policy in hub.h. */
#include "drivers/usb/lib/hub.h"
#include "drivers/usb/defs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* wHubCharacteristics (USB 2.0 Table 11-13). */
#define HUB_CHAR_POWER_MASK 0x0003u
#define HUB_CHAR_POWER_PER_PORT 0x0001u
#define HUB_CHAR_COMPOUND 0x0004u
#define HUB_CHAR_TTT_SHIFT 5
#define HUB_CHAR_TTT_MASK 0x3u
#define HUB_ROUTE_NIBBLE_MAX 15u

int hub_desc_parse(const void *buf, size_t len, struct hub_desc *out)
{
    const uint8_t *d = buf;

    memset(out, 0, sizeof(*out));
    if (!buf || len < HUB_DESC_MIN_BYTES) {
        pr_warn("usb-hub: hub descriptor: too short (%u bytes, want %u)", (unsigned)len,
                HUB_DESC_MIN_BYTES);
        return ERR_CORRUPT;
    }
    if (d[0] < HUB_DESC_MIN_BYTES || d[0] > len || d[1] != USB_DT_HUB) {
        pr_warn("usb-hub: hub descriptor: bad header (bLength %u, type 0x%02x, %u bytes read)",
                d[0], d[1], (unsigned)len);
        return ERR_CORRUPT;
    }
    if (d[2] == 0) {
        pr_warn("usb-hub: hub descriptor: no ports (bNbrPorts 0)");
        return ERR_CORRUPT;
    }
    /* DeviceRemovable: one bit per port plus bit 0, rounded up to bytes
     * (§11.23.2.1); we do not use it. The PortPwrCtrlMask after it is
     * often cut short (QEMU's usb-hub sends one byte for 8 ports), so
     * only a missing DeviceRemovable is worth a line. */
    unsigned bitmap_bytes = (d[2] + 1u + 7u) / 8u;
    if (d[0] < HUB_DESC_MIN_BYTES + bitmap_bytes)
        pr_warn("usb-hub: hub descriptor: short port bitmaps (bLength %u, %u ports), ignored",
                d[0], d[2]);
    out->ports_reported = d[2];
    out->num_ports = d[2];
    if (d[2] > HUB_MAX_PORTS) {
        pr_warn("usb-hub: hub descriptor: %u ports, using the first %u", d[2], HUB_MAX_PORTS);
        out->num_ports = HUB_MAX_PORTS;
    }
    out->characteristics = le16_at(d, 3);
    out->per_port_power =
        (out->characteristics & HUB_CHAR_POWER_MASK) == HUB_CHAR_POWER_PER_PORT;
    out->compound = (out->characteristics & HUB_CHAR_COMPOUND) != 0;
    out->tt_think_time =
        (uint8_t)((out->characteristics >> HUB_CHAR_TTT_SHIFT) & HUB_CHAR_TTT_MASK);
    out->power_good_ms = (uint16_t)(d[5] * 2u);
    return 0;
}

int hub_port_status_parse(const void *buf, size_t len, struct hub_port_status *out)
{
    out->status = 0;
    out->change = 0;
    if (!buf || len != HUB_PORT_STATUS_BYTES)
        return ERR_CORRUPT; /* not logged: the hub poll asks every 500 ms */
    out->status = le16_at(buf, 0);
    out->change = le16_at(buf, 2);
    return 0;
}

void hub_port_plan(const struct hub_port_status *st, bool has_child, bool failed,
                   struct hub_port_plan *out)
{
    bool connected = (st->status & USB_PORT_STAT_CONNECTION) != 0;
    bool conn_changed = (st->change & USB_PORT_C_CONNECTION) != 0;
    bool enabled = (st->status & USB_PORT_STAT_ENABLE) != 0;

    out->clear = st->change & USB_PORT_C_ALL;
    out->over_current = (st->change & USB_PORT_C_OVER_CURRENT) != 0;
    out->retry = conn_changed;
    /* A device unplugged and plugged again between two polls shows only as
     * a connection change: the child we have is not the one there now. A
     * port the hub disabled (babble, §11.24.2.7.2.2) lost its device too. */
    out->detach = has_child && (conn_changed || !connected || !enabled);
    out->attach = connected && (!has_child || out->detach) && (!failed || conn_changed);
}

enum hub_speed hub_port_speed(uint16_t status, bool hub_is_high_speed)
{
    if (status & USB_PORT_STAT_LOW_SPEED)
        return HUB_SPEED_LOW;
    if (hub_is_high_speed && (status & USB_PORT_STAT_HIGH_SPEED))
        return HUB_SPEED_HIGH;
    return HUB_SPEED_FULL;
}

int hub_route_string(uint32_t hub_route, unsigned hub_depth, unsigned port, uint32_t *out)
{
    *out = 0;
    if (port == 0 || hub_depth >= HUB_MAX_DEPTH)
        return ERR_RANGE;
    uint32_t nibble = MIN((uint32_t)port, HUB_ROUTE_NIBBLE_MAX);
    uint32_t shift = 4u * hub_depth;
    /* The hub's own string names the tiers above it; ours adds one. */
    *out = (hub_route & ((1u << shift) - 1u)) | nibble << shift;
    return 0;
}
