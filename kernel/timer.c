// SPDX-License-Identifier: MIT
/* PIT tick, TSC clock and delays (see timer.h and time.h). */
#include "kernel/timer.h"
#include "kernel/arch/cpu.h"
#include "kernel/assert.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/irq.h"
#include "kernel/klog.h"
#include "kernel/sched_priv.h"
#include "kernel/time.h"

#define PIT_HZ 1193182u              /* input clock of every channel */
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_CMD_CH0_MODE2 0x34       /* channel 0, lo/hi byte, rate generator */
#define PIT_CMD_CH2_MODE0 0xB0       /* channel 2, lo/hi byte, interrupt on count */
#define PIT_CMD_CH0_LATCH 0x00       /* latch channel 0's count */
#define PIT_PORT_B 0x61
#define PIT_PORT_B_GATE2 0x01
#define PIT_PORT_B_SPEAKER 0x02
#define PIT_PORT_B_OUT2 0x20
#define PIT_DIVISOR ((PIT_HZ + TIMER_HZ / 2) / TIMER_HZ) /* 1193: 1000.15 Hz */
#define TIMER_CALIB_MS 10            /* one TSC calibration window */
#define TIMER_CALIB_RUNS 7           /* windows measured (see timer_measure_tsc_hz) */
#define TIMER_CALIB_COUNT (PIT_HZ * TIMER_CALIB_MS / 1000)
#define TIMER_CALIB_MAX_POLLS 10000000u /* PIT channel 2 never fires: give up */
_Static_assert(TIMER_CALIB_COUNT <= 0xFFFF, "calibration count fits the 16-bit PIT");

static struct {
    volatile uint64_t ticks; /* IRQ 0 count; written by the IRQ only */
    uint64_t tsc_hz;         /* 0 until calibrated, or without a TSC */
    uint64_t tsc_base;       /* TSC value that time_us() counts from */
    bool running;            /* tick started */
} timer_state;

/* ---- calibration ---------------------------------------------------------- */

static bool timer_cpu_has_tsc(void)
{
    uint32_t a, b, c, d;
    cpu_cpuid(0, &a, &b, &c, &d);
    if (a < 1)
        return false;
    cpu_cpuid(1, &a, &b, &c, &d);
    return (d & CPU_CPUID1_EDX_TSC) != 0;
}

/* Count TSC cycles across TIMER_CALIB_MS of PIT channel 2 (mode 0: OUT2
 * goes high when the count reaches 0). Both ends are bracketed by two TSC
 * reads: the start around the write that starts the count, the end around
 * the last poll that still saw OUT2 low and the first that saw it high. The
 * estimate uses the bracket midpoints; *slop gets the wider bracket, which
 * is large when the CPU stalled at the wrong moment (a virtual CPU being
 * descheduled under a loaded host). Returns cycles, or 0 on failure. */
static uint64_t timer_measure_tsc_once(uint64_t *slop)
{
    /* 1. Gate channel 2 on, speaker off, load the one-shot count. */
    uint8_t portb = inb(PIT_PORT_B);
    outb(PIT_PORT_B, (uint8_t)((portb & ~PIT_PORT_B_SPEAKER) | PIT_PORT_B_GATE2));
    outb(PIT_CMD, PIT_CMD_CH2_MODE0);
    outb(PIT_CH2, TIMER_CALIB_COUNT & 0xFF);
    uint64_t start_lo = cpu_rdtsc();
    outb(PIT_CH2, TIMER_CALIB_COUNT >> 8); /* counting starts here */
    uint64_t start_hi = cpu_rdtsc();
    /* 2. Wait for OUT2, bounded in case there is no channel 2. */
    uint64_t prev = start_hi, before = start_hi;
    uint32_t polls = 0;
    for (;;) {
        prev = before;
        before = cpu_rdtsc();
        if ((inb(PIT_PORT_B) & PIT_PORT_B_OUT2) || ++polls >= TIMER_CALIB_MAX_POLLS)
            break;
    }
    uint64_t end_hi = cpu_rdtsc();
    outb(PIT_PORT_B, portb);
    if (polls >= TIMER_CALIB_MAX_POLLS || end_hi <= start_hi)
        return 0;
    /* 3. OUT2 rose after the poll before the last one began (prev). */
    uint64_t start_mid = start_lo + (start_hi - start_lo) / 2;
    uint64_t end_mid = prev + (end_hi - prev) / 2;
    *slop = MAX(start_hi - start_lo, end_hi - prev);
    return end_mid > start_mid ? end_mid - start_mid : 0;
}

/* Median of the windows whose brackets stayed under 1% of the window; if a
 * stalling host spoiled them all, the smallest reading (stalls only
 * lengthen the end) of all windows. Returns Hz, or 0 without a usable PIT. */
static uint64_t timer_measure_tsc_hz(void)
{
    uint64_t good[TIMER_CALIB_RUNS], least = UINT64_MAX;
    unsigned n = 0;
    for (unsigned i = 0; i < TIMER_CALIB_RUNS; i++) {
        uint64_t slop = 0;
        uint64_t cycles = timer_measure_tsc_once(&slop);
        if (!cycles)
            return 0;
        least = MIN(least, cycles);
        if (slop * 100 <= cycles)
            good[n++] = cycles;
    }
    uint64_t cycles = least;
    if (n) {
        for (unsigned i = 1; i < n; i++) {
            for (unsigned j = i; j > 0 && good[j - 1] > good[j]; j--) {
                uint64_t t = good[j];
                good[j] = good[j - 1];
                good[j - 1] = t;
            }
        }
        cycles = good[n / 2];
    }
    return cycles * 1000u / TIMER_CALIB_MS;
}

/* ---- tick ----------------------------------------------------------------- */

static bool timer_irq(void *ctx)
{
    (void)ctx;
    timer_state.ticks++;
    sched_tick();
    return true;
}

static uint64_t timer_ticks_to_us(uint64_t ticks)
{
    return ticks * PIT_DIVISOR * 1000000u / PIT_HZ;
}

void timer_init(void)
{
    /* 1. Measure the TSC while nothing else runs. */
    if (timer_cpu_has_tsc())
        timer_state.tsc_hz = timer_measure_tsc_hz();

    /* 2. Channel 0: rate generator at TIMER_HZ; the clock starts here. */
    uint32_t flags = cpu_irq_save();
    outb(PIT_CMD, PIT_CMD_CH0_MODE2);
    outb(PIT_CH0, PIT_DIVISOR & 0xFF);
    outb(PIT_CH0, PIT_DIVISOR >> 8);
    timer_state.tsc_base = timer_state.tsc_hz ? cpu_rdtsc() : 0;
    timer_state.running = true;
    cpu_irq_restore(flags);

    /* 3. The tick handler; without it no sleeper would ever wake. */
    int rc = irq_attach(0, timer_irq, NULL, "timer", NULL);
    if (rc < 0)
        panic("timer: cannot attach IRQ 0 (%s)", err_name(rc));
    if (timer_state.tsc_hz)
        pr_info("timer: PIT %u Hz, TSC %u.%03u MHz", (unsigned)TIMER_HZ,
                (unsigned)(timer_state.tsc_hz / 1000000u),
                (unsigned)(timer_state.tsc_hz / 1000u % 1000u));
    else
        pr_warn("timer: PIT %u Hz, no usable TSC (time_us from the PIT latch)",
                (unsigned)TIMER_HZ);
}

uint64_t timer_ticks(void)
{
    uint32_t flags = cpu_irq_save();
    uint64_t t = timer_state.ticks;
    cpu_irq_restore(flags);
    return t;
}

uint64_t timer_tsc_hz(void)
{
    return timer_state.tsc_hz;
}

/* ---- kernel/time.h ------------------------------------------------------- */

/* Without a TSC: whole ticks plus how far channel 0 has counted down. A
 * tick that is pending but not yet taken is missed, so this can step back
 * by up to one tick; it is only a fallback. */
static uint64_t timer_pit_us(void)
{
    uint32_t flags = cpu_irq_save();
    outb(PIT_CMD, PIT_CMD_CH0_LATCH);
    uint16_t lo = inb(PIT_CH0);
    uint16_t count = (uint16_t)(lo | (uint16_t)inb(PIT_CH0) << 8);
    uint64_t ticks = timer_state.ticks;
    cpu_irq_restore(flags);
    uint32_t done = count <= PIT_DIVISOR ? PIT_DIVISOR - count : 0;
    return timer_ticks_to_us(ticks) + (uint64_t)done * 1000000u / PIT_HZ;
}

uint64_t time_us(void)
{
    if (!timer_state.running)
        return 0;
    if (!timer_state.tsc_hz)
        return timer_pit_us();
    /* Split the division so that cycles * 10^6 cannot overflow 64 bits. */
    uint64_t cycles = cpu_rdtsc() - timer_state.tsc_base;
    uint64_t sec = cycles / timer_state.tsc_hz;
    uint64_t rem = cycles % timer_state.tsc_hz;
    return sec * 1000000u + rem * 1000000u / timer_state.tsc_hz;
}

uint64_t time_ms(void)
{
    return time_us() / 1000u;
}

void udelay(uint32_t us)
{
    if (timer_state.tsc_hz) {
        uint64_t end = cpu_rdtsc() + (uint64_t)us * timer_state.tsc_hz / 1000000u;
        while (cpu_rdtsc() < end)
            cpu_pause();
        return;
    }
    if (timer_state.running && cpu_irq_enabled()) {
        uint64_t end = time_us() + us;
        while (time_us() < end)
            cpu_pause();
        return;
    }
    /* Uncalibrated: one port 0x80 write takes about 1 us on ISA timing. */
    for (uint32_t i = 0; i < us; i++)
        io_wait();
}

void sleep_ms(uint32_t ms)
{
    uint32_t flags = cpu_irq_save();
    if (!sched_can_block(flags) || !timer_state.running) {
        cpu_irq_restore(flags);
        for (uint32_t i = 0; i < ms; i++)
            udelay(1000);
        return;
    }
    if (ms == 0) {
        sched_yield_locked();
    } else {
        uint64_t deadline = time_us() + (uint64_t)ms * 1000u;
        sched_block_locked(NULL, THREAD_SLEEPING, deadline);
    }
    cpu_irq_restore(flags);
}
