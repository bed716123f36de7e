// SPDX-License-Identifier: MIT
/* The build-independent half of the wall clock (see wallclock.h): the
 * source's seconds since the epoch, broken down by civil_from_unix(). */
#include "kernel/lib/wallclock.h"
#include "kernel/err.h"

int wallclock_now(struct wall_time *out)
{
    int64_t unix_s;
    int rc = wallclock_now_unix(&unix_s);
    if (civil_from_unix(unix_s, out) != 0) {
        /* A source beyond the calendar range: the fallback is always valid. */
        civil_from_unix(WALLCLOCK_FALLBACK_UNIX, out);
        return ERR_RANGE;
    }
    return rc;
}
