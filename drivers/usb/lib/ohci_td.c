// SPDX-License-Identifier: MIT
/* OHCI general TD encoding and decoding; contract in ohci_td.h.
 * Spec: OHCI 1.0a §4.3.1 (general TD fields, buffer address rule), §4.3.3
 * (condition codes), §4.2.1 (ED dword 0). */
#include "drivers/usb/lib/ohci_td.h"
#include "kernel/err.h"
#include "kernel/klog.h"

#define OHCI_TD_MAX_PACKET 1023u /* MPS is 11 bits; full speed bulk uses 64 */

uint32_t ohci_td_piece_bytes(uint32_t pa, uint32_t remaining, uint16_t max_packet)
{
    if (remaining == 0 || max_packet == 0)
        return 0;
    /* The TD may run from pa to the end of the page after pa's page. */
    uint32_t room = OHCI_TD_MAX_BYTES - (pa & (OHCI_PAGE_BYTES - 1));
    if (remaining <= room)
        return remaining;
    return room - room % max_packet; /* room > 4096 >= max_packet: never 0 */
}

int ohci_td_build(const struct ohci_td_req *req, struct ohci_td_words *tds,
                  struct ohci_td_piece *pieces, unsigned max_tds, unsigned *count)
{
    uint32_t off = 0;
    unsigned n = 0;

    *count = 0;
    /* 1. Check the request against the encodable ranges. */
    if (req->max_packet == 0 || req->max_packet > OHCI_TD_MAX_PACKET || req->di > 7 ||
        req->di_last > 7 ||
        (req->dp != OHCI_TD_DP_SETUP && req->dp != OHCI_TD_DP_OUT &&
         req->dp != OHCI_TD_DP_IN) ||
        (req->first_phys & (OHCI_TD_BYTES - 1)) || (req->tail_phys & (OHCI_TD_BYTES - 1)))
        return ERR_INVAL;
    if (req->bytes && req->bytes - 1 > UINT32_MAX - req->buf_phys)
        return ERR_RANGE;
    /* 2. Cut the buffer; a zero-length stage is one TD with CBP = BE = 0. */
    do {
        uint32_t pa = req->buf_phys + off;
        uint32_t len = ohci_td_piece_bytes(pa, req->bytes - off, req->max_packet);
        if (n >= max_tds)
            return ERR_NOSPC;
        pieces[n].start_phys = len ? pa : 0;
        pieces[n].bytes = len;
        tds[n].ctrl = req->dp | req->toggle | OHCI_TD_DI(req->di) |
                      OHCI_TD_CC_SET(OHCI_CC_NOT_ACCESSED);
        tds[n].cbp = len ? pa : 0;
        tds[n].be = len ? pa + len - 1 : 0;
        tds[n].next = req->first_phys + (n + 1) * OHCI_TD_BYTES;
        off += len;
        n++;
    } while (off < req->bytes);
    /* 3. The last TD: link to the tail, interrupt delay, rounding. */
    tds[n - 1].next = req->tail_phys;
    tds[n - 1].ctrl = (tds[n - 1].ctrl & ~OHCI_TD_DI_NONE) | OHCI_TD_DI(req->di_last) |
                      (req->round_last ? OHCI_TD_R : 0);
    *count = n;
    return 0;
}

int ohci_td_result(uint32_t ctrl, uint32_t cbp, const struct ohci_td_piece *piece,
                   uint32_t *moved, bool *stalled, bool *is_short)
{
    unsigned cc = OHCI_TD_CC(ctrl);

    *moved = 0;
    *stalled = false;
    *is_short = false;
    /* 1. Bytes: CBP 0 means the whole buffer went; otherwise it points at
     *    the next byte, which must lie inside the piece (§4.3.1.3.1). */
    if (cbp == 0) {
        if (cc == OHCI_CC_NOERROR)
            *moved = piece->bytes;
    } else if (cbp < piece->start_phys || cbp - piece->start_phys > piece->bytes) {
        pr_warn("ohci: TD buffer pointer outside its buffer (CBP 0x%08lx, buffer 0x%08lx+%lu)",
                (unsigned long)cbp, (unsigned long)piece->start_phys,
                (unsigned long)piece->bytes);
        return ERR_CORRUPT;
    } else {
        *moved = cbp - piece->start_phys;
    }
    /* 2. Condition code (§4.3.3): underrun is a short packet; R with a
     *    non-zero CBP retired as no error is one too. */
    switch (cc) {
    case OHCI_CC_NOERROR:
        *is_short = *moved < piece->bytes;
        return 0;
    case OHCI_CC_DATA_UNDERRUN:
        *is_short = true;
        return 0;
    case OHCI_CC_STALL:
        *stalled = true;
        return ERR_IO;
    default:
        return ERR_IO;
    }
}

const char *ohci_cc_name(unsigned cc)
{
    static const char *const names[16] = {
        "no error", "CRC", "bit stuffing", "data toggle mismatch", "stall",
        "device not responding", "PID check failure", "unexpected PID", "data overrun",
        "data underrun", "reserved 10", "reserved 11", "buffer overrun", "buffer underrun",
        "not accessed", "not accessed",
    };
    return names[cc & 15];
}

int ohci_td_index(uint32_t phys, uint32_t pool_phys, unsigned slots, unsigned *index)
{
    if (phys < pool_phys || (phys - pool_phys) % OHCI_TD_BYTES ||
        (phys - pool_phys) / OHCI_TD_BYTES >= slots)
        return ERR_CORRUPT;
    *index = (phys - pool_phys) / OHCI_TD_BYTES;
    return 0;
}

uint32_t ohci_ed_ctrl(uint8_t address, uint8_t ep, uint32_t dir, bool low_speed,
                      uint16_t max_packet)
{
    return OHCI_ED_FA(address) | OHCI_ED_EN(ep) | dir | (low_speed ? OHCI_ED_LOWSPEED : 0) |
           OHCI_ED_MPS(max_packet);
}
