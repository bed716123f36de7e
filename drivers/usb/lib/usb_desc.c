// SPDX-License-Identifier: MIT
/* USB descriptor parsing (USB 2.0 §9.6.1 device, §9.6.3 configuration,
 * §9.6.5 interface, §9.6.6 endpoint, §9.6.7 string). One pass over the
 * bytes, every length checked before the bytes it covers are read; the
 * reject/tolerate policy is in usb_desc.h. */
#include "drivers/usb/lib/usb_desc.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

static const uint8_t *bytes_of(const void *buf)
{
    return (const uint8_t *)buf;
}

int usb_desc_parse_device(const void *buf, size_t len, struct usb_device_desc *out)
{
    const uint8_t *d = bytes_of(buf);

    memset(out, 0, sizeof(*out));
    if (!buf || len < USB_DEVICE_DESC_BYTES) {
        pr_warn("usb: device descriptor: too short (%u bytes, want %u)", (unsigned)len,
                USB_DEVICE_DESC_BYTES);
        return ERR_CORRUPT;
    }
    if (d[0] != USB_DEVICE_DESC_BYTES || d[1] != USB_DT_DEVICE) {
        pr_warn("usb: device descriptor: bad header (bLength %u, type %u)", d[0], d[1]);
        return ERR_CORRUPT;
    }
    uint16_t mps = d[7];
    if (mps == 9 && le16_at(d, 2) >= 0x0300) {
        mps = 512; /* USB 3.2 §9.6.1: an exponent for SuperSpeed */
    } else if (mps != 8 && mps != 16 && mps != 32 && mps != 64) {
        pr_warn("usb: device descriptor: bad bMaxPacketSize0 (%u)", mps);
        return ERR_CORRUPT;
    }
    if (d[17] == 0) {
        pr_warn("usb: device descriptor: no configuration (bNumConfigurations 0)");
        return ERR_CORRUPT;
    }
    out->bcd_usb = le16_at(d, 2);
    out->dev_class = d[4];
    out->dev_subclass = d[5];
    out->dev_protocol = d[6];
    out->max_packet0 = mps;
    out->vendor_id = le16_at(d, 8);
    out->product_id = le16_at(d, 10);
    out->bcd_device = le16_at(d, 12);
    out->i_manufacturer = d[14];
    out->i_product = d[15];
    out->i_serial = d[16];
    out->num_configs = d[17];
    return 0;
}

int usb_desc_config_total(const void *buf, size_t len, uint16_t *total_bytes)
{
    const uint8_t *d = bytes_of(buf);

    *total_bytes = 0;
    if (!buf || len < USB_CONFIG_DESC_BYTES) {
        pr_warn("usb: config descriptor: too short (%u bytes, want %u)", (unsigned)len,
                USB_CONFIG_DESC_BYTES);
        return ERR_CORRUPT;
    }
    if (d[0] < USB_CONFIG_DESC_BYTES || d[1] != USB_DT_CONFIG) {
        pr_warn("usb: config descriptor: bad header (bLength %u, type %u)", d[0], d[1]);
        return ERR_CORRUPT;
    }
    uint16_t total = le16_at(d, 2);
    if (total < d[0] || total > USB_CONFIG_MAX_BYTES) {
        pr_warn("usb: config descriptor: bad wTotalLength (%u, bLength %u, max %u)", total,
                d[0], USB_CONFIG_MAX_BYTES);
        return ERR_CORRUPT;
    }
    *total_bytes = total;
    return 0;
}

/* Record one endpoint descriptor d (bLength already checked >= 7) in iface. */
static int add_endpoint(struct usb_interface *iface, const uint8_t *d, unsigned *dropped)
{
    uint8_t addr = d[2];
    uint16_t mps = le16_at(d, 4) & 0x7FF;

    if ((addr & 0x0F) == 0 || mps == 0) {
        pr_warn("usb: config descriptor: bad endpoint (address 0x%02x, max packet %u)", addr,
                mps);
        return ERR_CORRUPT;
    }
    if (iface->num_endpoints >= USB_MAX_ENDPOINTS) {
        (*dropped)++;
        return 0;
    }
    struct usb_endpoint *ep = &iface->ep[iface->num_endpoints++];
    ep->address = addr & (USB_EP_DIR_IN | 0x0F);
    ep->type = d[3] & 3;
    ep->max_packet = mps;
    ep->interval = d[6];
    return 0;
}

int usb_desc_parse_config(const void *buf, size_t len, struct usb_config *out)
{
    const uint8_t *d = bytes_of(buf);
    struct usb_interface *cur = NULL; /* interface collecting endpoints, NULL = skip */
    bool seen_iface = false;
    unsigned dropped_if = 0, dropped_ep = 0;
    uint16_t total;
    size_t off;
    int rc;

    /* 1. Header: type, bLength, wTotalLength within what was read. */
    memset(out, 0, sizeof(*out));
    rc = usb_desc_config_total(buf, len, &total);
    if (rc)
        return rc;
    if (total > len) {
        pr_warn("usb: config descriptor: wTotalLength past the data (%u > %u bytes)", total,
                (unsigned)len);
        return ERR_CORRUPT;
    }
    out->total_bytes = total;
    out->value = d[5];
    out->attributes = d[7];
    out->max_power_2ma = d[8];

    /* 2. Walk the descriptors after the header, bounded by wTotalLength;
     *    each step advances by bLength >= 2, so the walk ends. */
    for (off = d[0]; off < total; off += d[off]) {
        if (total - off < 2 || d[off] < 2 || d[off] > total - off) {
            pr_warn("usb: config descriptor: bad descriptor length at offset %u "
                    "(bLength %u, %u bytes left)", (unsigned)off,
                    total - off < 2 ? 0u : d[off], (unsigned)(total - off));
            return ERR_CORRUPT;
        }
        const uint8_t *p = d + off;
        /* 2a. Interface: start a new one (alternate 0 only). */
        if (p[1] == USB_DT_INTERFACE) {
            if (p[0] < USB_INTERFACE_DESC_BYTES) {
                pr_warn("usb: config descriptor: short interface descriptor (bLength %u)",
                        p[0]);
                return ERR_CORRUPT;
            }
            seen_iface = true;
            cur = NULL;
            if (p[3] != 0)
                continue;
            if (out->num_interfaces >= USB_MAX_INTERFACES) {
                dropped_if++;
                continue;
            }
            cur = &out->iface[out->num_interfaces++];
            cur->number = p[2];
            cur->iface_class = p[5];
            cur->iface_subclass = p[6];
            cur->iface_protocol = p[7];
            if (p[4] > 30)
                pr_warn("usb: config descriptor: interface %u claims %u endpoints", p[2],
                        p[4]);
            continue;
        }
        /* 2b. Endpoint: belongs to the interface before it. */
        if (p[1] == USB_DT_ENDPOINT) {
            if (p[0] < USB_ENDPOINT_DESC_BYTES) {
                pr_warn("usb: config descriptor: short endpoint descriptor (bLength %u)",
                        p[0]);
                return ERR_CORRUPT;
            }
            if (!seen_iface) {
                pr_warn("usb: config descriptor: endpoint before any interface (offset %u)",
                        (unsigned)off);
                return ERR_CORRUPT;
            }
            if (cur) {
                rc = add_endpoint(cur, p, &dropped_ep);
                if (rc)
                    return rc;
            }
            continue;
        }
        /* 2c. Anything else (class-specific, IAD, qualifiers) is skipped. */
    }

    /* 3. Tolerated oddities leave a line each. */
    if (dropped_if || dropped_ep)
        pr_warn("usb: config descriptor: dropped %u interfaces and %u endpoints over the caps "
                "(%u, %u)", dropped_if, dropped_ep, USB_MAX_INTERFACES, USB_MAX_ENDPOINTS);
    if (!seen_iface)
        pr_warn("usb: config descriptor: no interface (bNumInterfaces %u)", d[4]);
    return 0;
}

int usb_desc_parse_string(const void *buf, size_t len, char *out, size_t out_bytes)
{
    const uint8_t *d = bytes_of(buf);
    size_t n = 0;

    if (!out || out_bytes == 0)
        return ERR_INVAL;
    out[0] = '\0';
    if (!buf || len < 2 || d[0] < 2 || d[0] > len || (d[0] & 1) || d[1] != USB_DT_STRING) {
        pr_warn("usb: string descriptor: bad header (%u bytes, bLength %u, type %u)",
                (unsigned)len, len ? d[0] : 0u, len > 1 ? d[1] : 0u);
        return ERR_CORRUPT;
    }
    for (size_t off = 2; off + 1 < d[0] && n + 1 < out_bytes; off += 2) {
        uint16_t ch = le16_at(d, off);
        out[n++] = ch >= 0x20 && ch <= 0x7E ? (char)ch : '?';
    }
    out[n] = '\0';
    return 0;
}

const struct usb_endpoint *usb_desc_find_endpoint(const struct usb_interface *iface,
                                                  enum usb_ep_type type, bool dir_in)
{
    for (unsigned i = 0; i < iface->num_endpoints; i++) {
        const struct usb_endpoint *ep = &iface->ep[i];
        if (ep->type == type && ((ep->address & USB_EP_DIR_IN) != 0) == dir_in)
            return ep;
    }
    return NULL;
}
