#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the raw/ISO/VDI/VHD test images for tests/unit/test_vd_*.c from one
# known disk with real tools (sfdisk, mkfs.fat, mtools, xorriso, qemu-img,
# qemu-io), deterministically, into OUTDIR:
#   disk.raw          32 MiB: MBR, a FAT16 partition (1..28 MiB) holding
#                     seeded random files, 1 MiB of zeroes, 3 MiB of seeded
#                     random data at the end
#   offset.raw        4 KiB of 0x5a, then disk.raw (raw with a byte offset)
#   dyn.vdi static.vdi        qemu-img convert -O vdi (static=off/on)
#   dyn.vhd fixed.vhd         qemu-img convert -O vpc (subformat dynamic/fixed)
#   sparse.vmdk stream.vmdk   -O vmdk monolithicSparse / streamOptimized
#   plain.qcow2 comp.qcow2 v2.qcow2   -O qcow2, with -c, with compat=0.10
#   over-qcow2.qcow2  qcow2 backed by plain.qcow2, written by qemu-io
#   over-vdi.qcow2    qcow2 backed by dyn.vdi (a chain across formats)
#   small.iso         xorriso ISO 9660 of a few files
#   expect.txt        one line per image: NAME BYTES SHA256 of
#                     `qemu-img convert -O raw NAME` (ISO/raw: of the file)
# Usage: make-vdisk-images.sh OUTDIR. Does nothing if OUTDIR was built by
# this very script version (stamp: see lib.sh); safe to run in parallel.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
images_begin "$@"
find "$out" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8 TZ=UTC SOURCE_DATE_EPOCH=1704067200
images_tmpdir

# gen FILE SIZE SEED: deterministic bytes from Python's seeded generator.
gen() {
    python3 -c 'import sys, random
r = random.Random(int(sys.argv[3]))
open(sys.argv[1], "wb").write(r.randbytes(int(sys.argv[2])))' "$@"
}

# 1. The known raw disk.
truncate -s 32M "$tmp/disk.raw"
printf 'label: dos\nlabel-id: 0x5644534b\nstart=2048, size=55296, type=6\n' | \
    sfdisk -q "$tmp/disk.raw"
truncate -s $((55296 * 512)) "$tmp/part.img"
mkfs.fat -F 16 -i 56445346 -n VDISK --invariant "$tmp/part.img" >/dev/null
mkdir -p "$tmp/tree/sub dir"
gen "$tmp/tree/RANDOM1.BIN" 1500000 21
gen "$tmp/tree/sub dir/random two.bin" 700001 22
gen "$tmp/tree/SMALL.TXT" 100 23
find "$tmp/tree" -exec touch -d @1704067200 {} +
mcopy -s -m -i "$tmp/part.img" "$tmp/tree/RANDOM1.BIN" "$tmp/tree/SMALL.TXT" \
    "$tmp/tree/sub dir" ::/
dd if="$tmp/part.img" of="$tmp/disk.raw" bs=512 seek=2048 conv=notrunc status=none
gen "$tmp/tail.bin" $((3 * 1024 * 1024)) 24
dd if="$tmp/tail.bin" of="$tmp/disk.raw" bs=1M seek=29 conv=notrunc status=none
{ head -c 4096 /dev/zero | tr '\0' 'Z'; cat "$tmp/disk.raw"; } > "$tmp/offset.raw"

# 2. Conversions.
cd "$tmp"
qemu-img convert -f raw -O vdi disk.raw dyn.vdi
qemu-img convert -f raw -O vdi -o static=on disk.raw static.vdi
qemu-img convert -f raw -O vpc -o subformat=dynamic disk.raw dyn.vhd
qemu-img convert -f raw -O vpc -o subformat=fixed disk.raw fixed.vhd
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse disk.raw sparse.vmdk
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized disk.raw stream.vmdk
qemu-img convert -f raw -O qcow2 disk.raw plain.qcow2
qemu-img convert -f raw -O qcow2 -c disk.raw comp.qcow2
qemu-img convert -f raw -O qcow2 -o compat=0.10 disk.raw v2.qcow2
qemu-img create -q -f qcow2 -b plain.qcow2 -F qcow2 over-qcow2.qcow2
qemu-io -f qcow2 -c 'write -q -P 0x5c 5M 100k' -c 'write -q -P 0xa7 30M 8k' over-qcow2.qcow2
qemu-img create -q -f qcow2 -b dyn.vdi -F vdi over-vdi.qcow2
qemu-io -f qcow2 -c 'write -q -P 0x3e 1M 64k' -c 'write -q -P 0x71 31M 4k' over-vdi.qcow2
mkdir -p isotree
printf 'iso file\n' > isotree/README.TXT
gen isotree/DATA.BIN 50000 25
find isotree -exec touch -d @1704067200 {} +
xorriso -as mkisofs -quiet -V SPINDLE_VD -o small.iso isotree 2>/dev/null

# 3. Expected content of every image.
expect() {
    local name=$1 src=$2
    printf '%s %s %s\n' "$name" "$(stat -c %s "$src")" "$(sha256sum "$src" | cut -d' ' -f1)"
}
{
    expect disk.raw disk.raw
    expect small.iso small.iso
    for img in dyn.vdi static.vdi dyn.vhd fixed.vhd sparse.vmdk stream.vmdk plain.qcow2 \
               comp.qcow2 v2.qcow2 over-qcow2.qcow2 over-vdi.qcow2; do
        case $img in
            *.vdi) fmt=vdi ;; *.vhd) fmt=vpc ;; *.vmdk) fmt=vmdk ;; *) fmt=qcow2 ;;
        esac
        qemu-img convert -f "$fmt" -O raw "$img" conv.tmp
        expect "$img" conv.tmp
        rm -f conv.tmp
    done
} > expect.txt

mv disk.raw offset.raw dyn.vdi static.vdi dyn.vhd fixed.vhd sparse.vmdk stream.vmdk \
   plain.qcow2 comp.qcow2 v2.qcow2 over-qcow2.qcow2 over-vdi.qcow2 small.iso expect.txt "$out/"
images_done
