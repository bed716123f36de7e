# SPDX-License-Identifier: MIT
"""An IDE disk of 200 GiB (a sparse raw file, beyond the 128 GiB LBA28
limit) with data the test writes into its last MiB: the kernel reports the
full LBA48 capacity, and `dhash` of the last 2048 sectors (LBA48 DMA
commands) and of a range straddling the 2^28 sector mark equal the host's
sha256 of the same bytes."""

import hashlib
import os
import random

SIZE = 200 * 1024 ** 3
SECTORS = SIZE // 512
LBA28_MARK = 1 << 28
IMG = {}


def machine_args(ctx):
    path = ctx.path("big.img")
    os.makedirs(ctx.tmp, exist_ok=True)
    rnd = random.Random(48)
    tail = rnd.randbytes(1024 * 1024)
    mid = rnd.randbytes(64 * 1024)
    with open(path, "wb") as f:
        f.truncate(SIZE)
        f.seek(SIZE - len(tail))
        f.write(tail)
        f.seek((LBA28_MARK - 64) * 512)
        f.write(mid)
    IMG.update(path=path, tail=hashlib.sha256(tail).hexdigest(),
               mid=hashlib.sha256(mid).hexdigest())
    return ["-M", "pc", "-m", "256", "-drive", "file=%s,format=raw,if=ide,index=0" % path]


def run(vm, ctx):
    out = vm.cmd("disks")
    want = "hd0 sectors=%d sector_size=512 media=yes ro=no" % SECTORS
    assert any(l.startswith(want) for l in out), "disks: %r, want %s..." % (out, want)
    assert any("LBA48 yes" in l for l in vm.cmd("ata"))
    got = vm.cmd("dhash hd0 %d 2048" % (SECTORS - 2048), timeout=60)
    assert got == [IMG["tail"]], "tail: %r, want %s" % (got, IMG["tail"])
    got = vm.cmd("dhash hd0 %d 128" % (LBA28_MARK - 64), timeout=60)
    assert got == [IMG["mid"]], "2^28 mark: %r, want %s" % (got, IMG["mid"])
