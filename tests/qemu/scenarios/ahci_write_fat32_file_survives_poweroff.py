# SPDX-License-Identifier: MIT
"""The AHCI write path end to end, on q35 booted from the test CD (which
sits on AHCI port 2 as an ATAPI drive, cd0): on a FAT32 disk made by
mkfs.fat here on port 0 (sd0), `write /sd0/1/big.bin 8388608 7`, `verify`,
`sync` (FLUSH CACHE EXT) and `poweroff`; then on the host `fsck.fat -n`
finds the file system clean and mcopy gives back exactly the xorshift32
stream of seed 7 (kernel/lib/xorshift.h)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import assert_file_is_stream, fsck_clean  # noqa: E402

SIZE = 8388608
SEED = 7
IMGS = {}
TIMEOUT = 300


def machine_args(ctx):
    img = ctx.make_fat_disk("sata.img", size_mib=64, fat=32)
    IMGS["fat"] = img
    return ["-M", "q35", "-m", "256",
            "-drive", "if=none,id=d0,file=%s,format=raw" % img.path,
            "-device", "ide-hd,drive=d0,bus=ide.0"]


def check_on_host(ctx, img):
    fsck_clean(img)
    assert_file_is_stream(img, "BIG.BIN", SIZE, SEED)


def run(vm, ctx):
    assert any(l.startswith("sd0 ") for l in vm.cmd("disks")), "no sd0"
    out = vm.cmd("write /sd0/1/big.bin %d %d" % (SIZE, SEED), timeout=120)
    assert not any(l.startswith("error") for l in out), out
    out = vm.cmd("verify /sd0/1/big.bin %d %d" % (SIZE, SEED), timeout=120)
    assert not any(l.startswith("error") for l in out), out
    out = vm.cmd("sync", timeout=60)
    assert not any(l.startswith("error") for l in out), out
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0
    check_on_host(ctx, IMGS["fat"])
