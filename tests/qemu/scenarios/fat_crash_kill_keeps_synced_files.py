# SPDX-License-Identifier: MIT
"""Crash consistency of FAT32 on IDE (issue #8): what was synced survives a
kill at any moment. One disk image (sfdisk + mkfs.fat here) goes through
ROUNDS boots of the test kernel. Each round:
 1. `verify` every file synced in earlier rounds (must print ok);
 2. `write /hd0/1/rN.bin SIZE SEED` (64..512 KiB, round-specific), `sync`:
    from now on the file is "synced";
 3. types one line of unsynced FAT churn without waiting for its prompt:
    overwrite/delete of big files, mkdir, a file in the new folder, then
    `stress` (threads creating, renaming, truncating, deleting, syncing in
    /hd0/1/sN); every third round starts with `stress` alone;
 4. after a deterministic delay of DELAY_MIN_S..DELAY_MAX_S SIGKILLs QEMU;
 5. on the host: `fsck.fat -n` on a copy of the partition (exit code and
    findings go to the report), mcopy of every synced file compared with the
    xorshift32 stream; if fsck found anything, `fsck.fat -a` repairs the copy,
    it is written back, and the synced files are compared once more.
The assertion is the synced-data guarantee only: every synced file intact,
in the kernel and on the host, in every round. A FAT volume may lose what
was not synced (fsck findings such as lost clusters are recorded, not
failed). Report: build/test-logs/<name>.report.txt; the last line printed is
"crash-kill: N rounds, synced files intact N/N, fsck findings: ..."."""

import os
import random
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import images  # noqa: E402

ROUNDS = 20
TIMEOUT = 180                  # s, whole scenario; a TCG run takes 45-65 s on a loaded 2-core host
DISK_MIB = 64
VOL = "/hd0/1"
SYNCED_MIN_BYTES = 64 * 1024
SYNCED_MAX_BYTES = 512 * 1024
DELAY_MIN_S = 0.2
DELAY_MAX_S = 2.5
CMD_TIMEOUT_S = 30
FSCK_REPORT_LINES = 40         # per round, in the report file
STRESS_SECONDS = 60            # longer than any delay: stress is running at the kill
# fsck.fat (dosfstools 4.x) finding lines -> category names for the summary.
# By the write ordering of fs/fat/fat_priv.h a crash may leave the first
# seven; "chain shorter than file" (an entry that reached the disk before its
# allocation) and "other" would be ordering bugs. Lines matching
# FSCK_ELABORATION_RE only elaborate on the finding before them.
FSCK_CATEGORIES = [
    ("dirty bit", re.compile(r"^Dirty bit is set")),
    ("boot sector backup differs", re.compile(r"^There are differences between boot sector")),
    ("lost clusters", re.compile(r"^Reclaimed \d+ unused clusters")),
    ("free count", re.compile(r"^Free cluster summary wrong")),
    ("FATs differ", re.compile(r"^FATs differ")),
    ("shared clusters", re.compile(r"^share clusters")),
    ("chain longer than file", re.compile(r"^File size is \d+ bytes, cluster chain length is >")),
    ("chain shorter than file", re.compile(r"^File size is \d+ bytes, cluster chain length is \d")),
]
UNORDERED = {"chain shorter than file", "other"}
FSCK_ELABORATION_RE = re.compile(
    r"^(Auto-correcting|Automatically removing dirty bit|Not automatically fixing|This is "
    r"mostly harmless|\d+:[0-9a-f]{2}/[0-9a-f]{2}$|Truncating |/|Leaving filesystem unchanged|"
    r"Performing changes|Using first FAT)")

STATE = {}


def machine_args(ctx):
    img = ctx.make_fat_disk("crash.img", size_mib=DISK_MIB, fat=32)
    STATE["img"] = img
    STATE["args"] = ["-M", "pc", "-m", "256", "-kernel", os.path.join(ctx.build, "kernel.elf"),
                     "-drive", img.qemu_drive(index=0)]
    return STATE["args"]


def round_plan(r):
    """(synced size, synced seed, churn line, delay in s) of round r: fixed per round."""
    rnd = random.Random(0x5EED0000 + r)
    size = rnd.randrange(SYNCED_MIN_BYTES, SYNCED_MAX_BYTES + 1)
    seed = 1000 + r
    delay = round(DELAY_MIN_S + (DELAY_MAX_S - DELAY_MIN_S) * rnd.random(), 2)
    # stress wants its folder empty: a kill leaves files behind, so one per round.
    stress = "stress %d 3 %s/s%d" % (STRESS_SECONDS, VOL, r)
    if r % 3 == 0:
        churn = stress
    else:
        # Overwrite one big file (frees its old chain), delete the other,
        # a new folder with a file in it, then stress until the kill.
        a, b = r % 2, 1 - r % 2
        churn = "; ".join([
            "write %s/c%d.bin %d %d" % (VOL, a, rnd.randrange(1, 4) << 20, 5000 + r),
            "rm %s/c%d.bin" % (VOL, b),
            "mkdir %s/d%d" % (VOL, r),
            "write %s/d%d/x.bin %d %d" % (VOL, r, rnd.randrange(256, 1025) << 10, 6000 + r),
            stress])
    return size, seed, churn, delay


def expected(size, seed):
    key = (size, seed)
    if key not in STATE.setdefault("streams", {}):
        STATE["streams"][key] = images.xorshift32_stream(seed, size)
    return STATE["streams"][key]


def fsck(part, mode):
    """Run fsck.fat `mode` ("-n" or "-a") on a partition copy: (exit code, output lines)."""
    p = subprocess.run(["fsck.fat", mode, part], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=dict(os.environ, LC_ALL="C"))
    lines = p.stdout.decode(errors="replace").splitlines()
    return p.returncode, [ln.rstrip() for ln in lines if ln.strip() and
                          not re.match(r"^(fsck\.fat \d|\S+: \d+ files?, )", ln)]


def categories(lines):
    """The finding categories in fsck.fat output lines ("other" for unknown findings).
    Rename leaves two entries on one chain by design; fsck.fat then cuts the
    second to 0 bytes and reports its size: that is part of "shared clusters"."""
    out = set()
    cut_by_share = False
    for ln in (x.strip() for x in lines):
        if ln.startswith("Truncating second to 0 bytes"):
            cut_by_share = True
            continue
        for name, rx in FSCK_CATEGORIES:
            if rx.search(ln):
                if not (name == "chain shorter than file" and cut_by_share and
                        "chain length is 0 bytes" in ln):
                    out.add(name)
                cut_by_share = False
                break
        else:
            if not FSCK_ELABORATION_RE.match(ln):
                out.add("other")
    return out


def host_check_synced(ctx, img, synced, tag):
    """mcopy every synced file out of the image; return a list of problems."""
    if not synced:
        return []
    outdir = ctx.path("out")
    os.makedirs(outdir, exist_ok=True)
    for name in os.listdir(outdir):
        os.unlink(os.path.join(outdir, name))
    argv = ["mcopy", "-n", "-o", "-i", img.mtools_target]
    argv += ["::/%s" % name for name, _, _ in synced] + [outdir + "/"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       env=dict(os.environ, MTOOLS_SKIP_CHECK="1", LC_ALL="C"))
    problems = []
    for name, size, seed in synced:
        try:
            with open(os.path.join(outdir, name), "rb") as f:
                data = f.read()
        except OSError:
            problems.append("%s: %s missing (mcopy: %s)" % (tag, name,
                            p.stdout.decode(errors="replace").strip()[-200:]))
            continue
        if len(data) != size:
            problems.append("%s: %s has %d bytes, synced %d" % (tag, name, len(data), size))
        elif data != expected(size, seed):
            first = next(i for i in range(size) if data[i] != expected(size, seed)[i])
            problems.append("%s: %s differs from stream %d at byte %d" % (tag, name, seed, first))
    return problems


def kernel_trouble(log):
    """Lines of a round's serial log that show a kernel bug (not a crash we caused)."""
    return [ln.strip() for ln in log.replace("\r", "").split("\n")
            if re.search(r"PANIC|assertion failed|\] stress: t\d+: |\] fat: .*CORRUPT", ln)]


def run(vm, ctx):
    report = []
    try:
        crash_rounds(vm, ctx, report)
    finally:
        with open(os.path.join(ctx.log_dir, ctx.name + ".report.txt"), "w") as f:
            f.write("\n".join(report) + "\n")


def crash_rounds(vm, ctx, report):
    img = STATE["img"]
    part = ctx.path("part.img")
    synced = []              # (name, size, seed) of every file synced so far
    lost = []                # problems with synced files (the verdict)
    intact_rounds = 0
    clean_rounds = 0
    unordered_rounds = 0     # rounds with findings the write ordering should rule out
    finding_rounds = {}      # category -> rounds
    trouble = []
    t0 = time.monotonic()
    for r in range(ROUNDS):
        size, seed, churn, delay = round_plan(r)
        # 1. Boot (round 0 is the runner's machine) and verify in the kernel.
        if r:
            vm = ctx.machine(STATE["args"])
            vm.wait_prompt(min(60, ctx.remaining()))
        problems = []
        for name, fsize, fseed in synced:
            out = vm.cmd("verify %s/%s %d %d" % (VOL, name, fsize, fseed), CMD_TIMEOUT_S)
            if out != ["ok"]:
                problems.append("round %d kernel: verify %s: %r" % (r, name, out[-3:]))
        # 2. The new synced file.
        name = "r%d.bin" % r
        for c in ("write %s/%s %d %d" % (VOL, name, size, seed), "sync"):
            out = vm.cmd(c, CMD_TIMEOUT_S)
            assert not any(ln.startswith("error") for ln in out), "round %d: %s: %r" % (r, c, out)
        synced.append((name, size, seed))
        # 3.-4. Unsynced churn, then the kill at a moment the kernel does not choose.
        vm.send(churn + "\r")
        time.sleep(delay)
        alive = vm.is_running()
        vm.kill()
        trouble += ["round %d: %s" % (r, ln) for ln in kernel_trouble(vm.log)]
        assert alive, "round %d: QEMU ended by itself before the kill (status %s): %s" % (
            r, vm.exit_status, vm.log.replace("\r", "")[-600:])
        # 5. Host: fsck, the synced files, repair if needed.
        images.partition_save(img, part)
        rc, findings = fsck(part, "-n")
        problems += host_check_synced(ctx, img, synced, "round %d host" % r)
        line = "round %2d: synced %s %d B seed %d; churn %r; kill after %.2fs; fsck -n rc %d" % (
            r, name, size, seed, churn.split(";")[0], delay, rc)
        if rc == 0:
            clean_rounds += 1
        else:
            cats = categories(findings)
            for cat in cats:
                finding_rounds[cat] = finding_rounds.get(cat, 0) + 1
            unordered_rounds += bool(cats & UNORDERED)
            arc, _ = fsck(part, "-a")
            nrc, nfind = fsck(part, "-n")
            images.partition_load(img, part)
            line += "; repaired: fsck -a rc %d, then -n rc %d" % (arc, nrc)
            if nrc != 0:
                line += " (still: %s)" % " | ".join(nfind[:4])
            problems += host_check_synced(ctx, img, synced, "round %d after fsck -a" % r)
        report.append(line)
        report += ["    fsck: " + ln for ln in findings[:FSCK_REPORT_LINES]]
        report += ["    LOST: " + p for p in problems]
        lost += problems
        intact_rounds += not problems
    # Summary: the verdict is the synced-data guarantee.
    cats = ", ".join("%s %d" % (c, n) for c, n in sorted(finding_rounds.items())) or "none"
    summary = ("crash-kill: %d rounds, synced files intact %d/%d, fsck findings: %d rounds "
               "clean, %d rounds with %s; outside the write ordering: %d rounds (%.0fs)" % (
                   ROUNDS, intact_rounds, ROUNDS, clean_rounds, ROUNDS - clean_rounds, cats,
                   unordered_rounds, time.monotonic() - t0))
    report += ["kernel trouble: " + t for t in trouble] + [summary]
    for t in trouble:
        print("WARN %s: %s" % (ctx.name, t))
    print(summary)
    assert not lost, "synced data lost: " + "; ".join(lost[:5])
