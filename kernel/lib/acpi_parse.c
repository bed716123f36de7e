// SPDX-License-Identifier: MIT
/* ACPI table parsers over byte buffers (contract in acpi_parse.h). All
 * multi-byte fields are read with explicit little-endian loads, so the buffer
 * needs no alignment and no packed struct is ever cast onto it. */
#include "kernel/lib/acpi_parse.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

/* RSDP layout (ACPI §5.2.5.3, Table 5.3). */
#define RSDP_OFF_CHECKSUM 8
#define RSDP_OFF_OEM_ID 9
#define RSDP_OFF_REVISION 15
#define RSDP_OFF_RSDT 16
#define RSDP_OFF_LENGTH 20
#define RSDP_OFF_XSDT 24

/* Common header (ACPI §5.2.6, Table 5.4). */
#define HDR_OFF_LENGTH 4
#define HDR_OFF_REVISION 8

/* FADT field offsets (ACPI §5.2.9, Table 5.9). */
#define FADT_OFF_DSDT 40
#define FADT_OFF_SMI_CMD 48
#define FADT_OFF_ACPI_ENABLE 52
#define FADT_OFF_PM1A_EVT_BLK 56
#define FADT_OFF_PM1A_CNT_BLK 64
#define FADT_OFF_PM1B_CNT_BLK 68
#define FADT_OFF_CENTURY 108
#define FADT_OFF_FLAGS 112
#define FADT_OFF_RESET_REG 116
#define FADT_OFF_RESET_VALUE 128
#define FADT_OFF_X_DSDT 140
#define FADT_OFF_X_PM1A_CNT_BLK 172
#define FADT_OFF_X_PM1B_CNT_BLK 184
#define FADT_GAS_BYTES 12
/* Length of the ACPI 1.0 FADT, the shortest layout that has every field we
 * must have (it ends with Flags). */
#define FADT_V1_BYTES 116u
#define FADT_FLAG_RESET_REG_SUP (1u << 10)
/* System I/O space is 64 KiB; a port above that is a corrupt table. */
#define ACPI_IO_PORT_MAX 0xFFFFu

/* AML opcodes (ACPI §20.2.3, §20.2.5). */
enum aml_op {
    AML_ZERO_OP = 0x00,
    AML_ONE_OP = 0x01,
    AML_NAME_OP = 0x08,
    AML_BYTE_PREFIX = 0x0A,
    AML_WORD_PREFIX = 0x0B,
    AML_DWORD_PREFIX = 0x0C,
    AML_QWORD_PREFIX = 0x0E,
    AML_PACKAGE_OP = 0x12,
    AML_ROOT_CHAR = 0x5C,
    AML_ONES_OP = 0xFF,
};
/* SLP_TYPx is a 3-bit field of PM1x_CNT (ACPI §4.8.3.2.1, Table 4.13). */
#define ACPI_SLP_TYP_MAX 7u
/* Candidates "_S5_" examined before giving up. A DSDT names \_S5_ once; other
 * hits are references from methods. 64 is far above any real table. */
#define ACPI_S5_MAX_CANDIDATES 64

uint8_t acpi_checksum(const uint8_t *buf, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + buf[i]);
    return sum;
}

int acpi_rsdp_parse(const uint8_t *buf, size_t avail_bytes, struct acpi_rsdp *out)
{
    /* 1. Signature; a miss is the normal case of a scan and is not logged. */
    if (avail_bytes < ACPI_RSDP_V1_BYTES || memcmp(buf, "RSD PTR ", 8) != 0)
        return ERR_NOENT;
    /* 2. ACPI 1.0 checksum over the first 20 bytes. */
    if (acpi_checksum(buf, ACPI_RSDP_V1_BYTES) != 0) {
        pr_warn("acpi: rsdp: checksum mismatch (sum 0x%02x over %u bytes)",
                acpi_checksum(buf, ACPI_RSDP_V1_BYTES), ACPI_RSDP_V1_BYTES);
        return ERR_CORRUPT;
    }
    memset(out, 0, sizeof(*out));
    out->revision = buf[RSDP_OFF_REVISION];
    out->rsdt_phys = le32_at(buf, RSDP_OFF_RSDT);
    memcpy(out->oem_id, buf + RSDP_OFF_OEM_ID, 6);
    out->oem_id[6] = '\0';
    if (out->revision < 2)
        return 0;
    /* 3. ACPI 2.0+: the length field bounds the extended checksum. */
    if (avail_bytes < ACPI_RSDP_V2_BYTES) {
        pr_warn("acpi: rsdp: revision %u structure truncated (%zu bytes available)",
                out->revision, avail_bytes);
        return ERR_CORRUPT;
    }
    uint32_t length = le32_at(buf, RSDP_OFF_LENGTH);
    if (length < ACPI_RSDP_V2_BYTES || length > avail_bytes) {
        pr_warn("acpi: rsdp: bad length (%u, allowed %u..%zu)", length, ACPI_RSDP_V2_BYTES,
                avail_bytes);
        return ERR_CORRUPT;
    }
    if (acpi_checksum(buf, length) != 0) {
        pr_warn("acpi: rsdp: extended checksum mismatch (sum 0x%02x over %u bytes)",
                acpi_checksum(buf, length), length);
        return ERR_CORRUPT;
    }
    out->xsdt_phys = le64_at(buf, RSDP_OFF_XSDT);
    return 0;
}

int acpi_table_check(const uint8_t *buf, size_t avail_bytes, const char *signature,
                     struct acpi_table_info *info)
{
    /* 1. The header itself must be readable. */
    if (avail_bytes < ACPI_HEADER_BYTES) {
        pr_warn("acpi: table: header truncated (%zu of %u bytes)", avail_bytes,
                ACPI_HEADER_BYTES);
        return ERR_CORRUPT;
    }
    memset(info, 0, sizeof(*info));
    memcpy(info->signature, buf, 4);
    info->length_bytes = le32_at(buf, HDR_OFF_LENGTH);
    info->revision = buf[HDR_OFF_REVISION];
    if (signature && memcmp(buf, signature, 4) != 0)
        return ERR_NOENT;
    /* 2. Length against both bounds; more than is readable asks for a retry. */
    if (info->length_bytes < ACPI_HEADER_BYTES || info->length_bytes > ACPI_TABLE_MAX_BYTES) {
        pr_warn("acpi: %.4s: bad length (%u, allowed %u..%u)", info->signature,
                info->length_bytes, ACPI_HEADER_BYTES, ACPI_TABLE_MAX_BYTES);
        return ERR_CORRUPT;
    }
    if (info->length_bytes > avail_bytes)
        return ERR_EOM;
    /* 3. The whole table sums to zero. */
    uint8_t sum = acpi_checksum(buf, info->length_bytes);
    if (sum != 0) {
        pr_warn("acpi: %.4s: checksum mismatch (sum 0x%02x over %u bytes)", info->signature,
                sum, info->length_bytes);
        return ERR_CORRUPT;
    }
    return 0;
}

size_t acpi_sdt_entry_count(uint32_t length_bytes, unsigned entry_bytes)
{
    if (length_bytes < ACPI_HEADER_BYTES || entry_bytes == 0)
        return 0;
    return (length_bytes - ACPI_HEADER_BYTES) / entry_bytes;
}

uint64_t acpi_sdt_entry(const uint8_t *table, unsigned entry_bytes, size_t index)
{
    size_t off = ACPI_HEADER_BYTES + index * entry_bytes;
    return entry_bytes == 8 ? le64_at(table, off) : le32_at(table, off);
}

/* Decode the Generic Address Structure at off (12 bytes, ACPI §5.2.3.2). */
static void fadt_read_gas(const uint8_t *table, size_t off, struct acpi_gas *gas)
{
    gas->space_id = table[off];
    gas->bit_width = table[off + 1];
    gas->bit_offset = table[off + 2];
    gas->access_size = table[off + 3];
    gas->address = le64_at(table, off + 4);
}

/* A PM1x control block port: the 32-bit field, or else the X_ GAS when it is
 * in I/O space. Returns 0 with *port (0 = absent) or ERR_CORRUPT. */
static int fadt_pm1_cnt_port(const uint8_t *table, uint32_t length_bytes, size_t legacy_off,
                             size_t x_off, const char *what, uint32_t *port)
{
    uint64_t value = le32_at(table, legacy_off);
    if (value == 0 && length_bytes >= x_off + FADT_GAS_BYTES) {
        struct acpi_gas gas;
        fadt_read_gas(table, x_off, &gas);
        if (gas.space_id == ACPI_GAS_IO)
            value = gas.address;
    }
    if (value > ACPI_IO_PORT_MAX) {
        pr_warn("acpi: FACP: %s port out of range (0x%llx)", what, (unsigned long long)value);
        return ERR_CORRUPT;
    }
    *port = (uint32_t)value;
    return 0;
}

int acpi_fadt_parse(const uint8_t *table, uint32_t length_bytes, struct acpi_fadt *out)
{
    /* 1. Every field we must have lies in the ACPI 1.0 layout. */
    if (length_bytes < FADT_V1_BYTES) {
        pr_warn("acpi: FACP: table too short (%u bytes, need %u)", length_bytes,
                FADT_V1_BYTES);
        return ERR_CORRUPT;
    }
    memset(out, 0, sizeof(*out));
    out->revision = table[HDR_OFF_REVISION];

    /* 2. DSDT: the 64-bit field wins when the table has it and it is set. */
    out->dsdt_phys = le32_at(table, FADT_OFF_DSDT);
    if (length_bytes >= FADT_OFF_X_DSDT + 8 && le64_at(table, FADT_OFF_X_DSDT) != 0)
        out->dsdt_phys = le64_at(table, FADT_OFF_X_DSDT);

    /* 3. SMI command port, PM1 event and control blocks. */
    uint32_t smi_cmd = le32_at(table, FADT_OFF_SMI_CMD);
    uint32_t pm1a_evt = le32_at(table, FADT_OFF_PM1A_EVT_BLK);
    if (smi_cmd > ACPI_IO_PORT_MAX || pm1a_evt > ACPI_IO_PORT_MAX) {
        pr_warn("acpi: FACP: port out of range (SMI_CMD 0x%x, PM1a_EVT 0x%x)", smi_cmd,
                pm1a_evt);
        return ERR_CORRUPT;
    }
    out->smi_cmd_port = smi_cmd;
    out->acpi_enable = table[FADT_OFF_ACPI_ENABLE];
    out->century_index = table[FADT_OFF_CENTURY]; /* range-checked by its user */
    out->pm1a_evt_port = pm1a_evt;
    if (fadt_pm1_cnt_port(table, length_bytes, FADT_OFF_PM1A_CNT_BLK,
                          FADT_OFF_X_PM1A_CNT_BLK, "PM1a_CNT", &out->pm1a_cnt_port) != 0 ||
        fadt_pm1_cnt_port(table, length_bytes, FADT_OFF_PM1B_CNT_BLK,
                          FADT_OFF_X_PM1B_CNT_BLK, "PM1b_CNT", &out->pm1b_cnt_port) != 0)
        return ERR_CORRUPT;
    if (out->pm1a_cnt_port == 0) {
        pr_warn("acpi: FACP: no PM1a control block (PM1a_CNT_BLK 0)");
        return ERR_CORRUPT;
    }

    /* 4. Reset register (ACPI 2.0+): only when the flag says it is supported. */
    uint32_t flags = le32_at(table, FADT_OFF_FLAGS);
    if ((flags & FADT_FLAG_RESET_REG_SUP) && length_bytes > FADT_OFF_RESET_VALUE) {
        fadt_read_gas(table, FADT_OFF_RESET_REG, &out->reset_reg);
        out->reset_value = table[FADT_OFF_RESET_VALUE];
        out->has_reset_reg = out->reset_reg.address != 0;
    }
    return 0;
}

/* Read one AML integer constant at *pos (< end). Returns 0 and advances *pos,
 * or ERR_CORRUPT for anything that is not a constant or runs past end. */
static int aml_read_integer(const uint8_t *aml, size_t *pos, size_t end, uint64_t *value)
{
    size_t p = *pos;
    size_t width;
    switch (aml[p]) {
    case AML_ZERO_OP:
        *value = 0;
        *pos = p + 1;
        return 0;
    case AML_ONE_OP:
        *value = 1;
        *pos = p + 1;
        return 0;
    case AML_ONES_OP:
        *value = UINT64_MAX;
        *pos = p + 1;
        return 0;
    case AML_BYTE_PREFIX:
        width = 1;
        break;
    case AML_WORD_PREFIX:
        width = 2;
        break;
    case AML_DWORD_PREFIX:
        width = 4;
        break;
    case AML_QWORD_PREFIX:
        width = 8;
        break;
    default:
        return ERR_CORRUPT;
    }
    if (width > end - p - 1)
        return ERR_CORRUPT;
    *value = 0;
    for (size_t i = 0; i < width; i++)
        *value |= (uint64_t)aml[p + 1 + i] << (8 * i);
    *pos = p + 1 + width;
    return 0;
}

/* Decode the PkgLength at *pos (ACPI §20.2.4): the top two bits of the lead
 * byte count the bytes that follow; with follow bytes only the low nibble of
 * the lead byte is used. The length counts itself. Returns 0 with the length
 * or ERR_CORRUPT when it runs past end. */
static int aml_read_pkg_length(const uint8_t *aml, size_t pos, size_t end, size_t *length)
{
    uint8_t lead = aml[pos];
    size_t follow = lead >> 6;
    if (follow > end - pos - 1)
        return ERR_CORRUPT;
    if (follow == 0) {
        *length = lead & 0x3F;
        return 0;
    }
    *length = lead & 0x0F;
    for (size_t i = 0; i < follow; i++)
        *length |= (size_t)aml[pos + 1 + i] << (4 + 8 * i);
    return 0;
}

/* Decode the package that starts with PackageOp at pkg (< end). */
static int s5_decode_package(const uint8_t *aml, size_t pkg, size_t end, struct acpi_s5 *out)
{
    /* 1. PkgLength and NumElements, bounded by the table. */
    size_t pkg_len;
    size_t len_pos = pkg + 1;
    if (len_pos >= end || aml_read_pkg_length(aml, len_pos, end, &pkg_len) != 0 ||
        pkg_len > end - len_pos) {
        pr_warn("acpi: DSDT: \\_S5_ package truncated (at offset %zu)", pkg);
        return ERR_CORRUPT;
    }
    size_t pkg_end = len_pos + pkg_len;
    size_t pos = len_pos + 1 + (aml[len_pos] >> 6);
    if (pos >= pkg_end || aml[pos] == 0) {
        pr_warn("acpi: DSDT: \\_S5_ package empty (at offset %zu)", pkg);
        return ERR_CORRUPT;
    }
    unsigned count = aml[pos++];

    /* 2. One or two integer elements. */
    uint64_t values[2] = { 0, 0 };
    unsigned wanted = count >= 2 ? 2 : 1;
    for (unsigned i = 0; i < wanted; i++) {
        if (pos >= pkg_end || aml_read_integer(aml, &pos, pkg_end, &values[i]) != 0) {
            pr_warn("acpi: DSDT: \\_S5_ element %u is not an integer constant (at offset %zu)",
                    i, pos);
            return ERR_CORRUPT;
        }
    }
    if (count == 1) {
        values[1] = (values[0] >> 8) & 0xFF;
        values[0] &= 0xFF;
    }

    /* 3. Each value must fit the 3-bit SLP_TYP field. */
    if (values[0] > ACPI_SLP_TYP_MAX || values[1] > ACPI_SLP_TYP_MAX) {
        pr_warn("acpi: DSDT: \\_S5_ sleep type out of range (a 0x%llx, b 0x%llx, max %u)",
                (unsigned long long)values[0], (unsigned long long)values[1],
                ACPI_SLP_TYP_MAX);
        return ERR_CORRUPT;
    }
    out->slp_typa = (uint8_t)values[0];
    out->slp_typb = (uint8_t)values[1];
    return 0;
}

int acpi_s5_find(const uint8_t *table, uint32_t length_bytes, struct acpi_s5 *out)
{
    /* 1. Look for "_S5_" as the name of a NameOp (optionally rooted with '\')
     *    that is followed by PackageOp; go to step 2 on the first such match. */
    size_t end = length_bytes;
    unsigned candidates = 0;
    for (size_t i = ACPI_HEADER_BYTES + 1; i + 4 < end; i++) {
        if (memcmp(table + i, "_S5_", 4) != 0)
            continue;
        if (++candidates > ACPI_S5_MAX_CANDIDATES)
            break;
        bool named = table[i - 1] == AML_NAME_OP ||
                     (table[i - 1] == AML_ROOT_CHAR && table[i - 2] == AML_NAME_OP);
        if (!named || table[i + 4] != AML_PACKAGE_OP)
            continue;
        /* 2. Decode it; a malformed \_S5_ is an error, not a reason to go on. */
        return s5_decode_package(table, i + 4, end, out);
    }
    return ERR_NOENT;
}
