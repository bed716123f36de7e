/* SPDX-License-Identifier: MIT */
/* Decoding of a failed ATA command: the status and error registers become
 * one kernel error code and a retry decision. Pure code, hosted-testable.
 * The driver turns the result into a DISK_STATUS code at its DISKFUNC
 * boundary (ata_disk.c) - this file knows nothing of DISK_STATUS.
 * Spec: ATA/ATAPI-7 vol. 1 §7.11 (error bits), §7.15 (status bits). */
#ifndef DRIVERS_ATA_LIB_ATA_ERROR_H
#define DRIVERS_ATA_LIB_ATA_ERROR_H

#include "kernel/types.h"

/* What went wrong, for logs and retry policy. */
enum ata_fault {
    ATA_FAULT_NONE = 0,  /* ERR and DF clear */
    ATA_FAULT_ABORT,     /* ABRT: command not supported or parameters refused */
    ATA_FAULT_MEDIA,     /* UNC: uncorrectable data */
    ATA_FAULT_ID,        /* IDNF: address not found */
    ATA_FAULT_CRC,       /* ICRC: interface CRC error on an Ultra DMA transfer */
    ATA_FAULT_DEVICE,    /* DF, or ERR with no known error bit */
};

/* Classify a completed command from its final status and error registers.
 * Context: any. */
enum ata_fault ata_error_classify(uint8_t status, uint8_t error);

/* Kernel error code for a fault: 0 for ATA_FAULT_NONE, ERR_IO otherwise,
 * ERR_NOTSUP for ATA_FAULT_ABORT. Context: any. */
int ata_fault_to_err(enum ata_fault fault);

/* True if repeating the same command may help (CRC glitches, media and
 * device faults); false for ABORT and ID faults, which repeat identically. */
bool ata_fault_is_retryable(enum ata_fault fault);

/* Short name for logs: "abort", "uncorrectable", "id not found", "crc",
 * "device fault", "none". */
const char *ata_fault_name(enum ata_fault fault);

#endif
