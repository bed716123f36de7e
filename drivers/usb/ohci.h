/* SPDX-License-Identifier: MIT */
/* OHCI host controller driver (USB 1.1 full and low speed): SiS, ALi, AMD,
 * NEC and QEMU's pci-ohci. ohci_register() adds a PCI driver for class
 * 0C:03:10; its probe takes the controller from the firmware (SMM via
 * OwnershipChangeRequest, or a BIOS driver by resume), resets it, sets up
 * the HCCA (periodic list empty), one control ED and one bulk ED, powers
 * the root ports, routes the interrupt to INTx and registers a struct
 * usb_hc with the USB core. Transfers run one at a time per controller
 * under its mutex: the stage's general TDs are hung on the control or bulk
 * ED (reprogrammed for each pipe; bulk toggles kept per pipe and carried
 * in the ED), the list is marked filled, and the waiter wakes on the
 * WritebackDoneHead interrupt, reaps the done queue and decides from the
 * ED (reached its tail, or halted) and the TDs' condition codes. Every
 * wait is re-checked at least every 10 ms and bounded by the transfer's
 * timeout; a cancelled ED is skipped for two frames before it is emptied.
 * Register it after EHCI, so that high-speed devices are claimed by the
 * EHCI controller before its companions see them.
 * Not done: periodic (interrupt, isochronous) transfers, suspend/resume,
 * per-port power switching beyond "all on", remote wakeup.
 * Spec: OHCI 1.0a §4 (ED, TD, HCCA), §5.1.1 (initialization and
 * ownership), §6.4 (list processing, done queue), §7 (registers). */
#ifndef DRIVERS_USB_OHCI_H
#define DRIVERS_USB_OHCI_H

/* Register the OHCI PCI driver. Context: thread, from usb_init. */
void ohci_register(void);

#endif
