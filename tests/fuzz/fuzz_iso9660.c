// SPDX-License-Identifier: MIT
/* libFuzzer harness: ISO 9660 mount (Joliet, Rock Ridge), a full tree walk
 * and reading every file (fs/iso9660 through the vfs, the cache and the
 * partition scan), on a disk of 2048-byte sectors. The input is the start of
 * the image; the disk is as large as the primary volume descriptor's volume
 * space size says (bounded), so seeds may have their trailing zeros cut. */
#include "blkdev/disk.h"
#include "fs/iso9660/iso9660.h"
#include "kernel/lib/endian.h"
#include "tests/fuzz/fuzz_fs.h"

#define FZ_PVD_OFFSET (16u * 2048) /* ECMA-119 §8.4: the first descriptor */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static bool ready;
    if (!ready) {
        blkdev_init();
        iso9660_register();
        ready = true;
    }
    uint64_t sectors = (len + 2047) / 2048;
    if (len >= FZ_PVD_OFFSET + 84) {
        uint64_t vss = le32_at(data, FZ_PVD_OFFSET + 80); /* volume space size, LE half */
        if (vss > sectors)
            sectors = vss;
    }
    if (sectors > FZ_MAX_SECTORS / 4)
        sectors = FZ_MAX_SECTORS / 4;
    fz_run_disk(data, len, 2048, sectors);
    return 0;
}
