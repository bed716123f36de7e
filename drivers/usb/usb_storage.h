/* SPDX-License-Identifier: MIT */
/* USB mass storage class driver, Bulk-Only Transport with SCSI commands
 * (interface class 08, subclass 06, protocol 50). usb_storage_register()
 * adds it to the USB core; for each device it claims it asks GET MAX LUN,
 * and for each logical unit that is a direct-access block device with a
 * medium (INQUIRY, TEST UNIT READY with retries, READ CAPACITY (10), or
 * (16) beyond 2 TiB; MODE SENSE (6) for write protection) it registers a
 * disk named "usbhd<N>", N the lowest free index, as KolibriOS's usbstor
 * does. Reads and writes use READ/WRITE (10),
 * or (16) past LBA 2^32, in commands of at most USB_STORAGE_MAX_XFER_BYTES;
 * flush is SYNCHRONIZE CACHE (10). A failed command gets REQUEST SENSE; a
 * bad CSW, phase error or transport failure gets reset recovery (BOT
 * §5.3.4). Retries are bounded and logged. Unplugging the device calls
 * DiskDel; the unit is freed by the disk's close callback.
 * Not done: removable-media polling (a unit without a medium at plug time
 * is not registered), UAS.
 * Spec: USB MSC BOT 1.0; SPC-4; SBC-3. */
#ifndef DRIVERS_USB_USB_STORAGE_H
#define DRIVERS_USB_USB_STORAGE_H

/* Bytes per READ/WRITE command. 256 KiB keeps the per-command overhead
 * (CBW + CSW, ~2 ms under QEMU) small against the data. */
#define USB_STORAGE_MAX_XFER_BYTES (256u * 1024)

/* Register the class driver with the USB core. Context: thread, usb_init. */
void usb_storage_register(void);

#endif
