# SPDX-License-Identifier: MIT
"""USB mass storage throughput in the kernel under TCG: QEMU usb-storage on
an EHCI controller alone (-device usb-ehci, high speed) and on qemu-xhci
(super speed), a 256 MiB raw image
of random data with the first MiB zero (the same image recipe as
ata_bench.py, cache=writeback, aio=threads). The kernel's `bench` command
(blkdev/blkbench.c) times sequential reads of 64 KiB and 1 MiB requests
through the driver alone (`direct`) and through the sector cache, and 2000
random 4 KiB reads (QD1). Every request is BOT: CBW, data, CSW; figures are
MiB/s (2^20 bytes/s) or IOPS, each the median over ctx.runs boots. The
UHCI figures (the PIIX3's full-speed controller, -usb) use a shorter run."""

import os
import re
import statistics

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMG = os.path.join(REPO, "build", "bench-tmp", "usb256.img")
IMG_MIB = 256

TESTS = [
    ("seqread_64k_direct", "bench read usbhd0 256 64 direct"),
    ("seqread_1m_direct", "bench read usbhd0 256 1024 direct"),
    ("seqread_1m_cache", "bench read usbhd0 256 1024 cache"),
    ("randread_4k_direct", "bench rand usbhd0 2000 direct"),
]

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


def _bench(ctx, kind, controller, bus, tests):
    _make_image()
    args = ["-M", "pc", "-m", "512"] + controller + [
        "-drive", "if=none,id=u0,file=%s,format=raw,cache=writeback,aio=threads" % IMG,
        "-device", "usb-storage,bus=%s,drive=u0" % bus]
    results = {name: [] for name, _ in tests}
    for _ in range(ctx.runs):
        with ctx.machine(args, "usb_" + kind) as vm:
            vm.wait_prompt(120)
            for name, cmd in tests:
                mibps, iops = _run(vm, cmd)
                results[name].append(iops if name.startswith("rand") else mibps)
    for name, samples in results.items():
        unit = "iops" if name.startswith("rand") else "mibps"
        ctx.report("usb_%s_%s" % (kind, name), **{unit: statistics.median(samples),
                                                  "min": min(samples), "max": max(samples),
                                                  "runs": len(samples)})


def bench_usb_ehci_tcg(ctx):
    """USB stick behind EHCI (high speed): read throughput of the BOT driver."""
    _bench(ctx, "ehci", ["-device", "usb-ehci,id=ehci"], "ehci.0", TESTS)


def bench_usb_xhci_tcg(ctx):
    """The same stick on qemu-xhci (super speed port)."""
    _bench(ctx, "xhci", ["-device", "qemu-xhci,id=xhci"], "xhci.0", TESTS)


UHCI_TESTS = [
    ("seqread_64k_direct", "bench read usbhd0 16 64 direct"),
    ("randread_4k_direct", "bench rand usbhd0 200 direct"),
]


def bench_usb_uhci_tcg(ctx):
    """The same stick on the PIIX3 UHCI controller (full speed, 64-byte packets)."""
    _bench(ctx, "uhci", ["-usb"], "usb-bus.0", UHCI_TESTS)


BENCHMARKS = [bench_usb_ehci_tcg, bench_usb_xhci_tcg, bench_usb_uhci_tcg]
