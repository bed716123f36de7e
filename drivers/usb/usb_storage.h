/* SPDX-License-Identifier: MIT */
/* USB mass storage class driver, Bulk-Only Transport with SCSI commands
 * (interface class 08, subclass 06, protocol 50). usb_storage_register()
 * adds it to the USB core; for each interface it claims it opens the two
 * bulk pipes, asks GET MAX LUN and lets the class logic (lib/usb_msc.h:
 * commands, recovery, retries, the DISKFUNC callbacks) identify each
 * logical unit. Registered as disk "usbhd<N>", N the lowest free index (as
 * KolibriOS's usbstor does), are: a direct-access unit (type 0) with a
 * medium; a removable one (INQUIRY RMB=1: card readers, some sticks), with
 * or without a medium; and a CD/DVD unit (type 5), read-only with 2048-byte
 * blocks, so an ISO9660 disc mounts through fs/iso9660. USB CD/DVD drives
 * take usbhdN too, not cdN: the cdN names are handed out once at boot by
 * the IDE and then the AHCI driver (ata_cd_names_used), and a drive
 * plugged in later could not take one without racing them.
 * Removable and CD/DVD units are polled once a second by one kernel thread
 * (TEST UNIT READY, REQUEST SENSE after CHECK CONDITION): "medium not
 * present" is DiskMediaChanged(0); a UNIT ATTENTION (medium may have
 * changed, reset) is DiskMediaChanged(0), then (1) for the medium found
 * once the old one is closed; querymedia answers NO_MEDIA in between. Their
 * DISKFUNC has LoadTray, so the shell's `eject NAME` / `load NAME` work:
 * START STOP UNIT with LoEj, after PREVENT ALLOW MEDIUM REMOVAL (allow)
 * for an eject. Fixed units are never polled and have no tray.
 * Unplugging the device calls DiskDel; the unit is freed by the disk's
 * close callback.
 * Not done: UAS; media events (GET EVENT STATUS) instead of TEST UNIT
 * READY; locking the medium in while it is mounted.
 * Spec: USB MSC BOT 1.0; SPC-4; SBC-3; MMC-5. */
#ifndef DRIVERS_USB_USB_STORAGE_H
#define DRIVERS_USB_USB_STORAGE_H

/* Register the class driver with the USB core. Context: thread, usb_init. */
void usb_storage_register(void);

#endif
