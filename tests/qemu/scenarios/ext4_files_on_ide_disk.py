# SPDX-License-Identifier: MIT
"""An MBR-partitioned IDE disk made here (sfdisk, one Linux partition from
sector 2048) whose partition holds ext4 written by mkfs.ext4 -E offset=...
-d from a source tree: files in the root, in nested folders, a 3 MiB file,
a sparse file, a 2000-entry folder and a symbolic link. `ls` must list
exactly the names put in, `hash /hd0/1/...` must equal hashlib's sha256 of
each file (the link reads as its target), `df` names the partition ext4,
and writing is refused with KolibriOS code 10 (read-only file system)."""

import hashlib
import os
import random
import subprocess

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


def children(folder):
    """Names directly inside `folder` ("" = root), as ls prints them."""
    out = set()
    depth = 0 if not folder else len(folder.split("/"))
    for rel, data in FILES.items():
        parts = rel.split("/")
        if folder and parts[:depth] != folder.split("/"):
            continue
        rest = parts[depth:]
        if len(rest) == 1:
            out.add("f %d %s" % (len(data), rest[0]))
        else:
            out.add("d 0 %s" % rest[0])
    if not folder:
        out.add("d 0 lost+found")
    return out


def ucmd(vm, text, timeout=10):
    """vm.cmd with the output read as UTF-8 (the runner decodes Latin-1) and
    the echo of a non-ASCII command dropped."""
    lines = [ln.encode("latin-1").decode("utf-8", "replace")
             for ln in vm.cmd(text, timeout=timeout)]
    if lines and lines[0].endswith(text):
        lines = lines[1:]
    return lines


def run(vm, ctx):
    vm.wait_disk("hd0", r"hd0 .*partitions=1")
    for folder in ("", "Sub Dir", "Sub Dir/nested", "many"):
        got = ucmd(vm, "ls '/hd0/1/%s'" % folder, timeout=60)
        want = children(folder)
        assert set(got) == want and len(got) == len(want), \
            "ls %r: got %d %r, want %d" % (folder, len(got), sorted(got)[:5], len(want))
    assert "ext: hd0/1: mounted ext4 read-only" in vm.log, "no mount line in the log"
    for rel, data in sorted(FILES.items()):
        if rel.startswith("many/") and not rel.endswith(("0000.txt", "1999.txt")):
            continue
        out = ucmd(vm, "hash '/hd0/1/%s'" % rel, timeout=60)
        want = "%s %d /hd0/1/%s" % (hashlib.sha256(data).hexdigest(), len(data), rel)
        assert out == [want], "hash %s: got %r, want %r" % (rel, out, want)
    out = vm.cmd("df")
    assert any(ln.startswith("/hd0/1 ext4 size=") for ln in out), "df: %r" % out
    out = vm.cmd("write /hd0/1/new.txt 10 1")
    assert out == ["error: 10 access denied"], "write: %r" % out
    out = vm.cmd("mkdir /hd0/1/newdir")
    assert len(out) == 1 and out[0].startswith("error: 10"), "mkdir: %r" % out
