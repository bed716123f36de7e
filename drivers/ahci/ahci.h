/* SPDX-License-Identifier: MIT */
/* AHCI (SATA) driver for PCI class 01:06:01 controllers (QEMU ich9-ahci,
 * Intel ICH/PCH and compatibles). ahci_init() registers the PCI driver; its
 * probe maps ABAR, takes the HBA from the BIOS, enables AHCI mode, sets up
 * every implemented port and finds devices by link state and signature.
 * ATA disks become sd0, sd1.. in the order found (controller, then port
 * number) - the KolibriOS naming (kernel/trunk/blkdev/ahci.inc, "sd" plus a
 * counter); ATAPI drives become cd names after the IDE ones. Both are
 * registered with DiskAdd.
 * One command is outstanding per port (slot 0 only; no NCQ): each port has
 * one mutex held for a whole command including retries and resets.
 * Shell: `ahci` lists the controllers and ports.
 * Not done: NCQ, port multipliers, hot plug, MSI, power management. */
#ifndef DRIVERS_AHCI_AHCI_H
#define DRIVERS_AHCI_AHCI_H

/* Register the PCI driver and the shell command. Context: thread, once,
 * from kernel_main (after pci_init, blkdev_init, shell_init and ata_init,
 * so that IDE CD names come first). */
void ahci_init(void);

#endif
