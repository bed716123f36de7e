# SPDX-License-Identifier: MIT
"""Reads past the end of a SATA disk fail cleanly and the shell stays
alive: on q35 with a 4 MiB disk on AHCI port 0, `dhash` beyond the capacity
prints one error line, the DISKFUNC conformance checks (`diskcheck sd0 rw`:
clipped reads past the end, zero counts, write/read-back/restore through
the driver) all pass, `bench` with a request past the end still ends and
prints its numbers, and `ahci` counts no errors or resets."""

import os
import re


def machine_args(ctx):
    img = ctx.make_blank_disk("small.img", 4)
    return ["-M", "q35", "-m", "256", "-kernel", os.path.join(ctx.build, "kernel.elf"),
            "-drive", "if=none,id=d0,file=%s,format=raw" % img.path,
            "-device", "ide-hd,drive=d0,bus=ide.0"]


WAIT_PROMPT = False
TIMEOUT = 180


def run(vm, ctx):
    vm.kill()
    vm = ctx.machine(machine_args(ctx), iso=None)
    vm.wait_prompt(60)
    sectors = 4 * 2048
    out = vm.cmd("dhash sd0 %d 2" % (sectors - 1))
    assert len(out) == 1 and out[0].startswith("error: end of media"), out
    out = vm.cmd("dhash sd0 %d 1" % sectors)
    assert len(out) == 1 and out[0].startswith("error:"), out
    out = vm.cmd("diskcheck sd0 rw", timeout=60)
    assert out and re.match(r"diskcheck sd0: \d+ rules passed, 0 failed", out[-1]), "\n".join(out)
    out = vm.cmd("bench read sd0 8 64 direct", timeout=60)
    assert any(l.startswith("bench read: %d bytes" % (sectors * 512)) for l in out), out
    listing = vm.cmd("ahci")
    assert "    commands" in "\n".join(listing), listing
    assert any(re.match(r"    commands \d+, retries 0, errors 0, resets 0", l) for l in listing), \
        listing
    assert vm.cmd("echo alive") == ["alive"]
