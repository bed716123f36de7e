# SPDX-License-Identifier: MIT
"""`dmesg` prints the kernel log ring: every log line the console showed
during boot is there, in the same order, in the "[    s.mmm] text" form."""

import qemu

MACHINE = ["-M", "pc", "-m", "256"]


def run(vm, ctx):
    boot = [ln for ln in qemu.split_output(vm.log, keep_log_lines=True) if qemu.is_log_line(ln)]
    assert boot, "no kernel log lines on the console before the first prompt"
    lines = vm.cmd("dmesg", timeout=30, keep_log_lines=True)
    logged = [ln for ln in lines if qemu.is_log_line(ln)]
    assert logged, "dmesg printed no log lines: %r" % lines[:5]
    # Console lines must appear in dmesg as an ordered subsequence (dmesg may
    # hold more: lines below the console level).
    i = 0
    for ln in logged:
        if i < len(boot) and ln == boot[i]:
            i += 1
    assert i == len(boot), "boot line missing from dmesg: %r" % boot[i]
