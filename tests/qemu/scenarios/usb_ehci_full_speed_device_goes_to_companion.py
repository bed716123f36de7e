# SPDX-License-Identifier: MIT
"""ICH9 USB on q35: one EHCI controller with three UHCI companions. The
EHCI driver keeps the high-speed stick (usbhd0, hash equals the host's) and
hands the full-speed tablet on its port 3 to the companion (PORTSC
PortOwner), where the UHCI driver (registered after EHCI) enumerates it on
uhci1 port 1: vid:pid, full speed, product string, no class driver."""

import hashlib
import random

IMG = {}
TIMEOUT = 240


def machine_args(ctx):
    path = ctx.path("hs.img")
    data = bytearray(random.Random(7).randbytes(4 << 20))
    data[510:512] = b"\0\0"
    with open(path, "wb") as f:
        f.write(data)
    IMG.update(path=path, digest=hashlib.sha256(data).hexdigest())
    return ["-M", "q35", "-m", "256",
            "-device", "ich9-usb-ehci1,id=usb,addr=1d.7,multifunction=on",
            "-device", "ich9-usb-uhci1,masterbus=usb.0,firstport=0,addr=1d.0,multifunction=on",
            "-device", "ich9-usb-uhci2,masterbus=usb.0,firstport=2,addr=1d.1,multifunction=on",
            "-device", "ich9-usb-uhci3,masterbus=usb.0,firstport=4,addr=1d.2,multifunction=on",
            "-drive", "if=none,id=u0,file=%s,format=raw" % path,
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
