/* SPDX-License-Identifier: MIT */
/* Kernel log: printk() formats one message, stamps it with the monotonic
 * clock, stores it in a ring buffer (read back by `dmesg`) and passes it to
 * the console sink when its level is at or below the console level.
 * Lines on the console look like "[    1.234] message"; the QEMU test runner
 * relies on that prefix to tell log lines from shell output.
 * Portable: the same file runs in the kernel and in hosted builds (where the
 * sink is stderr or a capture buffer for tests). */
#ifndef KERNEL_KLOG_H
#define KERNEL_KLOG_H

#include "kernel/types.h"
#include <stdarg.h>

enum klog_level {
    KLOG_EMERG = 0,
    KLOG_ERR = 3,
    KLOG_WARN = 4,
    KLOG_NOTICE = 5,
    KLOG_INFO = 6,
    KLOG_DEBUG = 7,
};

/* Size of the log ring; the oldest lines are overwritten. */
#define KLOG_RING_BYTES (64 * 1024)
/* Longest message text in bytes (without the "[    1.234] " prefix and the
 * '\n'); longer messages keep their first KLOG_LINE_MAX bytes. Trailing
 * newlines of a message are dropped; each stored line ends in one '\n'. */
#define KLOG_LINE_MAX 256

/* Log one message (no trailing newline needed). Context: any, including IRQ.
 * Locking: takes the klog spinlock. */
void printk(int level, const char *fmt, ...) PRINTF_LIKE(2, 3);
void vprintk(int level, const char *fmt, va_list ap);

#define pr_err(...) printk(KLOG_ERR, __VA_ARGS__)
#define pr_warn(...) printk(KLOG_WARN, __VA_ARGS__)
#define pr_notice(...) printk(KLOG_NOTICE, __VA_ARGS__)
#define pr_info(...) printk(KLOG_INFO, __VA_ARGS__)
#define pr_debug(...) printk(KLOG_DEBUG, __VA_ARGS__)

/* Console sink: gets each finished line ("[   1.234] text\n") whose level
 * passes the console level. Called with the klog lock held: must not log. */
typedef void (*klog_sink_fn)(int level, const char *line, size_t len);
void klog_set_sink(klog_sink_fn sink);
void klog_set_console_level(int level);
int klog_console_level(void);

/* Copy log text starting at *cursor (0 = oldest kept) into buf; returns bytes
 * copied and advances *cursor. Returns 0 at the end. Lines that were already
 * overwritten are skipped: a cursor behind the ring restarts at the start of
 * the oldest line still kept, so text never begins mid-line. A short buffer
 * may end mid-line; the next call continues there. */
size_t klog_read(uint64_t *cursor, char *buf, size_t len);

/* Drop everything in the ring (tests); readers at any cursor then see only
 * lines logged after the call. */
void klog_clear(void);

/* True if a line containing `needle` is in the ring (tests and selftests). */
bool klog_contains(const char *needle);

#endif
