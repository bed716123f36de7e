# SPDX-License-Identifier: MIT
"""Surprise removal on an OHCI root port: while `write /usbhd0/1/big.bin`
streams 48 MiB to a FAT32 stick, QMP device_del pulls it. The running bulk
ED is skipped and emptied (no hang), the hub thread deletes usbhd0, the
loss is reported (an `error:` line or the cache's DATA LOST line) and the
shell keeps answering. A second stick plugged in afterwards (QEMU picks a
free port) is enumerated as usbhd0 again and its whole-disk hash equals
the host's."""

import time

IMGS = {}
TIMEOUT = 240


def machine_args(ctx):
    img = ctx.make_fat_disk("ohcifat.img", size_mib=64, fat=32)
    disk = ctx.make_random_disk("b.img", 4, 7)   # one whole-disk partition
    path = disk.path
    IMGS.update(img=img, b=path, digest=disk.sha256)
    return ["-M", "pc", "-m", "256", "-device", "pci-ohci,id=ohci",
            "-drive", "if=none,id=u0,file=%s,format=raw" % img.path,
            "-drive", "if=none,id=ub,file=%s,format=raw" % path,
            "-device", "usb-storage,bus=ohci.0,drive=u0,id=stick"]


def run(vm, ctx):
    # 1. Pull the stick in the middle of a write.
    vm.send(b"write /usbhd0/1/big.bin 50331648 3\r")
    time.sleep(0.3)
    vm.qmp.execute("device_del", {"id": "stick"})
    vm.expect(r"usb: ohci0: port 1: 46f4:0001 disconnected", timeout=30)
    vm.expect(r"usb-storage: usbhd0: closed", timeout=60)
    # The write's own prompt may come before or after the lines above.
    vm.resync(timeout=60)
    log = vm.log
    assert "\nerror: " in log.replace("\r", "") or "DATA LOST" in log, "the loss went unreported"
    assert [l for l in vm.cmd("disks") if l.startswith("usbhd")] == [], "usbhd0 still there"
    listing = vm.cmd("usb")
    assert "  port 1: empty" in listing, listing
    assert ", dead" not in listing[0], listing
    # 2. Plug another stick: enumerated again, same name, right bytes.
    vm.qmp.execute("device_add", {"driver": "usb-storage", "bus": "ohci.0", "drive": "ub",
                                  "id": "stick_b"})
    vm.expect(r"disk: usbhd0: media %d sectors.*\n" % (4 * 2048), timeout=30)
    out = vm.cmd("dhash usbhd0 0 %d" % (4 * 2048), timeout=60)
    assert out == [IMGS["digest"]], "dhash usbhd0: %r, want %s" % (out, IMGS["digest"])
