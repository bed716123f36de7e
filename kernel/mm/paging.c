// SPDX-License-Identifier: MIT
/* Identity paging (contract in paging.h). The page directory and the table
 * for the first 4 MiB are static; tables for device mappings, for splitting
 * a 4 MiB page, or for everything when the CPU lacks PSE come from the page
 * allocator -- which only hands out pages below pmm_map_top(), all of them
 * identity-mapped, so a table is written through its physical address.
 * If paging cannot be set up, the kernel keeps running unpaged: with an
 * identity layout every address still means the same thing. */
#include "kernel/mm/paging.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/arch/cpu.h"
#include "kernel/mm/pmm.h"
#include "kernel/sync.h"

/* Page directory / table entry bits (Intel SDM Vol. 3A, Tables 4-4 to 4-6). */
#define PG_PRESENT 0x001u
#define PG_WRITE 0x002u
#define PG_PWT 0x008u /* write-through */
#define PG_PCD 0x010u /* cache disable */
#define PG_PS 0x080u  /* PDE maps a 4 MiB page */
#define PG_TABLE_ADDR_MASK 0xFFFFF000u
#define PG_LARGE_ADDR_MASK 0xFFC00000u
#define PG_ENTRIES 1024u
#define PG_BYTES 4096ull
#define PG_SHIFT 12
#define PG_LARGE_BYTES 0x400000ull
#define PG_LARGE_SHIFT 22
#define PG_PHYS_LIMIT 0x100000000ull

static uint32_t paging_dir[PG_ENTRIES] __attribute__((aligned(4096)));
static uint32_t paging_low_table[PG_ENTRIES] __attribute__((aligned(4096)));

static struct {
    struct mutex lock;   /* serialises every table change after paging_init */
    bool enabled;        /* CR0.PG set by paging_init */
    bool pse;            /* 4 MiB pages in use */
    uint64_t mapped_top; /* end of the RAM identity map, a multiple of 4 MiB */
} paging_state;

/* A zeroed page for a page table; 0 or ERR_NOMEM. */
static int paging_new_table(uint32_t **out)
{
    uint64_t phys;
    int rc = pmm_alloc_pages(1, PG_BYTES, paging_state.mapped_top, &phys);
    if (rc)
        return rc;
    *out = (uint32_t *)(uintptr_t)phys;
    memset(*out, 0, PG_BYTES);
    return 0;
}

/* Fill a table so it maps the 4 MiB at `base` with `flags`. */
static void paging_fill_table(uint32_t *table, uint32_t base, uint32_t flags)
{
    for (uint32_t i = 0; i < PG_ENTRIES; i++)
        table[i] = (base + (i << PG_SHIFT)) | flags;
}

/* Page table covering `virt`, created (empty) or split from a 4 MiB page
 * when needed. Called with the paging lock held (or at boot). */
static int paging_table_for(uintptr_t virt, uint32_t **out)
{
    uint32_t slot = (uint32_t)(virt >> PG_LARGE_SHIFT);
    uint32_t pde = paging_dir[slot];
    uint32_t *table;
    int rc;

    if ((pde & PG_PRESENT) && !(pde & PG_PS)) {
        *out = (uint32_t *)(uintptr_t)(pde & PG_TABLE_ADDR_MASK);
        return 0;
    }
    rc = paging_new_table(&table);
    if (rc)
        return rc;
    if (pde & PG_PRESENT) {
        /* Same translation in 1024 pieces, then drop the large TLB entry. */
        paging_fill_table(table, pde & PG_LARGE_ADDR_MASK,
                          pde & (PG_PRESENT | PG_WRITE | PG_PWT | PG_PCD));
    }
    paging_dir[slot] = (uint32_t)(uintptr_t)table | PG_PRESENT | PG_WRITE;
    if (paging_state.enabled)
        cpu_write_cr3(cpu_read_cr3());
    *out = table;
    return 0;
}

void paging_init(void)
{
    uint64_t top;
    uint32_t slots;

    /* 1. How much to map: RAM and firmware tables, whole 4 MiB slots. */
    mutex_init(&paging_state.lock, "paging");
    top = ALIGN_UP(pmm_map_top(), PG_LARGE_BYTES);
    top = MIN(MAX(top, PG_LARGE_BYTES), PG_PHYS_LIMIT);
    slots = (uint32_t)(top >> PG_LARGE_SHIFT);
    paging_state.mapped_top = top;
    paging_state.pse = cpu_has_pse();

    /* 2. First 4 MiB through 4 KiB pages, so page 0 can be taken away later
     *    (vm_guard_null_page). */
    paging_fill_table(paging_low_table, 0, PG_PRESENT | PG_WRITE);
    paging_dir[0] = (uint32_t)(uintptr_t)paging_low_table | PG_PRESENT | PG_WRITE;

    /* 3. The rest: one PDE per 4 MiB, or a table each without PSE. On
     *    failure stay unpaged (identity) rather than half-mapped. */
    for (uint32_t s = 1; s < slots; s++) {
        uint32_t base = s << PG_LARGE_SHIFT;
        uint32_t *table;
        if (paging_state.pse) {
            paging_dir[s] = base | PG_PRESENT | PG_WRITE | PG_PS;
            continue;
        }
        if (paging_new_table(&table) != 0) {
            pr_err("paging: no page for a page table (slot %u of %u), paging stays off", s,
                   slots);
            return;
        }
        paging_fill_table(table, base, PG_PRESENT | PG_WRITE);
        paging_dir[s] = (uint32_t)(uintptr_t)table | PG_PRESENT | PG_WRITE;
    }

    /* 4. Switch on: PSE before the directory that uses it, then CR3, then PG. */
    if (paging_state.pse)
        cpu_write_cr4(cpu_read_cr4() | CPU_CR4_PSE);
    cpu_write_cr3((uint32_t)(uintptr_t)paging_dir);
    cpu_write_cr0(cpu_read_cr0() | CPU_CR0_PG | CPU_CR0_WP);
    paging_state.enabled = true;
    pr_debug("paging: identity map 0..0x%llx with %s pages", (unsigned long long)top,
             paging_state.pse ? "4 MiB" : "4 KiB");
}

int mmio_map(uint64_t phys, size_t bytes, void **out_virt)
{
    uint64_t first, end;
    int rc = 0;

    /* 1. Check the range: inside 4 GiB and not RAM (RAM stays cached). */
    if (!out_virt || bytes == 0)
        return ERR_INVAL;
    if (phys >= PG_PHYS_LIMIT || bytes > PG_PHYS_LIMIT - phys) {
        pr_err("paging: mmio range above 4 GiB refused (phys 0x%llx, bytes 0x%zx)",
               (unsigned long long)phys, bytes);
        return ERR_RANGE;
    }
    if (pmm_overlaps_ram(phys, bytes)) {
        pr_err("paging: mmio range overlaps RAM, refused (phys 0x%llx, bytes 0x%zx)",
               (unsigned long long)phys, bytes);
        return ERR_INVAL;
    }
    /* 2. Unpaged: physical addresses work as they are. */
    if (!paging_state.enabled) {
        *out_virt = (void *)(uintptr_t)phys;
        return 0;
    }

    /* 3. One uncached 4 KiB PTE per page, identity. */
    first = ALIGN_DOWN(phys, PG_BYTES);
    end = ALIGN_UP(phys + bytes, PG_BYTES);
    mutex_lock(&paging_state.lock);
    for (uint64_t p = first; p < end; p += PG_BYTES) {
        uint32_t *table;
        rc = paging_table_for((uintptr_t)p, &table);
        if (rc) {
            pr_err("paging: no page for an mmio page table (phys 0x%llx)",
                   (unsigned long long)p);
            break;
        }
        table[(p >> PG_SHIFT) & (PG_ENTRIES - 1)] =
            (uint32_t)p | PG_PRESENT | PG_WRITE | PG_PCD | PG_PWT;
        cpu_invlpg((uintptr_t)p);
    }
    mutex_unlock(&paging_state.lock);
    if (rc)
        return rc;
    *out_virt = (void *)(uintptr_t)phys;
    return 0;
}

bool vm_is_mapped(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    uint32_t pde;

    if (!paging_state.enabled)
        return true;
    pde = paging_dir[a >> PG_LARGE_SHIFT];
    if (!(pde & PG_PRESENT))
        return false;
    if (pde & PG_PS)
        return true;
    const uint32_t *table = (const uint32_t *)(uintptr_t)(pde & PG_TABLE_ADDR_MASK);
    return (table[(a >> PG_SHIFT) & (PG_ENTRIES - 1)] & PG_PRESENT) != 0;
}

void vm_guard_null_page(void)
{
    if (!paging_state.enabled)
        return;
    mutex_lock(&paging_state.lock);
    paging_low_table[0] = 0;
    cpu_invlpg(0);
    mutex_unlock(&paging_state.lock);
    pr_debug("paging: page 0 unmapped, NULL dereferences fault");
}
