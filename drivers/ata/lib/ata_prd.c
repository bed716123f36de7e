// SPDX-License-Identifier: MIT
/* PRD table builder (contract in ata_prd.h). */
#include "drivers/ata/lib/ata_prd.h"
#include "kernel/err.h"
#include "kernel/lib/endian.h"

#define BUS_LIMIT 0x100000000ull /* the PRD base is 32 bits wide */

int ata_prd_build(uint64_t phys, uint32_t bytes, uint8_t *table, unsigned max_entries,
                  unsigned *entries)
{
    unsigned n = 0;

    if (!table || !entries || bytes == 0 || (bytes & 1) || (phys & 1) ||
        phys >= BUS_LIMIT || bytes > BUS_LIMIT - phys)
        return ERR_INVAL;
    *entries = 0;
    while (bytes > 0) {
        /* Up to the next 64 KiB boundary, never past it. */
        uint32_t room = ATA_PRD_BOUNDARY - (uint32_t)(phys & (ATA_PRD_BOUNDARY - 1));
        uint32_t len = MIN(bytes, room);
        if (n == max_entries)
            return ERR_RANGE;
        uint8_t *e = table + (size_t)n * ATA_PRD_ENTRY_BYTES;
        put_le32(e, 0, (uint32_t)phys);
        put_le16(e, 4, (uint16_t)(len & 0xFFFF)); /* 0x10000 is written as 0 */
        put_le16(e, 6, 0);
        phys += len;
        bytes -= len;
        n++;
    }
    put_le16(table + (size_t)(n - 1) * ATA_PRD_ENTRY_BYTES, 6, ATA_PRD_EOT);
    *entries = n;
    return 0;
}
