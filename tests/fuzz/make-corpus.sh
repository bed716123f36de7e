#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Seed corpora for the libFuzzer harnesses (tests/fuzz/fuzz_*.c), made with
# real tools and never checked in: OUTDIR/<harness>/<seed>.
#   part/   MBR with an EBR chain, and GPT, from sfdisk, sgdisk and fdisk, with
#           512- and 4096-byte sectors; a FAT superfloppy boot sector
#   fat/    FAT12, FAT16 and FAT32 volumes from mkfs.fat + mtools (folders,
#           long and non-ASCII names, an empty and a fragmented file), and a
#           FAT12 volume inside an MBR partition; trailing zeros cut (the
#           harness reads them back as zeros)
#   shell/  command lines with quotes, escapes, ';' and faulty rules
#   iso9660/ xorriso images with Rock Ridge and Joliet, trailing zeros cut
#   ext/    mke2fs -d images: ext2 (block maps), ext4 (extents), ext4 with
#           inline data, ext4 bigalloc + meta_bg (first data block 0), 1 KiB
#           blocks, no journal, trailing zeros cut
#   ntfs/   1 MiB mkntfs images (4 KiB, 512-byte and 1 KiB clusters) filled by
#           tests/images/ntfs_tree.py seed and ntfscp, the backup boot
#           sector (last sector) zeroed, then trailing zeros cut
#   vdisk/  one small MBR+FAT disk as qemu-img writes it: vdi, vhd (dynamic,
#           fixed), vmdk (sparse, streamOptimized), qcow2 (plain, compressed)
#   usb/    USB descriptors, SCSI replies and BOT CSWs (make-usb-seeds.py)
# Usage: make-corpus.sh OUTDIR. Skips the work if OUTDIR was made by this very
# script version (stamp = sha256 of the script).
set -euo pipefail

out=${1:?usage: make-corpus.sh OUTDIR}
mkdir -p "$out"
sum=$(sha256sum "$0" | cut -d' ' -f1)
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$sum" ]; then
    exit 0
fi
rm -rf "$out"/part "$out"/fat "$out"/shell "$out"/iso9660 "$out"/ext "$out"/ntfs "$out"/vdisk \
    "$out"/usb "$out/.stamp"
mkdir -p "$out"/part "$out"/fat "$out"/shell "$out"/iso9660 "$out"/ext "$out"/ntfs "$out"/vdisk
export MTOOLS_SKIP_CHECK=1 LC_ALL=C.UTF-8 TZ=UTC SOURCE_DATE_EPOCH=1704067200
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# trim FILE: drop trailing zero bytes (at least one byte stays).
trim() {
    python3 -c 'import sys; p=sys.argv[1]; d=open(p,"rb").read().rstrip(b"\0"); open(p,"wb").write(d or b"\0")' "$1"
}

# ---- part ----------------------------------------------------------------------------------
# blank FILE SECTORS SECTOR_SIZE
blank() { rm -f "$1"; truncate -s $(( $2 * $3 )) "$1"; }

blank "$tmp/dos512" 256 512
sfdisk -q --no-reread --no-tell-kernel "$tmp/dos512" <<'T' >/dev/null
label: dos
label-id: 0x12345678
start=4, size=20, type=c, bootable
start=30, size=200, type=5
start=40, size=20, type=83
start=70, size=30, type=7
start=110, size=100, type=b
start=232, size=20, type=ef
T
cp "$tmp/dos512" "$out/part/sfdisk-dos-512"

blank "$tmp/gpt512" 128 512
sfdisk -q --no-reread --no-tell-kernel "$tmp/gpt512" <<'T' >/dev/null
label: gpt
label-id: 01234567-89AB-CDEF-0123-456789ABCDEF
first-lba: 34
start=34, size=20, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="EFI system"
start=60, size=30, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="Linux ✓"
T
cp "$tmp/gpt512" "$out/part/sfdisk-gpt-512"

blank "$tmp/sg512" 128 512
sgdisk -a 1 -U 11111111-2222-3333-4444-555555555555 -n 1:34:50 -c 1:first \
    -n 2:51:80 -t 2:8300 -n 3:81:90 -t 3:0700 "$tmp/sg512" >/dev/null
cp "$tmp/sg512" "$out/part/sgdisk-gpt-512"

# sfdisk here has no --sector-size; fdisk -b does (its ids are random).
blank "$tmp/dos4k" 32 4096
printf 'o\nn\np\n1\n2\n11\nn\ne\n2\n14\n29\nn\nl\n16\n19\nn\nl\n22\n27\nt\n5\nc\nw\n' |
    fdisk -b 4096 "$tmp/dos4k" >/dev/null 2>&1
cp "$tmp/dos4k" "$out/part/fdisk-dos-4096"

blank "$tmp/gpt4k" 32 4096
printf 'g\nn\n1\n6\n15\nn\n2\n16\n23\nw\n' | fdisk -b 4096 "$tmp/gpt4k" >/dev/null 2>&1
cp "$tmp/gpt4k" "$out/part/fdisk-gpt-4096"

blank "$tmp/sf" 400 512
mkfs.fat -F 12 --invariant -i 12345678 "$tmp/sf" >/dev/null
head -c 2048 "$tmp/sf" > "$out/part/superfloppy-512"
head -c 512 /dev/zero > "$out/part/zero-sector"

# ---- fat -----------------------------------------------------------------------------------
tree() {
    local d=$1
    mkdir -p "$d/SUBDIR/Nested Folder/deeper"
    printf 'hello fat\n' > "$d/HELLO.TXT"
    : > "$d/empty.dat"
    python3 -c 'import sys; open(sys.argv[1],"wb").write(bytes((i*7)&255 for i in range(3000)))' \
        "$d/A Long File Name With Spaces.bin"
    printf 'leaf\n' > "$d/SUBDIR/Nested Folder/deeper/leaf file.txt"
    printf 'unicode\n' > "$d/SUBDIR/Ünïcödé näme – ✓.txt"
    printf 'lower\n' > "$d/SUBDIR/Nested Folder/lowercase.txt"
}

# fat NAME KIB MKFS_ARGS...
fat() {
    local name=$1 kib=$2
    shift 2
    local img="$tmp/$name" src="$tmp/$name.src"
    tree "$src"
    rm -f "$img"
    truncate -s "${kib}K" "$img"
    mkfs.fat "$@" --invariant -n SEED "$img" >/dev/null
    printf 'a%.0s' $(seq 1 1500) > "$tmp/pad1"
    printf 'b%.0s' $(seq 1 3000) > "$tmp/gap"
    mcopy -i "$img" "$tmp/pad1" ::/PAD1.BIN
    mcopy -i "$img" "$tmp/gap" ::/GAP.BIN
    mcopy -i "$img" "$tmp/pad1" ::/PAD2.BIN
    mdel -i "$img" ::/GAP.BIN
    printf 'c%.0s' $(seq 1 5000) > "$src/frag.bin"
    find "$src" -exec touch -d @1704067200 {} +
    (cd "$src" && for f in *; do mcopy -s -m -i "$img" "$f" ::/; done)
    fsck.fat -n "$img" >/dev/null
}

fat fat12 160 -F 12 -i 12121212
cp "$tmp/fat12" "$tmp/fat12.full"
trim "$tmp/fat12" && cp "$tmp/fat12" "$out/fat/fat12"
fat fat16 2600 -F 16 -s 1 -i 16161616
trim "$tmp/fat16" && cp "$tmp/fat16" "$out/fat/fat16"
fat fat32 34000 -F 32 -s 1 -i 32323232
trim "$tmp/fat32" && cp "$tmp/fat32" "$out/fat/fat32"
# FAT12 in MBR partition 1 at sector 8.
blank "$tmp/mbrfat" $(( 8 + 320 )) 512
printf 'label: dos\nstart=8, size=320, type=1\n' |
    sfdisk -q --no-reread --no-tell-kernel "$tmp/mbrfat" >/dev/null
dd if="$tmp/fat12.full" of="$tmp/mbrfat" bs=512 seek=8 conv=notrunc status=none
trim "$tmp/mbrfat" && cp "$tmp/mbrfat" "$out/fat/mbr-fat12"

# ---- shell ---------------------------------------------------------------------------------
i=0
while IFS= read -r line; do
    i=$((i + 1))
    printf '%s' "$line" > "$out/shell/line$i"
done <<'T'
p a b c; q "d e" 'f g'
p "quoted \" and \\ inside" 'single \n stays' esc\ aped\;semi
echo hello; help; uptime
p 'unterminated
faulty set x read-fail@3+ write-bad=10-20,nomedia@5 delay=20
faulty add f0 of hd0 read-short@1=3 any-over@2+=7 flush-fail=eom
p ;;; ; q;
p 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33
T

# ---- iso9660 -------------------------------------------------------------------------------
tree "$tmp/isosrc"
mkdir -p "$tmp/isosrc/deep/a/b/c/d/e/f/g/h/i"
printf 'deep\n' > "$tmp/isosrc/deep/a/b/c/d/e/f/g/h/i/leaf.txt"
find "$tmp/isosrc" -exec touch -d @1704067200 {} +
xorriso -as mkisofs -quiet -R -J -V SEED -o "$tmp/rrj.iso" "$tmp/isosrc" 2>/dev/null
xorriso -as mkisofs -quiet -V PLAIN -o "$tmp/plain.iso" "$tmp/isosrc" 2>/dev/null
for n in rrj plain; do trim "$tmp/$n.iso" && cp "$tmp/$n.iso" "$out/iso9660/$n"; done

# ---- ext -----------------------------------------------------------------------------------
mkdir -p "$tmp/extsrc/sub/deeper"
printf 'hello ext\n' > "$tmp/extsrc/hello.txt"
head -c 20000 /dev/zero | tr '\0' 'e' > "$tmp/extsrc/sub/file.bin"
printf 'leaf\n' > "$tmp/extsrc/sub/deeper/leaf.txt"
ln -s ../hello.txt "$tmp/extsrc/sub/link"
ln -s "$(printf 'y%.0s' $(seq 1 70))" "$tmp/extsrc/slow-link"
find "$tmp/extsrc" -exec touch -h -d @1704067200 {} +
PATH=$PATH:/sbin:/usr/sbin
for v in "ext2:-t ext2" "ext4:-t ext4 -O ^has_journal,^resize_inode" \
         "inline:-t ext4 -O ^has_journal,^resize_inode,inline_data" \
         "bigalloc:-t ext4 -O ^has_journal,^resize_inode,bigalloc,meta_bg -C 4096"; do
    n=${v%%:*}
    rm -f "$tmp/$n.img"
    truncate -s 512K "$tmp/$n.img"
    # shellcheck disable=SC2086
    E2FSPROGS_FAKE_TIME=1704067200 mke2fs -q -F -b 1024 -N 64 ${v#*:} \
        -U 0b1e5c2a-1234-4cde-8f00-0123456789ab -d "$tmp/extsrc" "$tmp/$n.img" >/dev/null 2>&1
    trim "$tmp/$n.img" && cp "$tmp/$n.img" "$out/ext/$n"
done

# ---- ntfs ----------------------------------------------------------------------------------
for v in "c4k:4096" "c512:512" "c1k:1024"; do
    n=${v%%:*}
    rm -f "$tmp/$n.ntfs"
    # mkntfs's smallest volume (1 MiB, plus the backup boot sector): its
    # $LogFile (256 KiB of 0xFF in the middle) is then as small as it gets.
    truncate -s 1028K "$tmp/$n.ntfs"
    mkntfs -F -Q -s 512 -c "${v#*:}" -L SEED "$tmp/$n.ntfs" >/dev/null 2>&1
    python3 "$(dirname "$0")/../images/ntfs_tree.py" seed "$tmp/$n.ntfs" >/dev/null
    printf 'hello ntfs\n' > "$tmp/hello"
    ntfscp -q "$tmp/$n.ntfs" "$tmp/hello" /hello.txt
    dd if=/dev/zero of="$tmp/$n.ntfs" bs=512 seek=2055 count=1 conv=notrunc status=none
    trim "$tmp/$n.ntfs" && cp "$tmp/$n.ntfs" "$out/ntfs/$n"
done

# ---- vdisk ---------------------------------------------------------------------------------
cp "$tmp/mbrfat" "$tmp/disk.raw"
truncate -s 256K "$tmp/disk.raw"
qemu-img convert -f raw -O vdi "$tmp/disk.raw" "$out/vdisk/dyn.vdi"
qemu-img convert -f raw -O vpc -o subformat=dynamic "$tmp/disk.raw" "$out/vdisk/dyn.vhd"
qemu-img convert -f raw -O vpc -o subformat=fixed "$tmp/disk.raw" "$out/vdisk/fixed.vhd"
qemu-img convert -f raw -O vmdk -o subformat=monolithicSparse "$tmp/disk.raw" \
    "$out/vdisk/sparse.vmdk"
qemu-img convert -f raw -O vmdk -o subformat=streamOptimized "$tmp/disk.raw" \
    "$out/vdisk/stream.vmdk"
qemu-img convert -f raw -O qcow2 -o cluster_size=4096 "$tmp/disk.raw" "$out/vdisk/plain.qcow2"
qemu-img convert -c -f raw -O qcow2 -o cluster_size=4096 "$tmp/disk.raw" \
    "$out/vdisk/comp.qcow2"

# ---- usb -----------------------------------------------------------------------------------
# Descriptors, SCSI replies and CSWs built from the specs' layouts.
python3 "$(dirname "$0")/make-usb-seeds.py" "$out/usb"

echo "$sum" > "$out/.stamp"
