# SPDX-License-Identifier: MIT
"""The kernel's partition scan and kdisk's agree on the same images (issue #3
acceptance): images made here by sfdisk/sgdisk/mkfs.fat are handed to the
test kernel as boot-module disks (-initrd "img disk:NAME[:SECTORSIZE]"),
and `parts NAME` in the kernel must print exactly what
`kdisk -d NAME=img -c "parts NAME"` prints. Covers MBR with 13 logical
partitions (numbers 10+ reachable), GPT, 4096-byte sectors, a superfloppy
and an empty disk; `dhash` of a range must equal hashlib's."""

import hashlib
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
KERNEL = os.path.join(REPO, "build", "test", "kernel.elf")
KDISK = os.path.join(REPO, "build", "host", "kdisk")
MIB = 1024 * 1024


def sh(argv, stdin=None):
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=dict(os.environ, LC_ALL="C"))
    assert p.returncode == 0, "%s failed: %s" % (" ".join(argv), p.stderr.strip())
    return p.stdout


def blank(path, size):
    with open(path, "wb") as f:
        f.truncate(size)


def make_images(tmp):
    """{disk name: (path, sector size)} of freshly made images."""
    imgs = {}
    # MBR: 3 primaries + extended with 13 logicals.
    p = os.path.join(tmp, "mbr.img")
    blank(p, 96 * MIB)
    script = "label: dos\nlabel-id: 0x5350494e\n,4M,c\n,4M,83\n,4M,83\n,,5\n"
    script += ",4M,83\n" * 13
    sh(["sfdisk", "-q", p], stdin=script)
    imgs["hd1"] = (p, 512)
    # GPT with named partitions.
    p = os.path.join(tmp, "gpt.img")
    blank(p, 64 * MIB)
    sh(["sgdisk", "-o", "-U", "5350494E-444C-4500-8000-000000000001",
        "-n1:2048:+8M", "-t1:ef00", "-n2:0:+16M", "-t2:8300", "-c2:data",
        "-n3:0:0", "-t3:0700", p])
    imgs["hd2"] = (p, 512)
    # MBR on 4096-byte sectors (fdisk -b 4096 reads an sfdisk script).
    p = os.path.join(tmp, "mbr4k.img")
    blank(p, 64 * MIB)
    sh(["fdisk", "-b", "4096", p], stdin="o\nn\np\n1\n\n+16M\nn\np\n2\n\n\nw\n")
    imgs["hd3"] = (p, 4096)
    # Superfloppy: a FAT file system on the whole disk, no table.
    p = os.path.join(tmp, "floppy.img")
    blank(p, 1440 * 1024)
    sh(["mkfs.fat", "-i", "53504e44", "-F", "12", p])
    imgs["fd0"] = (p, 512)
    # Empty disk.
    p = os.path.join(tmp, "empty.img")
    blank(p, 8 * MIB)
    imgs["hd4"] = (p, 512)
    return imgs


IMAGES = {}


def machine_args(ctx):
    IMAGES.update(make_images(ctx.tmp))
    mods = ",".join("%s disk:%s:%d" % (path, name, ss) for name, (path, ss) in IMAGES.items())
    return ["-M", "pc", "-m", "512", "-kernel", KERNEL, "-initrd", mods]


def run(vm, ctx):
    for name, (path, ss) in sorted(IMAGES.items()):
        want = sh([KDISK, "-d", "%s=%s:%d" % (name, path, ss), "-c", "parts " + name])
        want = want.strip().splitlines()
        got = vm.cmd("parts " + name)
        assert got == want, "parts %s: kernel %r, kdisk %r" % (name, got, want)
    # Partition 16 of the MBR disk is the 13th logical: reachable, right size.
    assert any(l.startswith("16 ") for l in vm.cmd("parts hd1")), "no partition 16 on hd1"
    # Raw data: a range of the GPT disk (entry array) hashes like hashlib's.
    path, _ = IMAGES["hd2"]
    with open(path, "rb") as f:
        f.seek(1 * 512)
        want = hashlib.sha256(f.read(33 * 512)).hexdigest()
    assert vm.cmd("dhash hd2 1 33") == [want], "dhash hd2 1 33 differs"
