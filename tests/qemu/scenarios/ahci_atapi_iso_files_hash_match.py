# SPDX-License-Identifier: MIT
"""An ATAPI CD-ROM on the q35 AHCI controller (ide-cd on port 0) with an
ISO made here by xorriso; the boot CD sits on port 2. The drive found
first (port 0) is cd0, the boot CD cd1. cd0's capacity is the ISO's size
in 2048-byte sectors, `dhash` of the whole disc equals the host's sha256
of the ISO and `hash` of each file equals hashlib's. Then QMP `eject` and
`blockdev-change-medium` to a second ISO: the AHCI poll thread reports the
removal (DiskMediaChanged 0, old media closed) and the new disc's bytes
are seen; the shell's `disks` follows each step. Then the block layer's
`eject cd0` / `load cd0` move the tray through DISKFUNC LoadTray (START
STOP UNIT): the disc goes and comes back with the same bytes. Finally
`remove cd0` ejects it the same way after a flush."""

import hashlib
import os
import re

ISOS = {}
FILES = {"a.txt": b"first disc\n" * 1000, "big.bin": bytes(range(256)) * 3000 + b"x"}
TIMEOUT = 180


def machine_args(ctx):
    os.makedirs(ctx.tmp, exist_ok=True)
    ISOS["a"] = ctx.make_iso("first", FILES)
    ISOS["b"] = ctx.make_iso("second", {"readme.txt": b"second disc\n" * 5000})
    return ["-M", "q35", "-m", "256",
            "-drive", "if=none,id=cdd,media=cdrom,format=raw,file=%s" % ISOS["a"][0],
            "-device", "ide-cd,drive=cdd,bus=ide.0,id=cdx"]


def run(vm, ctx):
    _, sectors, digest = ISOS["a"]
    vm.wait_disk("cd0", r"cd0 sectors=%d sector_size=2048 media=yes ro=yes" % sectors)
    vm.wait_disk("cd1", r"cd1 sectors=\d+ sector_size=2048 media=yes ro=yes")
    listing = vm.cmd("ahci")
    assert any(re.match(r'  port 0: link 1\.5 Gbps, ATAPI cd0 "QEMU DVD-ROM"', l)
               for l in listing), listing
    assert vm.cmd("dhash cd0 0 %d" % sectors, timeout=60) == [digest]
    for name, data in sorted(FILES.items()):
        want = "%s %d /cd0/1/%s" % (hashlib.sha256(data).hexdigest(), len(data), name)
        assert vm.cmd("hash /cd0/1/%s" % name, timeout=60) == [want]
    # Tray open: the media goes away and is closed.
    vm.qmp.execute("eject", {"id": "cdx"})
    vm.wait_disk("cd0", r"cd0 sectors=0 sector_size=0 media=no")
    assert "ahci: cd0: old media closed" in vm.log, "old media not closed"
    # A new disc: new size, new bytes.
    path, sectors, digest = ISOS["b"]
    vm.qmp.execute("blockdev-change-medium", {"id": "cdx", "filename": path, "format": "raw"})
    vm.wait_disk("cd0", r"cd0 sectors=%d sector_size=2048 media=yes ro=yes" % sectors)
    assert vm.cmd("dhash cd0 0 %d" % sectors, timeout=60) == [digest]
    # The shell's tray commands reach the AHCI drive through the block layer.
    assert vm.cmd("eject cd0") == []
    vm.wait_disk("cd0", r"cd0 sectors=0 sector_size=0 media=no")
    assert vm.cmd("load cd0") == []
    vm.wait_disk("cd0", r"cd0 sectors=%d sector_size=2048 media=yes ro=yes" % sectors)
    assert vm.cmd("dhash cd0 0 %d" % sectors, timeout=60) == [digest]
    # The block layer's LoadTray (START STOP UNIT, LoEj) through `remove`.
    assert vm.cmd("remove cd0") == ["safe to remove cd0"]
    vm.wait_disk("cd0", r"cd0 sectors=0 sector_size=0 media=no")
    assert vm.cmd("echo alive") == ["alive"]
