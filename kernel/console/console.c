// SPDX-License-Identifier: MIT
/* Kernel console (see console.h): one spinlock serialises every write to the
 * serial port and the VGA screen so that lines from different threads never
 * interleave mid-line. Lock order: klog lock, then console lock. */
#include "kernel/console/console.h"
#include "kernel/console/serial.h"
#include "kernel/console/vga.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/lib/lineedit.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"
#include "kernel/sync.h"

static struct {
    struct spinlock lock;  /* serialises serial + VGA output */
    struct lineedit editor; /* used by the shell thread only */
} console_state;

static void console_out(const char *text, size_t len)
{
    spin_lock(&console_state.lock);
    serial_write(text, len);
    vga_write(text, len);
    spin_unlock(&console_state.lock);
}

void console_early_init(void)
{
    spin_init(&console_state.lock, "console");
    serial_init();
    vga_init();
}

void console_init(void)
{
    int rc = serial_enable_irq();
    if (rc)
        pr_warn("console: com1: IRQ input unavailable, polling (%d)", rc);
}

void console_log_sink(int level, const char *line, size_t len)
{
    (void)level;
    console_out(line, len);
}

void kwrite(const char *text, size_t len)
{
    console_out(text, len);
}

void kputs(const char *text)
{
    console_out(text, strlen(text));
}

void kvprintf(const char *fmt, va_list ap)
{
    char buf[512];
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    if (n > 0)
        console_out(buf, MIN((size_t)n, sizeof(buf) - 1));
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

static void console_echo(const char *text, size_t len, void *ctx)
{
    (void)ctx;
    console_out(text, len);
}

void console_register_commands(void)
{
}

void console_shell_run(void)
{
    struct lineedit *le = &console_state.editor;

    lineedit_init(le, console_echo, NULL);
    for (;;) {
        kputs(SHELL_PROMPT);
        lineedit_reset(le);
        enum lineedit_status st;
        do {
            st = lineedit_feed(le, (char)serial_getc());
        } while (st == LINEEDIT_MORE);
        if (st == LINEEDIT_DONE)
            shell_execute(le->buf);
    }
}
