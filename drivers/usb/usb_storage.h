/* SPDX-License-Identifier: MIT */
/* USB mass storage class driver, Bulk-Only Transport with SCSI commands
 * (interface class 08, subclass 06, protocol 50). usb_storage_register()
 * adds it to the USB core; for each interface it claims it opens the two
 * bulk pipes, asks GET MAX LUN and lets the class logic (lib/usb_msc.h:
 * commands, recovery, retries, the DISKFUNC read/write/flush) identify
 * each logical unit; a unit that is a direct-access block device with a
 * medium is registered as disk "usbhd<N>", N the lowest free index, as
 * KolibriOS's usbstor does. Unplugging the device calls DiskDel; the unit
 * is freed by the disk's close callback.
 * Not done: removable-media polling (a unit without a medium at plug time
 * is not registered), UAS.
 * Spec: USB MSC BOT 1.0; SPC-4; SBC-3. */
#ifndef DRIVERS_USB_USB_STORAGE_H
#define DRIVERS_USB_USB_STORAGE_H

/* Register the class driver with the USB core. Context: thread, usb_init. */
void usb_storage_register(void);

#endif
