# SPDX-License-Identifier: MIT
"""AHCI (q35 ICH9) throughput of our driver under TCG, the sibling of
ata_bench.py: the same 256 MiB image (first MiB zero, the rest
pseudo-random; cache=writeback, aio=threads) on AHCI port 0 (sd0), and the
same `bench` commands (blkdev/blkbench.c): sequential reads of 64 KiB and
1 MiB requests through the driver alone (`direct`) and through the sector
cache, and 2000 random 4 KiB reads (QD1). MiB/s (2^20 bytes/s) or IOPS,
median over ctx.runs boots. The boot CD sits on port 2 and is not read."""

import importlib.util
import os
import statistics

_HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("ata_bench", os.path.join(_HERE, "ata_bench.py"))
ata_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ata_bench)

TESTS = [
    ("seqread_64k_direct", "bench read sd0 256 64 direct"),
    ("seqread_1m_direct", "bench read sd0 256 1024 direct"),
    ("seqread_64k_cache", "bench read sd0 256 64 cache"),
    ("seqread_1m_cache", "bench read sd0 256 1024 cache"),
    ("randread_4k_direct", "bench rand sd0 2000 direct"),
]


def bench_ahci_q35_tcg(ctx):
    """AHCI read throughput of our driver under TCG."""
    ata_bench._make_image()
    args = ["-M", "q35", "-m", "512",
            "-drive", "if=none,id=d0,file=%s,format=raw,cache=writeback,aio=threads"
            % ata_bench.IMG,
            "-device", "ide-hd,drive=d0,bus=ide.0"]
    results = {name: [] for name, _ in TESTS}
    for _ in range(ctx.runs):
        with ctx.machine(args, "ahci_q35") as vm:
            vm.wait_prompt(120)
            for name, cmd in TESTS:
                mibps, iops = ata_bench._run(vm, cmd)
                results[name].append(iops if name.startswith("rand") else mibps)
    for name, samples in results.items():
        unit = "iops" if name.startswith("rand") else "mibps"
        ctx.report("ahci_q35_" + name, **{unit: statistics.median(samples),
                                          "min": min(samples), "max": max(samples),
                                          "runs": len(samples)})


BENCHMARKS = [bench_ahci_q35_tcg]
