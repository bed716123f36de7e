// SPDX-License-Identifier: MIT
/* ATAPI commands, tray and media poll above a transport (contract in
 * atapi_drive.h). */
#include "drivers/ata/lib/atapi_drive.h"
#include "blkdev/diskfunc.h"
#include "drivers/ata/lib/atapi_cdb.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/kstring.h"

int atapi_drive_command(struct atapi_drive *d, const uint8_t *cdb, void *buf, uint32_t bytes,
                        bool dma, uint32_t *got, struct atapi_sense *sense)
{
    uint8_t err_reg = 0, sense_err_reg = 0, req[ATAPI_PACKET_BYTES];
    uint8_t sbuf[ATAPI_SENSE_FULL_BYTES] = { 0 };
    char text[ATAPI_SENSE_TEXT_BYTES];
    uint32_t sgot = 0;

    *got = 0;
    memset(sense, 0, sizeof(*sense));
    int rc = d->tp->packet(d->ctx, cdb, buf, bytes, dma, got, &err_reg);
    if (rc != ATAPI_CHECK_CONDITION)
        return rc;
    /* 1. Why: the sense data, or the key in the failed command's error
     *    register if asking fails. */
    atapi_cdb_request_sense(req);
    if (d->tp->packet(d->ctx, req, sbuf, sizeof(sbuf), false, &sgot, &sense_err_reg) != 0 ||
        atapi_sense_decode(sbuf, MIN(sgot, (uint32_t)sizeof(sbuf)), sense) != 0)
        atapi_sense_from_error_reg(err_reg, sense);
    /* 2. What it means. Any UNIT ATTENTION may hide a new disc; expected
     *    states (no disc, new disc, reset) are not logged. */
    if (sense->key == ATAPI_KEY_UNIT_ATTENTION)
        d->media.changed = true;
    if (atapi_sense_is_worth_logging(sense, cdb[0])) {
        (*d->errors)++;
        pr_err("%s: %s: command 0x%02x failed: %s", d->log_prefix, d->name, cdb[0],
               atapi_sense_describe(sense, text, sizeof(text)));
    }
    return atapi_sense_to_err(sense);
}

int atapi_drive_load_tray(struct atapi_drive *d, bool eject)
{
    uint8_t cdb[ATAPI_PACKET_BYTES];
    struct atapi_sense sense;
    uint32_t got;

    atapi_cdb_start_stop(cdb, eject);
    int rc = atapi_drive_command(d, cdb, NULL, 0, false, &got, &sense);
    if (eject && rc == 0)
        d->media.changed = true; /* the next poll announces the removal */
    return rc;
}

/* GET EVENT STATUS NOTIFICATION, media class. Returns 0 with *ev;
 * ERR_NOTSUP/ERR_CORRUPT (no usable media events); other ERR_*. */
static int media_event(struct atapi_drive *d, struct atapi_media_event *ev)
{
    uint8_t cdb[ATAPI_PACKET_BYTES], buf[ATAPI_GESN_MEDIA_BYTES] = { 0 };
    struct atapi_sense sense;
    uint32_t got;

    atapi_cdb_gesn_media(cdb);
    int rc = atapi_drive_command(d, cdb, buf, sizeof(buf), false, &got, &sense);
    if (rc)
        return rc;
    return atapi_gesn_parse_media(buf, MIN(got, (uint32_t)sizeof(buf)), ev);
}

/* Poll step 2: TEST UNIT READY, swallowing up to ATAPI_UA_TRIES UNIT
 * ATTENTIONs; then READ CAPACITY. Returns 0 with *sectors, ERR_NOMEDIA,
 * ERR_IO/ERR_TIMEOUT/ERR_CORRUPT. */
static int check_media(struct atapi_drive *d, uint64_t *sectors)
{
    uint8_t cdb[ATAPI_PACKET_BYTES], cap[ATAPI_RCAP_BYTES] = { 0 };
    struct atapi_sense sense;
    uint32_t got;
    int rc = ERR_NOMEDIA;

    atapi_cdb_test_unit_ready(cdb);
    for (unsigned i = 0; i < ATAPI_UA_TRIES; i++) {
        rc = atapi_drive_command(d, cdb, NULL, 0, false, &got, &sense);
        if (sense.key != ATAPI_KEY_UNIT_ATTENTION)
            break;
    }
    if (rc)
        return rc;
    atapi_cdb_read_capacity(cdb);
    rc = atapi_drive_command(d, cdb, cap, sizeof(cap), false, &got, &sense);
    if (rc)
        return rc;
    return atapi_read_capacity_parse(d->name, cap, MIN(got, (uint32_t)sizeof(cap)), sectors);
}

void atapi_drive_poll_locked(struct atapi_drive *d, struct atapi_poll_news *news)
{
    struct atapi_media_event ev;
    const struct atapi_media_event *evp = NULL;
    uint64_t sectors = 0;

    memset(news, 0, sizeof(*news));
    /* 1. A media event if the drive has them; without one the state
     *    machine asks for a full check. */
    if (!d->no_events) {
        int rc = media_event(d, &ev);
        if (rc == ERR_NOTSUP || rc == ERR_CORRUPT) {
            d->no_events = true;
            pr_info("%s: %s: no media events (GET EVENT STATUS: %s), polling with TEST UNIT "
                    "READY", d->log_prefix, d->name, err_name(rc));
        } else if (rc == 0) {
            evp = &ev;
        }
    }
    /* 2. Check the drive if the state machine says so; 3. update. */
    enum atapi_poll_action act = atapi_media_poll_decide(&d->media, evp);
    if (act == ATAPI_POLL_NOTHING)
        return;
    int rc = act == ATAPI_POLL_REMOVED ? ERR_NOMEDIA : check_media(d, &sectors);
    atapi_media_update(&d->media, rc, sectors, &news->removed, &news->inserted);
    news->sectors = d->media.sectors;
}

void atapi_drive_announce(const struct atapi_drive *d, const struct atapi_poll_news *news)
{
    if (news->removed) {
        pr_info("%s: %s: media removed or changed", d->log_prefix, d->name);
        DiskMediaChanged(d->disk, 0);
    }
    if (news->inserted) {
        pr_info("%s: %s: media present (%llu sectors of %u bytes)", d->log_prefix, d->name,
                (unsigned long long)news->sectors, ATAPI_SECTOR_BYTES);
        DiskMediaChanged(d->disk, 1);
    }
}
