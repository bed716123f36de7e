// SPDX-License-Identifier: MIT
/* PCI BAR decoding (contract in pci_bar.h). */
#include "kernel/lib/pci_bar.h"
#include "kernel/err.h"

/* BAR bit layout (PCI Local Bus 3.0 §6.2.5.1, Figure 6-5). */
#define BAR_SPACE_IO 0x1u
#define BAR_IO_ADDR_MASK 0xFFFFFFFCu
#define BAR_MEM_TYPE_MASK 0x6u
#define BAR_MEM_TYPE_32 0x0u
#define BAR_MEM_TYPE_1M 0x2u /* legacy: below 1 MiB, decoded like 32-bit */
#define BAR_MEM_TYPE_64 0x4u
#define BAR_MEM_TYPE_RESERVED 0x6u
#define BAR_MEM_PREFETCH 0x8u
#define BAR_MEM_ADDR_MASK 0xFFFFFFF0u
/* I/O space is 32 bits wide in the BAR, 16 bits on x86 ports. */
#define IO_SPACE_TOP 0x100000000ull
#define MEM32_SPACE_TOP 0x100000000ull

bool pci_bar_is_64bit(uint32_t orig_lo)
{
    return !(orig_lo & BAR_SPACE_IO) && (orig_lo & BAR_MEM_TYPE_MASK) == BAR_MEM_TYPE_64;
}

/* Lowest set bit of a non-zero mask: the size of a naturally aligned window. */
static uint64_t lowest_bit(uint64_t mask)
{
    return mask & (~mask + 1);
}

/* Reject an assigned range that runs past `top` (overflow-safe form). */
static bool range_fits(uint64_t base, uint64_t size, uint64_t top)
{
    return base < top && size - 1 <= top - 1 - base;
}

int pci_bar_decode(uint32_t orig_lo, uint32_t probe_lo, uint32_t orig_hi, uint32_t probe_hi,
                   struct pci_bar *bar)
{
    bar->kind = PCI_BAR_NONE;
    bar->base = 0;
    bar->size_bytes = 0;
    bar->prefetchable = false;

    /* 1. I/O BAR: bits 31:2 are the address. */
    if (orig_lo & BAR_SPACE_IO) {
        uint32_t mask = probe_lo & BAR_IO_ADDR_MASK;
        if (mask == 0)
            return 0;
        uint64_t base = orig_lo & BAR_IO_ADDR_MASK;
        uint64_t size = lowest_bit(mask);
        if (!range_fits(base, size, IO_SPACE_TOP))
            return ERR_CORRUPT;
        bar->kind = PCI_BAR_IO;
        bar->base = base;
        bar->size_bytes = size;
        return 0;
    }

    /* 2. Memory BAR: the type field selects 32 or 64 bits. */
    uint32_t type = orig_lo & BAR_MEM_TYPE_MASK;
    if (type == BAR_MEM_TYPE_RESERVED)
        return ERR_CORRUPT;
    bool is_64 = type == BAR_MEM_TYPE_64;
    uint64_t mask = probe_lo & BAR_MEM_ADDR_MASK;
    uint64_t base = orig_lo & BAR_MEM_ADDR_MASK;
    if (is_64) {
        mask |= (uint64_t)probe_hi << 32;
        base |= (uint64_t)orig_hi << 32;
    }
    if (mask == 0)
        return 0;
    uint64_t size = lowest_bit(mask);

    /* 3. A 32-bit window must stay below 4 GiB; a 64-bit one must not wrap. */
    if (!is_64 && !range_fits(base, size, MEM32_SPACE_TOP))
        return ERR_CORRUPT;
    if (is_64 && size - 1 > UINT64_MAX - base)
        return ERR_CORRUPT;
    bar->kind = is_64 ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
    bar->base = base;
    bar->size_bytes = size;
    bar->prefetchable = (orig_lo & BAR_MEM_PREFETCH) != 0;
    return 0;
}

const char *pci_bar_kind_name(enum pci_bar_kind kind)
{
    switch (kind) {
    case PCI_BAR_IO:
        return "io";
    case PCI_BAR_MEM32:
        return "mem32";
    case PCI_BAR_MEM64:
        return "mem64";
    case PCI_BAR_NONE:
        break;
    }
    return "none";
}
