// SPDX-License-Identifier: MIT
/* ATAPI CDB builders and answer parsers (contract in atapi_cdb.h). CDB and
 * answer fields are big-endian. */
#include "drivers/ata/lib/atapi_cdb.h"
#include "drivers/ata/lib/atapi_sense.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

/* GESN (MMC-5 §6.6.1): byte 1 bit 0 Polled, byte 4 class request bitmap,
 * bytes 7-8 allocation length. Answer header: bytes 0-1 event data length
 * (bytes after the 4-byte header), byte 2 bit 7 NEA and bits 2:0 class,
 * byte 3 supported classes. */
#define GESN_POLLED 0x01
#define GESN_CLASS_MEDIA 4
#define GESN_CLASS_MEDIA_BIT (1u << GESN_CLASS_MEDIA)
#define GESN_NEA 0x80
#define GESN_CLASS_MASK 0x07
#define GESN_HEADER 4
#define MEDIA_TRAY_OPEN 0x01
#define MEDIA_PRESENT 0x02
/* REQUEST SENSE (SPC-3 §6.27): allocation length in byte 4. */
#define SENSE_ALLOC_BYTE 4
/* READ CAPACITY (MMC-5 §6.21): last LBA in bytes 0-3, block length in 4-7.
 * 2^32 - 1 would make the count overflow the 32-bit LBA of READ(10/12). */
#define RCAP_LAST_LBA_MAX 0xFFFFFFFEull

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t be32_at(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* A zeroed CDB with its opcode. */
static void cdb_start(uint8_t *cdb, uint8_t op)
{
    memset(cdb, 0, ATAPI_PACKET_BYTES);
    cdb[0] = op;
}

uint8_t atapi_cdb_read(uint32_t lba, uint32_t count, bool use_read12, uint8_t *cdb)
{
    if (!use_read12 && count <= ATAPI_READ10_MAX_COUNT) {
        cdb_start(cdb, ATAPI_READ_10);
        put_be32(cdb + 2, lba);
        cdb[7] = (uint8_t)(count >> 8);
        cdb[8] = (uint8_t)count;
        return ATAPI_READ_10;
    }
    cdb_start(cdb, ATAPI_READ_12);
    put_be32(cdb + 2, lba);
    put_be32(cdb + 6, count);
    return ATAPI_READ_12;
}

void atapi_cdb_gesn_media(uint8_t *cdb)
{
    cdb_start(cdb, ATAPI_GET_EVENT_STATUS);
    cdb[1] = GESN_POLLED;
    cdb[4] = GESN_CLASS_MEDIA_BIT;
    cdb[8] = ATAPI_GESN_MEDIA_BYTES;
}

void atapi_cdb_test_unit_ready(uint8_t *cdb)
{
    cdb_start(cdb, ATAPI_TEST_UNIT_READY);
}

void atapi_cdb_request_sense(uint8_t *cdb)
{
    cdb_start(cdb, ATAPI_REQUEST_SENSE);
    cdb[SENSE_ALLOC_BYTE] = ATAPI_SENSE_FULL_BYTES;
}

void atapi_cdb_read_capacity(uint8_t *cdb)
{
    cdb_start(cdb, ATAPI_READ_CAPACITY);
}

void atapi_cdb_start_stop(uint8_t *cdb, bool eject)
{
    cdb_start(cdb, ATAPI_START_STOP_UNIT);
    cdb[4] = (uint8_t)(eject ? ATAPI_SSU_LOEJ : ATAPI_SSU_LOEJ | ATAPI_SSU_START);
}

int atapi_gesn_parse_media(const uint8_t *buf, uint32_t len, struct atapi_media_event *out)
{
    if (!buf || !out)
        return ERR_INVAL;
    memset(out, 0, sizeof(*out));
    /* 1. "No event available" or another class: no media events here. */
    if (len < GESN_HEADER)
        return ERR_CORRUPT;
    if ((buf[2] & GESN_NEA) || (buf[2] & GESN_CLASS_MASK) != GESN_CLASS_MEDIA)
        return ERR_NOTSUP;
    /* 2. Header plus the 4-byte descriptor, as both buffer and the
     *    device's event data length say. */
    uint32_t data_len = ((uint32_t)buf[0] << 8) | buf[1];
    if (len < ATAPI_GESN_MEDIA_BYTES || data_len < ATAPI_GESN_MEDIA_BYTES - GESN_HEADER)
        return ERR_CORRUPT;
    out->code = buf[4] & 0x0F;
    out->tray_open = (buf[5] & MEDIA_TRAY_OPEN) != 0;
    out->present = (buf[5] & MEDIA_PRESENT) != 0;
    return 0;
}

int atapi_read_capacity_parse(const char *name, const uint8_t *buf, uint32_t len,
                              uint64_t *sectors)
{
    uint64_t last = len >= ATAPI_RCAP_BYTES ? be32_at(buf) : 0;
    uint32_t block = len >= ATAPI_RCAP_BYTES ? be32_at(buf + 4) : 0;

    if (len < ATAPI_RCAP_BYTES || block != ATAPI_SECTOR_BYTES || last > RCAP_LAST_LBA_MAX) {
        pr_err("atapi: %s: unusable READ CAPACITY (%lu bytes, last lba %llu, block %lu)", name,
               (unsigned long)len, (unsigned long long)last, (unsigned long)block);
        return ERR_CORRUPT;
    }
    *sectors = last + 1;
    return 0;
}
