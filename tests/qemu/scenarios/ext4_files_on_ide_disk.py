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
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fs_check import check_hashes, check_listings, check_write_refused  # noqa: E402

SECTOR = 512
START_LBA = 2048
SIZE_MIB = 64
FILES = {}          # path inside the volume -> bytes
LINKS = {"link-to-hello": "hello.txt"}
DISK = {}


def tool(argv, stdin=None):
    env = dict(os.environ, LC_ALL="C.UTF-8", TZ="UTC", E2FSPROGS_FAKE_TIME="1704067200",
               PATH=os.environ.get("PATH", "") + ":/sbin:/usr/sbin")
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env)
    return p.returncode, p.stderr.decode(errors="replace")


def make_disk(tmp):
    rnd = random.Random(4242)
    files = {
        "hello.txt": b"hello from ext4\n",
        "empty.dat": b"",
        "Sub Dir/nested/Ünïcödé – ✓.txt": rnd.randbytes(4321),
        "Sub Dir/big.bin": rnd.randbytes(3 * 1024 * 1024 + 5),
        "sparse.bin": rnd.randbytes(4096) + bytes(6 * 1024 * 1024) + rnd.randbytes(100),
    }
    for i in range(2000):
        files["many/entry %04d.txt" % i] = b"%d\n" % i
    src = os.path.join(tmp, "extsrc")
    for rel, data in files.items():
        path = os.path.join(src, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    for name, target in LINKS.items():
        os.symlink(target, os.path.join(src, name))
    img = os.path.join(tmp, "ext4disk.img")
    with open(img, "wb") as f:
        f.truncate(SIZE_MIB * 1024 * 1024)
    rc, err = tool(["sfdisk", "-q", img],
                   stdin=b"label: dos\nlabel-id: 0x5e1f0e54\nstart=%d, type=83\n" % START_LBA)
    assert rc == 0, "sfdisk: %s" % err
    part_kib = (SIZE_MIB * 1024 * 1024 - START_LBA * SECTOR) // 1024
    rc, err = tool(["mkfs.ext4", "-q", "-F", "-L", "spindle-ext4",
                    "-U", "0b1e5c2a-1234-4cde-8f00-0123456789ab",
                    "-E", "offset=%d" % (START_LBA * SECTOR), "-d", src, img, "%dk" % part_kib])
    assert rc == 0, "mkfs.ext4: %s" % err
    FILES.update(files)
    for name, target in LINKS.items():
        FILES[name] = files[target]
    DISK["path"] = img


def machine_args(ctx):
    make_disk(ctx.tmp)
    return ["-M", "pc", "-m", "256", "-drive", "file=%s,format=raw,if=ide,index=0" % DISK["path"]]


TIMEOUT = 300


def run(vm, ctx):
    vm.wait_disk("hd0", r"hd0 .*partitions=1")
    check_listings(vm, "/hd0/1", FILES, ("", "Sub Dir", "Sub Dir/nested", "many"),
                   extra_root={"d 0 lost+found"}, timeout=60)
    assert "ext: hd0/1: mounted ext4 read-only" in vm.log, "no mount line in the log"
    check_hashes(vm, "/hd0/1", {rel: data for rel, data in FILES.items()
                                if not rel.startswith("many/")
                                or rel.endswith(("0000.txt", "1999.txt"))})
    out = vm.cmd("df")
    assert any(ln.startswith("/hd0/1 ext4 size=") for ln in out), "df: %r" % out
    check_write_refused(vm, "/hd0/1")
    out = vm.cmd("mkdir /hd0/1/newdir")
    assert len(out) == 1 and out[0].startswith("error: 10"), "mkdir: %r" % out
