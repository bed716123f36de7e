#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Images for tools/bench/vdisk_bench (issue #7 benchmark), made with the real
# tools into OUTDIR (default build/host/bench/vdisk):
#   files/disk.raw       64 MiB: per 64 KiB block random, text-like or zero,
#                        every 8th MiB all zero (so sparse formats skip it)
#   files/*.vdi|vhd|vmdk|qcow2  qemu-img convert of disk.raw: vdi dynamic and
#                        static, vpc dynamic and fixed, vmdk monolithicSparse
#                        and streamOptimized, qcow2 plain and compressed, and
#                        a qcow2 overlay on the plain one with 9 MiB rewritten
#                        by qemu-io
#   fat.img              FAT32 (mkfs.fat) holding all of files/ in its root
#   images.txt           "NAME FILE QEMU_FORMAT" per image, in benchmark order
# Deterministic (seeded data, --invariant, fixed volume id and file times).
# Idempotent: kept when fat.img is newer than this script.
# Usage: tests/bench/vdisk_images.sh [OUTDIR]
set -euo pipefail

outdir=${1:-build/host/bench/vdisk}
script=${BASH_SOURCE[0]}
files=$outdir/files
disk_mib=64

if [[ -f $outdir/fat.img && -f $outdir/images.txt && $outdir/fat.img -nt $script ]]; then
    echo "vdisk_images: $outdir is up to date" >&2
    exit 0
fi
for tool in qemu-img qemu-io mkfs.fat mcopy python3; do
    command -v "$tool" >/dev/null || { echo "vdisk_images: $tool not found" >&2; exit 1; }
done
export MTOOLS_SKIP_CHECK=1 LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=1704067200
rm -rf "$outdir"
mkdir -p "$files"

# 1. The known raw disk.
echo "vdisk_images: raw disk ($disk_mib MiB)..." >&2
python3 - "$files/disk.raw" "$disk_mib" <<'EOF'
import random, sys
path, mib = sys.argv[1], int(sys.argv[2])
rng = random.Random(7)
with open(path, "wb") as f:
    for i in range(mib * 16):                 # 64 KiB blocks
        if (i // 16) % 8 == 5 or i % 8 == 5:  # a whole MiB, or one block in 8
            f.write(bytes(65536))
        elif i % 8 in (3, 4):                 # compressible, not constant
            line = b"spindle vdisk bench block %06d %08x\n" % (i, rng.getrandbits(32))
            f.write((line * (65536 // len(line) + 1))[:65536])
        else:
            f.write(rng.randbytes(65536))
EOF

# 2. The formats (NAME, file, qemu-img convert options).
# (qemu-img needs the format named: it takes a fixed VHD for raw.)
conv() {
    local name=$1 file=$2 fmt=$3
    shift 3
    echo "vdisk_images: $name..." >&2
    qemu-img convert -f raw -O "$fmt" "$@" "$files/disk.raw" "$files/$file"
    echo "$name $file $fmt" >> "$outdir/images.txt.part"
}
echo "raw disk.raw raw" > "$outdir/images.txt.part"
conv vdi_dynamic vdi-dyn.vdi vdi
conv vdi_static vdi-static.vdi vdi -o static=on
conv vhd_dynamic vhd-dyn.vhd vpc -o subformat=dynamic,force_size=on
conv vhd_fixed vhd-fixed.vhd vpc -o subformat=fixed,force_size=on
conv vmdk_sparse vmdk-sparse.vmdk vmdk -o subformat=monolithicSparse
conv vmdk_stream vmdk-stream.vmdk vmdk -o subformat=streamOptimized
conv qcow2 plain.qcow2 qcow2
conv qcow2_compressed comp.qcow2 qcow2 -c
echo "vdisk_images: qcow2_overlay..." >&2
(cd "$files" && qemu-img create -q -f qcow2 -b plain.qcow2 -F qcow2 overlay.qcow2 \
    "${disk_mib}M" &&
    qemu-io -f qcow2 -c "write -P 0xa5 4M 8M" -c "write -P 0x3c 40M 1M" overlay.qcow2 \
        >/dev/null)
echo "qcow2_overlay overlay.qcow2 qcow2" >> "$outdir/images.txt.part"

# 3. A FAT32 volume holding them all, with room to spare.
total_kib=$(du -k --apparent-size -c "$files"/* | tail -1 | cut -f1)
fat_kib=$(( total_kib * 11 / 10 + 32 * 1024 ))
echo "vdisk_images: FAT32 image ($(( fat_kib / 1024 )) MiB), copying files..." >&2
mkfs.fat -F 32 -i 5b1d0007 --invariant -C "$outdir/fat.img" "$fat_kib" >/dev/null
touch -d @1704067200 "$files"/*
mcopy -m -i "$outdir/fat.img" "$files"/* ::/
mv "$outdir/images.txt.part" "$outdir/images.txt"
echo "vdisk_images: done" >&2
