# SPDX-License-Identifier: MIT
"""An IDE disk that fails while in use, then vanishes, gives clean errors
and never hangs the kernel. hd0 sits on a QEMU blkdebug layer that fails
every read touching one sector with EIO; hd1 is a plain disk on the same
channel. Reads of hd0 before the bad sector hash like the host's bytes; a
read across it prints exactly one `error: read failed ...` line and the
driver logs the decoded device error (abort, status/error registers) -
in DMA mode and again after `ata pio`, and the aborted DMA command does
not leave the disk stuck in PIO. Then the backend of hd0 is deleted (HMP
`drive_del` over QMP): every read of hd0 fails with one error line within
the command timeout, while hd1 still hashes correctly and the shell
answers. `ata` lists hd0's error count."""

import hashlib
import os
import re

MIB = 8
BAD_LBA = 8192          # 4 MiB into hd0
DISKS = {}
TIMEOUT = 300


def sha(data, lba, count):
    return hashlib.sha256(bytes(data[lba * 512:(lba + count) * 512])).hexdigest()


def machine_args(ctx):
    os.makedirs(ctx.tmp, exist_ok=True)
    for idx in (0, 1):
        DISKS[idx] = ctx.make_random_disk("hd%d.img" % idx, MIB, 40 + idx).data
    cfg = ctx.path("blkdebug.cfg")
    with open(cfg, "w") as f:
        f.write('[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "%d"\n'
                'once = "off"\n' % BAD_LBA)
    return ["-M", "pc", "-m", "256", "-kernel", os.path.join(ctx.build, "kernel.elf"),
            "-drive", "file=blkdebug:%s:%s,format=raw,if=ide,index=0,id=bad"
            % (cfg, ctx.path("hd0.img")),
            "-drive", "file=%s,format=raw,if=ide,index=1" % ctx.path("hd1.img")]


def expect_read_error(vm, what, lba, count, timeout=120):
    """One `error: read failed ...` line, in bounded time."""
    out = vm.cmd("dhash %s %d %d" % (what, lba, count), timeout=timeout)
    assert len(out) == 1 and re.match(r"error: read failed at lba \d+ \(ERR_", out[0]), out
    return out[0]


def device_lines(vm, name):
    """The `ata` lines of one device: its header and the two lines below."""
    out = vm.cmd("ata")
    for i, l in enumerate(out):
        if re.match(r"\s+(master|slave ): %s " % name, l):
            return " | ".join(out[i:i + 3])
    raise AssertionError("%s not in `ata`: %r" % (name, out))


def run(vm, ctx):
    hd0, hd1 = DISKS[0], DISKS[1]
    assert any("mode UDMA" in l for l in vm.cmd("ata")), "not DMA"
    # 1. Good part of hd0 and all of hd1 read fine.
    assert vm.cmd("dhash hd0 0 4096", timeout=60) == [sha(hd0, 0, 4096)]
    assert vm.cmd("dhash hd1 0 %d" % (MIB * 2048), timeout=120) == [sha(hd1, 0, MIB * 2048)]
    # 2. Across the failing sector (DMA): one error line, a decoded log line.
    expect_read_error(vm, "hd0", BAD_LBA - 64, 128)
    assert re.search(r"ata: hd0: command 0x[0-9a-f]{2} at lba \d+ failed: abort "
                     r"\(status 0x[0-9a-f]{2}, error 0x04\)", vm.log), "no decoded error"
    # The error is the media's, not DMA's: the disk stays in DMA mode.
    assert "mode UDMA" in device_lines(vm, "hd0"), "hd0 left DMA mode"
    assert vm.cmd("dhash hd0 4096 2048", timeout=60) == [sha(hd0, 4096, 2048)]
    # 3. The same in PIO.
    assert vm.cmd("ata pio") == ["ata: mode pio"]
    vm.cmd("cache drop")
    expect_read_error(vm, "hd0", BAD_LBA - 8, 16)
    assert vm.cmd("dhash hd0 0 256", timeout=60) == [sha(hd0, 0, 256)]
    assert vm.cmd("ata dma") == ["ata: mode dma"]
    # 4. The backend disappears: every read of hd0 fails, nothing hangs.
    r = vm.qmp.execute("human-monitor-command", {"command-line": "drive_del bad"})
    assert r == "", r
    vm.cmd("cache drop")
    expect_read_error(vm, "hd0", 0, 64)
    expect_read_error(vm, "hd0", 12000, 8)
    # 5. The other disk on the same channel still works; the shell answers.
    vm.cmd("cache drop")
    assert vm.cmd("dhash hd1 0 2048", timeout=60) == [sha(hd1, 0, 2048)]
    info = device_lines(vm, "hd0")
    assert re.search(r"errors [1-9]", info), "no error count in `ata`: %r" % info
    assert vm.cmd("echo alive") == ["alive"]
