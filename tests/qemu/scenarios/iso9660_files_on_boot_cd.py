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
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fs_check import check_df, check_hashes, check_listings, check_write_refused  # noqa: E402
from images import write_tree  # noqa: E402

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
    write_tree(src, files)
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


def run(vm, ctx):
    vm.wait_log_quiet()
    disks = [ln for ln in vm.cmd("disks") if ln.startswith("cd9 ")]
    assert len(disks) == 1 and "sector_size=2048" in disks[0], "disks: %r" % disks
    check_listings(vm, "/cd9/1", FILES, ("", "Sub Dir", "Sub Dir/nested", "many"))
    assert "iso9660: cd9/1: mounted" in vm.log, "no mount line in the log"
    assert "rock ridge names (joliet present)" in vm.log, "Rock Ridge names not chosen"
    check_hashes(vm, "/cd9/1", FILES)
    # Case-insensitive lookup.
    want = hashlib.sha256(FILES["Hello.txt"]).hexdigest()
    out = vm.cmd("hash /cd9/1/HELLO.TXT")
    assert len(out) == 1 and out[0].startswith(want), "hash HELLO.TXT: %r" % out
    line = check_df(vm, "/cd9/1", "iso9660")
    assert line.split()[-1] == "free=0", "df: %r" % line
    check_write_refused(vm, "/cd9/1")
