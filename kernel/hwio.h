/* SPDX-License-Identifier: MIT */
/* The hardware seam (STYLE §1, §7): every port I/O instruction and MMIO access
 * in the system goes through these wrappers. Drivers never contain inline asm.
 * Under -DSPINDLE_HOSTED the same names call tests/fakes/fake_hw.c, so a
 * driver's register sequence can be unit-tested against a scripted device. */
#ifndef KERNEL_HWIO_H
#define KERNEL_HWIO_H

#include "kernel/types.h"

#ifdef SPINDLE_HOSTED
uint8_t inb(uint16_t port);
uint16_t inw(uint16_t port);
uint32_t inl(uint16_t port);
void outb(uint16_t port, uint8_t v);
void outw(uint16_t port, uint16_t v);
void outl(uint16_t port, uint32_t v);
uint32_t mmio_read32(volatile void *addr);
void mmio_write32(volatile void *addr, uint32_t v);
void insw(uint16_t port, void *buf, size_t count);
void outsw(uint16_t port, const void *buf, size_t count);
static inline void io_barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
#else
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}
/* count 16-bit words from/to a data port (ATA PIO). */
static inline void insw(uint16_t port, void *buf, size_t count)
{
    __asm__ volatile("rep insw" : "+D"(buf), "+c"(count) : "d"(port) : "memory");
}
static inline void outsw(uint16_t port, const void *buf, size_t count)
{
    __asm__ volatile("rep outsw" : "+S"(buf), "+c"(count) : "d"(port) : "memory");
}
static inline uint32_t mmio_read32(volatile void *addr)
{
    return *(volatile uint32_t *)addr;
}
static inline void mmio_write32(volatile void *addr, uint32_t v)
{
    *(volatile uint32_t *)addr = v;
}
/* Orders memory accesses around DMA descriptor updates and doorbells. */
static inline void io_barrier(void)
{
    __asm__ volatile("lock; addl $0, (%%esp)" : : : "memory");
}
#endif

/* Short delay for legacy devices: a write to the unused port 0x80 (~1 us). */
static inline void io_wait(void)
{
    outb(0x80, 0);
}

#endif
