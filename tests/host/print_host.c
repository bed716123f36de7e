// SPDX-License-Identifier: MIT
/* kernel/print.h for hosted builds: program output goes to stdout. Tests can
 * capture it through print_host.h. */
#include "tests/host/print_host.h"
#include "kernel/lib/format.h"
#include "kernel/print.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct {
    pthread_mutex_t lock;
    bool capturing;
    char *buf; /* captured text, NUL-terminated */
    size_t len;
    size_t cap;
} print_host = { .lock = PTHREAD_MUTEX_INITIALIZER };

void kwrite(const char *text, size_t len)
{
    pthread_mutex_lock(&print_host.lock);
    if (print_host.capturing) {
        if (print_host.len + len + 1 > print_host.cap) {
            size_t cap = (print_host.len + len + 1) * 2;
            char *grown = realloc(print_host.buf, cap);
            if (!grown) {
                pthread_mutex_unlock(&print_host.lock);
                return;
            }
            print_host.buf = grown;
            print_host.cap = cap;
        }
        memcpy(print_host.buf + print_host.len, text, len);
        print_host.len += len;
        print_host.buf[print_host.len] = '\0';
    } else {
        fwrite(text, 1, len, stdout);
    }
    pthread_mutex_unlock(&print_host.lock);
}

void kputs(const char *text)
{
    kwrite(text, strlen(text));
}

void kvprintf(const char *fmt, va_list ap)
{
    char small[512];
    va_list copy;
    va_copy(copy, ap);
    int n = kvsnprintf(small, sizeof(small), fmt, ap);
    if (n >= 0 && (size_t)n < sizeof(small)) {
        kwrite(small, (size_t)n);
    } else if (n > 0) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            kvsnprintf(big, (size_t)n + 1, fmt, copy);
            kwrite(big, (size_t)n);
            free(big);
        }
    }
    va_end(copy);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void print_host_capture_begin(void)
{
    pthread_mutex_lock(&print_host.lock);
    print_host.capturing = true;
    print_host.len = 0;
    if (print_host.buf)
        print_host.buf[0] = '\0';
    pthread_mutex_unlock(&print_host.lock);
}

const char *print_host_captured(void)
{
    return print_host.buf ? print_host.buf : "";
}

void print_host_capture_end(void)
{
    pthread_mutex_lock(&print_host.lock);
    print_host.capturing = false;
    pthread_mutex_unlock(&print_host.lock);
}
