# SPDX-License-Identifier: MIT
"""PIO gives the same data as DMA: booted with `ata=pio` on the kernel
command line, `ata` reports mode PIO and `dhash` of a disk equals the
host's sha256 (read by READ MULTIPLE, 16 sectors per interrupt, which
`ata` reports); after `ata dma` the same range read by DMA (cache dropped
first) hashes the same, and `ata pio` switches back at run time; then
`diskcheck hd1 rw` (writes by WRITE MULTIPLE, read back, restored) passes
and the disk still hashes the same."""

import os
import re

MIB = 6
IMG = {}


def machine_args(ctx):
    os.makedirs(ctx.tmp, exist_ok=True)
    disk = ctx.make_random_disk("pio.img", MIB, 7)
    IMG["sha"] = disk.sha256
    return ["-M", "pc", "-m", "256", "-kernel", os.path.join(ctx.build, "kernel.elf"),
            "-append", "ata=pio",
            "-drive", "file=%s,format=raw,if=ide,index=1" % disk.path]


def run(vm, ctx):
    info = vm.cmd("ata")
    assert any("mode PIO" in l for l in info), "not PIO"
    # QEMU's ide-hd offers 16 sectors per READ MULTIPLE block (word 47).
    assert any("PIO multiple 16" in l for l in info), "no READ MULTIPLE: %r" % info
    count = MIB * 2048
    assert vm.cmd("dhash hd1 0 %d" % count, timeout=120) == [IMG["sha"]]
    assert vm.cmd("ata dma") == ["ata: mode dma"]
    assert any("mode UDMA" in l for l in vm.cmd("ata")), "not DMA"
    vm.cmd("cache drop")
    assert vm.cmd("dhash hd1 0 %d" % count, timeout=120) == [IMG["sha"]]
    assert vm.cmd("ata pio") == ["ata: mode pio"]
    assert any("mode PIO" in l for l in vm.cmd("ata"))
    # Writes by WRITE MULTIPLE: write, read back and restore through the driver.
    out = vm.cmd("diskcheck hd1 rw", timeout=120)
    assert out and re.match(r"diskcheck hd1: \d+ rules passed, 0 failed", out[-1]), "\n".join(out)
    vm.cmd("cache drop")
    assert vm.cmd("dhash hd1 0 %d" % count, timeout=120) == [IMG["sha"]]
