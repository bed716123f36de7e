// SPDX-License-Identifier: MIT
/* `crash` (see crash.h): ud = invalid opcode (ud2), de = divide by zero,
 * gp = load of a selector beyond the GDT, pf = read of a page that is not
 * mapped. For pf the page tables are walked (CR3, 4 KiB or 4 MiB pages,
 * SDM Vol. 3A 4.3) to find a truly unmapped address; with paging off there
 * is none and the command refuses. */
#include "kernel/arch/crash.h"

#ifdef SPINDLE_TEST
#include "kernel/arch/cpu.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"

#define CRASH_BAD_SELECTOR 0xFFF8 /* index 8191: far past our 3-entry GDT */
#define PTE_PRESENT 0x001u
#define PDE_LARGE 0x080u

/* Lowest unmapped virtual address, scanning 4 MiB directory slots first and
 * then 4 KiB pages; 0 with *found false if everything is mapped. Page
 * tables are identity-mapped, so their physical addresses are usable. */
static uint32_t crash_find_unmapped(bool *found)
{
    const uint32_t *pd = (const uint32_t *)(uintptr_t)(cpu_read_cr3() & ~0xFFFu);
    *found = true;
    for (uint32_t i = 0; i < 1024; i++) {
        uint32_t pde = pd[i];
        if (!(pde & PTE_PRESENT))
            return i << 22;
        if (pde & PDE_LARGE)
            continue;
        const uint32_t *pt = (const uint32_t *)(uintptr_t)(pde & ~0xFFFu);
        for (uint32_t j = 0; j < 1024; j++) {
            if (!(pt[j] & PTE_PRESENT))
                return (i << 22) | (j << 12);
        }
    }
    *found = false;
    return 0;
}

static int crash_cmd(int argc, char **argv)
{
    if (argc != 2)
        return shell_error("usage: crash ud|de|gp|pf");
    const char *kind = argv[1];
    kprintf("crash: raising %s\n", kind);
    if (strcmp(kind, "ud") == 0) {
        __builtin_trap(); /* ud2 */
    } else if (strcmp(kind, "de") == 0) {
        /* Both operands volatile: gcc turns 1 / x into a compare. */
        volatile int one = 1, zero = 0;
        volatile int x = one / zero;
        (void)x;
    } else if (strcmp(kind, "gp") == 0) {
        cpu_load_ds(CRASH_BAD_SELECTOR);
    } else if (strcmp(kind, "pf") == 0) {
        if (!(cpu_read_cr0() & CPU_CR0_PG))
            return shell_error("pf needs paging, which is off (cr0 0x%08x)", cpu_read_cr0());
        bool found;
        uint32_t addr = crash_find_unmapped(&found);
        if (!found)
            return shell_error("pf: every page is mapped");
        volatile uint32_t *p = (volatile uint32_t *)(uintptr_t)addr;
        (void)*p;
    } else {
        return shell_error("unknown crash kind (%s)", kind);
    }
    return shell_error("crash %s did not fault", kind);
}

static const struct shell_cmd crash_cmds[] = {
    { "crash", "ud|de|gp|pf", "raise a CPU exception (test kernels only)", crash_cmd },
};

void crash_register_commands(void)
{
    shell_register(crash_cmds, ARRAY_SIZE(crash_cmds));
}
#else
void crash_register_commands(void)
{
}
#endif
