# SPDX-License-Identifier: MIT
"""Load over four drivers at once: `stress 10 4` over an IDE master with
FAT32, an IDE slave with FAT16, an AHCI disk with FAT32 (sd0, an ich9-ahci
on -M pc), a USB stick with FAT16 on EHCI (usbhd0), all made by mkfs.fat
here, and a boot-module RAM disk with FAT16 (rd0). The command must return (no deadlock), report zero
mismatches and errors, and the heap in use after it, `sync` and
`cache drop` (the sector cache grows on demand up to its budget, so it is
emptied before each `mem`) must not exceed what it was before by more than
HEAP_SLACK_KIB; a short warm-up run first mounts the volumes. After
poweroff, fsck.fat -n finds the IDE, AHCI and USB volumes clean."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import fsck_clean  # noqa: E402

IMGS = {}
TIMEOUT = 300
HEAP_SLACK_KIB = 64
PATHS = "/hd0/1/s /hd1/1/s /sd0/1/s /usbhd0/1/s /rd0/1/s"


def machine_args(ctx):
    IMGS["hd0"] = ctx.make_fat_disk("hd0.img", size_mib=64, fat=32)
    IMGS["hd1"] = ctx.make_fat_disk("hd1.img", size_mib=32, fat=16)
    IMGS["sd0"] = ctx.make_fat_disk("sd0.img", size_mib=64, fat=32)
    IMGS["usbhd0"] = ctx.make_fat_disk("usbhd0.img", size_mib=32, fat=16)
    IMGS["rd0"] = ctx.make_fat_disk("rd0.img", size_mib=16, fat=16)
    return ["-M", "pc", "-m", "256", "-kernel", os.path.join(ctx.build, "kernel.elf"),
            "-initrd", "%s disk:rd0" % IMGS["rd0"].path,
            "-drive", IMGS["hd0"].qemu_drive(index=0),
            "-drive", IMGS["hd1"].qemu_drive(index=1),
            "-device", "ich9-ahci,id=ahci",
            "-drive", "if=none,id=s0,format=raw,file=%s" % IMGS["sd0"].path,
            "-device", "ide-hd,drive=s0,bus=ahci.0",
            "-device", "usb-ehci,id=ehci",
            "-drive", "if=none,id=u0,format=raw,file=%s" % IMGS["usbhd0"].path,
            "-device", "usb-storage,bus=ehci.0,drive=u0"]


def heap_used_kib(vm):
    out = vm.cmd("sync; cache drop", timeout=60)
    assert not any(l.startswith("error") for l in out), out
    out = vm.cmd("mem")
    for line in out:
        m = re.match(r"heap: total \d+ KiB, used (\d+) KiB", line)
        if m:
            return int(m.group(1))
    raise AssertionError("no heap line in %r" % out)


def run_stress(vm, seconds):
    out = vm.cmd("stress %d 4 %s" % (seconds, PATHS), timeout=seconds + 120)
    total = [l for l in out if l.startswith("stress: ops=")]
    assert len(total) == 1, out
    m = re.match(r"stress: ops=(\d+) bytes_written=(\d+) bytes_verified=(\d+) "
                 r"mismatches=(\d+) errors=(\d+)$", total[0])
    assert m, total[0]
    assert not any(l.startswith("error") for l in out), out
    ops, verified, mism, errs = (int(m.group(i)) for i in (1, 3, 4, 5))
    assert mism == 0 and errs == 0, out
    assert ops > 0 and verified > 0, out
    print(total[0])
    return out


def run(vm, ctx):
    run_stress(vm, 2)                       # warm-up: mounts and FAT state
    before = heap_used_kib(vm)
    run_stress(vm, 10)
    after = heap_used_kib(vm)
    assert after <= before + HEAP_SLACK_KIB, "heap used %d KiB before, %d after" % (before, after)
    for path in PATHS.split():
        assert vm.cmd("ls %s" % path) == [], "%s not empty" % path
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0
    for name in ("hd0", "hd1", "sd0", "usbhd0"):
        fsck_clean(IMGS[name])
