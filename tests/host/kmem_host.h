/* SPDX-License-Identifier: MIT */
/* Fault plan for the hosted kernel heap: make allocation number N (counting
 * from 1 after kmem_host_reset) fail once, or fail from then on, so tests can
 * walk every out-of-memory path. */
#ifndef TESTS_HOST_KMEM_HOST_H
#define TESTS_HOST_KMEM_HOST_H

#include "kernel/types.h"

void kmem_host_reset(void);
/* Fail the nth allocation from now (1 = the next one). persistent: fail every
 * allocation from the nth on. n = 0 disables. */
void kmem_host_fail_nth(unsigned n, bool persistent);
/* Allocations made since the last reset; live allocations now. */
unsigned kmem_host_alloc_count(void);
long kmem_host_live(void);
/* Memory pressure as the kernel heap signals it: call every registered
 * reclaimer (unlocked, in order) asking for `bytes`; returns what they
 * report freed. */
size_t kmem_host_run_reclaimers(size_t bytes);

#endif
