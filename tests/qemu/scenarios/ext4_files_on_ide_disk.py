# SPDX-License-Identifier: MIT
"""An MBR-partitioned IDE disk made here (sfdisk, one Linux partition from
sector 2048) whose partition holds ext4 written by mkfs.ext4 -E offset=...
-d from a source tree: files in the root, in nested folders, a 3 MiB file,
a sparse file, a 2000-entry folder and a symbolic link. `ls` must list
exactly the names put in, `hash /hd0/1/...` must equal hashlib's sha256 of
each file (the link reads as its target), `df` names the partition ext4,
and writing is refused with KolibriOS code 10 (read-only file system)."""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fs_check import check_read_only_volume, tree_files  # noqa: E402
from images import SECTOR, make_mbr_disk, run_tool, write_tree  # noqa: E402

START_LBA = 2048
SIZE_MIB = 64
FILES = {}          # path inside the volume -> bytes
LINKS = {"link-to-hello": "hello.txt"}


def make_disk(tmp):
    files = tree_files(random.Random(4242), b"hello from ext4\n", 2000)
    src = os.path.join(tmp, "extsrc")
    write_tree(src, files)
    for name, target in LINKS.items():
        os.symlink(target, os.path.join(src, name))
    img = make_mbr_disk(os.path.join(tmp, "ext4disk.img"), SIZE_MIB, "83", "0x5e1f0e54",
                        start_lba=START_LBA)
    run_tool(["mkfs.ext4", "-q", "-F", "-L", "spindle-ext4",
              "-U", "0b1e5c2a-1234-4cde-8f00-0123456789ab",
              "-E", "offset=%d" % (START_LBA * SECTOR), "-d", src, img.path,
              "%dk" % (img.part_sectors * SECTOR // 1024)],
             env={"LC_ALL": "C.UTF-8", "TZ": "UTC", "E2FSPROGS_FAKE_TIME": "1704067200"})
    FILES.update(files)
    for name, target in LINKS.items():
        FILES[name] = files[target]
    return img


def machine_args(ctx):
    return ["-M", "pc", "-m", "256", "-drive", make_disk(ctx.tmp).qemu_drive(index=0)]


TIMEOUT = 300


def run(vm, ctx):
    vm.wait_disk("hd0", r"hd0 .*partitions=1")
    check_read_only_volume(vm, "/hd0/1", "ext4", FILES, "ext: hd0/1: mounted ext4 read-only",
                           extra_root={"d 0 lost+found"})
