// SPDX-License-Identifier: MIT
/* UHCI host controller: PCI probe, controller start, root ports and
 * control/bulk transfers as TD chains; contract in uhci.h. Memory (one DMA
 * run per controller): page 0 the frame list, page 1 the transfer QH, then
 * the TD pool and the bounce buffer for control data and for buffers the
 * controller cannot reach.
 * Locking: u->lock (mutex) serializes transfers and the pipes' toggles; the
 * IRQ handler only acknowledges USBSTS, ORs the bits into u->sts and wakes
 * u->done. Port registers are touched by the USB hub thread only. */
#include "drivers/usb/uhci.h"
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
#include "kernel/pci.h"
#include "kernel/time.h"

#define UHCI_MAX_CONTROLLERS 8      /* a PC has up to 6 companions */
#define UHCI_PAGE_BYTES 4096u
#define UHCI_TD_SLOTS 1024          /* 64 KiB per chain at 64-byte packets */
#define UHCI_TD_POOL_BYTES (UHCI_TD_SLOTS * UHCI_TD_SLOT_BYTES)
#define UHCI_BOUNCE_BYTES (64u * 1024)
#define UHCI_MEM_BYTES (2 * UHCI_PAGE_BYTES + UHCI_TD_POOL_BYTES + UHCI_BOUNCE_BYTES)
#define UHCI_RESET_TIMEOUT_MS 50
#define UHCI_GRESET_MS 50           /* §2.1.1: global reset held >= 10 ms */
#define UHCI_CANCEL_FRAMES_MS 2     /* the controller caches at most one TD per frame */
#define UHCI_ENABLE_TRIES 10
#define UHCI_INTR_MASK (UHCI_STS_USBINT | UHCI_STS_ERRINT | UHCI_STS_HSE | UHCI_STS_HCPE)

struct uhci {
    struct usb_hc hc;            /* registered with the core; hc.priv = this */
    struct pci_device *pdev;
    uint16_t io;                 /* I/O base */
    struct dma_buf mem;          /* see the file header */
    volatile uint32_t *qh;       /* transfer QH */
    uint32_t qh_phys;
    uint8_t *td_pool;
    uint32_t td_pool_phys;
    uint8_t *bounce;
    uint32_t bounce_phys;
    struct mutex lock;           /* transfers */
    struct semaphore done;       /* upped by the IRQ handler */
    uint32_t sts;                /* USBSTS bits seen (atomic OR from IRQ) */
    struct irq_handler *irq;     /* NULL: polled */
    bool dead;                   /* host system or process error */
    uint32_t timeouts, errors;   /* counters for `usb` (lock) */
};

static struct {
    unsigned count;              /* controllers started (probe runs in one thread) */
} uhci_state;

static volatile uint32_t *td_at(struct uhci *u, unsigned i)
{
    return (volatile uint32_t *)(u->td_pool + i * UHCI_TD_SLOT_BYTES);
}

static uint32_t td_phys(struct uhci *u, unsigned i)
{
    return u->td_pool_phys + i * UHCI_TD_SLOT_BYTES;
}

static bool uhci_irq(void *ctx)
{
    struct uhci *u = ctx;
    uint16_t s = inw(u->io + UHCI_USBSTS) & UHCI_INTR_MASK;

    if (!s)
        return false;
    outw(u->io + UHCI_USBSTS, s); /* acknowledge */
    __atomic_fetch_or(&u->sts, s, __ATOMIC_SEQ_CST);
    sem_up(&u->done);
    return true;
}

static uint32_t take_status(struct uhci *u, uint32_t bits)
{
    if (!u->irq) {
        uint16_t s = inw(u->io + UHCI_USBSTS) & UHCI_INTR_MASK;
        if (s) {
            outw(u->io + UHCI_USBSTS, s);
            __atomic_fetch_or(&u->sts, s, __ATOMIC_SEQ_CST);
        }
    }
    return __atomic_fetch_and(&u->sts, ~bits, __ATOMIC_SEQ_CST) & bits;
}

/* ---- transfers (u->lock held) -------------------------------------------------------- */

/* TD i: one packet of `len` bytes (0..max packet) at physical `pa`. */
static void td_fill(struct uhci *u, unsigned i, bool last, const struct usb_pipe *p,
                    uint8_t pid, uint8_t toggle, uint32_t pa, uint32_t len, bool spd)
{
    volatile uint32_t *t = td_at(u, i);
    t[UHCI_TD_LINK] = last ? UHCI_LINK_T : (td_phys(u, i + 1) | UHCI_LINK_VF);
    t[UHCI_TD_TOKEN] = UHCI_TOKEN(pid, p->address, p->ep, toggle, len);
    t[UHCI_TD_BUF] = pa;
    io_barrier();
    t[UHCI_TD_CTRL] = UHCI_TD_ACTIVE | UHCI_TD_CERR3 | (p->low_speed ? UHCI_TD_LS : 0) |
                      (last ? UHCI_TD_IOC : 0) | (spd ? UHCI_TD_SPD : 0);
}

enum chain_state { CHAIN_RUNNING, CHAIN_DONE, CHAIN_SHORT, CHAIN_ERROR };

/* Look at TDs [first, first + n): *moved = bytes of finished TDs, *ok =
 * packets that finished without error, *ctrl = the failing TD's status. */
static enum chain_state chain_state(struct uhci *u, unsigned first, unsigned n,
                                    uint32_t *moved, unsigned *ok, uint32_t *ctrl)
{
    *moved = 0;
    *ok = 0;
    for (unsigned i = first; i < first + n; i++) {
        uint32_t c = td_at(u, i)[UHCI_TD_CTRL];
        if (c & UHCI_TD_ACTIVE)
            return CHAIN_RUNNING;
        if (c & UHCI_TD_ERRORS) {
            *ctrl = c;
            return CHAIN_ERROR;
        }
        uint32_t want = UHCI_TD_ACTLEN(td_at(u, i)[UHCI_TD_TOKEN] >> 21);
        uint32_t got = UHCI_TD_ACTLEN(c);
        *moved += MIN(got, want);
        (*ok)++;
        if (got < want)
            return CHAIN_SHORT;
    }
    return CHAIN_DONE;
}

/* Unhook whatever is under the QH and give the controller two frames to
 * finish the TD it may have fetched; then nothing in the pool is live. */
static void chain_stop(struct uhci *u, unsigned first, unsigned n)
{
    u->qh[UHCI_QH_ELEM] = UHCI_LINK_T;
    io_barrier();
    sleep_ms(UHCI_CANCEL_FRAMES_MS);
    for (unsigned i = first; i < first + n; i++)
        td_at(u, i)[UHCI_TD_CTRL] &= ~UHCI_TD_ACTIVE;
}

/* Run TDs [first, first + n) and wait. Returns 0 (done, or short with
 * *is_short), ERR_IO (*ctrl has the error bits), ERR_TIMEOUT, ERR_NODEV. */
static int chain_run(struct uhci *u, const struct usb_pipe *p, unsigned first, unsigned n,
                     uint32_t *moved, unsigned *ok, uint32_t *ctrl, bool *is_short,
                     uint32_t timeout_ms)
{
    uint64_t end = time_ms() + timeout_ms;
    enum chain_state st;

    *ctrl = 0;
    *is_short = false;
    *moved = 0;
    *ok = 0;
    if (u->dead)
        return ERR_NODEV;
    (void)take_status(u, UHCI_STS_USBINT | UHCI_STS_ERRINT);
    io_barrier();
    u->qh[UHCI_QH_ELEM] = td_phys(u, first);
    for (;;) {
        st = chain_state(u, first, n, moved, ok, ctrl);
        if (st != CHAIN_RUNNING)
            break;
        if (take_status(u, UHCI_STS_HSE | UHCI_STS_HCPE)) {
            pr_err("uhci: %s: host system or process error, controller halted", u->hc.name);
            u->dead = true;
            chain_stop(u, first, n);
            return ERR_NODEV;
        }
        if (p->dev->gone) {
            chain_stop(u, first, n);
            (void)chain_state(u, first, n, moved, ok, ctrl);
            return ERR_NODEV;
        }
        if (usb_hcd_wait_slice(&u->done, u->irq != NULL, end)) {
            chain_stop(u, first, n);
            (void)chain_state(u, first, n, moved, ok, ctrl);
            u->timeouts++;
            return ERR_TIMEOUT;
        }
    }
    u->qh[UHCI_QH_ELEM] = UHCI_LINK_T; /* a short or failed chain stays hooked otherwise */
    if (st == CHAIN_ERROR) {
        u->errors++;
        return ERR_IO;
    }
    *is_short = st == CHAIN_SHORT;
    return 0;
}

static int uhci_control(struct usb_hc *hc, struct usb_pipe *p, const struct usb_setup *setup,
                        void *data, uint32_t *moved, uint32_t timeout_ms)
{
    struct uhci *u = hc->priv;
    bool in = (setup->request_type & USB_RT_IN) != 0, is_short;
    uint32_t len = setup->length, got = 0, ctrl, mv;
    unsigned n = 0, ok;
    int rc;

    *moved = 0;
    if (len > UHCI_BOUNCE_BYTES - 64 || (len && !data) ||
        (len + p->max_packet - 1) / p->max_packet + 2 > UHCI_TD_SLOTS)
        return ERR_INVAL;
    mutex_lock(&u->lock);
    /* 1. SETUP bytes at the start of the bounce buffer, data after them. */
    uint8_t *sb = u->bounce;
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
    /* 2. SETUP (DATA0), data packets (DATA1, 0, ...; short-packet detect on
     *    IN), status opposite to the data (IN if none), DATA1. */
    td_fill(u, n++, false, p, UHCI_PID_SETUP, 0, u->bounce_phys, 8, false);
    uint8_t toggle = 1;
    for (uint32_t off = 0; off < len; off += p->max_packet) {
        uint32_t pk = MIN((uint32_t)p->max_packet, len - off);
        td_fill(u, n++, false, p, in ? UHCI_PID_IN : UHCI_PID_OUT, toggle,
                u->bounce_phys + 64 + off, pk, in);
        toggle ^= 1;
    }
    unsigned status_i = n;
    td_fill(u, n++, true, p, len && in ? UHCI_PID_OUT : UHCI_PID_IN, 1, 0, 0, false);
    /* 3. Run setup + data; a short IN reply stops early: run the status
     *    stage on its own then. */
    rc = chain_run(u, p, 0, status_i, &mv, &ok, &ctrl, &is_short, timeout_ms);
    got = mv > 8 ? mv - 8 : 0;
    if (rc == 0)
        rc = chain_run(u, p, status_i, 1, &mv, &ok, &ctrl, &is_short, timeout_ms);
    if (in && got)
        memcpy(data, sb + 64, MIN(got, len));
    *moved = MIN(got, len);
    mutex_unlock(&u->lock);
    if (rc == ERR_IO)
        pr_debug("uhci: %s: control request 0x%02x failed (status 0x%08lx)", hc->name,
                 setup->request, (unsigned long)ctrl);
    return rc;
}

static int uhci_bulk(struct usb_hc *hc, struct usb_pipe *p, void *data, uint32_t bytes,
                     uint32_t *moved, bool *stalled, uint32_t timeout_ms)
{
    struct uhci *u = hc->priv;
    uint32_t done = 0, ctrl = 0;
    bool is_short = false;
    int rc = 0;

    *moved = 0;
    *stalled = false;
    mutex_lock(&u->lock);
    bool direct = dma_can_direct(data, bytes);
    /* 1. Pieces of at most one pool of packets (or the bounce buffer). */
    do {
        uint8_t *ptr = (uint8_t *)data + done;
        uint32_t want = MIN(bytes - done, (uint32_t)UHCI_TD_SLOTS * p->max_packet), got;
        uint32_t pa;
        unsigned n = 0, ok;
        if (direct) {
            pa = (uint32_t)(uintptr_t)ptr;
        } else {
            want = MIN(want, UHCI_BOUNCE_BYTES);
            pa = u->bounce_phys;
            if (!p->dir_in)
                memcpy(u->bounce, ptr, want);
        }
        /* 2. One TD per packet, toggles alternating from the pipe's. */
        uint8_t toggle = p->toggle;
        for (uint32_t off = 0; off < want || (want == 0 && n == 0); off += p->max_packet) {
            uint32_t pk = MIN((uint32_t)p->max_packet, want - off);
            bool last = off + pk >= want;
            td_fill(u, n++, last, p, p->dir_in ? UHCI_PID_IN : UHCI_PID_OUT, toggle, pa + off,
                    pk, p->dir_in);
            toggle ^= 1;
            if (last)
                break;
        }
        rc = chain_run(u, p, 0, n, &got, &ok, &ctrl, &is_short, timeout_ms);
        /* 3. Every packet the device acknowledged flipped its toggle. */
        p->toggle ^= (uint8_t)(ok & 1);
        if (!direct && p->dir_in && got)
            memcpy(ptr, u->bounce, got);
        done += got;
        if (rc || is_short)
            break;
    } while (done < bytes);
    *moved = done;
    if (rc == ERR_IO && (ctrl & UHCI_TD_STALLED) &&
        !(ctrl & (UHCI_TD_CRCTO | UHCI_TD_BABBLE | UHCI_TD_DBERR | UHCI_TD_BITSTUFF)))
        *stalled = true;
    mutex_unlock(&u->lock);
    if (rc == ERR_IO)
        pr_debug("uhci: %s: bulk %s of %lu bytes failed (status 0x%08lx)", hc->name,
                 p->dir_in ? "in" : "out", (unsigned long)bytes, (unsigned long)ctrl);
    return rc;
}

static void uhci_pipe_reset_toggle(struct usb_hc *hc, struct usb_pipe *pipe)
{
    struct uhci *u = hc->priv;
    mutex_lock(&u->lock);
    pipe->toggle = 0;
    mutex_unlock(&u->lock);
}

/* ---- root ports (hub thread) --------------------------------------------------------- */

static void uhci_port_status(struct usb_hc *hc, unsigned port, bool *connected, bool *changed)
{
    struct uhci *u = hc->priv;
    uint16_t v = inw(u->io + UHCI_PORTSC(port));

    *changed = (v & UHCI_PORT_CSC) != 0;
    *connected = (v & UHCI_PORT_CCS) != 0;
    if (*changed)
        outw(u->io + UHCI_PORTSC(port), (uint16_t)((v & ~UHCI_PORT_W1C) | UHCI_PORT_CSC));
}

static int uhci_port_reset(struct usb_hc *hc, unsigned port, enum usb_speed *speed)
{
    struct uhci *u = hc->priv;
    uint16_t reg = (uint16_t)(u->io + UHCI_PORTSC(port));
    uint16_t v = inw(reg);

    /* 1. Reset for 50 ms (USB 2.0 §7.1.7.5), then end it. */
    if (!(v & UHCI_PORT_CCS))
        return ERR_NODEV;
    outw(reg, (uint16_t)((v & ~UHCI_PORT_W1C) | UHCI_PORT_PR));
    sleep_ms(USB_PORT_RESET_MS);
    outw(reg, (uint16_t)(inw(reg) & ~(UHCI_PORT_W1C | UHCI_PORT_PR)));
    udelay(50);
    /* 2. Enable; the port may need a few tries while change bits settle. */
    for (unsigned i = 0; i < UHCI_ENABLE_TRIES; i++) {
        v = inw(reg);
        if (!(v & UHCI_PORT_CCS))
            return ERR_NODEV;
        if (v & UHCI_PORT_W1C) {
            outw(reg, (uint16_t)((v & ~UHCI_PORT_W1C) | (v & UHCI_PORT_W1C)));
            continue;
        }
        if (v & UHCI_PORT_PE)
            break;
        outw(reg, (uint16_t)((v & ~UHCI_PORT_W1C) | UHCI_PORT_PE));
        sleep_ms(1);
    }
    v = inw(reg);
    if (!(v & UHCI_PORT_PE)) {
        pr_warn("uhci: %s: port %u: does not enable (PORTSC 0x%04x)", hc->name, port + 1, v);
        return ERR_TIMEOUT;
    }
    sleep_ms(USB_RESET_RECOVERY_MS);
    *speed = (v & UHCI_PORT_LSDA) ? USB_SPEED_LOW : USB_SPEED_FULL;
    return 0;
}

static void uhci_describe(struct usb_hc *hc, char *buf, size_t bytes)
{
    struct uhci *u = hc->priv;
    ksnprintf(buf, bytes, "UHCI at %02x:%02x.%x, %u ports, %s, timeouts %lu, errors %lu%s",
              u->pdev->bus, u->pdev->dev, u->pdev->func, hc->num_ports,
              u->irq ? "IRQ" : "polled", (unsigned long)u->timeouts, (unsigned long)u->errors,
              u->dead ? ", dead" : "");
}

static const struct usb_hc_ops uhci_ops = {
    .port_status = uhci_port_status,
    .port_reset = uhci_port_reset,
    .pipe_open = usb_hcd_fs_pipe_open,
    .pipe_close = usb_hcd_fs_pipe_close,
    .control = uhci_control,
    .bulk = uhci_bulk,
    .pipe_reset_toggle = uhci_pipe_reset_toggle,
    .describe = uhci_describe,
};

/* ---- controller start ---------------------------------------------------------------- */

/* Ports are not counted by any register: probe until one reads as absent
 * (bit 7 reads 1 on a real port; all ones past the I/O range). */
static unsigned count_ports(struct uhci *u)
{
    unsigned n = 0;
    while (n < UHCI_MAX_PORTS && n < USB_MAX_PORTS) {
        uint16_t v = inw(u->io + UHCI_PORTSC(n));
        if (!(v & UHCI_PORT_ALWAYS1) || v == 0xFFFF)
            break;
        n++;
    }
    return n;
}

static int controller_start(struct uhci *u)
{
    /* 1. No BIOS traps; global reset, then controller reset. */
    pci_write16(u->pdev, UHCI_PCI_LEGSUP, UHCI_LEGSUP_RWC);
    outw(u->io + UHCI_USBINTR, 0);
    outw(u->io + UHCI_USBCMD, UHCI_CMD_GRESET);
    sleep_ms(UHCI_GRESET_MS);
    outw(u->io + UHCI_USBCMD, 0);
    sleep_ms(10);
    outw(u->io + UHCI_USBCMD, UHCI_CMD_HCRESET);
    uint64_t end = time_ms() + UHCI_RESET_TIMEOUT_MS;
    while (inw(u->io + UHCI_USBCMD) & UHCI_CMD_HCRESET) {
        if (time_ms() >= end) {
            pr_err("uhci: %s: reset does not complete in %u ms", u->hc.name,
                   UHCI_RESET_TIMEOUT_MS);
            return ERR_TIMEOUT;
        }
        sleep_ms(1);
    }
    /* 2. Every frame points at the transfer QH, which is empty. */
    volatile uint32_t *frames = u->mem.virt;
    u->qh[UHCI_QH_HEAD] = UHCI_LINK_T;
    u->qh[UHCI_QH_ELEM] = UHCI_LINK_T;
    for (unsigned i = 0; i < UHCI_FRAMES; i++)
        frames[i] = u->qh_phys | UHCI_LINK_QH;
    io_barrier();
    /* 3. Registers, interrupts, run; INTx routing last. */
    outl(u->io + UHCI_FLBASEADD, (uint32_t)u->mem.phys);
    outw(u->io + UHCI_FRNUM, 0);
    outb(u->io + UHCI_SOFMOD, 64);
    outw(u->io + UHCI_USBSTS, UHCI_INTR_MASK);
    outw(u->io + UHCI_USBINTR,
         u->irq ? (UHCI_INTR_TIMEOUT_CRC | UHCI_INTR_IOC | UHCI_INTR_SP) : 0);
    outw(u->io + UHCI_USBCMD, UHCI_CMD_RS | UHCI_CMD_CF | UHCI_CMD_MAXP);
    pci_write16(u->pdev, UHCI_PCI_LEGSUP, UHCI_LEGSUP_PIRQ);
    end = time_ms() + UHCI_RESET_TIMEOUT_MS;
    while (inw(u->io + UHCI_USBSTS) & UHCI_STS_HALTED) {
        if (time_ms() >= end) {
            pr_err("uhci: %s: does not run (USBSTS 0x%04x)", u->hc.name,
                   inw(u->io + UHCI_USBSTS));
            return ERR_TIMEOUT;
        }
        sleep_ms(1);
    }
    return 0;
}

static int uhci_probe(struct pci_device *pdev)
{
    const struct pci_bar *bar = &pdev->bars[UHCI_PCI_BAR];
    struct uhci *u;
    int rc;

    /* 1. Room, an I/O BAR, decoding and bus mastering on. */
    rc = usb_hcd_check_room(pdev, "uhci", uhci_state.count, UHCI_MAX_CONTROLLERS);
    if (rc)
        return rc;
    if (bar->kind != PCI_BAR_IO || !bar->base || bar->size_bytes < 0x14) {
        pr_warn("uhci: %02x:%02x.%x: no I/O BAR (%s, base 0x%llx)", pdev->bus, pdev->dev,
                pdev->func, pci_bar_kind_name(bar->kind), (unsigned long long)bar->base);
        return ERR_NODEV;
    }
    pci_enable_io(pdev);
    pci_enable_bus_master(pdev);
    u = kzalloc(sizeof(*u));
    if (!u)
        return ERR_NOMEM;
    u->pdev = pdev;
    u->io = (uint16_t)bar->base;
    usb_hcd_hc_init(&u->hc, "uhci", uhci_state.count, &uhci_ops, u);
    mutex_init(&u->lock, "uhci");
    sem_init(&u->done, 0);
    /* 2. Memory: frame list, QH, TD pool, bounce buffer. */
    rc = dma_alloc(UHCI_MEM_BYTES, UHCI_PAGE_BYTES, 0, &u->mem);
    if (rc)
        goto err_free;
    uint8_t *v = u->mem.virt;
    uint32_t pa = (uint32_t)u->mem.phys;
    u->qh = (volatile uint32_t *)(v + UHCI_PAGE_BYTES);
    u->qh_phys = pa + UHCI_PAGE_BYTES;
    u->td_pool = v + 2 * UHCI_PAGE_BYTES;
    u->td_pool_phys = pa + 2 * UHCI_PAGE_BYTES;
    u->bounce = u->td_pool + UHCI_TD_POOL_BYTES;
    u->bounce_phys = u->td_pool_phys + UHCI_TD_POOL_BYTES;
    /* 3. IRQ, start, ports. */
    usb_hcd_irq_attach(pdev, "uhci", u->hc.name, uhci_irq, u, &u->irq);
    rc = controller_start(u);
    if (rc)
        goto err_irq;
    u->hc.num_ports = count_ports(u);
    pr_info("uhci: %s: %04x:%04x at %02x:%02x.%x, I/O 0x%x, %u ports, IRQ %s%u", u->hc.name,
            pdev->vendor_id, pdev->device_id, pdev->bus, pdev->dev, pdev->func, u->io,
            u->hc.num_ports, u->irq ? "" : "none/polled ", u->irq ? pdev->irq_line : 0);
    uhci_state.count++;
    /* 4. Hand the root ports to the core (enumerates what is plugged in). */
    rc = usb_hc_register(&u->hc);
    if (rc)
        pr_warn("uhci: %s: not registered with the USB core (%s)", u->hc.name, err_name(rc));
    return 0;

err_irq:
    outw(u->io + UHCI_USBCMD, 0);
    irq_detach(u->irq);
    dma_free(&u->mem);
err_free:
    kfree(u);
    return rc;
}

static struct usb_hcd_pci uhci_pci;

void uhci_register(void)
{
    usb_hcd_pci_register(&uhci_pci, "uhci", UHCI_PCI_PROGIF, uhci_probe);
}
