# SPDX-License-Identifier: MIT
"""An IDE CD-ROM (ide-cd, secondary slave) with an ISO made by xorriso
(Joliet + Rock Ridge): the drive appears as cd1 (cd0 is the boot CD), its
capacity is the ISO's size in 2048-byte sectors and `dhash` of the whole
disc equals the host's sha256 of the ISO. Then QMP `eject` and
`blockdev-change-medium` to a second, larger ISO: the driver's poll thread
reports the removal, the old media is closed (log line), and the new
contents are seen - no stale sectors from the cache."""

import hashlib
import os
import re
import time

ISOS = {}
TIMEOUT = 180


def make_iso(ctx, name, files):
    d = ctx.path(name + "_files")
    os.makedirs(d, exist_ok=True)
    for fname, data in files.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
    path = ctx.path(name + ".iso")
    ctx.run_tool(["xorriso", "-as", "mkisofs", "-quiet", "-J", "-R", "-V", name.upper(),
                  "-o", path, d])
    with open(path, "rb") as f:
        data = f.read()
    return path, len(data) // 2048, hashlib.sha256(data).hexdigest()


def machine_args(ctx):
    os.makedirs(ctx.tmp, exist_ok=True)
    ISOS["a"] = make_iso(ctx, "first", {"a.txt": b"first disc\n" * 1000})
    ISOS["b"] = make_iso(ctx, "second", {"b.bin": bytes(range(256)) * 4096,
                                         "readme.txt": b"second disc\n"})
    return ["-M", "pc", "-m", "256",
            "-drive", "if=none,id=cdd,media=cdrom,format=raw,file=%s" % ISOS["a"][0],
            "-device", "ide-cd,drive=cdd,bus=ide.1,unit=1,id=cdx"]


def wait_disk(vm, name, pattern, timeout=20):
    deadline = time.monotonic() + timeout
    while True:
        lines = [l for l in vm.cmd("disks") if l.startswith(name + " ")]
        if lines and re.match(pattern, lines[0]):
            return lines[0]
        assert time.monotonic() < deadline, "%s never matched %r: %r" % (name, pattern, lines)
        time.sleep(0.5)


def run(vm, ctx):
    _, sectors, digest = ISOS["a"]
    wait_disk(vm, "cd1", r"cd1 sectors=%d sector_size=2048 media=yes ro=yes" % sectors)
    assert vm.cmd("dhash cd1 0 %d" % sectors, timeout=60) == [digest]
    # Tray open: the media goes away and is closed.
    vm.qmp.execute("eject", {"id": "cdx"})
    wait_disk(vm, "cd1", r"cd1 sectors=0 sector_size=0 media=no")
    assert "ata: cd1: old media closed" in vm.log, "old media not closed"
    # A new disc: new size, new bytes.
    path, sectors, digest = ISOS["b"]
    vm.qmp.execute("blockdev-change-medium", {"id": "cdx", "filename": path, "format": "raw"})
    wait_disk(vm, "cd1", r"cd1 sectors=%d sector_size=2048 media=yes ro=yes" % sectors)
    assert vm.cmd("dhash cd1 0 %d" % sectors, timeout=60) == [digest]
    # The shell's own tray commands reach the drive.
    assert vm.cmd("eject cd1") == []
    wait_disk(vm, "cd1", r"cd1 sectors=0 sector_size=0 media=no")
    assert vm.cmd("load cd1") == []
    wait_disk(vm, "cd1", r"cd1 sectors=%d sector_size=2048 media=yes" % sectors)
