/* SPDX-License-Identifier: MIT */
/* i386 instructions the kernel core needs, as static inline wrappers: the only
 * inline asm outside kernel/hwio.h. Interrupt flag (cli/sti/hlt, save and
 * restore of EFLAGS.IF), the time stamp counter, control registers, CPUID,
 * lidt, and a segment load used by the test-mode `crash gp` command.
 * Intel SDM Vol. 3A: 2.3 (EFLAGS), 2.5 (control registers), 6.10 (IDTR).
 * Context: any; none of these sleep. */
#ifndef KERNEL_ARCH_CPU_H
#define KERNEL_ARCH_CPU_H

#include "kernel/types.h"

#define CPU_EFLAGS_IF (1u << 9) /* interrupts enabled */
#define CPU_CR0_PG (1u << 31)   /* paging enabled */
#define CPU_CPUID1_EDX_TSC (1u << 4)

static inline void cpu_cli(void)
{
    __asm__ volatile("cli" : : : "memory");
}

static inline void cpu_sti(void)
{
    __asm__ volatile("sti" : : : "memory");
}

static inline void cpu_hlt(void)
{
    __asm__ volatile("hlt" : : : "memory");
}

/* Enable interrupts and halt until the next one. The instruction after sti
 * still runs with IF clear, so no interrupt slips in between and the halt
 * cannot miss a wake-up (SDM Vol. 2B, STI). */
static inline void cpu_sti_hlt(void)
{
    __asm__ volatile("sti; hlt" : : : "memory");
}

/* Spin-wait hint (SDM Vol. 2B, PAUSE); a plain NOP on old CPUs. */
static inline void cpu_pause(void)
{
    __asm__ volatile("pause" : : : "memory");
}

static inline uint32_t cpu_read_eflags(void)
{
    uint32_t f;
    __asm__ volatile("pushfl; popl %0" : "=r"(f) : : "memory");
    return f;
}

/* Disable interrupts and return the previous EFLAGS for cpu_irq_restore. */
static inline uint32_t cpu_irq_save(void)
{
    uint32_t f;
    __asm__ volatile("pushfl; popl %0; cli" : "=r"(f) : : "memory");
    return f;
}

/* Re-enable interrupts only if they were on when `flags` was saved. */
static inline void cpu_irq_restore(uint32_t flags)
{
    if (flags & CPU_EFLAGS_IF)
        cpu_sti();
}

static inline bool cpu_irq_enabled(void)
{
    return (cpu_read_eflags() & CPU_EFLAGS_IF) != 0;
}

static inline uint64_t cpu_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(0));
}

static inline uint32_t cpu_read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("movl %%cr0, %0" : "=r"(v));
    return v;
}

static inline uint32_t cpu_read_cr2(void)
{
    uint32_t v;
    __asm__ volatile("movl %%cr2, %0" : "=r"(v));
    return v;
}

static inline uint32_t cpu_read_cr3(void)
{
    uint32_t v;
    __asm__ volatile("movl %%cr3, %0" : "=r"(v));
    return v;
}

static inline uint32_t cpu_read_cr4(void)
{
    uint32_t v;
    __asm__ volatile("movl %%cr4, %0" : "=r"(v));
    return v;
}

/* Control-register bits and writers used by paging (SDM Vol. 3A §2.5, §4.3). */
#define CPU_CR0_WP (1u << 16)        /* ring 0 honours read-only pages */
#define CPU_CR0_PG (1u << 31)        /* paging on */
#define CPU_CR4_PSE (1u << 4)        /* 4 MiB pages in 32-bit paging */
#define CPU_CPUID1_EDX_PSE (1u << 3) /* CPUID.01H:EDX.PSE */

static inline void cpu_write_cr0(uint32_t v)
{
    __asm__ volatile("movl %0, %%cr0" : : "r"(v) : "memory");
}

/* Loading CR3 also flushes every non-global TLB entry. */
static inline void cpu_write_cr3(uint32_t v)
{
    __asm__ volatile("movl %0, %%cr3" : : "r"(v) : "memory");
}

static inline void cpu_write_cr4(uint32_t v)
{
    __asm__ volatile("movl %0, %%cr4" : : "r"(v) : "memory");
}

/* Drop the TLB entry of one page (SDM Vol. 3A §4.10.4.1). */
static inline void cpu_invlpg(uintptr_t virt)
{
    __asm__ volatile("invlpg (%0)" : : "r"(virt) : "memory");
}

/* True if the CPU supports 4 MiB pages (every CPU since the Pentium does, but
 * some emulators let it be switched off). */
static inline bool cpu_has_pse(void)
{
    uint32_t a, b, c, d;
    cpu_cpuid(1, &a, &b, &c, &d);
    return (d & CPU_CPUID1_EDX_PSE) != 0;
}

/* IDTR image (SDM Vol. 3A, Figure 6-1). */
struct cpu_idt_ptr {
    uint16_t limit; /* size of the table in bytes, minus one */
    uint32_t base;  /* linear address of gate 0 */
} __attribute__((packed));

static inline void cpu_lidt(const struct cpu_idt_ptr *p)
{
    __asm__ volatile("lidt %0" : : "m"(*p) : "memory");
}

/* Load DS with `selector`; a selector beyond the GDT raises #GP. Only the
 * test-mode crash command uses this on purpose. */
static inline void cpu_load_ds(uint16_t selector)
{
    __asm__ volatile("movw %0, %%ds" : : "r"(selector) : "memory");
}

#endif
