/* SPDX-License-Identifier: MIT */
/* ACPI discovery for power management: acpi_init() (called by power_init)
 * finds the RSDP in the EBDA or the BIOS area, follows the RSDT (or the XSDT
 * when it lies below 4 GiB) to the FADT and its DSDT, and keeps what power
 * off and reboot need: the PM1 control ports, the SMI command that enables
 * ACPI mode, the reset register and the \_S5_ sleep types. Every table is
 * length- and checksum-checked before use (kernel/lib/acpi_parse.h); a table
 * outside identity-mapped RAM is skipped with a log line.
 * Not done: AML interpretation, other sleep states, MADT/HPET/MCFG. */
#ifndef KERNEL_ACPI_H
#define KERNEL_ACPI_H

#include "kernel/lib/acpi_parse.h"
#include "kernel/types.h"

/* What acpi_init() found; fadt and s5 are valid only when their flag is set. */
struct acpi_power_info {
    uint32_t rsdp_phys;    /* where the RSDP was found */
    bool has_fadt;         /* FADT found and parsed */
    struct acpi_fadt fadt;
    bool has_s5;           /* \_S5_ decoded from the DSDT */
    struct acpi_s5 s5;
};

/* Discover the tables and log one summary line (or why not).
 * Returns 0 (FADT found; \_S5_ may still be missing, see has_s5), ERR_NOENT
 * (no RSDP or no FADT), ERR_CORRUPT (RSDP or FADT invalid).
 * Context: thread, once at boot, before anything calls acpi_get_power_info. */
int acpi_init(void);

/* Copy what acpi_init() found into *out. Returns 0, or ERR_NOENT when no
 * FADT was found (then *out is zeroed). Context: any. */
int acpi_get_power_info(struct acpi_power_info *out);

#endif
