# SPDX-License-Identifier: MIT
"""The wall clock comes from the CMOS RTC: with QEMU's clock set to
2031-05-17 10:20:30 UTC (-rtc base=...), `date` prints that time plus the
seconds QEMU has been running (a few seconds of slack), the boot log names
the reading, and a file written on a FAT disk carries a 2031-05-17 modified
time both in `stat` and on the host (mdir -a, after fsck.fat -n finds the
volume clean)."""

import datetime
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import fsck_clean  # noqa: E402

BASE = datetime.datetime(2031, 5, 17, 10, 20, 30)
SLACK_S = 5
IMGS = {}
TIMEOUT = 180


def machine_args(ctx):
    IMGS["fat"] = ctx.make_fat_disk("times.img", size_mib=32, fat=16)
    return ["-M", "pc", "-m", "256", "-rtc", "base=2031-05-17T10:20:30",
            "-drive", IMGS["fat"].qemu_drive(index=0)]


def check_date(vm):
    lines = vm.cmd("date")
    assert len(lines) == 1, "date: %r" % lines
    m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) UTC", lines[0])
    assert m, "date printed %r" % lines[0]
    shown = datetime.datetime(*map(int, m.groups()))
    # QEMU's clock runs from BASE since QEMU started; so does vm.elapsed().
    drift = (shown - BASE).total_seconds() - vm.elapsed()
    assert abs(drift) <= SLACK_S, "date %s is %.1f s off (QEMU up %.1f s)" % (
        lines[0], drift, vm.elapsed())


def run(vm, ctx):
    assert re.search(r"rtc: cmos: 2031-05-17 10:2\d:\d\d UTC", vm.log), "no RTC boot line"
    check_date(vm)

    out = vm.cmd("write /hd0/1/STAMP.TXT 100 1")
    assert not any(l.startswith("error") for l in out), out
    out = vm.cmd("stat /hd0/1/STAMP.TXT")
    assert len(out) == 1 and re.search(r"modified=2031-05-17 10:2\d:\d\d", out[0]), out
    assert "created=2031-05-17" in out[0], out
    out = vm.cmd("sync", timeout=30)
    assert not any(l.startswith("error") for l in out), out
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0

    img = IMGS["fat"]
    fsck_clean(img)
    listing = ctx.run_tool(["mdir", "-a", "-i", img.mtools_target, "::/STAMP.TXT"])
    assert re.search(r"STAMP\s+TXT\s+100\s+2031-05-17\s+10:2\d", listing), listing
