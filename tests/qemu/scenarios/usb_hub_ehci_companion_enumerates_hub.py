# SPDX-License-Identifier: MIT
"""ICH9 USB on q35 (EHCI with UHCI companions) and QEMU's usb-hub, a
full-speed USB 1.1 hub, on EHCI port 3: the EHCI driver hands the port to
the companion (PORTSC PortOwner), the UHCI driver enumerates the hub on
uhci1 port 1 and the hub driver the stick behind it (hub port 2), which
then runs at full speed as usbhd0; its hash equals the host's."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from usb_args import ICH9_EHCI_UHCI  # noqa: E402

IMG = {}
TIMEOUT = 120


def machine_args(ctx):
    disk = ctx.make_random_disk("comp.img", 1, 8)
    IMG.update(digest=disk.sha256)
    return ["-M", "q35", "-m", "256", *ICH9_EHCI_UHCI,
            "-drive", "if=none,id=u0,file=%s,format=raw" % disk.path,
            "-device", "usb-hub,bus=usb.0,port=3,ports=4",
            "-device", "usb-storage,bus=usb.0,port=3.2,drive=u0"]


def run(vm, ctx):
    assert "ehci: ehci0: port 3: full-speed device, handed to the companion controller" \
        in vm.log
    listing = vm.cmd("usb")
    i = listing.index(next(l for l in listing if l.startswith("uhci1:")))
    assert listing[i + 1].startswith("  port 1: 0409:55aa full speed") and \
        "driver hub 4 ports" in listing[i + 1], listing
    assert listing[i + 3].startswith("    port 1.2: 46f4:0001 full speed") and \
        "usbhd0" in listing[i + 3], listing
    assert vm.cmd("dhash usbhd0 0 2048", timeout=30) == [IMG["digest"]]
