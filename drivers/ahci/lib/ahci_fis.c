// SPDX-License-Identifier: MIT
/* AHCI command structures (contract in ahci_fis.h). */
#include "drivers/ahci/lib/ahci_fis.h"
#include "drivers/ahci/defs.h"
#include "kernel/err.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

#define LBA48_LIMIT (1ull << 48)
#define BUS32_LIMIT 0x100000000ull

int ahci_fis_h2d_build(const struct ahci_h2d *cmd, uint8_t *fis)
{
    if (!cmd || !fis || cmd->lba >= LBA48_LIMIT)
        return ERR_INVAL;
    memset(fis, 0, AHCI_FIS_H2D_BYTES);
    fis[0] = AHCI_FIS_TYPE_H2D;
    fis[1] = AHCI_FIS_C_COMMAND; /* PM port 0 */
    fis[2] = cmd->command;
    fis[3] = (uint8_t)cmd->features;
    fis[4] = (uint8_t)cmd->lba;
    fis[5] = (uint8_t)(cmd->lba >> 8);
    fis[6] = (uint8_t)(cmd->lba >> 16);
    fis[7] = cmd->device;
    fis[8] = (uint8_t)(cmd->lba >> 24);
    fis[9] = (uint8_t)(cmd->lba >> 32);
    fis[10] = (uint8_t)(cmd->lba >> 40);
    fis[11] = (uint8_t)(cmd->features >> 8);
    fis[12] = (uint8_t)cmd->count;
    fis[13] = (uint8_t)(cmd->count >> 8);
    return 0;
}

int ahci_cmd_header_build(uint8_t *hdr, unsigned cfl_dwords, bool write, bool atapi,
                          unsigned prdtl, uint64_t ctba, bool addr64)
{
    if (!hdr || cfl_dwords < 2 || cfl_dwords > 16 || prdtl > AHCI_PRDTL_MAX ||
        (ctba & (AHCI_CT_ALIGN - 1)) || ctba == 0 || (!addr64 && ctba >= BUS32_LIMIT))
        return ERR_INVAL;
    uint32_t dw0 = cfl_dwords | ((uint32_t)prdtl << AHCI_HDR_PRDTL_SHIFT);
    if (write)
        dw0 |= AHCI_HDR_WRITE;
    if (atapi)
        dw0 |= AHCI_HDR_ATAPI;
    memset(hdr, 0, AHCI_CMD_HEADER_BYTES);
    put_le32(hdr, 0, dw0);
    put_le32(hdr, 4, 0); /* PRDBC: the HBA writes the bytes moved */
    put_le32(hdr, 8, (uint32_t)ctba);
    put_le32(hdr, 12, (uint32_t)(ctba >> 32));
    return 0;
}

int ahci_prdt_build(uint64_t phys, uint32_t bytes, bool addr64, uint8_t *table,
                    unsigned max_entries, unsigned *entries)
{
    uint64_t limit = addr64 ? UINT64_MAX : BUS32_LIMIT;
    unsigned n = 0;

    if (!table || !entries || bytes == 0 || (bytes & 1) || (phys & 1) || phys >= limit ||
        bytes > limit - phys)
        return ERR_INVAL;
    *entries = 0;
    while (bytes > 0) {
        uint32_t len = MIN(bytes, AHCI_PRD_MAX_BYTES);
        if (n == max_entries)
            return ERR_RANGE;
        uint8_t *e = table + (size_t)n * AHCI_PRD_ENTRY_BYTES;
        put_le32(e, 0, (uint32_t)phys);
        put_le32(e, 4, (uint32_t)(phys >> 32));
        put_le32(e, 8, 0);
        put_le32(e, 12, (len - 1) & AHCI_PRD_DBC_MASK); /* count - 1: bit 0 set */
        phys += len;
        bytes -= len;
        n++;
    }
    *entries = n;
    return 0;
}

uint32_t ahci_chunk_sectors(uint32_t want, uint32_t sector_bytes, uint32_t max_xfer_sectors,
                            uint32_t max_bytes)
{
    if (sector_bytes == 0)
        return 0;
    uint32_t limit = MIN(max_xfer_sectors, max_bytes / sector_bytes);
    return MIN(want, limit);
}
