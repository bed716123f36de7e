/* SPDX-License-Identifier: MIT */
/* EHCI host controller driver (USB 2.0 high speed). ehci_register() adds a
 * PCI driver for class 0C:03:20; its probe takes the controller from the
 * BIOS (legacy support capability), resets it, builds an empty async
 * schedule, routes every port to itself (CONFIGFLAG) and registers a
 * struct usb_hc with the USB core, which then drives the root ports.
 * Transfers: one persistent QH per pipe in the async ring; a transfer is a
 * chain of qTDs hung into the QH's overlay. Transfers on one controller run
 * one at a time under its mutex; completion is IRQ-driven (PCI INTx, USBINT
 * and USBERRINT wake a semaphore; the waiter re-checks the qTDs at least
 * every EHCI_WAIT_SLICE_MS), or polled if the controller has no IRQ line.
 * A transfer that does not finish in its timeout is cancelled by unlinking
 * its QH (async advance doorbell) and gives ERR_TIMEOUT.
 * Low- and full-speed devices are handed to the companion controller
 * (PORTSC.PortOwner); with no companion driver here they stay unused.
 * Not done: periodic schedule, split transactions, 64-bit buffers above
 * 4 GiB (the kernel has none).
 * Spec: EHCI 1.0 §2 (registers), §3.5-3.6 (qTD, QH), §4.2.2 (port routing
 * and reset), §4.8 (async schedule, doorbell), §4.10 (QH/qTD processing),
 * §5.1 (BIOS handoff). */
#ifndef DRIVERS_USB_EHCI_H
#define DRIVERS_USB_EHCI_H

/* Register the EHCI PCI driver. Context: thread, from usb_init. */
void ehci_register(void);

#endif
