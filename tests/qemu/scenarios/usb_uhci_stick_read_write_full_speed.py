# SPDX-License-Identifier: MIT
"""A USB stick on the PIIX3's UHCI controller (-M pc -usb, full speed, 64-byte
packets): it appears as usbhd0, `dhash` of the whole disk equals the host's
sha256, and a 1 MiB file written on its FAT12 file system (WRITE(10) over
UHCI bulk OUT with software data toggles), verified, synced and powered
off comes back byte for byte through mcopy, with `fsck.fat -n` clean."""

import hashlib
import struct

SIZE = 1048576
SEED = 5
IMGS = {}
TIMEOUT = 300


def xorshift32_stream(seed, n):
    """kernel/lib/xorshift.h, as in ata_write_fat32_file_survives_poweroff."""
    x = seed or 0x9E3779B9
    out = bytearray()
    for _ in range((n + 3) // 4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out += struct.pack("<I", x)
    return bytes(out[:n])


def machine_args(ctx):
    img = ctx.make_fat_disk("uhci.img", size_mib=12, fat=12)
    with open(img.path, "rb") as f:
        IMGS.update(img=img, digest=hashlib.sha256(f.read()).hexdigest())
    return ["-M", "pc", "-m", "256", "-usb",
            "-drive", "if=none,id=u0,file=%s,format=raw" % img.path,
            "-device", "usb-storage,bus=usb-bus.0,drive=u0"]


def run(vm, ctx):
    img = IMGS["img"]
    listing = vm.cmd("usb")
    assert listing[0].startswith("uhci0: UHCI at 00:01.2, 2 ports, IRQ"), listing
    assert any(l.startswith("  port 1: 46f4:0001 full speed") and "usbhd0" in l
               for l in listing), listing
    sectors = img.size_bytes // 512
    out = vm.cmd("dhash usbhd0 0 %d" % sectors, timeout=200)
    assert out == [IMGS["digest"]], "dhash usbhd0: %r, want %s" % (out, IMGS["digest"])
    for cmd in ("write /usbhd0/1/f.bin %d %d" % (SIZE, SEED),
                "verify /usbhd0/1/f.bin %d %d" % (SIZE, SEED), "sync"):
        out = vm.cmd(cmd, timeout=150)
        assert not any(l.startswith("error") for l in out), (cmd, out)
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0
    part = img.path + ".part"
    with open(img.path, "rb") as src, open(part, "wb") as dst:
        src.seek(img.part_start_lba * 512)
        dst.write(src.read(img.part_sectors * 512))
    ctx.run_tool(["fsck.fat", "-n", part])
    got = img.path + ".f"
    ctx.run_tool(["mcopy", "-n", "-o", "-i", img.mtools_target, "::/F.BIN", got])
    with open(got, "rb") as f:
        assert f.read() == xorshift32_stream(SEED, SIZE), "F.BIN differs"
