/* SPDX-License-Identifier: MIT */
/* IDE (PATA/ATAPI) driver for PCI IDE controllers (class 01:01: PIIX3/PIIX4
 * and compatibles) in compatibility or native mode. ata_init() registers the
 * PCI driver; its probe sets up both channels, finds devices (ATA disks
 * become hd0..hd3 by position - primary master, primary slave, secondary
 * master, secondary slave - and ATAPI drives cd0.. in the order found) and
 * registers them with DiskAdd. Bus-master DMA is the default for disks and
 * ATAPI reads; the kernel option `ata=pio` (or `ata pio`) forces PIO, which
 * uses READ/WRITE MULTIPLE where the disk has it. Failed commands are retried
 * a bounded number of times and decoded into one log line; a device that
 * stops answering fails fast. ATAPI media changes are polled with GET EVENT
 * STATUS NOTIFICATION (TEST UNIT READY on drives without it). Shell: `ata`,
 * `ata pio|dma`, `eject NAME`, `load NAME`. Not done: SATA/AHCI
 * (drivers/ahci), CHS-only drives, hot plug (a removed device stays listed
 * and fails its commands). */
#ifndef DRIVERS_ATA_ATA_H
#define DRIVERS_ATA_ATA_H

/* Register the PCI driver and the shell commands; reads `ata=` from the
 * kernel command line. Context: thread, once, from kernel_main (after
 * pci_init, blkdev_init and shell_init). */
void ata_init(void);

/* How many cdN names the IDE driver has handed out (cd0..cdN-1), so that
 * other drivers of CD drives (drivers/ahci) continue the numbering. Stable
 * once ata_init() has returned: IDE probes run inside it.
 * Context: thread. */
unsigned ata_cd_names_used(void);

#endif
