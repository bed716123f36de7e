# SPDX-License-Identifier: MIT
"""A full-speed QEMU usb-hub on QEMU's xHCI controller (it lands on a USB 2
root port) with a stick on hub port 2 at boot: the hub's slot is marked a
hub (Configure Endpoint, Hub=1, Number of Ports), the stick's slot is
addressed by root port + route string, and `usb` shows the tree with the
stick as usbhd0. A file put on the FAT16 image by mtools reads back with
the host's sha256; a file written, verified and synced survives (mcopy
bytes equal, fsck.fat -n clean). QMP device_add of a second stick on hub
port 3 brings usbhd1 (hash of its raw image equals the host's), device_del
of it deletes usbhd1, and device_del of the hub with usbhd0 behind it
unplugs both cleanly while the shell keeps working. The procedure is
usb_hub_common.HubCase.run."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from usb_hub_common import HubCase  # noqa: E402

CASE = HubCase(hcd="xhci0", controller=["-device", "qemu-xhci,id=xhci"], bus="xhci.0",
               hub_props="", hub_ports=8, root_port=None, empty_at_boot=("8",), prefix="xhub",
               fat=16, size_mib=16, data_name="DIR/DATA.BIN", data_seed=10, data_len=70000,
               raw_seed=5, write_size=262144, write_seed=23)
TIMEOUT = 120


def machine_args(ctx):
    return CASE.machine_args(ctx)


def run(vm, ctx):
    CASE.run(vm, ctx)
