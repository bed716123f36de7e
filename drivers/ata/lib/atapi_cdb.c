// SPDX-License-Identifier: MIT
/* ATAPI CDB builders, GESN media-event parsing and the poll decision
 * (contract in atapi_cdb.h). CDB fields are big-endian. */
#include "drivers/ata/lib/atapi_cdb.h"
#include "kernel/err.h"
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

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

uint8_t atapi_cdb_read(uint32_t lba, uint32_t count, bool use_read12, uint8_t *cdb)
{
    memset(cdb, 0, ATAPI_CDB_LEN);
    put_be32(cdb + 2, lba);
    if (!use_read12 && count <= ATAPI_READ10_MAX_COUNT) {
        cdb[0] = ATAPI_OP_READ_10;
        cdb[7] = (uint8_t)(count >> 8);
        cdb[8] = (uint8_t)count;
        return ATAPI_OP_READ_10;
    }
    cdb[0] = ATAPI_OP_READ_12;
    put_be32(cdb + 6, count);
    return ATAPI_OP_READ_12;
}

void atapi_cdb_gesn_media(uint8_t *cdb)
{
    memset(cdb, 0, ATAPI_CDB_LEN);
    cdb[0] = ATAPI_OP_GESN;
    cdb[1] = GESN_POLLED;
    cdb[4] = GESN_CLASS_MEDIA_BIT;
    cdb[7] = 0;
    cdb[8] = ATAPI_GESN_MEDIA_BYTES;
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

enum atapi_poll_action atapi_poll_decide(const struct atapi_media_event *ev, bool known_present,
                                         bool change_flagged)
{
    if (ev->tray_open || !ev->present)
        return known_present ? ATAPI_POLL_REMOVED : ATAPI_POLL_NOTHING;
    if (!known_present || change_flagged || ev->code == ATAPI_MEC_NEW_MEDIA ||
        ev->code == ATAPI_MEC_MEDIA_CHANGED)
        return ATAPI_POLL_CHECK;
    return ATAPI_POLL_NOTHING;
}
