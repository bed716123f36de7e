// SPDX-License-Identifier: MIT
/* AHCI port primitives: register access, engine stop/start, COMRESET, the
 * controller's interrupt handler and the one command path every request
 * uses (slot 0: build FIS, PRD table and header, set PxCI, sleep until the
 * interrupt, decode the outcome, recover the port on error). Completion is
 * an interrupt: the thread arms the port and sleeps on a semaphore with a
 * timeout; without a usable IRQ line the same loop polls PxCI every
 * millisecond. Only the engine and link transitions the spec defines as
 * register handshakes are polled, each with a timeout.
 * Callers hold the port mutex (ahci_priv.h).
 * Spec: AHCI 1.3.1 §10.1.2 (engine start/stop), §10.4.2 (COMRESET),
 * §5.5 (command issue), §6.2.2 (error recovery), §10.7 (interrupts). */
#include "drivers/ahci/ahci_priv.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/klog.h"
#include "kernel/lib/endian.h"
#include "kernel/lib/kstring.h"
#include "kernel/time.h"

#define POLL_SPIN_ROUNDS 50     /* 10 us each before falling back to 1 ms sleeps */
#define COMRESET_HOLD_MS 2      /* DET = 1 for at least 1 ms (§10.4.2) */
#define SPINUP_DELAY_MS 10
#define NO_IRQ_SLICE_MS 1       /* polling period when the HBA has no IRQ line */

uint32_t ahci_hba_read(struct ahci_ctrl *c, enum ahci_hba_reg reg)
{
    return mmio_read32(c->abar + reg);
}

void ahci_hba_write(struct ahci_ctrl *c, enum ahci_hba_reg reg, uint32_t v)
{
    mmio_write32(c->abar + reg, v);
}

uint32_t ahci_port_read(struct ahci_port *p, enum ahci_port_reg reg)
{
    return mmio_read32(p->regs + reg);
}

void ahci_port_write(struct ahci_port *p, enum ahci_port_reg reg, uint32_t v)
{
    mmio_write32(p->regs + reg, v);
}

/* Poll until (reg & mask) == value, for at most timeout_ms.
 * Returns 0 or ERR_TIMEOUT. */
static int wait_reg(struct ahci_port *p, enum ahci_port_reg reg, uint32_t mask, uint32_t value,
                    uint32_t timeout_ms)
{
    uint64_t deadline = time_ms() + timeout_ms;

    for (unsigned round = 0;; round++) {
        if ((ahci_port_read(p, reg) & mask) == value)
            return 0;
        if (time_ms() > deadline)
            return ERR_TIMEOUT;
        if (round < POLL_SPIN_ROUNDS)
            udelay(10);
        else
            sleep_ms(1);
    }
}

bool ahci_can_dma_direct(const struct ahci_port *p, const void *buf, uint32_t bytes)
{
    (void)p;
    /* PRD bases must be word aligned (dma_can_direct() checks the rest). */
    return ((uintptr_t)buf & 1) == 0 && dma_can_direct(buf, bytes);
}

/* ---- engine ------------------------------------------------------------------------------ */

/* Clear ST and FRE and wait for CR and FR to follow (§10.1.2).
 * Returns 0 or ERR_TIMEOUT. */
static int engine_stop(struct ahci_port *p)
{
    uint32_t cmd = ahci_port_read(p, AHCI_PxCMD);

    if (cmd & AHCI_PxCMD_ST)
        ahci_port_write(p, AHCI_PxCMD, cmd & ~AHCI_PxCMD_ST);
    if (wait_reg(p, AHCI_PxCMD, AHCI_PxCMD_CR, 0, AHCI_ENGINE_TIMEOUT_MS))
        return ERR_TIMEOUT;
    cmd = ahci_port_read(p, AHCI_PxCMD);
    if (cmd & AHCI_PxCMD_FRE)
        ahci_port_write(p, AHCI_PxCMD, cmd & ~AHCI_PxCMD_FRE);
    return wait_reg(p, AHCI_PxCMD, AHCI_PxCMD_FR, 0, AHCI_ENGINE_TIMEOUT_MS);
}

/* FIS receive on, wait (bounded) for BSY and DRQ to clear, then ST.
 * Returns 0 or ERR_TIMEOUT (device stayed busy; ST is then not set). */
static int engine_start(struct ahci_port *p)
{
    uint32_t cmd = ahci_port_read(p, AHCI_PxCMD);

    if (!(cmd & AHCI_PxCMD_FRE))
        ahci_port_write(p, AHCI_PxCMD, cmd | AHCI_PxCMD_FRE);
    if (wait_reg(p, AHCI_PxTFD, AHCI_TFD_STS_BSY | AHCI_TFD_STS_DRQ, 0, AHCI_BUSY_TIMEOUT_MS))
        return ERR_TIMEOUT;
    cmd = ahci_port_read(p, AHCI_PxCMD);
    ahci_port_write(p, AHCI_PxCMD, cmd | AHCI_PxCMD_ST);
    return 0;
}

int ahci_port_reset_locked(struct ahci_port *p, const char *why)
{
    uint32_t sctl;

    p->resets++;
    pr_warn("ahci: %s: port %u: COMRESET (%s)", p->ctrl->name, p->num, why);
    /* 1. Stop the engine; a hung one is what COMRESET is for, so go on. */
    (void)engine_stop(p);
    /* 2. DET = 1 for more than 1 ms, then 0; no partial/slumber states. */
    sctl = ahci_port_read(p, AHCI_PxSCTL) & ~(AHCI_SSTS_DET_MASK | (0xFu << 8));
    ahci_port_write(p, AHCI_PxSCTL,
                    sctl | AHCI_SCTL_DET_COMRESET | AHCI_SCTL_IPM_NO_PARTIAL_SLUMBER);
    sleep_ms(COMRESET_HOLD_MS);
    ahci_port_write(p, AHCI_PxSCTL, sctl | AHCI_SCTL_IPM_NO_PARTIAL_SLUMBER);
    /* 3. Link back up, errors from the reset cleared, engine running. */
    if (wait_reg(p, AHCI_PxSSTS, AHCI_SSTS_DET_MASK, AHCI_SSTS_DET_PRESENT,
                 AHCI_LINK_TIMEOUT_MS)) {
        pr_err("ahci: %s: port %u: no link after COMRESET (SSTS 0x%08lx)", p->ctrl->name, p->num,
               (unsigned long)ahci_port_read(p, AHCI_PxSSTS));
        return ERR_TIMEOUT;
    }
    ahci_port_write(p, AHCI_PxSERR, 0xFFFFFFFFu);
    ahci_port_write(p, AHCI_PxIS, 0xFFFFFFFFu);
    if (engine_start(p)) {
        pr_err("ahci: %s: port %u: device busy after COMRESET (TFD 0x%04lx)", p->ctrl->name,
               p->num, (unsigned long)ahci_port_read(p, AHCI_PxTFD));
        return ERR_TIMEOUT;
    }
    return 0;
}

/* After a failed command (§6.2.2.1): restart the engine, which clears
 * PxCI, after clearing the error state; COMRESET when that is not enough. */
static void recover_locked(struct ahci_port *p, bool need_reset, const char *why)
{
    if (!need_reset) {
        if (engine_stop(p) == 0) {
            ahci_port_write(p, AHCI_PxSERR, 0xFFFFFFFFu);
            ahci_port_write(p, AHCI_PxIS, 0xFFFFFFFFu);
            if (engine_start(p) == 0)
                return;
        }
    }
    (void)ahci_port_reset_locked(p, why);
}

/* ---- setup ------------------------------------------------------------------------------- */

int ahci_port_setup(struct ahci_port *p)
{
    struct ahci_ctrl *c = p->ctrl;
    uint32_t ssts;
    int rc;

    p->kind = AHCI_DEV_NONE;
    /* 1. Stop whatever the BIOS left running before moving the memory. */
    if (engine_stop(p)) {
        pr_err("ahci: %s: port %u: engine does not stop (CMD 0x%08lx), port ignored", c->name,
               p->num, (unsigned long)ahci_port_read(p, AHCI_PxCMD));
        return ERR_TIMEOUT;
    }
    /* 2. Command list, received FIS area and command table (one page). */
    rc = dma_alloc(AHCI_MEM_BYTES, AHCI_MEM_BYTES, 0, &p->mem);
    if (rc) {
        pr_err("ahci: %s: port %u: no DMA memory", c->name, p->num);
        return rc;
    }
    ahci_port_write(p, AHCI_PxCLB, (uint32_t)(p->mem.phys + AHCI_MEM_CL));
    ahci_port_write(p, AHCI_PxCLBU, (uint32_t)((p->mem.phys + AHCI_MEM_CL) >> 32));
    ahci_port_write(p, AHCI_PxFB, (uint32_t)(p->mem.phys + AHCI_MEM_RFIS));
    ahci_port_write(p, AHCI_PxFBU, (uint32_t)((p->mem.phys + AHCI_MEM_RFIS) >> 32));
    /* 3. Clear stale errors and interrupts; enable the ones we wait for. */
    ahci_port_write(p, AHCI_PxSERR, 0xFFFFFFFFu);
    ahci_port_write(p, AHCI_PxIS, 0xFFFFFFFFu);
    ahci_port_write(p, AHCI_PxIE, AHCI_PxIE_DEFAULT);
    if (c->caps.staggered_spinup) {
        ahci_port_write(p, AHCI_PxCMD, ahci_port_read(p, AHCI_PxCMD) | AHCI_PxCMD_SUD |
                                           AHCI_PxCMD_POD);
        sleep_ms(SPINUP_DELAY_MS);
    }
    ahci_port_write(p, AHCI_PxCMD, ahci_port_read(p, AHCI_PxCMD) | AHCI_PxCMD_FRE);
    /* 4. Nothing attached: the port stays idle with FIS receive on. A
     *    device seen without communication (DET = 1) gets one COMRESET. */
    ssts = ahci_port_read(p, AHCI_PxSSTS);
    if ((ssts & AHCI_SSTS_DET_MASK) == 1) {
        mutex_lock(&p->lock);
        (void)ahci_port_reset_locked(p, "device present, no link");
        mutex_unlock(&p->lock);
        ssts = ahci_port_read(p, AHCI_PxSSTS);
    }
    if (!ahci_link_is_up(ssts))
        return 0;
    /* 5. The signature arrives with the device's first D2H FIS, which also
     *    clears BSY; then the engine may start. */
    if (engine_start(p)) {
        mutex_lock(&p->lock);
        rc = ahci_port_reset_locked(p, "device busy at start");
        mutex_unlock(&p->lock);
        if (rc)
            return 0; /* logged; the port stays empty */
    }
    uint32_t sig = ahci_port_read(p, AHCI_PxSIG);
    p->kind = ahci_sig_decode(sig);
    if (p->kind == AHCI_DEV_ATAPI)
        ahci_port_write(p, AHCI_PxCMD, ahci_port_read(p, AHCI_PxCMD) | AHCI_PxCMD_ATAPI);
    pr_info("ahci: %s: port %u: %s device (signature 0x%08lx, link %s)", c->name, p->num,
            ahci_dev_kind_name(p->kind), (unsigned long)sig, ahci_link_speed_name(ssts));
    /* 6. A bounce buffer for the devices we drive. */
    if (p->kind == AHCI_DEV_ATA || p->kind == AHCI_DEV_ATAPI) {
        rc = dma_alloc(AHCI_BOUNCE_BYTES, 0, 0, &p->bounce);
        if (rc) {
            pr_err("ahci: %s: port %u: no bounce buffer, port ignored", c->name, p->num);
            p->kind = AHCI_DEV_NONE;
            return rc;
        }
    }
    return 0;
}

/* ---- interrupts -------------------------------------------------------------------------- */

/* Acknowledge each interrupting port (PxIS before IS, §10.7.2.1), collect
 * its bits for an armed waiter and wake it. */
bool ahci_irq_handler(void *ctx)
{
    struct ahci_ctrl *c = ctx;
    uint32_t is = ahci_hba_read(c, AHCI_IS);

    if (is == 0)
        return false;
    for (unsigned n = 0; n < AHCI_MAX_PORTS; n++) {
        if (!(is & (1u << n)))
            continue;
        struct ahci_port *p = c->ports[n];
        if (!p)
            continue;
        uint32_t pis = ahci_port_read(p, AHCI_PxIS);
        ahci_port_write(p, AHCI_PxIS, pis);
        spin_lock(&p->irq_lock);
        if (p->irq_expected) {
            p->irq_is |= pis;
            sem_up(&p->irq_sem);
        }
        spin_unlock(&p->irq_lock);
    }
    ahci_hba_write(c, AHCI_IS, is);
    return true;
}

static void irq_arm_locked(struct ahci_port *p)
{
    while (sem_trydown(&p->irq_sem)) {
        /* drop wake-ups left over from an earlier command */
    }
    spin_lock(&p->irq_lock);
    p->irq_expected = true;
    p->irq_is = 0;
    spin_unlock(&p->irq_lock);
}

/* Collected PxIS bits; disarm when `last`. */
static uint32_t irq_take_locked(struct ahci_port *p, bool last)
{
    spin_lock(&p->irq_lock);
    uint32_t is = p->irq_is;
    p->irq_is = 0;
    if (last)
        p->irq_expected = false;
    spin_unlock(&p->irq_lock);
    return is;
}

/* ---- commands ---------------------------------------------------------------------------- */

/* Write FIS, ATAPI bytes, PRD table and header of slot 0. 0 or ERR_INVAL. */
static int build_slot0(struct ahci_port *p, const struct ahci_cmd *cmd)
{
    uint8_t *base = p->mem.virt;
    uint8_t *ct = base + AHCI_MEM_CT;
    uint64_t ct_phys = p->mem.phys + AHCI_MEM_CT;
    unsigned entries = 0;
    int rc;

    memset(ct, 0, AHCI_CT_PRDT);
    rc = ahci_fis_h2d_build(&cmd->fis, ct + AHCI_CT_CFIS);
    if (rc)
        return rc;
    if (cmd->cdb)
        memcpy(ct + AHCI_CT_ACMD, cmd->cdb, 12);
    if (cmd->bytes) {
        rc = ahci_prdt_build(cmd->phys, cmd->bytes, p->ctrl->caps.addr64, ct + AHCI_CT_PRDT,
                             AHCI_PRDT_ENTRIES, &entries);
        if (rc)
            return rc;
    }
    return ahci_cmd_header_build(base + AHCI_MEM_CL, AHCI_FIS_H2D_DWORDS, cmd->write,
                                 cmd->cdb != NULL, entries, ct_phys, p->ctrl->caps.addr64);
}

/* Sleep until slot 0 completes, fails or the deadline passes.
 * Returns 0 (done; *is holds the bits seen) or ERR_TIMEOUT. */
static int wait_done_locked(struct ahci_port *p, uint32_t timeout_ms, uint32_t *is)
{
    uint64_t deadline = time_ms() + timeout_ms;
    bool polled = p->ctrl->irq == PCI_IRQ_NONE;

    *is = 0;
    for (;;) {
        uint64_t now = time_ms();
        uint32_t left = now >= deadline ? 0 : (uint32_t)(deadline - now);
        uint32_t slice = polled ? MIN(left, NO_IRQ_SLICE_MS) : left;
        int rc = sem_down_timeout(&p->irq_sem, slice);
        *is |= irq_take_locked(p, false);
        if (polled) {
            uint32_t pis = ahci_port_read(p, AHCI_PxIS);
            ahci_port_write(p, AHCI_PxIS, pis);
            *is |= pis;
        }
        if (*is & AHCI_PxIS_ERRORS)
            return 0;
        if (!(ahci_port_read(p, AHCI_PxCI) & 1u)) {
            if (rc && !polled)
                pr_warn("ahci: %s: port %u: completion without interrupt", p->ctrl->name,
                        p->num);
            return 0;
        }
        if (left == 0)
            return ERR_TIMEOUT;
    }
}

int ahci_exec_locked(struct ahci_port *p, const struct ahci_cmd *cmd, struct ahci_fault *fault,
                     uint32_t *done)
{
    uint32_t is = 0;
    int rc;

    lock_assert_held(&p->lock);
    memset(fault, 0, sizeof(*fault));
    if (done)
        *done = 0;
    /* 1. The port must be idle; a device left busy gets a reset first.
     *    (PxCMD is only read when TFD looks wrong: MMIO reads are costly
     *    under emulation, and ST is only cleared by our own recovery.) */
    if (ahci_port_read(p, AHCI_PxTFD) & (AHCI_TFD_STS_BSY | AHCI_TFD_STS_DRQ)) {
        rc = ahci_port_reset_locked(p, "port not ready");
        if (rc)
            return rc;
    }
    /* 2. Build slot 0. */
    rc = build_slot0(p, cmd);
    if (rc) {
        pr_err("ahci: %s: port %u: cannot build command 0x%02x (%s)", p->ctrl->name, p->num,
               cmd->fis.command, err_name(rc));
        return rc;
    }
    /* 3. Issue: clear old status, arm, then the doorbell. */
    p->commands++;
    ahci_port_write(p, AHCI_PxIS, 0xFFFFFFFFu);
    irq_arm_locked(p);
    io_barrier();
    ahci_port_write(p, AHCI_PxCI, 1u);
    /* 4. Wait for the interrupt; on timeout reset and report. */
    rc = wait_done_locked(p, cmd->timeout_ms, &is);
    (void)irq_take_locked(p, true);
    if (rc) {
        p->errors++;
        pr_err("ahci: %s: port %u: command 0x%02x timed out after %lu ms (TFD 0x%04lx)",
               p->ctrl->name, p->num, cmd->fis.command, (unsigned long)cmd->timeout_ms,
               (unsigned long)ahci_port_read(p, AHCI_PxTFD));
        (void)ahci_port_reset_locked(p, "command timeout");
        fault->err = ERR_TIMEOUT;
        return ERR_TIMEOUT;
    }
    /* 5. Decode; the PRDBC the HBA wrote is the honest byte count. Without
     *    an error bit the task file is clean (TFES would be set). */
    io_barrier();
    ahci_fault_decode(is, (is & AHCI_PxIS_ERRORS) ? ahci_port_read(p, AHCI_PxTFD) : 0, fault);
    if (fault->err == 0) {
        if (done)
            *done = le32_at(p->mem.virt, AHCI_MEM_CL + 4);
        return 0;
    }
    /* 6. Failed: log unless it is an ATAPI check condition (the caller asks
     *    for sense data), then bring the port back. */
    if (!cmd->cdb) {
        p->errors++;
        pr_err("ahci: %s: port %u: command 0x%02x failed: %s (IS 0x%08lx, status 0x%02x, "
               "error 0x%02x)", p->ctrl->name, p->num, cmd->fis.command, fault->what,
               (unsigned long)is, fault->status, fault->error);
    }
    recover_locked(p, fault->needs_reset, fault->what);
    return fault->err;
}
