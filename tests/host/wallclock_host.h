/* SPDX-License-Identifier: MIT */
/* Hosted wall clock (kernel/lib/wallclock.h): the host's real UTC clock by
 * default (time()), so kdisk stamps files with the real time. A test calls
 * wallclock_set_unix() to switch to a fake that starts at the given second
 * and advances with time_ms() (so also with the fake monotonic clock of
 * time_host.h), and wallclock_host_use_real() to switch back. */
#ifndef TESTS_HOST_WALLCLOCK_HOST_H
#define TESTS_HOST_WALLCLOCK_HOST_H

#include "kernel/types.h"

/* Return to the host's real clock (the default). */
void wallclock_host_use_real(void);

#endif
