# SPDX-License-Identifier: MIT
"""Five QEMU usb-hubs chained on QEMU's xHCI controller (each on port 1 of
the one above; five is what USB allows, USB 2.0 §4.1.1, and QEMU refuses
a sixth) with a stick on port 2 of the fifth: the stick's slot is named
by a route string with five tiers (xHCI §8.9), it comes up as usbhd0 at
full speed and its hash equals the host's. `usb` indents each tier."""

import re

IMG = {}
TIMEOUT = 120


def machine_args(ctx):
    disk = ctx.make_random_disk("deep.img", 1, 6)
    IMG.update(digest=disk.sha256)
    args = ["-M", "pc", "-m", "256", "-device", "qemu-xhci,id=xhci",
            "-drive", "if=none,id=u0,file=%s,format=raw" % disk.path]
    for tier in range(5):
        args += ["-device", "usb-hub,bus=xhci.0,port=%s,ports=2" % ".".join(["1"] * (tier + 1))]
    args += ["-device", "usb-storage,bus=xhci.0,port=1.1.1.1.1.2,drive=u0"]
    return args


def run(vm, ctx):
    listing = vm.cmd("usb")
    hubs = [l for l in listing if "driver hub 2 ports" in l]
    assert len(hubs) == 5, listing
    root = re.match(r"  port (\d+): ", hubs[0]).group(1)
    for tier, line in enumerate(hubs):
        path = ".".join([root] + ["1"] * tier)
        assert line.startswith("%sport %s: 0409:55aa" % (" " * (2 + 2 * tier), path)), listing
    deep = "%s.1.1.1.1" % root
    assert any(l.startswith("%sport %s.2: 46f4:0001 full speed" % (" " * 12, deep)) and
               "usbhd0" in l for l in listing), listing
    assert "%sport %s.1: empty" % (" " * 12, deep) in listing, listing
    assert vm.cmd("dhash usbhd0 0 2048", timeout=30) == [IMG["digest"]]
    assert vm.cmd("echo alive") == ["alive"]
