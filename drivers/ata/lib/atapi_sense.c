// SPDX-License-Identifier: MIT
/* Sense data parsing and classification (contract in atapi_sense.h). */
#include "drivers/ata/lib/atapi_sense.h"
#include "drivers/ata/defs.h"
#include "kernel/err.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"

/* Response codes (SPC-3 §4.5.1, byte 0 bits 6:0). */
#define SENSE_FIXED_CURRENT 0x70
#define SENSE_FIXED_DEFERRED 0x71
#define SENSE_DESC_CURRENT 0x72
#define SENSE_DESC_DEFERRED 0x73
#define SENSE_CODE_MASK 0x7F
/* Fixed format (§4.5.3): key in byte 2, additional length in byte 7, ASC
 * and ASCQ in bytes 12-13. Descriptor format (§4.5.2): bytes 1-3. */
#define FIXED_KEY 2
#define FIXED_ADD_LEN 7
#define FIXED_ASC 12
#define FIXED_ASCQ 13
#define FIXED_HEADER 8
#define DESC_KEY 1
#define DESC_ASC 2
#define DESC_ASCQ 3
#define ASCQ_BECOMING_READY 0x01

int atapi_sense_decode(const uint8_t *buf, uint32_t len, struct atapi_sense *out)
{
    if (!buf || !out)
        return ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (len < ATAPI_SENSE_MIN_BYTES)
        return ERR_CORRUPT;
    uint8_t code = buf[0] & SENSE_CODE_MASK;
    switch (code) {
    case SENSE_FIXED_CURRENT:
    case SENSE_FIXED_DEFERRED: {
        out->key = buf[FIXED_KEY] & 0x0F;
        out->deferred = code == SENSE_FIXED_DEFERRED;
        /* ASC/ASCQ only if both the buffer and the device's own length
         * reach byte 13. */
        uint32_t avail = MIN(len, (uint32_t)FIXED_HEADER + buf[FIXED_ADD_LEN]);
        if (avail > FIXED_ASCQ) {
            out->asc = buf[FIXED_ASC];
            out->ascq = buf[FIXED_ASCQ];
            out->has_asc = true;
        }
        return 0;
    }
    case SENSE_DESC_CURRENT:
    case SENSE_DESC_DEFERRED:
        out->key = buf[DESC_KEY] & 0x0F;
        out->asc = buf[DESC_ASC];
        out->ascq = buf[DESC_ASCQ];
        out->has_asc = true;
        out->deferred = code == SENSE_DESC_DEFERRED;
        return 0;
    default:
        return ERR_CORRUPT;
    }
}

void atapi_sense_from_error_reg(uint8_t error_reg, struct atapi_sense *out)
{
    memset(out, 0, sizeof(*out));
    out->key = (uint8_t)(error_reg >> ATAPI_ER_SENSE_SHIFT);
}

enum atapi_sense_class atapi_sense_classify(const struct atapi_sense *s)
{
    switch (s->key) {
    case ATAPI_KEY_NO_SENSE:
    case ATAPI_KEY_RECOVERED:
        return ATAPI_SENSE_OK;
    case ATAPI_KEY_NOT_READY:
        if (s->has_asc && s->asc == ATAPI_ASC_NOT_READY && s->ascq == ASCQ_BECOMING_READY)
            return ATAPI_SENSE_BECOMING_READY;
        return ATAPI_SENSE_NO_MEDIUM;
    case ATAPI_KEY_UNIT_ATTENTION:
        /* Without ASC the key alone cannot rule out a new disc: assume one. */
        if (!s->has_asc || s->asc == ATAPI_ASC_MEDIUM_MAY_HAVE_CHANGED)
            return ATAPI_SENSE_MEDIUM_CHANGED;
        return ATAPI_SENSE_RESET;
    case ATAPI_KEY_ILLEGAL_REQUEST:
        if (s->has_asc && s->asc == ATAPI_ASC_LBA_OUT_OF_RANGE)
            return ATAPI_SENSE_OUT_OF_RANGE;
        if (s->has_asc && s->asc == ATAPI_ASC_MEDIUM_NOT_PRESENT)
            return ATAPI_SENSE_NO_MEDIUM;
        return ATAPI_SENSE_UNSUPPORTED;
    case ATAPI_KEY_MEDIUM_ERROR:
        return ATAPI_SENSE_MEDIUM_ERROR;
    case ATAPI_KEY_ABORTED_COMMAND:
        return ATAPI_SENSE_RETRYABLE;
    default:
        return ATAPI_SENSE_FAILED;
    }
}

int atapi_sense_class_to_err(enum atapi_sense_class cls)
{
    switch (cls) {
    case ATAPI_SENSE_OK:
        return 0;
    case ATAPI_SENSE_NO_MEDIUM:
    case ATAPI_SENSE_BECOMING_READY:
    case ATAPI_SENSE_MEDIUM_CHANGED:
        return ERR_NOMEDIA;
    case ATAPI_SENSE_OUT_OF_RANGE:
        return ERR_EOM;
    case ATAPI_SENSE_UNSUPPORTED:
        return ERR_NOTSUP;
    default:
        return ERR_IO;
    }
}

int atapi_sense_to_err(const struct atapi_sense *s)
{
    if (s->key == ATAPI_KEY_NO_SENSE)
        return ERR_IO;
    return atapi_sense_class_to_err(atapi_sense_classify(s));
}

bool atapi_sense_is_worth_logging(const struct atapi_sense *s, uint8_t opcode)
{
    switch (atapi_sense_classify(s)) {
    case ATAPI_SENSE_OK:
    case ATAPI_SENSE_NO_MEDIUM:
    case ATAPI_SENSE_BECOMING_READY:
    case ATAPI_SENSE_MEDIUM_CHANGED:
    case ATAPI_SENSE_RESET:
        return false;
    case ATAPI_SENSE_UNSUPPORTED:
        return opcode != ATAPI_GET_EVENT_STATUS;
    default:
        return true;
    }
}

bool atapi_sense_is_retryable(enum atapi_sense_class cls)
{
    return cls == ATAPI_SENSE_BECOMING_READY || cls == ATAPI_SENSE_RESET ||
           cls == ATAPI_SENSE_RETRYABLE;
}

const char *atapi_sense_key_name(uint8_t key)
{
    static const char *const names[16] = {
        "no sense", "recovered error", "not ready", "medium error", "hardware error",
        "illegal request", "unit attention", "data protect", "blank check", "vendor specific",
        "copy aborted", "aborted command", "reserved", "volume overflow", "miscompare",
        "reserved",
    };
    return names[key & 0x0F];
}

const char *atapi_sense_asc_name(const struct atapi_sense *s)
{
    if (!s->has_asc)
        return NULL;
    switch (s->asc) {
    case ATAPI_ASC_NOT_READY:
        return s->ascq == ASCQ_BECOMING_READY ? "becoming ready" : "not ready";
    case ATAPI_ASC_UNRECOVERED_READ:
        return "unrecovered read error";
    case ATAPI_ASC_INVALID_OPCODE:
        return "invalid command operation code";
    case ATAPI_ASC_LBA_OUT_OF_RANGE:
        return "logical block address out of range";
    case ATAPI_ASC_INVALID_FIELD:
        return "invalid field in command";
    case ATAPI_ASC_MEDIUM_MAY_HAVE_CHANGED:
        return "medium may have changed";
    case ATAPI_ASC_POWER_ON_RESET:
        return "power on or reset";
    case ATAPI_ASC_INCOMPATIBLE_MEDIUM:
        return "incompatible medium";
    case ATAPI_ASC_MEDIUM_NOT_PRESENT:
        return "medium not present";
    default:
        return NULL;
    }
}

const char *atapi_sense_describe(const struct atapi_sense *s, char *buf, size_t len)
{
    const char *what = atapi_sense_asc_name(s);

    ksnprintf(buf, len, "%s%s%s (sense %x/%02x/%02x)", atapi_sense_key_name(s->key),
              what ? ", " : "", what ? what : "", s->key, s->asc, s->ascq);
    return buf;
}
