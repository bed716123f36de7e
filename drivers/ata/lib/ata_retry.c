// SPDX-License-Identifier: MIT
/* ATA retry policy (contract and rules in ata_retry.h). */
#include "drivers/ata/lib/ata_retry.h"
#include "kernel/err.h"

enum ata_retry_action ata_retry_decide(int err, enum ata_fault fault, bool dma,
                                       unsigned attempt, unsigned max_attempts)
{
    if (err == 0 || attempt >= max_attempts)
        return ATA_RETRY_FAIL;
    if (err == ERR_TIMEOUT || (err == ERR_IO && fault == ATA_FAULT_NONE))
        return ATA_RETRY_SAME;
    if (fault == ATA_FAULT_ABORT)
        return dma ? ATA_RETRY_PIO : ATA_RETRY_FAIL;
    if (ata_fault_is_retryable(fault))
        return ATA_RETRY_SAME;
    return ATA_RETRY_FAIL;
}

const char *ata_retry_name(enum ata_retry_action action)
{
    switch (action) {
    case ATA_RETRY_FAIL:
        return "fail";
    case ATA_RETRY_SAME:
        return "retry";
    case ATA_RETRY_PIO:
        return "retry by PIO";
    }
    return "?";
}
