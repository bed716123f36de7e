#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`make bench`: run the benchmarks and print one line per result,

    BENCH boot_to_prompt_tcg ms=812 min=790 max=850 runs=5

1. QEMU benchmarks: the functions in BENCHMARKS below, then every
   tests/bench/*.py that defines BENCHMARKS = [fn, ...]. Each fn(ctx) measures
   something and calls ctx.report(name, **metrics); ctx gives the ISO, the run
   count, ctx.machine(args) (a started qemu.Machine, killed afterwards),
   ctx.kvm (bool, reason) and ctx.skip(name, why).
2. Host benchmarks: every executable build/host/bench/* (from tools/bench/*.c);
   their "BENCH ..." and "skip ..." stdout lines are passed through unchanged,
   their stderr lines (progress) are shown indented as they come.

Usage: tests/bench.py [-n RUNS] [--iso PATH] [NAME_GLOB ...]
Wall times are medians of RUNS runs under TCG; KVM runs only with
SPINDLE_KVM=1 and a usable /dev/kvm (else a "skip" line says why).
Exit status 1 if any benchmark failed to run.
"""

import argparse
import collections
import fnmatch
import glob
import importlib.util
import os
import statistics
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "qemu"))

import qemu  # noqa: E402

LOG_DIR = os.path.join(REPO, "build", "bench-logs")
HOST_BENCH_DIR = os.path.join(REPO, "build", "host", "bench")
PLUGIN_DIR = os.path.join(REPO, "tests", "bench")
HOST_BENCH_TIMEOUT_S = 600


class BenchContext:
    def __init__(self, iso, runs):
        self.iso = iso
        self.runs = runs
        self.kvm = qemu.kvm_usable()
        self.failed = []
        self._n = 0

    def report(self, name, **metrics):
        """Print "BENCH name k=v ..." (ints as ints, floats with 3 decimals)."""
        parts = []
        for k, v in metrics.items():
            parts.append("%s=%s" % (k, ("%.3f" % v) if isinstance(v, float) else v))
        print("BENCH %s %s" % (name, " ".join(parts)), flush=True)

    def skip(self, name, why):
        print("skip %s: %s" % (name, why), flush=True)

    def machine(self, args, name, kvm=False, **kw):
        """Start a machine (log in build/bench-logs/); caller kills it (use with)."""
        self._n += 1
        kw.setdefault("iso", self.iso)
        kw.setdefault("qmp", False)
        vm = qemu.Machine(args, name=name, kvm=kvm,
                          log_path=os.path.join(LOG_DIR, "%s.%d.log" % (name, self._n)), **kw)
        return vm.start()


def summary_ms(samples_ms):
    """The metrics printed for a list of wall times in ms."""
    return dict(ms=int(round(statistics.median(samples_ms))), min=int(round(min(samples_ms))),
                max=int(round(max(samples_ms))), runs=len(samples_ms))


def _boot_to_prompt(ctx, accel):
    name = "boot_to_prompt_" + accel
    samples = []
    for _ in range(ctx.runs):
        with ctx.machine(["-M", "pc", "-m", "256"], name, kvm=(accel == "kvm")) as vm:
            vm.wait_prompt(120)
            # start_time is taken just before QEMU is spawned.
            samples.append((time.monotonic() - vm.start_time) * 1000.0)
    ctx.report(name, **summary_ms(samples))


def bench_boot_to_prompt_tcg(ctx):
    """Wall time from starting QEMU (TCG) to the first "spindle> "."""
    _boot_to_prompt(ctx, "tcg")


def bench_boot_to_prompt_kvm(ctx):
    """Same under KVM, only when SPINDLE_KVM=1 and /dev/kvm is usable."""
    ok, why = ctx.kvm
    if not ok:
        ctx.skip("boot_to_prompt_kvm", why)
        return
    _boot_to_prompt(ctx, "kvm")


BENCHMARKS = [bench_boot_to_prompt_tcg, bench_boot_to_prompt_kvm]


def discover():
    """(name, fn) of the built-in benchmarks, then of tests/bench/*.py."""
    found = [(fn.__name__[len("bench_"):], fn) for fn in BENCHMARKS]
    for path in sorted(glob.glob(os.path.join(PLUGIN_DIR, "*.py"))):
        spec = importlib.util.spec_from_file_location(
            "bench_" + os.path.splitext(os.path.basename(path))[0], path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for fn in getattr(mod, "BENCHMARKS", []):
            n = fn.__name__
            found.append((n[len("bench_"):] if n.startswith("bench_") else n, fn))
    return found


def _run_host_bench(path):
    """Run one host benchmark, streaming its output (see the module doc).
    Returns (exit status or None on timeout, last stderr lines)."""
    p = subprocess.Popen([path], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd=REPO)
    tail = collections.deque(maxlen=3)
    timed_out = []
    out_lock = threading.Lock()   # one whole line at a time from either stream

    def show(line):
        with out_lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def pump_stderr():
        for raw in p.stderr:
            # A "\r" progress meter shows as its last state.
            line = raw.decode("utf-8", "replace").rstrip("\r\n").split("\r")[-1]
            if line:
                tail.append(line)
                show("  " + line)

    def kill():
        timed_out.append(True)
        p.kill()

    pump = threading.Thread(target=pump_stderr, daemon=True)
    pump.start()
    timer = threading.Timer(HOST_BENCH_TIMEOUT_S, kill)
    timer.start()
    for raw in p.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        if line.startswith("BENCH ") or line.startswith("skip "):
            show(line)
    rc = p.wait()
    timer.cancel()
    pump.join()
    return (None if timed_out else rc), list(tail)


def run_host_benchmarks(patterns):
    """Run build/host/bench/*; pass their BENCH lines through. Returns failures."""
    failed = []
    bins = sorted(p for p in glob.glob(os.path.join(HOST_BENCH_DIR, "*"))
                  if os.path.isfile(p) and os.access(p, os.X_OK))
    for b in bins:
        name = os.path.basename(b)
        if patterns and not any(fnmatch.fnmatchcase(name, p) for p in patterns):
            continue
        print("host bench: %s" % name, flush=True)
        rc, err = _run_host_bench(b)
        if rc is None:
            print("FAIL %s: no result in %ds" % (name, HOST_BENCH_TIMEOUT_S), flush=True)
            failed.append(name)
        elif rc != 0:
            print("FAIL %s: exit status %d %s" % (name, rc, " | ".join(err)), flush=True)
            failed.append(name)
    return failed


def main(argv=None):
    ap = argparse.ArgumentParser(description="Spindle benchmarks (BENCH name metric=value).")
    ap.add_argument("-n", "--runs", type=int, default=5, help="runs per QEMU benchmark")
    ap.add_argument("--iso", default=os.path.join(REPO, "build", "spindle.iso"))
    ap.add_argument("--no-host", action="store_true", help="skip build/host/bench/*")
    ap.add_argument("names", nargs="*", help="globs of benchmark names (default all)")
    a = ap.parse_args(argv)
    ctx = BenchContext(os.path.abspath(a.iso), max(1, a.runs))
    os.makedirs(LOG_DIR, exist_ok=True)
    print("bench: %d run(s) each, ISO %s" % (ctx.runs, os.path.relpath(ctx.iso)), flush=True)
    for name, fn in discover():
        if a.names and not any(fnmatch.fnmatchcase(name, p) for p in a.names):
            continue
        try:
            fn(ctx)
        except Exception as e:   # report and go on with the next benchmark
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
            ctx.failed.append(name)
    if not a.no_host:
        ctx.failed += run_host_benchmarks(a.names)
    if ctx.failed:
        print("bench: failed: %s" % ", ".join(ctx.failed), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
