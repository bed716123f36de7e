// SPDX-License-Identifier: MIT
/* libFuzzer harness: USB descriptor parsing and Bulk-Only Transport status
 * handling (drivers/usb/lib). The whole input is offered as a device,
 * configuration and string descriptor, and as SCSI INQUIRY, capacity and
 * sense data. If it is at least 21 bytes, bytes 0-3 are taken as the
 * expected CBW tag, 4-7 as the requested data length and 8-20 as a CSW.
 * Each parser's contract is checked: counts within their caps, endpoints
 * non-zero, strings terminated, residue and believed bytes within the
 * request. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/usb/lib/bot.h"
#include "drivers/usb/lib/scsi.h"
#include "drivers/usb/lib/usb_desc.h"
#include "kernel/lib/endian.h"

static void fz_descriptors(const uint8_t *data, size_t len)
{
    struct usb_device_desc dd;
    struct usb_config c;
    uint16_t total;
    char s[40];

    if (usb_desc_parse_device(data, len, &dd) == 0 && dd.num_configs == 0)
        abort();
    if (usb_desc_config_total(data, len, &total) == 0 &&
        (total < USB_CONFIG_DESC_BYTES || total > USB_CONFIG_MAX_BYTES))
        abort();
    if (usb_desc_parse_config(data, len, &c) == 0) {
        if (c.num_interfaces > USB_MAX_INTERFACES || c.total_bytes > len)
            abort();
        for (unsigned i = 0; i < c.num_interfaces; i++) {
            const struct usb_interface *f = &c.iface[i];
            if (f->num_endpoints > USB_MAX_ENDPOINTS)
                abort();
            for (unsigned e = 0; e < f->num_endpoints; e++) {
                if ((f->ep[e].address & 0x0F) == 0 || f->ep[e].max_packet == 0 ||
                    f->ep[e].max_packet > 0x7FF)
                    abort();
            }
            (void)usb_desc_find_endpoint(f, USB_EP_BULK, true);
        }
    }
    if (usb_desc_parse_string(data, len, s, sizeof(s)) == 0 && strnlen(s, sizeof(s)) == sizeof(s))
        abort();
}

static void fz_scsi(const uint8_t *data, size_t len)
{
    struct scsi_inquiry q;
    struct scsi_capacity cap;
    struct atapi_sense sense;
    bool wp;

    if (scsi_parse_mode_sense6_wp(data, len, &wp) != 0 && wp)
        abort();
    if (scsi_parse_inquiry(data, len, &q) == 0 && (q.vendor[8] || q.product[16]))
        abort();
    if (scsi_parse_capacity10(data, len, &cap) == 0 && !cap.need16 && cap.blocks == 0)
        abort();
    if (scsi_parse_capacity16(data, len, &cap) == 0 && cap.blocks == 0)
        abort();
    if (atapi_sense_decode(data, (uint32_t)len, &sense) == 0) {
        if (sense.key > 0xF)
            abort();
        (void)scsi_sense_to_err(&sense);
    }
}

static void fz_csw(const uint8_t *data, size_t len)
{
    struct bot_csw csw;

    if (len < 8 + BOT_CSW_BYTES)
        return;
    uint32_t tag = le32_at(data, 0), requested = le32_at(data, 4);
    if (bot_parse_csw(data + 8, BOT_CSW_BYTES, tag, requested, &csw) == 0) {
        if (csw.tag != tag || csw.status > BOT_STATUS_PHASE_ERROR)
            abort();
        if (csw.status != BOT_STATUS_PHASE_ERROR && csw.residue > requested)
            abort();
        uint32_t moved = len > 24 ? le32_at(data, len - 4) : requested;
        if (bot_done_bytes(requested, moved, csw.residue) > requested)
            abort();
    }
    /* Any other length must be refused. */
    if (bot_parse_csw(data + 8, len - 8 == BOT_CSW_BYTES ? 12 : len - 8, tag, requested,
                      &csw) == 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    fz_descriptors(data, len);
    fz_scsi(data, len);
    fz_csw(data, len);
    return 0;
}
