// SPDX-License-Identifier: MIT
/* kernel/lib/wallclock.h for hosted builds (see wallclock_host.h). */
#include "tests/host/wallclock_host.h"
#include "kernel/lib/wallclock.h"
#include "kernel/err.h"
#include "kernel/time.h"

#include <pthread.h>
#include <time.h>

static struct {
    pthread_mutex_t lock; /* protects the fields below */
    bool fake;            /* fake clock in use */
    int64_t fake_base_s;  /* fake time at fake_base_ms */
    uint64_t fake_base_ms; /* time_ms() when the fake was set */
} wallclock_host = { .lock = PTHREAD_MUTEX_INITIALIZER };

int wallclock_now_unix(int64_t *unix_s)
{
    pthread_mutex_lock(&wallclock_host.lock);
    bool fake = wallclock_host.fake;
    int64_t base_s = wallclock_host.fake_base_s;
    uint64_t base_ms = wallclock_host.fake_base_ms;
    pthread_mutex_unlock(&wallclock_host.lock);
    if (fake) {
        *unix_s = base_s + (int64_t)((time_ms() - base_ms) / 1000u);
        return 0;
    }
    time_t now = time(NULL);
    if (now == (time_t)-1) {
        *unix_s = WALLCLOCK_FALLBACK_UNIX;
        return ERR_NOENT;
    }
    *unix_s = (int64_t)now;
    return 0;
}

void wallclock_set_unix(int64_t unix_s)
{
    pthread_mutex_lock(&wallclock_host.lock);
    wallclock_host.fake = true;
    wallclock_host.fake_base_s = unix_s;
    wallclock_host.fake_base_ms = time_ms();
    pthread_mutex_unlock(&wallclock_host.lock);
}

void wallclock_host_use_real(void)
{
    pthread_mutex_lock(&wallclock_host.lock);
    wallclock_host.fake = false;
    pthread_mutex_unlock(&wallclock_host.lock);
}
