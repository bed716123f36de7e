# SPDX-License-Identifier: MIT
"""A USB CD-ROM: `-device usb-bot` with a `scsi-cd` on its SCSI bus, on
EHCI, holding an ISO made here by xorriso. INQUIRY says peripheral type 5:
the unit becomes usbhd0 (USB units share KolibriOS usbstor's usbhdN names;
cdN stays with IDE and AHCI), read-only with 2048-byte blocks, and the
ISO9660 volume mounts through fs/iso9660: `hash` of each file equals
hashlib's and `dhash` of the whole disc the host's sha256 of the ISO.
A write is refused. Then QMP `blockdev-change-medium` to a second ISO:
the media poll reports the removal and the new disc, whose file is seen."""

import hashlib
import os
import re

TIMEOUT = 60
FILES = {"a.txt": b"usb cd first disc\n" * 500, "big.bin": bytes(range(256)) * 1500 + b"z"}
FILES_B = {"readme.txt": b"second usb disc\n" * 2000}
ISOS = {}


def machine_args(ctx):
    os.makedirs(ctx.tmp, exist_ok=True)
    ISOS["a"] = ctx.make_iso("first", FILES)
    ISOS["b"] = ctx.make_iso("second", FILES_B)
    return ["-M", "pc", "-m", "256", "-device", "usb-ehci,id=ehci",
            "-device", "usb-bot,id=bot0,bus=ehci.0",
            "-drive", "if=none,id=ucd,media=cdrom,format=raw,file=%s" % ISOS["a"][0],
            "-device", "scsi-cd,bus=bot0.0,drive=ucd,id=ucdx"]


def run(vm, ctx):
    _, sectors, digest = ISOS["a"]
    assert re.search(r"usb-storage: usbhd0: \"QEMU QEMU CD-ROM [^\"]*\", LUN 0, %d blocks of "
                     r"2048 bytes, CD/DVD, write-protected" % sectors, vm.log), \
        "no CD/DVD usbhd0 line"
    vm.wait_disk("usbhd0", r"usbhd0 sectors=%d sector_size=2048 media=yes ro=yes" % sectors)
    for name, data in sorted(FILES.items()):
        want = "%s %d /usbhd0/1/%s" % (hashlib.sha256(data).hexdigest(), len(data), name)
        assert vm.cmd("hash /usbhd0/1/%s" % name, timeout=30) == [want]
    assert vm.cmd("dhash usbhd0 0 %d" % sectors, timeout=30) == [digest]
    out = vm.cmd("write /usbhd0/1/new.txt 100 1")
    assert len(out) == 1 and out[0].startswith("error"), out
    # Another disc: removal, then the new one.
    path, sectors, digest = ISOS["b"]
    vm.qmp.execute("blockdev-change-medium", {"id": "ucdx", "filename": path, "format": "raw"})
    vm.expect(r"usb-storage: usbhd0: medium removed or changed", timeout=10)
    vm.expect(r"usb-storage: usbhd0: medium present \(%d blocks of 2048 bytes\)" % sectors,
              timeout=10)
    vm.wait_disk("usbhd0", r"usbhd0 sectors=%d sector_size=2048 media=yes ro=yes" % sectors)
    data = FILES_B["readme.txt"]
    want = "%s %d /usbhd0/1/readme.txt" % (hashlib.sha256(data).hexdigest(), len(data))
    assert vm.cmd("hash /usbhd0/1/readme.txt", timeout=30) == [want]
    assert vm.cmd("echo alive") == ["alive"]
