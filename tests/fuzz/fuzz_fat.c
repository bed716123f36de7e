// SPDX-License-Identifier: MIT
/* libFuzzer harness: FAT mount, a full tree walk and reading every file
 * (fs/fat through the vfs, the cache and the partition scan). The input is
 * a FAT image (a superfloppy, or an MBR disk) with 512-byte sectors; its
 * size is the larger of the input and the BPB's total sector count, so
 * seeds may have their trailing zeros cut. */
#include "blkdev/disk.h"
#include "fs/fat/fat.h"
#include "kernel/lib/endian.h"
#include "tests/fuzz/fuzz_fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static bool ready;
    if (!ready) {
        blkdev_init();
        fat_register();
        ready = true;
    }
    uint64_t sectors = (len + 511) / 512;
    if (len >= 36) {
        uint64_t bpb = le16_at(data, 19) ? le16_at(data, 19) : le32_at(data, 32);
        if (bpb > sectors)
            sectors = bpb;
    }
    if (sectors > FZ_MAX_SECTORS)
        sectors = FZ_MAX_SECTORS;
    fz_run_disk(data, len, 512, sectors);
    return 0;
}
