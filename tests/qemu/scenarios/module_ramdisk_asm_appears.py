# SPDX-License-Identifier: MIT
"""The assembly example module (drivers/ramdisk_asm) is linked at boot and
registers asmrd0: 8192 sectors of 512 bytes, media present, writable. Its
content is the documented pattern - the disk is an array of 32-bit
little-endian words and word j holds j - so `dhash` must equal the sha256
computed here, for the first sectors, a range in the middle, the last
sectors and the whole disk. This proves the loader's relocations and the
stdcall ABI from assembly (a wrong `ret N` would crash long before)."""

import hashlib
import re
import struct

MACHINE = ["-M", "pc", "-m", "256"]
SECTORS = 8192
WORDS_PER_SECTOR = 512 // 4


def expected_sha256(lba, count):
    first = lba * WORDS_PER_SECTOR
    words = range(first, first + count * WORDS_PER_SECTOR)
    return hashlib.sha256(struct.pack("<%dI" % len(words), *words)).hexdigest()


def run(vm, ctx):
    assert re.search(r"module: ramdisk_asm: loaded \(\d+ bytes", vm.log), \
        "no 'module: ramdisk_asm: loaded' line in the boot log"

    mods = vm.cmd("modules")
    assert any(re.fullmatch(r"ramdisk_asm size=\d+ status=loaded", ln) for ln in mods), \
        "modules does not list ramdisk_asm as loaded: %r" % mods

    disks = [ln for ln in vm.cmd("disks") if ln.startswith("asmrd0 ")]
    assert len(disks) == 1, "disks lists asmrd0 %d times" % len(disks)
    want = r"asmrd0 sectors=%d sector_size=512 media=yes ro=no partitions=\d+" % SECTORS
    assert re.fullmatch(want, disks[0]), "disks line %r does not match %r" % (disks[0], want)

    for lba, count in ((0, 1), (0, 64), (4000, 100), (SECTORS - 16, 16), (0, SECTORS)):
        out = vm.cmd("dhash asmrd0 %d %d" % (lba, count), timeout=60)
        want = expected_sha256(lba, count)
        assert out == [want], "dhash asmrd0 %d %d: got %r, want %s" % (lba, count, out, want)
