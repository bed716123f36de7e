/* SPDX-License-Identifier: MIT */
/* IDENTIFY DEVICE / IDENTIFY PACKET DEVICE parsing: the 512 bytes a device
 * returns (256 little-endian words, as read from the data port) become a
 * trusted struct ata_identify. Pure code, hosted-testable; the driver reads
 * the block and calls ata_identify_parse() before believing anything in it.
 *
 * Rejected (ERR_CORRUPT, one log line): a bad integrity word (word 255
 * signature 0xA5 with a wrong checksum), an ATA block whose word 0 says
 * "ATAPI" or the reverse, an ATA device without LBA (CHS-only drives are not
 * supported: ERR_NOTSUP), zero capacity, a logical sector size outside
 * 512..4096 or not a power of two.
 * Tolerated with a warning: LBA48 advertised but words 100-103 zero or
 * smaller than the LBA28 count (old firmware) - the LBA28 count is used;
 * an LBA48 count above 2^48 - clamped.
 * Spec: ATA/ATAPI-7 vol. 1 §6.17 (IDENTIFY DEVICE, Table 16) and §6.18
 * (IDENTIFY PACKET DEVICE); ATA8-ACS §7.16.7.54 (words 106, 117-118). */
#ifndef DRIVERS_ATA_LIB_ATA_IDENTIFY_H
#define DRIVERS_ATA_LIB_ATA_IDENTIFY_H

#include "kernel/types.h"

#define ATA_IDENTIFY_BYTES 512
#define ATA_MODEL_MAX 40
#define ATA_SERIAL_MAX 20
#define ATA_FIRMWARE_MAX 8
/* Sectors per command: a count of 0 means 256 (LBA28) or 65536 (LBA48). */
#define ATA_LBA28_MAX_XFER 256u
#define ATA_LBA48_MAX_XFER 65536u
#define ATA_LBA28_LIMIT (1ull << 28)
#define ATA_LBA48_LIMIT (1ull << 48)
/* Peripheral device type in word 0 bits 12:8 of a packet device (SPC-3). */
#define ATAPI_TYPE_CDROM 5

/* Trusted facts from one IDENTIFY block. */
struct ata_identify {
    bool is_packet;           /* ATAPI (IDENTIFY PACKET DEVICE) */
    uint8_t packet_type;      /* ATAPI peripheral type (5 = CD/DVD) */
    char model[ATA_MODEL_MAX + 1];       /* byte-swapped, trailing blanks cut */
    char serial[ATA_SERIAL_MAX + 1];
    char firmware[ATA_FIRMWARE_MAX + 1];
    bool has_lba48;           /* 48-bit commands supported (word 83 bit 10) */
    bool has_dma;             /* word 49 bit 8 */
    int udma_max;             /* highest supported UDMA mode, -1 none (word 88) */
    int udma_selected;        /* selected UDMA mode, -1 none */
    int mwdma_max;            /* highest multiword DMA mode, -1 none (word 63) */
    bool write_cache_supported; /* word 82 bit 5 */
    bool write_cache_enabled;   /* word 85 bit 5 */
    bool has_flush_ext;       /* FLUSH CACHE EXT (word 83 bit 13) */
    uint32_t multiple_max;    /* sectors per READ/WRITE MULTIPLE block, 0 none */
    uint32_t multiple_current; /* current block size (word 59, when bit 8 vouches), 0 none */
    uint64_t sectors;         /* capacity in logical sectors (ATA only) */
    uint32_t sector_bytes;    /* logical sector size (ATA only; 2048 for ATAPI) */
    uint32_t max_xfer_sectors; /* sectors one command may move */
};

/* Parse `raw` (ATA_IDENTIFY_BYTES) from IDENTIFY DEVICE (packet = false) or
 * IDENTIFY PACKET DEVICE (packet = true) into *out. `name` is the device
 * name for log lines. Returns 0, ERR_CORRUPT, ERR_NOTSUP (see the file
 * comment), ERR_INVAL (NULL argument). *out is undefined on error.
 * Context: any; no locks, no allocation. */
int ata_identify_parse(const char *name, const uint8_t *raw, bool packet,
                       struct ata_identify *out);

/* Sectors per block to request with SET MULTIPLE MODE: the largest power
 * of two not above id->multiple_max nor ATA_MULTIPLE_LIMIT; 0 when the
 * device has no READ/WRITE MULTIPLE (word 47 bits 7:0 below 2: one sector
 * per block gains nothing) or is ATAPI.
 * Spec: ATA/ATAPI-7 vol. 1 §6.49 (SET MULTIPLE MODE: block sizes are
 * powers of two up to the word 47 maximum). Context: any. */
#define ATA_MULTIPLE_LIMIT 128u
uint32_t ata_identify_multiple_pick(const struct ata_identify *id);

#endif
