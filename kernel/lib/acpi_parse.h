/* SPDX-License-Identifier: MIT */
/* ACPI table parsers over byte buffers, shared by the kernel (kernel/acpi.c)
 * and the hosted unit tests. The caller maps or copies the bytes; these
 * functions only read them. Use: acpi_rsdp_parse() on a 16-byte-aligned
 * candidate, acpi_table_check() on every table header before trusting its
 * length, acpi_sdt_entry() to list the RSDT/XSDT, acpi_fadt_parse() for the
 * power registers, acpi_s5_find() to decode \_S5_ from the DSDT's AML.
 * Policy: every defect is rejected (ERR_CORRUPT), never clamped - firmware
 * tables are checksummed, so a bad one is not something to work around.
 * Not an AML interpreter: only the static Name(_S5_, Package(){...}) form.
 * Spec: ACPI 6.4 §5.2.5 (RSDP), §5.2.6 (header), §5.2.7/8 (RSDT/XSDT),
 * §5.2.9 (FADT), §20.2 (AML grammar). */
#ifndef KERNEL_LIB_ACPI_PARSE_H
#define KERNEL_LIB_ACPI_PARSE_H

#include "kernel/types.h"

/* Size of the common table header (ACPI §5.2.6, Table 5.4). */
#define ACPI_HEADER_BYTES 36u
/* Largest table we accept. QEMU's DSDT is ~8 KiB, real firmware DSDTs reach a
 * few hundred KiB; 4 MiB bounds the checksum loop against a garbage length. */
#define ACPI_TABLE_MAX_BYTES (4u * 1024u * 1024u)
/* RSDP sizes: the ACPI 1.0 part covered by the first checksum, and the ACPI 2.0+
 * structure covered by the extended checksum (ACPI §5.2.5.3). */
#define ACPI_RSDP_V1_BYTES 20u
#define ACPI_RSDP_V2_BYTES 36u

/* Trusted contents of a validated RSDP. */
struct acpi_rsdp {
    uint8_t revision;      /* 0 = ACPI 1.0, 2 = ACPI 2.0+ */
    uint32_t rsdt_phys;    /* physical address of the RSDT (0 if none) */
    uint64_t xsdt_phys;    /* physical address of the XSDT; 0 for revision 0 */
    char oem_id[7];        /* NUL-terminated */
};

/* Trusted fields of a table header after acpi_table_check(). */
struct acpi_table_info {
    char signature[5];     /* NUL-terminated, e.g. "FACP" */
    uint32_t length_bytes; /* whole table, header included */
    uint8_t revision;
};

/* Generic Address Structure (ACPI §5.2.3.2), decoded. */
enum acpi_gas_space {
    ACPI_GAS_MEMORY = 0,
    ACPI_GAS_IO = 1,
    ACPI_GAS_PCI_CONFIG = 2,
};
struct acpi_gas {
    uint8_t space_id;      /* enum acpi_gas_space or another value */
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;   /* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
    uint64_t address;      /* meaning depends on space_id */
};

/* What power management needs from the FADT (ACPI §5.2.9, Table 5.9). */
struct acpi_fadt {
    uint8_t revision;
    uint64_t dsdt_phys;        /* X_DSDT when present and non-zero, else DSDT */
    uint32_t smi_cmd_port;     /* 0: no SMI command port (ACPI always enabled) */
    uint8_t acpi_enable;       /* value to write to SMI_CMD to enable ACPI */
    uint32_t pm1a_evt_port;
    uint32_t pm1a_cnt_port;    /* required; never 0 after a successful parse */
    uint32_t pm1b_cnt_port;    /* 0 if there is no PM1b block */
    bool has_reset_reg;        /* FADT flag RESET_REG_SUP and a usable register */
    struct acpi_gas reset_reg; /* valid when has_reset_reg */
    uint8_t reset_value;
    uint8_t century_index;     /* CMOS RAM index of the RTC century, 0 if none */
};

/* Sleep type values of \_S5_ for PM1a_CNT.SLP_TYP and PM1b_CNT.SLP_TYP. */
struct acpi_s5 {
    uint8_t slp_typa; /* 0..7 */
    uint8_t slp_typb; /* 0..7 */
};

/* 8-bit sum of len bytes (a valid table sums to 0). Context: any. */
uint8_t acpi_checksum(const uint8_t *buf, size_t len);

/* Validate an RSDP candidate of avail_bytes readable bytes at buf: signature
 * "RSD PTR ", checksum over 20 bytes, and for revision >= 2 the length field
 * (36 .. avail_bytes) and the extended checksum. Fills *out.
 * Returns 0, ERR_NOENT (no signature: not an RSDP, nothing logged - this is
 * called on every 16-byte step of a scan), ERR_CORRUPT (signature but a bad
 * checksum or length; logged). Context: any. */
int acpi_rsdp_parse(const uint8_t *buf, size_t avail_bytes, struct acpi_rsdp *out);

/* Read a table header at buf, of which avail_bytes are readable, and check:
 * signature equals `signature` (4 chars, NULL = any), 36 <= length <=
 * MIN(avail_bytes, ACPI_TABLE_MAX_BYTES), and the whole table sums to 0.
 * Call it once with avail_bytes = ACPI_HEADER_BYTES to learn the length
 * (ERR_EOM), then again over the whole table.
 * Returns 0, ERR_NOENT (other signature), ERR_EOM (length exceeds avail_bytes
 * but not the cap: map more and retry; info->length_bytes is filled),
 * ERR_CORRUPT (length out of range or bad checksum; logged). Context: any. */
int acpi_table_check(const uint8_t *buf, size_t avail_bytes, const char *signature,
                     struct acpi_table_info *info);

/* Number of entries of a checked RSDT (entry_bytes 4) or XSDT (entry_bytes 8)
 * of length_bytes. Trailing bytes that do not form a whole entry are ignored. */
size_t acpi_sdt_entry_count(uint32_t length_bytes, unsigned entry_bytes);
/* Physical address in entry `index` (< acpi_sdt_entry_count()) of a checked
 * RSDT/XSDT. */
uint64_t acpi_sdt_entry(const uint8_t *table, unsigned entry_bytes, size_t index);

/* Decode a checked FADT of length_bytes. Fields beyond the table's length are
 * treated as absent (ACPI 1.0 FADTs are 116 bytes). Returns 0, or ERR_CORRUPT
 * (shorter than the ACPI 1.0 layout, or PM1a_CNT_BLK is 0; logged). */
int acpi_fadt_parse(const uint8_t *table, uint32_t length_bytes, struct acpi_fadt *out);

/* Search the AML of a checked DSDT/SSDT (whole table, header included) for
 * Name(\_S5_, Package(){a, b, ...}) and decode the first two integers. Each
 * element may be ZeroOp, OneOp or a Byte/Word/DWord prefixed constant. A
 * package of one integer carries a in bits 0-7 and b in bits 8-15 (older
 * firmware). The search is bounded by length_bytes and by a cap on matches.
 * Returns 0, ERR_NOENT (no \_S5_ package), ERR_CORRUPT (a \_S5_ package that
 * is truncated, empty, holds a non-integer element or a value above 7;
 * logged). Context: any. */
int acpi_s5_find(const uint8_t *table, uint32_t length_bytes, struct acpi_s5 *out);

#endif
