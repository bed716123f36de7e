# SPDX-License-Identifier: MIT
"""PCI vendor:device ids that QEMU gives its devices, for scenarios that check
`lspci` against the QEMU command line: expected_pci_ids(args) lists the ids of
the machine's chipset functions plus one per `-device X` whose X is known.
Ids are from QEMU's device models (hw/pci/pci_ids.h, hw/*); lower-case hex.
"""

# -device driver name -> "vendor:device"
DEVICE_IDS = {
    "e1000": "8086:100e",
    "e1000e": "8086:10d3",
    "ich9-ahci": "8086:2922",
    "piix3-ide": "8086:7010",
    "piix4-ide": "8086:7111",
    "qemu-xhci": "1b36:000d",
    "nec-usb-xhci": "1033:0194",
    "usb-ehci": "8086:24cd",
    "ich9-usb-ehci1": "8086:293a",
    "ich9-usb-uhci1": "8086:2934",
    "piix3-usb-uhci": "8086:7020",
    "pci-ohci": "106b:003f",
    "virtio-blk-pci": "1af4:1001",
    "rtl8139": "10ec:8139",
}

# Functions every machine of a type has, whatever the command line says.
CHIPSET_IDS = {
    "pc": {
        "8086:1237": "i440FX host bridge",
        "8086:7000": "PIIX3 ISA bridge",
        "8086:7010": "PIIX3 IDE",
        "8086:7113": "PIIX4 ACPI",
    },
    "q35": {
        "8086:29c0": "Q35 host bridge",
        "8086:2918": "ICH9 LPC bridge",
        "8086:2922": "ICH9 AHCI (SATA)",
        "8086:2930": "ICH9 SMBus",
    },
}


def machine_type(args):
    """"pc" or "q35" from -M/-machine (default pc); versioned names map to the family."""
    for i, a in enumerate(args[:-1]):
        if a in ("-M", "-machine"):
            name = args[i + 1].split(",")[0]
            if name.startswith(("q35", "pc-q35")):
                return "q35"
            return "pc"
    return "pc"


def devices(args):
    """Driver names of every -device in args."""
    return [args[i + 1].split(",")[0] for i, a in enumerate(args[:-1]) if a == "-device"]


def expected_pci_ids(args):
    """{"vvvv:dddd": why} expected in lspci for this command line."""
    out = dict(CHIPSET_IDS[machine_type(args)])
    for d in devices(args):
        if d in DEVICE_IDS:
            out.setdefault(DEVICE_IDS[d], "-device " + d)
    return out


def check_lspci(vm, machine):
    """Run `lspci` and assert that every id expected for `machine` is listed."""
    lines = vm.cmd("lspci", timeout=30)
    text = "\n".join(lines).lower()
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert not errors, "lspci failed: %s" % errors[0]
    missing = ["%s (%s)" % (vid, why) for vid, why in sorted(expected_pci_ids(machine).items())
               if vid not in text]
    assert not missing, "lspci lacks %s; it printed %d lines: %s" % (
        ", ".join(missing), len(lines), " | ".join(lines[:20]))
