// SPDX-License-Identifier: MIT
/* xHCI host controller: PCI probe, controller start, root ports, device
 * slots, endpoint rings, commands and control/bulk transfers; contract in
 * xhci.h. Memory: one page holds the device context base address array and
 * the event ring segment table; the command ring, the event ring and each
 * transfer ring are one page of TRBs each (the last TRB of a producer ring
 * is a Link TRB back to the start, toggling the cycle bit); each slot has
 * an input and an output context page. A device behind hubs is named by
 * its root port and route string in the slot context; a hub's slot says
 * so (Hub, Number of Ports) once the hub driver knows its port count.
 * Locking: x->lock (mutex) serializes commands, transfers, rings and the
 * event ring's dequeue pointer; the IRQ handler only acknowledges
 * USBSTS.EINT and IMAN.IP and wakes x->done. Port registers are touched by
 * the USB hub thread only. */
#include "drivers/usb/xhci.h"
#include "drivers/usb/defs.h"
#include "drivers/usb/usb.h"
#include "drivers/usb/usb_hcd.h"
#include "kernel/dma.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/irq.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/mm/paging.h"
#include "kernel/pci.h"
#include "kernel/time.h"

#define XHCI_MAX_CONTROLLERS 4
#define XHCI_MAX_SLOTS 32             /* devices per controller we enable */
#define XHCI_MAX_DCI 32               /* device context indexes 1..31 */
#define XHCI_PAGE_BYTES 4096u
#define XHCI_RING_TRBS (XHCI_PAGE_BYTES / XHCI_TRB_BYTES) /* 256, the last a Link */
#define XHCI_ERST_OFFSET 2048         /* in the misc page, after the DCBAA */
#define XHCI_BOUNCE_BYTES (64u * 1024)
#define XHCI_XFER_MAX_BYTES (1024u * 1024) /* per TD: at most ~17 TRBs */
#define XHCI_CMD_TIMEOUT_MS 1000
#define XHCI_RESET_TIMEOUT_MS 1000
#define XHCI_HANDOFF_TIMEOUT_MS 1000
#define XHCI_PORT_RESET_TIMEOUT_MS 500
#define XHCI_TRB_MAX_BYTES 0x10000u   /* a TRB buffer may not cross 64 KiB */
/* TRBs of one TD: a bulk TD of XHCI_XFER_MAX_BYTES has at most 17 Normal
 * TRBs (64 KiB pieces plus a partial first one), a control TD 3. */
#define XHCI_TD_MAX_TRBS 24

struct xhci_ring {
    struct dma_buf mem;
    volatile uint32_t *trb;       /* XHCI_RING_TRBS x 4 dwords */
    uint32_t phys;
    unsigned enq;                 /* producer index (x->lock) */
    uint32_t cycle;               /* producer cycle state (x->lock) */
};

struct xhci_slot {
    uint8_t id;                   /* 1..MaxSlotsEn */
    uint8_t port;                 /* root port, 1-based */
    uint8_t speed;                /* speed ID (PSIV) */
    uint32_t route;               /* route string below the root port (§8.9) */
    uint8_t tt_slot, tt_port;     /* LS/FS behind a HS hub: its TT's slot and port */
    uint8_t hub_ports;            /* a hub: downstream ports (hub_config); 0 otherwise */
    uint8_t tt_think;             /* a HS hub: TT think time, 0..3 */
    bool mtt;                     /* a HS hub running its multi-TT setting */
    struct dma_buf in_ctx, out_ctx;
    uint32_t entries;             /* highest DCI configured */
};

struct xhci_pipe {
    struct usb_pipe base;         /* first: what the endpoint is (usb_pipe_init) */
    struct xhci_slot *slot;       /* owned by the ep0 pipe */
    struct xhci_ring ring;
    uint8_t dci;                  /* device context index (1 = ep0) */
};
/* The HCD ops hand this pipe around as its base: ((struct xhci_pipe *)pipe). */
_Static_assert(offsetof(struct xhci_pipe, base) == 0, "usb_pipe must come first");

struct xhci {
    struct usb_hc hc;             /* registered with the core; hc.priv = this */
    struct pci_device *pdev;
    volatile uint8_t *cap, *op, *rt, *db;
    uint32_t hcs1, hcs2, hcc1;
    uint16_t version;
    unsigned ctx_bytes;           /* 32 or 64 */
    unsigned max_slots;           /* MaxSlotsEn */
    struct dma_buf misc;          /* DCBAA + ERST */
    volatile uint64_t *dcbaa;
    struct dma_buf scratch_arr;   /* scratchpad buffer array (may be empty) */
    struct dma_buf scratch;       /* the scratchpad pages */
    struct xhci_ring cmd;         /* command ring */
    struct xhci_ring evt;         /* event ring (consumer: enq = dequeue index) */
    struct dma_buf bounce;
    struct mutex lock;            /* everything that moves a ring */
    struct semaphore done;        /* upped by the IRQ handler */
    struct irq_handler *irq;      /* NULL: polled */
    bool dead;                    /* command timeout or host system error */
    uint32_t timeouts, errors;    /* counters for `usb` (lock) */
};

/* What a waiter is looking for in the event ring. The TRB addresses are
 * listed, not given as a range: a TD may wrap around its ring's Link TRB. */
struct xhci_wait {
    uint32_t type;                /* XHCI_TRB_COMMAND_DONE or _TRANSFER_EVENT */
    uint32_t trb[XHCI_TD_MAX_TRBS]; /* TRB physical addresses, in ring order */
    unsigned ntrb;                /* entries used; trb[ntrb - 1] is the last */
    uint8_t slot, dci;            /* transfer events: the endpoint */
    bool stop_on_short;           /* bulk: a short packet ends the TD */
    bool done;
    uint32_t status, control;     /* of the event that finished the wait */
    bool short_seen;              /* a short-packet event came first */
    unsigned short_idx;           /* index in trb[] of the short packet */
    uint32_t short_left;          /* bytes not moved by that TRB */
};

/* Index of `param` in w->trb[], or -1. */
static int wait_index(const struct xhci_wait *w, uint32_t param)
{
    for (unsigned i = 0; i < w->ntrb; i++) {
        if (w->trb[i] == param)
            return (int)i;
    }
    return -1;
}

static void wait_add(struct xhci_wait *w, uint32_t trb)
{
    if (w->ntrb < XHCI_TD_MAX_TRBS)
        w->trb[w->ntrb++] = trb;
}

static struct {
    unsigned count;               /* controllers started (probe runs in one thread) */
} xhci_state;

static uint32_t rd32(volatile uint8_t *base, unsigned off)
{
    return mmio_read32(base + off);
}

static void wr32(volatile uint8_t *base, unsigned off, uint32_t v)
{
    mmio_write32(base + off, v);
}

static void wr64(volatile uint8_t *base, unsigned off, uint64_t v)
{
    mmio_write32(base + off, (uint32_t)v);
    mmio_write32(base + off + 4, (uint32_t)(v >> 32));
}

static int wait_reg(volatile uint8_t *base, unsigned off, uint32_t mask, uint32_t want,
                    uint32_t timeout_ms)
{
    return usb_hcd_wait_reg(base + off, mask, want, timeout_ms);
}

static bool xhci_irq(void *ctx)
{
    struct xhci *x = ctx;
    uint32_t iman = rd32(x->rt, XHCI_IR0 + XHCI_IMAN);
    uint32_t sts = rd32(x->op, XHCI_USBSTS);

    if (!(iman & XHCI_IMAN_IP) && !(sts & XHCI_STS_EINT))
        return false;
    wr32(x->op, XHCI_USBSTS, XHCI_STS_EINT);          /* write-1-to-clear */
    wr32(x->rt, XHCI_IR0 + XHCI_IMAN, iman | XHCI_IMAN_IP);
    sem_up(&x->done);
    return true;
}

/* ---- rings --------------------------------------------------------------------------- */

static int ring_init(struct xhci_ring *r)
{
    int rc = dma_alloc(XHCI_PAGE_BYTES, XHCI_PAGE_BYTES, 0, &r->mem);
    if (rc)
        return rc;
    r->trb = r->mem.virt;
    r->phys = (uint32_t)r->mem.phys;
    r->enq = 0;
    r->cycle = 1;
    volatile uint32_t *link = r->trb + 4 * (XHCI_RING_TRBS - 1);
    link[0] = r->phys;
    link[1] = 0;
    link[2] = 0;
    link[3] = XHCI_TRB_TYPE(XHCI_TRB_LINK) | XHCI_TRB_TC; /* cycle 0: not yet valid */
    return 0;
}

static uint32_t ring_enq_phys(const struct xhci_ring *r)
{
    return r->phys + r->enq * XHCI_TRB_BYTES;
}

/* Append one TRB (the cycle bit is added here, written last); returns its
 * physical address. Passing the Link TRB hands it to the controller too. */
static uint32_t ring_push(struct xhci_ring *r, uint64_t param, uint32_t status, uint32_t control)
{
    volatile uint32_t *t = r->trb + 4 * r->enq;
    uint32_t at = ring_enq_phys(r);
    t[0] = (uint32_t)param;
    t[1] = (uint32_t)(param >> 32);
    t[2] = status;
    io_barrier();
    t[3] = control | r->cycle;
    io_barrier();
    if (++r->enq == XHCI_RING_TRBS - 1) {
        volatile uint32_t *link = r->trb + 4 * (XHCI_RING_TRBS - 1);
        link[3] = XHCI_TRB_TYPE(XHCI_TRB_LINK) | XHCI_TRB_TC | (control & XHCI_TRB_CH) |
                  r->cycle;
        io_barrier();
        r->cycle ^= 1;
        r->enq = 0;
    }
    return at;
}

static void ring_free(struct xhci_ring *r)
{
    dma_free(&r->mem);
}

/* ---- events and commands (x->lock held) ---------------------------------------------- */

/* Drain the event ring, noting what `w` waits for; update ERDP. */
static void events_poll(struct xhci *x, struct xhci_wait *w)
{
    bool moved = false;

    /* 1. Consume events while their cycle bit is ours (§4.9.4). */
    for (;;) {
        volatile uint32_t *e = x->evt.trb + 4 * x->evt.enq;
        uint32_t control = e[3];
        if ((control & XHCI_TRB_CYCLE) != x->evt.cycle)
            break;
        uint32_t param = e[0], status = e[2], type = XHCI_TRB_GET_TYPE(control);
        /* 2. Ours: our command TRB, or one of our TD's TRBs on our endpoint.
         *    Others (port changes, stale events of cancelled TDs) are dropped:
         *    the hub thread polls PORTSC itself. */
        if (w && !w->done && type == w->type) {
            int idx = wait_index(w, param);
            if (type == XHCI_TRB_COMMAND_DONE && idx == 0) {
                w->done = true;
            } else if (type == XHCI_TRB_TRANSFER_EVENT && (control >> 24) == w->slot &&
                       ((control >> 16) & 0x1F) == w->dci && idx >= 0) {
                uint32_t cc = XHCI_CC(status);
                if (cc == XHCI_CC_SHORT_PACKET && !w->short_seen) {
                    w->short_seen = true;
                    w->short_idx = (unsigned)idx;
                    w->short_left = XHCI_EVT_LEN(status);
                }
                if ((unsigned)idx + 1 == w->ntrb || cc != XHCI_CC_SHORT_PACKET ||
                    w->stop_on_short)
                    w->done = true;
            }
            if (w->done) {
                w->status = status;
                w->control = control;
            }
        }
        /* 3. Advance; the event ring has no Link TRB, it just wraps. */
        if (++x->evt.enq == XHCI_RING_TRBS) {
            x->evt.enq = 0;
            x->evt.cycle ^= 1;
        }
        moved = true;
    }
    /* 4. Tell the controller how far we got, clearing Event Handler Busy. */
    if (moved)
        wr64(x->rt, XHCI_IR0 + XHCI_ERDP, (uint64_t)ring_enq_phys(&x->evt) | XHCI_ERDP_EHB);
}

/* Wait for `w` (timeout_ms); gone (may be NULL) cancels early. Returns 0,
 * ERR_TIMEOUT, ERR_NODEV (controller dead or device unplugged). */
static int wait_locked(struct xhci *x, struct xhci_wait *w, const struct usb_device *dev,
                       uint32_t timeout_ms)
{
    uint64_t end = time_ms() + timeout_ms;

    for (;;) {
        events_poll(x, w);
        if (w->done)
            return 0;
        if (rd32(x->op, XHCI_USBSTS) & XHCI_STS_HSE) {
            pr_err("xhci: %s: host system error, controller halted", x->hc.name);
            x->dead = true;
            return ERR_NODEV;
        }
        if (dev && dev->gone)
            return ERR_NODEV;
        if (usb_hcd_wait_slice(&x->done, x->irq != NULL, end))
            return ERR_TIMEOUT;
    }
}

/* Run one command. Returns 0 (completion code Success; *slot_id from the
 * event if non-NULL), ERR_IO (other code, logged), ERR_TIMEOUT (the
 * controller is then considered dead), ERR_NODEV. */
static int command_locked(struct xhci *x, uint64_t param, uint32_t control, uint8_t *slot_id)
{
    struct xhci_wait w = { .type = XHCI_TRB_COMMAND_DONE };

    if (x->dead)
        return ERR_NODEV;
    wait_add(&w, ring_push(&x->cmd, param, 0, control));
    wr32(x->db, 0, 0); /* doorbell 0: the command ring */
    int rc = wait_locked(x, &w, NULL, XHCI_CMD_TIMEOUT_MS);
    if (rc == ERR_TIMEOUT) {
        pr_err("xhci: %s: command %u not completed in %u ms, controller given up",
               x->hc.name, XHCI_TRB_GET_TYPE(control), XHCI_CMD_TIMEOUT_MS);
        x->dead = true;
    }
    if (rc)
        return rc;
    if (slot_id)
        *slot_id = (uint8_t)(w.control >> 24);
    if (XHCI_CC(w.status) != XHCI_CC_SUCCESS) {
        pr_warn("xhci: %s: command %u failed (completion code %lu)", x->hc.name,
                XHCI_TRB_GET_TYPE(control), (unsigned long)XHCI_CC(w.status));
        return ERR_IO;
    }
    return 0;
}

/* After a STALL, timeout or cancel: reset or stop the endpoint, then move
 * its dequeue pointer to our enqueue pointer, past the abandoned TD. */
static void endpoint_recover_locked(struct xhci *x, struct xhci_pipe *p, bool halted)
{
    uint32_t slot = XHCI_TRB_SLOT(p->slot->id), ep = XHCI_TRB_EP(p->dci);
    if (halted)
        (void)command_locked(x, 0, XHCI_TRB_TYPE(XHCI_TRB_RESET_EP) | slot | ep, NULL);
    else
        (void)command_locked(x, 0, XHCI_TRB_TYPE(XHCI_TRB_STOP_EP) | slot | ep, NULL);
    (void)command_locked(x, (uint64_t)ring_enq_phys(&p->ring) | p->ring.cycle,
                         XHCI_TRB_TYPE(XHCI_TRB_SET_TR_DEQUEUE) | slot | ep, NULL);
}

/* Ring the endpoint's doorbell and wait for the TD listed in `w`. */
static int transfer_locked(struct xhci *x, struct xhci_pipe *p, struct xhci_wait *w,
                           uint32_t timeout_ms)
{
    w->type = XHCI_TRB_TRANSFER_EVENT;
    w->slot = p->slot->id;
    w->dci = p->dci;
    wr32(x->db, 4u * p->slot->id, p->dci);
    int rc = wait_locked(x, w, p->base.dev, timeout_ms);
    if (rc == ERR_TIMEOUT || (rc == ERR_NODEV && !x->dead)) {
        if (rc == ERR_TIMEOUT)
            x->timeouts++;
        endpoint_recover_locked(x, p, false);
        return rc;
    }
    if (rc)
        return rc;
    uint32_t cc = XHCI_CC(w->status);
    if (cc == XHCI_CC_SUCCESS || cc == XHCI_CC_SHORT_PACKET)
        return 0;
    x->errors++;
    endpoint_recover_locked(x, p, true); /* STALL and bus errors halt the endpoint */
    return ERR_IO;
}

static int xhci_control(struct usb_hc *hc, struct usb_pipe *pipe, const struct usb_setup *setup,
                        void *data, uint32_t *moved, uint32_t timeout_ms)
{
    struct xhci *x = hc->priv;
    struct xhci_pipe *p = (struct xhci_pipe *)pipe;
    bool in = (setup->request_type & USB_RT_IN) != 0;
    uint32_t len = setup->length;
    struct xhci_wait w = { 0 };

    *moved = 0;
    if (len > XHCI_BOUNCE_BYTES || (len && !data))
        return ERR_INVAL;
    mutex_lock(&x->lock);
    /* 1. Setup stage with the 8 request bytes inline (IDT), data stage from
     *    the bounce buffer, status stage opposite to the data (IN if none). */
    uint64_t sbytes = (uint64_t)setup->request_type | (uint64_t)setup->request << 8 |
                      (uint64_t)setup->value << 16 | (uint64_t)setup->index << 32 |
                      (uint64_t)len << 48;
    if (len && !in)
        memcpy(x->bounce.virt, data, len);
    wait_add(&w, ring_push(&p->ring, sbytes, 8,
                           XHCI_TRB_TYPE(XHCI_TRB_SETUP) | XHCI_TRB_IDT |
                               (len ? (in ? XHCI_TRT_IN : XHCI_TRT_OUT) : XHCI_TRT_NONE)));
    if (len)
        wait_add(&w, ring_push(&p->ring, x->bounce.phys, len,
                               XHCI_TRB_TYPE(XHCI_TRB_DATA) | XHCI_TRB_ISP |
                                   (in ? XHCI_TRB_DIR_IN : 0)));
    wait_add(&w, ring_push(&p->ring, 0, 0,
                           XHCI_TRB_TYPE(XHCI_TRB_STATUS) | XHCI_TRB_IOC |
                               (len && in ? 0 : XHCI_TRB_DIR_IN)));
    /* 2. Run; a short data stage is reported on the data TRB. */
    int rc = transfer_locked(x, p, &w, timeout_ms);
    if (rc == 0 && len) {
        uint32_t got = len;
        if (w.short_seen && w.short_idx == 1)
            got = len - MIN(w.short_left, len);
        if (in)
            memcpy(data, x->bounce.virt, got);
        *moved = got;
    }
    mutex_unlock(&x->lock);
    if (rc == ERR_IO)
        pr_debug("xhci: %s: control request 0x%02x failed (completion code %lu)", hc->name,
                 setup->request, (unsigned long)XHCI_CC(w.status));
    return rc;
}

static int xhci_bulk(struct usb_hc *hc, struct usb_pipe *pipe, void *data, uint32_t bytes,
                     uint32_t *moved, bool *stalled, uint32_t timeout_ms)
{
    struct xhci *x = hc->priv;
    struct xhci_pipe *p = (struct xhci_pipe *)pipe;
    uint32_t done = 0;
    int rc = 0;

    *moved = 0;
    *stalled = false;
    mutex_lock(&x->lock);
    bool direct = dma_can_direct(data, bytes);
    do {
        /* 1. One TD of Normal TRBs, split at 64 KiB boundaries. */
        uint8_t *ptr = (uint8_t *)data + done;
        uint32_t want = MIN(bytes - done, direct ? XHCI_XFER_MAX_BYTES : XHCI_BOUNCE_BYTES);
        uint32_t pa = direct ? (uint32_t)(uintptr_t)ptr : (uint32_t)x->bounce.phys;
        struct xhci_wait w = { .stop_on_short = p->base.dir_in };
        uint32_t off = 0, lens[XHCI_TD_MAX_TRBS];
        if (!direct && !p->base.dir_in)
            memcpy(x->bounce.virt, ptr, want);
        do {
            uint32_t room = XHCI_TRB_MAX_BYTES - ((pa + off) & (XHCI_TRB_MAX_BYTES - 1));
            uint32_t n = MIN(want - off, room);
            bool last = off + n >= want;
            KASSERT(w.ntrb < XHCI_TD_MAX_TRBS); /* bounded by XHCI_XFER_MAX_BYTES */
            lens[w.ntrb] = n;
            wait_add(&w, ring_push(&p->ring, pa + off, n,
                                   XHCI_TRB_TYPE(XHCI_TRB_NORMAL) | XHCI_TRB_ISP |
                                       (last ? XHCI_TRB_IOC : XHCI_TRB_CH)));
            off += n;
        } while (off < want);
        /* 2. Run; bytes moved up to a short packet are the TRBs before it
         *    plus its own part. */
        rc = transfer_locked(x, p, &w, timeout_ms);
        uint32_t got = 0;
        if (rc == 0) {
            got = want;
            if (w.short_seen) {
                got = 0;
                for (unsigned i = 0; i < w.short_idx; i++)
                    got += lens[i];
                got += lens[w.short_idx] - MIN(w.short_left, lens[w.short_idx]);
            }
        } else if (rc == ERR_IO && XHCI_CC(w.status) == XHCI_CC_STALL) {
            *stalled = true;
        }
        if (!direct && p->base.dir_in && got)
            memcpy(ptr, x->bounce.virt, got);
        done += got;
        if (rc || got < want)
            break;
    } while (done < bytes);
    *moved = done;
    mutex_unlock(&x->lock);
    return rc;
}

/* Reset Endpoint already cleared the toggle/sequence state. */
static void xhci_pipe_reset_toggle(struct usb_hc *hc, struct usb_pipe *pipe)
{
    (void)hc;
    (void)pipe;
}

/* ---- slots and pipes ----------------------------------------------------------------- */

static volatile uint32_t *in_ctx(struct xhci *x, struct xhci_slot *s, unsigned index)
{
    return (volatile uint32_t *)((uint8_t *)s->in_ctx.virt + index * x->ctx_bytes);
}

static volatile uint32_t *out_ctx(struct xhci *x, struct xhci_slot *s, unsigned index)
{
    return (volatile uint32_t *)((uint8_t *)s->out_ctx.virt + index * x->ctx_bytes);
}

/* The slot context's first three dwords from what we know of the slot
 * (§6.2.2): route, speed, hub and TT fields, entries, root port. */
static void slot_ctx_fill(struct xhci_slot *s, volatile uint32_t *sc)
{
    sc[0] = XHCI_SLOT_ROUTE(s->route) | XHCI_SLOT_SPEED(s->speed) |
            XHCI_SLOT_ENTRIES(s->entries) | (s->hub_ports ? XHCI_SLOT_HUB : 0) |
            (s->mtt ? XHCI_SLOT_MTT : 0);
    sc[1] = XHCI_SLOT_PORT(s->port) | XHCI_SLOT_NUM_PORTS(s->hub_ports);
    sc[2] = XHCI_SLOT_TT_SLOT(s->tt_slot) | XHCI_SLOT_TT_PORT(s->tt_port) |
            (s->hub_ports ? XHCI_SLOT_TTT(s->tt_think) : 0);
}

/* Fill the input context for an endpoint: control context (add A0 and
 * this DCI), slot context, endpoint context. */
static void input_for_ep(struct xhci *x, struct xhci_slot *s, struct xhci_pipe *p,
                         uint32_t ep_type)
{
    memset(s->in_ctx.virt, 0, XHCI_PAGE_BYTES);
    volatile uint32_t *icc = in_ctx(x, s, 0), *sc = in_ctx(x, s, 1);
    volatile uint32_t *ec = in_ctx(x, s, 1 + p->dci);
    icc[1] = 1u | (1u << p->dci);
    if (p->dci > s->entries)
        s->entries = p->dci;
    slot_ctx_fill(s, sc);
    ec[1] = XHCI_EP_CERR3 | XHCI_EP_TYPE(ep_type) | XHCI_EP_MPS(p->base.max_packet);
    ec[2] = p->ring.phys | p->ring.cycle; /* dequeue pointer + DCS */
    ec[3] = 0;
    ec[4] = ep_type == XHCI_EP_TYPE_CONTROL ? 8 : 1024; /* average TRB length */
}

static void slot_free(struct xhci *x, struct xhci_slot *s)
{
    if (s->id)
        x->dcbaa[s->id] = 0;
    dma_free(&s->in_ctx);
    dma_free(&s->out_ctx);
    kfree(s);
}

/* Where the slot's device is: root port, route string, speed and, for a
 * low/full-speed device behind a high-speed hub, that hub's slot and port
 * (§4.5.2: its TT). A root-port device's speed comes from PORTSC, which
 * also tells SuperSpeedPlus apart. */
static void slot_place(struct xhci *x, const struct usb_device *dev, struct xhci_slot *s)
{
    s->port = (uint8_t)(dev->root_port + 1);
    s->route = dev->route;
    if (!dev->parent) {
        s->speed = (uint8_t)XHCI_PORT_SPEED(rd32(x->op, XHCI_PORTSC(dev->root_port)));
    } else {
        s->speed = dev->speed == USB_SPEED_LOW    ? XHCI_SPEED_LOW
                   : dev->speed == USB_SPEED_FULL ? XHCI_SPEED_FULL
                   : dev->speed == USB_SPEED_HIGH ? XHCI_SPEED_HIGH
                                                  : XHCI_SPEED_SUPER;
    }
    if (dev->tt_hub && dev->tt_hub->ep0) {
        const struct xhci_pipe *hp = (const struct xhci_pipe *)dev->tt_hub->ep0;
        s->tt_slot = hp->slot ? hp->slot->id : 0;
        s->tt_port = dev->tt_port;
    }
}

/* ep0: a new slot, addressed with BSR=1 (no SET_ADDRESS on the bus yet). */
static int open_ep0_locked(struct xhci *x, struct usb_device *dev, struct xhci_pipe *p)
{
    struct xhci_slot *s = kzalloc(sizeof(*s));
    uint8_t id = 0;
    int rc;

    /* 1. Contexts and a slot from the controller. */
    if (!s)
        return ERR_NOMEM;
    slot_place(x, dev, s);
    rc = dma_alloc(XHCI_PAGE_BYTES, XHCI_PAGE_BYTES, 0, &s->in_ctx);
    if (rc == 0)
        rc = dma_alloc(XHCI_PAGE_BYTES, XHCI_PAGE_BYTES, 0, &s->out_ctx);
    if (rc == 0)
        rc = command_locked(x, 0, XHCI_TRB_TYPE(XHCI_TRB_ENABLE_SLOT), &id);
    if (rc == 0 && (id == 0 || id > x->max_slots)) {
        pr_warn("xhci: %s: Enable Slot gave slot %u (max %u)", x->hc.name, id, x->max_slots);
        rc = ERR_IO;
    }
    if (rc) {
        slot_free(x, s);
        return rc;
    }
    /* 2. Publish the output context, then Address Device (BSR=1); undo the
     *    slot if the controller refuses. */
    s->id = id;
    x->dcbaa[id] = s->out_ctx.phys;
    p->slot = s;
    p->dci = 1;
    input_for_ep(x, s, p, XHCI_EP_TYPE_CONTROL);
    rc = command_locked(x, s->in_ctx.phys,
                        XHCI_TRB_TYPE(XHCI_TRB_ADDRESS_DEVICE) | XHCI_TRB_BSR |
                            XHCI_TRB_SLOT(id), NULL);
    if (rc) {
        (void)command_locked(x, 0, XHCI_TRB_TYPE(XHCI_TRB_DISABLE_SLOT) | XHCI_TRB_SLOT(id),
                             NULL);
        slot_free(x, s);
        p->slot = NULL;
    }
    return rc;
}

static int xhci_pipe_open(struct usb_hc *hc, struct usb_device *dev,
                          const struct usb_endpoint *ep, struct usb_pipe **out)
{
    struct xhci *x = hc->priv;
    struct xhci_pipe *p = kzalloc(sizeof(*p));
    int rc;

    /* 1. The pipe and its transfer ring. */
    *out = NULL;
    if (!p)
        return ERR_NOMEM;
    usb_pipe_init(&p->base, dev, ep);
    rc = ring_init(&p->ring);
    if (rc) {
        kfree(p);
        return rc;
    }
    /* 2. ep0 brings a new slot; a bulk endpoint joins the device's slot. */
    mutex_lock(&x->lock);
    if (p->base.control) {
        rc = open_ep0_locked(x, dev, p);
    } else if (!dev->ep0 || ep->type != USB_EP_BULK) {
        rc = ERR_NOTSUP;
    } else {
        /* Configure Endpoint adding this endpoint to the device's slot. */
        p->slot = ((struct xhci_pipe *)dev->ep0)->slot;
        p->dci = (uint8_t)(2 * (ep->address & 0x0F) + (p->base.dir_in ? 1 : 0));
        input_for_ep(x, p->slot, p, p->base.dir_in ? XHCI_EP_TYPE_BULK_IN : XHCI_EP_TYPE_BULK_OUT);
        rc = command_locked(x, p->slot->in_ctx.phys,
                            XHCI_TRB_TYPE(XHCI_TRB_CONFIGURE_EP) | XHCI_TRB_SLOT(p->slot->id),
                            NULL);
    }
    mutex_unlock(&x->lock);
    if (rc) {
        ring_free(&p->ring);
        kfree(p);
        return rc;
    }
    *out = &p->base;
    return 0;
}

static int xhci_set_address(struct usb_hc *hc, struct usb_device *dev, uint8_t *address)
{
    struct xhci *x = hc->priv;
    struct xhci_pipe *p = (struct xhci_pipe *)dev->ep0;
    int rc;

    mutex_lock(&x->lock);
    p->base.max_packet = dev->max_packet0;
    input_for_ep(x, p->slot, p, XHCI_EP_TYPE_CONTROL);
    /* The ring keeps its position: point the context at our enqueue TRB. */
    in_ctx(x, p->slot, 2)[2] = ring_enq_phys(&p->ring) | p->ring.cycle;
    rc = command_locked(x, p->slot->in_ctx.phys,
                        XHCI_TRB_TYPE(XHCI_TRB_ADDRESS_DEVICE) | XHCI_TRB_SLOT(p->slot->id),
                        NULL);
    if (rc == 0)
        *address = (uint8_t)(out_ctx(x, p->slot, 0)[3] & 0xFF);
    mutex_unlock(&x->lock);
    if (rc == 0)
        sleep_ms(USB_SET_ADDRESS_RECOVERY_MS);
    return rc;
}

static void xhci_pipe_close(struct usb_hc *hc, struct usb_pipe *pipe)
{
    struct xhci *x = hc->priv;
    struct xhci_pipe *p = (struct xhci_pipe *)pipe;

    if (!p)
        return;
    mutex_lock(&x->lock);
    if (p->base.control && p->slot) {
        /* The device is done with: the slot and all its endpoints go. */
        (void)command_locked(x, 0, XHCI_TRB_TYPE(XHCI_TRB_DISABLE_SLOT) |
                                       XHCI_TRB_SLOT(p->slot->id), NULL);
        slot_free(x, p->slot);
    } else if (p->slot) {
        /* Drop just this endpoint (Configure Endpoint, drop flag). */
        memset(p->slot->in_ctx.virt, 0, XHCI_PAGE_BYTES);
        volatile uint32_t *icc = in_ctx(x, p->slot, 0);
        icc[0] = 1u << p->dci;
        icc[1] = 1u;
        slot_ctx_fill(p->slot, in_ctx(x, p->slot, 1));
        (void)command_locked(x, p->slot->in_ctx.phys,
                             XHCI_TRB_TYPE(XHCI_TRB_CONFIGURE_EP) |
                                 XHCI_TRB_SLOT(p->slot->id), NULL);
    }
    mutex_unlock(&x->lock);
    ring_free(&p->ring);
    kfree(p);
}

/* The device behind ep0 is a hub: Configure Endpoint with only the slot
 * context (A0) to set Hub, Number of Ports, MTT and the TT think time
 * (§4.6.6, §6.2.2); the fields are kept for later slot contexts. */
static int xhci_hub_config(struct usb_hc *hc, struct usb_device *dev, unsigned ports,
                           bool multi_tt, unsigned think_time)
{
    struct xhci *x = hc->priv;
    struct xhci_pipe *p = (struct xhci_pipe *)dev->ep0;
    int rc;

    if (!p || !p->slot || ports == 0 || ports > 0xFF)
        return ERR_INVAL;
    mutex_lock(&x->lock);
    struct xhci_slot *s = p->slot;
    s->hub_ports = (uint8_t)ports;
    s->tt_think = dev->speed == USB_SPEED_HIGH ? (uint8_t)(think_time & 3) : 0;
    s->mtt = multi_tt && dev->speed == USB_SPEED_HIGH;
    memset(s->in_ctx.virt, 0, XHCI_PAGE_BYTES);
    in_ctx(x, s, 0)[1] = 1u; /* A0: the slot context only */
    slot_ctx_fill(s, in_ctx(x, s, 1));
    rc = command_locked(x, s->in_ctx.phys,
                        XHCI_TRB_TYPE(XHCI_TRB_CONFIGURE_EP) | XHCI_TRB_SLOT(s->id), NULL);
    if (rc) {
        s->hub_ports = 0;
        s->mtt = false;
    }
    mutex_unlock(&x->lock);
    return rc;
}

/* ---- root ports (hub thread) --------------------------------------------------------- */

static void xhci_port_status(struct usb_hc *hc, unsigned port, bool *connected, bool *changed)
{
    struct xhci *x = hc->priv;
    uint32_t v = rd32(x->op, XHCI_PORTSC(port));

    *changed = (v & XHCI_PORT_CSC) != 0;
    *connected = (v & XHCI_PORT_CCS) != 0;
    if (v & XHCI_PORT_CHANGES)
        wr32(x->op, XHCI_PORTSC(port), (v & XHCI_PORT_NEUTRAL) | (v & XHCI_PORT_CHANGES));
}

static int xhci_port_reset(struct usb_hc *hc, unsigned port, enum usb_speed *speed)
{
    struct xhci *x = hc->priv;
    uint32_t v = rd32(x->op, XHCI_PORTSC(port));

    if (!(v & XHCI_PORT_CCS))
        return ERR_NODEV;
    /* 1. USB 2 ports need a reset to enable; USB 3 ports enable themselves. */
    if (!(v & XHCI_PORT_PED)) {
        wr32(x->op, XHCI_PORTSC(port), (v & XHCI_PORT_NEUTRAL) | XHCI_PORT_PR);
        if (wait_reg(x->op, XHCI_PORTSC(port), XHCI_PORT_PRC, XHCI_PORT_PRC,
                     XHCI_PORT_RESET_TIMEOUT_MS)) {
            pr_warn("xhci: %s: port %u: reset does not complete (PORTSC 0x%08lx)", hc->name,
                    port + 1, (unsigned long)rd32(x->op, XHCI_PORTSC(port)));
            return ERR_TIMEOUT;
        }
        v = rd32(x->op, XHCI_PORTSC(port));
        wr32(x->op, XHCI_PORTSC(port), (v & XHCI_PORT_NEUTRAL) | XHCI_PORT_PRC);
    }
    /* 2. Enabled: the speed is in PORTSC (default PSIVs, §7.2.2.1.1). */
    v = rd32(x->op, XHCI_PORTSC(port));
    if (!(v & XHCI_PORT_CCS))
        return ERR_NODEV;
    if (!(v & XHCI_PORT_PED)) {
        pr_warn("xhci: %s: port %u: not enabled after reset (PORTSC 0x%08lx)", hc->name,
                port + 1, (unsigned long)v);
        return ERR_IO;
    }
    sleep_ms(USB_RESET_RECOVERY_MS);
    switch (XHCI_PORT_SPEED(v)) {
    case 1:
        *speed = USB_SPEED_FULL;
        break;
    case 2:
        *speed = USB_SPEED_LOW;
        break;
    case 3:
        *speed = USB_SPEED_HIGH;
        break;
    default:
        *speed = USB_SPEED_SUPER;
        break;
    }
    return 0;
}

static void xhci_describe(struct usb_hc *hc, char *buf, size_t bytes)
{
    struct xhci *x = hc->priv;
    ksnprintf(buf, bytes, "xHCI %x.%02x at %02x:%02x.%x, %u ports, %u slots, %s, timeouts %lu, "
              "errors %lu%s", x->version >> 8, x->version & 0xFF, x->pdev->bus, x->pdev->dev,
              x->pdev->func, hc->num_ports, x->max_slots, x->irq ? "IRQ" : "polled",
              (unsigned long)x->timeouts, (unsigned long)x->errors, x->dead ? ", dead" : "");
}

static const struct usb_hc_ops xhci_ops = {
    .port_status = xhci_port_status,
    .port_reset = xhci_port_reset,
    .set_address = xhci_set_address,
    .hub_config = xhci_hub_config,
    .pipe_open = xhci_pipe_open,
    .pipe_close = xhci_pipe_close,
    .control = xhci_control,
    .bulk = xhci_bulk,
    .pipe_reset_toggle = xhci_pipe_reset_toggle,
    .describe = xhci_describe,
};

/* ---- controller start ---------------------------------------------------------------- */

/* USB Legacy Support (§7.1.1): OS-owned, wait for the BIOS to let go. */
static void bios_handoff(struct xhci *x, size_t bar_bytes)
{
    uint32_t off = XHCI_HCC1_XECP(x->hcc1) * 4;

    for (unsigned walked = 0; off && off + 8 <= bar_bytes && walked < 64; walked++) {
        uint32_t cap = rd32(x->cap, off);
        if ((cap & 0xFF) == XHCI_XCAP_LEGACY) {
            if (cap & XHCI_LEGACY_BIOS_OWNED) {
                wr32(x->cap, off, cap | XHCI_LEGACY_OS_OWNED);
                if (wait_reg(x->cap, off, XHCI_LEGACY_BIOS_OWNED, 0, XHCI_HANDOFF_TIMEOUT_MS))
                    pr_warn("xhci: %s: BIOS keeps the controller after %u ms, taking it",
                            x->hc.name, XHCI_HANDOFF_TIMEOUT_MS);
            }
            wr32(x->cap, off + 4, 0xE0000000u); /* SMIs off, RW1C events cleared */
            return;
        }
        uint32_t next = (cap >> 8) & 0xFF;
        if (!next)
            return;
        off += next * 4;
    }
}

static int controller_start(struct xhci *x)
{
    int rc;

    /* 1. Ready, halted, reset (§4.2). */
    if (wait_reg(x->op, XHCI_USBSTS, XHCI_STS_CNR, 0, XHCI_RESET_TIMEOUT_MS))
        return ERR_TIMEOUT;
    wr32(x->op, XHCI_USBCMD, rd32(x->op, XHCI_USBCMD) & ~(XHCI_CMD_RS | XHCI_CMD_INTE));
    if (wait_reg(x->op, XHCI_USBSTS, XHCI_STS_HCH, XHCI_STS_HCH, XHCI_RESET_TIMEOUT_MS))
        pr_warn("xhci: %s: does not halt, resetting anyway", x->hc.name);
    wr32(x->op, XHCI_USBCMD, XHCI_CMD_HCRST);
    rc = wait_reg(x->op, XHCI_USBCMD, XHCI_CMD_HCRST, 0, XHCI_RESET_TIMEOUT_MS);
    if (rc == 0)
        rc = wait_reg(x->op, XHCI_USBSTS, XHCI_STS_CNR, 0, XHCI_RESET_TIMEOUT_MS);
    if (rc) {
        pr_err("xhci: %s: reset does not complete in %u ms", x->hc.name, XHCI_RESET_TIMEOUT_MS);
        return rc;
    }
    /* 2. Slots, device context array, scratchpad buffers (§4.20). */
    wr32(x->op, XHCI_CONFIG, x->max_slots);
    wr64(x->op, XHCI_DCBAAP, x->misc.phys);
    unsigned scratch = XHCI_HCS2_SCRATCH(x->hcs2);
    if (scratch) {
        rc = dma_alloc(scratch * 8u, 64, 0, &x->scratch_arr);
        if (rc == 0)
            rc = dma_alloc((size_t)scratch * XHCI_PAGE_BYTES, XHCI_PAGE_BYTES, 0, &x->scratch);
        if (rc)
            return rc;
        for (unsigned i = 0; i < scratch; i++)
            ((volatile uint64_t *)x->scratch_arr.virt)[i] = x->scratch.phys + i * XHCI_PAGE_BYTES;
        x->dcbaa[0] = x->scratch_arr.phys;
    }
    /* 3. Command ring; event ring with a one-entry segment table. */
    wr64(x->op, XHCI_CRCR, (uint64_t)x->cmd.phys | XHCI_CRCR_RCS);
    volatile uint32_t *erst = (volatile uint32_t *)((uint8_t *)x->misc.virt + XHCI_ERST_OFFSET);
    erst[0] = x->evt.phys;
    erst[1] = 0;
    erst[2] = XHCI_RING_TRBS;
    erst[3] = 0;
    wr32(x->rt, XHCI_IR0 + XHCI_ERSTSZ, 1);
    wr64(x->rt, XHCI_IR0 + XHCI_ERDP, x->evt.phys);
    wr64(x->rt, XHCI_IR0 + XHCI_ERSTBA, x->misc.phys + XHCI_ERST_OFFSET);
    wr32(x->rt, XHCI_IR0 + XHCI_IMOD, 0);
    wr32(x->rt, XHCI_IR0 + XHCI_IMAN, XHCI_IMAN_IP | (x->irq ? XHCI_IMAN_IE : 0));
    /* 4. Run. */
    wr32(x->op, XHCI_USBSTS, XHCI_STS_EINT | XHCI_STS_PCD | XHCI_STS_HSE);
    wr32(x->op, XHCI_USBCMD, XHCI_CMD_RS | (x->irq ? XHCI_CMD_INTE : 0));
    rc = wait_reg(x->op, XHCI_USBSTS, XHCI_STS_HCH, 0, XHCI_RESET_TIMEOUT_MS);
    if (rc) {
        pr_err("xhci: %s: does not run (USBSTS 0x%08lx)", x->hc.name,
               (unsigned long)rd32(x->op, XHCI_USBSTS));
        return rc;
    }
    /* 5. Port power where we control it; let connections settle. */
    for (unsigned i = 0; i < x->hc.num_ports; i++) {
        uint32_t v = rd32(x->op, XHCI_PORTSC(i));
        if (!(v & XHCI_PORT_PP))
            wr32(x->op, XHCI_PORTSC(i), (v & XHCI_PORT_NEUTRAL) | XHCI_PORT_PP);
    }
    sleep_ms(20);
    return 0;
}

static void xhci_free(struct xhci *x)
{
    ring_free(&x->cmd);
    ring_free(&x->evt);
    dma_free(&x->misc);
    dma_free(&x->bounce);
    dma_free(&x->scratch_arr);
    dma_free(&x->scratch);
    kfree(x);
}

static int xhci_probe(struct pci_device *pdev)
{
    const struct pci_bar *bar = &pdev->bars[XHCI_PCI_BAR];
    struct xhci *x;
    void *regs;
    int rc;

    /* 1. Room, a memory BAR (mmio_map refuses one above 4 GiB), decoding
     *    and bus mastering on, registers mapped. */
    rc = usb_hcd_check_room(pdev, "xhci", xhci_state.count, XHCI_MAX_CONTROLLERS);
    if (rc)
        return rc;
    rc = usb_hcd_map_mem_bar(pdev, bar, "xhci", 0x1000, &regs);
    if (rc)
        return rc;
    x = kzalloc(sizeof(*x));
    if (!x)
        return ERR_NOMEM;
    x->pdev = pdev;
    usb_hcd_hc_init(&x->hc, "xhci", xhci_state.count, &xhci_ops, x);
    mutex_init(&x->lock, "xhci");
    sem_init(&x->done, 0);
    /* 2. Capability registers, checked against the BAR. */
    x->cap = regs;
    uint8_t caplen = x->cap[XHCI_CAPLENGTH];
    x->version = (uint16_t)(rd32(x->cap, 0) >> 16);
    x->hcs1 = rd32(x->cap, XHCI_HCSPARAMS1);
    x->hcs2 = rd32(x->cap, XHCI_HCSPARAMS2);
    x->hcc1 = rd32(x->cap, XHCI_HCCPARAMS1);
    uint32_t dboff = rd32(x->cap, XHCI_DBOFF) & ~3u, rtsoff = rd32(x->cap, XHCI_RTSOFF) & ~0x1Fu;
    unsigned ports = XHCI_HCS1_PORTS(x->hcs1);
    x->max_slots = MIN(XHCI_HCS1_SLOTS(x->hcs1), (unsigned)XHCI_MAX_SLOTS);
    if (caplen < 0x20 || ports == 0 || x->max_slots == 0 ||
        caplen + XHCI_PORTSC(ports) > bar->size_bytes || rtsoff + 0x40 > bar->size_bytes ||
        dboff + 4 * (x->max_slots + 1) > bar->size_bytes) {
        pr_warn("xhci: %s: implausible registers (CAPLENGTH 0x%x, %u ports, %u slots)",
                x->hc.name, caplen, ports, x->max_slots);
        rc = ERR_NODEV;
        goto err_free;
    }
    x->op = x->cap + caplen;
    x->rt = x->cap + rtsoff;
    x->db = x->cap + dboff;
    x->ctx_bytes = (x->hcc1 & XHCI_HCC1_CSZ) ? 64 : 32;
    x->hc.num_ports = MIN(ports, (unsigned)USB_MAX_PORTS);
    /* 3. BIOS handoff, memory, IRQ, start. */
    bios_handoff(x, (size_t)bar->size_bytes);
    rc = dma_alloc(XHCI_PAGE_BYTES, XHCI_PAGE_BYTES, 0, &x->misc);
    if (rc == 0)
        rc = dma_alloc(XHCI_BOUNCE_BYTES, XHCI_PAGE_BYTES, 0, &x->bounce);
    if (rc == 0)
        rc = ring_init(&x->cmd);
    if (rc == 0)
        rc = ring_init(&x->evt);
    if (rc)
        goto err_free;
    x->dcbaa = x->misc.virt;
    x->evt.trb[4 * (XHCI_RING_TRBS - 1) + 3] = 0; /* the event ring has no Link TRB */
    usb_hcd_irq_attach(pdev, "xhci", x->hc.name, xhci_irq, x, &x->irq);
    rc = controller_start(x);
    if (rc)
        goto err_irq;
    pr_info("xhci: %s: %04x:%04x at %02x:%02x.%x, xHCI %x.%02x, %u ports, %u slots, "
            "%u-byte contexts, IRQ %s%u", x->hc.name, pdev->vendor_id, pdev->device_id,
            pdev->bus, pdev->dev, pdev->func, x->version >> 8, x->version & 0xFF,
            x->hc.num_ports, x->max_slots, x->ctx_bytes, x->irq ? "" : "none/polled ",
            x->irq ? pdev->irq_line : 0);
    xhci_state.count++;
    /* 4. Hand the root ports to the core (enumerates what is plugged in). */
    rc = usb_hc_register(&x->hc);
    if (rc)
        pr_warn("xhci: %s: not registered with the USB core (%s)", x->hc.name, err_name(rc));
    return 0;

err_irq:
    wr32(x->op, XHCI_USBCMD, 0);
    irq_detach(x->irq);
err_free:
    xhci_free(x);
    return rc;
}

static struct usb_hcd_pci xhci_pci;

void xhci_register(void)
{
    usb_hcd_pci_register(&xhci_pci, "xhci", XHCI_PCI_PROGIF, xhci_probe);
}
