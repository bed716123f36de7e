# SPDX-License-Identifier: MIT
"""An MBR-partitioned IDE disk made here (sfdisk, one NTFS partition, type
7, from sector 2048) whose partition is formatted by mkntfs on a separate
file (-p 2048 -H 255 -S 63, as for a real disk) and filled without
mounting: ntfscp copies hello.txt, libntfs-3g (tests/images/ntfs_tree.py's
Volume) makes the folders and the other files: nested folders, a 3 MiB
file, a sparse file, a 300-entry folder (INDX blocks) and a non-ASCII
name; then the partition is copied in at its offset. `ls` must list
exactly the names put in (the metafiles stay hidden), `hash /hd0/1/...`
must equal hashlib's sha256 of each file, `df` names the partition ntfs,
and writing is refused with KolibriOS code 10 (read-only file system)."""

import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "images"))
from fs_check import check_read_only_volume, tree_files  # noqa: E402
from images import SECTOR, make_mbr_disk, partition_load, run_tool  # noqa: E402

START_LBA = 2048
SIZE_MIB = 64
FILES = {}          # path inside the volume -> bytes
UTF8 = {"LC_ALL": "C.UTF-8", "TZ": "UTC"}


def fill(part, tmp, files):
    sys.dont_write_bytecode = True  # nothing written into tests/images/
    import ntfs_tree  # libntfs-3g through ctypes
    v = ntfs_tree.Volume(part)
    for rel in sorted(files):
        parts = rel.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in v.dirs:
                v.mkdir(d)
    for rel, data in sorted(files.items()):
        if rel == "hello.txt":
            continue
        if rel == "sparse.bin":
            ni = v.create(rel)
            assert v.write(ni, 0, data[:4096]) == 4096
            assert v.write(ni, len(data) - 100, data[-100:]) == 100
        else:
            v.file(rel, data)
    v.close()
    src = os.path.join(tmp, "hello.txt")
    with open(src, "wb") as f:
        f.write(files["hello.txt"])
    run_tool(["ntfscp", "-q", part, src, "/hello.txt"], env=UTF8)


def make_disk(tmp):
    files = tree_files(random.Random(4343), b"hello from ntfs\n", 300)
    img = make_mbr_disk(os.path.join(tmp, "ntfsdisk.img"), SIZE_MIB, "7", "0x5e1f0e55",
                        start_lba=START_LBA)
    part = os.path.join(tmp, "ntfspart.img")
    with open(part, "wb") as f:
        f.truncate(img.part_sectors * SECTOR)
    run_tool(["mkntfs", "-F", "-Q", "-s", "512", "-c", "4096", "-p", str(START_LBA),
              "-H", "255", "-S", "63", "-L", "spindle-ntfs", part], env=UTF8)
    fill(part, tmp, files)
    partition_load(img, part)
    FILES.update(files)
    return img


def machine_args(ctx):
    return ["-M", "pc", "-m", "256", "-drive", make_disk(ctx.tmp).qemu_drive(index=0)]


TIMEOUT = 300


def run(vm, ctx):
    vm.wait_disk("hd0", r"hd0 .*partitions=1")
    check_read_only_volume(vm, "/hd0/1", "ntfs", FILES, "ntfs: hd0/1: mounted NTFS 3.1 read-only")
