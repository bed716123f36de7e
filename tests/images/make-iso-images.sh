#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the ISO 9660 test images for tests/unit/test_iso9660.c with xorriso,
# deterministically (SOURCE_DATE_EPOCH, fixed file times, TZ=UTC), into OUTDIR:
#   plain1.iso    ISO level 1 (8.3 names), no Rock Ridge, no Joliet
#   plain2.iso    ISO level 2 (names up to 30 characters), no extensions
#   joliet.iso    Joliet only: mixed case, spaces, non-ASCII names (UCS-2)
#   rrjoliet.iso  Rock Ridge + Joliet: names longer than Joliet allows,
#                 a non-BMP character, 12 nested folders, a 300-entry folder,
#                 two names differing only in case
#   rrmoved.iso   Rock Ridge with deep_paths_off: folders deeper than 8
#                 levels are relocated to RR_MOVED (CL/PL/RE entries)
#   multi.iso     plain level 2 with MULTI/PX.BIN made of three extents: the
#                 records of P1.BIN, P2.BIN, P3.BIN renamed to one name and
#                 flagged multi-extent (ECMA-119 §6.5.1). xorriso only splits
#                 files of 4 GiB or more (its -file_size_limit refuses larger
#                 files instead of splitting them), so the records are patched.
#   NAME.manifest what the image must show, one line per object:
#                   d PATH
#                   f SIZE SHA256 PATH
# Usage: make-iso-images.sh OUTDIR. Does nothing if OUTDIR was built by this
# very script version (stamp: see lib.sh); safe to run in parallel.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
images_begin "$@"
rm -f "$out"/*.iso "$out"/*.manifest "$out/.stamp"
export LC_ALL=C.UTF-8 TZ=UTC SOURCE_DATE_EPOCH=1704067200
images_tmpdir

# gen FILE SIZE SEED: deterministic bytes from an independent generator.
gen() {
    python3 -c 'import sys, random
r = random.Random(int(sys.argv[3]))
open(sys.argv[1], "wb").write(r.randbytes(int(sys.argv[2])))' "$@"
}

# manifest SRC: the manifest lines of a source tree.
manifest() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r p; do
        p=${p#./}
        if [ -d "$p" ]; then
            printf 'd %s\n' "$p"
        else
            printf 'f %s %s %s\n' "$(stat -c %s "$p")" "$(sha256sum "$p" | cut -d' ' -f1)" "$p"
        fi
    done)
}

# iso NAME SRC XORRISO_SETTINGS...: the image of SRC and its manifest.
iso() {
    local name=$1 src=$2
    shift 2
    find "$src" -exec touch -h -d @1704067200 {} +
    xorriso -no_rc -report_about FAILURE -outdev "$tmp/$name.iso" -volid "${name^^}" "$@" \
        -map "$src" / >/dev/null 2>"$tmp/$name.log" || { cat "$tmp/$name.log" >&2; exit 1; }
    manifest "$src" > "$tmp/$name.manifest"
}

# Plain trees: names already in ISO form (upper case d-characters), so the
# image shows exactly the source names.
plain_tree() {
    local d=$1
    mkdir -p "$d/SUBDIR/NESTED/DEEPER/D4/D5/D6/D7"
    printf 'hello iso\n' > "$d/HELLO.TXT"
    : > "$d/EMPTY.DAT"
    gen "$d/DATA.BIN" 3000 1
    gen "$d/SUBDIR/NESTED/DEEPER/LEAF.TXT" 777 2
    gen "$d/SUBDIR/NOEXT" 1234 3
    gen "$d/SUBDIR/BIG.BIN" 204800 4
    gen "$d/SUBDIR/NESTED/DEEPER/D4/D5/D6/D7/BOTTOM.TXT" 55 5
}

mkdir -p "$tmp/plain1"
plain_tree "$tmp/plain1"
iso plain1 "$tmp/plain1" -rockridge off -joliet off -compliance iso_9660_level=1

mkdir -p "$tmp/plain2"
plain_tree "$tmp/plain2"
gen "$tmp/plain2/LONGER_FILE_NAME_LEVEL2.DAT" 4097 6
gen "$tmp/plain2/SUBDIR/A_NAME_OF_THIRTY_CHARS_X.TXT" 100 7
iso plain2 "$tmp/plain2" -rockridge off -joliet off -compliance iso_9660_level=2

# Joliet: names within its 64-unit limit and UCS-2.
mkdir -p "$tmp/joliet/Sub Dir/Nested Folder/deeper"
printf 'hello joliet\n' > "$tmp/joliet/Hello.txt"
: > "$tmp/joliet/empty file.dat"
gen "$tmp/joliet/A Long File Name With Spaces.bin" 3000 11
gen "$tmp/joliet/Sub Dir/Ünïcödé näme – ✓.txt" 1234 12
gen "$tmp/joliet/Sub Dir/Nested Folder/deeper/leaf file.txt" 777 13
gen "$tmp/joliet/Sub Dir/MiXeD.CaSe" 512 14
gen "$tmp/joliet/Sub Dir/Кириллица.bin" 2049 15
iso joliet "$tmp/joliet" -rockridge off -joliet on

# Rock Ridge + Joliet: everything, with names Joliet cannot hold.
r="$tmp/rrjoliet"
mkdir -p "$r/Sub Dir/Nested Folder/deeper" "$r/many"
mkdir -p "$r/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12"
printf 'hello rock ridge\n' > "$r/Hello.txt"
: > "$r/empty file.dat"
gen "$r/A Long File Name With Spaces.bin" 3000 21
gen "$r/$(printf 'n%.0s' $(seq 1 100))$(printf 'o%.0s' $(seq 1 100)).long" 321 22
gen "$r/Sub Dir/Ünïcödé näme – ✓.txt" 1234 23
gen "$r/Sub Dir/emoji 😀 name.txt" 99 24
gen "$r/Sub Dir/Nested Folder/deeper/leaf file.txt" 777 25
gen "$r/Sub Dir/MiXeD.CaSe" 512 26
gen "$r/same.txt" 10 27
gen "$r/SAME.TXT" 20 28
gen "$r/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/bottom.bin" 5000 29
gen "$r/big.bin" 1048577 30
for i in $(seq -w 1 300); do
    printf '%s\n' "$i" > "$r/many/$i entry with a long name.txt"
done
iso rrjoliet "$r" -rockridge on -joliet on

# Rock Ridge with relocation of deep folders.
r="$tmp/rrmoved"
mkdir -p "$r/a/b/c/d/e/f/g/h/i/j/k"
gen "$r/a/b/c/d/e/f/g/h/i/j/k/deep leaf.txt" 300 31
gen "$r/a/b/c/d/e/f/g/h/i/mid.txt" 301 32
gen "$r/top.txt" 302 33
iso rrmoved "$r" -rockridge on -joliet off -compliance deep_paths_off -rr_reloc_dir RR_MOVED

# Multi-extent: three files, then their records patched into one file.
r="$tmp/multi"
mkdir -p "$r/MULTI"
printf 'multi\n' > "$r/README.TXT"
gen "$r/MULTI/P1.BIN" 1048576 41
gen "$r/MULTI/P2.BIN" 1048576 42
gen "$r/MULTI/P3.BIN" 1000001 43
gen "$r/MULTI/AFTER.BIN" 777 44
iso multi "$r" -rockridge off -joliet off -compliance iso_9660_level=2
python3 - "$tmp/multi.iso" <<'EOF'
import struct, sys
path = sys.argv[1]
img = bytearray(open(path, "rb").read())
B = 2048
def records(block, size):
    off = 0
    while off < size:
        pos = block * B + off
        n = img[pos]
        if n == 0:
            off = (off // B + 1) * B
            continue
        yield pos
        off += n
def ident(pos):
    return bytes(img[pos + 33:pos + 33 + img[pos + 32]])
root = 16 * B + 156
rb, rs = struct.unpack_from("<I", img, root + 2)[0], struct.unpack_from("<I", img, root + 10)[0]
mdir = [p for p in records(rb, rs) if ident(p) == b"MULTI"][0]
mb, ms = struct.unpack_from("<I", img, mdir + 2)[0], struct.unpack_from("<I", img, mdir + 10)[0]
parts = {ident(p): p for p in records(mb, ms)}
order = [parts[b"P1.BIN;1"], parts[b"P2.BIN;1"], parts[b"P3.BIN;1"]]
assert order == sorted(order) and all(b - a == img[a] for a, b in zip(order, order[1:]))
for i, p in enumerate(order):
    img[p + 33:p + 41] = b"PX.BIN;1"
    if i < 2:
        img[p + 25] |= 0x80
open(path, "wb").write(img)
EOF
cat "$r/MULTI/P1.BIN" "$r/MULTI/P2.BIN" "$r/MULTI/P3.BIN" > "$tmp/px.bin"
grep -v ' MULTI/P[123].BIN$' "$tmp/multi.manifest" > "$tmp/multi.m2"
printf 'f %s %s MULTI/PX.BIN\n' "$(stat -c %s "$tmp/px.bin")" \
    "$(sha256sum "$tmp/px.bin" | cut -d' ' -f1)" >> "$tmp/multi.m2"
mv "$tmp/multi.m2" "$tmp/multi.manifest"

for n in plain1 plain2 joliet rrjoliet rrmoved multi; do
    mv "$tmp/$n.iso" "$tmp/$n.manifest" "$out/"
done
images_done
