// SPDX-License-Identifier: MIT
/* libFuzzer harness: ext2/3/4 mount, a full tree walk and reading every
 * file (fs/ext through the vfs, the cache and the partition scan), on a
 * disk of 512-byte sectors. The input is the start of the image; the disk
 * is as large as the super block's block count says (bounded), so seeds
 * may have their trailing zeros cut. */
#include "blkdev/disk.h"
#include "fs/ext/ext.h"
#include "kernel/lib/endian.h"
#include "tests/fuzz/fuzz_fs.h"

#define FZ_SB_OFFSET 1024u /* the super block */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static bool ready;
    if (!ready) {
        blkdev_init();
        ext_register();
        ready = true;
    }
    uint64_t sectors = (len + 511) / 512;
    if (len >= FZ_SB_OFFSET + 0x1C) {
        uint32_t log = le32_at(data, FZ_SB_OFFSET + 0x18);
        uint64_t blocks = le32_at(data, FZ_SB_OFFSET + 0x04);
        if (log <= 6 && blocks <= FZ_MAX_SECTORS && blocks * (2u << log) > sectors)
            sectors = blocks * (2u << log); /* 512-byte sectors of 1024 << log bytes */
    }
    if (sectors > FZ_MAX_SECTORS)
        sectors = FZ_MAX_SECTORS;
    fz_run_disk(data, len, 512, sectors);
    return 0;
}
