# SPDX-License-Identifier: MIT
"""The IDE write path end to end: on a FAT32 disk made by mkfs.fat here,
`write /hd0/1/big.bin 8388608 7`, `sync` and `poweroff`; then on the host
`fsck.fat -n` finds the file system clean and mcopy gives back exactly the
xorshift32 stream of seed 7 (kernel/lib/xorshift.h, images.xorshift32_stream).
The same run with the disk as slave of the secondary channel, in PIO mode,
checks the PIO write protocol."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import assert_file_is_stream, fsck_clean  # noqa: E402

SIZE = 8388608
SEED = 7


IMGS = {}
TIMEOUT = 300


def machine_args(ctx):
    dma = ctx.make_fat_disk("dma.img", size_mib=64, fat=32)
    pio = ctx.make_fat_disk("pio.img", size_mib=64, fat=32)
    IMGS.update(dma=dma, pio=pio)
    return ["-M", "pc", "-m", "256", "-drive", dma.qemu_drive(index=0)]


def write_and_poweroff(vm, disk):
    out = vm.cmd("write /%s/1/big.bin %d %d" % (disk, SIZE, SEED), timeout=120)
    assert not any(l.startswith("error") for l in out), out
    out = vm.cmd("verify /%s/1/big.bin %d %d" % (disk, SIZE, SEED), timeout=120)
    assert not any(l.startswith("error") for l in out), out
    out = vm.cmd("sync", timeout=60)
    assert not any(l.startswith("error") for l in out), out
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0


def check_on_host(ctx, img):
    fsck_clean(img)
    assert_file_is_stream(img, "BIG.BIN", SIZE, SEED)


def run(vm, ctx):
    write_and_poweroff(vm, "hd0")
    check_on_host(ctx, IMGS["dma"])
    vm2 = ctx.machine(["-M", "pc", "-m", "256", "-kernel", os.path.join(ctx.build, "kernel.elf"),
                       "-append", "ata=pio", "-drive", IMGS["pio"].qemu_drive(index=3)])
    vm2.wait_prompt(60)
    assert any("mode PIO" in l for l in vm2.cmd("ata"))
    write_and_poweroff(vm2, "hd3")
    check_on_host(ctx, IMGS["pio"])
