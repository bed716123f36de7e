// SPDX-License-Identifier: MIT
/* SCSI CDBs and replies for block devices: SPC-4 §6.4 INQUIRY, §6.29
 * REQUEST SENSE, §6.37 TEST UNIT READY, §6.13 PREVENT ALLOW MEDIUM REMOVAL,
 * §4.5.6 sense keys; SBC-3 §5.15/§5.16
 * READ CAPACITY (10)/(16), §5.11/§5.13 READ (10)/(16), §5.35/§5.37 WRITE,
 * §5.22 SYNCHRONIZE CACHE (10); SPC-4 §6.11 MODE SENSE (6). Multi-byte
 * CDB fields are big-endian. */
#include "drivers/usb/lib/scsi.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, (uint16_t)(v >> 16));
    put_be16(p + 2, (uint16_t)v);
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

uint8_t scsi_cdb_test_unit_ready(uint8_t cdb[16])
{
    memset(cdb, 0, 16);
    cdb[0] = SCSI_TEST_UNIT_READY;
    return 6;
}

uint8_t scsi_cdb_inquiry(uint8_t cdb[16], uint8_t alloc_bytes)
{
    memset(cdb, 0, 16);
    cdb[0] = SCSI_INQUIRY;
    cdb[4] = alloc_bytes;
    return 6;
}

uint8_t scsi_cdb_request_sense(uint8_t cdb[16], uint8_t alloc_bytes)
{
    memset(cdb, 0, 16);
    cdb[0] = SCSI_REQUEST_SENSE;
    cdb[4] = alloc_bytes;
    return 6;
}

uint8_t scsi_cdb_read_capacity10(uint8_t cdb[16])
{
    memset(cdb, 0, 16);
    cdb[0] = SCSI_READ_CAPACITY10;
    return 10;
}

uint8_t scsi_cdb_read_capacity16(uint8_t cdb[16], uint8_t alloc_bytes)
{
    memset(cdb, 0, 16);
    cdb[0] = SCSI_SERVICE_ACTION_IN16;
    cdb[1] = 0x10; /* service action READ CAPACITY (16) */
    put_be32(cdb + 10, alloc_bytes);
    return 16;
}

uint8_t scsi_cdb_sync_cache10(uint8_t cdb[16])
{
    memset(cdb, 0, 16);
    cdb[0] = SCSI_SYNC_CACHE10; /* LBA 0, 0 blocks: the whole medium */
    return 10;
}

uint8_t scsi_cdb_mode_sense6(uint8_t cdb[16], uint8_t page, uint8_t alloc_bytes)
{
    memset(cdb, 0, 16);
    cdb[0] = SCSI_MODE_SENSE6;
    cdb[1] = 0x08; /* DBD: no block descriptors */
    cdb[2] = page & 0x3F;
    cdb[4] = alloc_bytes;
    return 6;
}

uint8_t scsi_cdb_prevent_allow(uint8_t cdb[16], bool prevent)
{
    memset(cdb, 0, 16);
    cdb[0] = SCSI_PREVENT_ALLOW;
    cdb[4] = prevent ? 1 : 0; /* PREVENT field, bits 1:0 */
    return 6;
}

uint8_t scsi_cdb_rw(uint8_t cdb[16], bool write, uint64_t lba, uint32_t blocks)
{
    memset(cdb, 0, 16);
    if (blocks == 0)
        return 0;
    if (blocks <= SCSI_RW10_MAX_BLOCKS && lba <= UINT32_MAX &&
        blocks <= (uint64_t)UINT32_MAX + 1 - lba) {
        cdb[0] = write ? SCSI_WRITE10 : SCSI_READ10;
        put_be32(cdb + 2, (uint32_t)lba);
        put_be16(cdb + 7, (uint16_t)blocks);
        return 10;
    }
    cdb[0] = write ? SCSI_WRITE16 : SCSI_READ16;
    put_be64(cdb + 2, lba);
    put_be32(cdb + 10, blocks);
    return 16;
}

/* Copy a space-padded INQUIRY field as printable ASCII, trailing blanks cut. */
static void copy_field(char *dst, const uint8_t *src, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        dst[i] = src[i] >= 0x20 && src[i] <= 0x7E ? (char)src[i] : '?';
        if (dst[i] != ' ')
            len = i + 1;
    }
    dst[len] = '\0';
}

int scsi_parse_inquiry(const uint8_t *buf, size_t len, struct scsi_inquiry *out)
{
    memset(out, 0, sizeof(*out));
    if (!buf || len < SCSI_INQUIRY_BYTES) {
        pr_warn("usb-storage: INQUIRY data too short (%u bytes, want %u)", (unsigned)len,
                SCSI_INQUIRY_BYTES);
        return ERR_CORRUPT;
    }
    out->device_type = buf[0] & 0x1F;
    out->qualifier = buf[0] >> 5;
    out->removable = (buf[1] & 0x80) != 0;
    copy_field(out->vendor, buf + 8, 8);
    copy_field(out->product, buf + 16, 16);
    copy_field(out->revision, buf + 32, 4);
    return 0;
}

static bool is_block_size(uint32_t b)
{
    return b == 512 || b == 1024 || b == 2048 || b == 4096;
}

int scsi_parse_capacity10(const uint8_t *buf, size_t len, struct scsi_capacity *out)
{
    memset(out, 0, sizeof(*out));
    if (!buf || len < SCSI_CAPACITY10_BYTES) {
        pr_warn("usb-storage: READ CAPACITY(10) data too short (%u bytes)", (unsigned)len);
        return ERR_CORRUPT;
    }
    uint32_t last = be32(buf), bs = be32(buf + 4);
    if (!is_block_size(bs)) {
        pr_warn("usb-storage: unsupported block size (%lu bytes)", (unsigned long)bs);
        return ERR_CORRUPT;
    }
    out->block_bytes = bs;
    if (last == UINT32_MAX) {
        out->need16 = true;
        return 0;
    }
    out->blocks = (uint64_t)last + 1;
    return 0;
}

int scsi_parse_capacity16(const uint8_t *buf, size_t len, struct scsi_capacity *out)
{
    memset(out, 0, sizeof(*out));
    if (!buf || len < 12) {
        pr_warn("usb-storage: READ CAPACITY(16) data too short (%u bytes)", (unsigned)len);
        return ERR_CORRUPT;
    }
    uint64_t last = be64(buf);
    uint32_t bs = be32(buf + 8);
    /* The medium's bytes must fit 64 bits: the block layer refuses more,
     * and a refused answer to querymedia is never closed (no closemedia). */
    if (!is_block_size(bs) || last == UINT64_MAX || last + 1 > UINT64_MAX / bs) {
        pr_warn("usb-storage: bad READ CAPACITY(16) data (last LBA 0x%llx, block %lu bytes)",
                (unsigned long long)last, (unsigned long)bs);
        return ERR_CORRUPT;
    }
    out->block_bytes = bs;
    out->blocks = last + 1;
    return 0;
}

int scsi_parse_mode_sense6_wp(const uint8_t *buf, size_t len, bool *write_protected)
{
    *write_protected = false;
    if (!buf || len < 4 || (size_t)buf[0] + 1 < 4) {
        pr_warn("usb-storage: MODE SENSE(6) data too short (%u bytes, mode data length %u)",
                (unsigned)len, buf && len ? buf[0] : 0u);
        return ERR_CORRUPT;
    }
    *write_protected = (buf[2] & 0x80) != 0;
    return 0;
}

int scsi_sense_to_err(const struct atapi_sense *s)
{
    switch (atapi_sense_classify(s)) {
    case ATAPI_SENSE_OK:
        return 0;
    case ATAPI_SENSE_NO_MEDIUM:
        /* Only ASC 0x3A says "no medium"; other NOT READY states pass. */
        if (s->has_asc && s->asc == ATAPI_ASC_MEDIUM_NOT_PRESENT)
            return ERR_NOMEDIA;
        return ERR_BUSY;
    case ATAPI_SENSE_BECOMING_READY:
    case ATAPI_SENSE_MEDIUM_CHANGED:
    case ATAPI_SENSE_RESET:
    case ATAPI_SENSE_RETRYABLE:
        return ERR_BUSY;
    case ATAPI_SENSE_OUT_OF_RANGE:
        return ERR_EOM;
    case ATAPI_SENSE_UNSUPPORTED:
        return ERR_NOTSUP;
    case ATAPI_SENSE_FAILED:
        return s->key == ATAPI_KEY_DATA_PROTECT ? ERR_ROFS : ERR_IO;
    default:
        return ERR_IO;
    }
}
