/* SPDX-License-Identifier: MIT */
/* USB hub protocol without the hardware (USB 2.0 chapter 11): the hub
 * class driver (drivers/usb/usb_hub.c) reads the hub descriptor and lets
 * hub_desc_parse() turn it into a trusted struct; for each port it reads
 * the 4 status bytes, decodes them with hub_port_status_parse() and asks
 * hub_port_plan() what to do (unplug the child, enumerate a new one, which
 * change bits to clear); hub_port_speed() names the speed of a device after
 * its port reset, and hub_route_string() gives the xHCI route string of a
 * device one tier further down.
 * Descriptor policy: reject (ERR_CORRUPT, one dmesg line) fewer than 7
 * bytes, bLength below 7 or past the bytes read, a type other than 0x29,
 * zero ports; tolerate (warn) more ports than HUB_MAX_PORTS (the extra
 * ones are never used), a missing DeviceRemovable bitmap (warn) and a
 * short PortPwrCtrlMask (silently; QEMU's usb-hub sends one).
 * Hardware-free: built into the kernel and the hosted tests. */
#ifndef DRIVERS_USB_LIB_HUB_H
#define DRIVERS_USB_LIB_HUB_H

#include "kernel/types.h"

/* Ports used per hub: 15 is what a 4-bit route string nibble can name
 * (xHCI 1.2 §8.9) and more than any hub sold has (4, 7 or 10). */
#define HUB_MAX_PORTS 15
/* External hubs allowed between a root port and a device (USB 2.0
 * §4.1.1: 7 tiers = root hub + 5 hubs + the function). */
#define HUB_MAX_DEPTH 5
#define HUB_DESC_MIN_BYTES 7
#define HUB_PORT_STATUS_BYTES 4

/* Trusted hub descriptor (USB 2.0 §11.23.2.1). */
struct hub_desc {
    uint8_t num_ports;      /* ports to use, 1..HUB_MAX_PORTS */
    uint8_t ports_reported; /* bNbrPorts as sent */
    uint16_t characteristics; /* wHubCharacteristics as sent */
    bool per_port_power;    /* power switched per port (bits 1:0 = 01) */
    bool compound;          /* part of a compound device (bit 2) */
    uint8_t tt_think_time;  /* bits 6:5: 0..3 = 8..32 FS bit times (HS hubs) */
    uint16_t power_good_ms; /* bPwrOn2PwrGood * 2: power on to power good */
};

/* One port's GET_STATUS reply (USB 2.0 §11.24.2.7). */
struct hub_port_status {
    uint16_t status;        /* wPortStatus, USB_PORT_STAT_* */
    uint16_t change;        /* wPortChange, USB_PORT_C_* */
};

/* What the poll should do with one port, in this order. */
struct hub_port_plan {
    uint16_t clear;         /* change bits to acknowledge (USB_PORT_C_*) */
    bool retry;             /* the connection changed: forget an earlier failure */
    bool detach;            /* unplug the child (and everything behind it) */
    bool attach;            /* debounce, reset and enumerate a new child */
    bool over_current;      /* the over-current change bit was set: log it */
};

enum hub_speed {
    HUB_SPEED_LOW,
    HUB_SPEED_FULL,
    HUB_SPEED_HIGH,
};

/* Parse a hub descriptor from buf[0..len). Fills *out. Returns 0;
 * ERR_CORRUPT (see the policy above; logged). Context: any. */
int hub_desc_parse(const void *buf, size_t len, struct hub_desc *out);

/* Decode a GET_STATUS(port) reply of `len` bytes. Returns 0;
 * ERR_CORRUPT (not 4 bytes). Not logged here: the poll reads each port
 * every USB_POLL_MS, so the caller logs a failing port once. Context: any. */
int hub_port_status_parse(const void *buf, size_t len, struct hub_port_status *out);

/* Plan for a port whose status is `st`: `has_child` = a device is
 * enumerated there; `failed` = its last enumeration failed (only a
 * connection change makes us try again). A child goes on a connection
 * change, a lost connection or a port the hub disabled; a new child comes
 * on a connected port without one. Context: any. */
void hub_port_plan(const struct hub_port_status *st, bool has_child, bool failed,
                   struct hub_port_plan *out);

/* Speed of the device on a port after reset: the low-speed bit, else the
 * high-speed bit if the hub itself runs at high speed (a USB 1.1 hub has
 * no such bit), else full. Context: any. */
enum hub_speed hub_port_speed(uint16_t status, bool hub_is_high_speed);

/* Route string of the device on port `port` (1-based) of a hub whose own
 * route string is `hub_route` and which sits `hub_depth` hubs below the
 * root port (0: on the root port). Ports above 15 are named 15 (xHCI 1.2
 * §8.9). Returns 0 and *out; ERR_RANGE (the device would be deeper than
 * HUB_MAX_DEPTH, or port 0). Context: any. */
int hub_route_string(uint32_t hub_route, unsigned hub_depth, unsigned port, uint32_t *out);

#endif
