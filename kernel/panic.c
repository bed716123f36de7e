// SPDX-License-Identifier: MIT
/* panic(): the kernel's state is corrupt, so stop. Print "PANIC: <message>"
 * at KLOG_EMERG with the thread name and a frame-pointer backtrace (the
 * kernel is built with -fno-omit-frame-pointer; resolve the addresses with
 * `addr2line -e build/kernel.elf`), then stop for good: test kernels
 * (-DSPINDLE_TEST) leave QEMU with power_qemu_exit(3) so the runner sees
 * the failure at once, other kernels halt with interrupts off.
 * A panic inside panic (say, the log itself is broken) skips straight to the
 * stop. */
#include "kernel/arch/cpu.h"
#include "kernel/assert.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/power.h"
#include "kernel/thread.h"

#define PANIC_BACKTRACE_DEPTH 16
#define PANIC_FRAME_MAX_BYTES (64 * 1024) /* larger gaps mean a broken chain */
#define PANIC_TEST_EXIT_CODE 3

static struct {
    volatile bool active; /* a panic is in progress */
} panic_state;

/* Walk saved EBP links: [ebp] = caller's EBP, [ebp + 4] = return address.
 * Each step must go up the stack by a sane amount, so a corrupt chain ends
 * the walk instead of faulting. */
static void panic_backtrace(void)
{
    const uint32_t *fp = __builtin_frame_address(0);
    for (unsigned depth = 0; depth < PANIC_BACKTRACE_DEPTH; depth++) {
        if (!fp || ((uintptr_t)fp & 3) || (uintptr_t)fp < 0x1000)
            break;
        uint32_t ret = fp[1];
        if (!ret)
            break;
        printk(KLOG_EMERG, "  #%-2u 0x%08x", depth, ret);
        const uint32_t *next = (const uint32_t *)(uintptr_t)fp[0];
        if (next <= fp || (uintptr_t)next - (uintptr_t)fp > PANIC_FRAME_MAX_BYTES)
            break;
        fp = next;
    }
}

static NORETURN void panic_stop(void)
{
#ifdef SPINDLE_TEST
    power_qemu_exit(PANIC_TEST_EXIT_CODE);
#endif
    for (;;) {
        cpu_cli();
        cpu_hlt();
    }
}

void panic(const char *fmt, ...)
{
    char msg[KLOG_LINE_MAX];
    va_list ap;

    cpu_cli();
    if (panic_state.active)
        panic_stop();
    panic_state.active = true;

    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printk(KLOG_EMERG, "PANIC: %s", msg);
    printk(KLOG_EMERG, "  thread '%s', backtrace:", thread_name());
    panic_backtrace();
    panic_stop();
}
