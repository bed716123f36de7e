// SPDX-License-Identifier: MIT
/* ATAPI poll command bytes, capacity parsing and the media state machine
 * (contract in atapi_media.h). */
#include "drivers/ata/lib/atapi_media.h"
#include "drivers/ata/defs.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

#define RCAP_LAST_LBA_MAX 0xFFFFFFFEull

static uint32_t be32_at(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

void atapi_cdb_test_unit_ready(uint8_t *cdb)
{
    memset(cdb, 0, ATAPI_CDB_BYTES);
    cdb[0] = ATAPI_TEST_UNIT_READY;
}

void atapi_cdb_request_sense(uint8_t *cdb)
{
    memset(cdb, 0, ATAPI_CDB_BYTES);
    cdb[0] = ATAPI_REQUEST_SENSE;
    cdb[4] = ATAPI_SENSE_ALLOC;
}

void atapi_cdb_read_capacity(uint8_t *cdb)
{
    memset(cdb, 0, ATAPI_CDB_BYTES);
    cdb[0] = ATAPI_READ_CAPACITY;
}

void atapi_cdb_start_stop(uint8_t *cdb, bool eject)
{
    memset(cdb, 0, ATAPI_CDB_BYTES);
    cdb[0] = ATAPI_START_STOP_UNIT;
    cdb[4] = (uint8_t)(eject ? ATAPI_SSU_LOEJ : ATAPI_SSU_LOEJ | ATAPI_SSU_START);
}

int atapi_read_capacity_parse(const char *name, const uint8_t *buf, uint32_t got,
                              uint64_t *sectors)
{
    uint64_t last = got >= ATAPI_RCAP_BYTES ? be32_at(buf) : 0;
    uint32_t block = got >= ATAPI_RCAP_BYTES ? be32_at(buf + 4) : 0;

    if (got < ATAPI_RCAP_BYTES || block != ATAPI_SECTOR_BYTES_CD || last > RCAP_LAST_LBA_MAX) {
        pr_err("atapi: %s: unusable READ CAPACITY (%lu bytes, last lba %llu, block %lu)", name,
               (unsigned long)got, (unsigned long long)last, (unsigned long)block);
        return ERR_CORRUPT;
    }
    *sectors = last + 1;
    return 0;
}

void atapi_media_update(struct atapi_media *m, int rc, uint64_t sectors, bool *removed,
                        bool *inserted)
{
    *removed = false;
    *inserted = false;
    if (m->present && (rc != 0 || m->changed || sectors != m->sectors)) {
        m->present = false;
        *removed = true;
    }
    m->changed = false;
    if (rc == 0 && !m->present) {
        m->sectors = sectors;
        m->present = true;
        *inserted = true;
    }
}
