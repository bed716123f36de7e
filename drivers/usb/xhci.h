/* SPDX-License-Identifier: MIT */
/* xHCI host controller driver (USB 3 controllers; QEMU's qemu-xhci and
 * nec-usb-xhci). xhci_register() adds a PCI driver for class 0C:03:30; its
 * probe takes the controller from the BIOS (USB Legacy Support extended
 * capability), resets it, sets up the device context array, one command
 * ring and one event ring (interrupter 0, PCI INTx) and registers a struct
 * usb_hc with the USB core. The controller addresses devices itself: ep0
 * opens a slot (Enable Slot, Address Device with BSR=1) and the core's
 * set_address step is Address Device with BSR=0; bulk pipes are added with
 * Configure Endpoint and have a transfer ring each. Commands and transfers
 * on one controller run one at a time under its mutex; the waiter drains
 * the event ring itself (woken by the interrupt, re-checking at least
 * every 10 ms), every wait has a timeout; a timed-out or cancelled transfer
 * is stopped (Stop Endpoint) and its ring moved past it (Set TR Dequeue
 * Pointer), a STALLed endpoint is reset (Reset Endpoint) the same way.
 * Not done: SuperSpeed bulk streams and burst tuning, periodic transfers,
 * hubs (route strings), MSI/MSI-X, more than one event ring segment.
 * Spec: xHCI 1.2 §4.2 (initialization), §4.3 (device slots), §4.6
 * (commands), §4.9 (rings), §4.11 (TRBs), §5 (registers), §6 (contexts,
 * TRB layouts), §7.1 (legacy support). */
#ifndef DRIVERS_USB_XHCI_H
#define DRIVERS_USB_XHCI_H

/* Register the xHCI PCI driver. Context: thread, from usb_init. */
void xhci_register(void);

#endif
