#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run QEMU scenarios (tests/qemu/scenarios/NAME.txt transcripts and NAME.py
scripts) and print one line per scenario:

    PASS boot_reaches_prompt (3.1s)
    FAIL lspci_lists_q35_devices: $ lspci (line 4): missing 8086:2922 [log: build/test-logs/...]

Usage: tests/qemu/run.py [NAME|GLOB|PATH ...] [-j N] [--timeout S] [--iso PATH] [--list]

A Python scenario defines MACHINE = [qemu args] (or machine_args(ctx) -> list)
and run(vm, ctx), raising AssertionError on failure. Optional: TIMEOUT (s),
BOOT_TIMEOUT (s), DEBUG_EXIT = False, WAIT_PROMPT = False (run() waits itself).
The runner starts the machine, waits for the first prompt, calls run(), and
always kills QEMU afterwards. A scenario that runs past its time limit has its
machines killed and fails with "timed out".

Logs: every machine's serial output goes to build/test-logs/<scenario>.log
(QEMU's stderr to .stderr); a failed scenario's logs stay there, a passing
one's move to build/test-logs/pass/. Scratch files (disk images) live in
build/test-tmp/<scenario>/ and are removed when the scenario passes.
Exit status: 0 if all passed, 1 otherwise (2 for usage errors).
"""

import argparse
import concurrent.futures
import fnmatch
import glob
import importlib.util
import os
import re
import shutil
import signal
import sys
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import images  # noqa: E402
import qemu  # noqa: E402
import transcript  # noqa: E402

REPO = qemu.REPO
SCENARIO_DIR = os.path.join(HERE, "scenarios")
LOG_DIR = os.path.join(REPO, "build", "test-logs")
TMP_DIR = os.path.join(REPO, "build", "test-tmp")
DEFAULT_TIMEOUT = 120.0
DEFAULT_BOOT_TIMEOUT = 60.0
DEFAULT_CMD_TIMEOUT = 20.0

_print_lock = threading.Lock()


def say(line):
    with _print_lock:
        print(line, flush=True)


class ScenarioTimeout(AssertionError):
    pass


class Context:
    """What a scenario gets besides its machine.

    repo, build (the test build dir, e.g. <repo>/build/test), iso, tmp (a
    scratch dir for images, per scenario), log_dir. machine() starts more
    machines (all are killed at the end); make_fat_disk()/make_blank_disk()
    build images in tmp with real tools, make_random_disk() a seeded raw
    whole-disk image; run_tool() runs any host tool.
    """

    def __init__(self, name, iso, timeout):
        self.name = name
        self.repo = REPO
        self.iso = iso
        self.build = os.path.dirname(os.path.abspath(iso))
        self.log_dir = LOG_DIR
        self.tmp = os.path.join(TMP_DIR, name)
        self.timeout = timeout
        self.start = time.monotonic()
        self.machines = []
        self.aborted = False
        self._lock = threading.Lock()

    def remaining(self):
        """Seconds left of the scenario's time limit (at least 1)."""
        return max(1.0, self.timeout - (time.monotonic() - self.start))

    def machine(self, args, name=None, start=True, **kw):
        """Create (and by default start) another machine; killed at the end.
        kw go to qemu.Machine (iso, debug_exit, qmp, kvm)."""
        with self._lock:
            n = len(self.machines)
            if self.aborted:
                raise ScenarioTimeout("scenario timed out")
            label = name or (self.name if n == 0 else "%s.%d" % (self.name, n))
            kw.setdefault("iso", self.iso)
            vm = qemu.Machine(args, name=label, log_path=os.path.join(LOG_DIR, label + ".log"),
                              **kw)
            self.machines.append(vm)
        if start:
            vm.start()
        return vm

    def path(self, name):
        """A path inside the scenario's scratch dir."""
        return os.path.join(self.tmp, name)

    def make_fat_disk(self, name, **kw):
        return images.make_fat_disk(self.path(name), **kw)

    def make_blank_disk(self, name, size_mib):
        return images.make_blank_disk(self.path(name), size_mib)

    def make_random_disk(self, name, size_mib, seed):
        return images.make_random_disk(self.path(name), size_mib, seed)

    def make_iso(self, name, files):
        return images.make_iso(self.tmp, name, files)

    def run_tool(self, argv, stdin=None):
        return images.run_tool(argv, stdin=stdin)

    def abort(self):
        """Called by the watchdog: kill every machine so blocked waits return."""
        with self._lock:
            self.aborted = True
            vms = list(self.machines)
        for vm in vms:
            vm.kill()

    def cleanup(self):
        for vm in self.machines:
            vm.kill()


class Result:
    def __init__(self, name, ok, reason, seconds, logs):
        self.name = name
        self.ok = ok
        self.reason = reason
        self.seconds = seconds
        self.logs = logs   # serial log paths (of a failed scenario)


# ---- discovery --------------------------------------------------------------------------

def all_scenarios():
    """{name: path} of every scenario file."""
    out = {}
    for p in sorted(glob.glob(os.path.join(SCENARIO_DIR, "*.txt")) +
                    glob.glob(os.path.join(SCENARIO_DIR, "*.py"))):
        name = os.path.splitext(os.path.basename(p))[0]
        if name.startswith("_"):
            continue
        if name in out:
            raise SystemExit("scenario %s exists as both .txt and .py" % name)
        out[name] = p
    return out


def select(patterns):
    """Scenario (name, path) list for names, globs or file paths; all if none."""
    known = all_scenarios()
    if not patterns:
        return sorted(known.items())
    chosen = {}
    for pat in patterns:
        if os.path.isfile(pat):
            chosen[os.path.splitext(os.path.basename(pat))[0]] = os.path.abspath(pat)
            continue
        pat = os.path.splitext(os.path.basename(pat))[0] if pat.endswith((".txt", ".py")) \
            else pat
        hits = [n for n in known if fnmatch.fnmatchcase(n, pat)]
        if not hits:
            raise SystemExit("no scenario matches %r (try --list)" % pat)
        for n in hits:
            chosen[n] = known[n]
    return sorted(chosen.items())


# ---- running one scenario -----------------------------------------------------------------

def _run_transcript(path, ctx):
    with open(path, encoding="utf-8") as f:
        t = transcript.parse(f.read())
    if t.timeout:
        ctx.timeout = t.timeout
    boot_timeout = t.boot_timeout or DEFAULT_BOOT_TIMEOUT
    cmd_timeout = t.cmd_timeout or DEFAULT_CMD_TIMEOUT
    vm = ctx.machine(t.machine, debug_exit=t.debug_exit)
    vm.wait_prompt(min(boot_timeout, ctx.remaining()))
    for i, b in enumerate(t.blocks):
        where = "$ %s (line %d)" % (b.command, b.lineno)
        if i == len(t.blocks) - 1 and t.exit is not None:
            start = vm.position()
            vm.send(b.command + "\r")
            status, out = vm.output_until_exit(start, b.command,
                                               timeout=min(cmd_timeout, ctx.remaining()))
            if t.exit == "nonzero":
                if status == 0:
                    raise AssertionError("%s: QEMU exited with 0, expected non-zero" % where)
            elif status != t.exit:
                raise AssertionError("%s: QEMU exit status %s, expected %s"
                                     % (where, status, t.exit))
        else:
            out = vm.cmd(b.command, min(cmd_timeout, ctx.remaining()))
        why = transcript.match_lines(b.expected, out)
        if why:
            raise AssertionError("%s: %s" % (where, why))
    log = vm.log
    for pat in t.log_patterns:
        if not re.search(pat, log, re.M):
            raise AssertionError("serial log has no match for %r" % pat)


def _load_module(path, name):
    spec = importlib.util.spec_from_file_location("scenario_" + name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _run_python(path, ctx):
    mod = _load_module(path, ctx.name)
    if hasattr(mod, "TIMEOUT"):
        ctx.timeout = float(mod.TIMEOUT)
    os.makedirs(ctx.tmp, exist_ok=True)
    if hasattr(mod, "machine_args"):
        args = mod.machine_args(ctx)
    else:
        args = getattr(mod, "MACHINE", [])
    vm = ctx.machine(list(args), debug_exit=getattr(mod, "DEBUG_EXIT", True))
    if getattr(mod, "WAIT_PROMPT", True):
        vm.wait_prompt(min(getattr(mod, "BOOT_TIMEOUT", DEFAULT_BOOT_TIMEOUT), ctx.remaining()))
    mod.run(vm, ctx)


def _clear_old_logs(name):
    for d in (LOG_DIR, os.path.join(LOG_DIR, "pass")):
        for p in glob.glob(os.path.join(d, glob.escape(name) + ".*")):
            # name.log, name.stderr, name.1.log ... but not other_name.*
            rest = os.path.basename(p)[len(name):]
            if re.fullmatch(r"(\.\d+)?\.(log|stderr)", rest):
                os.unlink(p)


def run_one(name, path, iso, timeout):
    """Run one scenario; return a Result. Never raises."""
    _clear_old_logs(name)
    shutil.rmtree(os.path.join(TMP_DIR, name), ignore_errors=True)
    ctx = Context(name, iso, timeout)
    watchdog = None
    ok, reason = False, ""
    try:
        # The limit may be changed by the scenario's header before the
        # first machine starts, so the watchdog re-arms itself to the current one.
        def arm():
            nonlocal watchdog
            left = ctx.timeout - (time.monotonic() - ctx.start)
            if left <= 0:
                ctx.abort()
                return
            watchdog = threading.Timer(min(left, 1.0), arm)
            watchdog.daemon = True
            watchdog.start()
        arm()
        if path.endswith(".txt"):
            _run_transcript(path, ctx)
        else:
            _run_python(path, ctx)
        ok = True
    except transcript.TranscriptError as e:
        reason = "bad transcript: %s" % e
    except images.ToolError as e:
        reason = "image tool: %s" % e
    except AssertionError as e:
        reason = str(e) or "assertion failed (%s)" % _where(e)
    except Exception as e:   # a broken scenario is a failure, not a crash of the runner
        reason = "%s: %s (%s)" % (type(e).__name__, e, _where(e))
    finally:
        if watchdog is not None:
            watchdog.cancel()
        ctx.cleanup()
    if ctx.aborted and not ok:
        reason = "timed out after %.0fs (%s)" % (ctx.timeout, reason)
    seconds = time.monotonic() - ctx.start
    logs = [vm.log_path for vm in ctx.machines]
    if ok:
        passdir = os.path.join(LOG_DIR, "pass")
        os.makedirs(passdir, exist_ok=True)
        for vm in ctx.machines:
            for p in (vm.log_path, vm.stderr_path):
                if os.path.exists(p):
                    os.replace(p, os.path.join(passdir, os.path.basename(p)))
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    else:
        try:
            os.rmdir(ctx.tmp)    # keep it only when it holds something to look at
        except OSError:
            pass
    return Result(name, ok, reason, seconds, logs)


def _where(exc):
    # The innermost frame in the repository (a scenario line beats stdlib internals).
    tb = [f for f in traceback.extract_tb(exc.__traceback__)
          if os.path.abspath(f.filename).startswith(REPO + os.sep)] or \
        traceback.extract_tb(exc.__traceback__)
    if not tb:
        return "?"
    f = tb[-1]
    return "%s:%d" % (os.path.relpath(f.filename, REPO), f.lineno)


def _log_tail(path, n=12):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    lines = data.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    return [ln.rstrip("\r") for ln in lines if ln.strip()][-n:]


def report(r, tail_lines=12):
    if r.ok:
        say("PASS %s (%.1fs)" % (r.name, r.seconds))
        return
    reason = r.reason.replace("\n", " | ")
    if len(reason) > 600:
        reason = reason[:600] + "..."
    rel = [os.path.relpath(p, os.getcwd()) for p in r.logs]
    say("FAIL %s: %s (%.1fs)" % (r.name, reason, r.seconds) +
        ("  [log: %s]" % ", ".join(rel) if rel else ""))
    if r.logs and tail_lines:
        tail = _log_tail(r.logs[0], tail_lines)
        if tail:
            say("    last serial lines of %s:" % rel[0])
            for ln in tail:
                say("    | " + ln[:200])


# ---- many scenarios -------------------------------------------------------------------------

def run_scenarios(patterns=(), jobs=2, timeout=None, iso=qemu.DEFAULT_ISO, tail_lines=12):
    """Run the selected scenarios, `jobs` machines at a time. Prints a line per
    scenario; returns (passed, failed, [Result])."""
    chosen = select(list(patterns))
    if not chosen:
        say("qemu: no scenarios")
        return 0, 0, []
    kvm, why = qemu.kvm_usable()
    say("qemu: %d scenario(s), -j%d, %s, ISO %s" % (
        len(chosen), jobs, "KVM" if kvm else "TCG", os.path.relpath(iso, os.getcwd())))
    if not os.path.exists(iso):
        results = [Result(n, False, "ISO %s not found (make BUILD=build/test KTEST=1 iso)"
                          % iso, 0.0, []) for n, _ in chosen]
        for r in results:
            report(r)
        return 0, len(results), results
    results = []
    running = {}
    lock = threading.Lock()

    def task(name, path):
        with lock:
            running[name] = time.monotonic()
        try:
            r = run_one(name, path, iso, timeout or DEFAULT_TIMEOUT)
        finally:
            with lock:
                running.pop(name, None)
        report(r, tail_lines)
        return r

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs))
    futs = [pool.submit(task, n, p) for n, p in chosen]
    try:
        pending = set(futs)
        while pending:
            done, pending = concurrent.futures.wait(pending, timeout=30)
            if pending and not done:
                with lock:
                    now = time.monotonic()
                    busy = ", ".join("%s %.0fs" % (n, now - t) for n, t in sorted(running.items()))
                say("... still running: %s" % busy)
    except BaseException:
        # Ctrl-C or SIGTERM: drop queued scenarios and end the running QEMUs
        # now, so the workers fail fast instead of running to their limits.
        for f in futs:
            f.cancel()
        qemu.kill_all()
        pool.shutdown(wait=True)
        raise
    pool.shutdown(wait=True)
    results = [f.result() for f in futs]
    passed = sum(1 for r in results if r.ok)
    return passed, len(results) - passed, results


def _sigterm(signum, frame):
    raise SystemExit(128 + signum)   # atexit in qemu.py then kills every QEMU


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run Spindle QEMU scenarios.")
    ap.add_argument("scenarios", nargs="*", help="names, globs (e.g. 'lspci_*') or files")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("SPINDLE_JOBS", "2")),
                    help="machines at a time (default 2)")
    ap.add_argument("--timeout", type=float, default=None,
                    help="default per-scenario limit in seconds (default %d; a scenario's "
                         "own TIMEOUT wins)" % DEFAULT_TIMEOUT)
    ap.add_argument("--iso", default=qemu.DEFAULT_ISO, help="ISO to boot")
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    ap.add_argument("--tail", type=int, default=12, help="serial lines shown on failure")
    a = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    if a.list:
        for n, p in select(a.scenarios):
            print("%-45s %s" % (n, os.path.relpath(p, os.getcwd())))
        return 0
    passed, failed, results = run_scenarios(a.scenarios, a.jobs, a.timeout,
                                            os.path.abspath(a.iso), a.tail)
    for r in results:
        if not r.ok:
            say("  failed: %s" % r.name)
    say("qemu: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
