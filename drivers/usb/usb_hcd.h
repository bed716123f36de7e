/* SPDX-License-Identifier: MIT */
/* Helpers shared by the host controller drivers (ehci.c, uhci.c, ohci.c,
 * xhci.c), for what their logic has in common: the endpoint description
 * every pipe starts with (struct usb_pipe, filled by usb_pipe_init()), the
 * software-only full-speed pipe of UHCI and OHCI, binding a PCI class with
 * a probe, the probe's first steps (room, name, register BAR, INTx), the
 * register handshake poll, and the "sleep on the completion semaphore, re-check at
 * least every USB_HCD_WAIT_SLICE_MS, give up at the deadline" step of
 * every transfer wait. Register access, schedules and
 * error recovery stay in each driver: they differ per controller.
 * Class drivers do not include this header; to them a pipe is opaque. */
#ifndef DRIVERS_USB_USB_HCD_H
#define DRIVERS_USB_USB_HCD_H

#include "drivers/usb/usb.h"
#include "kernel/irq.h"
#include "kernel/pci.h"
#include "kernel/sync.h"
#include "kernel/types.h"

/* A waiting transfer looks at its descriptors at least this often, so a
 * lost or shared interrupt costs at most this much latency. */
#define USB_HCD_WAIT_SLICE_MS 10

/* What every HCD pipe starts with: the endpoint as it was when opened.
 * An HCD embeds it first in its own pipe struct (UHCI and OHCI need
 * nothing more and use it as is). Written by usb_pipe_init(); only
 * `toggle` changes afterwards, under the HCD's transfer lock. */
struct usb_pipe {
    const struct usb_device *dev; /* owner; outlives the pipe; its `gone` is read */
    uint8_t address;              /* device address when opened */
    uint8_t ep;                   /* endpoint number (0 for the control pipe) */
    bool low_speed;               /* the device is low speed */
    bool control;                 /* the default control pipe */
    bool dir_in;                  /* bulk IN */
    uint16_t max_packet;          /* as reported; the HCD may clamp it */
    uint8_t toggle;               /* next DATA0/1 where kept in software (HCD lock) */
};

/* Fill `p` for endpoint `ep` of `dev` (NULL = the default control pipe,
 * with dev->address and dev->max_packet0 as they are now). The toggle
 * starts at DATA0. Context: any. */
void usb_pipe_init(struct usb_pipe *p, const struct usb_device *dev,
                   const struct usb_endpoint *ep);

/* usb_hc_ops.pipe_open for a controller that keeps no per-pipe schedule
 * state (UHCI, OHCI): a bare struct usb_pipe whose max packet is limited
 * to 64 bytes (0 becomes 8). Returns 0 and *out; ERR_NOMEM. May sleep. */
int usb_hcd_fs_pipe_open(struct usb_hc *hc, struct usb_device *dev,
                         const struct usb_endpoint *ep, struct usb_pipe **out);

/* usb_hc_ops.pipe_close for such pipes: frees it. No transfer may run. */
void usb_hcd_fs_pipe_close(struct usb_hc *hc, struct usb_pipe *pipe);

/* Static storage for one HCD's PCI binding (pci_register_driver keeps a
 * pointer to it). Filled by usb_hcd_pci_register() only. */
struct usb_hcd_pci {
    struct pci_match ids[2];      /* the serial-bus/USB class with one prog-if, end */
    struct pci_driver driver;
};

/* Bind `probe` to PCI class 0C:03:`prog_if` under the name `name` (also
 * the log prefix). A failure is logged ("<name>: cannot register PCI
 * driver (<err>)"), not returned: USB is optional. Context: thread, from
 * the HCD's *_register() at usb_init. */
void usb_hcd_pci_register(struct usb_hcd_pci *slot, const char *name, uint8_t prog_if,
                          int (*probe)(struct pci_device *dev));

/* Attach `handler(ctx)` to the function's INTx line if it has a usable
 * one, as `hc_name`. On failure logs "<drv>: <hc_name>: IRQ n not attached
 * (<err>), polling" and leaves *out NULL, so the HCD polls. Context:
 * thread (probe). */
void usb_hcd_irq_attach(struct pci_device *pdev, const char *drv, const char *hc_name,
                        irq_handler_fn handler, void *ctx, struct irq_handler **out);

/* Fill the identity of a controller before it registers: hc->name becomes
 * "<drv><index>" (e.g. "ehci0"), hc->ops and hc->priv are set. Context: any. */
void usb_hcd_hc_init(struct usb_hc *hc, const char *drv, unsigned index,
                     const struct usb_hc_ops *ops, void *priv);

/* Probe step 1 for an HCD that keeps `max` controllers: 0 if `count` (the
 * ones it has) leaves room; else logs "<drv>: bb:dd.f: more than <max>
 * controllers, ignored" and returns ERR_NOSPC. Context: thread (probe). */
int usb_hcd_check_room(const struct pci_device *pdev, const char *drv, unsigned count,
                       unsigned max);

/* Probe step for a controller whose registers are one memory BAR of at
 * least `min_bytes`: check the BAR (else log "<drv>: bb:dd.f: no register
 * BAR (kind, base 0x...)" and return ERR_NODEV), map it into *regs (its
 * error is returned), then turn on memory decoding and bus mastering.
 * Returns 0. Context: thread (probe). */
int usb_hcd_map_mem_bar(struct pci_device *pdev, const struct pci_bar *bar, const char *drv,
                        uint64_t min_bytes, void **regs);

/* Poll the 32-bit register at `reg` about every millisecond until
 * (value & mask) == want, for at most timeout_ms: the register handshakes
 * of controller reset, halt and port reset. Returns 0 or ERR_TIMEOUT.
 * Context: thread (sleeps). */
int usb_hcd_wait_reg(volatile uint8_t *reg, uint32_t mask, uint32_t want, uint32_t timeout_ms);

/* Sleep until the controller's interrupt ups `done` or `ms` pass; with no
 * IRQ (`has_irq` false) sleep 1 ms instead. Context: thread. */
void usb_hcd_wait_event(struct semaphore *done, bool has_irq, uint32_t ms);

/* One step of a completion wait with deadline `end_ms` (time_ms() clock):
 * ERR_TIMEOUT at once if it has passed (the caller cancels), else sleep as
 * usb_hcd_wait_event() for at most USB_HCD_WAIT_SLICE_MS and return 0, so
 * the caller re-checks its descriptors. Context: thread. */
int usb_hcd_wait_slice(struct semaphore *done, bool has_irq, uint64_t end_ms);

#endif
