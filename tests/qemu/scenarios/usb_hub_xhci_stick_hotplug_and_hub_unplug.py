# SPDX-License-Identifier: MIT
"""A full-speed QEMU usb-hub on QEMU's xHCI controller (it lands on a USB 2
root port) with a stick on hub port 2 at boot: the hub's slot is marked a
hub (Configure Endpoint, Hub=1, Number of Ports), the stick's slot is
addressed by root port + route string, and `usb` shows the tree with the
stick as usbhd0. A file put on the FAT16 image by mtools reads back with
the host's sha256; a file written, verified and synced survives (mcopy
bytes equal, fsck.fat -n clean). QMP device_add of a second stick on hub
port 3 brings usbhd1 (hash of its raw image equals the host's), device_del
of it deletes usbhd1, and device_del of the hub with usbhd0 behind it
unplugs both cleanly while the shell keeps working."""

import hashlib
import os
import random
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import assert_file_is_stream, fsck_clean  # noqa: E402

SIZE = 262144
SEED = 23
IMGS = {}
TIMEOUT = 120


def machine_args(ctx):
    data = random.Random(10).randbytes(70000)
    img = ctx.make_fat_disk("xhubfat.img", size_mib=16, fat=16, files={"DIR/DATA.BIN": data})
    raw = ctx.path("xhubraw.img")
    rdata = bytearray(random.Random(5).randbytes(1 << 20))
    rdata[510:512] = b"\0\0"
    with open(raw, "wb") as f:
        f.write(rdata)
    IMGS.update(img=img, file_digest=hashlib.sha256(data).hexdigest(), file_len=len(data),
                raw_digest=hashlib.sha256(rdata).hexdigest())
    return ["-M", "pc", "-m", "256", "-device", "qemu-xhci,id=xhci",
            "-drive", "if=none,id=u0,file=%s,format=raw" % img.path,
            "-drive", "if=none,id=u1,file=%s,format=raw" % raw,
            "-device", "usb-hub,bus=xhci.0,port=1,id=hub1",
            "-device", "usb-storage,bus=xhci.0,port=1.2,drive=u0,id=stick0"]


def _usb_disks(vm):
    return [l.split()[0] for l in vm.cmd("disks") if l.startswith("usbhd")]


def run(vm, ctx):
    img = IMGS["img"]
    # 1. The tree at boot: the hub on some root port N, the stick on N.2.
    listing = vm.cmd("usb")
    hub = [l for l in listing if "driver hub 8 ports" in l]
    assert len(hub) == 1 and "0409:55aa full speed" in hub[0], listing
    root = re.match(r"  port (\d+): ", hub[0]).group(1)
    assert any(l.startswith("    port %s.2: 46f4:0001 full speed" % root) and "usbhd0" in l
               for l in listing), listing
    assert "    port %s.8: empty" % root in listing, listing
    # 2. Read a file made by mtools; write one and check it on the host later.
    want = "%s %d /usbhd0/1/DIR/DATA.BIN" % (IMGS["file_digest"], IMGS["file_len"])
    assert vm.cmd("hash /usbhd0/1/DIR/DATA.BIN", timeout=30) == [want]
    for cmd in ("write /usbhd0/1/f.bin %d %d" % (SIZE, SEED),
                "verify /usbhd0/1/f.bin %d %d" % (SIZE, SEED), "sync"):
        out = vm.cmd(cmd, timeout=30)
        assert not any(l.startswith("error") for l in out), (cmd, out)
    # 3. Hot plug into hub port 3, then unplug it.
    vm.qmp.execute("device_add", {"driver": "usb-storage", "bus": "xhci.0", "port": "1.3",
                                  "drive": "u1", "id": "stick1"})
    vm.expect(r"disk: usbhd1: media 2048 sectors", timeout=20)
    assert any(l.startswith("    port %s.3: 46f4:0001 full speed" % root) and "usbhd1" in l
               for l in vm.cmd("usb")), "usbhd1 not on hub port 3"
    assert vm.cmd("dhash usbhd1 0 2048", timeout=30) == [IMGS["raw_digest"]]
    vm.qmp.execute("device_del", {"id": "stick1"})
    vm.expect(r"usb: xhci0: port %s\.3: 46f4:0001 disconnected" % root, timeout=20)
    vm.expect(r"usb-storage: usbhd1: closed", timeout=20)
    assert _usb_disks(vm) == ["usbhd0"]
    assert "    port %s.3: empty" % root in vm.cmd("usb")
    # 4. Unplug the hub with usbhd0 behind it: child first, then the hub.
    vm.qmp.execute("device_del", {"id": "hub1"})
    vm.expect(r"usb: xhci0: port %s\.2: 46f4:0001 disconnected" % root, timeout=20)
    vm.expect(r"usb-storage: usbhd0: closed", timeout=20)
    vm.expect(r"usb: xhci0: port %s: 0409:55aa disconnected" % root, timeout=20)
    assert _usb_disks(vm) == []
    assert "  port %s: empty" % root in vm.cmd("usb")
    assert vm.cmd("echo alive") == ["alive"]
    vm.send(b"poweroff\r")
    assert vm.wait_exit(30) == 0
    fsck_clean(img)
    assert_file_is_stream(img, "F.BIN", SIZE, SEED)
