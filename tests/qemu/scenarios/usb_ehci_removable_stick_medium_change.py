# SPDX-License-Identifier: MIT
"""A card-reader-like stick: `-device usb-storage,removable=on` on EHCI
(INQUIRY RMB=1) holding a FAT16 image made here by mkfs.fat + mtools.
usbhd0 is registered as removable, a file on it hashes like the host's
copy, then QMP `blockdev-change-medium` swaps in a second FAT image: the
media poll sees the UNIT ATTENTION, logs the removal, DiskMediaChanged(0)
closes the old media, the next poll announces the new medium (capacity
read again) and `ls` shows the second volume's file. Finally the block
layer's `eject usbhd0` / `load usbhd0` reach the stick through DISKFUNC
LoadTray (START STOP UNIT LoEj): `disks` shows media=no, then the medium
is back with the same file. Unplugging the polled stick (QMP device_del)
removes the disk while the poll thread keeps running."""

import hashlib
import re
import time

TIMEOUT = 60
FILES_A = {"A.TXT": b"first card\n" * 300}
FILES_B = {"B.TXT": b"second card, a bit longer\n" * 700}
IMGS = {}


def machine_args(ctx):
    IMGS["a"] = ctx.make_fat_disk("a.img", size_mib=8, fat=16, files=FILES_A,
                                  sectors_per_cluster=1).path
    IMGS["b"] = ctx.make_fat_disk("b.img", size_mib=12, fat=16, files=FILES_B,
                                  sectors_per_cluster=1).path
    return ["-M", "pc", "-m", "256", "-device", "usb-ehci,id=ehci",
            "-drive", "if=none,id=st,format=raw,file=%s" % IMGS["a"],
            "-device", "usb-storage,bus=ehci.0,drive=st,removable=on,id=stick"]


def want_hash(name, data):
    return "%s %d /usbhd0/1/%s" % (hashlib.sha256(data).hexdigest(), len(data), name)


def run(vm, ctx):
    assert re.search(r"usb-storage: usbhd0: \"QEMU QEMU HARDDISK [^\"]*\", LUN 0, \d+ blocks "
                     r"of 512 bytes, removable", vm.log), "no removable usbhd0 line"
    vm.wait_disk("usbhd0", r"usbhd0 sectors=%d sector_size=512 media=yes ro=no" % (8 * 2048))
    assert vm.cmd("hash /usbhd0/1/A.TXT") == [want_hash("A.TXT", FILES_A["A.TXT"])]
    # 1. Another card: the poll announces the removal, then the new medium.
    vm.qmp.execute("blockdev-change-medium", {"device": "st", "filename": IMGS["b"],
                                              "format": "raw"})
    vm.expect(r"usb-storage: usbhd0: medium removed or changed", timeout=10)
    vm.expect(r"usb-storage: usbhd0: medium present \(%d blocks of 512 bytes\)" % (12 * 2048),
              timeout=10)
    vm.wait_disk("usbhd0", r"usbhd0 sectors=%d sector_size=512 media=yes ro=no" % (12 * 2048))
    listing = vm.cmd("ls /usbhd0/1/")
    assert any(l.split()[-1] == "B.TXT" for l in listing), listing
    assert not any(l.split()[-1] == "A.TXT" for l in listing), listing
    assert vm.cmd("hash /usbhd0/1/B.TXT") == [want_hash("B.TXT", FILES_B["B.TXT"])]
    # 2. The shell's tray commands: the medium goes, and comes back.
    assert vm.cmd("eject usbhd0") == []
    vm.wait_disk("usbhd0", r"usbhd0 sectors=0 sector_size=0 media=no")
    out = vm.cmd("hash /usbhd0/1/B.TXT")
    assert len(out) == 1 and out[0].startswith("error"), out
    assert vm.cmd("load usbhd0") == []
    vm.wait_disk("usbhd0", r"usbhd0 sectors=%d sector_size=512 media=yes ro=no" % (12 * 2048))
    assert vm.cmd("hash /usbhd0/1/B.TXT") == [want_hash("B.TXT", FILES_B["B.TXT"])]
    # 3. Unplug: the disk goes; the next polls have nothing to do.
    vm.qmp.execute("device_del", {"id": "stick"})
    vm.expect(r"usb-storage: usbhd0: closed", timeout=10)
    time.sleep(2.5)
    assert not [l for l in vm.cmd("disks") if l.startswith("usbhd")]
    assert vm.cmd("echo alive") == ["alive"]
