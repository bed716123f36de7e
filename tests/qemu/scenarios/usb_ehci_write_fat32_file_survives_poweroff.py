# SPDX-License-Identifier: MIT
"""The USB write path end to end: on a FAT32 disk made by mkfs.fat here and
attached as a USB stick behind EHCI, `write /usbhd0/1/big.bin 8388608 7`
(BOT WRITE(10)), `verify`, `sync` (SYNCHRONIZE CACHE) and `poweroff`; then
on the host `fsck.fat -n` finds the file system clean and mcopy gives back
exactly the xorshift32 stream of seed 7 (kernel/lib/xorshift.h)."""

import struct

SIZE = 8388608
SEED = 7
IMGS = {}
TIMEOUT = 300


def xorshift32_stream(seed, n):
    """kernel/lib/xorshift.h: state = seed (0 -> 0x9E3779B9); per word
    x ^= x << 13; x ^= x >> 17; x ^= x << 5; emitted little-endian."""
    x = seed or 0x9E3779B9
    out = bytearray()
    for _ in range((n + 3) // 4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out += struct.pack("<I", x)
    return bytes(out[:n])


def machine_args(ctx):
    img = ctx.make_fat_disk("usbfat.img", size_mib=64, fat=32)
    IMGS["img"] = img
    return ["-M", "pc", "-m", "256", "-device", "usb-ehci,id=ehci",
            "-drive", "if=none,id=u0,file=%s,format=raw" % img.path,
            "-device", "usb-storage,bus=ehci.0,drive=u0"]


def run(vm, ctx):
    img = IMGS["img"]
    for cmd in ("write /usbhd0/1/big.bin %d %d" % (SIZE, SEED),
                "verify /usbhd0/1/big.bin %d %d" % (SIZE, SEED), "sync"):
        out = vm.cmd(cmd, timeout=150)
        assert not any(l.startswith("error") for l in out), (cmd, out)
    vm.send(b"poweroff\r")
    assert vm.wait_exit(60) == 0
    # fsck.fat has no offset option: check a copy of the partition.
    part = img.path + ".part"
    with open(img.path, "rb") as src, open(part, "wb") as dst:
        src.seek(img.part_start_lba * 512)
        dst.write(src.read(img.part_sectors * 512))
    ctx.run_tool(["fsck.fat", "-n", part])
    out = img.path + ".big"
    ctx.run_tool(["mcopy", "-n", "-o", "-i", img.mtools_target, "::/BIG.BIN", out])
    with open(out, "rb") as f:
        data = f.read()
    assert len(data) == SIZE, "file size %d" % len(data)
    assert data == xorshift32_stream(SEED, SIZE), "content differs from the xorshift stream"
