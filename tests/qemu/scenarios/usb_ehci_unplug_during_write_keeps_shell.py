# SPDX-License-Identifier: MIT
"""Surprise removal: while `write /usbhd0/1/big.bin` streams 16 MiB to a
FAT32 USB stick, QMP device_del pulls it. No hang: transfers to the gone
device fail at once (or time out), the write returns, the hub thread
deletes usbhd0, the loss is reported (an `error:` line from the write, or
the cache's DATA LOST line when the data was still only cached), and the
shell keeps answering."""

import time

IMGS = {}
TIMEOUT = 240


def machine_args(ctx):
    img = ctx.make_fat_disk("usbfat.img", size_mib=64, fat=32)
    IMGS["img"] = img
    return ["-M", "pc", "-m", "256", "-device", "usb-ehci,id=ehci",
            "-drive", "if=none,id=u0,file=%s,format=raw" % img.path,
            "-device", "usb-storage,bus=ehci.0,drive=u0,id=stick"]


def run(vm, ctx):
    vm.send(b"write /usbhd0/1/big.bin 16777216 3\r")
    time.sleep(0.5)
    vm.qmp.execute("device_del", {"id": "stick"})
    vm.expect(r"usb: ehci0: port 1: 46f4:0001 disconnected", timeout=30)
    vm.expect(r"usb-storage: usbhd0: closed", timeout=60)
    # The write's own prompt may come before or after the lines above.
    vm.resync(timeout=60)
    assert vm.cmd("echo alive", timeout=60) == ["alive"], "shell does not answer after the unplug"
    log = vm.log
    assert "\nerror: " in log.replace("\r", "") or "DATA LOST" in log, "the loss went unreported"
    assert [l for l in vm.cmd("disks") if l.startswith("usbhd")] == [], "usbhd0 still there"
    assert "  port 1: empty" in vm.cmd("usb")
