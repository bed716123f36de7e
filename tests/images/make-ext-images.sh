#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the ext test images for tests/unit/test_ext.c with mke2fs -d (from a
# source tree), deterministically (fixed UUID, hash seed, file times, TZ=UTC,
# E2FSPROGS_FAKE_TIME), into OUTDIR:
#   ext4.img     mkfs.ext4 defaults (4 KiB blocks, 64bit, extents, flex_bg,
#                metadata_csum, 256-byte inodes): a 3000-entry (htree)
#                folder, 24 nested folders, a 5 MiB file, a sparse file,
#                a file of 40 extents (extent tree of depth 1), symlinks
#                (fast, slow, absolute, to a folder, dangling, a loop), a
#                fifo, non-ASCII names and names differing in case only
#   ext2.img     ext2 with 1 KiB blocks and block maps: files crossing the
#                single/double/triple indirect boundaries (sparse)
#   ext3.img     ext3 (journal, block maps) with 4 KiB blocks
#   small.img    ext4, 1 KiB blocks, no 64bit, no metadata_csum, 128-byte
#                inodes, meta_bg over 40 groups: a file of 400 extents
#                (extent tree of depth 2)
#   inline.img   ext4 with inline_data: small files and folders in inodes
#   bigalloc.img ext4, 1 KiB blocks in 16 KiB clusters: first data block 0,
#                yet the descriptors are at block 2
#   bigmeta.img  the same with meta_bg (descriptor block 0 in group 0)
#   NAME.manifest what the image must show, one line per object:
#                   d PATH | f SIZE SHA256 PATH | x PATH (a link, listed only)
#   NAME.facts   where debugfs says things are, for the damaged copies:
#                   imap BLOCK OFFSET PATH (the inode) | blocks FIRST PATH
# Usage: make-ext-images.sh OUTDIR. Does nothing if OUTDIR was built by this
# very script version (stamp: see lib.sh); safe to run in parallel.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
images_begin "$@"
rm -f "$out"/*.img "$out"/*.manifest "$out"/*.facts "$out/.stamp"
export LC_ALL=C.UTF-8 TZ=UTC E2FSPROGS_FAKE_TIME=1704067200 SOURCE_DATE_EPOCH=1704067200
images_tmpdir
PATH=$PATH:/sbin:/usr/sbin

# py SCRIPT ARGS...: a small python helper (deterministic bytes, sparse files).
py() { python3 -c "$@"; }

# gen FILE SIZE SEED: deterministic bytes.
gen() {
    py 'import sys, random
r = random.Random(int(sys.argv[3]))
open(sys.argv[1], "wb").write(r.randbytes(int(sys.argv[2])))' "$@"
}

# islands FILE COUNT PIECE GAP SEED: COUNT pieces of PIECE random bytes,
# each followed by a GAP-byte hole (so each piece is its own extent).
islands() {
    py 'import sys, random
f, n, piece, gap, seed = sys.argv[1], *map(int, sys.argv[2:])
r = random.Random(seed)
with open(f, "wb") as o:
    for i in range(n):
        o.seek(i * (piece + gap))
        o.write(r.randbytes(piece))' "$@"
}

# at FILE OFFSET SIZE SEED: random bytes at OFFSET (holes around them).
at() {
    py 'import sys, random
f, off, size, seed = sys.argv[1], *map(int, sys.argv[2:])
r = random.Random(seed)
with open(f, "r+b" if __import__("os").path.exists(f) else "wb") as o:
    o.seek(off)
    o.write(r.randbytes(size))' "$@"
}

# manifest SRC: the manifest lines of a source tree (links: "x", not followed).
manifest() {
    py 'import hashlib, os, sys
src = sys.argv[1]
lines = ["d lost+found"]
for root, dirs, files in os.walk(src):
    for n in dirs + files:
        p = os.path.join(root, n)
        rel = os.path.relpath(p, src)
        if os.path.islink(p):
            lines.append("x " + rel)
        elif os.path.isdir(p):
            lines.append("d " + rel)
        elif os.path.isfile(p):
            d = open(p, "rb").read()
            lines.append("f %d %s %s" % (len(d), hashlib.sha256(d).hexdigest(), rel))
        else:
            lines.append("x " + rel)
print("\n".join(sorted(lines, key=lambda l: l.split(" ")[-1])))' "$1"
}

# facts NAME PATH...: inode locations and first data blocks of PATHs.
facts() {
    local name=$1 p
    shift
    for p in "$@"; do
        debugfs -R "imap \"$p\"" "$tmp/$name.img" 2>/dev/null |
            awk -v p="$p" '/located at block/ { sub(",", "", $4); print "imap", $4, $6, p }'
        debugfs -R "blocks \"$p\"" "$tmp/$name.img" 2>/dev/null |
            awk -v p="$p" 'NF { print "blocks", $1, p }'
    done >> "$tmp/$name.facts"
}

# mkimg NAME SRC SIZE MKE2FS_ARGS...: the image of SRC and its manifest.
mkimg() {
    local name=$1 src=$2 size=$3
    shift 3
    find "$src" -exec touch -h -d @1704067200 {} +
    rm -f "$tmp/$name.img"
    truncate -s "$size" "$tmp/$name.img"
    mke2fs -q -F -U 0b1e5c2a-1234-4cde-8f00-0123456789ab \
        -E hash_seed=6f1f0c3a-5d4e-4b2a-9c8d-0123456789ab -d "$src" "$@" "$tmp/$name.img" \
        >"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log" >&2; exit 1; }
    manifest "$src" > "$tmp/$name.manifest"
}

# ---- ext4 (defaults) -----------------------------------------------------------------------
s=$tmp/ext4src
mkdir -p "$s/many" "$s/sub dir"
printf 'hello ext\n' > "$s/hello.txt"
: > "$s/empty.dat"
gen "$s/data.bin" 3000 1
gen "$s/big.bin" $((5 * 1024 * 1024 + 7)) 2
at "$s/sparse.bin" 0 4096 3
at "$s/sparse.bin" $((10 * 1024 * 1024 + 100)) 5000 4
truncate -s $((20 * 1024 * 1024)) "$s/sparse.bin"
islands "$s/islands.bin" 40 4096 8192 5
printf 'lower\n' > "$s/upper.txt"
printf 'UPPER!\n' > "$s/UPPER.TXT"
gen "$s/sub dir/Ünïcödé näme – ✓.txt" 4321 6
d=$s/deep
for i in $(seq 1 24); do d=$d/level$i; done
mkdir -p "$d"
printf 'deep leaf\n' > "$d/leaf.txt"
for i in $(seq 0 2999); do printf '%d\n' "$i" > "$s/many/entry-with-a-longer-name-$i.txt"; done
ln -s hello.txt "$s/link-hello"
up=/deep/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10
ln -s "$up/leaf-up/../level11" "$s/link-slow"
ln -s /deep/level1 "$s/link-abs-dir"
ln -s "sub dir" "$s/link-dir"
ln -s ../hello.txt "$s/sub dir/link-up"
ln -s nowhere "$s/dangling"
ln -s loop-b "$s/loop-a"
ln -s loop-a "$s/loop-b"
mkfifo "$s/fifo"
mkdir -p "$s/deep/level1/level2/level3/level4/level5/level6/level7/level8/level9/level10/leaf-up"
mkimg ext4 "$s" 48M -t ext4 -b 4096 -N 4096 -L 'ext4 label'
# mke2fs -d writes linear folders; e2fsck -D rebuilds them as htrees (exit 1: changed).
e2fsck -fyD "$tmp/ext4.img" >"$tmp/fsck.log" 2>&1 || [ $? -eq 1 ] ||
    { cat "$tmp/fsck.log" >&2; exit 1; }
facts ext4 /hello.txt /big.bin /islands.bin "/sub dir" /many /link-hello

# ---- ext2, 1 KiB blocks, block maps ---------------------------------------------------------
s=$tmp/ext2src
mkdir -p "$s/sub"
printf 'hello ext2\n' > "$s/hello.txt"
gen "$s/indirect.bin" $((300 * 1024 + 11)) 7      # direct -> single -> double
at "$s/triple.bin" 0 20480 8                      # direct and single
at "$s/triple.bin" $((268 * 1024 - 4096)) 8192 9  # single -> double at 268 KiB
at "$s/triple.bin" $((65804 * 1024 - 4096)) 8192 10 # double -> triple at 65804 KiB
at "$s/triple.bin" $((70 * 1024 * 1024)) 1000 11
gen "$s/sub/file.bin" 5000 12
ln -s ../hello.txt "$s/sub/link"
ln -s "$(printf 'x%.0s' $(seq 1 80))" "$s/slowlink"
mkimg ext2 "$s" 16M -t ext2 -b 1024 -L EXT2VOL
facts ext2 /indirect.bin /sub

# ---- ext3 --------------------------------------------------------------------------------------
s=$tmp/ext3src
mkdir -p "$s/a/b"
printf 'hello ext3\n' > "$s/hello.txt"
gen "$s/a/b/mid.bin" $((4 * 1024 * 1024 + 3)) 13  # past the 4 KiB single indirect
mkimg ext3 "$s" 16M -t ext3 -b 4096

# ---- small ext4: 1 KiB blocks, 128-byte inodes, meta_bg, deep extent tree ---------------------
s=$tmp/smallsrc
mkdir -p "$s"
printf 'hello small\n' > "$s/hello.txt"
islands "$s/islands.bin" 400 1024 7168 14  # one piece per 4 KiB host block
mkimg small "$s" 10M -t ext4 -b 1024 -I 128 -g 256 -N 2048 \
    -O ^64bit,^metadata_csum,^resize_inode,meta_bg,^flex_bg

# ---- inline data -----------------------------------------------------------------------------
s=$tmp/inlinesrc
mkdir -p "$s/tiny" "$s/small dir"
printf 'inline hello\n' > "$s/hello.txt"
gen "$s/tiny/t100.bin" 100 15
gen "$s/tiny/t50.bin" 50 16
gen "$s/big.bin" 10000 17
printf 'x\n' > "$s/small dir/a"
ln -s ../hello.txt "$s/tiny/link"
mkimg inline "$s" 8M -t ext4 -I 256 -O inline_data

# ---- bigalloc with 1 KiB blocks (first data block 0) ----------------------------------------
s=$tmp/bigsrc
mkdir -p "$s/dir"
printf 'hello bigalloc\n' > "$s/hello.txt"
gen "$s/dir/data.bin" 70000 18
mkimg bigalloc "$s" 16M -t ext4 -b 1024 -O bigalloc -C 16384
mkimg bigmeta "$s" 16M -t ext4 -b 1024 -O bigalloc,meta_bg,^resize_inode -C 4096

mv "$tmp"/*.img "$tmp"/*.manifest "$tmp"/*.facts "$out"/
images_done
