// SPDX-License-Identifier: MIT
/* EHCI host controller: PCI probe, controller start, root ports, pipes (one
 * QH each in the async ring) and control/bulk transfers as qTD chains. The
 * contract and the spec sections are in ehci.h. Memory layout (one DMA run
 * per controller): page 0 holds the idle ring head QH and the "stop" qTD
 * (never active: alternate-next target that ends a chain on a short
 * packet), page 1 the QH pool, pages 2-3 the qTD pool, then the bounce
 * buffer for control data and for buffers the controller cannot reach.
 * Locking: e->lock (mutex) serializes transfers and ring changes; the IRQ
 * handler only acknowledges USBSTS, ORs the bits into e->sts and wakes
 * e->done. Port registers are touched by the USB hub thread only. */
#include "drivers/usb/ehci.h"
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

#define EHCI_MAX_CONTROLLERS USB_MAX_HCS
#define EHCI_QH_SLOTS (EHCI_PAGE_BYTES / EHCI_QH_SLOT_BYTES) /* 32: ~10 devices */
#define EHCI_QTD_SLOTS 128  /* 2 MiB per chain at >= 16 KiB a qTD */
#define EHCI_BOUNCE_BYTES (64u * 1024)
#define EHCI_MEM_BYTES (4 * EHCI_PAGE_BYTES + EHCI_BOUNCE_BYTES)
#define EHCI_STOP_QTD_OFFSET 128
#define EHCI_HALT_TIMEOUT_MS 50    /* spec: 16 micro-frames */
#define EHCI_RESET_TIMEOUT_MS 250
#define EHCI_HANDOFF_TIMEOUT_MS 1000
#define EHCI_DOORBELL_TIMEOUT_MS 100
#define EHCI_PORT_RESET_DONE_MS 10 /* spec: PR reads 0 within 2 ms of writing 0 */
/* Interrupt threshold 1 micro-frame: completions reach us without the
 * default 1 ms batching (§2.3.1, ITC). */
#define EHCI_ITC 1u
#define EHCI_INTR_MASK (EHCI_STS_USBINT | EHCI_STS_USBERRINT | EHCI_STS_HSE | EHCI_STS_IAA)

struct ehci_pipe {
    struct usb_pipe base;    /* first: the endpoint (usb_pipe_init); control pipes take
                              * their toggles from the qTDs */
    struct ehci *e;
    volatile uint32_t *qh;   /* QH in the pool */
    uint32_t qh_phys;
    unsigned slot;           /* index in the QH pool */
    struct ehci_pipe *next;  /* async ring order after the head (e->lock) */
};
/* The HCD ops hand this pipe around as its base: ((struct ehci_pipe *)pipe). */
_Static_assert(offsetof(struct ehci_pipe, base) == 0, "usb_pipe must come first");

struct ehci {
    struct usb_hc hc;             /* registered with the core; hc.priv = this */
    struct pci_device *pdev;
    volatile uint8_t *cap;        /* capability registers */
    volatile uint8_t *op;         /* operational registers */
    uint32_t hcsparams, hccparams;
    uint16_t version;
    struct dma_buf mem;           /* see the file header */
    volatile uint32_t *head;      /* idle ring head QH */
    uint32_t head_phys;
    uint32_t stop_phys;
    uint8_t *qh_pool;
    uint32_t qh_pool_phys;
    uint32_t qh_used;             /* bitmap of QH slots (lock) */
    uint8_t *qtd_pool;
    uint32_t qtd_pool_phys;
    uint8_t *bounce;
    uint32_t bounce_phys;
    struct mutex lock;            /* transfers, ring, pools */
    struct semaphore done;        /* upped by the IRQ handler */
    uint32_t sts;                 /* USBSTS bits seen (atomic OR from IRQ) */
    struct irq_handler *irq;      /* NULL: polled */
    struct ehci_pipe *ring;       /* pipes linked after the head (lock) */
    bool dead;                    /* host system error or failed restart */
    uint32_t timeouts, errors;    /* counters for `usb` (lock) */
    uint32_t lens[EHCI_QTD_SLOTS]; /* bytes of each qTD of the running chain (lock) */
};

static struct {
    struct ehci *ctrl[EHCI_MAX_CONTROLLERS]; /* written by the probe (pci_init thread) */
    unsigned count;
} ehci_state;

static uint32_t op_read(struct ehci *e, unsigned reg)
{
    return mmio_read32(e->op + reg);
}

static void op_write(struct ehci *e, unsigned reg, uint32_t v)
{
    mmio_write32(e->op + reg, v);
}

/* Wait until (reg & mask) == want; 0 or ERR_TIMEOUT. */
static int op_wait(struct ehci *e, unsigned reg, uint32_t mask, uint32_t want,
                   uint32_t timeout_ms)
{
    return usb_hcd_wait_reg(e->op + reg, mask, want, timeout_ms);
}

/* Status bits seen since the last take: from the IRQ handler, or read and
 * acknowledged here when the controller is polled. */
static uint32_t take_status(struct ehci *e, uint32_t bits)
{
    if (!e->irq) {
        uint32_t s = op_read(e, EHCI_USBSTS) & EHCI_STS_ACK_MASK;
        if (s) {
            op_write(e, EHCI_USBSTS, s);
            __atomic_fetch_or(&e->sts, s, __ATOMIC_SEQ_CST);
        }
    }
    return __atomic_fetch_and(&e->sts, ~bits, __ATOMIC_SEQ_CST) & bits;
}

static bool ehci_irq(void *ctx)
{
    struct ehci *e = ctx;
    uint32_t s = op_read(e, EHCI_USBSTS) & EHCI_STS_ACK_MASK;

    if (!(s & EHCI_INTR_MASK))
        return false;
    op_write(e, EHCI_USBSTS, s); /* acknowledge */
    __atomic_fetch_or(&e->sts, s, __ATOMIC_SEQ_CST);
    sem_up(&e->done);
    return true;
}

/* ---- pools --------------------------------------------------------------------------- */

static volatile uint32_t *qtd_at(struct ehci *e, unsigned i)
{
    return (volatile uint32_t *)(e->qtd_pool + i * EHCI_QTD_SLOT_BYTES);
}

static uint32_t qtd_phys(struct ehci *e, unsigned i)
{
    return e->qtd_pool_phys + i * EHCI_QTD_SLOT_BYTES;
}

/* Fill qTD i: `bytes` at physical `pa` (pages may cross, <= 5 pages). */
static void qtd_fill(struct ehci *e, unsigned i, uint32_t next, uint32_t alt, uint32_t token,
                     uint32_t pa, uint32_t bytes)
{
    volatile uint32_t *t = qtd_at(e, i);
    memset((void *)t, 0, EHCI_QTD_SLOT_BYTES);
    t[EHCI_QTD_NEXT] = next;
    t[EHCI_QTD_ALT] = alt;
    t[EHCI_QTD_BUF0] = pa;
    for (unsigned p = 1; p < EHCI_QTD_PAGES; p++)
        t[EHCI_QTD_BUF0 + p] = (pa & ~(EHCI_PAGE_BYTES - 1)) + p * EHCI_PAGE_BYTES;
    io_barrier();
    t[EHCI_QTD_TOKEN] = token | ((bytes & EHCI_TOK_BYTES_MASK) << EHCI_TOK_BYTES_SHIFT);
}

/* ---- async ring (e->lock held) ------------------------------------------------------- */

/* Relink the hardware ring from the software list: head -> pipes -> head.
 * Inserting only ever writes a link that points at a fully built QH. */
static void ring_relink_locked(struct ehci *e)
{
    uint32_t next = e->head_phys | EHCI_LINK_TYPE_QH;
    /* Build from the tail so every link written points at a linked QH. */
    struct ehci_pipe *order[EHCI_QH_SLOTS];
    unsigned n = 0;
    for (struct ehci_pipe *p = e->ring; p && n < EHCI_QH_SLOTS; p = p->next)
        order[n++] = p;
    while (n--) {
        order[n]->qh[EHCI_QH_LINK] = next;
        next = order[n]->qh_phys | EHCI_LINK_TYPE_QH;
    }
    io_barrier();
    e->head[EHCI_QH_LINK] = next;
    io_barrier();
}

/* Ring the async advance doorbell and wait until the controller has let go
 * of every QH it might have cached (§4.8.2). */
static int doorbell_locked(struct ehci *e)
{
    uint64_t end = time_ms() + EHCI_DOORBELL_TIMEOUT_MS;

    if (e->dead)
        return ERR_NODEV;
    (void)take_status(e, EHCI_STS_IAA);
    op_write(e, EHCI_USBCMD, op_read(e, EHCI_USBCMD) | EHCI_CMD_IAAD);
    while (!take_status(e, EHCI_STS_IAA)) {
        if (time_ms() >= end) {
            pr_warn("ehci: %s: async advance doorbell not answered in %u ms", e->hc.name,
                    EHCI_DOORBELL_TIMEOUT_MS);
            return ERR_TIMEOUT;
        }
        usb_hcd_wait_event(&e->done, e->irq != NULL, 1);
    }
    return 0;
}

/* Take `p` off the ring and wait for the controller to forget it. */
static void ring_unlink_locked(struct ehci *e, struct ehci_pipe *p)
{
    for (struct ehci_pipe **pp = &e->ring; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    p->next = NULL;
    ring_relink_locked(e);
    (void)doorbell_locked(e);
}

static void ring_link_locked(struct ehci *e, struct ehci_pipe *p)
{
    p->next = e->ring;
    e->ring = p;
    ring_relink_locked(e);
}

/* Point an idle (or halted, or unlinked) QH's overlay at a new chain. The
 * data toggle of a bulk pipe lives in the overlay and is kept. */
static void qh_start(struct ehci_pipe *p, uint32_t first_phys)
{
    volatile uint32_t *ov = p->qh + EHCI_QH_OVERLAY;
    uint32_t toggle = ov[EHCI_QTD_TOKEN] & EHCI_TOK_TOGGLE;
    ov[EHCI_QTD_NEXT] = first_phys;
    ov[EHCI_QTD_ALT] = EHCI_LINK_T;
    io_barrier();
    ov[EHCI_QTD_TOKEN] = p->base.control ? 0 : toggle; /* not active, not halted */
    io_barrier();
}

/* ---- transfers ----------------------------------------------------------------------- */

enum chain_state { CHAIN_RUNNING, CHAIN_DONE, CHAIN_SHORT, CHAIN_ERROR };

/* Look at qTDs [0, n): running, done, ended by a short IN packet (when
 * stop_on_short), or ended by an error (*token gets the failing token).
 * *moved sums the bytes of the finished qTDs; lens[i] is qTD i's length. */
static enum chain_state chain_state(struct ehci *e, unsigned n, const uint32_t *lens,
                                    bool stop_on_short, uint32_t *moved, uint32_t *token)
{
    *moved = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t tok = qtd_at(e, i)[EHCI_QTD_TOKEN];
        if (tok & EHCI_TOK_ACTIVE)
            return CHAIN_RUNNING;
        uint32_t left = (tok >> EHCI_TOK_BYTES_SHIFT) & EHCI_TOK_BYTES_MASK;
        *moved += lens[i] - MIN(left, lens[i]);
        if (tok & EHCI_TOK_ERRORS) {
            *token = tok;
            return CHAIN_ERROR;
        }
        if (left && stop_on_short)
            return CHAIN_SHORT;
    }
    return CHAIN_DONE;
}

/* Cancel a chain that did not finish: unlink the QH, let the controller
 * forget it, clear the overlay, link it again. */
static void chain_cancel_locked(struct ehci *e, struct ehci_pipe *p, unsigned n)
{
    ring_unlink_locked(e, p);
    for (unsigned i = 0; i < n; i++)
        qtd_at(e, i)[EHCI_QTD_TOKEN] &= ~EHCI_TOK_ACTIVE;
    volatile uint32_t *ov = p->qh + EHCI_QH_OVERLAY;
    ov[EHCI_QTD_NEXT] = EHCI_LINK_T;
    ov[EHCI_QTD_ALT] = EHCI_LINK_T;
    ov[EHCI_QTD_TOKEN] &= EHCI_TOK_TOGGLE;
    p->qh[EHCI_QH_CUR] = 0;
    ring_link_locked(e, p);
}

/* Run the chain in qTDs [0, n) on `p` and wait for it. Returns 0 (done or
 * short), ERR_IO (*token has the error bits), ERR_TIMEOUT, ERR_NODEV (the
 * controller died, or the device was unplugged meanwhile: cancelled). */
static int chain_run_locked(struct ehci *e, struct ehci_pipe *p, unsigned n,
                            const uint32_t *lens, bool stop_on_short, uint32_t *moved,
                            uint32_t *token, uint32_t timeout_ms)
{
    uint64_t end = time_ms() + timeout_ms;
    enum chain_state st;

    /* 1. Hang the chain into the QH overlay. */
    *token = 0;
    if (e->dead)
        return ERR_NODEV;
    (void)take_status(e, EHCI_STS_USBINT | EHCI_STS_USBERRINT);
    qh_start(p, qtd_phys(e, 0));
    /* 2. Until it ends: look at the qTDs, give up on a dead controller, an
     *    unplugged device (cancel) or the deadline (cancel), else sleep. */
    for (;;) {
        st = chain_state(e, n, lens, stop_on_short, moved, token);
        if (st != CHAIN_RUNNING)
            break;
        if (take_status(e, EHCI_STS_HSE)) {
            pr_err("ehci: %s: host system error, controller halted", e->hc.name);
            e->dead = true;
            return ERR_NODEV;
        }
        if (p->base.dev->gone) {
            /* Unplugged: the controller may retry the dead address forever. */
            chain_cancel_locked(e, p, n);
            (void)chain_state(e, n, lens, stop_on_short, moved, token);
            return ERR_NODEV;
        }
        if (usb_hcd_wait_slice(&e->done, e->irq != NULL, end)) {
            chain_cancel_locked(e, p, n);
            (void)chain_state(e, n, lens, stop_on_short, moved, token);
            e->timeouts++;
            return ERR_TIMEOUT;
        }
    }
    /* 3. A halted qTD is an error; done and short are success. */
    if (st == CHAIN_ERROR) {
        e->errors++;
        return ERR_IO;
    }
    return 0;
}

static int ehci_control(struct usb_hc *hc, struct usb_pipe *pipe, const struct usb_setup *setup,
                        void *data, uint32_t *moved, uint32_t timeout_ms)
{
    struct ehci *e = hc->priv;
    struct ehci_pipe *p = (struct ehci_pipe *)pipe;
    bool in = (setup->request_type & USB_RT_IN) != 0;
    uint32_t len = setup->length, lens[3], token, got = 0;
    unsigned n = 0;
    int rc;

    *moved = 0;
    if (len > EHCI_BOUNCE_BYTES - 64 || (len && !data))
        return ERR_INVAL;
    mutex_lock(&e->lock);
    /* 1. SETUP packet at the start of the bounce buffer, data after it. */
    uint8_t *sb = e->bounce;
    sb[0] = setup->request_type;
    sb[1] = setup->request;
    sb[2] = (uint8_t)setup->value;
    sb[3] = (uint8_t)(setup->value >> 8);
    sb[4] = (uint8_t)setup->index;
    sb[5] = (uint8_t)(setup->index >> 8);
    sb[6] = (uint8_t)len;
    sb[7] = (uint8_t)(len >> 8);
    if (len && !in)
        memcpy(sb + 64, data, len);
    /* 2. SETUP (DATA0), optional data (DATA1, alternate -> status on a short
     *    IN), status opposite to the data stage, IN when there is none
     *    (USB 2.0 §8.5.3; DATA1, IOC). */
    unsigned status_i = len ? 2 : 1;
    uint32_t status_phys = qtd_phys(e, status_i);
    qtd_fill(e, n, qtd_phys(e, 1), EHCI_LINK_T,
             EHCI_TOK_ACTIVE | EHCI_TOK_CERR_3 | EHCI_TOK_PID_SETUP, e->bounce_phys, 8);
    lens[n++] = 8;
    if (len) {
        qtd_fill(e, n, status_phys, in ? status_phys : EHCI_LINK_T,
                 EHCI_TOK_ACTIVE | EHCI_TOK_CERR_3 | EHCI_TOK_TOGGLE |
                     (in ? EHCI_TOK_PID_IN : EHCI_TOK_PID_OUT),
                 e->bounce_phys + 64, len);
        lens[n++] = len;
    }
    qtd_fill(e, n, EHCI_LINK_T, EHCI_LINK_T,
             EHCI_TOK_ACTIVE | EHCI_TOK_CERR_3 | EHCI_TOK_TOGGLE | EHCI_TOK_IOC |
                 (len && in ? EHCI_TOK_PID_OUT : EHCI_TOK_PID_IN),
             0, 0);
    lens[n++] = 0;
    /* 3. Run; the data bytes are qTD 1's. */
    rc = chain_run_locked(e, p, n, lens, false, &got, &token, timeout_ms);
    if (len) {
        uint32_t tok = qtd_at(e, 1)[EHCI_QTD_TOKEN];
        uint32_t left = (tok >> EHCI_TOK_BYTES_SHIFT) & EHCI_TOK_BYTES_MASK;
        got = (tok & EHCI_TOK_ACTIVE) ? 0 : len - MIN(left, len);
        if (in && got)
            memcpy(data, sb + 64, got);
    }
    *moved = got;
    mutex_unlock(&e->lock);
    if (rc == ERR_IO)
        pr_debug("ehci: %s: control request 0x%02x failed (token 0x%08lx)", hc->name,
                 setup->request, (unsigned long)token);
    return rc;
}

/* Build a bulk chain for [pa, pa + bytes) into the qTD pool; returns the
 * number of qTDs and how many bytes they cover (*covered). A qTD that is not
 * the last ends on a max-packet multiple, so no packet straddles two. */
static unsigned bulk_chain(struct ehci *e, struct ehci_pipe *p, uint32_t pa, uint32_t bytes,
                           uint32_t *lens, uint32_t *covered)
{
    uint32_t pid = p->base.dir_in ? EHCI_TOK_PID_IN : EHCI_TOK_PID_OUT;
    uint32_t alt = p->base.dir_in ? e->stop_phys : EHCI_LINK_T;
    uint32_t left = bytes;
    unsigned n = 0;

    do {
        uint32_t room = EHCI_QTD_PAGES * EHCI_PAGE_BYTES - (pa & (EHCI_PAGE_BYTES - 1));
        uint32_t chunk = MIN(left, room);
        if (chunk < left)
            chunk -= chunk % p->base.max_packet;
        bool last = chunk == left || n + 1 == EHCI_QTD_SLOTS;
        qtd_fill(e, n, last ? EHCI_LINK_T : qtd_phys(e, n + 1), alt,
                 EHCI_TOK_ACTIVE | EHCI_TOK_CERR_3 | pid | (last ? EHCI_TOK_IOC : 0), pa,
                 chunk);
        lens[n++] = chunk;
        pa += chunk;
        left -= chunk;
        if (last)
            break;
    } while (left);
    *covered = bytes - left;
    return n;
}

static int ehci_bulk(struct usb_hc *hc, struct usb_pipe *pipe, void *data, uint32_t bytes,
                     uint32_t *moved, bool *stalled, uint32_t timeout_ms)
{
    struct ehci *e = hc->priv;
    struct ehci_pipe *p = (struct ehci_pipe *)pipe;
    uint32_t done = 0, token = 0;
    int rc = 0;

    *moved = 0;
    *stalled = false;
    mutex_lock(&e->lock);
    /* 1. Direct DMA into the caller's buffer when reachable, else bounce in
     *    pieces; each piece is one chain; a short piece ends the transfer. */
    bool direct = dma_can_direct(data, bytes);
    do {
        uint8_t *ptr = (uint8_t *)data + done;
        uint32_t want = bytes - done, covered, got = 0;
        uint32_t pa;
        if (direct) {
            pa = (uint32_t)(uintptr_t)ptr;
        } else {
            want = MIN(want, EHCI_BOUNCE_BYTES);
            pa = e->bounce_phys;
            if (!p->base.dir_in)
                memcpy(e->bounce, ptr, want);
        }
        unsigned n = bulk_chain(e, p, pa, want, e->lens, &covered);
        rc = chain_run_locked(e, p, n, e->lens, p->base.dir_in, &got, &token, timeout_ms);
        if (!direct && p->base.dir_in && got)
            memcpy(ptr, e->bounce, got);
        done += got;
        if (rc || got < covered)
            break;
    } while (done < bytes);
    *moved = done;
    /* 2. A halted qTD without a bus error is a STALL handshake. */
    if (rc == ERR_IO && (token & EHCI_TOK_HALTED) &&
        !(token & (EHCI_TOK_XACTERR | EHCI_TOK_BABBLE | EHCI_TOK_DBERR)))
        *stalled = true;
    mutex_unlock(&e->lock);
    if (rc == ERR_IO)
        pr_debug("ehci: %s: bulk %s of %lu bytes failed (token 0x%08lx)", hc->name,
                 p->base.dir_in ? "in" : "out", (unsigned long)bytes, (unsigned long)token);
    return rc;
}

static void ehci_pipe_reset_toggle(struct usb_hc *hc, struct usb_pipe *pipe)
{
    struct ehci *e = hc->priv;
    struct ehci_pipe *p = (struct ehci_pipe *)pipe;

    mutex_lock(&e->lock);
    p->qh[EHCI_QH_OVERLAY + EHCI_QTD_TOKEN] &= ~EHCI_TOK_TOGGLE;
    mutex_unlock(&e->lock);
}

/* ---- pipes --------------------------------------------------------------------------- */

static int ehci_pipe_open(struct usb_hc *hc, struct usb_device *dev,
                          const struct usb_endpoint *ep, struct usb_pipe **out)
{
    struct ehci *e = hc->priv;
    struct ehci_pipe *p = kzalloc(sizeof(*p));
    unsigned slot;

    *out = NULL;
    if (!p)
        return ERR_NOMEM;
    mutex_lock(&e->lock);
    /* 1. A free QH slot. */
    for (slot = 0; slot < EHCI_QH_SLOTS && (e->qh_used & (1u << slot)); slot++)
        ;
    if (slot == EHCI_QH_SLOTS) {
        mutex_unlock(&e->lock);
        kfree(p);
        pr_warn("ehci: %s: no free QH (%u in use)", hc->name, EHCI_QH_SLOTS);
        return ERR_NOSPC;
    }
    e->qh_used |= 1u << slot;
    /* 2. Fill the QH: address, endpoint, speed, max packet (§3.6.2). */
    p->e = e;
    usb_pipe_init(&p->base, dev, ep);
    p->slot = slot;
    p->qh = (volatile uint32_t *)(e->qh_pool + slot * EHCI_QH_SLOT_BYTES);
    p->qh_phys = e->qh_pool_phys + slot * EHCI_QH_SLOT_BYTES;
    if (p->base.max_packet == 0)
        p->base.max_packet = 8;
    memset((void *)p->qh, 0, EHCI_QH_SLOT_BYTES);
    uint32_t speed = dev->speed == USB_SPEED_HIGH   ? EHCI_QH_EPS_HIGH
                     : dev->speed == USB_SPEED_LOW ? EHCI_QH_EPS_LOW
                                                   : EHCI_QH_EPS_FULL;
    uint32_t ch = EHCI_QH_ADDR(dev->address) | EHCI_QH_EP(ep ? ep->address : 0) | speed |
                  EHCI_QH_MPS(p->base.max_packet) |
                  EHCI_QH_RL(dev->speed == USB_SPEED_HIGH ? 4 : 0);
    if (p->base.control) {
        ch |= EHCI_QH_DTC;
        if (dev->speed != USB_SPEED_HIGH)
            ch |= EHCI_QH_CTRL_EP;
    }
    p->qh[EHCI_QH_CHAR] = ch;
    p->qh[EHCI_QH_CAPS] = EHCI_QH_MULT1;
    if (dev->speed != USB_SPEED_HIGH && dev->tt_hub) /* split transactions through its TT */
        p->qh[EHCI_QH_CAPS] |= EHCI_QH_HUB_ADDR(dev->tt_hub->address) |
                               EHCI_QH_HUB_PORT(dev->tt_port);
    p->qh[EHCI_QH_OVERLAY + EHCI_QTD_NEXT] = EHCI_LINK_T;
    p->qh[EHCI_QH_OVERLAY + EHCI_QTD_ALT] = EHCI_LINK_T;
    /* 3. Into the ring. */
    ring_link_locked(e, p);
    mutex_unlock(&e->lock);
    *out = &p->base;
    return 0;
}

static void ehci_pipe_close(struct usb_hc *hc, struct usb_pipe *pipe)
{
    struct ehci *e = hc->priv;
    struct ehci_pipe *p = (struct ehci_pipe *)pipe;

    if (!p)
        return;
    mutex_lock(&e->lock);
    ring_unlink_locked(e, p); /* the controller no longer sees the QH */
    e->qh_used &= ~(1u << p->slot);
    mutex_unlock(&e->lock);
    kfree(p);
}

/* ---- root ports (hub thread) --------------------------------------------------------- */

static void ehci_port_status(struct usb_hc *hc, unsigned port, bool *connected, bool *changed)
{
    struct ehci *e = hc->priv;
    uint32_t v = op_read(e, EHCI_PORTSC(port));

    *changed = (v & EHCI_PORT_CSC) != 0;
    *connected = (v & EHCI_PORT_CCS) && !(v & EHCI_PORT_OWNER);
    if (*changed)
        op_write(e, EHCI_PORTSC(port), (v & ~EHCI_PORT_W1C) | EHCI_PORT_CSC);
}

/* Hand the port to the companion controller. */
static void port_release(struct ehci *e, unsigned port, const char *why)
{
    uint32_t v = op_read(e, EHCI_PORTSC(port));
    op_write(e, EHCI_PORTSC(port), (v & ~EHCI_PORT_W1C) | EHCI_PORT_OWNER);
    pr_info("ehci: %s: port %u: %s device, handed to the companion controller%s", e->hc.name,
            port + 1, why, EHCI_HCS_N_CC(e->hcsparams) ? "" : " (there is none)");
}

static int ehci_port_reset(struct usb_hc *hc, unsigned port, enum usb_speed *speed)
{
    struct ehci *e = hc->priv;
    uint32_t v = op_read(e, EHCI_PORTSC(port));

    /* 1. Something there, and not a low-speed device (K-state, §4.2.2). */
    if (!(v & EHCI_PORT_CCS) || (v & EHCI_PORT_OWNER))
        return ERR_NODEV;
    if ((v & EHCI_PORT_LS_MASK) == EHCI_PORT_LS_K) {
        port_release(e, port, "low-speed");
        return ERR_NODEV;
    }
    /* 2. Drive reset for 50 ms, then end it and wait for PR to read 0. */
    op_write(e, EHCI_PORTSC(port), (v & ~(EHCI_PORT_W1C | EHCI_PORT_PED)) | EHCI_PORT_PR);
    sleep_ms(USB_PORT_RESET_MS);
    v = op_read(e, EHCI_PORTSC(port));
    op_write(e, EHCI_PORTSC(port), v & ~(EHCI_PORT_W1C | EHCI_PORT_PR));
    if (op_wait(e, EHCI_PORTSC(port), EHCI_PORT_PR, 0, EHCI_PORT_RESET_DONE_MS)) {
        pr_warn("ehci: %s: port %u: reset does not end (PORTSC 0x%08lx)", hc->name, port + 1,
                (unsigned long)op_read(e, EHCI_PORTSC(port)));
        return ERR_TIMEOUT;
    }
    /* 3. Enabled: a high-speed device. Not enabled: full speed -> companion. */
    v = op_read(e, EHCI_PORTSC(port));
    if (!(v & EHCI_PORT_CCS))
        return ERR_NODEV;
    if (!(v & EHCI_PORT_PED)) {
        port_release(e, port, "full-speed");
        return ERR_NODEV;
    }
    sleep_ms(USB_RESET_RECOVERY_MS);
    *speed = USB_SPEED_HIGH;
    return 0;
}

static void ehci_describe(struct usb_hc *hc, char *buf, size_t bytes)
{
    struct ehci *e = hc->priv;
    ksnprintf(buf, bytes, "EHCI %x.%02x at %02x:%02x.%x, %u ports, %s, timeouts %lu, errors %lu%s",
              e->version >> 8, e->version & 0xFF, e->pdev->bus, e->pdev->dev, e->pdev->func,
              hc->num_ports, e->irq ? "IRQ" : "polled", (unsigned long)e->timeouts,
              (unsigned long)e->errors, e->dead ? ", dead" : "");
}

static const struct usb_hc_ops ehci_ops = {
    .port_status = ehci_port_status,
    .port_reset = ehci_port_reset,
    .pipe_open = ehci_pipe_open,
    .pipe_close = ehci_pipe_close,
    .control = ehci_control,
    .bulk = ehci_bulk,
    .pipe_reset_toggle = ehci_pipe_reset_toggle,
    .describe = ehci_describe,
};

/* ---- controller start ---------------------------------------------------------------- */

/* Take the controller from the BIOS (§5.1): set OS-owned, wait for the
 * BIOS-owned bit to clear, turn off its SMIs. A BIOS that never lets go is
 * logged and overridden. */
static void bios_handoff(struct ehci *e)
{
    uint8_t eecp = (uint8_t)EHCI_HCC_EECP(e->hccparams);
    unsigned walked = 0;

    while (eecp >= 0x40 && walked++ < 16) {
        uint32_t cap = pci_read32(e->pdev, eecp & 0xFC);
        if ((cap & 0xFF) == EHCI_LEGSUP_ID) {
            if (cap & EHCI_LEGSUP_BIOS_OWNED) {
                pci_write8(e->pdev, (eecp & 0xFC) + 3, 1);
                uint64_t end = time_ms() + EHCI_HANDOFF_TIMEOUT_MS;
                while ((pci_read32(e->pdev, eecp & 0xFC) & EHCI_LEGSUP_BIOS_OWNED) &&
                       time_ms() < end)
                    sleep_ms(1);
                if (pci_read32(e->pdev, eecp & 0xFC) & EHCI_LEGSUP_BIOS_OWNED) {
                    pr_warn("ehci: %s: BIOS keeps the controller after %u ms, taking it",
                            e->hc.name, EHCI_HANDOFF_TIMEOUT_MS);
                    pci_write8(e->pdev, (eecp & 0xFC) + 2, 0);
                }
            }
            pci_write32(e->pdev, (eecp & 0xFC) + EHCI_LEGCTLSTS_OFFSET, 0);
            return;
        }
        eecp = (uint8_t)(cap >> 8);
    }
}

/* Halt, reset, build the empty ring, run, route the ports here. */
static int controller_start(struct ehci *e)
{
    int rc;

    /* 1. Stop and reset (§2.3.1: HCRESET only while halted). */
    op_write(e, EHCI_USBINTR, 0);
    op_write(e, EHCI_USBCMD, op_read(e, EHCI_USBCMD) & ~EHCI_CMD_RS);
    if (op_wait(e, EHCI_USBSTS, EHCI_STS_HALTED, EHCI_STS_HALTED, EHCI_HALT_TIMEOUT_MS))
        pr_warn("ehci: %s: does not halt, resetting anyway", e->hc.name);
    op_write(e, EHCI_USBCMD, EHCI_CMD_HCRESET);
    rc = op_wait(e, EHCI_USBCMD, EHCI_CMD_HCRESET, 0, EHCI_RESET_TIMEOUT_MS);
    if (rc) {
        pr_err("ehci: %s: reset does not complete in %u ms", e->hc.name, EHCI_RESET_TIMEOUT_MS);
        return rc;
    }
    /* 2. Head QH: points at itself, H bit, halted overlay so it never runs. */
    e->head[EHCI_QH_LINK] = e->head_phys | EHCI_LINK_TYPE_QH;
    e->head[EHCI_QH_CHAR] = EHCI_QH_HEAD | EHCI_QH_EPS_HIGH;
    e->head[EHCI_QH_CAPS] = EHCI_QH_MULT1;
    e->head[EHCI_QH_OVERLAY + EHCI_QTD_NEXT] = EHCI_LINK_T;
    e->head[EHCI_QH_OVERLAY + EHCI_QTD_ALT] = EHCI_LINK_T;
    e->head[EHCI_QH_OVERLAY + EHCI_QTD_TOKEN] = EHCI_TOK_HALTED;
    volatile uint32_t *stop = (volatile uint32_t *)((uint8_t *)e->mem.virt + EHCI_STOP_QTD_OFFSET);
    stop[EHCI_QTD_NEXT] = EHCI_LINK_T;
    stop[EHCI_QTD_ALT] = EHCI_LINK_T;
    stop[EHCI_QTD_TOKEN] = 0;
    io_barrier();
    /* 3. Schedule registers, interrupts, run with the async schedule on. */
    op_write(e, EHCI_CTRLDSSEGMENT, 0);
    op_write(e, EHCI_PERIODICLISTBASE, 0);
    op_write(e, EHCI_ASYNCLISTADDR, e->head_phys);
    op_write(e, EHCI_USBSTS, EHCI_STS_ACK_MASK);
    op_write(e, EHCI_USBINTR, e->irq ? EHCI_INTR_MASK : 0);
    op_write(e, EHCI_USBCMD, (EHCI_ITC << EHCI_CMD_ITC_SHIFT) | EHCI_CMD_ASE | EHCI_CMD_RS);
    rc = op_wait(e, EHCI_USBSTS, EHCI_STS_HALTED, 0, EHCI_HALT_TIMEOUT_MS);
    if (rc) {
        pr_err("ehci: %s: does not run (USBSTS 0x%08lx)", e->hc.name,
               (unsigned long)op_read(e, EHCI_USBSTS));
        return rc;
    }
    /* 4. Route every port to us; power them if we control power. */
    op_write(e, EHCI_CONFIGFLAG, 1);
    sleep_ms(5);
    if (e->hcsparams & EHCI_HCS_PPC) {
        for (unsigned i = 0; i < e->hc.num_ports; i++) {
            uint32_t v = op_read(e, EHCI_PORTSC(i));
            op_write(e, EHCI_PORTSC(i), (v & ~EHCI_PORT_W1C) | EHCI_PORT_PP);
        }
    }
    sleep_ms(20); /* power good, and devices to signal their connection */
    return 0;
}

/* Carve the DMA run into head QH, stop qTD, QH pool, qTD pool, bounce. */
static int memory_setup(struct ehci *e)
{
    int rc = dma_alloc(EHCI_MEM_BYTES, EHCI_PAGE_BYTES, 0, &e->mem);
    if (rc)
        return rc;
    uint8_t *v = e->mem.virt;
    uint32_t pa = (uint32_t)e->mem.phys;
    e->head = (volatile uint32_t *)v;
    e->head_phys = pa;
    e->stop_phys = pa + EHCI_STOP_QTD_OFFSET;
    e->qh_pool = v + EHCI_PAGE_BYTES;
    e->qh_pool_phys = pa + EHCI_PAGE_BYTES;
    e->qtd_pool = v + 2 * EHCI_PAGE_BYTES;
    e->qtd_pool_phys = pa + 2 * EHCI_PAGE_BYTES;
    e->bounce = v + 4 * EHCI_PAGE_BYTES;
    e->bounce_phys = pa + 4 * EHCI_PAGE_BYTES;
    return 0;
}

static int ehci_probe(struct pci_device *pdev)
{
    const struct pci_bar *bar = &pdev->bars[EHCI_PCI_BAR];
    struct ehci *e;
    void *regs;
    int rc;

    /* 1. Room, a memory BAR, decoding and bus mastering on, registers mapped. */
    rc = usb_hcd_check_room(pdev, "ehci", ehci_state.count, EHCI_MAX_CONTROLLERS);
    if (rc)
        return rc;
    rc = usb_hcd_map_mem_bar(pdev, bar, "ehci", 0x100, &regs);
    if (rc)
        return rc;
    e = kzalloc(sizeof(*e));
    if (!e)
        return ERR_NOMEM;
    e->pdev = pdev;
    usb_hcd_hc_init(&e->hc, "ehci", ehci_state.count, &ehci_ops, e);
    mutex_init(&e->lock, "ehci");
    sem_init(&e->done, 0);
    /* 2. Capability registers; sane port count. */
    e->cap = regs;
    uint8_t caplen = e->cap[EHCI_CAPLENGTH];
    e->version = (uint16_t)(mmio_read32(e->cap) >> 16);
    e->hcsparams = mmio_read32(e->cap + EHCI_HCSPARAMS);
    e->hccparams = mmio_read32(e->cap + EHCI_HCCPARAMS);
    e->hc.num_ports = EHCI_HCS_N_PORTS(e->hcsparams);
    if (caplen < 0x10 || caplen >= bar->size_bytes - EHCI_PORTSC(e->hc.num_ports) ||
        e->hc.num_ports == 0) {
        pr_warn("ehci: %s: implausible registers (CAPLENGTH 0x%x, %u ports)", e->hc.name,
                caplen, e->hc.num_ports);
        rc = ERR_NODEV;
        goto err_free;
    }
    e->op = e->cap + caplen;
    /* 3. BIOS handoff, DMA memory, IRQ, start. */
    bios_handoff(e);
    rc = memory_setup(e);
    if (rc)
        goto err_free;
    usb_hcd_irq_attach(pdev, "ehci", e->hc.name, ehci_irq, e, &e->irq);
    rc = controller_start(e);
    if (rc)
        goto err_irq;
    pr_info("ehci: %s: %04x:%04x at %02x:%02x.%x, EHCI %x.%02x, %u ports, %u companions, "
            "IRQ %s%u", e->hc.name, pdev->vendor_id, pdev->device_id, pdev->bus, pdev->dev,
            pdev->func, e->version >> 8, e->version & 0xFF, e->hc.num_ports,
            EHCI_HCS_N_CC(e->hcsparams), e->irq ? "" : "none/polled ",
            e->irq ? pdev->irq_line : 0);
    ehci_state.ctrl[ehci_state.count++] = e;
    /* 4. Hand the root ports to the core (enumerates what is plugged in). */
    rc = usb_hc_register(&e->hc);
    if (rc)
        pr_warn("ehci: %s: not registered with the USB core (%s)", e->hc.name, err_name(rc));
    return 0;

err_irq:
    irq_detach(e->irq);
    dma_free(&e->mem);
err_free:
    kfree(e);
    return rc;
}

static struct usb_hcd_pci ehci_pci;

void ehci_register(void)
{
    usb_hcd_pci_register(&ehci_pci, "ehci", EHCI_PCI_PROGIF, ehci_probe);
}
