// SPDX-License-Identifier: MIT
/* ATA error classification (contract in ata_error.h). ICRC is tested before
 * ABRT because a CRC error sets both (ATA/ATAPI-7 vol. 1 §7.11: "ICRC ... ABRT
 * shall be set" for Ultra DMA CRC errors). */
#include "drivers/ata/lib/ata_error.h"
#include "drivers/ata/defs.h"
#include "kernel/err.h"

enum ata_fault ata_error_classify(uint8_t status, uint8_t error)
{
    if (status & ATA_SR_DF)
        return ATA_FAULT_DEVICE;
    if (!(status & ATA_SR_ERR))
        return ATA_FAULT_NONE;
    if (error & ATA_ER_ICRC)
        return ATA_FAULT_CRC;
    if (error & ATA_ER_UNC)
        return ATA_FAULT_MEDIA;
    if (error & ATA_ER_IDNF)
        return ATA_FAULT_ID;
    if (error & ATA_ER_ABRT)
        return ATA_FAULT_ABORT;
    return ATA_FAULT_DEVICE;
}

int ata_fault_to_err(enum ata_fault fault)
{
    switch (fault) {
    case ATA_FAULT_NONE:
        return 0;
    case ATA_FAULT_ABORT:
        return ERR_NOTSUP;
    default:
        return ERR_IO;
    }
}

bool ata_fault_is_retryable(enum ata_fault fault)
{
    return fault == ATA_FAULT_CRC || fault == ATA_FAULT_MEDIA || fault == ATA_FAULT_DEVICE;
}

const char *ata_fault_name(enum ata_fault fault)
{
    switch (fault) {
    case ATA_FAULT_NONE:
        return "none";
    case ATA_FAULT_ABORT:
        return "abort";
    case ATA_FAULT_MEDIA:
        return "uncorrectable";
    case ATA_FAULT_ID:
        return "id not found";
    case ATA_FAULT_CRC:
        return "crc";
    case ATA_FAULT_DEVICE:
        return "device fault";
    }
    return "?";
}
