# SPDX-License-Identifier: MIT
"""A full-speed QEMU usb-hub on port 1 of the PIIX3 UHCI controller with a
stick on hub port 2 at boot: the hub driver reads the hub descriptor,
powers the 4 ports and enumerates the stick through the hub (`usb` shows
the tree: port 1 hub, port 1.2 the stick as usbhd0). A file put on the
FAT12 image by mtools reads back with the host's sha256; a file written,
verified and synced survives (mcopy bytes equal, fsck.fat -n clean). QMP
device_add of a second stick on hub port 3 brings usbhd1 (hash of a raw
image equals the host's); device_del of it deletes usbhd1; device_del of
the hub with usbhd0 behind it unplugs both cleanly (DiskDel, "closed") and
the shell keeps working."""

import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import assert_file_is_stream, fsck_clean  # noqa: E402

SIZE = 131072
SEED = 21
IMGS = {}
TIMEOUT = 120


def machine_args(ctx):
    data = random.Random(9).randbytes(40000)
    img = ctx.make_fat_disk("hubfat.img", size_mib=4, fat=12, files={"DATA.BIN": data})
    raw = ctx.path("hubraw.img")
    rdata = bytearray(random.Random(4).randbytes(1 << 20))
    rdata[510:512] = b"\0\0"
    with open(raw, "wb") as f:
        f.write(rdata)
    IMGS.update(img=img, file_digest=hashlib.sha256(data).hexdigest(), file_len=len(data),
                raw_digest=hashlib.sha256(rdata).hexdigest())
    return ["-M", "pc", "-m", "256", "-usb",
            "-drive", "if=none,id=u0,file=%s,format=raw" % img.path,
            "-drive", "if=none,id=u1,file=%s,format=raw" % raw,
            "-device", "usb-hub,bus=usb-bus.0,port=1,ports=4,id=hub1",
            "-device", "usb-storage,bus=usb-bus.0,port=1.2,drive=u0,id=stick0"]


def _usb_disks(vm):
    return [l.split()[0] for l in vm.cmd("disks") if l.startswith("usbhd")]


def run(vm, ctx):
    img = IMGS["img"]
    # 1. The tree at boot.
    listing = vm.cmd("usb")
    assert any(l.startswith("  port 1: ") and "driver hub 4 ports" in l for l in listing), listing
    assert any(l.startswith("    port 1.2: 46f4:0001 full speed") and "usbhd0" in l
               for l in listing), listing
    assert "    port 1.1: empty" in listing and "    port 1.3: empty" in listing, listing
    # 2. Read a file made by mtools; write one and check it on the host later.
    want = "%s %d /usbhd0/1/DATA.BIN" % (IMGS["file_digest"], IMGS["file_len"])
    assert vm.cmd("hash /usbhd0/1/DATA.BIN", timeout=30) == [want]
    for cmd in ("write /usbhd0/1/f.bin %d %d" % (SIZE, SEED),
                "verify /usbhd0/1/f.bin %d %d" % (SIZE, SEED), "sync"):
        out = vm.cmd(cmd, timeout=30)
        assert not any(l.startswith("error") for l in out), (cmd, out)
    # 3. Hot plug into hub port 3, then unplug it.
    vm.qmp.execute("device_add", {"driver": "usb-storage", "bus": "usb-bus.0", "port": "1.3",
                                  "drive": "u1", "id": "stick1"})
    vm.expect(r"disk: usbhd1: media 2048 sectors", timeout=20)
    assert any(l.startswith("    port 1.3: 46f4:0001 full speed") and "usbhd1" in l
               for l in vm.cmd("usb")), "usbhd1 not on hub port 3"
    assert vm.cmd("dhash usbhd1 0 2048", timeout=30) == [IMGS["raw_digest"]]
    vm.qmp.execute("device_del", {"id": "stick1"})
    vm.expect(r"usb: uhci0: port 1\.3: 46f4:0001 disconnected", timeout=20)
    vm.expect(r"usb-storage: usbhd1: closed", timeout=20)
    assert _usb_disks(vm) == ["usbhd0"]
    assert "    port 1.3: empty" in vm.cmd("usb")
    # 4. Unplug the hub with usbhd0 behind it: child first, then the hub.
    vm.qmp.execute("device_del", {"id": "hub1"})
    vm.expect(r"usb: uhci0: port 1\.2: 46f4:0001 disconnected", timeout=20)
    vm.expect(r"usb-storage: usbhd0: closed", timeout=20)
    vm.expect(r"usb: uhci0: port 1: [0-9a-f]{4}:[0-9a-f]{4} disconnected", timeout=20)
    assert _usb_disks(vm) == []
    assert "  port 1: empty" in vm.cmd("usb")
    assert vm.cmd("echo alive") == ["alive"]
    vm.send(b"poweroff\r")
    assert vm.wait_exit(30) == 0
    fsck_clean(img)
    assert_file_is_stream(img, "F.BIN", SIZE, SEED)
