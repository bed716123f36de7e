# SPDX-License-Identifier: MIT
"""Reads past the end of an IDE disk fail cleanly and the shell stays
alive: `dhash` beyond the capacity prints one error line, the DISKFUNC
conformance checks (`diskcheck hd0 rw`: clipped reads past the end, zero
counts, write/read-back/restore through the driver) all pass, and `bench`
with a request past the end still ends and prints its numbers."""

import re



def machine_args(ctx):
    img = ctx.make_blank_disk("small.img", 4)
    return ["-M", "pc", "-m", "256", "-drive", img.qemu_drive(index=0)]


def run(vm, ctx):
    sectors = 4 * 2048
    out = vm.cmd("dhash hd0 %d 2" % (sectors - 1))
    assert len(out) == 1 and out[0].startswith("error: end of media"), out
    out = vm.cmd("diskcheck hd0 rw", timeout=60)
    assert out and re.match(r"diskcheck hd0: \d+ rules passed, 0 failed", out[-1]), "\n".join(out)
    out = vm.cmd("bench read hd0 8 64 direct", timeout=60)
    assert any(l.startswith("bench read: %d bytes" % (sectors * 512)) for l in out), out
    assert vm.cmd("echo alive") == ["alive"]
