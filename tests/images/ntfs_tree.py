#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fill an NTFS image that mkntfs made, without mounting it, through
libntfs-3g (the library under ntfs-3g's own tools; ntfscp can copy files
but cannot make folders, links or fragmented files), and print the image's
manifest (tests/unit/image_check.h: "d PATH", "f SIZE SHA256 PATH",
"x PATH"). Usage: ntfs_tree.py KIND IMAGE > MANIFEST, KIND one of:
  main    folders (nested, one with 600 names: INDX blocks), resident and
          non-resident files, a sparse file, names differing only in case
          (POSIX namespace, as ntfs-3g writes), non-ASCII and non-BMP names,
          a symbolic link (a reparse point), an empty file
  frag    a file in ~1200 one-cluster runs whose runlist needs an attribute
          list and extent records: one-cluster files fill the volume, every
          other one is truncated, and the file is written into the holes
  small   a few files and a folder (for other cluster/sector sizes)
  seed    a small tree for fuzz seeds: a 60-entry folder (INDX blocks), a
          few small files
Files ntfscp should copy are listed in FILES_BY_NTFSCP and written by the
caller's script; everything here is deterministic except ntfs-3g's own
times and serial numbers."""

import ctypes
import hashlib
import random
import sys

P = ctypes.c_void_p
LIB = ctypes.CDLL("libntfs-3g.so.89")
S_IFDIR, S_IFREG = 0o040000, 0o100000
AT_DATA = 0x80


def _sig(name, res, args):
    fn = getattr(LIB, name)
    fn.restype, fn.argtypes = res, args


_sig("ntfs_mount", P, [ctypes.c_char_p, ctypes.c_ulong])
_sig("ntfs_umount", ctypes.c_int, [P, ctypes.c_int])
_sig("ntfs_pathname_to_inode", P, [P, P, ctypes.c_char_p])
_sig("ntfs_create", P, [P, ctypes.c_uint32, P, ctypes.c_uint8, ctypes.c_uint32])
_sig("ntfs_create_symlink", P, [P, ctypes.c_uint32, P, ctypes.c_uint8, P, ctypes.c_int])
_sig("ntfs_inode_close", ctypes.c_int, [P])
_sig("ntfs_attr_open", P, [P, ctypes.c_uint32, P, ctypes.c_uint32])
_sig("ntfs_attr_pwrite", ctypes.c_int64, [P, ctypes.c_int64, ctypes.c_int64, P])
_sig("ntfs_attr_truncate", ctypes.c_int, [P, ctypes.c_int64])
_sig("ntfs_attr_close", None, [P])
UNNAMED = ctypes.addressof((ctypes.c_uint16 * 1).in_dll(LIB, "AT_UNNAMED"))


def u16(name):
    b = name.encode("utf-16-le")
    return ctypes.create_string_buffer(b, len(b)), len(b) // 2


class Volume:
    def __init__(self, image):
        self.vol = LIB.ntfs_mount(image.encode(), 0)
        assert self.vol, "ntfs_mount failed"
        self.dirs = {"": LIB.ntfs_pathname_to_inode(self.vol, None, b"/")}
        self.manifest = []
        self.open = []

    def mkdir(self, path):
        parent, _, name = path.rpartition("/")
        buf, n = u16(name)
        ni = LIB.ntfs_create(self.dirs[parent], 0, buf, n, S_IFDIR)
        assert ni, "mkdir " + path
        self.dirs[path] = ni
        self.manifest.append("d " + path)

    def create(self, path):
        parent, _, name = path.rpartition("/")
        buf, n = u16(name)
        ni = LIB.ntfs_create(self.dirs[parent], 0, buf, n, S_IFREG)
        assert ni, "create " + path
        self.open.append(ni)
        return ni

    def write(self, ni, pos, data):
        na = LIB.ntfs_attr_open(ni, AT_DATA, UNNAMED, 0)
        done = LIB.ntfs_attr_pwrite(na, pos, len(data), data)
        LIB.ntfs_attr_close(na)
        return done

    def truncate(self, ni, size):
        na = LIB.ntfs_attr_open(ni, AT_DATA, UNNAMED, 0)
        assert LIB.ntfs_attr_truncate(na, size) == 0
        LIB.ntfs_attr_close(na)

    def file(self, path, data):
        """A file holding data (written in one piece, at 0)."""
        ni = self.create(path)
        if data:
            assert self.write(ni, 0, data) == len(data), "write " + path
        self.record(path, data)
        return ni

    def record(self, path, data):
        self.manifest.append("f %d %s %s" % (len(data), hashlib.sha256(data).hexdigest(), path))

    def symlink(self, path, target):
        parent, _, name = path.rpartition("/")
        buf, n = u16(name)
        tbuf, tn = u16(target)
        ni = LIB.ntfs_create_symlink(self.dirs[parent], 0, buf, n, tbuf, tn)
        assert ni, "symlink " + path
        self.open.append(ni)
        self.manifest.append("x " + path)

    def close(self):
        for ni in self.open:
            LIB.ntfs_inode_close(ni)
        for path in sorted(self.dirs, key=len, reverse=True):
            LIB.ntfs_inode_close(self.dirs[path])
        assert LIB.ntfs_umount(self.vol, 0) == 0


def build_main(v, r):
    v.mkdir("sub dir")
    v.mkdir("many")
    v.mkdir("deep")
    d = "deep"
    for i in range(1, 9):
        d += "/level%d" % i
        v.mkdir(d)
    v.file(d + "/leaf.txt", b"deep leaf\n")
    v.file("empty.dat", b"")
    v.file("small.bin", r.randbytes(600))            # resident
    v.file("data.bin", r.randbytes(3000))            # non-resident
    v.file("upper.txt", b"lower\n")                  # names equal ignoring case
    v.file("UPPER.TXT", b"UPPER!\n")
    v.file("sub dir/Ünïcödé näme – ✓.txt", r.randbytes(4321))
    v.file("sub dir/emoji \U0001F600.txt", b"smile\n")  # a surrogate pair
    v.file("sub dir/" + "n" * 251 + ".txt", b"long\n")  # 255 units
    # sparse.bin: data at 0 and at 10 MiB + 100, a hole between.
    ni = v.create("sparse.bin")
    head, tail = r.randbytes(4096), r.randbytes(5000)
    assert v.write(ni, 0, head) == len(head)
    assert v.write(ni, 10 * 1024 * 1024 + 100, tail) == len(tail)
    v.record("sparse.bin", head + bytes(10 * 1024 * 1024 + 100 - 4096) + tail)
    for i in range(600):
        v.file("many/entry-with-a-longer-name-%d.txt" % i, b"%d\n" % i)
    v.symlink("link-to-hello", "hello.txt")


def build_frag(v, r, holes=6000, cluster=4096):
    frag = v.create("frag.bin")
    data = r.randbytes(cluster)
    assert v.write(frag, 0, data) == cluster
    for k in range(3):  # image_check.h lists at most 3100 names a folder
        v.mkdir("holes%d" % k)
    hs = [v.create("holes%d/h%04d" % (i % 3, i)) for i in range(holes)]
    for h in hs:
        assert v.write(h, 0, b"h" * cluster) == cluster
    # Fill the rest of the volume, then free every other one-cluster file.
    fill = v.create("fill.bin")
    pos = 0
    while v.write(fill, pos, b"f" * cluster) == cluster:
        pos += cluster
    v.record("fill.bin", b"f" * pos)
    for i, h in enumerate(hs):
        if i % 2 == 0:
            v.truncate(h, 0)
        v.record("holes%d/h%04d" % (i % 3, i), b"" if i % 2 == 0 else b"h" * cluster)
    # frag.bin grows one cluster at a time into the holes.
    while True:
        piece = r.randbytes(cluster)
        if v.write(frag, len(data), piece) != cluster:
            break
        data += piece
    v.record("frag.bin", data)


def build_small(v, r):
    v.mkdir("folder")
    v.file("folder/inner.txt", b"inner\n")
    v.file("tiny.txt", b"tiny\n")
    v.file("mid.bin", r.randbytes(70000))
    v.file("folder/big.bin", r.randbytes(1024 * 1024 + 3))


def build_seed(v, r):
    v.mkdir("dir")
    for i in range(60):
        v.file("dir/entry number %02d.txt" % i, b"%d\n" % i)
    v.file("dir/data.bin", r.randbytes(20000))
    v.file("tiny.txt", b"tiny\n")


def main():
    kind, image = sys.argv[1], sys.argv[2]
    r = random.Random({"main": 1, "frag": 2, "small": 3, "seed": 4}[kind])
    v = Volume(image)
    {"main": build_main, "frag": build_frag, "small": build_small, "seed": build_seed}[kind](v, r)
    v.close()
    print("\n".join(sorted(v.manifest)))


if __name__ == "__main__":
    main()
