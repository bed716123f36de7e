// SPDX-License-Identifier: MIT
/* OHCI host controller: PCI probe, firmware handoff, controller start,
 * root ports and control/bulk transfers as general TD chains on one
 * control and one bulk ED; contract in ohci.h. Memory (one DMA run per
 * controller): page 0 holds the HCCA (256 bytes), the control ED, the bulk
 * ED, the dummy tail TD both EDs point at while idle, and from byte 2048
 * the TD pool; then the bounce buffer for control data and for buffers the
 * controller cannot reach.
 * Locking: o->lock (mutex) serializes transfers, the EDs, the TD pool and
 * the pipes' toggles. The IRQ handler acknowledges the status bits it
 * owns, masks WritebackDoneHead until the waiter has read HccaDoneHead
 * (the controller does not overwrite it before WDH is cleared, §6.4.4),
 * ORs the bits into o->sts and wakes o->done. Port registers are touched
 * by the USB hub thread only. */
#include "drivers/usb/ohci.h"
#include "drivers/usb/defs.h"
#include "drivers/usb/lib/ohci_td.h"
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

#define OHCI_MAX_CONTROLLERS USB_MAX_HCS
#define OHCI_ED_CTRL_OFFSET 256u     /* after the HCCA */
#define OHCI_ED_BULK_OFFSET 272u
#define OHCI_DUMMY_TD_OFFSET 288u
#define OHCI_TD_POOL_OFFSET 2048u
#define OHCI_TD_SLOTS 128            /* 2 KiB; >= 1 MiB per chain at >= 8 KiB a TD */
#define OHCI_BOUNCE_BYTES (64u * 1024)
#define OHCI_MEM_BYTES (OHCI_PAGE_BYTES + OHCI_BOUNCE_BYTES)
#define OHCI_CTRL_DATA_OFFSET 64u    /* control data after the SETUP bytes */
#define OHCI_CTRL_MAX_BYTES 4096u    /* one data TD (it may cross one page) */
#define OHCI_CANCEL_FRAMES_MS 2      /* a skipped ED is left alone from the next frame */
/* Every TD interrupts at the end of the frame it retires in (DI 0), so its
 * done queue is written back within a frame; 20 frames is plenty. */
#define OHCI_WRITEBACK_TIMEOUT_MS 20
#define OHCI_HANDOFF_TIMEOUT_MS 1000 /* SMM drivers answer OCR within a few frames */
#define OHCI_RESUME_MS 20            /* §5.1.1.3.4: resume signalling by a BIOS driver */
#define OHCI_BUS_RESET_MS 50         /* USB reset on all ports, as USB 2.0 §7.1.7.5 */
#define OHCI_HCR_TIMEOUT_US 1000     /* §7.1.3: HCR completes within 10 us */
#define OHCI_HCR_POLL_US 10
#define OHCI_PORT_RESET_TRIES 5      /* 5 x 10 ms HC-timed resets = 50 ms at the root */
#define OHCI_PORT_RESET_TIMEOUT_MS 50
#define OHCI_POWER_GOOD_MIN_MS 20
#define OHCI_INTR_MASK (OHCI_INT_WDH | OHCI_INT_UE | OHCI_INT_SO)

struct ohci {
    struct usb_hc hc;            /* registered with the core; hc.priv = this */
    struct pci_device *pdev;
    volatile uint8_t *regs;      /* operational registers (BAR0) */
    uint8_t revision;            /* HcRevision, BCD */
    struct dma_buf mem;          /* see the file header */
    volatile uint32_t *hcca;
    volatile uint32_t *ed_ctrl, *ed_bulk;
    uint32_t ed_ctrl_phys, ed_bulk_phys;
    uint32_t dummy_phys;         /* the idle EDs' head and tail */
    volatile uint32_t *td_pool;
    uint32_t td_pool_phys;
    uint8_t *bounce;
    uint32_t bounce_phys;
    struct mutex lock;           /* transfers, EDs, TD pool */
    struct semaphore done;       /* upped by the IRQ handler */
    uint32_t sts;                /* HcInterruptStatus bits seen (atomic OR from IRQ) */
    struct irq_handler *irq;     /* NULL: polled */
    bool dead;                   /* unrecoverable error: the controller stopped */
    uint32_t timeouts, errors;   /* counters for `usb` (lock) */
    uint32_t late;               /* chains whose done queue never came back (lock) */
    bool reaped[OHCI_TD_SLOTS];  /* TD seen on the done queue since it was queued (lock) */
    struct ohci_td_words words[OHCI_TD_SLOTS];  /* the chain being built (lock) */
    struct ohci_td_piece pieces[OHCI_TD_SLOTS]; /* what each TD covers (lock) */
};

static struct {
    unsigned count;              /* controllers started (probe runs in one thread) */
} ohci_state;

static uint32_t reg_read(struct ohci *o, unsigned reg)
{
    return mmio_read32(o->regs + reg);
}

static void reg_write(struct ohci *o, unsigned reg, uint32_t v)
{
    mmio_write32(o->regs + reg, v);
}

static volatile uint32_t *td_at(struct ohci *o, unsigned i)
{
    return o->td_pool + i * (OHCI_TD_BYTES / 4);
}

static uint32_t td_phys(struct ohci *o, unsigned i)
{
    return o->td_pool_phys + i * OHCI_TD_BYTES;
}

static bool ohci_irq(void *ctx)
{
    struct ohci *o = ctx;
    uint32_t raw = reg_read(o, OHCI_INTRSTATUS);

    if (raw == 0xFFFFFFFFu) /* the device is gone from the bus */
        return false;
    uint32_t s = raw & reg_read(o, OHCI_INTRENABLE) & OHCI_INTR_MASK;
    if (!s) /* not ours (a shared line), or WDH still masked for the waiter */
        return false;
    if (s & OHCI_INT_WDH) /* the waiter reads HccaDoneHead, then clears and unmasks WDH */
        reg_write(o, OHCI_INTRDISABLE, OHCI_INT_WDH);
    if (s & ~OHCI_INT_WDH)
        reg_write(o, OHCI_INTRSTATUS, s & ~OHCI_INT_WDH); /* acknowledge */
    __atomic_fetch_or(&o->sts, s, __ATOMIC_SEQ_CST);
    sem_up(&o->done);
    return true;
}

/* ---- done queue and status (o->lock held) ---------------------------------------------- */

/* Read the done queue the controller wrote back, mark its TDs reaped and
 * let it write the next one (§6.4.4: HccaDoneHead stays ours until WDH is
 * cleared). A TD slot is reused only after it was reaped (chain_run step
 * 4), so every link must name a pool TD not reaped yet: anything else ends
 * the walk with a warning, which also bounds it by the pool size. */
static void reap_done_locked(struct ohci *o)
{
    uint32_t head = o->hcca[OHCI_HCCA_DONEHEAD / 4] & OHCI_ED_PTR_MASK;
    unsigned idx;

    o->hcca[OHCI_HCCA_DONEHEAD / 4] = 0;
    io_barrier();
    reg_write(o, OHCI_INTRSTATUS, OHCI_INT_WDH);
    if (o->irq)
        reg_write(o, OHCI_INTRENABLE, OHCI_INT_WDH);
    while (head) {
        if (ohci_td_index(head, o->td_pool_phys, OHCI_TD_SLOTS, &idx) || o->reaped[idx]) {
            pr_warn("ohci: %s: bad done queue link 0x%08lx (pool 0x%08lx, %u TDs)",
                    o->hc.name, (unsigned long)head, (unsigned long)o->td_pool_phys,
                    OHCI_TD_SLOTS);
            return;
        }
        o->reaped[idx] = true;
        head = td_at(o, idx)[OHCI_TD_NEXT] & OHCI_ED_PTR_MASK;
    }
}

/* Status bits seen since the last take: from the IRQ handler, or read and
 * acknowledged here when the controller is polled. Reaps the done queue
 * whenever WDH is set, interrupt or not (a lost interrupt costs a re-check
 * slice, never a transfer). */
static uint32_t take_status_locked(struct ohci *o, uint32_t bits)
{
    uint32_t raw = reg_read(o, OHCI_INTRSTATUS);

    if (raw == 0xFFFFFFFFu)
        raw = 0;
    if (!o->irq && (raw & OHCI_INTR_MASK & ~OHCI_INT_WDH)) {
        reg_write(o, OHCI_INTRSTATUS, raw & OHCI_INTR_MASK & ~OHCI_INT_WDH);
        __atomic_fetch_or(&o->sts, raw & OHCI_INTR_MASK & ~OHCI_INT_WDH, __ATOMIC_SEQ_CST);
    }
    /* The register, not o->sts, says whether a done queue waits: the
     * controller writes the next one only after WDH is cleared. */
    uint32_t s = __atomic_fetch_and(&o->sts, ~(bits | OHCI_INT_WDH), __ATOMIC_SEQ_CST);
    if (raw & OHCI_INT_WDH)
        reap_done_locked(o);
    return s & bits;
}

/* ---- transfers (o->lock held) ----------------------------------------------------------- */

/* Empty an ED again: its head goes back to the dummy tail, keeping the
 * toggle carry and clearing Halted. A running ED is skipped first and left
 * for two frames, after which the controller no longer holds it. */
static void ed_empty_locked(struct ohci *o, volatile uint32_t *ed, bool running)
{
    if (running) {
        ed[OHCI_ED_CTRL] |= OHCI_ED_SKIP;
        io_barrier();
        sleep_ms(OHCI_CANCEL_FRAMES_MS);
    }
    ed[OHCI_ED_HEADP] = o->dummy_phys | (ed[OHCI_ED_HEADP] & OHCI_ED_TOGGLE);
    io_barrier();
    ed[OHCI_ED_CTRL] &= ~OHCI_ED_SKIP;
}

/* Outcome of TDs [0, n) after the chain stopped. */
struct chain_result {
    uint32_t moved[3];           /* bytes per stage (control: setup, data, status) */
    int rc;                      /* 0, ERR_IO, ERR_CORRUPT */
    bool stalled, is_short;
    unsigned cc;                 /* condition code of the failing TD */
};

/* Walk the TDs in order; stage_of[i] says which stage TD i belongs to. */
static void chain_collect(struct ohci *o, unsigned n, const uint8_t *stage_of,
                          struct chain_result *r)
{
    memset(r, 0, sizeof(*r));
    for (unsigned i = 0; i < n; i++) {
        uint32_t ctrl = td_at(o, i)[OHCI_TD_CTRL], got;
        bool stalled, is_short;
        if (OHCI_TD_CC(ctrl) >= 14) /* never reached */
            return;
        int rc = ohci_td_result(ctrl, td_at(o, i)[OHCI_TD_CBP], &o->pieces[i], &got, &stalled,
                                &is_short);
        r->moved[stage_of ? stage_of[i] : 0] += got;
        if (rc) {
            r->rc = rc;
            r->stalled = stalled;
            r->cc = OHCI_TD_CC(ctrl);
            return;
        }
        /* A short bulk TD ends the transfer; a short control data stage
         * (rounding on) is followed by the status stage, checked too. */
        r->is_short |= is_short;
        if (is_short && !stage_of)
            return;
    }
}

/* Wait until every retired TD of [0, n) came back on the done queue, so
 * that the controller holds no link into the pool when it is refilled. */
static void await_writeback_locked(struct ohci *o, unsigned n)
{
    uint64_t end = time_ms() + OHCI_WRITEBACK_TIMEOUT_MS;

    for (;;) {
        (void)take_status_locked(o, 0);
        unsigned i = 0;
        while (i < n && (o->reaped[i] || OHCI_TD_CC(td_at(o, i)[OHCI_TD_CTRL]) >= 14))
            i++;
        if (i == n || o->dead)
            return;
        if (time_ms() >= end) {
            o->late++;
            pr_warn("ohci: %s: done queue not written back in %u ms (TD %u)", o->hc.name,
                    OHCI_WRITEBACK_TIMEOUT_MS, i);
            return;
        }
        usb_hcd_wait_event(&o->done, o->irq != NULL, 1);
    }
}

/* Hang TDs [0, n) (already in o->words/pieces) on `ed` for `p`, start the
 * list and wait until the ED reaches its tail or halts, then until the
 * done queue has the retired TDs back. Returns 0 (ran to the end or
 * stopped on a short packet), ERR_IO, ERR_TIMEOUT, ERR_NODEV; *r describes
 * the TDs either way. */
static int chain_run(struct ohci *o, const struct usb_pipe *p, bool bulk, unsigned n,
                     const uint8_t *stage_of, uint32_t timeout_ms, struct chain_result *r)
{
    volatile uint32_t *ed = bulk ? o->ed_bulk : o->ed_ctrl;
    uint64_t end = time_ms() + timeout_ms;
    int rc = 0;

    memset(r, 0, sizeof(*r));
    if (o->dead)
        return ERR_NODEV;
    /* 1. TDs into the pool; the ED (idle: head == tail) gets the pipe's
     *    address, endpoint, speed, packet size and toggle, then the chain. */
    for (unsigned i = 0; i < n; i++) {
        volatile uint32_t *t = td_at(o, i);
        o->reaped[i] = false;
        t[OHCI_TD_CTRL] = o->words[i].ctrl;
        t[OHCI_TD_CBP] = o->words[i].cbp;
        t[OHCI_TD_NEXT] = o->words[i].next;
        t[OHCI_TD_BE] = o->words[i].be;
    }
    uint32_t dir = !bulk ? OHCI_ED_DIR_TD : p->dir_in ? OHCI_ED_DIR_IN : OHCI_ED_DIR_OUT;
    ed[OHCI_ED_CTRL] = ohci_ed_ctrl(p->address, p->ep, dir, p->low_speed, p->max_packet);
    ed[OHCI_ED_TAILP] = o->dummy_phys;
    io_barrier();
    ed[OHCI_ED_HEADP] = td_phys(o, 0) | (bulk && p->toggle ? OHCI_ED_TOGGLE : 0);
    io_barrier();
    reg_write(o, OHCI_CMDSTATUS, bulk ? OHCI_CMD_BLF : OHCI_CMD_CLF);
    /* 2. Wait: done when the head reaches the tail or the ED halts. */
    for (;;) {
        (void)take_status_locked(o, 0);
        uint32_t head = ed[OHCI_ED_HEADP];
        if ((head & OHCI_ED_HALTED) || (head & OHCI_ED_PTR_MASK) == o->dummy_phys)
            break;
        if (take_status_locked(o, OHCI_INT_UE)) {
            pr_err("ohci: %s: unrecoverable error, controller stopped", o->hc.name);
            o->dead = true;
            rc = ERR_NODEV;
            break;
        }
        if (p->dev->gone) {
            rc = ERR_NODEV;
            break;
        }
        if (usb_hcd_wait_slice(&o->done, o->irq != NULL, end)) {
            o->timeouts++;
            rc = ERR_TIMEOUT;
            break;
        }
    }
    /* 3. Empty the ED (cancelling what still runs); read the TDs. */
    bool halted = (ed[OHCI_ED_HEADP] & OHCI_ED_HALTED) != 0;
    ed_empty_locked(o, ed, rc != 0 && !halted);
    chain_collect(o, n, stage_of, r);
    /* 4. The pool is free again once the retired TDs are off the done queue. */
    await_writeback_locked(o, n);
    if (rc == 0 && r->rc) {
        o->errors++;
        rc = ERR_IO;
    }
    return rc;
}

/* Encode one stage into o->words[*n...]; links the previous stage's last
 * TD to it. Every TD interrupts when it retires (DI 0): see
 * OHCI_WRITEBACK_TIMEOUT_MS. */
static int add_stage(struct ohci *o, unsigned *n, uint8_t *stage_of, uint8_t stage,
                     struct ohci_td_req *req)
{
    unsigned got;

    req->first_phys = td_phys(o, *n);
    req->tail_phys = o->dummy_phys;
    int rc = ohci_td_build(req, &o->words[*n], &o->pieces[*n], OHCI_TD_SLOTS - *n, &got);
    if (rc)
        return rc;
    if (*n)
        o->words[*n - 1].next = req->first_phys;
    for (unsigned i = 0; i < got; i++)
        stage_of[*n + i] = stage;
    *n += got;
    return 0;
}

static int ohci_control(struct usb_hc *hc, struct usb_pipe *p, const struct usb_setup *setup,
                        void *data, uint32_t *moved, uint32_t timeout_ms)
{
    struct ohci *o = hc->priv;
    bool in = (setup->request_type & USB_RT_IN) != 0;
    uint32_t len = setup->length;
    uint8_t stage_of[OHCI_TD_SLOTS];
    struct chain_result r;
    unsigned n = 0;
    int rc;

    *moved = 0;
    if (len > OHCI_CTRL_MAX_BYTES || (len && !data))
        return ERR_INVAL;
    mutex_lock(&o->lock);
    /* 1. SETUP bytes at the start of the bounce buffer, data after them. */
    uint8_t *sb = o->bounce;
    sb[0] = setup->request_type;
    sb[1] = setup->request;
    sb[2] = (uint8_t)setup->value;
    sb[3] = (uint8_t)(setup->value >> 8);
    sb[4] = (uint8_t)setup->index;
    sb[5] = (uint8_t)(setup->index >> 8);
    sb[6] = (uint8_t)len;
    sb[7] = (uint8_t)(len >> 8);
    if (len && !in)
        memcpy(sb + OHCI_CTRL_DATA_OFFSET, data, len);
    /* 2. SETUP (DATA0); data (DATA1 onwards, a short IN reply is fine: R);
     *    status opposite to the data (IN if none), DATA1 (USB 2.0 §8.5.3). */
    struct ohci_td_req req = {
        .buf_phys = o->bounce_phys, .bytes = 8, .max_packet = p->max_packet,
        .dp = OHCI_TD_DP_SETUP, .toggle = OHCI_TD_T_DATA0,
    };
    rc = add_stage(o, &n, stage_of, 0, &req);
    if (rc == 0 && len) {
        req = (struct ohci_td_req){
            .buf_phys = o->bounce_phys + OHCI_CTRL_DATA_OFFSET, .bytes = len,
            .max_packet = p->max_packet, .dp = in ? OHCI_TD_DP_IN : OHCI_TD_DP_OUT,
            .toggle = OHCI_TD_T_DATA1, .round_last = true,
        };
        rc = add_stage(o, &n, stage_of, 1, &req);
    }
    if (rc == 0) {
        req = (struct ohci_td_req){
            .max_packet = p->max_packet, .dp = len && in ? OHCI_TD_DP_OUT : OHCI_TD_DP_IN,
            .toggle = OHCI_TD_T_DATA1,
        };
        rc = add_stage(o, &n, stage_of, 2, &req);
    }
    /* 3. Run; hand back what the data stage moved. */
    if (rc == 0)
        rc = chain_run(o, p, false, n, stage_of, timeout_ms, &r);
    else
        memset(&r, 0, sizeof(r));
    uint32_t got = MIN(r.moved[1], len);
    if (in && got)
        memcpy(data, sb + OHCI_CTRL_DATA_OFFSET, got);
    *moved = got;
    mutex_unlock(&o->lock);
    if (rc == ERR_IO)
        pr_debug("ohci: %s: control request 0x%02x failed (%s)", hc->name, setup->request,
                 ohci_cc_name(r.cc));
    return rc;
}

static int ohci_bulk(struct usb_hc *hc, struct usb_pipe *p, void *data, uint32_t bytes,
                     uint32_t *moved, bool *stalled, uint32_t timeout_ms)
{
    struct ohci *o = hc->priv;
    struct chain_result r = { 0 };
    uint32_t done = 0;
    int rc = 0;

    *moved = 0;
    *stalled = false;
    mutex_lock(&o->lock);
    bool direct = dma_can_direct(data, bytes);
    /* 1. Pieces of at most one TD pool (or the bounce buffer). */
    do {
        uint8_t *ptr = (uint8_t *)data + done;
        uint32_t want = bytes - done, pa;
        unsigned n = 0;
        if (direct) {
            pa = (uint32_t)(uintptr_t)ptr;
        } else {
            want = MIN(want, OHCI_BOUNCE_BYTES);
            pa = o->bounce_phys;
            if (!p->dir_in)
                memcpy(o->bounce, ptr, want);
        }
        /* 2. TDs with the toggle from the ED's carry, DI 0; only the last
         *    may round (a short packet earlier halts the ED: DataUnderrun). */
        struct ohci_td_req req = {
            .buf_phys = pa, .bytes = want, .max_packet = p->max_packet,
            .dp = p->dir_in ? OHCI_TD_DP_IN : OHCI_TD_DP_OUT, .toggle = OHCI_TD_T_CARRY,
            .round_last = p->dir_in,
        };
        req.first_phys = td_phys(o, 0);
        req.tail_phys = o->dummy_phys;
        rc = ohci_td_build(&req, o->words, o->pieces, OHCI_TD_SLOTS, &n);
        if (rc == ERR_NOSPC) {
            /* More TDs than the pool holds: run the part that fits. */
            want = 0;
            for (unsigned i = 0; i < OHCI_TD_SLOTS; i++)
                want += ohci_td_piece_bytes(pa + want, bytes - done - want, p->max_packet);
            req.bytes = want;
            rc = ohci_td_build(&req, o->words, o->pieces, OHCI_TD_SLOTS, &n);
        }
        if (rc)
            break;
        rc = chain_run(o, p, true, n, NULL, timeout_ms, &r);
        /* 3. The ED carried the toggle of every acknowledged packet. */
        p->toggle = (o->ed_bulk[OHCI_ED_HEADP] & OHCI_ED_TOGGLE) ? 1 : 0;
        uint32_t got = MIN(r.moved[0], want);
        if (!direct && p->dir_in && got)
            memcpy(ptr, o->bounce, got);
        done += got;
        if (rc || r.is_short)
            break;
    } while (done < bytes);
    *moved = done;
    if (rc == ERR_IO && r.stalled)
        *stalled = true;
    mutex_unlock(&o->lock);
    if (rc == ERR_IO)
        pr_debug("ohci: %s: bulk %s of %lu bytes failed (%s)", hc->name,
                 p->dir_in ? "in" : "out", (unsigned long)bytes, ohci_cc_name(r.cc));
    return rc;
}

static void ohci_pipe_reset_toggle(struct usb_hc *hc, struct usb_pipe *pipe)
{
    struct ohci *o = hc->priv;
    mutex_lock(&o->lock);
    pipe->toggle = 0;
    mutex_unlock(&o->lock);
}

/* ---- root ports (hub thread) ------------------------------------------------------------ */

static void ohci_port_status(struct usb_hc *hc, unsigned port, bool *connected, bool *changed)
{
    struct ohci *o = hc->priv;
    uint32_t v = reg_read(o, OHCI_RHPORT(port));

    *changed = (v & OHCI_PORT_CSC) != 0;
    *connected = (v & OHCI_PORT_CCS) != 0;
    if (v & OHCI_PORT_CHANGES) /* W1C; writing 0 to the command bits does nothing */
        reg_write(o, OHCI_RHPORT(port), v & OHCI_PORT_CHANGES);
}

static int ohci_port_reset(struct usb_hc *hc, unsigned port, enum usb_speed *speed)
{
    struct ohci *o = hc->priv;
    unsigned reg = OHCI_RHPORT(port);
    uint32_t v = reg_read(o, reg);

    /* 1. The controller times each reset (10 ms, §7.4.4 PRS); repeat it to
     *    hold the root port in reset for 50 ms (USB 2.0 §7.1.7.5). */
    if (!(v & OHCI_PORT_CCS))
        return ERR_NODEV;
    for (unsigned i = 0; i < OHCI_PORT_RESET_TRIES; i++) {
        reg_write(o, reg, OHCI_PORT_PRS);
        uint64_t end = time_ms() + OHCI_PORT_RESET_TIMEOUT_MS;
        while (!((v = reg_read(o, reg)) & OHCI_PORT_PRSC)) {
            if (!(v & OHCI_PORT_CCS))
                return ERR_NODEV;
            if (time_ms() >= end) {
                pr_warn("ohci: %s: port %u: reset does not complete (HcRhPortStatus "
                        "0x%08lx)", hc->name, port + 1, (unsigned long)v);
                return ERR_TIMEOUT;
            }
            sleep_ms(1);
        }
        reg_write(o, reg, OHCI_PORT_PRSC);
    }
    /* 2. The port is enabled at the end of a reset; enable it if not. */
    v = reg_read(o, reg);
    if (!(v & OHCI_PORT_CCS))
        return ERR_NODEV;
    if (!(v & OHCI_PORT_PES)) {
        reg_write(o, reg, OHCI_PORT_PES);
        sleep_ms(1);
        v = reg_read(o, reg);
        if (!(v & OHCI_PORT_PES)) {
            pr_warn("ohci: %s: port %u: does not enable (HcRhPortStatus 0x%08lx)", hc->name,
                    port + 1, (unsigned long)v);
            return ERR_TIMEOUT;
        }
    }
    reg_write(o, reg, v & OHCI_PORT_CHANGES);
    sleep_ms(USB_RESET_RECOVERY_MS);
    *speed = (v & OHCI_PORT_LSDA) ? USB_SPEED_LOW : USB_SPEED_FULL;
    return 0;
}

static void ohci_describe(struct usb_hc *hc, char *buf, size_t bytes)
{
    struct ohci *o = hc->priv;
    ksnprintf(buf, bytes, "OHCI %u.%u at %02x:%02x.%x, %u ports, %s, timeouts %lu, errors %lu%s",
              o->revision >> 4, o->revision & 0xF, o->pdev->bus, o->pdev->dev, o->pdev->func,
              hc->num_ports, o->irq ? "IRQ" : "polled", (unsigned long)o->timeouts,
              (unsigned long)o->errors, o->dead ? ", dead" : "");
}

static const struct usb_hc_ops ohci_ops = {
    .port_status = ohci_port_status,
    .port_reset = ohci_port_reset,
    .pipe_open = usb_hcd_fs_pipe_open,
    .pipe_close = usb_hcd_fs_pipe_close,
    .control = ohci_control,
    .bulk = ohci_bulk,
    .pipe_reset_toggle = ohci_pipe_reset_toggle,
    .describe = ohci_describe,
};

/* ---- controller start ------------------------------------------------------------------- */

/* §5.1.1.3.3-5: take the controller from SMM (InterruptRouting set: ask
 * with OwnershipChangeRequest and wait for IR to clear) or from a BIOS
 * driver (not in UsbReset: resume it if it was not operational). */
static int take_ownership(struct ohci *o)
{
    uint32_t ctl = reg_read(o, OHCI_CONTROL);

    if (ctl & OHCI_CTL_IR) {
        reg_write(o, OHCI_INTRENABLE, OHCI_INT_OC);
        reg_write(o, OHCI_CMDSTATUS, OHCI_CMD_OCR);
        uint64_t end = time_ms() + OHCI_HANDOFF_TIMEOUT_MS;
        while ((ctl = reg_read(o, OHCI_CONTROL)) & OHCI_CTL_IR) {
            if (time_ms() >= end) {
                pr_err("ohci: %s: firmware keeps the controller (HcControl 0x%08lx after %u "
                       "ms)", o->hc.name, (unsigned long)ctl, OHCI_HANDOFF_TIMEOUT_MS);
                return ERR_BUSY;
            }
            sleep_ms(1);
        }
        pr_info("ohci: %s: taken over from SMM firmware", o->hc.name);
    } else if ((ctl & OHCI_CTL_HCFS_MASK) != OHCI_CTL_HCFS_RESET) {
        if ((ctl & OHCI_CTL_HCFS_MASK) != OHCI_CTL_HCFS_OPER) {
            reg_write(o, OHCI_CONTROL, (ctl & ~OHCI_CTL_HCFS_MASK) | OHCI_CTL_HCFS_RESUME);
            sleep_ms(OHCI_RESUME_MS);
        }
        pr_info("ohci: %s: taken over from a BIOS driver", o->hc.name);
    }
    return 0;
}

static int controller_start(struct ohci *o)
{
    uint32_t rwc, fm, fi;
    int rc;

    /* 1. Ownership; no interrupts; USB reset of the bus. */
    rc = take_ownership(o);
    if (rc)
        return rc;
    reg_write(o, OHCI_INTRDISABLE, OHCI_INT_ALL);
    rwc = reg_read(o, OHCI_CONTROL) & OHCI_CTL_RWC;
    reg_write(o, OHCI_CONTROL, rwc | OHCI_CTL_HCFS_RESET);
    sleep_ms(OHCI_BUS_RESET_MS);
    /* 2. Software reset, keeping the frame interval (§5.1.1.4); from here
     *    the controller sits in UsbSuspend and must be operational within
     *    2 ms, so nothing below sleeps until step 4. */
    fm = reg_read(o, OHCI_FMINTERVAL);
    fi = fm & OHCI_FI_MASK;
    if (fi < OHCI_FI_DEFAULT - 0x100 || fi > OHCI_FI_DEFAULT + 0x100) {
        pr_warn("ohci: %s: implausible frame interval 0x%lx, using 0x%x", o->hc.name,
                (unsigned long)fi, OHCI_FI_DEFAULT);
        fi = OHCI_FI_DEFAULT;
    }
    reg_write(o, OHCI_CMDSTATUS, OHCI_CMD_HCR);
    unsigned waited_us = 0;
    while (reg_read(o, OHCI_CMDSTATUS) & OHCI_CMD_HCR) {
        if (waited_us >= OHCI_HCR_TIMEOUT_US) {
            pr_err("ohci: %s: reset does not complete in %u us", o->hc.name,
                   OHCI_HCR_TIMEOUT_US);
            return ERR_TIMEOUT;
        }
        udelay(OHCI_HCR_POLL_US);
        waited_us += OHCI_HCR_POLL_US;
    }
    /* 3. HCCA (empty periodic table), list heads, frame timing, interrupts,
     *    then UsbOperational with the control and bulk lists enabled. */
    reg_write(o, OHCI_HCCA, (uint32_t)o->mem.phys);
    reg_write(o, OHCI_CTRLHEAD, o->ed_ctrl_phys);
    reg_write(o, OHCI_CTRLCUR, 0);
    reg_write(o, OHCI_BULKHEAD, o->ed_bulk_phys);
    reg_write(o, OHCI_BULKCUR, 0);
    reg_write(o, OHCI_FMINTERVAL, OHCI_FSMPS(fi) | fi | ((fm & OHCI_FIT) ^ OHCI_FIT));
    reg_write(o, OHCI_PERIODICSTART, OHCI_PERIODIC_START(fi));
    reg_write(o, OHCI_INTRSTATUS, OHCI_INT_ALL & ~OHCI_INT_MIE);
    if (o->irq)
        reg_write(o, OHCI_INTRENABLE, OHCI_INT_MIE | OHCI_INTR_MASK);
    reg_write(o, OHCI_CONTROL, rwc | OHCI_CTL_HCFS_OPER | OHCI_CTL_CLE | OHCI_CTL_BLE |
                                   OHCI_CTL_CBSR_4_1);
    uint32_t ctl = reg_read(o, OHCI_CONTROL);
    if ((ctl & OHCI_CTL_HCFS_MASK) != OHCI_CTL_HCFS_OPER) {
        pr_err("ohci: %s: does not become operational (HcControl 0x%08lx)", o->hc.name,
               (unsigned long)ctl);
        return ERR_TIMEOUT;
    }
    /* 4. Root hub: power every port (global switch; per-port where the
     *    ports are switched individually), then wait for power good. */
    uint32_t rha = reg_read(o, OHCI_RHDESCA);
    if (!(rha & OHCI_RHA_NPS)) {
        reg_write(o, OHCI_RHSTATUS, OHCI_RHS_LPSC);
        for (unsigned i = 0; i < o->hc.num_ports; i++)
            reg_write(o, OHCI_RHPORT(i), OHCI_PORT_PPS);
    }
    sleep_ms(MAX(OHCI_RHA_POTPGT(rha) * 2u, (unsigned)OHCI_POWER_GOOD_MIN_MS));
    return 0;
}

/* Page 0: HCCA, EDs, dummy TD, TD pool; then the bounce buffer. */
static int memory_setup(struct ohci *o)
{
    int rc = dma_alloc(OHCI_MEM_BYTES, OHCI_PAGE_BYTES, 0, &o->mem);
    if (rc)
        return rc;
    uint8_t *v = o->mem.virt;
    uint32_t pa = (uint32_t)o->mem.phys;
    o->hcca = (volatile uint32_t *)v; /* page-aligned: 256-byte aligned as §4.4 wants */
    o->ed_ctrl = (volatile uint32_t *)(v + OHCI_ED_CTRL_OFFSET);
    o->ed_ctrl_phys = pa + OHCI_ED_CTRL_OFFSET;
    o->ed_bulk = (volatile uint32_t *)(v + OHCI_ED_BULK_OFFSET);
    o->ed_bulk_phys = pa + OHCI_ED_BULK_OFFSET;
    o->dummy_phys = pa + OHCI_DUMMY_TD_OFFSET;
    o->td_pool = (volatile uint32_t *)(v + OHCI_TD_POOL_OFFSET);
    o->td_pool_phys = pa + OHCI_TD_POOL_OFFSET;
    o->bounce = v + OHCI_PAGE_BYTES;
    o->bounce_phys = pa + OHCI_PAGE_BYTES;
    /* Both EDs empty (head == tail == dummy), sKipped by nothing, one per list. */
    o->ed_ctrl[OHCI_ED_CTRL] = OHCI_ED_SKIP;
    o->ed_ctrl[OHCI_ED_TAILP] = o->dummy_phys;
    o->ed_ctrl[OHCI_ED_HEADP] = o->dummy_phys;
    o->ed_ctrl[OHCI_ED_NEXT] = 0;
    o->ed_bulk[OHCI_ED_CTRL] = OHCI_ED_SKIP;
    o->ed_bulk[OHCI_ED_TAILP] = o->dummy_phys;
    o->ed_bulk[OHCI_ED_HEADP] = o->dummy_phys;
    o->ed_bulk[OHCI_ED_NEXT] = 0;
    return 0;
}

static int ohci_probe(struct pci_device *pdev)
{
    const struct pci_bar *bar = &pdev->bars[OHCI_PCI_BAR];
    struct ohci *o;
    void *regs;
    int rc;

    /* 1. Room, a memory BAR, decoding and bus mastering on, registers mapped. */
    rc = usb_hcd_check_room(pdev, "ohci", ohci_state.count, OHCI_MAX_CONTROLLERS);
    if (rc)
        return rc;
    rc = usb_hcd_map_mem_bar(pdev, bar, "ohci", OHCI_REGS_BYTES, &regs);
    if (rc)
        return rc;
    o = kzalloc(sizeof(*o));
    if (!o)
        return ERR_NOMEM;
    o->pdev = pdev;
    o->regs = regs;
    usb_hcd_hc_init(&o->hc, "ohci", ohci_state.count, &ohci_ops, o);
    mutex_init(&o->lock, "ohci");
    sem_init(&o->done, 0);
    /* 2. Revision 1.0 and a sane port count (NDP 1..15). */
    o->revision = (uint8_t)(reg_read(o, OHCI_REVISION) & OHCI_REV_MASK);
    o->hc.num_ports = OHCI_RHA_NDP(reg_read(o, OHCI_RHDESCA));
    if (o->revision != 0x10 || o->hc.num_ports == 0 || o->hc.num_ports > USB_MAX_PORTS) {
        pr_warn("ohci: %s: implausible registers (revision 0x%02x, %u ports)", o->hc.name,
                o->revision, o->hc.num_ports);
        rc = ERR_NODEV;
        goto err_free;
    }
    /* 3. DMA memory, IRQ, start. */
    rc = memory_setup(o);
    if (rc)
        goto err_free;
    usb_hcd_irq_attach(pdev, "ohci", o->hc.name, ohci_irq, o, &o->irq);
    rc = controller_start(o);
    if (rc)
        goto err_irq;
    pr_info("ohci: %s: %04x:%04x at %02x:%02x.%x, OHCI %u.%u, %u ports, IRQ %s%u", o->hc.name,
            pdev->vendor_id, pdev->device_id, pdev->bus, pdev->dev, pdev->func,
            o->revision >> 4, o->revision & 0xF, o->hc.num_ports, o->irq ? "" : "none/polled ",
            o->irq ? pdev->irq_line : 0);
    ohci_state.count++;
    /* 4. Hand the root ports to the core (enumerates what is plugged in). */
    rc = usb_hc_register(&o->hc);
    if (rc)
        pr_warn("ohci: %s: not registered with the USB core (%s)", o->hc.name, err_name(rc));
    return 0;

err_irq:
    reg_write(o, OHCI_INTRDISABLE, OHCI_INT_ALL);
    reg_write(o, OHCI_CONTROL, OHCI_CTL_HCFS_RESET);
    irq_detach(o->irq);
    dma_free(&o->mem);
err_free:
    kfree(o);
    return rc;
}

static struct usb_hcd_pci ohci_pci;

void ohci_register(void)
{
    usb_hcd_pci_register(&ohci_pci, "ohci", OHCI_PCI_PROGIF, ohci_probe);
}
