// SPDX-License-Identifier: MIT
/* Bulk-Only Transport CBW/CSW encoding and checks (USB MSC BOT 1.0 §5.1
 * CBW layout, §5.2 CSW layout, §6.3 validity and meaning of a CSW). */
#include "drivers/usb/lib/bot.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"

int bot_build_cbw(uint8_t cbw[BOT_CBW_BYTES], uint32_t tag, uint32_t data_bytes, bool dir_in,
                  uint8_t lun, const uint8_t *cdb, uint8_t cdb_bytes)
{
    if (lun > BOT_MAX_LUN || !cdb || cdb_bytes == 0 || cdb_bytes > BOT_MAX_CDB_BYTES)
        return ERR_INVAL;
    memset(cbw, 0, BOT_CBW_BYTES);
    put_le32(cbw, 0, BOT_CBW_SIGNATURE);
    put_le32(cbw, 4, tag);
    put_le32(cbw, 8, data_bytes);
    cbw[12] = dir_in && data_bytes ? BOT_CBW_FLAG_IN : 0;
    cbw[13] = lun;
    cbw[14] = cdb_bytes;
    memcpy(cbw + 15, cdb, cdb_bytes);
    return 0;
}

int bot_parse_csw(const uint8_t *buf, size_t len, uint32_t expect_tag, uint32_t requested_bytes,
                  struct bot_csw *out)
{
    memset(out, 0, sizeof(*out));
    /* 1. Valid (§6.3.1): size, signature, tag. */
    if (!buf || len != BOT_CSW_BYTES) {
        pr_warn("usb-storage: CSW: wrong size (%u bytes, want %u)", (unsigned)len,
                BOT_CSW_BYTES);
        return ERR_CORRUPT;
    }
    uint32_t sig = le32_at(buf, 0), tag = le32_at(buf, 4), residue = le32_at(buf, 8);
    if (sig != BOT_CSW_SIGNATURE) {
        pr_warn("usb-storage: CSW: bad signature (0x%08lx, want 0x%08lx)", (unsigned long)sig,
                (unsigned long)BOT_CSW_SIGNATURE);
        return ERR_CORRUPT;
    }
    if (tag != expect_tag) {
        pr_warn("usb-storage: CSW: tag mismatch (0x%08lx, want 0x%08lx)", (unsigned long)tag,
                (unsigned long)expect_tag);
        return ERR_CORRUPT;
    }
    /* 2. Meaningful (§6.3.2): known status; residue within the request. */
    uint8_t status = buf[12];
    if (status > BOT_STATUS_PHASE_ERROR) {
        pr_warn("usb-storage: CSW: unknown status (%u)", status);
        return ERR_CORRUPT;
    }
    if (status != BOT_STATUS_PHASE_ERROR && residue > requested_bytes) {
        pr_warn("usb-storage: CSW: residue past the request (%lu > %lu)",
                (unsigned long)residue, (unsigned long)requested_bytes);
        return ERR_CORRUPT;
    }
    out->tag = tag;
    out->residue = residue;
    out->status = status;
    return 0;
}

uint32_t bot_done_bytes(uint32_t requested, uint32_t moved, uint32_t residue)
{
    uint32_t claimed = residue >= requested ? 0 : requested - residue;
    uint32_t seen = MIN(moved, requested);
    return MIN(seen, claimed);
}
