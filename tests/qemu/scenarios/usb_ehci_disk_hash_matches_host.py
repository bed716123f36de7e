# SPDX-License-Identifier: MIT
"""A USB stick on an EHCI controller alone (-device usb-ehci, no companion
controllers, so QEMU's usb-storage runs at high speed): the boot log names
the controller and the device, `usb` lists it on port 1 with its
vid:pid 46f4:0001, speed and disk name, `disks` shows usbhd0 with the
image's size, and `dhash` of the whole disk (BOT READ(10) over bulk qTD
chains) equals the host's sha256 of the image. A second stick on a
read-only drive becomes usbhd1 with ro=yes (MODE SENSE write-protect bit)."""

import shutil

SIZE_MIB = 24
IMG = {}
TIMEOUT = 240


def machine_args(ctx):
    disk = ctx.make_random_disk("usb0.img", SIZE_MIB, 2024)
    path = disk.path
    shutil.copyfile(path, path + ".ro")
    IMG.update(path=path, digest=disk.sha256)
    return ["-M", "pc", "-m", "256", "-device", "usb-ehci,id=ehci",
            "-drive", "if=none,id=u0,file=%s,format=raw" % path,
            "-device", "usb-storage,bus=ehci.0,drive=u0",
            "-drive", "if=none,id=u1,file=%s.ro,format=raw,readonly=on" % path,
            "-device", "usb-storage,bus=ehci.0,drive=u1"]


def run(vm, ctx):
    log = vm.log
    assert "ehci: ehci0: 8086:24cd" in log, "no EHCI line in the boot log"
    assert "usb-storage: usbhd0: \"QEMU QEMU HARDDISK" in log, "no usbhd0 line in the boot log"
    listing = vm.cmd("usb")
    assert listing[0].startswith("ehci0: EHCI 1.00"), listing
    assert any(l.startswith("  port 1: 46f4:0001 high speed") and "usbhd0" in l
               for l in listing), listing
    assert any(l.startswith("  port 2: 46f4:0001 high speed") and "usbhd1" in l
               for l in listing), listing
    assert "  port 3: empty" in listing, listing
    disks = [l for l in vm.cmd("disks") if l.startswith("usbhd")]
    want = ["usbhd%d sectors=%d sector_size=512 media=yes ro=%s partitions=1"
            % (i, SIZE_MIB * 2048, ro) for i, ro in ((0, "no"), (1, "yes"))]
    assert disks == want, "disks: %r, want %r" % (disks, want)
    out = vm.cmd("dhash usbhd0 0 %d" % (SIZE_MIB * 2048), timeout=180)
    assert out == [IMG["digest"]], "dhash usbhd0: %r, want %s" % (out, IMG["digest"])
    # Past the end: an error line, and the shell keeps going.
    out = vm.cmd("dhash usbhd0 %d 8" % (SIZE_MIB * 2048 - 4))
    assert len(out) == 1 and out[0].startswith("error"), out
    assert vm.cmd("echo alive") == ["alive"]
