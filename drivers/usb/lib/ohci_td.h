/* SPDX-License-Identifier: MIT */
/* OHCI general transfer descriptors without the hardware: the OHCI driver
 * (drivers/usb/ohci.c) describes a transfer with struct ohci_td_req, lets
 * ohci_td_build() cut the buffer into TDs that obey the two-page rule
 * (OHCI 1.0a §4.3.1.3.1: [CBP, BE] touches at most two 4 KiB pages) and
 * end on packet boundaries, copies the words into its DMA pool, and after
 * the controller retired them asks ohci_td_result() how many bytes moved
 * and what the condition code means (ERR_*). ohci_td_index() checks a
 * pointer the controller hands back (done queue, ED head) before use.
 * Does not touch memory the controller owns, and knows nothing of EDs
 * beyond ohci_ed_ctrl(). Hardware-free: built into the kernel and the
 * hosted tests. Register and descriptor layouts: drivers/usb/defs.h. */
#ifndef DRIVERS_USB_LIB_OHCI_TD_H
#define DRIVERS_USB_LIB_OHCI_TD_H

#include "drivers/usb/defs.h"
#include "kernel/types.h"

/* The four dwords of a general TD, as the controller will read them. */
struct ohci_td_words {
    uint32_t ctrl; /* R, DP, DI, T, EC, CC (OHCI_TD_*) */
    uint32_t cbp;  /* current buffer pointer; 0 for a zero-length TD */
    uint32_t next; /* physical address of the next TD */
    uint32_t be;   /* address of the last buffer byte */
};

/* What a TD covers, kept by the driver: the controller rewrites CBP. */
struct ohci_td_piece {
    uint32_t start_phys; /* first byte (0 for a zero-length TD) */
    uint32_t bytes;      /* length, 0..OHCI_TD_MAX_BYTES */
};

/* One transfer stage in one direction over a physically contiguous buffer. */
struct ohci_td_req {
    uint32_t buf_phys;    /* first byte; ignored when bytes == 0 */
    uint32_t bytes;       /* total length; 0 gives one zero-length TD */
    uint16_t max_packet;  /* endpoint max packet, 1..1023 */
    uint32_t dp;          /* OHCI_TD_DP_SETUP, _OUT or _IN */
    uint32_t toggle;      /* OHCI_TD_T_* for every TD of the stage */
    bool round_last;      /* set R on the last TD (a short final packet is fine) */
    uint8_t di;           /* DelayInterrupt of every TD but the last, 0..7 (7: none) */
    uint8_t di_last;      /* DelayInterrupt of the last TD, 0..7 */
    uint32_t first_phys;  /* physical address of tds[0]; TDs are OHCI_TD_BYTES apart */
    uint32_t tail_phys;   /* NextTD of the last TD: the ED's tail (dummy) TD */
};

/* Bytes of the next TD for a buffer at `pa` with `remaining` bytes left:
 * all of it if it fits in the two pages from pa's page, else as many whole
 * max_packet packets as fit (a TD that ended mid-packet would send or
 * expect a short packet in the middle of the transfer). Returns 0 only for
 * remaining == 0 or max_packet == 0. Context: any. */
uint32_t ohci_td_piece_bytes(uint32_t pa, uint32_t remaining, uint16_t max_packet);

/* Encode `req` into tds[0..*count) and pieces[0..*count) (both arrays hold
 * max_tds). TD i links to first_phys + i * OHCI_TD_BYTES, the last to
 * tail_phys; every CC is OHCI_CC_NOT_ACCESSED. Returns 0; ERR_INVAL
 * (max_packet 0 or > 1023, bad dp, di or di_last > 7, unaligned TDs);
 * ERR_RANGE (the buffer wraps past 4 GiB); ERR_NOSPC (needs more than
 * max_tds TDs; nothing to run). Context: any. */
int ohci_td_build(const struct ohci_td_req *req, struct ohci_td_words *tds,
                  struct ohci_td_piece *pieces, unsigned max_tds, unsigned *count);

/* Decode a retired TD: `ctrl` and `cbp` as the controller left them,
 * `piece` as built. *moved = bytes transferred (CBP 0: all; else CBP -
 * start). *stalled: the endpoint answered STALL. *is_short: the device sent
 * less than asked (DataUnderrun, or R set and CBP not 0). Returns 0 (no
 * error, or a short IN); ERR_IO (any other condition code, *moved as far
 * as CBP says); ERR_CORRUPT (CBP outside the piece: *moved = 0, logged).
 * Context: any. */
int ohci_td_result(uint32_t ctrl, uint32_t cbp, const struct ohci_td_piece *piece,
                   uint32_t *moved, bool *stalled, bool *is_short);

/* Name of a condition code ("stall", "device not responding"...). */
const char *ohci_cc_name(unsigned cc);

/* Index of the TD at physical `phys` in a pool of `slots` TDs from
 * pool_phys. Returns 0 and *index; ERR_CORRUPT if phys is not the start of
 * one of them (a hostile or stale pointer from the controller). */
int ohci_td_index(uint32_t phys, uint32_t pool_phys, unsigned slots, unsigned *index);

/* ED dword 0 (§4.2.1): function address, endpoint, direction
 * (OHCI_ED_DIR_*), speed and max packet; sKip clear. Context: any. */
uint32_t ohci_ed_ctrl(uint8_t address, uint8_t ep, uint32_t dir, bool low_speed,
                      uint16_t max_packet);

#endif
