/* SPDX-License-Identifier: MIT */
/* USB standard descriptors (USB 2.0 §9.6): parse the device, configuration
 * (with its interface and endpoint descriptors) and string descriptors a
 * device returned into trusted native structs. The enumerator reads a
 * descriptor, calls the parser once, and from then on uses only the struct.
 * Every descriptor is hostile until parsed. Policy:
 *  - reject (ERR_CORRUPT, one dmesg line): wrong type, bLength below the
 *    spec minimum or past the buffer, a descriptor with bLength < 2 (a walk
 *    would never advance), wTotalLength below 9 or above the bytes read, an
 *    endpoint before any interface, endpoint 0 or max packet 0;
 *  - tolerate (warn): more interfaces or endpoints than the caps below (the
 *    extra ones are dropped), bNumInterfaces or bNumEndpoints not matching
 *    what was found (some cheap devices get the counts wrong).
 * Interfaces with a non-zero alternate setting are skipped: the class
 * drivers here use alternate setting 0 only.
 * Hardware-free: built into the kernel and the hosted tests. */
#ifndef DRIVERS_USB_LIB_USB_DESC_H
#define DRIVERS_USB_LIB_USB_DESC_H

#include "kernel/types.h"

/* Descriptor types (USB 2.0 Table 9-5). */
enum usb_desc_type {
    USB_DT_DEVICE = 1,
    USB_DT_CONFIG = 2,
    USB_DT_STRING = 3,
    USB_DT_INTERFACE = 4,
    USB_DT_ENDPOINT = 5,
};

/* Fixed sizes (USB 2.0 Tables 9-8, 9-10, 9-12, 9-13). */
#define USB_DEVICE_DESC_BYTES 18
#define USB_CONFIG_DESC_BYTES 9
#define USB_INTERFACE_DESC_BYTES 9
#define USB_ENDPOINT_DESC_BYTES 7
/* wTotalLength is 16 bits; a mass-storage device sends 32 bytes, a
 * composite device a few hundred. 4 KiB bounds the buffer we read. */
#define USB_CONFIG_MAX_BYTES 4096
/* Interfaces (alternate setting 0) kept per configuration: composite
 * devices rarely have more than 4; extra ones are dropped with a warning. */
#define USB_MAX_INTERFACES 8
/* Endpoints kept per interface: the spec allows 30; storage needs 2-3. */
#define USB_MAX_ENDPOINTS 8

/* Endpoint transfer types (bmAttributes bits 1:0). */
enum usb_ep_type {
    USB_EP_CONTROL = 0,
    USB_EP_ISOCHRONOUS = 1,
    USB_EP_BULK = 2,
    USB_EP_INTERRUPT = 3,
};
#define USB_EP_DIR_IN 0x80u /* bEndpointAddress bit 7 */

struct usb_device_desc {
    uint16_t bcd_usb;       /* spec release, BCD (0x0200 = 2.0) */
    uint8_t dev_class;      /* 0: class given per interface */
    uint8_t dev_subclass;
    uint8_t dev_protocol;
    uint16_t max_packet0;   /* endpoint 0 max packet: 8, 16, 32, 64; 512 (USB 3) */
    uint16_t vendor_id;
    uint16_t product_id;
    uint16_t bcd_device;
    uint8_t i_manufacturer; /* string indexes, 0 = none */
    uint8_t i_product;
    uint8_t i_serial;
    uint8_t num_configs;    /* >= 1 */
};

struct usb_endpoint {
    uint8_t address;        /* number in bits 3:0, USB_EP_DIR_IN for IN */
    uint8_t type;           /* enum usb_ep_type */
    uint16_t max_packet;    /* bytes, bits 10:0 of wMaxPacketSize, > 0 */
    uint8_t interval;       /* bInterval as sent */
};

struct usb_interface {
    uint8_t number;         /* bInterfaceNumber */
    uint8_t iface_class, iface_subclass, iface_protocol;
    uint8_t num_endpoints;  /* entries used in ep[] */
    struct usb_endpoint ep[USB_MAX_ENDPOINTS];
};

struct usb_config {
    uint8_t value;          /* bConfigurationValue for SET_CONFIGURATION */
    uint8_t attributes;     /* bmAttributes (bit 6 self-powered) */
    uint8_t max_power_2ma;  /* bMaxPower, units of 2 mA */
    uint16_t total_bytes;   /* wTotalLength */
    uint8_t num_interfaces; /* entries used in iface[] */
    struct usb_interface iface[USB_MAX_INTERFACES];
};

/* Parse an 18-byte device descriptor from buf[0..len). Fills *out.
 * Returns 0; ERR_CORRUPT (short, wrong type or length, max packet not 8/16/
 * 32/64 (or 9, meaning 512, for bcdUSB >= 3.0), no configuration; logged).
 * Context: any. */
int usb_desc_parse_device(const void *buf, size_t len, struct usb_device_desc *out);

/* wTotalLength of a configuration descriptor header (first 9+ bytes), so
 * the caller knows how much to read next. Returns 0 and *total_bytes (9..
 * USB_CONFIG_MAX_BYTES); ERR_CORRUPT (logged). Context: any. */
int usb_desc_config_total(const void *buf, size_t len, uint16_t *total_bytes);

/* Parse a whole configuration (len >= wTotalLength bytes read) into *out.
 * Returns 0; ERR_CORRUPT (see the policy above; logged). Context: any. */
int usb_desc_parse_config(const void *buf, size_t len, struct usb_config *out);

/* Decode a string descriptor (UTF-16LE) into printable ASCII in out
 * (out_bytes >= 1; always NUL-terminated, cut to fit; characters outside
 * 0x20..0x7E become '?'). Returns 0; ERR_CORRUPT (logged); ERR_INVAL (no
 * room). Context: any. */
int usb_desc_parse_string(const void *buf, size_t len, char *out, size_t out_bytes);

/* First endpoint of `iface` with this type and direction (true = IN), or
 * NULL. Context: any. */
const struct usb_endpoint *usb_desc_find_endpoint(const struct usb_interface *iface,
                                                  enum usb_ep_type type, bool dir_in);

#endif
