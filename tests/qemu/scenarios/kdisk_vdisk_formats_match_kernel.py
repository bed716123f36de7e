# SPDX-License-Identifier: MIT
"""kdisk opens image formats by content and agrees with the kernel and with
qemu-img (issue #7, host side). From one raw disk (MBR + FAT16 with known
files, made by sfdisk/mkfs.fat/mcopy) qemu-img makes vdi, vpc (VHD), vmdk
and qcow2 (compressed) images. On the host: `kdisk -d x=IMG ls /x/1/` lists
the files, `hash` equals hashlib's, and `kdisk convert IMG OUT FORMAT` gives
a disk whose `qemu-img convert -O raw` sha256 equals the source's (raw,
vdi, vhd, vmdk, qcow2 outputs; `qemu-img check` clean where it can check).
In the kernel: the same images on a FAT32 RAM boot disk, attached with
`vdisk add`, list exactly what kdisk lists."""

import hashlib
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import images  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
KERNEL = os.path.join(REPO, "build", "test", "kernel.elf")
KDISK = os.path.join(REPO, "build", "host", "kdisk")
TIMEOUT = 300

_rnd = random.Random(77)
FILES = {"README.TXT": b"kdisk reads image formats\n", "DATA.BIN": _rnd.randbytes(200 * 1024 + 3),
         "DIR/INNER.TXT": b"inner\n" * 50}
# file name on the boot disk -> qemu-img arguments
FORMATS = {"d.vdi": ["-O", "vdi"], "d.vhd": ["-O", "vpc"], "d.vmdk": ["-O", "vmdk"],
           "d.qcow2": ["-O", "qcow2", "-c"]}
STATE = {}


def sh(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, LC_ALL="C"))
    assert p.returncode == 0, "%s failed: %s" % (" ".join(argv), p.stderr.strip())
    return p.stdout


def raw_sha(path, tmp):
    out = os.path.join(tmp, "sha.raw")
    if os.path.exists(out):
        os.unlink(out)
    sh(["qemu-img", "convert", "-O", "raw", path, out])
    with open(out, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def host_checks(tmp):
    """kdisk browse + convert for every format; returns {file: kdisk ls lines}."""
    listings = {}
    for name in sorted(FORMATS):
        img = os.path.join(tmp, name)
        ls = sh([KDISK, "-d", "x=" + img, "-c", "ls /x/1/"]).splitlines()
        want = {"f %d README.TXT" % len(FILES["README.TXT"]),
                "f %d DATA.BIN" % len(FILES["DATA.BIN"]), "d 0 DIR"}
        assert set(ls) == want, "kdisk ls %s: %r" % (name, ls)
        for rel, data in FILES.items():
            out = sh([KDISK, "-d", "x=" + img, "-c", "hash /x/1/" + rel]).split()
            assert out[0] == hashlib.sha256(data).hexdigest(), "kdisk hash %s %s" % (name, rel)
        listings[name] = ls
        src_sha = raw_sha(img, tmp)
        for fmt in ("raw", "vdi", "vhd", "vmdk", "qcow2"):
            out = os.path.join(tmp, "conv-%s.%s" % (name.replace(".", "_"), fmt))
            sh([KDISK, "convert", img, out, fmt])
            assert raw_sha(out, tmp) == src_sha, "convert %s -> %s differs" % (name, fmt)
            if fmt in ("vdi", "vmdk", "qcow2"):
                sh(["qemu-img", "check", "-q", out])
            os.unlink(out)
    # An existing destination is never overwritten.
    p = subprocess.run([KDISK, "convert", os.path.join(tmp, "d.vdi"),
                        os.path.join(tmp, "d.vhd"), "raw"], stderr=subprocess.PIPE, text=True)
    assert p.returncode == 1 and "exists" in p.stderr, "convert onto existing: %r" % p.stderr
    return listings


def machine_args(ctx):
    raw = os.path.join(ctx.tmp, "inner.raw")
    images.make_fat_disk(raw, size_mib=16, fat=16, files=FILES, label="FMT")
    payload = {}
    for name, args in FORMATS.items():
        path = os.path.join(ctx.tmp, name)
        images.run_tool(["qemu-img", "convert", "-f", "raw"] + args + [raw, path])
        with open(path, "rb") as f:
            payload[name] = f.read()
    STATE["ls"] = host_checks(ctx.tmp)
    outer = os.path.join(ctx.tmp, "outer.img")
    images.make_fat_disk(outer, size_mib=64, fat=32, files=payload, label="OUTER")
    return ["-M", "pc", "-m", "512", "-kernel", KERNEL, "-initrd", "%s disk:hd6" % outer]




def run(vm, ctx):
    vm.wait_log_quiet()
    for name in sorted(FORMATS):
        out = vm.cmd("vdisk add /hd6/1/" + name, timeout=30)
        assert len(out) == 1 and out[0].startswith("vd"), "vdisk add %s: %r" % (name, out)
        disk = out[0]
        got = vm.cmd("ls /%s/1/" % disk, timeout=30)
        assert sorted(got) == sorted(STATE["ls"][name]), \
            "%s: kernel %r, kdisk %r" % (name, got, STATE["ls"][name])
        want = hashlib.sha256(FILES["DATA.BIN"]).hexdigest()
        out = vm.cmd("hash /%s/1/DATA.BIN" % disk, timeout=60)
        assert out and out[0].startswith(want), "kernel hash %s: %r" % (name, out)
        assert vm.cmd("vdisk del " + disk) == []
