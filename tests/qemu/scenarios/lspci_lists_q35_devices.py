# SPDX-License-Identifier: MIT
"""`lspci` on the q35 (ICH9) machine lists the chipset functions and
every device added with -device, by vendor:device id (from pci_ids)."""

import pci_ids

MACHINE = ["-M", "q35", "-m", "256",
           "-device", "e1000", "-device", "piix3-ide",
           "-device", "qemu-xhci", "-device", "usb-ehci"]


def run(vm, ctx):
    pci_ids.check_lspci(vm, MACHINE)
