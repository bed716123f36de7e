# SPDX-License-Identifier: MIT
"""ATAPI reads by bus-master DMA and by PIO give the same bytes: an IDE
CD-ROM (secondary slave) holding an ISO made by xorriso with a few MiB of
pseudo-random data is read by `dhash` in DMA mode (`ata` shows cd1 with a
UDMA mode and media polled by GET EVENT STATUS), then after `ata pio` and a
cache drop by PIO, then by DMA again; every hash equals the host's sha256
of the ISO. A read past the end of the disc gives one error line."""

import hashlib
import os
import random
import re
import time

ISO = {}
TIMEOUT = 240


def machine_args(ctx):
    d = ctx.path("files")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "random.bin"), "wb") as f:
        f.write(random.Random(11).randbytes(5 * 1024 * 1024 + 12345))
    path = ctx.path("data.iso")
    ctx.run_tool(["xorriso", "-as", "mkisofs", "-quiet", "-R", "-V", "DMAPIO", "-o", path, d])
    with open(path, "rb") as f:
        data = f.read()
    ISO["sectors"] = len(data) // 2048
    ISO["sha"] = hashlib.sha256(data).hexdigest()
    return ["-M", "pc", "-m", "256",
            "-drive", "if=none,id=cdd,media=cdrom,format=raw,file=%s" % path,
            "-device", "ide-cd,drive=cdd,bus=ide.1,unit=1,id=cdx"]


def wait_media(vm, name, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        lines = [l for l in vm.cmd("disks") if l.startswith(name + " ")]
        if lines and "media=yes" in lines[0]:
            return lines[0]
        assert time.monotonic() < deadline, "%s has no media: %r" % (name, lines)
        time.sleep(0.5)


def cd1_info(vm):
    out = vm.cmd("ata")
    for i, l in enumerate(out):
        if re.match(r"\s+slave : cd1 ", l):
            return " | ".join(out[i:i + 3])
    raise AssertionError("cd1 not in `ata`: %r" % out)


def run(vm, ctx):
    n = ISO["sectors"]
    line = wait_media(vm, "cd1")
    assert "sectors=%d " % n in line, line
    info = cd1_info(vm)
    assert re.search(r"mode UDMA\d", info), info
    assert "media poll by GET EVENT STATUS" in info, info
    assert vm.cmd("dhash cd1 0 %d" % n, timeout=120) == [ISO["sha"]]
    assert vm.cmd("ata pio") == ["ata: mode pio"]
    assert "mode PIO" in cd1_info(vm)
    vm.cmd("cache drop")
    assert vm.cmd("dhash cd1 0 %d" % n, timeout=180) == [ISO["sha"]]
    assert vm.cmd("ata dma") == ["ata: mode dma"]
    vm.cmd("cache drop")
    assert vm.cmd("dhash cd1 0 %d" % n, timeout=120) == [ISO["sha"]]
    out = vm.cmd("dhash cd1 %d 2" % (n - 1))
    assert len(out) == 1 and out[0].startswith("error: end of media"), out
    assert "retry" not in vm.log, "unexpected retries"
    assert vm.cmd("echo alive") == ["alive"]
