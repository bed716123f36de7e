# SPDX-License-Identifier: MIT
"""The procedure of the usb_hub_*_stick_hotplug_and_hub_unplug scenarios,
the same on every host controller: a QEMU usb-hub (0409:55aa, full speed)
with a stick on hub port 2 at boot. `usb` shows the tree (root port N the
hub, N.2 the stick as usbhd0); a file put on the FAT image by mtools reads
back with the host's sha256; a file written, verified and synced survives
(mcopy bytes equal, fsck.fat -n clean); QMP device_add of a second stick on
hub port 3 brings usbhd1 (hash of its raw image equals the host's);
device_del of it deletes usbhd1; device_del of the hub with usbhd0 behind it
unplugs both cleanly (child first, DiskDel, "closed") and the shell keeps
working. A scenario states only its controller, as a HubCase:

    CASE = HubCase(hcd="uhci0", controller=["-usb"], bus="usb-bus.0", ...)
    TIMEOUT = 120
    def machine_args(ctx): return CASE.machine_args(ctx)
    def run(vm, ctx): CASE.run(vm, ctx)
"""

import hashlib
import random
import re
from dataclasses import dataclass, field

from images import assert_file_is_stream, fsck_clean

HUB_ID = "0409:55aa"      # QEMU's usb-hub
STICK_ID = "46f4:0001"    # QEMU's usb-storage


@dataclass
class HubCase:
    hcd: str                  # the controller's name in log lines ("uhci0")
    controller: list          # QEMU args that add the controller
    bus: str                  # its USB bus ("usb-bus.0")
    hub_props: str            # extra usb-hub properties (",ports=4" or "")
    hub_ports: int            # downstream ports the hub reports
    root_port: str            # root port the hub must be on; None: any
    empty_at_boot: tuple      # hub ports listed as empty at boot ("1", "3")
    prefix: str               # image file name prefix ("hub")
    fat: int                  # FAT type of the stick's image
    size_mib: int             # its size
    data_name: str            # the mtools file on it ("DIR/DATA.BIN")
    data_seed: int            # random.Random seed of that file
    data_len: int
    raw_seed: int             # seed of the hot-plugged stick's raw image
    write_size: int           # the file `write` puts on usbhd0
    write_seed: int
    imgs: dict = field(default_factory=dict)

    def machine_args(self, ctx):
        data = random.Random(self.data_seed).randbytes(self.data_len)
        img = ctx.make_fat_disk(self.prefix + "fat.img", size_mib=self.size_mib, fat=self.fat,
                                files={self.data_name: data})
        raw_disk = ctx.make_random_disk(self.prefix + "raw.img", 1, self.raw_seed)
        raw = raw_disk.path
        self.imgs.update(img=img, file_digest=hashlib.sha256(data).hexdigest(),
                         raw_digest=raw_disk.sha256)
        return ["-M", "pc", "-m", "256"] + self.controller + [
            "-drive", "if=none,id=u0,file=%s,format=raw" % img.path,
            "-drive", "if=none,id=u1,file=%s,format=raw" % raw,
            "-device", "usb-hub,bus=%s,port=1%s,id=hub1" % (self.bus, self.hub_props),
            "-device", "usb-storage,bus=%s,port=1.2,drive=u0,id=stick0" % self.bus]

    def run(self, vm, ctx):
        img = self.imgs["img"]
        # 1. The tree at boot: the hub on root port N, the stick on N.2.
        listing = vm.cmd("usb")
        hub = [l for l in listing if "driver hub %d ports" % self.hub_ports in l]
        assert len(hub) == 1 and "%s full speed" % HUB_ID in hub[0], listing
        root = re.match(r"  port (\d+): ", hub[0]).group(1)
        assert self.root_port is None or root == self.root_port, listing
        assert any(l.startswith("    port %s.2: %s full speed" % (root, STICK_ID))
                   and "usbhd0" in l for l in listing), listing
        for port in self.empty_at_boot:
            assert "    port %s.%s: empty" % (root, port) in listing, listing
        # 2. Read a file made by mtools; write one and check it on the host later.
        path = "/usbhd0/1/" + self.data_name
        want = "%s %d %s" % (self.imgs["file_digest"], self.data_len, path)
        assert vm.cmd("hash " + path, timeout=30) == [want]
        for cmd in ("write /usbhd0/1/f.bin %d %d" % (self.write_size, self.write_seed),
                    "verify /usbhd0/1/f.bin %d %d" % (self.write_size, self.write_seed),
                    "sync"):
            out = vm.cmd(cmd, timeout=30)
            assert not any(l.startswith("error") for l in out), (cmd, out)
        # 3. Hot plug into hub port 3, then unplug it.
        vm.qmp.execute("device_add", {"driver": "usb-storage", "bus": self.bus, "port": "1.3",
                                      "drive": "u1", "id": "stick1"})
        vm.expect(r"disk: usbhd1: media 2048 sectors", timeout=20)
        assert any(l.startswith("    port %s.3: %s full speed" % (root, STICK_ID))
                   and "usbhd1" in l for l in vm.cmd("usb")), "usbhd1 not on hub port 3"
        assert vm.cmd("dhash usbhd1 0 2048", timeout=30) == [self.imgs["raw_digest"]]
        vm.qmp.execute("device_del", {"id": "stick1"})
        vm.expect(r"usb: %s: port %s\.3: %s disconnected" % (self.hcd, root, STICK_ID),
                  timeout=20)
        vm.expect(r"usb-storage: usbhd1: closed", timeout=20)
        assert _usb_disks(vm) == ["usbhd0"]
        assert "    port %s.3: empty" % root in vm.cmd("usb")
        # 4. Unplug the hub with usbhd0 behind it: child first, then the hub.
        vm.qmp.execute("device_del", {"id": "hub1"})
        vm.expect(r"usb: %s: port %s\.2: %s disconnected" % (self.hcd, root, STICK_ID),
                  timeout=20)
        vm.expect(r"usb-storage: usbhd0: closed", timeout=20)
        vm.expect(r"usb: %s: port %s: %s disconnected" % (self.hcd, root, HUB_ID), timeout=20)
        assert _usb_disks(vm) == []
        assert "  port %s: empty" % root in vm.cmd("usb")
        assert vm.cmd("echo alive") == ["alive"]
        vm.send(b"poweroff\r")
        assert vm.wait_exit(30) == 0
        fsck_clean(img)
        assert_file_is_stream(img, "F.BIN", self.write_size, self.write_seed)


def _usb_disks(vm):
    return [l.split()[0] for l in vm.cmd("disks") if l.startswith("usbhd")]
