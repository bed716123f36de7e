# SPDX-License-Identifier: MIT
"""A device error on an AHCI disk is reported and the port recovers: QEMU's
blkdebug driver fails one read (EIO, once) at sector 100 of a 4 MiB disk on
q35 AHCI port 0; QEMU reports it to the guest as a task file error with
ABRT. `dhash sd0 96 8` prints one error line, the driver logs the decoded
fault (TFES, status and error bytes), restarts the port, and the same
command then returns the host's sha256 of those sectors; `ahci` counts the
error. ABRT is not retried (ATA: it would repeat identically). Then `ahci
reset sd0` runs the COMRESET recovery of a timeout on demand and reads work
on."""

import hashlib
import os
import random

DISK = {}


def machine_args(ctx):
    """The runner's first machine is only killed; run() starts the real one."""
    return ["-M", "q35", "-m", "256"]


def disk_machine_args(ctx):
    img = ctx.path("err.img")
    data = random.Random(404).randbytes(4 << 20)
    with open(img, "wb") as f:
        f.write(data)
    DISK["hash"] = hashlib.sha256(data[96 * 512:104 * 512]).hexdigest()
    conf = ctx.path("blkdebug.conf")
    with open(conf, "w") as f:
        f.write('[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "100"\n'
                'once = "on"\n')
    return ["-M", "q35", "-m", "256", "-kernel", os.path.join(ctx.build, "kernel.elf"),
            "-drive", "if=none,id=d0,driver=raw,file.driver=blkdebug,file.config=%s,"
                      "file.image.filename=%s" % (conf, img),
            "-device", "ide-hd,drive=d0,bus=ide.0"]


WAIT_PROMPT = False
TIMEOUT = 180


def run(vm, ctx):
    vm.kill()
    vm = ctx.machine(disk_machine_args(ctx), iso=None)
    vm.wait_prompt(60)
    out = vm.cmd("dhash sd0 96 8")
    assert out == ["error: read failed at lba 96 (ERR_IO)"], out
    assert "ahci: ahci0: port 0: command 0x25 failed: abort (IS 0x40000001, status 0x41, " \
           "error 0x04)" in vm.log, "no decoded fault in the log"
    assert vm.cmd("dhash sd0 96 8") == [DISK["hash"]]
    assert any(l.endswith("errors 1, resets 0") for l in vm.cmd("ahci"))
    # The timeout recovery path on demand: COMRESET, then I/O goes on.
    assert vm.cmd("ahci reset sd0") == ["sd0: port 0 reset"]
    assert "ahci: ahci0: port 0: COMRESET (shell request)" in vm.log
    assert vm.cmd("dhash sd0 96 8") == [DISK["hash"]]
    assert any(l.endswith("errors 1, resets 1") for l in vm.cmd("ahci"))
    assert vm.cmd("ahci reset nosuch") == ["error: no AHCI device 'nosuch'"]
    assert vm.cmd("echo alive") == ["alive"]
