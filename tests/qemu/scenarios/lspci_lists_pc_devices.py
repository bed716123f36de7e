# SPDX-License-Identifier: MIT
"""`lspci` on the pc (i440FX/PIIX3) machine lists the chipset functions and
every device added with -device, by vendor:device id (from pci_ids)."""

import pci_ids

MACHINE = ["-M", "pc", "-m", "256",
           "-device", "e1000", "-device", "ich9-ahci",
           "-device", "qemu-xhci", "-device", "usb-ehci"]


def run(vm, ctx):
    pci_ids.check_lspci(vm, MACHINE)
