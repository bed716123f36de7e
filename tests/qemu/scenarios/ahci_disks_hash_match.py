# SPDX-License-Identifier: MIT
"""SATA disks on the q35 machine's built-in ICH9 AHCI controller: ports 0
and 2 hold raw disks of 8 and 12 MiB, ports 1 and 3-5 stay empty. Booted
with -kernel (no CD), so `disks` lists exactly sd0 and sd1 (KolibriOS
naming, in port order) with their capacities, `ahci` shows the controller
and the empty port, and `dhash` of each disk (read by AHCI DMA straight
into the caller's buffer) equals the host's sha256 of the same bytes."""

import os
import re

SIZES_MIB = {0: 8, 2: 12}     # AHCI port -> size
DISKS = {}


def ahci_drive(path, port):
    return ["-drive", "if=none,id=d%d,file=%s,format=raw" % (port, path),
            "-device", "ide-hd,drive=d%d,bus=ide.%d" % (port, port)]


def machine_args(ctx):
    """The runner's first machine (with the test CD on port 2) is only
    killed; run() starts the real one."""
    return ["-M", "q35", "-m", "256"]


def disk_machine_args(ctx):
    args = ["-M", "q35", "-m", "256", "-kernel", os.path.join(ctx.build, "kernel.elf")]
    for port, mib in SIZES_MIB.items():
        disk = ctx.make_random_disk("sata%d.img" % port, mib, 100 + port)
        DISKS[port] = (disk.path, mib, disk.sha256)
        args += ahci_drive(disk.path, port)
    return args


WAIT_PROMPT = False
TIMEOUT = 240


def run(vm, ctx):
    vm.kill()
    vm = ctx.machine(disk_machine_args(ctx), iso=None)
    vm.wait_prompt(60)
    got = [l for l in vm.cmd("disks") if not l.startswith("asmrd")]
    want = ["sd%d sectors=%d sector_size=512 media=yes ro=no partitions=1" % (i, m * 2048)
            for i, (_, (_, m, _)) in enumerate(sorted(DISKS.items()))]
    assert got == want, "disks: %r, want %r" % (got, want)
    listing = vm.cmd("ahci")
    assert re.match(r"ahci0: 00:1f\.2 8086:2922, AHCI 1\.0, 6 ports .*NCQ yes, 64-bit yes, IRQ \d+",
                    listing[0]), listing
    assert "  port 1: link none, no device" in listing, listing
    assert any(re.match(r'  port 0: link 1\.5 Gbps, ATA sd0 "QEMU HARDDISK"', l)
               for l in listing), listing
    assert any(re.match(r'  port 2: link 1\.5 Gbps, ATA sd1 "QEMU HARDDISK"', l)
               for l in listing), listing
    assert any("24576 sectors x 512 bytes (12 MiB), LBA48 yes" in l for l in listing), listing
    for i, (port, (path, mib, digest)) in enumerate(sorted(DISKS.items())):
        out = vm.cmd("dhash sd%d 0 %d" % (i, mib * 2048), timeout=120)
        assert out == [digest], "dhash sd%d: %r, want %s" % (i, out, digest)
