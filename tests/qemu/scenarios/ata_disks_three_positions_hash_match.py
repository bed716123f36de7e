# SPDX-License-Identifier: MIT
"""IDE disks on three of the four positions of a PIIX3 (-M pc), the
secondary master left empty and no CD-ROM (-nodefaults drops QEMU's
empty default CD-ROM at index 2): `disks` lists exactly hd0, hd1
and hd3 with their capacities, `ata` shows the empty position, and `dhash`
of every disk (read by bus-master DMA) equals the host's sha256 of the same
bytes. The kernel is booted with -kernel so that no CD takes a position."""

import os
import re

SIZES_MIB = {0: 8, 1: 12, 3: 20}     # IDE index -> size
DISKS = {}


def machine_args(ctx):
    args = ["-M", "pc", "-nodefaults", "-m", "256", "-kernel", os.path.join(ctx.build, "kernel.elf")]
    for idx, mib in SIZES_MIB.items():
        disk = ctx.make_random_disk("hd%d.img" % idx, mib, idx)
        DISKS[idx] = (disk.path, mib, disk.sha256)
        args += ["-drive", "file=%s,format=raw,if=ide,index=%d" % (disk.path, idx)]
    return args


def start_without_cdrom(vm, ctx):
    """The runner's first machine has the test CD; use one without."""
    vm.kill()
    vm2 = ctx.machine(machine_args(ctx), iso=None)
    vm2.wait_prompt(60)
    return vm2


WAIT_PROMPT = False
TIMEOUT = 240


def run(vm, ctx):
    vm = start_without_cdrom(vm, ctx)
    got = vm.cmd("disks")
    ata = [l for l in got if not l.startswith("asmrd")]  # the boot module's RAM disk
    want = ["hd%d sectors=%d sector_size=512 media=yes ro=no partitions=1" % (i, m * 2048)
            for i, (_, m, _) in sorted(DISKS.items())]
    assert ata == want, "disks: %r, want %r" % (got, want)
    listing = vm.cmd("ata")
    assert any(re.match(r"ide1: compatibility mode, cmd 0x170", l) for l in listing), listing
    assert "  master: none" in listing, listing
    assert sum("UDMA" in l for l in listing) == 3, listing
    for idx, (path, mib, digest) in sorted(DISKS.items()):
        out = vm.cmd("dhash hd%d 0 %d" % (idx, mib * 2048), timeout=120)
        assert out == [digest], "dhash hd%d: %r, want %s" % (idx, out, digest)
