# SPDX-License-Identifier: MIT
"""`lspci` on the pc (i440FX/PIIX3) machine lists the chipset functions and
every device added with -device, by vendor:device id (from pci_ids)."""

import pci_ids

MACHINE = ["-M", "pc", "-m", "256",
           "-device", "e1000", "-device", "ich9-ahci",
           "-device", "qemu-xhci", "-device", "usb-ehci"]


def run(vm, ctx):
    lines = vm.cmd("lspci", timeout=30)
    text = "\n".join(lines).lower()
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert not errors, "lspci failed: %s" % errors[0]
    missing = ["%s (%s)" % (vid, why) for vid, why in sorted(pci_ids.expected_pci_ids(MACHINE).items())
               if vid not in text]
    assert not missing, "lspci lacks %s; it printed %d lines: %s" % (
        ", ".join(missing), len(lines), " | ".join(lines[:20]))
