# SPDX-License-Identifier: MIT
"""The disk set `make run` boots with: a fresh copy of it is built here by
tools/mkdisks.sh (never build/disks) and attached with the very arguments
`make run` uses (tools/default-disks.args). The AHCI disk's FAT16, ext4 and
NTFS partitions and the USB stick behind the hub are listed and read; then
`write /hd0/1/BIG.BIN 8388608 SEED`, `sync`, `poweroff`; on the host
fsck.fat -n finds the FAT32 volume clean, mcopy gives back exactly the xorshift32 stream of
SEED, and the files mkdisks.sh put there read back unchanged (mtype against a
copy of the image taken before the boot)."""

import hashlib
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from images import DiskImage, assert_file_is_stream, fsck_clean  # noqa: E402

SIZE = 8388608
SEED = 12345
# tools/mkdisks.sh: 64 MiB, one FAT32 partition from LBA 2048 to the end.
DISK_MIB = 64
PART_START_LBA = 2048
OLD_FILES = ["README.TXT", "HELLO.TXT", "DOCS/NOTES.TXT"]
TIMEOUT = 300
IMGS = {}


def default_disk_args(repo, disks):
    """tools/default-disks.args with @DISKS@ replaced, as tools/run-qemu.sh does."""
    args = []
    with open(os.path.join(repo, "tools", "default-disks.args")) as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                args.append(line.replace("@DISKS@", disks))
    return args


def machine_args(ctx):
    disks = ctx.path("disks")
    shutil.rmtree(disks, ignore_errors=True)   # mkdisks.sh keeps an existing image
    ctx.run_tool([os.path.join(ctx.repo, "tools", "mkdisks.sh"), disks])
    hd0 = os.path.join(disks, "hd0.img")
    shutil.copyfile(hd0, ctx.path("hd0.orig.img"))
    total = DISK_MIB * 2048
    IMGS["hd0"] = DiskImage(hd0, DISK_MIB << 20, PART_START_LBA, total - PART_START_LBA)
    IMGS["orig"] = DiskImage(ctx.path("hd0.orig.img"), DISK_MIB << 20, PART_START_LBA,
                             total - PART_START_LBA)
    # The same machine and devices as tools/run-qemu.sh; the runner adds the test CD-ROM.
    return ["-M", "pc", "-m", "256"] + default_disk_args(ctx.repo, disks)


def run(vm, ctx):
    # 1. The other disks of the set are there and readable: AHCI GPT with FAT16,
    #    ext4 and NTFS, the USB stick behind the xHCI hub.
    vm.wait_disk("usbhd0", r"usbhd0 sectors=65536 sector_size=512 media=yes")
    assert "f 84 README.TXT" in vm.cmd("ls /sd0/1/")
    assert "f 62 README.TXT" in vm.cmd("ls /sd0/3/")
    assert "f 63 README.TXT" in vm.cmd("ls /usbhd0/1/")
    want = "%s 23 /sd0/2/hello.txt" % hashlib.sha256(b"hello from ext4 on sd0\n").hexdigest()
    assert vm.cmd("hash /sd0/2/hello.txt") == [want]
    # 2. The write path on hd0.
    out = vm.cmd("write /hd0/1/BIG.BIN %d %d" % (SIZE, SEED), timeout=180)
    assert not any(l.startswith("error") for l in out), out
    out = vm.cmd("sync", timeout=60)
    assert not any(l.startswith("error") for l in out), out
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0

    img, orig = IMGS["hd0"], IMGS["orig"]
    fsck_clean(img)
    assert_file_is_stream(img, "BIG.BIN", SIZE, SEED)
    for name in OLD_FILES:
        after = ctx.run_tool(["mtype", "-i", img.mtools_target, "::/" + name])
        before = ctx.run_tool(["mtype", "-i", orig.mtools_target, "::/" + name])
        assert after and after == before, "%s changed: %r vs %r" % (name, after, before)
