// SPDX-License-Identifier: MIT
/* Kernel log ring (see klog.h). Lines are stored whole, each ending in '\n',
 * in a byte ring addressed by an ever-growing 64-bit offset, so a reader's
 * cursor stays meaningful while the writer wraps around. The writer evicts
 * whole lines: `tail` always sits at the start of the oldest kept line. */
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/sync.h"
#include "kernel/time.h"

/* Longest timestamp prefix: "[4294967295.999] " is 17 bytes, plus the NUL. */
#define KLOG_PREFIX_MAX 18

static struct {
    struct spinlock lock;     /* protects everything below */
    bool ready;               /* lock initialised */
    char ring[KLOG_RING_BYTES];
    uint64_t head;            /* offset one past the newest byte */
    uint64_t tail;            /* offset of the oldest kept line; head - tail <= ring size */
    klog_sink_fn sink;        /* console output, may be NULL */
    int console_level;        /* lines with level <= this reach the sink */
} klog_state = { .console_level = KLOG_INFO };

static void klog_ensure_ready(void)
{
    /* Single-threaded early boot calls this first; later calls see ready. */
    if (!klog_state.ready) {
        spin_init(&klog_state.lock, "klog");
        klog_state.ready = true;
    }
}

void vprintk(int level, const char *fmt, va_list ap)
{
    char line[KLOG_PREFIX_MAX + KLOG_LINE_MAX + 1]; /* prefix, text, '\n' (or NUL) */
    uint64_t now = time_ms();

    /* 1. Timestamp prefix, then the message text cut to KLOG_LINE_MAX bytes. */
    int n = ksnprintf(line, KLOG_PREFIX_MAX, "[%5u.%03u] ", (unsigned)(now / 1000),
                      (unsigned)(now % 1000));
    int m = kvsnprintf(line + n, KLOG_LINE_MAX + 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : MIN((size_t)m, (size_t)KLOG_LINE_MAX));
    while (len > (size_t)n && line[len - 1] == '\n')
        len--;
    line[len++] = '\n';

    /* 2. Evict the oldest whole lines until the new one fits; every stored
     *    line ends in '\n', so each inner walk stops before head. */
    klog_ensure_ready();
    spin_lock(&klog_state.lock);
    while (klog_state.head + len - klog_state.tail > KLOG_RING_BYTES) {
        while (klog_state.ring[klog_state.tail % KLOG_RING_BYTES] != '\n')
            klog_state.tail++;
        klog_state.tail++;
    }
    /* 3. Append to the ring and hand the line to the console sink. */
    for (size_t i = 0; i < len; i++)
        klog_state.ring[(klog_state.head + i) % KLOG_RING_BYTES] = line[i];
    klog_state.head += len;
    if (klog_state.sink && level <= klog_state.console_level)
        klog_state.sink(level, line, len);
    spin_unlock(&klog_state.lock);
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

void klog_set_sink(klog_sink_fn sink)
{
    klog_ensure_ready();
    spin_lock(&klog_state.lock);
    klog_state.sink = sink;
    spin_unlock(&klog_state.lock);
}

void klog_set_console_level(int level)
{
    klog_state.console_level = level;
}

int klog_console_level(void)
{
    return klog_state.console_level;
}

size_t klog_read(uint64_t *cursor, char *buf, size_t len)
{
    size_t copied = 0;

    klog_ensure_ready();
    spin_lock(&klog_state.lock);
    /* 1. A cursor that fell behind the ring (or before klog_clear) restarts
     *    at the oldest whole line. */
    if (*cursor < klog_state.tail)
        *cursor = klog_state.tail;
    /* 2. Copy what is there. */
    while (copied < len && *cursor < klog_state.head) {
        buf[copied++] = klog_state.ring[*cursor % KLOG_RING_BYTES];
        (*cursor)++;
    }
    spin_unlock(&klog_state.lock);
    return copied;
}

void klog_clear(void)
{
    klog_ensure_ready();
    spin_lock(&klog_state.lock);
    klog_state.tail = klog_state.head; /* offsets keep growing: old cursors stay valid */
    spin_unlock(&klog_state.lock);
}

bool klog_contains(const char *needle)
{
    char line[KLOG_LINE_MAX + 32];
    size_t used = 0;
    uint64_t cursor = 0;
    size_t nlen = strlen(needle);
    char c;

    /* Walk line by line; a line longer than the buffer is checked in pieces. */
    while (klog_read(&cursor, &c, 1) == 1) {
        if (c != '\n' && used < sizeof(line) - 1) {
            line[used++] = c;
            continue;
        }
        line[used] = '\0';
        for (size_t i = 0; i + nlen <= used; i++) {
            if (memcmp(line + i, needle, nlen) == 0)
                return true;
        }
        used = 0;
    }
    return false;
}
