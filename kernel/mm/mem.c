// SPDX-License-Identifier: MIT
/* Memory bring-up in dependency order (pages, paging, heap) and the `mem`
 * shell command (contract in mem.h). */
#include "kernel/mm/mem.h"
#include "kernel/boot_info.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/kstring.h"
#include "kernel/mm/mem_priv.h"
#include "kernel/mm/paging.h"
#include "kernel/mm/pmm.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"

#define MEM_PAGE_KIB (PMM_PAGE_BYTES / 1024u)

void mem_init(void)
{
    struct pagealloc_stats ps;
    struct kmem_stats ks;

    /* 1. Memory map -> page allocator; without pages nothing else can work. */
    if (pmm_init(&boot_info) != 0) {
        pr_err("mem: no usable memory, running without paging and heap");
        return;
    }
    /* 2. Identity paging over all RAM. */
    paging_init();
    /* 3. Heap (failure is logged; kmalloc then returns NULL). */
    kmem_init();

    /* 4. One summary line. */
    pmm_get_stats(&ps);
    kmem_get_stats(&ks);
    pr_info("mem: RAM %u MiB, %u MiB free after reservations and heap; heap %zu KiB",
            ps.ram_pages / (1024u / MEM_PAGE_KIB), ps.free_pages / (1024u / MEM_PAGE_KIB),
            ks.total_bytes / 1024);
}

static int mem_cmd(int argc, char **argv)
{
    struct pagealloc_stats ps;
    struct kmem_stats ks;
    char msg[160];

    /* `mem check`: the full heap walk. */
    if (argc == 2 && strcmp(argv[1], "check") == 0) {
        int rc = kmem_check(msg, sizeof(msg));
        if (rc)
            return shell_error("heap corrupt: %s (%s)", msg, err_name(rc));
        kprintf("heap ok\n");
        return 0;
    }
    if (argc != 1)
        return shell_error("mem: unknown argument (%s)", argv[1]);

    pmm_get_stats(&ps);
    kmem_get_stats(&ks);
    kprintf("pages: total %u KiB, free %u KiB, used %u KiB (%u pages)\n",
            ps.total_pages * MEM_PAGE_KIB, ps.free_pages * MEM_PAGE_KIB,
            (ps.total_pages - ps.free_pages) * MEM_PAGE_KIB, ps.total_pages);
    kprintf("heap: total %zu KiB, used %zu KiB, free %zu KiB, largest free block %zu KiB, "
            "allocations %zu\n",
            ks.total_bytes / 1024, ks.used_bytes / 1024, ks.free_bytes / 1024,
            ks.largest_free / 1024, ks.allocations);
    return 0;
}

static const struct shell_cmd mem_cmds[] = {
    { "mem", "[check]", "physical page and heap statistics; 'check' walks the heap", mem_cmd },
};

void mem_register_commands(void)
{
    int rc = shell_register(mem_cmds, ARRAY_SIZE(mem_cmds));
    if (rc)
        pr_err("mem: shell commands not registered (%s)", err_name(rc));
}
