// SPDX-License-Identifier: MIT
/* ATAPI media state machine (contract and poll steps in atapi_media.h). */
#include "drivers/ata/lib/atapi_media.h"

enum atapi_poll_action atapi_media_poll_decide(struct atapi_media *m,
                                               const struct atapi_media_event *ev)
{
    if (!ev)
        return ATAPI_POLL_CHECK;
    if (ev->tray_open || !ev->present)
        return m->present ? ATAPI_POLL_REMOVED : ATAPI_POLL_NOTHING;
    /* A new disc may have the old one's size: only the flag tells them apart. */
    if (ev->code == ATAPI_MEC_NEW_MEDIA || ev->code == ATAPI_MEC_MEDIA_CHANGED)
        m->changed = true;
    if (!m->present || m->changed)
        return ATAPI_POLL_CHECK;
    return ATAPI_POLL_NOTHING;
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

bool atapi_media_is_usable(const struct atapi_media *m)
{
    return m->present && !m->changed;
}
