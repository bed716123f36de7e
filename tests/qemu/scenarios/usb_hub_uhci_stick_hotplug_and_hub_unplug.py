# SPDX-License-Identifier: MIT
"""A full-speed QEMU usb-hub on port 1 of the PIIX3 UHCI controller with a
stick on hub port 2 at boot: the hub driver reads the hub descriptor,
powers the 4 ports and enumerates the stick through the hub (`usb` shows
the tree: port 1 hub, port 1.2 the stick as usbhd0). A file put on the
FAT12 image by mtools reads back with the host's sha256; a file written,
verified and synced survives (mcopy bytes equal, fsck.fat -n clean). QMP
device_add of a second stick on hub port 3 brings usbhd1 (hash of a raw
image equals the host's); device_del of it deletes usbhd1; device_del of
the hub with usbhd0 behind it unplugs both cleanly (DiskDel, "closed") and
the shell keeps working. The procedure is usb_hub_common.HubCase.run."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from usb_hub_common import HubCase  # noqa: E402

CASE = HubCase(hcd="uhci0", controller=["-usb"], bus="usb-bus.0", hub_props=",ports=4",
               hub_ports=4, root_port="1", empty_at_boot=("1", "3"), prefix="hub", fat=12,
               size_mib=4, data_name="DATA.BIN", data_seed=9, data_len=40000, raw_seed=4,
               write_size=131072, write_seed=21)
TIMEOUT = 120


def machine_args(ctx):
    return CASE.machine_args(ctx)


def run(vm, ctx):
    CASE.run(vm, ctx)
