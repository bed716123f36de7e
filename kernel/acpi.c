// SPDX-License-Identifier: MIT
/* ACPI table discovery (contract in kernel/acpi.h). Physical addresses are
 * read through the identity mapping, but only below pmm_map_top(): all RAM
 * plus the reserved tail right after the last usable range, where SeaBIOS
 * places the tables (QEMU -m 128: usable up to 0x7fe0000, tables in
 * 0x7fe0000..0x8000000). Anything above is skipped with a log line. */
#include "kernel/acpi.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/mm/pmm.h"

/* RSDP search areas (ACPI 6.4 §5.2.5.1). */
#define BDA_EBDA_SEGMENT_PHYS 0x40E
#define EBDA_MIN_PHYS 0x80000u  /* an EBDA pointer below this is not credible */
#define EBDA_MAX_PHYS 0xA0000u
#define EBDA_SCAN_BYTES 1024u
#define BIOS_AREA_PHYS 0xE0000u
#define BIOS_AREA_END_PHYS 0x100000u
#define RSDP_ALIGN 16u
/* Root table entries examined; QEMU has 4-8, real firmware a few dozen. */
#define ACPI_MAX_ROOT_ENTRIES 128

static struct {
    uint64_t phys_limit; /* first byte we may not read: pmm_map_top() */
    bool found;          /* info.has_fadt: written once by acpi_init */
    struct acpi_power_info info;
} acpi_state;

/* Pointer to `len` bytes at physical `phys`, or NULL if not readable. */
static const uint8_t *acpi_phys(uint64_t phys, uint64_t len)
{
    if (phys >= acpi_state.phys_limit || len > acpi_state.phys_limit - phys)
        return NULL;
    return (const uint8_t *)(uintptr_t)phys;
}

/* Validate the table at `phys` (signature NULL = any) and return it.
 * Returns 0, ERR_NOENT (other signature), ERR_RANGE (outside RAM; logged),
 * ERR_CORRUPT (bad length or checksum; logged by the parser). */
static int acpi_map_table(uint64_t phys, const char *signature, const uint8_t **table,
                          struct acpi_table_info *info)
{
    /* 1. The header, to learn the length. */
    const uint8_t *p = acpi_phys(phys, ACPI_HEADER_BYTES);
    if (!p) {
        pr_warn("acpi: %s: table above RAM top skipped (at 0x%llx, top 0x%llx)",
                signature ? signature : "table", (unsigned long long)phys,
                (unsigned long long)acpi_state.phys_limit);
        return ERR_RANGE;
    }
    int rc = acpi_table_check(p, ACPI_HEADER_BYTES, signature, info);
    if (rc != ERR_EOM)
        goto out_checked;
    /* 2. The whole table must lie in RAM too; then check length and sum. */
    if (!acpi_phys(phys, info->length_bytes)) {
        pr_warn("acpi: %.4s: table runs above RAM top, skipped (at 0x%llx, %u bytes)",
                info->signature, (unsigned long long)phys, info->length_bytes);
        return ERR_RANGE;
    }
    rc = acpi_table_check(p, info->length_bytes, signature, info);
out_checked:
    if (rc == 0)
        *table = p;
    return rc;
}

/* Scan [start, end) in 16-byte steps for a valid RSDP. */
static int acpi_scan_rsdp(uint32_t start, uint32_t end, struct acpi_rsdp *rsdp)
{
    for (uint32_t phys = start; phys + ACPI_RSDP_V1_BYTES <= end; phys += RSDP_ALIGN) {
        const uint8_t *p = acpi_phys(phys, end - phys);
        if (p && acpi_rsdp_parse(p, end - phys, rsdp) == 0) {
            acpi_state.info.rsdp_phys = phys;
            return 0;
        }
    }
    return ERR_NOENT;
}

static int acpi_find_rsdp(struct acpi_rsdp *rsdp)
{
    /* The BDA holds the EBDA's real-mode segment (ACPI §5.2.5.1). GCC takes
     * any constant address below 4 KiB for a NULL offset and warns. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
    const volatile uint16_t *bda_ebda = (const volatile uint16_t *)BDA_EBDA_SEGMENT_PHYS;
    uint32_t ebda = (uint32_t)*bda_ebda << 4;
#pragma GCC diagnostic pop
    if (ebda >= EBDA_MIN_PHYS && ebda < EBDA_MAX_PHYS &&
        acpi_scan_rsdp(ebda, MIN(ebda + EBDA_SCAN_BYTES, EBDA_MAX_PHYS), rsdp) == 0)
        return 0;
    return acpi_scan_rsdp(BIOS_AREA_PHYS, BIOS_AREA_END_PHYS, rsdp);
}

/* Find the table with `signature` in the root table. */
static int acpi_find_in_root(const uint8_t *root, const struct acpi_table_info *root_info,
                             unsigned entry_bytes, const char *signature,
                             const uint8_t **table, struct acpi_table_info *info)
{
    size_t count = acpi_sdt_entry_count(root_info->length_bytes, entry_bytes);
    if (count > ACPI_MAX_ROOT_ENTRIES) {
        pr_warn("acpi: %s: too many entries, rest ignored (%zu, cap %u)",
                root_info->signature, count, ACPI_MAX_ROOT_ENTRIES);
        count = ACPI_MAX_ROOT_ENTRIES;
    }
    for (size_t i = 0; i < count; i++) {
        uint64_t phys = acpi_sdt_entry(root, entry_bytes, i);
        const uint8_t *p = acpi_phys(phys, ACPI_HEADER_BYTES);
        if (!p) {
            pr_warn("acpi: %s: entry %zu above RAM top skipped (at 0x%llx)",
                    root_info->signature, i, (unsigned long long)phys);
            continue;
        }
        if (memcmp(p, signature, 4) != 0)
            continue;
        if (acpi_map_table(phys, signature, table, info) == 0)
            return 0;
    }
    return ERR_NOENT;
}

/* \_S5_ from the DSDT named by the FADT; sets info.has_s5. */
static void acpi_read_s5(void)
{
    const uint8_t *dsdt;
    struct acpi_table_info info;
    uint64_t phys = acpi_state.info.fadt.dsdt_phys;
    if (phys == 0 || acpi_map_table(phys, "DSDT", &dsdt, &info) != 0) {
        pr_warn("acpi: DSDT: not usable, no \\_S5_ (at 0x%llx)", (unsigned long long)phys);
        return;
    }
    int rc = acpi_s5_find(dsdt, info.length_bytes, &acpi_state.info.s5);
    if (rc == 0)
        acpi_state.info.has_s5 = true;
    else if (rc == ERR_NOENT)
        pr_warn("acpi: DSDT: no \\_S5_ package (%u bytes searched)", info.length_bytes);
}

int acpi_init(void)
{
    struct acpi_rsdp rsdp;
    const uint8_t *root, *fadt;
    struct acpi_table_info root_info, fadt_info;

    /* 1. What we may read, then the RSDP. */
    acpi_state.phys_limit = pmm_map_top();
    if (acpi_find_rsdp(&rsdp) != 0) {
        pr_warn("acpi: no RSDP found (EBDA and 0xe0000-0xfffff scanned)");
        return ERR_NOENT;
    }

    /* 2. Root table: the XSDT if there is one we can reach, else the RSDT. */
    unsigned entry_bytes = 4;
    int rc = ERR_NOENT;
    if (rsdp.revision >= 2 && rsdp.xsdt_phys != 0 && rsdp.xsdt_phys < 0x100000000ull) {
        rc = acpi_map_table(rsdp.xsdt_phys, "XSDT", &root, &root_info);
        if (rc == 0)
            entry_bytes = 8;
    }
    if (rc != 0)
        rc = acpi_map_table(rsdp.rsdt_phys, "RSDT", &root, &root_info);
    if (rc != 0) {
        pr_warn("acpi: no usable RSDT/XSDT (RSDT 0x%x, XSDT 0x%llx)", rsdp.rsdt_phys,
                (unsigned long long)rsdp.xsdt_phys);
        return rc == ERR_CORRUPT ? ERR_CORRUPT : ERR_NOENT;
    }

    /* 3. FADT: the power management ports. */
    rc = acpi_find_in_root(root, &root_info, entry_bytes, "FACP", &fadt, &fadt_info);
    if (rc != 0) {
        pr_warn("acpi: no FADT in the %s", root_info.signature);
        return ERR_NOENT;
    }
    rc = acpi_fadt_parse(fadt, fadt_info.length_bytes, &acpi_state.info.fadt);
    if (rc != 0)
        return rc;
    acpi_state.info.has_fadt = true;
    acpi_state.found = true;

    /* 4. \_S5_ from the DSDT, then one summary line. */
    acpi_read_s5();
    const struct acpi_fadt *f = &acpi_state.info.fadt;
    pr_info("acpi: RSDP at 0x%x (%s, rev %u), FADT rev %u: PM1a_CNT 0x%x PM1b_CNT 0x%x "
            "SMI_CMD 0x%x ACPI_ENABLE 0x%x",
            acpi_state.info.rsdp_phys, rsdp.oem_id, rsdp.revision, f->revision,
            f->pm1a_cnt_port, f->pm1b_cnt_port, f->smi_cmd_port, f->acpi_enable);
    if (f->has_reset_reg)
        pr_info("acpi: reset register space %u address 0x%llx value 0x%x",
                f->reset_reg.space_id, (unsigned long long)f->reset_reg.address,
                f->reset_value);
    if (acpi_state.info.has_s5)
        pr_info("acpi: \\_S5_ SLP_TYPa %u SLP_TYPb %u", acpi_state.info.s5.slp_typa,
                acpi_state.info.s5.slp_typb);
    return 0;
}

int acpi_get_power_info(struct acpi_power_info *out)
{
    if (!acpi_state.found) {
        memset(out, 0, sizeof(*out));
        return ERR_NOENT;
    }
    *out = acpi_state.info;
    return 0;
}
