# SPDX-License-Identifier: MIT
"""A USB stick on an OHCI controller (-device pci-ohci, full speed, 64-byte
packets): the boot log names the controller, `usb` lists it with the stick
on port 1 as usbhd0, `dhash` of the whole disk (READ(10) over bulk IN TD
chains, each TD within two 4 KiB pages, completion by the done queue
interrupt) equals the host's sha256, and a 1 MiB file written on its FAT12
file system (WRITE(10) over bulk OUT with the toggle carried in the ED),
verified, synced and powered off comes back byte for byte through mcopy,
with `fsck.fat -n` clean."""

import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import assert_file_is_stream, fsck_clean  # noqa: E402

SIZE = 1048576
SEED = 11
IMGS = {}
TIMEOUT = 300


def machine_args(ctx):
    img = ctx.make_fat_disk("ohci.img", size_mib=12, fat=12)
    with open(img.path, "rb") as f:
        IMGS.update(img=img, digest=hashlib.sha256(f.read()).hexdigest())
    return ["-M", "pc", "-m", "256", "-device", "pci-ohci,id=ohci",
            "-drive", "if=none,id=u0,file=%s,format=raw" % img.path,
            "-device", "usb-storage,bus=ohci.0,drive=u0"]


def run(vm, ctx):
    img = IMGS["img"]
    assert "ohci: ohci0: " in vm.log and ", OHCI 1.0, 3 ports, IRQ " in vm.log, \
        "no OHCI line in the boot log"
    assert "usb-storage: usbhd0: \"QEMU QEMU HARDDISK" in vm.log, "no usbhd0 line in the boot log"
    listing = vm.cmd("usb")
    assert listing[0].startswith("ohci0: OHCI 1.0 at 00:03.0, 3 ports, IRQ, timeouts 0"), listing
    assert any(l.startswith("  port 1: 46f4:0001 full speed") and "usbhd0" in l
               for l in listing), listing
    assert "  port 2: empty" in listing, listing
    sectors = img.size_bytes // 512
    out = vm.cmd("dhash usbhd0 0 %d" % sectors, timeout=200)
    assert out == [IMGS["digest"]], "dhash usbhd0: %r, want %s" % (out, IMGS["digest"])
    for cmd in ("write /usbhd0/1/f.bin %d %d" % (SIZE, SEED),
                "verify /usbhd0/1/f.bin %d %d" % (SIZE, SEED), "sync"):
        out = vm.cmd(cmd, timeout=150)
        assert not any(l.startswith("error") for l in out), (cmd, out)
    listing = vm.cmd("usb")
    assert ", timeouts 0, errors 0" in listing[0], listing
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0
    fsck_clean(img)
    assert_file_is_stream(img, "F.BIN", SIZE, SEED)
