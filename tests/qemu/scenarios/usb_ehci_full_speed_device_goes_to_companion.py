# SPDX-License-Identifier: MIT
"""ICH9 USB on q35: one EHCI controller with three UHCI companions. The
EHCI driver keeps the high-speed stick (usbhd0, hash equals the host's) and
hands the full-speed tablet on its port 3 to the companion (PORTSC
PortOwner), where the UHCI driver (registered after EHCI) enumerates it on
uhci1 port 1: vid:pid, full speed, product string, no class driver."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from usb_args import ICH9_EHCI_UHCI  # noqa: E402

IMG = {}
TIMEOUT = 240


def machine_args(ctx):
    disk = ctx.make_random_disk("hs.img", 4, 7)
    IMG.update(path=disk.path, digest=disk.sha256)
    return ["-M", "q35", "-m", "256", *ICH9_EHCI_UHCI,
            "-drive", "if=none,id=u0,file=%s,format=raw" % disk.path,
            "-device", "usb-storage,bus=usb.0,port=1,drive=u0",
            "-device", "usb-wacom-tablet,bus=usb.0,port=3"]


def run(vm, ctx):
    log = vm.log
    assert "ehci: ehci0: port 3: full-speed device, handed to the companion controller" in log
    listing = vm.cmd("usb")
    text = "\n".join(listing)
    assert "ehci0: EHCI 1.00 at 00:1d.7, 6 ports, IRQ" in text, listing
    assert any(l.startswith("  port 1: 46f4:0001 high speed") and "usbhd0" in l
               for l in listing), listing
    i = listing.index(next(l for l in listing if l.startswith("uhci1:")))
    assert listing[i + 1].startswith("  port 1: 056a:0000 full speed") and \
        "driver none" in listing[i + 1] and "Wacom" in listing[i + 1], listing
    out = vm.cmd("dhash usbhd0 0 %d" % (4 << 11), timeout=60)
    assert out == [IMG["digest"]], out
