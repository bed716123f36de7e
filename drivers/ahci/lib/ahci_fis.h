/* SPDX-License-Identifier: MIT */
/* The in-memory structures an AHCI command is made of, built into byte
 * buffers with explicit little-endian stores: the Register Host to Device
 * FIS (command, 48-bit LBA, 16-bit count, features), the 32-byte command
 * header of a command-list slot and the PRD table that describes one
 * physically contiguous data buffer. Pure code, hosted-testable; the driver
 * writes the results into its DMA memory and sets PxCI.
 * Not done: port multipliers (PMP field is always 0), NCQ FISes.
 * Spec: SATA 3.0 §10.3.4 (Register H2D FIS); AHCI 1.3.1 §4.2.2 (command
 * header), §4.2.3.3 (PRD entry: word-aligned base, even count, 4 MiB max). */
#ifndef DRIVERS_AHCI_LIB_AHCI_FIS_H
#define DRIVERS_AHCI_LIB_AHCI_FIS_H

#include "kernel/types.h"

/* One ATA command as the host sends it. */
struct ahci_h2d {
    uint8_t command;   /* ATA command code */
    uint16_t features; /* 15:8 only reach the device in 48-bit commands */
    uint64_t lba;      /* 48 bits used */
    uint16_t count;    /* sectors; 0 means 65536 for 48-bit commands */
    uint8_t device;    /* device register; AHCI_FIS_DEV_LBA for LBA commands */
};

/* Fill `fis` (AHCI_FIS_H2D_BYTES) with a command FIS for `cmd`.
 * Returns 0; ERR_INVAL (NULL pointer or lba beyond 48 bits).
 * Context: any. */
int ahci_fis_h2d_build(const struct ahci_h2d *cmd, uint8_t *fis);

/* Fill the 32-byte command header `hdr`: a FIS of cfl_dwords (2..16),
 * data direction (write = host to device), ATAPI bit, prdtl PRD entries,
 * command table at bus address ctba (128-byte aligned; above 4 GiB only if
 * addr64). PRDBC is zeroed. Returns 0; ERR_INVAL (any rule broken).
 * Context: any. */
int ahci_cmd_header_build(uint8_t *hdr, unsigned cfl_dwords, bool write, bool atapi,
                          unsigned prdtl, uint64_t ctba, bool addr64);

/* Fill `table` (max_entries * AHCI_PRD_ENTRY_BYTES) for `bytes` bytes at
 * bus address `phys`, at most AHCI_PRD_MAX_BYTES per entry, no interrupt
 * bits (the D2H FIS interrupts). Sets *entries.
 * Returns 0; ERR_INVAL (bytes 0 or odd, phys odd, NULL pointers, the range
 * wraps or reaches past 4 GiB without addr64); ERR_RANGE (more than
 * max_entries needed; table partly written, must not be used).
 * Context: any. */
int ahci_prdt_build(uint64_t phys, uint32_t bytes, bool addr64, uint8_t *table,
                    unsigned max_entries, unsigned *entries);

/* Sectors one command may move: at most `want`, the device's own limit
 * (max_xfer_sectors from IDENTIFY), and max_bytes / sector_bytes (the PRD
 * table or bounce buffer the caller has). 0 only if `want` is 0 or a limit
 * is smaller than one sector. Context: any. */
uint32_t ahci_chunk_sectors(uint32_t want, uint32_t sector_bytes, uint32_t max_xfer_sectors,
                            uint32_t max_bytes);

#endif
