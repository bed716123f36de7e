#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The `make test` driver.

1. Unit tests: every build/host/tests/test_* binary (cmocka, run with
   CMOCKA_MESSAGE_OUTPUT=stdout) and the runner's own self-checks
   (tests/qemu/test_runner_selftest.py). Each test case counts once, from its
   "[       OK ]" or "[  FAILED  ]" line after "[ RUN      ]". A binary that
   crashes, hangs or exits non-zero without naming a failed test counts as one
   failure named after the binary. A failing binary's output is shown.
2. QEMU scenarios through tests/qemu/run.py (one PASS/FAIL line each).
3. A summary; the very last line is exactly "N passed, N failed".

Usage: tests/run_all.py [--unit-only | --qemu-only] [-j N] [SCENARIO ...]
Exit status 0 only when nothing failed. Needs no terminal or stdin (CI=true).
"""

import argparse
import glob
import os
import re
import signal
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "qemu"))

UNIT_DIR = os.path.join(REPO, "build", "host", "tests")
TSAN_DIR = os.path.join(REPO, "build", "host-tsan", "tests")
SELFTEST = os.path.join(REPO, "tests", "qemu", "test_runner_selftest.py")
UNIT_TIMEOUT_S = 300
MAX_SHOWN_LINES = 150

_RUN_RE = re.compile(r"^\[ RUN      \] (\S+)")
_OK_RE = re.compile(r"^\[       OK \] (\S+)")
_FAILED_RE = re.compile(r"^\[  FAILED  \] (\S+)")
_SKIPPED_RE = re.compile(r"^\[  SKIPPED \] (\S+)")


def out(line=""):
    print(line, flush=True)


class UnitResult:
    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []      # names of failed test cases
        self.skipped = 0
        self.output = ""
        self.seconds = 0.0


def parse_cmocka(text):
    """(passed, [failed names], skipped, name of a test left running or None).

    Only result lines that close the test opened by the last RUN line count,
    so cmocka's closing list of failed tests is not counted twice.
    """
    passed, failed, skipped = 0, [], 0
    current = None
    for line in text.splitlines():
        m = _RUN_RE.match(line)
        if m:
            current = m.group(1)
            continue
        for rx in (_OK_RE, _FAILED_RE, _SKIPPED_RE):
            m = rx.match(line)
            if m and m.group(1) == current:
                if rx is _OK_RE:
                    passed += 1
                elif rx is _FAILED_RE:
                    failed.append(current)
                else:
                    skipped += 1
                current = None
                break
    return passed, failed, skipped, current


def run_unit_binary(name, argv):
    r = UnitResult(name)
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="stdout")
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
    t0 = time.monotonic()
    status = None
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, env=env, cwd=REPO,
                           timeout=UNIT_TIMEOUT_S, start_new_session=True)
        r.output = p.stdout.decode("utf-8", "replace")
        status = p.returncode
    except subprocess.TimeoutExpired as e:
        r.output = (e.stdout or b"").decode("utf-8", "replace")
        r.output += "\n(killed after %ds)\n" % UNIT_TIMEOUT_S
        status = "timeout"
    except OSError as e:
        r.output = "cannot run %s: %s\n" % (argv[0], e)
        status = "exec"
    r.seconds = time.monotonic() - t0
    r.passed, r.failed, r.skipped, running = parse_cmocka(r.output)
    if running is not None:
        r.failed.append("%s (crashed in %s)" % (name, running))
    elif status != 0 and not r.failed:
        why = {"timeout": "hung", "exec": "could not start"}.get(status)
        if why is None:
            why = ("killed by signal %d" % -status) if status < 0 else ("exit status %d" % status)
        r.failed.append("%s (%s)" % (name, why))
    return r


def unit_tests(jobs):
    """Run every unit group; returns (passed, failed names)."""
    bins = sorted(p for p in glob.glob(os.path.join(UNIT_DIR, "test_*"))
                  if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in
                  os.path.basename(p))
    groups = [(os.path.basename(p), [p]) for p in bins]
    # ThreadSanitizer builds of the concurrency tests (make tsan-build).
    supp = os.path.join(REPO, "tests", "tsan.supp")
    for p in sorted(glob.glob(os.path.join(TSAN_DIR, "test_*"))):
        if os.path.isfile(p) and os.access(p, os.X_OK) and "." not in os.path.basename(p):
            groups.append((os.path.basename(p) + "[tsan]",
                           ["env", "TSAN_OPTIONS=halt_on_error=1 suppressions=" + supp, p]))
    groups.append(("test_runner_selftest", [sys.executable, SELFTEST]))
    if not bins:
        out("unit: no test binaries in %s (run `make host`)" % os.path.relpath(UNIT_DIR))
    out("unit: %d group(s)" % len(groups))
    passed, failed = 0, []
    for name, argv in groups:
        r = run_unit_binary(name, argv)
        passed += r.passed
        failed += r.failed
        n = r.passed + len(r.failed)
        skip = ", %d skipped" % r.skipped if r.skipped else ""
        if r.failed:
            out("FAIL %s: %d of %d failed%s (%.1fs): %s" % (name, len(r.failed), n, skip,
                                                          r.seconds, ", ".join(r.failed)))
            lines = r.output.rstrip("\n").splitlines()
            if len(lines) > MAX_SHOWN_LINES:
                out("    ... (%d earlier lines)" % (len(lines) - MAX_SHOWN_LINES))
                lines = lines[-MAX_SHOWN_LINES:]
            for ln in lines:
                out("    | " + ln)
        else:
            out("PASS %s (%d test%s%s, %.1fs)" % (name, n, "" if n == 1 else "s", skip,
                                                r.seconds))
    return passed, failed


def qemu_tests(jobs, patterns):
    import run   # tests/qemu/run.py
    passed, failed, results = run.run_scenarios(patterns, jobs=jobs)
    return passed, ["qemu:" + r.name for r in results if not r.ok]


def _sigterm(signum, frame):
    raise SystemExit(128 + signum)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run Spindle unit tests and QEMU scenarios.")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--unit-only", action="store_true", help="only the host unit tests")
    g.add_argument("--qemu-only", action="store_true", help="only the QEMU scenarios")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("SPINDLE_JOBS", "2")),
                    help="QEMU machines at a time (default 2)")
    ap.add_argument("scenarios", nargs="*", help="QEMU scenario names or globs (default all)")
    a = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    t0 = time.monotonic()
    totals = {}
    failed = []
    if not a.qemu_only:
        p, f = unit_tests(a.jobs)
        totals["unit"] = (p, len(f))
        failed += f
    if not a.unit_only:
        if not a.qemu_only:
            out()
        p, f = qemu_tests(a.jobs, a.scenarios)
        totals["qemu"] = (p, len(f))
        failed += f
    out()
    out("==== summary (%.0fs)" % (time.monotonic() - t0))
    for part, (p, f) in totals.items():
        out("%s: %d passed, %d failed" % (part, p, f))
    for name in failed:
        out("  failed: %s" % name)
    n_pass = sum(p for p, _ in totals.values())
    n_fail = sum(f for _, f in totals.values())
    out("%d passed, %d failed" % (n_pass, n_fail))
    return 0 if n_fail == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
