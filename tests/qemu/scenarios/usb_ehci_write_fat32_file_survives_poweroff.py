# SPDX-License-Identifier: MIT
"""The USB write path end to end: on a FAT32 disk made by mkfs.fat here and
attached as a USB stick behind EHCI, `write /usbhd0/1/big.bin 8388608 7`
(BOT WRITE(10)), `verify`, `sync` (SYNCHRONIZE CACHE) and `poweroff`; then
on the host `fsck.fat -n` finds the file system clean and mcopy gives back
exactly the xorshift32 stream of seed 7 (kernel/lib/xorshift.h)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import assert_file_is_stream, fsck_clean  # noqa: E402

SIZE = 8388608
SEED = 7
IMGS = {}
TIMEOUT = 300


def machine_args(ctx):
    img = ctx.make_fat_disk("usbfat.img", size_mib=64, fat=32)
    IMGS["img"] = img
    return ["-M", "pc", "-m", "256", "-device", "usb-ehci,id=ehci",
            "-drive", "if=none,id=u0,file=%s,format=raw" % img.path,
            "-device", "usb-storage,bus=ehci.0,drive=u0"]


def run(vm, ctx):
    img = IMGS["img"]
    for cmd in ("write /usbhd0/1/big.bin %d %d" % (SIZE, SEED),
                "verify /usbhd0/1/big.bin %d %d" % (SIZE, SEED), "sync"):
        out = vm.cmd(cmd, timeout=150)
        assert not any(l.startswith("error") for l in out), (cmd, out)
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0
    fsck_clean(img)
    assert_file_is_stream(img, "BIG.BIN", SIZE, SEED)
