/* SPDX-License-Identifier: MIT */
/* USB core: host controllers, root-hub ports, external hubs, devices and
 * class drivers. A host controller driver (ehci.c, uhci.c, ohci.c, xhci.c)
 * fills a struct usb_hc with its ops and calls usb_hc_register() once it
 * runs. The core then owns the root-hub ports: it resets each connected
 * port, enumerates the device (GET_DESCRIPTOR, SET_ADDRESS,
 * SET_CONFIGURATION) and offers each interface to the class drivers
 * (usb_storage.c, usb_hub.c) by probe(). A hub thread polls the root ports
 * every USB_POLL_MS and then calls poll() of each class driver that has
 * one (the hub driver, which watches its own ports the same way and hands
 * each new device to usb_hub_attach_locked(): the same enumeration path).
 * Devices form a tree: usb_device.parent/child[]. On disconnect the whole
 * subtree goes, deepest first: each device is marked gone (its pipes fail
 * fast with ERR_NODEV) and its class driver's disconnect() runs.
 * usb_init() (kernel_main) registers the class drivers, the HCD PCI
 * drivers and the `usb` shell command, then starts the hub thread.
 * Not done: periodic (interrupt/isochronous) transfers (hub ports are
 * polled, not watched through the status-change endpoint), suspend, more
 * than one configuration, USB 3 hubs (their SuperSpeed side).
 * Spec: USB 2.0 §9.1.2 (device states), §9.4 (standard requests),
 * chapter 11 (hubs). */
#ifndef DRIVERS_USB_USB_H
#define DRIVERS_USB_USB_H

#include "drivers/usb/lib/usb_desc.h"
#include "kernel/sync.h"
#include "kernel/types.h"

#define USB_MAX_HCS 4       /* controllers; a PC has 1-2 EHCIs */
#define USB_MAX_PORTS 15    /* EHCI N_PORTS is 4 bits; also the ports used per hub */
#define USB_HUB_MAX_DEPTH 5 /* external hubs between a root port and a device (USB 2.0 §4.1.1) */
#define USB_POLL_MS 500     /* hub thread period */
#define USB_CTRL_TIMEOUT_MS 1000
#define USB_NAME_BYTES 12
#define USB_PATH_BYTES 24   /* usb_device_path(): "15.15.15.15.15.15" and a NUL */
#define USB_PRODUCT_BYTES 48

enum usb_speed {
    USB_SPEED_LOW,
    USB_SPEED_FULL,
    USB_SPEED_HIGH,
    USB_SPEED_SUPER,
};

struct usb_hc;
struct usb_device;
struct usb_pipe; /* HCD-owned endpoint state; its common part is in usb_hcd.h */

/* SETUP packet (USB §9.3), native order; the HCD encodes it. */
struct usb_setup {
    uint8_t request_type;
    uint8_t request;
    uint16_t value;
    uint16_t index;
    uint16_t length;
};

/* What a host controller driver provides. Transfers on one controller may
 * be serialized by the HCD; every call that waits has a timeout. */
struct usb_hc_ops {
    /* Read port `port` (0-based): *connected = a device we own is there;
     * *changed = the connection changed since the last call (cleared).
     * Context: thread. */
    void (*port_status)(struct usb_hc *hc, unsigned port, bool *connected, bool *changed);
    /* Reset and enable the port. Returns 0 and *speed; ERR_NODEV (nothing
     * there, or handed to a companion controller); ERR_TIMEOUT. May sleep. */
    int (*port_reset)(struct usb_hc *hc, unsigned port, enum usb_speed *speed);
    /* Optional (xHCI, where the controller addresses devices itself):
     * give the device behind ep0 an address (dev->max_packet0 is already
     * updated) and store it in *address. Without it the core sends
     * SET_ADDRESS and reopens ep0. Returns 0 or an ERR_*. May sleep. */
    int (*set_address)(struct usb_hc *hc, struct usb_device *dev, uint8_t *address);
    /* Open a pipe for endpoint `ep` of `dev` (NULL = the default control
     * pipe, with dev->max_packet0 and dev->address as they are now).
     * Returns 0 and *out; ERR_NOMEM; ERR_NOSPC. May sleep. */
    int (*pipe_open)(struct usb_hc *hc, struct usb_device *dev, const struct usb_endpoint *ep,
                     struct usb_pipe **out);
    /* Unlink and free a pipe; no transfer may be running on it. May sleep. */
    void (*pipe_close)(struct usb_hc *hc, struct usb_pipe *pipe);
    /* Control transfer: setup, optional data stage of setup->length bytes
     * into/from data, status stage. *moved = data bytes moved. Returns 0;
     * ERR_IO (STALL or bus error; the pipe is usable again afterwards);
     * ERR_TIMEOUT; ERR_NODEV (controller dead). May sleep. */
    int (*control)(struct usb_hc *hc, struct usb_pipe *pipe, const struct usb_setup *setup,
                   void *data, uint32_t *moved, uint32_t timeout_ms);
    /* Bulk transfer of `bytes` (any size; split by the HCD) in the pipe's
     * direction. A short IN packet ends the transfer early (not an error).
     * Returns 0; ERR_IO (*stalled set if the endpoint halted); ERR_TIMEOUT
     * (the transfer was cancelled); ERR_NODEV. May sleep. */
    int (*bulk)(struct usb_hc *hc, struct usb_pipe *pipe, void *data, uint32_t bytes,
                uint32_t *moved, bool *stalled, uint32_t timeout_ms);
    /* Reset the pipe's data toggle to DATA0 (after CLEAR_FEATURE(HALT)). */
    void (*pipe_reset_toggle)(struct usb_hc *hc, struct usb_pipe *pipe);
    /* Optional (xHCI, which must know the tree): `dev` is a configured hub
     * with `ports` downstream ports; `multi_tt` and `think_time` (0..3, in
     * units of 8 full-speed bit times) describe a high-speed hub's
     * transaction translators. Returns 0 or an ERR_*. May sleep. */
    int (*hub_config)(struct usb_hc *hc, struct usb_device *dev, unsigned ports,
                      bool multi_tt, unsigned think_time);
    /* One line of controller details for `usb` (e.g. "EHCI 1.00, 6 ports"). */
    void (*describe)(struct usb_hc *hc, char *buf, size_t bytes);
};

struct usb_hc {
    const struct usb_hc_ops *ops; /* set by the HCD before registering */
    void *priv;                   /* HCD state */
    char name[USB_NAME_BYTES];    /* "ehci0", set by the HCD */
    unsigned num_ports;           /* root-hub ports, <= USB_MAX_PORTS */
    /* Device on each port or NULL: written by the hub thread (and usb_init
     * before it starts) under usb core's list mutex. */
    struct usb_device *port_dev[USB_MAX_PORTS];
    uint32_t addr_used[4];        /* device addresses 1..127 in use (list mutex) */
};

/* A class driver, e.g. usb-storage. */
struct usb_driver {
    const char *name;
    /* Offered each interface of a configured device. Returns 0 to claim it
     * (the driver then holds a reference: usb_device_get), ERR_NODEV to
     * decline. Context: hub thread or usb_init; may sleep. */
    int (*probe)(struct usb_device *dev, const struct usb_interface *iface);
    /* The device was unplugged: stop using it (its transfers now fail with
     * ERR_NODEV) and drop the reference when done. Context: hub thread. */
    void (*disconnect)(struct usb_device *dev);
    /* Optional: a few words for `usb` (e.g. "usbhd0"). Context: thread. */
    void (*describe)(struct usb_device *dev, char *buf, size_t bytes);
    /* Optional (hubs): called by the hub thread every USB_POLL_MS for each
     * plugged-in device the driver claimed, parents before children.
     * Locking: the core lock is held (usb_hub_attach_locked() and
     * usb_hub_detach_locked() may be called). Context: hub thread; may
     * sleep. */
    void (*poll)(struct usb_device *dev);
};

/* Class drivers known to the core (usb-storage and hub, so far). */
#define USB_MAX_DRIVERS 4

/* Topology fields (parent .. tt_port) are written once, before the device
 * is published in a port table, and hold a reference on `parent`, so they
 * stay valid for the device's whole life. */
struct usb_device {
    struct usb_hc *hc;            /* controller; lives forever */
    struct usb_device *parent;    /* hub it is plugged into; NULL on a root port */
    unsigned port;                /* 0-based port: on `parent`, or the root port */
    uint8_t root_port;            /* 0-based root port at the top of its branch */
    uint8_t depth;                /* hubs between it and the root port, 0..USB_HUB_MAX_DEPTH */
    uint32_t route;               /* xHCI route string: 4 bits per hub tier, 0 on a root port */
    struct usb_device *tt_hub;    /* low/full speed behind a high-speed hub: the hub whose
                                   * transaction translator serves it; else NULL */
    uint8_t tt_port;              /* 1-based port of tt_hub the device's branch leaves by */
    uint8_t hub_ports;            /* a hub: ports in child[] (hub driver, at probe) */
    uint16_t hub_port_failed;     /* a hub: bit p = enumeration on port p failed (hub
                                   * driver, under the core lock; shown by `usb`) */
    struct usb_device *child[USB_MAX_PORTS]; /* a hub: device on each port or NULL (core,
                                   * under the core lock) */
    uint8_t address;              /* 1..127 once addressed, 0 before */
    enum usb_speed speed;
    uint16_t max_packet0;         /* endpoint 0 max packet */
    struct usb_device_desc desc;  /* parsed device descriptor */
    struct usb_config config;     /* parsed active configuration */
    char product[USB_PRODUCT_BYTES]; /* product string, "" if none */
    struct usb_pipe *ep0;         /* default control pipe */
    const struct usb_driver *driver; /* claimed by, or NULL */
    void *driver_data;            /* the class driver's */
    volatile bool gone;           /* set on disconnect; never cleared */
    int refs;                     /* references (usb core's ref lock) */
};

/* Register a class driver (before or after controllers). Returns 0;
 * ERR_NOSPC. Context: thread. */
int usb_driver_register(const struct usb_driver *drv);

/* Register a running controller: the core scans its ports now (devices
 * present at boot are enumerated before this returns) and on each hub
 * poll. Returns 0; ERR_NOSPC (USB_MAX_HCS reached). Context: thread. */
int usb_hc_register(struct usb_hc *hc);

/* Control transfer on the default pipe. Returns 0 and *moved (may be NULL);
 * ERR_NODEV if the device is gone; the HCD's errors otherwise. Context:
 * thread, may sleep. */
int usb_control(struct usb_device *dev, const struct usb_setup *setup, void *data,
                uint32_t *moved);

/* CLEAR_FEATURE(ENDPOINT_HALT) on endpoint `ep_addr`, then reset the pipe's
 * toggle. Returns 0 or the control transfer's error. Context: thread. */
int usb_clear_halt(struct usb_device *dev, uint8_t ep_addr, struct usb_pipe *pipe);

/* Open/close a pipe of `dev` (wrappers over the HCD). ERR_NODEV if gone. */
int usb_pipe_open(struct usb_device *dev, const struct usb_endpoint *ep,
                  struct usb_pipe **out);
void usb_pipe_close(struct usb_device *dev, struct usb_pipe *pipe);

/* Bulk transfer (see usb_hc_ops.bulk). ERR_NODEV if the device is gone. */
int usb_bulk(struct usb_device *dev, struct usb_pipe *pipe, void *data, uint32_t bytes,
             uint32_t *moved, bool *stalled, uint32_t timeout_ms);

/* References on a device: the core holds one while it is plugged in, each
 * class driver one while it uses it, each child device one on its parent.
 * The last put closes ep0, frees the device and drops its reference on the
 * parent. Context: thread. */
void usb_device_get(struct usb_device *dev);
void usb_device_put(struct usb_device *dev);

/* For the hub class driver (usb_hub.c); the caller holds the core lock
 * (it runs in probe() or poll()), which these check.
 * usb_hub_attach_locked: the device on port `port` (0-based) of `hub` has
 * been reset and runs at `speed`: enumerate it at address 0 like a
 * root-port device, bind a class driver and publish it in hub->child[].
 * Returns 0; ERR_RANGE (deeper than USB_HUB_MAX_DEPTH or a bad port);
 * ERR_BUSY (the port already has a child); enumeration errors (logged).
 * usb_hub_detach_locked: unplug the device on that port and everything
 * behind it, deepest first (no-op if empty). Context: thread, may sleep. */
int usb_hub_attach_locked(struct usb_device *hub, unsigned port, enum usb_speed speed);
void usb_hub_detach_locked(struct usb_device *hub, unsigned port);

/* Where `dev` is, as root port and hub ports, 1-based: "2" or "2.3.1".
 * Context: any. */
void usb_device_path(const struct usb_device *dev, char *buf, size_t bytes);

/* "super", "high", "full" or "low". */
const char *usb_speed_name(enum usb_speed speed);

/* Register the class drivers, the host controller drivers and `usb`, and
 * start the hub thread. Context: kernel_main, once, after pci_init and
 * blkdev_init. */
void usb_init(void);

#endif
