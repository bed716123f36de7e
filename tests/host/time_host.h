/* SPDX-License-Identifier: MIT */
/* Hosted clock: real CLOCK_MONOTONIC by default; tests may switch to a fake
 * clock that only moves when told (time_host_advance_ms), and sleep_ms then
 * advances it instead of sleeping. */
#ifndef TESTS_HOST_TIME_HOST_H
#define TESTS_HOST_TIME_HOST_H

#include "kernel/types.h"

void time_host_use_fake(bool fake);
void time_host_advance_ms(uint64_t ms);

#endif
