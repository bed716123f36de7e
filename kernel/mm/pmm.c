// SPDX-License-Identifier: MIT
/* Physical memory manager (contract in pmm.h). Turns the multiboot memory
 * information into pagealloc regions and reservations, then serialises the
 * allocator behind a mutex. The map walk trusts nothing: entry sizes are
 * bounded by the buffer, the count by PMM_MAX_MAP_ENTRIES; range validation
 * (overlaps, 4 GiB, alignment) is pagealloc_init's job.
 * Multiboot Specification 0.6.96 §3.3: flags bit 0 (mem_lower/mem_upper),
 * bit 3 (modules), bit 6 (mmap_length/mmap_addr; each entry's size field
 * does not count itself). */
#include "kernel/mm/pmm.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"
#include "kernel/multiboot.h"
#include "kernel/sync.h"

/* Map entries kept; QEMU reports 6-10, real firmware a few dozen. */
#define PMM_MAX_MAP_ENTRIES 128
/* addr (8) + len (8) + type (4): the smallest entry the spec allows. */
#define PMM_MMAP_ENTRY_MIN_SIZE 20u
/* Memory map types besides MULTIBOOT_MEMORY_AVAILABLE (ACPI 6.4 §15). */
#define PMM_MEMORY_ACPI 3u
#define PMM_MEMORY_NVS 4u
/* Never handed out: IVT, BDA, EBDA, video memory, option and BIOS ROMs. */
#define PMM_LOW_RESERVED_BYTES 0x100000ull
/* mem_lower cannot exceed conventional memory. */
#define PMM_MEM_LOWER_MAX_KB 640u
/* Kernel, mbi, mmap, module list, the modules themselves. */
#define PMM_MAX_RESERVED (5 + BOOT_MAX_MODULES)

/* From boot/linker.ld. */
extern char __kernel_start[], __kernel_end[];

/* Bitmaps for the full 4 GiB (256 KiB of .bss): no chicken-and-egg problem
 * of allocating the allocator's own storage. */
static uint32_t pmm_bitmaps[PAGEALLOC_STORAGE_WORDS(PAGEALLOC_PHYS_LIMIT >> PAGEALLOC_PAGE_SHIFT)];

static struct {
    struct mutex lock;   /* protects pa after pmm_init */
    struct pagealloc pa; /* the allocator */
    bool ready;          /* set once at the end of pmm_init */
    /* Trusted copy of the firmware map, written by pmm_init only. */
    struct pagealloc_region map[PMM_MAX_MAP_ENTRIES];
    uint32_t map_type[PMM_MAX_MAP_ENTRIES]; /* multiboot type of map[i] */
    size_t map_count;
    uint64_t map_top; /* see pmm_map_top() */
} pmm_state;

static void pmm_add_entry(uint64_t base, uint64_t bytes, uint32_t type)
{
    size_t i = pmm_state.map_count++;
    pmm_state.map[i].base = base;
    pmm_state.map[i].bytes = bytes;
    pmm_state.map[i].usable = type == MULTIBOOT_MEMORY_AVAILABLE;
    pmm_state.map_type[i] = type;
    pr_debug("pmm: map 0x%09llx + 0x%09llx type %u", (unsigned long long)base,
             (unsigned long long)bytes, type);
}

/* Copy the multiboot memory map; returns the entries kept. */
static size_t pmm_read_mmap(const struct multiboot_info *mbi)
{
    uint32_t len = mbi->mmap_length;
    uintptr_t addr = mbi->mmap_addr;

    if (len > UINT32_MAX - addr) {
        pr_err("pmm: memory map wraps around 4 GiB (addr 0x%x, length %u), ignored",
               mbi->mmap_addr, len);
        return 0;
    }
    for (uint32_t off = 0; off + 4 <= len;) {
        struct multiboot_mmap_entry e;
        uint32_t size;

        memcpy(&size, (const void *)(addr + off), sizeof(size));
        if (size < PMM_MMAP_ENTRY_MIN_SIZE || size > len - off - 4) {
            pr_warn("pmm: memory map entry at offset %u has bad size %u, rest ignored", off,
                    size);
            break;
        }
        if (pmm_state.map_count == PMM_MAX_MAP_ENTRIES) {
            pr_warn("pmm: memory map has more than %u entries, rest ignored",
                    PMM_MAX_MAP_ENTRIES);
            break;
        }
        memcpy(&e, (const void *)(addr + off), sizeof(e));
        pmm_add_entry(e.addr, e.len, e.type);
        off += size + 4;
    }
    return pmm_state.map_count;
}

/* End of [base, base + bytes) clamped to 4 GiB. */
static uint64_t pmm_end(const struct pagealloc_region *r)
{
    if (r->base >= PAGEALLOC_PHYS_LIMIT || r->bytes > PAGEALLOC_PHYS_LIMIT - r->base)
        return PAGEALLOC_PHYS_LIMIT;
    return r->base + r->bytes;
}

static uint64_t pmm_compute_map_top(void)
{
    uint64_t top = PMM_LOW_RESERVED_BYTES;

    for (size_t i = 0; i < pmm_state.map_count; i++) {
        const struct pagealloc_region *r = &pmm_state.map[i];
        uint32_t type = pmm_state.map_type[i];
        if (r->bytes == 0 || r->base >= PAGEALLOC_PHYS_LIMIT)
            continue;
        if (r->usable || type == PMM_MEMORY_ACPI || type == PMM_MEMORY_NVS)
            top = MAX(top, pmm_end(r));
        /* A reserved block right behind usable RAM is the firmware's tail. */
        for (size_t j = 0; j < pmm_state.map_count && !r->usable; j++) {
            if (pmm_state.map[j].usable && pmm_state.map[j].bytes &&
                pmm_end(&pmm_state.map[j]) == r->base)
                top = MAX(top, pmm_end(r));
        }
    }
    return top;
}

static void pmm_reserve(struct pagealloc_region *res, size_t *n, uint64_t base, uint64_t bytes)
{
    if (*n < PMM_MAX_RESERVED) {
        res[*n].base = base;
        res[*n].bytes = bytes;
        res[*n].usable = false;
        (*n)++;
    }
}

int pmm_init(const struct boot_info *bi)
{
    const struct multiboot_info *mbi = bi->mbi;
    struct pagealloc_region res[PMM_MAX_RESERVED];
    size_t nres = 0;
    int rc;

    mutex_init(&pmm_state.lock, "pmm");
    if (!mbi) {
        pr_err("pmm: no multiboot information");
        return ERR_NOENT;
    }

    /* 1. The memory map; without one, the two legacy sizes (on error go to
     *    step 2 as well). */
    if (!(mbi->flags & MB_INFO_MEM_MAP) || pmm_read_mmap(mbi) == 0) {
        if (!(mbi->flags & MB_INFO_MEMORY)) {
            pr_err("pmm: boot loader reported no memory (flags 0x%x)", mbi->flags);
            return ERR_NOENT;
        }
        /* 2. mem_lower counts from 0, mem_upper from 1 MiB (spec §3.3). */
        pr_warn("pmm: no memory map, using mem_lower %u KiB and mem_upper %u KiB",
                mbi->mem_lower_kb, mbi->mem_upper_kb);
        pmm_add_entry(0, (uint64_t)MIN(mbi->mem_lower_kb, PMM_MEM_LOWER_MAX_KB) * 1024,
                      MULTIBOOT_MEMORY_AVAILABLE);
        pmm_add_entry(PMM_LOW_RESERVED_BYTES, (uint64_t)mbi->mem_upper_kb * 1024,
                      MULTIBOOT_MEMORY_AVAILABLE);
    }

    /* 3. What the boot left in memory. acpi.c still reads the mbi and its map
     *    after mem_init, so they stay reserved for good. */
    pmm_reserve(res, &nres, 0, PMM_LOW_RESERVED_BYTES);
    pmm_reserve(res, &nres, (uintptr_t)__kernel_start,
                (uintptr_t)__kernel_end - (uintptr_t)__kernel_start);
    pmm_reserve(res, &nres, (uintptr_t)mbi, sizeof(*mbi));
    if (mbi->flags & MB_INFO_MEM_MAP)
        pmm_reserve(res, &nres, mbi->mmap_addr, mbi->mmap_length);
    if (mbi->flags & MB_INFO_MODS)
        pmm_reserve(res, &nres, mbi->mods_addr,
                    (uint64_t)mbi->mods_count * sizeof(struct multiboot_module));
    for (unsigned i = 0; i < bi->module_count; i++)
        pmm_reserve(res, &nres, bi->modules[i].start_phys,
                    bi->modules[i].end_phys - bi->modules[i].start_phys);

    /* 4. Build the allocator (it validates the ranges and logs defects). */
    pmm_state.map_top = pmm_compute_map_top();
    rc = pagealloc_init(&pmm_state.pa, pmm_bitmaps, ARRAY_SIZE(pmm_bitmaps), pmm_state.map,
                        pmm_state.map_count, res, nres);
    if (rc)
        return rc;
    pmm_state.ready = true;
    return 0;
}

int pmm_alloc_pages(size_t pages, uint64_t align_bytes, uint64_t max_phys, uint64_t *out_phys)
{
    int rc;

    if (!pmm_state.ready)
        return ERR_NOMEM;
    mutex_lock(&pmm_state.lock);
    rc = pagealloc_alloc(&pmm_state.pa, pages, align_bytes, max_phys, out_phys);
    mutex_unlock(&pmm_state.lock);
    return rc;
}

int pmm_free_pages(uint64_t phys, size_t pages)
{
    int rc;

    if (!pmm_state.ready)
        return ERR_INVAL;
    mutex_lock(&pmm_state.lock);
    rc = pagealloc_free(&pmm_state.pa, phys, pages);
    mutex_unlock(&pmm_state.lock);
    return rc;
}

void pmm_get_stats(struct pagealloc_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!pmm_state.ready)
        return;
    mutex_lock(&pmm_state.lock);
    pagealloc_get_stats(&pmm_state.pa, out);
    mutex_unlock(&pmm_state.lock);
}

bool pmm_overlaps_ram(uint64_t phys, uint64_t bytes)
{
    uint64_t end = bytes > UINT64_MAX - phys ? UINT64_MAX : phys + bytes;

    for (size_t i = 0; i < pmm_state.map_count; i++) {
        const struct pagealloc_region *r = &pmm_state.map[i];
        if (!r->usable || r->bytes == 0)
            continue;
        uint64_t r_end = r->bytes > UINT64_MAX - r->base ? UINT64_MAX : r->base + r->bytes;
        if (phys < r_end && r->base < end)
            return true;
    }
    return false;
}

uint64_t pmm_map_top(void)
{
    return pmm_state.map_top;
}
