#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build the QCOW2 and VMDK test images for tests/unit/test_qcow2.c and
# test_vmdk.c with qemu-img / qemu-io, deterministically, into OUTDIR:
#   disk.raw          12 MiB + 1536 bytes: random, zero and repetitive regions
#                     (the size is not a multiple of any cluster or grain)
#   plain.qcow2       qemu-img convert -O qcow2 (v3, 64 KiB clusters)
#   comp.qcow2        the same with -c (every cluster compressed)
#   v2.qcow2          compat=0.10
#   c4k.qcow2 c2m.qcow2   cluster_size=4096 / 2M
#   rc1.qcow2         refcount_bits=1
#   rc64.qcow2        refcount_bits=64, cluster_size=4096 (small refcount
#                     blocks: writes must allocate new ones)
#   base.qcow2 + overlay.qcow2   overlay backed by base.qcow2 (format qcow2)
#                     with qemu-io writes; overlay.raw = its converted content
#   sparse.vmdk       monolithicSparse
#   stream.vmdk       streamOptimized
#   flat.vmdk + flat-flat.vmdk   monolithicFlat (descriptor + flat extent)
#   split.vmdk + split-s00N.vmdk twoGbMaxExtentSparse (descriptor + sparse
#                     extents)
# Usage: make-vdisk-qcow2-vmdk.sh OUTDIR. Does nothing if OUTDIR was built by
# this very script version (stamp: see lib.sh); safe to run in parallel.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
images_begin "$@"
rm -f "$out"/*.raw "$out"/*.qcow2 "$out"/*.vmdk "$out/.stamp"
cd "$out"

# The known raw disk (an independent generator: Python's random, seeded).
python3 - <<'EOF'
import random
r = random.Random(7)
MiB = 1 << 20
size = 12 * MiB + 1536
d = bytearray(size)
def rnd(n): return bytes(r.getrandbits(8) for _ in range(n))
d[0:MiB] = rnd(MiB)                                   # incompressible
text = b"Spindle qcow2/vmdk test disk. " * 40
for off in range(2 * MiB, 4 * MiB, len(text)):        # highly compressible
    n = min(len(text), 4 * MiB - off)
    d[off:off + n] = text[:n]
for blk in range(4 * MiB, 5 * MiB, 4096):             # random 4 KiB blocks, every other
    if (blk // 4096) % 2 == 0:
        d[blk:blk + 4096] = rnd(4096)
for k in range(12):                                   # scattered pieces, 8 MiB..end
    off = 8 * MiB + k * 347 * 1024 + 512 * k
    d[off:off + 5000] = rnd(5000)
d[size - 1536:size] = rnd(1536)                       # the partial last cluster
open("disk.raw", "wb").write(d)
EOF

qi() { qemu-img "$@" >/dev/null; }
qi convert -f raw -O qcow2 disk.raw plain.qcow2
qi convert -f raw -O qcow2 -c disk.raw comp.qcow2
qi convert -f raw -O qcow2 -o compat=0.10 disk.raw v2.qcow2
qi convert -f raw -O qcow2 -o cluster_size=4096 disk.raw c4k.qcow2
qi convert -f raw -O qcow2 -o cluster_size=2M disk.raw c2m.qcow2
qi convert -f raw -O qcow2 -o refcount_bits=1 disk.raw rc1.qcow2
qi convert -f raw -O qcow2 -o refcount_bits=64,cluster_size=4096 disk.raw rc64.qcow2
cp plain.qcow2 base.qcow2
qi create -f qcow2 -b base.qcow2 -F qcow2 overlay.qcow2
qemu-io -f qcow2 -c "write -P 0x5a 1M 64k" -c "write -P 0xa5 3000k 6k" \
    -c "write -z 0 64k" -c "write -P 0x11 12M 1536" overlay.qcow2 >/dev/null
qi convert -O raw overlay.qcow2 overlay.raw

qi convert -f raw -O vmdk disk.raw sparse.vmdk
qi convert -f raw -O vmdk -o subformat=streamOptimized disk.raw stream.vmdk
qi convert -f raw -O vmdk -o subformat=monolithicFlat disk.raw flat.vmdk
qi convert -f raw -O vmdk -o subformat=twoGbMaxExtentSparse disk.raw split.vmdk

images_done
