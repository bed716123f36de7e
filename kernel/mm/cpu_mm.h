/* SPDX-License-Identifier: MIT */
/* The few i386 instructions paging needs (control registers, TLB, CPUID
 * feature bit), as static inline wrappers for kernel/mm only. Kept apart from
 * kernel/arch/cpu.h so memory bring-up does not depend on the arch module.
 * Intel SDM Vol. 3A §2.5 (CR0, CR3, CR4), §4.3 (32-bit paging), §4.10.4.1
 * (INVLPG). Context: any; ring 0 only. */
#ifndef KERNEL_MM_CPU_MM_H
#define KERNEL_MM_CPU_MM_H

#include "kernel/types.h"

#define CPU_MM_CR0_WP (1u << 16)         /* ring 0 honours read-only pages */
#define CPU_MM_CR0_PG (1u << 31)         /* paging on */
#define CPU_MM_CR4_PSE (1u << 4)         /* 4 MiB pages in 32-bit paging */
#define CPU_MM_CPUID1_EDX_PSE (1u << 3)  /* CPUID.01H:EDX.PSE */

static inline uint32_t cpu_mm_read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline void cpu_mm_write_cr0(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(v) : "memory");
}

static inline uint32_t cpu_mm_read_cr3(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

/* Loading CR3 also flushes every non-global TLB entry. */
static inline void cpu_mm_write_cr3(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint32_t cpu_mm_read_cr4(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void cpu_mm_write_cr4(uint32_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

static inline void cpu_mm_invlpg(uintptr_t virt)
{
    __asm__ volatile("invlpg (%0)" : : "r"(virt) : "memory");
}

/* True if the CPU supports 4 MiB pages (every CPU since the Pentium does, but
 * some emulators let it be switched off). */
static inline bool cpu_mm_has_pse(void)
{
    uint32_t a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return (d & CPU_MM_CPUID1_EDX_PSE) != 0;
}

#endif
