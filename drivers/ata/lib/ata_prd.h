/* SPDX-License-Identifier: MIT */
/* Physical Region Descriptor tables for bus-master IDE: one physically
 * contiguous buffer becomes a list of 8-byte entries (32-bit base, 16-bit
 * byte count where 0 means 64 KiB, bit 15 of the last word = end of table),
 * split so that no entry crosses a 64 KiB boundary. Pure code; the driver
 * puts the table in DMA memory and hands its address to the engine.
 * Spec: SFF-8038i rev 1.0 §3 (PRD format, 64 KiB rule); Intel PIIX4
 * datasheet §2.7.3 (base and count must be even). */
#ifndef DRIVERS_ATA_LIB_ATA_PRD_H
#define DRIVERS_ATA_LIB_ATA_PRD_H

#include "kernel/types.h"

#define ATA_PRD_ENTRY_BYTES 8
#define ATA_PRD_EOT 0x8000u
#define ATA_PRD_BOUNDARY 0x10000u

/* Fill `table` (max_entries * ATA_PRD_ENTRY_BYTES bytes) for `bytes` bytes
 * at bus address `phys`. Sets *entries to the number used.
 * Returns 0; ERR_INVAL (bytes 0 or odd, phys odd, the range reaching past
 * 4 GiB, NULL pointers); ERR_RANGE (more than max_entries needed; the
 * table is then partly written and must not be used).
 * Context: any; no locks. */
int ata_prd_build(uint64_t phys, uint32_t bytes, uint8_t *table, unsigned max_entries,
                  unsigned *entries);

#endif
