/* SPDX-License-Identifier: MIT */
/* UHCI host controller driver (USB 1.1 full and low speed): PIIX3/PIIX4
 * and ICH companion controllers. uhci_register() adds a PCI driver for
 * class 0C:03:00; its probe clears the BIOS legacy-support traps, resets
 * the controller, points every frame of the frame list at one transfer QH,
 * routes the interrupt to INTx and registers a struct usb_hc with the USB
 * core. Transfers run one at a time per controller under its mutex: a chain
 * of TDs (one per packet, depth first) hung under the transfer QH; the data
 * toggle of each bulk pipe is kept in software. Completion is IRQ-driven
 * (IOC, short packet, CRC/timeout), re-checked at least every 10 ms, with a
 * timeout per transfer; a cancelled chain is unhooked and the controller
 * given two frames to let go of it.
 * Register it after EHCI, so that high-speed devices are claimed by the
 * EHCI controller before its companions see them.
 * Not done: periodic (interrupt, isochronous) transfers, bandwidth
 * reclamation tuning, suspend/resume.
 * Spec: UHCI Design Guide 1.1 §2 (registers), §3 (frame list, TD, QH),
 * §4 (schedule); PIIX4 datasheet §2.3.17 (LEGSUP). */
#ifndef DRIVERS_USB_UHCI_H
#define DRIVERS_USB_UHCI_H

/* Register the UHCI PCI driver. Context: thread, from usb_init. */
void uhci_register(void);

#endif
