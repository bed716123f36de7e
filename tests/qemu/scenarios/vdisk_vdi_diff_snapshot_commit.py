# SPDX-License-Identifier: MIT
"""VirtualBox VDI differencing images in the kernel (issue #7): a VDI made by
`qemu-img convert -O vdi` from a FAT16 disk with known files lies on a FAT32
RAM boot disk hd7. `vdisk snapshot` to a .vdi name puts a VDI diff on top,
a second snapshot a diff of that diff (the chain is reopened with its own
images as parent candidates); writes land in the top diff while the base
file stays byte-identical; two `vdisk commit`s merge both diffs back
(VDMerge) and delete them; after detaching, the base alone holds the new
files. `vdisk create ... vdi 0 base=` makes a diff that `vdisk add` finds
the parent of by its stored name and UUID."""

import hashlib
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import images  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
KERNEL = os.path.join(REPO, "build", "test", "kernel.elf")
TIMEOUT = 300

_rnd = random.Random(11)
FILES = {
    "HELLO.TXT": b"hello from inside a vdi\n",
    "DATA.BIN": _rnd.randbytes(300 * 1024 + 17),
}
STATE = {}


def machine_args(ctx):
    inner_raw = os.path.join(ctx.tmp, "inner.raw")
    images.make_fat_disk(inner_raw, size_mib=16, fat=16, files=FILES, label="INNER")
    inner = os.path.join(ctx.tmp, "inner.vdi")
    images.run_tool(["qemu-img", "convert", "-f", "raw", "-O", "vdi", inner_raw, inner])
    with open(inner, "rb") as f:
        STATE["vdi"] = f.read()
    outer = os.path.join(ctx.tmp, "outer.img")
    images.make_fat_disk(outer, size_mib=64, fat=32, files={"inner.vdi": STATE["vdi"]},
                         label="OUTER")
    return ["-M", "pc", "-m", "256", "-kernel", KERNEL, "-initrd", "%s disk:hd7" % outer]


def check_files(vm, disk):
    for rel, data in sorted(FILES.items()):
        out = vm.cmd("hash /%s/1/%s" % (disk, rel), timeout=120)
        want = "%s %d /%s/1/%s" % (hashlib.sha256(data).hexdigest(), len(data), disk, rel)
        assert out == [want], "hash %s: %r, want %r" % (rel, out, want)


def base_hash(vm):
    out = vm.cmd("hash /hd7/1/inner.vdi", timeout=60)
    assert out, "no hash of the base"
    return out[0].split()[0]


def run(vm, ctx):
    vm.wait_log_quiet()
    inner_hash = hashlib.sha256(STATE["vdi"]).hexdigest()
    # 1. Attach the qemu-img VDI; a snapshot to a .vdi name is a VDI diff.
    assert vm.cmd("vdisk add /hd7/1/inner.vdi") == ["vd0"]
    check_files(vm, "vd0")
    out = vm.cmd("vdisk snapshot vd0 /hd7/1/snap.vdi")
    assert out == ["vd0: /hd7/1/snap.vdi on top of inner.vdi"], "snapshot: %r" % out
    info = vm.cmd("vdisk info /hd7/1/snap.vdi")
    assert info[0].startswith("0: vdi diff, 16777216 bytes") and \
        info[0].endswith(", parent inner.vdi"), "info: %r" % info
    assert vm.cmd("write /vd0/1/NEW1.BIN 200000 7", timeout=60) == []
    assert vm.cmd("sync", timeout=60) == []
    assert base_hash(vm) == inner_hash, "base changed under the diff"
    # 2. A diff of the diff: the chain is reopened three deep.
    out = vm.cmd("vdisk snapshot vd0 /hd7/1/snap2.vdi")
    assert out == ["vd0: /hd7/1/snap2.vdi on top of snap.vdi"], "snapshot 2: %r" % out
    lst = vm.cmd("vdisk list")
    assert "/hd7/1/snap2.vdi(vdi) <- /hd7/1/snap.vdi(vdi) <- /hd7/1/inner.vdi(vdi)" in lst[0], \
        "list: %r" % lst
    assert vm.cmd("write /vd0/1/NEW2.BIN 100000 8", timeout=60) == []
    assert vm.cmd("verify /vd0/1/NEW1.BIN 200000 7", timeout=60) == ["ok"]
    assert vm.cmd("sync", timeout=60) == []
    assert base_hash(vm) == inner_hash, "base changed under the diffs"
    # 3. Commit both (VDMerge into the parent); the diff files go.
    out = vm.cmd("vdisk commit vd0", timeout=120)
    assert out == ["vd0: committed /hd7/1/snap2.vdi into /hd7/1/snap.vdi"], "commit: %r" % out
    out = vm.cmd("vdisk commit vd0", timeout=120)
    assert out == ["vd0: committed /hd7/1/snap.vdi into /hd7/1/inner.vdi"], "commit: %r" % out
    names = vm.cmd("ls /hd7/1/")
    assert not any("snap" in n for n in names), "diffs left: %r" % names
    assert base_hash(vm) != inner_hash, "commit did not change the base"
    # 4. The base alone holds both new files.
    assert vm.cmd("vdisk del vd0", timeout=60) == []
    assert vm.cmd("vdisk add /hd7/1/inner.vdi") == ["vd0"]
    assert vm.cmd("verify /vd0/1/NEW1.BIN 200000 7", timeout=60) == ["ok"]
    assert vm.cmd("verify /vd0/1/NEW2.BIN 100000 8", timeout=60) == ["ok"]
    check_files(vm, "vd0")
    assert vm.cmd("vdisk del vd0", timeout=60) == []
    # 5. `vdisk create` of a diff; `vdisk add` finds its parent.
    out = vm.cmd("vdisk create /hd7/1/d.vdi vdi 0 base=/hd7/1/inner.vdi", timeout=60)
    assert out == ["created /hd7/1/d.vdi (vdi, 16 MiB, base /hd7/1/inner.vdi)"], "create: %r" % out
    assert vm.cmd("vdisk add /hd7/1/d.vdi base=/hd7/1/inner.vdi") == ["vd0"]
    assert vm.cmd("verify /vd0/1/NEW2.BIN 100000 8", timeout=60) == ["ok"]
    assert vm.cmd("vdisk del vd0", timeout=60) == []
    # 6. A VDI diff over a qcow2 base cannot be made; one error line.
    out = vm.cmd("vdisk create /hd7/1/q.qcow2 qcow2 16", timeout=60)
    assert out == ["created /hd7/1/q.qcow2 (qcow2, 16 MiB)"], "create qcow2: %r" % out
    out = vm.cmd("vdisk create /hd7/1/dq.vdi vdi 0 base=/hd7/1/q.qcow2", timeout=60)
    assert len(out) == 1 and out[0].startswith("error: cannot create /hd7/1/dq.vdi"), \
        "create over qcow2: %r" % out
