/* SPDX-License-Identifier: MIT */
/* USB hub class driver (interface class 09, USB 2.0 chapter 11).
 * usb_hub_register() adds it to the USB core. For each hub it claims it
 * reads the hub descriptor, tells the host controller the hub's port count
 * (usb_hc_ops.hub_config, xHCI), powers the ports and waits the hub's
 * power-on-to-power-good time, then enumerates what is plugged in. After
 * that the core's hub thread calls its poll() every USB_POLL_MS: each port
 * is read with GET_STATUS; a new connection is debounced for 100 ms, reset
 * (SET_FEATURE(PORT_RESET), wait for C_PORT_RESET), its speed read from
 * the status bits, and the device handed to usb_hub_attach_locked(); a lost
 * connection unplugs the child and its subtree through
 * usb_hub_detach_locked(); the C_PORT_* change bits are cleared. A hub
 * deeper than USB_HUB_MAX_DEPTH hubs is refused.
 * Not done: the status-change interrupt endpoint (ports are polled), USB 3
 * hubs' SuperSpeed ports, multi-TT mode (a multi-TT hub runs single-TT),
 * port indicators, suspend.
 * Hardware-free decoding: lib/hub.h. */
#ifndef DRIVERS_USB_USB_HUB_H
#define DRIVERS_USB_USB_HUB_H

/* Register the class driver with the USB core. Context: thread, usb_init. */
void usb_hub_register(void);

#endif
