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
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "images"))
from fs_check import check_hashes, check_listings, check_write_refused  # noqa: E402

SECTOR = 512
START_LBA = 2048
SIZE_MIB = 64
FILES = {}          # path inside the volume -> bytes
DISK = {}


def tool(argv, stdin=None):
    env = dict(os.environ, LC_ALL="C.UTF-8", TZ="UTC",
               PATH=os.environ.get("PATH", "") + ":/sbin:/usr/sbin")
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env)
    return p.returncode, p.stderr.decode(errors="replace")


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
    rc, err = tool(["ntfscp", "-q", part, src, "/hello.txt"])
    assert rc == 0, "ntfscp: %s" % err


def make_disk(tmp):
    rnd = random.Random(4343)
    files = {
        "hello.txt": b"hello from ntfs\n",
        "empty.dat": b"",
        "Sub Dir/nested/Ünïcödé – ✓.txt": rnd.randbytes(4321),
        "Sub Dir/big.bin": rnd.randbytes(3 * 1024 * 1024 + 5),
        "sparse.bin": rnd.randbytes(4096) + bytes(6 * 1024 * 1024) + rnd.randbytes(100),
    }
    for i in range(300):
        files["many/entry %04d.txt" % i] = b"%d\n" % i
    part_bytes = SIZE_MIB * 1024 * 1024 - START_LBA * SECTOR
    part = os.path.join(tmp, "ntfspart.img")
    with open(part, "wb") as f:
        f.truncate(part_bytes)
    rc, err = tool(["mkntfs", "-F", "-Q", "-s", "512", "-c", "4096", "-p", str(START_LBA),
                    "-H", "255", "-S", "63", "-L", "spindle-ntfs", part])
    assert rc == 0, "mkntfs: %s" % err
    fill(part, tmp, files)
    img = os.path.join(tmp, "ntfsdisk.img")
    with open(img, "wb") as f:
        f.truncate(SIZE_MIB * 1024 * 1024)
    rc, err = tool(["sfdisk", "-q", img],
                   stdin=b"label: dos\nlabel-id: 0x5e1f0e55\nstart=%d, type=7\n" % START_LBA)
    assert rc == 0, "sfdisk: %s" % err
    with open(part, "rb") as src, open(img, "r+b") as dst:
        dst.seek(START_LBA * SECTOR)
        dst.write(src.read())
    FILES.update(files)
    DISK["path"] = img


def machine_args(ctx):
    make_disk(ctx.tmp)
    return ["-M", "pc", "-m", "256", "-drive", "file=%s,format=raw,if=ide,index=0" % DISK["path"]]


TIMEOUT = 300


def run(vm, ctx):
    vm.wait_disk("hd0", r"hd0 .*partitions=1")
    check_listings(vm, "/hd0/1", FILES, ("", "Sub Dir", "Sub Dir/nested", "many"), timeout=60)
    assert "ntfs: hd0/1: mounted NTFS 3.1 read-only" in vm.log, "no mount line in the log"
    check_hashes(vm, "/hd0/1", {rel: data for rel, data in FILES.items()
                                if not rel.startswith("many/")
                                or rel.endswith(("0000.txt", "0299.txt"))})
    out = vm.cmd("df")
    assert any(ln.startswith("/hd0/1 ntfs size=") for ln in out), "df: %r" % out
    check_write_refused(vm, "/hd0/1")
    out = vm.cmd("mkdir /hd0/1/newdir")
    assert len(out) == 1 and out[0].startswith("error: 10"), "mkdir: %r" % out
