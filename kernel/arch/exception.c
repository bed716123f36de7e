// SPDX-License-Identifier: MIT
/* CPU exceptions: every one is fatal in this kernel (no user mode, no demand
 * paging), so the handler's only job is a register dump good enough to find
 * the bug from a serial log - vector name, error code, EIP/CS/EFLAGS, the
 * general registers, control registers (CR2 = faulting address for #PF) and
 * the running thread - followed by panic(), which adds a backtrace.
 * Vector names: SDM Vol. 3A, Table 6-1. */
#include "kernel/arch/isr.h"
#include "kernel/arch/cpu.h"
#include "kernel/assert.h"
#include "kernel/klog.h"
#include "kernel/thread.h"

#define EXC_PAGE_FAULT 14

static const char *const exception_names[ISR_EXCEPTIONS] = {
    "#DE divide error",        "#DB debug",
    "NMI",                     "#BP breakpoint",
    "#OF overflow",            "#BR bound range exceeded",
    "#UD invalid opcode",      "#NM device not available",
    "#DF double fault",        "coprocessor segment overrun",
    "#TS invalid TSS",         "#NP segment not present",
    "#SS stack-segment fault", "#GP general protection",
    "#PF page fault",          "reserved 15",
    "#MF x87 floating point",  "#AC alignment check",
    "#MC machine check",       "#XM SIMD floating point",
    "#VE virtualization",      "#CP control protection",
    "reserved 22",             "reserved 23",
    "reserved 24",             "reserved 25",
    "reserved 26",             "reserved 27",
    "#HV hypervisor injection", "#VC VMM communication",
    "#SX security",            "reserved 31",
};

void exception_handle(const struct isr_frame *f)
{
    const char *name = f->vector < ISR_EXCEPTIONS ? exception_names[f->vector] : "?";

    printk(KLOG_EMERG, "exception: %s (vector %u, error code 0x%08x) in thread '%s'", name,
           f->vector, f->error_code, thread_name());
    printk(KLOG_EMERG, "  EIP 0x%08x  CS 0x%04x  EFLAGS 0x%08x", f->eip, f->cs & 0xFFFFu,
           f->eflags);
    printk(KLOG_EMERG, "  EAX 0x%08x  EBX 0x%08x  ECX 0x%08x  EDX 0x%08x", f->eax, f->ebx,
           f->ecx, f->edx);
    printk(KLOG_EMERG, "  ESI 0x%08x  EDI 0x%08x  EBP 0x%08x  ESP 0x%08x", f->esi, f->edi,
           f->ebp, isr_frame_esp(f));
    if (f->vector == EXC_PAGE_FAULT) {
        /* Error code bits: SDM Vol. 3A, Figure 4-12. */
        printk(KLOG_EMERG, "  CR2 0x%08x (%s, %s access, %s mode)", cpu_read_cr2(),
               (f->error_code & 1) ? "protection violation" : "page not present",
               (f->error_code & 2) ? "write" : "read", (f->error_code & 4) ? "user" : "kernel");
    }
    printk(KLOG_EMERG, "  CR0 0x%08x  CR3 0x%08x  CR4 0x%08x", cpu_read_cr0(), cpu_read_cr3(),
           cpu_read_cr4());
    panic("CPU exception %u (%s) at EIP 0x%08x", f->vector, name, f->eip);
}
