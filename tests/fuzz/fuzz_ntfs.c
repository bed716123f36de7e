// SPDX-License-Identifier: MIT
/* libFuzzer harness: NTFS mount, a full tree walk and reading every file
 * (fs/ntfs through the vfs, the cache and the partition scan), on a disk of
 * 512-byte sectors. The input is the start of the image; the disk is as
 * large as the boot sector's total sector count says (bounded), so seeds
 * may have their trailing zeros cut. */
#include "blkdev/disk.h"
#include "fs/ntfs/ntfs.h"
#include "kernel/lib/endian.h"
#include "tests/fuzz/fuzz_fs.h"

#define FZ_BS_BYTES_PER_SECTOR 0x0B
#define FZ_BS_TOTAL_SECTORS 0x28

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static bool ready;
    if (!ready) {
        blkdev_init();
        ntfs_register();
        ready = true;
    }
    uint64_t sectors = (len + 511) / 512;
    if (len >= 512) {
        uint64_t bps = le16_at(data, FZ_BS_BYTES_PER_SECTOR);
        uint64_t total = le64_at(data, FZ_BS_TOTAL_SECTORS);
        if (bps >= 256 && bps <= 4096 && total <= FZ_MAX_SECTORS &&
            (total + 1) * bps / 512 > sectors)
            sectors = (total + 1) * bps / 512; /* the backup boot sector follows the volume */
    }
    if (sectors > FZ_MAX_SECTORS)
        sectors = FZ_MAX_SECTORS;
    fz_run_disk(data, len, 512, sectors);
    return 0;
}
