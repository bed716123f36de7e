# SPDX-License-Identifier: MIT
"""Disk images for QEMU scenarios, made by the real tools (truncate, sfdisk,
sgdisk, mkfs.fat, mtools), deterministically: fixed disk ids, volume ids,
`mkfs.fat --invariant` and fixed file times, so the same call gives the same
bytes. No loop devices and no root needed: the filesystem is written at the
partition's offset inside the image file (mkfs.fat --offset, mtools img@@off).

    img = make_fat_disk(tmp / "hd.img", size_mib=64, fat=32,
                        files={"HELLO.TXT": b"hello\\n"}, table="mbr")
    # img.path, img.part_start_lba, img.part_sectors

Corrupt variants: patch named fields of the result (see patch_bytes).
fsck.fat has no offset option: partition_save() copies the partition out to
a file for it, partition_load() puts a repaired copy back; fsck_clean() runs
fsck.fat -n on such a copy. xorshift32_stream() is the kernel's test data
(the `write`/`verify` commands); assert_file_is_stream() copies a file out
with mcopy and compares it with that stream. make_iso() makes a Rock
Ridge + Joliet CD image with xorriso.

make_mbr_disk() makes an empty disk with one MBR partition of a given
type, for a file system made by another tool: written at the partition's
offset (mkfs.ext4 -E offset=), or made in a file of its own and copied in
with partition_load() (mkntfs). write_tree() writes {path: bytes} as a
source folder for tools that copy one in (mkfs.ext4 -d, xorriso -map).

make_random_disk(path, size_mib, seed) writes a raw whole-disk image of
seeded random bytes with no 0x55AA MBR signature (bytes 510-511 zeroed);
the result has .path, .data (the bytes) and .sha256 (hex) for `dhash`:

    disk = make_random_disk(tmp / "raw.img", 8, seed=3)   # disk.sha256
"""

import hashlib
import os
import random
import struct
import subprocess
import tempfile

SECTOR = 512
# A fixed time for every file copied in (2024-01-01 00:00:00 UTC).
FILE_EPOCH = 1704067200
DISK_ID = "0x5350494e"                              # "SPIN"
GPT_DISK_GUID = "5350494E-444C-4500-8000-000000000001"
VOLUME_ID = "53504e44"
MTYPE = {(12, "mbr"): "1", (16, "mbr"): "e", (32, "mbr"): "c"}


class ToolError(Exception):
    """An image tool failed; the message holds its command and stderr."""


def run_tool(argv, stdin=None, env=None):
    """Run a host tool; raise ToolError with its output when it fails."""
    e = dict(os.environ)
    e["MTOOLS_SKIP_CHECK"] = "1"
    e["LC_ALL"] = "C"
    e["SOURCE_DATE_EPOCH"] = str(FILE_EPOCH)   # mtools: times of new directories
    e["PATH"] = e.get("PATH", "") + ":/sbin:/usr/sbin"   # mkfs.*, sfdisk for non-root users
    if env:
        e.update(env)
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=e)
    if p.returncode != 0:
        raise ToolError("%s failed (%d): %s" % (" ".join(argv), p.returncode,
                                                p.stderr.decode(errors="replace").strip()))
    return p.stdout.decode(errors="replace")


class DiskImage:
    def __init__(self, path, size_bytes, part_start_lba, part_sectors):
        self.path = str(path)
        self.size_bytes = size_bytes
        self.part_start_lba = part_start_lba   # 0 when the FS fills the disk
        self.part_sectors = part_sectors

    @property
    def mtools_target(self):
        """The "-i" argument for mtools: image@@byte_offset."""
        return "%s@@%d" % (self.path, self.part_start_lba * SECTOR)

    def qemu_drive(self, interface="ide", index=None, extra=""):
        """A -drive argument value for this raw image."""
        s = "file=%s,format=raw,if=%s" % (self.path, interface)
        if index is not None:
            s += ",index=%d" % index
        return s + ("," + extra if extra else "")


def _write_files(img, files):
    """Copy {dos_path: bytes} into the FS; directories are created as needed."""
    with tempfile.TemporaryDirectory(prefix="spimg-") as td:
        made_dirs = set()
        for i, (name, data) in enumerate(sorted(files.items())):
            parts = name.strip("/").split("/")
            for k in range(1, len(parts)):
                d = "/".join(parts[:k])
                if d not in made_dirs:
                    run_tool(["mmd", "-i", img.mtools_target, "::/" + d])
                    made_dirs.add(d)
            src = os.path.join(td, "f%d" % i)
            with open(src, "wb") as f:
                f.write(data if isinstance(data, bytes) else data.encode())
            os.utime(src, (FILE_EPOCH, FILE_EPOCH))
            run_tool(["mcopy", "-m", "-o", "-i", img.mtools_target, src, "::/" + "/".join(parts)])


def make_fat_disk(path, size_mib=64, fat=32, files=None, table="mbr", label="SPINDLE",
                  start_lba=2048, sectors_per_cluster=None):
    """Create (overwrite) a raw disk image holding one FAT file system.

    table: "mbr" (sfdisk, one partition from start_lba to the end, type per
    FAT size), "gpt" (sgdisk, Microsoft basic data), or None (FS fills the
    whole image, "superfloppy"). fat: 12, 16 or 32. files: {path: bytes}.
    Returns a DiskImage.
    """
    path = str(path)
    size_bytes = size_mib * 1024 * 1024
    total = size_bytes // SECTOR
    # 1. A sparse file of the right size.
    with open(path, "wb") as f:
        f.truncate(size_bytes)
    # 2. The partition table.
    if table == "mbr":
        script = "label: dos\nlabel-id: %s\nstart=%d, type=%s\n" % (
            DISK_ID, start_lba, MTYPE[(fat, "mbr")])
        run_tool(["sfdisk", "-q", path], stdin=script.encode())
        part_start, part_len = start_lba, total - start_lba
    elif table == "gpt":
        # The backup GPT takes the last 33 sectors.
        end = total - 34
        run_tool(["sgdisk", "-U", GPT_DISK_GUID, "-n", "1:%d:%d" % (start_lba, end),
                  "-t", "1:0700", "-u", "1:5350494E-444C-4500-8000-000000000002",
                  "-c", "1:spindle", path])
        part_start, part_len = start_lba, end - start_lba + 1
    elif table is None:
        part_start, part_len = 0, total
    else:
        raise ValueError("table must be 'mbr', 'gpt' or None")
    # 3. The file system, written at the partition offset (blocks are 1 KiB).
    argv = ["mkfs.fat", "-F", str(fat), "--invariant", "-i", VOLUME_ID, "-n", label,
            "-h", str(part_start)]
    if sectors_per_cluster:
        argv += ["-s", str(sectors_per_cluster)]
    elif fat == 32 and part_len < 1024 * 1024:
        argv += ["-s", "1"]   # keep >= 65525 clusters on small FAT32 volumes
    if part_start:
        argv += ["--offset", str(part_start)]
    argv += [path, str(part_len // 2)]
    run_tool(argv)
    img = DiskImage(path, size_bytes, part_start, part_len)
    # 4. The files.
    if files:
        _write_files(img, files)
    return img


def make_mbr_disk(path, size_mib, ptype, disk_id, start_lba=2048):
    """Create (overwrite) a sparse raw image of `size_mib` MiB whose MBR
    (sfdisk, label id `disk_id` such as "0x5e1f0e54") holds one partition of
    type `ptype` ("83", "7") from `start_lba` to the end, left unformatted.
    Returns a DiskImage."""
    path = str(path)
    size_bytes = size_mib * 1024 * 1024
    with open(path, "wb") as f:
        f.truncate(size_bytes)
    script = "label: dos\nlabel-id: %s\nstart=%d, type=%s\n" % (disk_id, start_lba, ptype)
    run_tool(["sfdisk", "-q", path], stdin=script.encode())
    return DiskImage(path, size_bytes, start_lba, size_bytes // SECTOR - start_lba)


def write_tree(folder, files):
    """Write {relative path: bytes} under `folder`, making folders as needed."""
    for rel, data in files.items():
        path = os.path.join(str(folder), rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)


def make_blank_disk(path, size_mib):
    """A zero-filled (sparse) raw image with no partition table."""
    with open(str(path), "wb") as f:
        f.truncate(size_mib * 1024 * 1024)
    return DiskImage(path, size_mib * 1024 * 1024, 0, size_mib * 2048)


class RandomDisk(DiskImage):
    """A make_random_disk() result: a DiskImage that also holds its bytes
    (data) and their sha256 as lowercase hex (sha256)."""

    def __init__(self, path, data):
        super().__init__(path, len(data), 0, len(data) // SECTOR)
        self.data = data
        self.sha256 = hashlib.sha256(data).hexdigest()


def make_random_disk(path, size_mib, seed):
    """A raw whole-disk image of random.Random(seed) bytes with bytes 510-511
    zeroed, so there is no 0x55AA MBR signature and the kernel sees one
    whole-disk partition. The same seed and size always give the same bytes."""
    data = bytearray(random.Random(seed).randbytes(size_mib * 1024 * 1024))
    data[510:512] = b"\0\0"
    data = bytes(data)
    with open(str(path), "wb") as f:
        f.write(data)
    return RandomDisk(path, data)


def patch_bytes(path, offset, data):
    """Overwrite bytes at an absolute offset (for corrupt variants)."""
    with open(str(path), "r+b") as f:
        f.seek(offset)
        f.write(data)


def partition_save(img, dst):
    """Copy the partition of DiskImage `img` into file `dst` (for fsck.fat)."""
    with open(img.path, "rb") as src, open(str(dst), "wb") as out:
        src.seek(img.part_start_lba * SECTOR)
        out.write(src.read(img.part_sectors * SECTOR))


def partition_load(img, src):
    """Write file `src` (made by partition_save, maybe repaired) back into `img`."""
    with open(str(src), "rb") as f:
        data = f.read()
    if len(data) != img.part_sectors * SECTOR:
        raise ValueError("%s holds %d bytes, the partition %d" % (src, len(data),
                                                                   img.part_sectors * SECTOR))
    patch_bytes(img.path, img.part_start_lba * SECTOR, data)


def xorshift32_stream(seed, n):
    """`n` bytes of kernel/lib/xorshift.h: state = seed (0 -> 0x9E3779B9); per
    word x ^= x << 13; x ^= x >> 17; x ^= x << 5; emitted little-endian."""
    x = seed or 0x9E3779B9
    words = []
    for _ in range((n + 3) // 4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        words.append(x)
    return struct.pack("<%dI" % len(words), *words)[:n]


def fsck_clean(img):
    """fsck.fat -n on a copy of `img`'s partition: ToolError unless clean."""
    part = img.path + ".part"
    partition_save(img, part)
    run_tool(["fsck.fat", "-n", part])


def read_file(img, inner):
    """The bytes of file `inner` ("DIR/NAME") of `img`'s FAT, by mcopy."""
    out = img.path + ".out"
    run_tool(["mcopy", "-n", "-o", "-i", img.mtools_target, "::/" + inner, out])
    with open(out, "rb") as f:
        return f.read()


def assert_file_is_stream(img, inner, size, seed):
    """File `inner` of `img` holds exactly xorshift32_stream(seed, size)."""
    data = read_file(img, inner)
    assert len(data) == size, "%s: %d bytes, want %d" % (inner, len(data), size)
    assert data == xorshift32_stream(seed, size), "%s differs from the xorshift stream" % inner


def make_iso(directory, name, files):
    """An ISO9660 image (Rock Ridge, Joliet, volume id NAME upper-cased) of
    `files` {name: bytes}, made by xorriso in `directory`. Returns (path,
    2048-byte blocks, sha256 hex of the image)."""
    src = os.path.join(directory, name + "_files")
    os.makedirs(src, exist_ok=True)
    for fname, data in files.items():
        with open(os.path.join(src, fname), "wb") as f:
            f.write(data)
    path = os.path.join(directory, name + ".iso")
    run_tool(["xorriso", "-as", "mkisofs", "-quiet", "-J", "-R", "-V", name.upper(),
              "-o", path, src])
    with open(path, "rb") as f:
        data = f.read()
    return path, len(data) // 2048, hashlib.sha256(data).hexdigest()
