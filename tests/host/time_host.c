// SPDX-License-Identifier: MIT
/* kernel/time.h for hosted builds (see time_host.h). */
#include "tests/host/time_host.h"
#include "kernel/time.h"

#include <stdatomic.h>
#include <time.h>

static struct {
    atomic_bool fake;
    _Atomic uint64_t fake_us;
    uint64_t start_us; /* real clock at first use, so time starts near 0 */
} time_host;

static uint64_t time_host_real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    if (!time_host.start_us)
        time_host.start_us = us;
    return us - time_host.start_us;
}

void time_host_use_fake(bool fake)
{
    atomic_store(&time_host.fake_us, 0);
    atomic_store(&time_host.fake, fake);
}

void time_host_advance_ms(uint64_t ms)
{
    atomic_fetch_add(&time_host.fake_us, ms * 1000u);
}

uint64_t time_us(void)
{
    if (atomic_load(&time_host.fake))
        return atomic_load(&time_host.fake_us);
    return time_host_real_us();
}

uint64_t time_ms(void)
{
    return time_us() / 1000u;
}

void sleep_ms(uint32_t ms)
{
    if (atomic_load(&time_host.fake)) {
        time_host_advance_ms(ms);
        return;
    }
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

void udelay(uint32_t us)
{
    if (atomic_load(&time_host.fake)) {
        atomic_fetch_add(&time_host.fake_us, us);
        return;
    }
    struct timespec ts = { us / 1000000u, (long)(us % 1000000u) * 1000L };
    nanosleep(&ts, NULL);
}
