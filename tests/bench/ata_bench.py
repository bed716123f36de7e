# SPDX-License-Identifier: MIT
"""IDE throughput in the kernel, comparable with the Linux-guest anchor
(../shared/anchors/linux-guest: -M pc, PIIX3 IDE primary master, a 256 MiB
raw image of random data with the first MiB zero, cache=writeback,
aio=threads, TCG). The kernel's own `bench` command (blkdev/blkbench.c)
times sequential reads of 4 KiB / 64 KiB / 1 MiB requests through the
driver alone (`direct`, like Linux's O_DIRECT dd) and through the sector
cache, 2000 random 4 KiB reads (QD1, like fio psync), and 64 KiB reads in
PIO mode. Figures are converted to MiB/s (2^20 bytes/s) like the anchor's;
each is the median over ctx.runs boots."""

import os
import re
import statistics

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMG = os.path.join(REPO, "build", "bench-tmp", "ide256.img")
IMG_MIB = 256

# (metric name, shell command, MB read or None for random reads)
TESTS = [
    ("seqread_4k_direct", "bench read hd0 64 4 direct"),
    ("seqread_64k_direct", "bench read hd0 256 64 direct"),
    ("seqread_1m_direct", "bench read hd0 256 1024 direct"),
    ("seqread_64k_cache", "bench read hd0 256 64 cache"),
    ("seqread_1m_cache", "bench read hd0 256 1024 cache"),
    ("randread_4k_direct", "bench rand hd0 2000 direct"),
]
PIO_TESTS = [("seqread_64k_pio", "bench read hd0 16 64 direct")]

_BENCH_RE = re.compile(r"^BENCH \S+ mbps=([0-9.]+) iops=(\d+)")


def _make_image():
    """256 MiB: first MiB zero, the rest pseudo-random (deterministic)."""
    if os.path.exists(IMG) and os.path.getsize(IMG) == IMG_MIB << 20:
        return
    os.makedirs(os.path.dirname(IMG), exist_ok=True)
    block = bytes((i * 2654435761 >> 13) & 0xFF for i in range(1 << 16))
    with open(IMG + ".part", "wb") as f:
        f.write(bytes(1 << 20))
        for i in range((IMG_MIB - 1) << 4):
            f.write(block[i % 251:] + block[:i % 251])
    os.replace(IMG + ".part", IMG)


def _run(vm, cmd):
    for line in vm.cmd(cmd, timeout=600):
        m = _BENCH_RE.match(line)
        if m:
            return float(m.group(1)) * 1e6 / (1 << 20), int(m.group(2))
    raise RuntimeError("no BENCH line from %r" % cmd)


def bench_ata_ide_tcg(ctx):
    """IDE (PIIX3) read throughput of our driver under TCG."""
    _make_image()
    drive = "file=%s,format=raw,cache=writeback,aio=threads,if=ide,index=0,media=disk" % IMG
    results = {name: [] for name, _ in TESTS + PIO_TESTS}
    for _ in range(ctx.runs):
        with ctx.machine(["-M", "pc", "-m", "512", "-drive", drive], "ata_ide") as vm:
            vm.wait_prompt(120)
            for name, cmd in TESTS:
                mibps, iops = _run(vm, cmd)
                results[name].append(iops if name.startswith("rand") else mibps)
            vm.cmd("ata pio")
            for name, cmd in PIO_TESTS:
                results[name].append(_run(vm, cmd)[0])
    for name, samples in results.items():
        unit = "iops" if name.startswith("rand") else "mibps"
        ctx.report("ata_ide_" + name, **{unit: statistics.median(samples),
                                         "min": min(samples), "max": max(samples),
                                         "runs": len(samples)})


BENCHMARKS = [bench_ata_ide_tcg]
