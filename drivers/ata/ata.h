/* SPDX-License-Identifier: MIT */
/* IDE (PATA/ATAPI) driver for PCI IDE controllers (class 01:01: PIIX3/PIIX4
 * and compatibles) in compatibility or native mode. ata_init() registers the
 * PCI driver; its probe sets up both channels, finds devices (ATA disks
 * become hd0..hd3 by position - primary master, primary slave, secondary
 * master, secondary slave - and ATAPI drives cd0.. in the order found) and
 * registers them with DiskAdd. Bus-master DMA is the default; the kernel
 * option `ata=pio` (or `ata pio`) forces PIO. Shell: `ata`, `ata pio|dma`,
 * `eject NAME`, `load NAME`. Not done: SATA/AHCI (drivers/ahci), CHS-only
 * drives, ATAPI DMA, hot plug. */
#ifndef DRIVERS_ATA_ATA_H
#define DRIVERS_ATA_ATA_H

/* Register the PCI driver and the shell commands; reads `ata=` from the
 * kernel command line. Context: thread, once, from kernel_main (after
 * pci_init, blkdev_init and shell_init). */
void ata_init(void);

#endif
