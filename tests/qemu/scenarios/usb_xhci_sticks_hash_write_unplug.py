# SPDX-License-Identifier: MIT
"""USB sticks on QEMU's xHCI controller (qemu-xhci: USB 3 ports 1-4, USB 2
ports 5-8). Two usb-storage sticks come up at super speed on ports 1 and 2
as usbhd0 and usbhd1 (Enable Slot, Address Device, Configure Endpoint), a
keyboard on a USB 2 port is enumerated at high speed (port reset path) and
left without a driver. `dhash` of the raw stick equals the host's sha256;
an 8 MiB file written to the FAT32 stick, verified and synced survives
poweroff (fsck.fat -n clean, mcopy bytes equal); QMP device_del of the
other stick deletes usbhd1 while the shell keeps going."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import assert_file_is_stream, fsck_clean  # noqa: E402

SIZE = 8388608
SEED = 11
IMGS = {}
TIMEOUT = 300


def machine_args(ctx):
    fat = ctx.make_fat_disk("xfat.img", size_mib=64, fat=32)
    raw_disk = ctx.make_random_disk("xraw.img", 8, 3)
    raw = raw_disk.path
    IMGS.update(fat=fat, raw_digest=raw_disk.sha256)
    return ["-M", "pc", "-m", "256", "-device", "qemu-xhci,id=xhci,p2=4,p3=4",
            "-drive", "if=none,id=ua,file=%s,format=raw" % fat.path,
            "-drive", "if=none,id=ub,file=%s,format=raw" % raw,
            "-device", "usb-storage,bus=xhci.0,port=1,drive=ua,id=stick_a",
            "-device", "usb-storage,bus=xhci.0,port=2,drive=ub,id=stick_b",
            "-device", "usb-kbd,bus=xhci.0,port=3"]


def run(vm, ctx):
    listing = vm.cmd("usb")
    text = "\n".join(listing)
    assert listing[0].startswith("xhci0: xHCI 1.00 at "), listing
    assert "port 1: 46f4:0001 super speed" in text and "usbhd0" in text, listing
    assert "port 2: 46f4:0001 super speed" in text and "usbhd1" in text, listing
    assert any("0627:0001 high speed" in l and "driver none" in l for l in listing), listing
    out = vm.cmd("dhash usbhd1 0 %d" % (8 << 11), timeout=60)
    assert out == [IMGS["raw_digest"]], out
    for cmd in ("write /usbhd0/1/big.bin %d %d" % (SIZE, SEED),
                "verify /usbhd0/1/big.bin %d %d" % (SIZE, SEED), "sync"):
        out = vm.cmd(cmd, timeout=150)
        assert not any(l.startswith("error") for l in out), (cmd, out)
    vm.qmp.execute("device_del", {"id": "stick_b"})
    vm.expect(r"usb-storage: usbhd1: closed", timeout=30)
    assert [l.split()[0] for l in vm.cmd("disks") if l.startswith("usbhd")] == ["usbhd0"]
    assert "  port 2: empty" in vm.cmd("usb")
    assert vm.cmd("echo alive") == ["alive"]
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0
    img = IMGS["fat"]
    fsck_clean(img)
    assert_file_is_stream(img, "BIG.BIN", SIZE, SEED)
