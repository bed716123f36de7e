# SPDX-License-Identifier: MIT
"""An ISO 9660 image made here by xorriso (Rock Ridge + Joliet) is handed to
the test kernel as a boot-module disk with 2048-byte sectors (-initrd "iso
disk:cd9:2048"), like a CD: no partition table, so the whole media is
partition 1 and the files are under /cd9/1/. `ls` must list exactly the
files put in (Rock Ridge names: case, spaces, non-ASCII, longer than Joliet
allows), `hash` must equal hashlib's sha256 for each, lookup ignores case,
`df` names the file system, and writing is refused with KolibriOS code 10."""

import hashlib
import os
import random
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
KERNEL = os.path.join(REPO, "build", "test", "kernel.elf")
LONG_NAME = "a name longer than joliet allows " + "x" * 60 + ".txt"

# {path inside the image: bytes}
FILES = {}
ISO = {}


def make_iso(tmp):
    src = os.path.join(tmp, "cdsrc")
    rnd = random.Random(9660)
    files = {
        "Hello.txt": b"hello from the cd\n",
        "empty.dat": b"",
        "Long Name With Spaces.bin": rnd.randbytes(100000),
        LONG_NAME: rnd.randbytes(5000),
        "Sub Dir/nested/Ünïcödé – ✓.txt": rnd.randbytes(4321),
        "Sub Dir/big.bin": rnd.randbytes(1048576 + 3),
    }
    for i in range(40):
        files["many/entry %02d.txt" % i] = b"%d\n" % i
    for rel, data in files.items():
        path = os.path.join(src, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    iso = os.path.join(tmp, "cd.iso")
    p = subprocess.run(["xorriso", "-no_rc", "-report_about", "FAILURE", "-outdev", iso,
                        "-volid", "SPINDLECD", "-rockridge", "on", "-joliet", "on",
                        "-map", src, "/"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, LC_ALL="C.UTF-8", SOURCE_DATE_EPOCH="1704067200"))
    assert p.returncode == 0, "xorriso failed: %s" % p.stderr.decode(errors="replace")
    FILES.update(files)
    return iso


def machine_args(ctx):
    ISO["path"] = make_iso(ctx.tmp)
    return ["-M", "pc", "-m", "256", "-kernel", KERNEL, "-initrd",
            "%s disk:cd9:2048" % ISO["path"]]


def children(folder):
    """Names directly inside `folder` ("" = root), as ls prints them."""
    out = set()
    for rel, data in FILES.items():
        parts = rel.split("/")
        depth = 0 if not folder else len(folder.split("/"))
        if folder and parts[:depth] != folder.split("/"):
            continue
        rest = parts[depth:]
        if len(rest) == 1:
            out.add("f %d %s" % (len(data), rest[0]))
        else:
            out.add("d 0 %s" % rest[0])
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
    vm.wait_log_quiet()
    disks = [ln for ln in vm.cmd("disks") if ln.startswith("cd9 ")]
    assert len(disks) == 1 and "sector_size=2048" in disks[0], "disks: %r" % disks
    for folder in ("", "Sub Dir", "Sub Dir/nested", "many"):
        got = ucmd(vm, "ls '/cd9/1/%s'" % folder)
        assert set(got) == children(folder) and len(got) == len(children(folder)), \
            "ls %r: got %r, want %r" % (folder, sorted(got), sorted(children(folder)))
    assert "iso9660: cd9/1: mounted" in vm.log, "no mount line in the log"
    assert "rock ridge names (joliet present)" in vm.log, "Rock Ridge names not chosen"
    for rel, data in sorted(FILES.items()):
        out = ucmd(vm, "hash '/cd9/1/%s'" % rel, timeout=60)
        want = "%s %d /cd9/1/%s" % (hashlib.sha256(data).hexdigest(), len(data), rel)
        assert out == [want], "hash %s: got %r, want %r" % (rel, out, want)
    # Case-insensitive lookup.
    want = hashlib.sha256(FILES["Hello.txt"]).hexdigest()
    out = vm.cmd("hash /cd9/1/HELLO.TXT")
    assert len(out) == 1 and out[0].startswith(want), "hash HELLO.TXT: %r" % out
    out = vm.cmd("df")
    assert any(ln.startswith("/cd9/1 iso9660 ") and "free=0" in ln for ln in out), "df: %r" % out
    out = vm.cmd("write /cd9/1/new.txt 10 1")
    assert out == ["error: 10 access denied"], "write: %r" % out
