#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds for tests/fuzz/fuzz_usb.c, written into the folder given as the
only argument: descriptors as QEMU's usb-storage and a composite
keyboard+storage device send them (USB 2.0 §9.6), a string descriptor,
INQUIRY / READ CAPACITY / sense replies (SPC-4, SBC-3), and tag + length +
CSW records (BOT 1.0 §5.2) for passed, failed and phase-error commands.
Called by make-corpus.sh; everything here is built from the specs' field
layouts, nothing is captured."""

import os
import struct
import sys


def dev_desc(vid, pid, mps=64, iprod=2):
    return struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, mps, vid, pid, 0, 1, iprod,
                       3, 1)


def cfg(body, nif):
    total = 9 + len(body)
    return struct.pack("<BBHBBBBB", 9, 2, total, nif, 1, 0, 0xC0, 50) + body


def iface(num, cls, sub, proto, neps, alt=0):
    return struct.pack("<BBBBBBBBB", 9, 4, num, alt, neps, cls, sub, proto, 0)


def ep(addr, attr, mps, interval=0):
    return struct.pack("<BBBBHB", 7, 5, addr, attr, mps, interval)


def string(text):
    raw = text.encode("utf-16-le")
    return bytes([2 + len(raw), 3]) + raw


def csw(tag, requested, residue, status):
    return struct.pack("<II", tag, requested) + struct.pack("<IIIB", 0x53425355, tag, residue,
                                                           status)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    storage = iface(0, 8, 6, 0x50, 2) + ep(0x81, 2, 512) + ep(0x02, 2, 512)
    hid = (iface(1, 3, 1, 1, 1) + bytes([9, 0x21, 0x11, 0x01, 0, 1, 0x22, 63, 0])
           + ep(0x83, 3, 8, 10))
    iad = bytes([8, 0x0B, 0, 1, 8, 6, 0x50, 0])
    seeds = {
        "dev-qemu-storage": dev_desc(0x46F4, 0x0001),
        "dev-fullspeed-8": dev_desc(0x0781, 0x5567, mps=8),
        "cfg-storage": cfg(storage, 1),
        "cfg-composite": cfg(iad + storage + hid + iface(0, 8, 6, 0x50, 1, alt=1)
                             + ep(0x84, 2, 512), 2),
        "string-product": string("QEMU USB HARDDRIVE"),
        "inquiry": bytes([0, 0x80, 5, 2, 31, 0, 0, 0]) + b"QEMU    " + b"QEMU HARDDISK   "
                   + b"2.5+",
        "capacity10": struct.pack(">II", 65535, 512),
        "capacity16": struct.pack(">QI", 0x1FFFFFFFF, 4096) + bytes(20),
        "sense-fixed": bytes([0x70, 0, 2, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x3A, 0, 0, 0, 0, 0]),
        "sense-desc": bytes([0x72, 5, 0x21, 0, 0, 0, 0, 0]),
        "csw-passed": csw(0x1234, 4096, 0, 0),
        "csw-failed": csw(7, 512, 512, 1),
        "csw-phase": csw(9, 0, 0xFFFFFFFF, 2),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
