/* SPDX-License-Identifier: MIT */
/* Retry policy of a failed ATA data command: given how an attempt ended,
 * decide whether to repeat it as is, repeat it once by PIO (a DMA command the
 * device aborted) or give up. Pure code, hosted-testable; used by the IDE
 * driver (drivers/ata/ata_disk.c) and the AHCI driver (drivers/ahci/
 * ahci_disk.c, which never asks for PIO).
 * The rules, in order: no attempts left -> give up; a timeout (the caller
 * has reset the channel) or a protocol error with clean registers (no DRQ
 * when data was due, a bus-master error) -> repeat; an abort of a DMA command -> one try by
 * PIO, because ABRT means either "DMA not supported" or "the device refused
 * this data" and only PIO tells the two apart; CRC, media and device faults
 * -> repeat; anything else (ID not found, abort by PIO, bad arguments) ->
 * give up, since it would fail the same way.
 * Spec: ATA/ATAPI-7 vol. 1 §7.11 (error bits), §6.20ff (READ DMA: ABRT when
 * the command is not supported). */
#ifndef DRIVERS_ATA_LIB_ATA_RETRY_H
#define DRIVERS_ATA_LIB_ATA_RETRY_H

#include "drivers/ata/lib/ata_error.h"
#include "kernel/types.h"

enum ata_retry_action {
    ATA_RETRY_FAIL = 0, /* report the error */
    ATA_RETRY_SAME,     /* repeat the command in the same mode */
    ATA_RETRY_PIO,      /* repeat it once by PIO; switch to PIO only if that works */
};

/* Decide after attempt number `attempt` (1-based) of at most `max_attempts`
 * ended with `err` (ERR_TIMEOUT, ERR_IO, ERR_NOTSUP...; not 0) and, for a
 * decoded device error, `fault` (ATA_FAULT_NONE when the registers were not
 * read, e.g. after a timeout). `dma` says the attempt used DMA.
 * Context: any; no locks, no side effects. */
enum ata_retry_action ata_retry_decide(int err, enum ata_fault fault, bool dma,
                                       unsigned attempt, unsigned max_attempts);

/* Short name for logs: "fail", "retry", "retry by PIO". */
const char *ata_retry_name(enum ata_retry_action action);

#endif
