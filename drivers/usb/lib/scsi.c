// SPDX-License-Identifier: MIT
/* SCSI CDBs and replies for block devices: SPC-4 §6.4 INQUIRY, §6.29
 * REQUEST SENSE, §6.37 TEST UNIT READY, §4.5 sense data; SBC-3 §5.15/§5.16
 * READ CAPACITY (10)/(16), §5.11/§5.13 READ (10)/(16), §5.35/§5.37 WRITE,
 * §5.22 SYNCHRONIZE CACHE (10); SPC-4 §6.11 MODE SENSE (6). Multi-byte
 * CDB fields are big-endian. */
#include "drivers/usb/lib/scsi.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

/* ASCs that change the classification (SPC-4 Annex D). */
#define SCSI_ASC_LBA_OUT_OF_RANGE 0x21
#define SCSI_ASC_MEDIUM_NOT_PRESENT 0x3A

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
    if (!is_block_size(bs) || last == UINT64_MAX) {
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

int scsi_parse_sense(const uint8_t *buf, size_t len, struct scsi_sense *out)
{
    memset(out, 0, sizeof(*out));
    if (!buf || len < 2) {
        pr_warn("usb-storage: sense data too short (%u bytes)", (unsigned)len);
        return ERR_CORRUPT;
    }
    uint8_t code = buf[0] & 0x7F;
    /* 1. Fixed format: key in byte 2; ASC/ASCQ at 12/13 if the additional
     *    length (byte 7) and the bytes read both reach them. */
    if (code == 0x70 || code == 0x71) {
        if (len < 3) {
            pr_warn("usb-storage: fixed sense data too short (%u bytes)", (unsigned)len);
            return ERR_CORRUPT;
        }
        out->key = buf[2] & 0x0F;
        size_t avail = len >= 8 ? MIN(len, (size_t)buf[7] + 8) : len;
        if (avail >= 14) {
            out->asc = buf[12];
            out->ascq = buf[13];
        }
        return 0;
    }
    /* 2. Descriptor format: key, ASC, ASCQ in bytes 1..3. */
    if (code == 0x72 || code == 0x73) {
        if (len < 4) {
            pr_warn("usb-storage: descriptor sense data too short (%u bytes)", (unsigned)len);
            return ERR_CORRUPT;
        }
        out->key = buf[1] & 0x0F;
        out->asc = buf[2];
        out->ascq = buf[3];
        return 0;
    }
    pr_warn("usb-storage: unknown sense response code (0x%02x)", code);
    return ERR_CORRUPT;
}

int scsi_sense_to_err(const struct scsi_sense *s)
{
    switch (s->key) {
    case SCSI_SK_NO_SENSE:
    case SCSI_SK_RECOVERED_ERROR:
        return 0;
    case SCSI_SK_NOT_READY:
        return s->asc == SCSI_ASC_MEDIUM_NOT_PRESENT ? ERR_NOMEDIA : ERR_BUSY;
    case SCSI_SK_UNIT_ATTENTION:
    case SCSI_SK_ABORTED_COMMAND:
        return ERR_BUSY;
    case SCSI_SK_ILLEGAL_REQUEST:
        return s->asc == SCSI_ASC_LBA_OUT_OF_RANGE ? ERR_EOM : ERR_NOTSUP;
    case SCSI_SK_DATA_PROTECT:
        return ERR_ROFS;
    default:
        return ERR_IO;
    }
}

const char *scsi_sense_key_name(uint8_t key)
{
    static const char *const names[] = {
        [SCSI_SK_NO_SENSE] = "NO SENSE",
        [SCSI_SK_RECOVERED_ERROR] = "RECOVERED ERROR",
        [SCSI_SK_NOT_READY] = "NOT READY",
        [SCSI_SK_MEDIUM_ERROR] = "MEDIUM ERROR",
        [SCSI_SK_HARDWARE_ERROR] = "HARDWARE ERROR",
        [SCSI_SK_ILLEGAL_REQUEST] = "ILLEGAL REQUEST",
        [SCSI_SK_UNIT_ATTENTION] = "UNIT ATTENTION",
        [SCSI_SK_DATA_PROTECT] = "DATA PROTECT",
        [SCSI_SK_BLANK_CHECK] = "BLANK CHECK",
        [SCSI_SK_ABORTED_COMMAND] = "ABORTED COMMAND",
    };
    if (key < ARRAY_SIZE(names) && names[key])
        return names[key];
    return "RESERVED";
}
