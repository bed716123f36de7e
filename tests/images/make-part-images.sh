#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the partition-table test images for tests/unit/test_part_*.c with real
# tools (sfdisk, fdisk -b 4096, sgdisk, mkfs.fat), deterministically (fixed
# label ids, disk and partition GUIDs, volume ids), into OUTDIR:
#   NAME.img     the image
#   NAME.expect  what the tools say is on it, written from their own dump
#                (`sfdisk -d`, or fdisk's "O" dump for 4096-byte sectors):
#                  label dos|gpt|none
#                  sector <bytes per sector>
#                  capacity <image size in sectors>
#                  id <MBR label id 0x........ | disk GUID, lowercase>
#                  part <tool's index> <start> <size> <type> <uuid|-> <attrs hex> <name>
#                <type> is "mbr:0x0c" / "gpt:<guid lowercase>" / "whole". Extended
#                partitions (0x05/0x0f/0x85) are left out: they are containers,
#                not partitions. Lines keep the tool's values even when the
#                image was truncated or patched; the tests apply the policy.
# Corrupt variants are made by patching named fields of a generated image.
# Usage: make-part-images.sh OUTDIR. Does nothing if OUTDIR was built by this
# very script version (stamp: see lib.sh); safe to run in parallel.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
images_begin "$@"
rm -f "$out"/*.img "$out"/*.expect "$out"/*.dump "$out/.stamp"
cd "$out"

# expect NAME DUMPFILE SECTOR [MAX_LOGICALS]: NAME.expect from a sfdisk dump.
expect() {
    python3 - "$@" <<'PY'
import os, re, sys
name, dump, sector = sys.argv[1], sys.argv[2], int(sys.argv[3])
max_logicals = int(sys.argv[4]) if len(sys.argv) > 4 else None
capacity = os.path.getsize(name + ".img") // sector
head, parts = {}, []
for line in open(dump, encoding="latin-1"):
    line = line.rstrip("\n")
    m = re.match(r"^\S+?(\d+) : (.*)$", line)
    if not m:
        if ": " in line:
            k, v = line.split(": ", 1)
            head[k] = v
        continue
    fields = {}
    for k, v in re.findall(r'(\w[\w-]*)=\s*("(?:[^"\\]|\\.)*"|[^,]*)', m.group(2)):
        fields[k] = v.strip()
    fields["index"] = int(m.group(1))
    parts.append(fields)
# UEFI attribute names as util-linux prints them, and GUID:n bits.
bits = {"RequiredPartition": 0, "NoBlockIOProtocol": 1, "LegacyBIOSBootable": 2}
def attrs_of(p):
    v = 0
    for tok in p.get("attrs", "").strip('"').split():
        if tok.startswith("GUID:"):
            for b in tok[5:].split(","):
                v |= 1 << int(b)
        elif tok:
            v |= 1 << bits[tok]
    return v
def name_of(p):
    raw = p.get("name", '""')[1:-1]
    # the dump escapes non-ASCII bytes as \xNN; turn them back into UTF-8 bytes
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), raw)
label = head["label"]
with open(name + ".expect", "w", encoding="latin-1") as f:
    f.write("label %s\nsector %d\ncapacity %d\nid %s\n" % (label, sector, capacity,
            head["label-id"].lower()))
    logicals = 0
    for p in parts:
        if label == "dos":
            t = int(p["type"], 16)
            if t in (0x05, 0x0F, 0x85):
                continue
            if p["index"] >= 5:
                logicals += 1
                if max_logicals is not None and logicals > max_logicals:
                    continue
            typ, uuid = "mbr:0x%02x" % t, "-"
        else:
            typ, uuid = "gpt:" + p["type"].lower(), p["uuid"].lower()
        f.write("part %d %s %s %s %s %x %s\n" % (p["index"], p["start"], p["size"], typ, uuid,
                attrs_of(p), name_of(p)))
PY
}

# whole NAME SECTOR: NAME.expect for media without a partition table.
whole() {
    local size
    size=$(stat -c %s "$1.img")
    printf 'label none\nsector %d\ncapacity %d\nid -\npart 0 0 %d whole - 0 \n' \
        "$2" $((size / $2)) $((size / $2)) > "$1.expect"
}

# patch IMG OFFSET FORMAT VALUE: write a little-endian value (struct format).
patch() {
    python3 -c 'import struct, sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2], 0))
f.write(struct.pack("<" + sys.argv[3], int(sys.argv[4], 0)))' "$@"
}

# gpt_set IMG HEADER_LBA SECTOR FIELD_OFFSET VALUE: set a 32-bit header field
# and recompute the header CRC, so only the named field is wrong.
gpt_set() {
    python3 -c 'import struct, sys, zlib
img, lba, sec, off = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
val = int(sys.argv[5], 0)
f = open(img, "r+b")
if lba < 0:
    lba = f.seek(0, 2) // sec + lba
f.seek(lba * sec); h = bytearray(f.read(sec))
struct.pack_into("<I", h, off, val)
size = struct.unpack_from("<I", h, 12)[0]
struct.pack_into("<I", h, 16, 0)
struct.pack_into("<I", h, 16, zlib.crc32(bytes(h[:size])))
f.seek(lba * sec); f.write(h)' "$@"
}

# ---- MBR, 512-byte sectors ----------------------------------------------------------------
# Primaries only, slot 2 empty (numbers must stay consecutive), slot 1 bootable.
truncate -s 16M mbr_primary.img
sfdisk -q mbr_primary.img <<'EOF'
label: dos
label-id: 0x5151ab01
mbr_primary.img1 : start=2048, size=4096, type=c, bootable
mbr_primary.img3 : start=8192, size=8192, type=83
mbr_primary.img4 : start=16384, size=16384, type=7
EOF
sfdisk -d mbr_primary.img > mbr_primary.dump
expect mbr_primary mbr_primary.dump 512

# Three primaries, an extended partition and 13 logicals (numbers 10+ exist).
truncate -s 64M mbr_logical.img
{
    printf 'label: dos\nlabel-id: 0x5151ab02\n'
    printf 'size=4MiB, type=c\nsize=4MiB, type=83\nsize=4MiB, type=7\ntype=5\n'
    for i in $(seq 1 13); do
        case $((i % 3)) in 0) t=83 ;; 1) t=b ;; *) t=7 ;; esac
        printf 'size=2MiB, type=%s\n' "$t"
    done
} | sfdisk -q mbr_logical.img
sfdisk -d mbr_logical.img > mbr_logical.dump
expect mbr_logical mbr_logical.dump 512

# EBR loop: the link of the 4th EBR points back to the 2nd EBR. The EBR LBAs
# come from walking the generated chain (link = slot 2, relative to the
# extended start). Expected: the primaries and logicals 1-4 only.
cp mbr_logical.img mbr_loop.img
python3 - <<'PY'
import struct
f = open("mbr_loop.img", "r+b")
def entry(lba, slot):
    f.seek(lba * 512 + 446 + 16 * slot)
    e = f.read(16)
    return e[4], struct.unpack_from("<I", e, 8)[0]
ext = next(entry(0, s)[1] for s in range(4) if entry(0, s)[0] == 5)
ebrs = [ext]
while len(ebrs) < 4:
    ebrs.append(ext + entry(ebrs[-1], 1)[1])
f.seek(ebrs[3] * 512 + 446 + 16 + 8)
f.write(struct.pack("<I", ebrs[1] - ext))
PY
expect mbr_loop mbr_logical.dump 512 4

# Entries beyond the end: laid out on 40 MiB, then cut to 24 MiB, so
# partition 3 runs past the end (clamped) and partition 4 starts beyond it
# (skipped); partition 2's length is patched to 0 (skipped).
truncate -s 40M mbr_beyond.img
sfdisk -q mbr_beyond.img <<'EOF'
label: dos
label-id: 0x5151ab03
start=2048, size=16384, type=c
size=22528, type=83
size=20480, type=7
size=20480, type=83
EOF
truncate -s 24M mbr_beyond.img
patch mbr_beyond.img $((446 + 16 + 12)) I 0
sfdisk -d mbr_beyond.img > mbr_beyond.dump
expect mbr_beyond mbr_beyond.dump 512

# ---- MBR, 4096-byte sectors (fdisk -b loads the sfdisk script with "I") ------------------
truncate -s 32M mbr4k.img
cat > mbr4k.sfdisk <<'EOF'
label: dos
label-id: 0x5151ab04
start=256, size=1024, type=c
size=1024, type=83
type=f
size=512, type=7
size=512, type=83
size=512, type=b
EOF
printf 'I\nmbr4k.sfdisk\nw\n' | fdisk -b 4096 mbr4k.img > /dev/null
printf 'O\nmbr4k.dump\nq\n' | fdisk -b 4096 mbr4k.img > /dev/null
expect mbr4k mbr4k.dump 4096

# ---- GPT, 512-byte sectors: 128 entries, 40 used, entries 21-29 unused ---------------------
truncate -s 64M gpt128.img
args=(-o -U 5b1d0000-0000-4000-8000-000000000001)
start=2048
for n in $(seq 1 20) $(seq 30 49); do
    case $((n % 4)) in 0) t=0700 ;; 1) t=8300 ;; 2) t=ef00 ;; *) t=8200 ;; esac
    args+=(-n "$n:$start:+1M" -t "$n:$t" -u "$n:5b1d0000-0000-4000-8000-$(printf %012d "$n")")
    args+=(-c "$n:part $n")
    start=$((start + 2048))
done
args+=(-c "1:Données é€😀" -A 2:set:63 -A 3:set:0 -A 3:set:2 -A 30:set:48)
sgdisk "${args[@]}" gpt128.img > /dev/null
sfdisk -d gpt128.img > gpt128.dump
expect gpt128 gpt128.dump 512

# Primary header CRC flipped: the backup (same partitions) must be used.
cp gpt128.img gpt_bad_primary.img
patch gpt_bad_primary.img $((512 + 16)) B 0x5a
expect gpt_bad_primary gpt128.dump 512

# Both header CRCs flipped: no usable header.
cp gpt_bad_primary.img gpt_bad_both.img
patch gpt_bad_both.img $((64 * 1024 * 1024 - 512 + 16)) B 0x5a
expect gpt_bad_both gpt128.dump 512

# Absurd entry count in the primary (CRC fixed): rejected, backup used.
cp gpt128.img gpt_bad_count.img
gpt_set gpt_bad_count.img 1 512 80 0x100000
expect gpt_bad_count gpt128.dump 512

# Bad entry sizes in both headers (100, 129; CRCs fixed): no usable header.
cp gpt128.img gpt_bad_size.img
gpt_set gpt_bad_size.img 1 512 84 100
gpt_set gpt_bad_size.img -1 512 84 129
expect gpt_bad_size gpt128.dump 512

# Hybrid MBR (0xEE + two real entries): the GPT wins.
truncate -s 16M gpt_hybrid.img
sgdisk -o -U 5b1d0000-0000-4000-8000-0000000000a0 \
    -n 1:2048:+2M -t 1:0700 -u 1:5b1d0000-0000-4000-8000-0000000000a1 \
    -n 2:0:+2M -t 2:8300 -u 2:5b1d0000-0000-4000-8000-0000000000a2 \
    -n 3:0:+2M -t 3:8300 -u 3:5b1d0000-0000-4000-8000-0000000000a3 gpt_hybrid.img > /dev/null
sgdisk -h 1:2 gpt_hybrid.img > /dev/null
sfdisk -d gpt_hybrid.img > gpt_hybrid.dump
expect gpt_hybrid gpt_hybrid.dump 512

# ---- GPT, 4096-byte sectors ---------------------------------------------------------------
truncate -s 32M gpt4k.img
u=5b1d0000-0000-4000-8000-00000000400
basic=ebd0a0a2-b9e5-4433-87c0-68b6b72699c7
linux=0fc63daf-8483-4772-8e79-3d69d8477de4
esp=c12a7328-f81f-11d2-ba4b-00a0c93ec93b
swap=0657fd6d-a4ab-43c4-84e5-0933c84b4f4f
{
    printf 'label: gpt\nlabel-id: %s0\n' "$u"
    printf 'start=256, size=1024, type=%s, uuid=%s1, name="data"\n' "$basic" "$u"
    printf 'size=512, type=%s, uuid=%s2, name="root", attrs="LegacyBIOSBootable"\n' "$linux" "$u"
    printf 'size=512, type=%s, uuid=%s3, name="EFI system"\n' "$esp" "$u"
    printf 'size=256, type=%s, uuid=%s4\n' "$swap" "$u"
} > gpt4k.sfdisk
printf 'I\ngpt4k.sfdisk\nw\n' | fdisk -b 4096 gpt4k.img > /dev/null
printf 'O\ngpt4k.dump\nq\n' | fdisk -b 4096 gpt4k.img > /dev/null
expect gpt4k gpt4k.dump 4096

# ---- No partition table -------------------------------------------------------------------
mkfs.fat -C -i 5b1d0001 --invariant fat16_floppy.img 16384 > /dev/null
whole fat16_floppy 512
# The same with the entry area overwritten by boot-code text, as Windows' FAT
# boot sectors have it (0x1AC..0x1FD): garbage "entries", still no table.
cp fat16_floppy.img fat16_garbage.img
printf '\r\nRemove disks or other media.\377\r\nDisk error\377\r\nPress any key to restart\r\n' |
    dd of=fat16_garbage.img bs=1 seek=$((0x1ac)) conv=notrunc status=none
whole fat16_garbage 512
mkfs.fat -C -F 32 -s 1 -i 5b1d0002 --invariant fat32_floppy.img 40960 > /dev/null
whole fat32_floppy 512
mkfs.fat -C -i 5b1d0003 --invariant fat12_floppy.img 1440 > /dev/null
whole fat12_floppy 512
truncate -s 8M empty.img
whole empty 512

rm -f ./*.sfdisk
images_done
