#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the FAT test images for tests/unit/test_fat_*.c with real tools
# (mkfs.fat, mtools), deterministically (fixed volume ids, --invariant, fixed
# file times, SOURCE_DATE_EPOCH), into OUTDIR:
#   fat12.img   1440 KiB floppy, FAT12
#   fat16.img   16 MiB superfloppy, FAT16, 4 sectors per cluster
#   fat32.img   40 MiB superfloppy, FAT32, 1 sector per cluster, with a
#               folder of 5000 entries (many/)
#   NAME.manifest  what mtools was given, one line per object:
#                    d PATH
#                    f SIZE SHA256 PATH
#                  PATH is UTF-8, '/'-separated, without a leading '/'.
# Every image holds nested folders, long and non-ASCII names, a zero-length
# file and a fragmented file (made by deleting a file between two others
# and copying a larger one into the hole).
# Usage: make-fat-images.sh OUTDIR. Does nothing if OUTDIR was built by this
# very script version (stamp: see lib.sh); safe to run in parallel.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
images_begin "$@"
rm -f "$out"/*.img "$out"/*.manifest "$out/.stamp"
export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8 TZ=UTC SOURCE_DATE_EPOCH=1704067200
images_tmpdir

# gen FILE SIZE SEED: deterministic bytes (not the xorshift stream on purpose:
# an independent generator, so a bug in ours cannot hide in both sides).
gen() {
    python3 -c 'import sys,random; r=random.Random(int(sys.argv[3])); open(sys.argv[1],"wb").write(bytes(r.getrandbits(8) for _ in range(int(sys.argv[2]))))' "$@"
}

# tree DIR: the common content of every image.
tree() {
    local d=$1
    mkdir -p "$d/SUBDIR/Nested Folder/deeper"
    printf 'hello fat\n' > "$d/HELLO.TXT"
    : > "$d/empty.dat"
    gen "$d/A Long File Name With Spaces.bin" 3000 1
    gen "$d/SUBDIR/Nested Folder/deeper/leaf file.txt" 777 2
    gen "$d/SUBDIR/Ünïcödé näme – ✓.txt" 1234 3
    gen "$d/SUBDIR/Nested Folder/lowercase.txt" 10 4
    gen "$d/SUBDIR/MiXeD.CaSe" 512 5
}

# image NAME SIZE_KIB MKFS_ARGS...: mkfs, copy the tree, make a fragmented file.
image() {
    local name=$1 kib=$2
    shift 2
    local img="$tmp/$name.img" src="$tmp/$name.src"
    rm -rf "$src"
    tree "$src"
    truncate -s 0 "$img"
    truncate -s "${kib}K" "$img"
    mkfs.fat "$@" --invariant -n "SPINDLE" "$img" >/dev/null
    # Fragmentation: pad1, gap, pad2 in a row; remove gap; frag.bin fills the
    # hole and continues after pad2.
    gen "$tmp/pad1" 4096 10
    gen "$tmp/gap" 8192 11
    gen "$tmp/pad2" 4096 12
    mcopy -i "$img" "$tmp/pad1" ::/PAD1.BIN
    mcopy -i "$img" "$tmp/gap" ::/GAP.BIN
    mcopy -i "$img" "$tmp/pad2" ::/PAD2.BIN
    mdel -i "$img" ::/GAP.BIN
    gen "$src/frag.bin" 20000 13
    mcopy -i "$img" "$src/frag.bin" ::/frag.bin
    cp "$tmp/pad1" "$src/PAD1.BIN"
    cp "$tmp/pad2" "$src/PAD2.BIN"
    find "$src" -exec touch -d @1704067200 {} +
    (cd "$src" && for f in *; do
        [ "$f" = frag.bin ] || [ "$f" = PAD1.BIN ] || [ "$f" = PAD2.BIN ] || \
            mcopy -s -m -i "$img" "$f" ::/
    done)
    # The manifest, from the source tree (what mtools was given).
    (cd "$src" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
        p=${p#./}
        if [ -d "$p" ]; then
            printf 'd %s\n' "$p"
        else
            printf 'f %s %s %s\n' "$(stat -c %s "$p")" "$(sha256sum "$p" | cut -d' ' -f1)" "$p"
        fi
    done) > "$tmp/$name.manifest"
}

image fat12 1440 -F 12 -i 12121212
image fat16 16384 -F 16 -s 4 -i 16161616
# FAT32 also gets a folder of 5000 entries (long names, 2 slots each). The
# names start with the number so every 8.3 alias basis is unique: mtools
# probes ~N tails one by one, which is quadratic on a shared basis.
image fat32 40960 -F 32 -s 1 -i 32323232
mkdir -p "$tmp/many/many"
for i in $(seq -w 1 5000); do
    printf '%s\n' "$i" > "$tmp/many/many/$i long entry.txt"
done
touch -d @1704067200 "$tmp/many/many" "$tmp/many/many"/*
mcopy -s -m -i "$tmp/fat32.img" "$tmp/many/many" ::/
{
    printf 'd many\n'
    for i in $(seq -w 1 5000); do
        printf 'f 5 %s many/%s long entry.txt\n' "$(sha256sum < "$tmp/many/many/$i long entry.txt" | cut -d' ' -f1)" "$i"
    done
} >> "$tmp/fat32.manifest"

for n in fat12 fat16 fat32; do
    fsck.fat -n "$tmp/$n.img" >/dev/null
    mv "$tmp/$n.img" "$tmp/$n.manifest" "$out/"
done
images_done
