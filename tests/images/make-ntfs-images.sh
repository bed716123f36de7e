#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the NTFS test images for tests/unit/test_ntfs.c with ntfs-3g's tools,
# without mounting: mkntfs formats a file, ntfscp copies files in, and
# ntfs_tree.py (libntfs-3g through ctypes) makes folders, links and the
# fragmented file that ntfscp cannot. Into OUTDIR:
#   main.img   512-byte sectors, 4 KiB clusters, 1 KiB records: hello.txt
#              and a 5 MiB file by ntfscp, the rest by ntfs_tree.py main
#              (600-entry folder, sparse file, case pairs, Unicode names)
#   frag.img   a file of ~1200 runs with an attribute list (ntfs_tree frag)
#   c512.img   512-byte clusters (records straddle clusters)
#   c64k.img   64 KiB clusters
#   s4k.img    4096-byte sectors, 4 KiB clusters and 4 KiB MFT records
#   NAME.manifest what the image must show (image_check.h)
#   NAME.facts   MFT record numbers (ntfsls -i) for the damaged copies:
#                  rec NUMBER PATH
# ntfscat cross-checks two files of main.img against the manifest.
# Usage: make-ntfs-images.sh OUTDIR. Does nothing if OUTDIR was built by
# this very script version (stamp: see lib.sh); safe to run in parallel.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
images_begin "$@"
rm -f "$out"/*.img "$out"/*.manifest "$out/.stamp"
export LC_ALL=C.UTF-8 TZ=UTC
images_tmpdir
PATH=$PATH:/sbin:/usr/sbin
here=$(dirname "${BASH_SOURCE[0]}")

# mkimg NAME SIZE KIND MKNTFS_ARGS...: format, fill, manifest.
mkimg() {
    local name=$1 size=$2 kind=$3
    shift 3
    truncate -s "$size" "$tmp/$name.img"
    mkntfs -F -Q "$@" "$tmp/$name.img" >"$tmp/$name.log" 2>&1 ||
        { cat "$tmp/$name.log" >&2; exit 1; }
    python3 "$here/ntfs_tree.py" "$kind" "$tmp/$name.img" > "$tmp/$name.manifest"
}

# cp_in NAME FILE DEST: ntfscp FILE (times kept) to DEST, plus its manifest line.
cp_in() {
    ntfscp -q -t "$tmp/$1.img" "$2" "$3"
    printf 'f %d %s %s\n' "$(stat -c %s "$2")" "$(sha256sum < "$2" | cut -d' ' -f1)" \
        "${3#/}" >> "$tmp/$1.manifest"
}

# facts NAME DIR FILE...: "rec NUMBER DIR/FILE" for each FILE of DIR ("" = root).
facts() {
    local name=$1 dir=$2 f
    shift 2
    for f in "$@"; do
        ntfsls -i -p "/$dir" "$tmp/$name.img" |
            awk -v f="$f" -v d="$dir" '{ n = $1; sub(/^ *[0-9]+ /, "");
                if ($0 == f) print "rec", n, (d == "" ? "" : d "/") f }'
    done >> "$tmp/$name.facts"
}

# ---- main.img ------------------------------------------------------------------------------
mkimg main 48M main -s 512 -c 4096 -L 'NTFS label'
printf 'hello ntfs\n' > "$tmp/hello.txt"
python3 -c 'import random, sys; sys.stdout.buffer.write(random.Random(7).randbytes(5*1024*1024+7))' \
    > "$tmp/big.bin"
touch -d @1704067200 "$tmp/hello.txt" "$tmp/big.bin"
cp_in main "$tmp/hello.txt" /hello.txt
cp_in main "$tmp/big.bin" "/sub dir/big.bin"
for f in hello.txt "sub dir/big.bin"; do
    want=$(grep " $f\$" "$tmp/main.manifest" | cut -d' ' -f3)
    got=$(ntfscat "$tmp/main.img" "/$f" | sha256sum | cut -d' ' -f1)
    [ "$want" = "$got" ] || { echo "ntfscat /$f: $got, want $want" >&2; exit 1; }
done
facts main "" hello.txt data.bin small.bin many "sub dir"
facts main many entry-with-a-longer-name-0.txt

# ---- the others ----------------------------------------------------------------------------
mkimg frag 64M frag -s 512 -c 4096 -L FRAG
facts frag "" frag.bin
mkimg c512 8M small -s 512 -c 512 -L c512
mkimg c64k 64M small -s 512 -c 65536 -L c64k
mkimg s4k 16M small -s 4096 -c 4096 -L s4k

mv "$tmp"/*.img "$tmp"/*.manifest "$tmp"/*.facts "$out"/
images_done
