# SPDX-License-Identifier: MIT
"""Hot plug on the EHCI root ports: QMP device_del of the USB stick makes
the hub thread (500 ms poll) see the disconnect, usbhd0 leaves `disks`
(DiskDel), `usb` shows the port empty, and the shell keeps running; a read
of the gone disk fails with an error line. device_add of a second stick
then brings a new disk, again named usbhd0 (lowest free index, as
KolibriOS's usbstor names them), whose hash matches its image."""

IMGS = {}
TIMEOUT = 240


def machine_args(ctx):
    for key, mib, seed in (("a", 4, 1), ("b", 6, 2)):
        disk = ctx.make_random_disk(key + ".img", mib, seed)
        IMGS[key] = (disk.path, disk.sha256)
    return ["-M", "pc", "-m", "256", "-device", "usb-ehci,id=ehci",
            "-drive", "if=none,id=ua,file=%s,format=raw" % IMGS["a"][0],
            "-drive", "if=none,id=ub,file=%s,format=raw" % IMGS["b"][0],
            "-device", "usb-storage,bus=ehci.0,drive=ua,id=stick_a"]


def _usb_disks(vm):
    return [l.split()[0] for l in vm.cmd("disks") if l.startswith("usbhd")]


def run(vm, ctx):
    assert _usb_disks(vm) == ["usbhd0"]
    # 1. Unplug: the disk goes, the shell stays.
    vm.qmp.execute("device_del", {"id": "stick_a"})
    vm.expect(r"usb: ehci0: port 1: 46f4:0001 disconnected", timeout=20)
    vm.expect(r"usb-storage: usbhd0: closed", timeout=20)
    assert _usb_disks(vm) == [], "usbhd0 still listed after unplug"
    assert "  port 1: empty" in vm.cmd("usb")
    out = vm.cmd("dhash usbhd0 0 8")
    assert len(out) == 1 and out[0].startswith("error"), out
    assert vm.cmd("echo alive") == ["alive"]
    # 2. Plug another stick: it is enumerated and named usbhd0 again.
    vm.qmp.execute("device_add", {"driver": "usb-storage", "bus": "ehci.0", "drive": "ub",
                                  "id": "stick_b"})
    vm.expect(r"disk: usbhd0: media %d sectors" % (6 * 2048), timeout=30)
    assert _usb_disks(vm) == ["usbhd0"]
    out = vm.cmd("dhash usbhd0 0 %d" % (6 * 2048), timeout=60)
    assert out == [IMGS["b"][1]], out
