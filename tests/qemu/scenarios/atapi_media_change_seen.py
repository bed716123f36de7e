# SPDX-License-Identifier: MIT
"""An IDE CD-ROM (ide-cd, secondary slave) with an ISO made by xorriso
(Joliet + Rock Ridge): the drive appears as cd1 (cd0 is the boot CD), its
capacity is the ISO's size in 2048-byte sectors and `dhash` of the whole
disc equals the host's sha256 of the ISO. Then QMP `eject` and
`blockdev-change-medium` to a second, larger ISO: the driver's poll thread
reports the removal, the old media is closed (log line), and the new
contents are seen - no stale sectors from the cache."""

import os

ISOS = {}
TIMEOUT = 180


def machine_args(ctx):
    os.makedirs(ctx.tmp, exist_ok=True)
    ISOS["a"] = ctx.make_iso("first", {"a.txt": b"first disc\n" * 1000})
    ISOS["b"] = ctx.make_iso("second", {"b.bin": bytes(range(256)) * 4096,
                                         "readme.txt": b"second disc\n"})
    return ["-M", "pc", "-m", "256",
            "-drive", "if=none,id=cdd,media=cdrom,format=raw,file=%s" % ISOS["a"][0],
            "-device", "ide-cd,drive=cdd,bus=ide.1,unit=1,id=cdx"]


def run(vm, ctx):
    _, sectors, digest = ISOS["a"]
    vm.wait_disk("cd1", r"cd1 sectors=%d sector_size=2048 media=yes ro=yes" % sectors)
    assert vm.cmd("dhash cd1 0 %d" % sectors, timeout=60) == [digest]
    # Tray open: the media goes away and is closed.
    vm.qmp.execute("eject", {"id": "cdx"})
    vm.wait_disk("cd1", r"cd1 sectors=0 sector_size=0 media=no")
    assert "ata: cd1: old media closed" in vm.log, "old media not closed"
    # A new disc: new size, new bytes.
    path, sectors, digest = ISOS["b"]
    vm.qmp.execute("blockdev-change-medium", {"id": "cdx", "filename": path, "format": "raw"})
    vm.wait_disk("cd1", r"cd1 sectors=%d sector_size=2048 media=yes ro=yes" % sectors)
    assert vm.cmd("dhash cd1 0 %d" % sectors, timeout=60) == [digest]
    # The shell's own tray commands reach the drive.
    assert vm.cmd("eject cd1") == []
    vm.wait_disk("cd1", r"cd1 sectors=0 sector_size=0 media=no")
    assert vm.cmd("load cd1") == []
    vm.wait_disk("cd1", r"cd1 sectors=%d sector_size=2048 media=yes" % sectors)
