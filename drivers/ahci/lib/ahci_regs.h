/* SPDX-License-Identifier: MIT */
/* Decoding of AHCI register values the HBA reports: the capability words
 * (CAP, CAP2, VS) into a trusted struct, a port's PxSIG into a device kind,
 * PxSSTS into link state and speed, and the error state of a finished
 * command (PxIS plus the PxTFD status/error bytes) into one kernel error
 * code, the device's ATA fault (for the shared retry policy,
 * drivers/ata/lib/ata_retry.h) and whether the port needs a reset. Pure
 * code, hosted-testable; the driver reads the registers and never
 * interprets the bits itself.
 * Register values are hardware input: every field is masked and unknown
 * encodings become "unknown"/ERR_IO, never a crash.
 * Spec: AHCI 1.3.1 §3.1.1 (CAP), §3.1.5 (VS), §3.3.5 (PxIS), §3.3.8
 * (PxTFD), §3.3.9 (PxSIG), §3.3.10 (PxSSTS), §6.1.2 (error classes). */
#ifndef DRIVERS_AHCI_LIB_AHCI_REGS_H
#define DRIVERS_AHCI_LIB_AHCI_REGS_H

#include "drivers/ata/lib/ata_error.h"
#include "kernel/types.h"

/* Device kind from the port signature. */
enum ahci_dev_kind {
    AHCI_DEV_NONE = 0,  /* no link, or a signature we do not drive */
    AHCI_DEV_ATA,       /* 0x00000101 */
    AHCI_DEV_ATAPI,     /* 0xEB140101 */
    AHCI_DEV_SEMB,      /* 0xC33C0101: enclosure bridge (not driven) */
    AHCI_DEV_PM,        /* 0x96690101: port multiplier (not driven) */
    AHCI_DEV_UNKNOWN,   /* link up, signature not recognised */
};

/* Trusted facts from CAP, CAP2 and VS. */
struct ahci_caps {
    unsigned ports;        /* CAP.NP + 1: 1..32 */
    unsigned slots;        /* CAP.NCS + 1: 1..32 */
    unsigned iss;          /* interface speed limit: 1 Gen1, 2 Gen2, 3 Gen3, 0 unknown */
    bool addr64;           /* CAP.S64A */
    bool ncq;              /* CAP.SNCQ */
    bool staggered_spinup; /* CAP.SSS */
    bool clo;              /* CAP.SCLO */
    bool bios_handoff;     /* CAP2.BOH */
    unsigned ver_major;    /* VS 31:16, e.g. 1 */
    unsigned ver_minor;    /* VS 15:0 in BCD-like form: 0x0100 -> 1.0, 0x0301 -> 3.1 */
};

/* Decode CAP, CAP2 and VS into *out. Context: any. */
void ahci_caps_decode(uint32_t cap, uint32_t cap2, uint32_t vs, struct ahci_caps *out);

/* Version string "1.0", "1.3.1" etc. into buf (len >= 8). Returns buf. */
const char *ahci_version_string(const struct ahci_caps *caps, char *buf, size_t len);

/* Device kind for a signature; only meaningful when the link is up
 * (ahci_link_is_up). Context: any. */
enum ahci_dev_kind ahci_sig_decode(uint32_t sig);

/* "ATA", "ATAPI", "SEMB", "PM", "unknown", "none". */
const char *ahci_dev_kind_name(enum ahci_dev_kind kind);

/* True if PxSSTS.DET says a device is present with phy communication up. */
bool ahci_link_is_up(uint32_t ssts);

/* Negotiated link speed from PxSSTS.SPD: "1.5 Gbps", "3 Gbps", "6 Gbps",
 * "none" (no link), "unknown". Context: any. */
const char *ahci_link_speed_name(uint32_t ssts);

/* Outcome of a finished or failed command. */
struct ahci_fault {
    int err;               /* 0, ERR_IO, ERR_NOTSUP */
    bool needs_reset;      /* the port must be COMRESET before the next command */
    enum ata_fault ata;    /* device's own verdict (TFES); ATA_FAULT_NONE otherwise */
    const char *what;      /* short text for the log line */
    uint8_t status, error; /* PxTFD bytes */
};

/* Classify a command's end from the PxIS bits it raised and PxTFD.
 * Host-side errors (HBFS, HBDS, IFS, OFS) take precedence and always need a
 * port reset; TFES is classified by the ATA status/error bytes
 * (ata_error_classify, drivers/ata/lib); INFS alone is ERR_IO without a
 * reset. Host and interface errors leave `ata` at ATA_FAULT_NONE, so the
 * retry policy repeats them; the device's faults are judged by kind. No error bit and a clear ERR/DF status is success (err 0).
 * A TFES with BSY or DRQ still set also needs a reset (AHCI §6.2.2.1).
 * Context: any. */
void ahci_fault_decode(uint32_t pxis, uint32_t tfd, struct ahci_fault *out);

#endif
