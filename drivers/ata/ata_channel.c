// SPDX-License-Identifier: MIT
/* IDE channel primitives: register access, device selection, software
 * reset, the interrupt handler and the data protocols (PIO in and out, one
 * sector or one MULTIPLE block per interrupt; bus-master DMA for ATA
 * commands and for ATAPI PACKET commands) plus non-data commands.
 * Completion is always an interrupt: the thread arms the channel, starts
 * the action and sleeps on a semaphore with a timeout; only the short phases
 * the protocol defines without an interrupt (BSY after select or reset, DRQ
 * before the first PIO out block or a CDB) are polled, each with a timeout. Callers hold the channel mutex
 * (ata_priv.h). Spec: ATA/ATAPI-7 vol. 2 §11 (PIO data-in/out, DMA,
 * packet DMA, non-data protocols), §9.2 (software reset); SFF-8038i (bus
 * master). */
#include "drivers/ata/ata_priv.h"
#include "drivers/ata/lib/ata_error.h"
#include "drivers/ata/lib/ata_prd.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/irq.h"
#include "kernel/klog.h"
#include "kernel/time.h"

#define POLL_SPIN_ROUNDS 50 /* 10 us each before falling back to 1 ms sleeps */

uint8_t ata_read_reg(struct ata_channel *ch, enum ata_reg reg)
{
    return inb((uint16_t)(ch->cmd_port + reg));
}

static void write_reg(struct ata_channel *ch, enum ata_reg reg, uint8_t v)
{
    outb((uint16_t)(ch->cmd_port + reg), v);
}

uint8_t ata_alt_status(struct ata_channel *ch)
{
    return inb(ch->ctl_port);
}

/* The 400 ns a device may take to drive a valid status (ATA-7 vol. 2 §9.7):
 * four reads of the alternate status, which do not clear the interrupt. */
static void delay_400ns(struct ata_channel *ch)
{
    for (int i = 0; i < 4; i++)
        (void)ata_alt_status(ch);
}

int ata_poll_locked(struct ata_channel *ch, uint8_t mask, uint8_t value, uint32_t timeout_ms)
{
    uint64_t deadline = time_ms() + timeout_ms;

    for (unsigned round = 0;; round++) {
        uint8_t st = ata_alt_status(ch);
        if ((st & mask) == value)
            return st;
        if (time_ms() > deadline)
            return ERR_TIMEOUT;
        if (round < POLL_SPIN_ROUNDS)
            udelay(10);
        else
            sleep_ms(1);
    }
}

/* ---- interrupts ---------------------------------------------------------------------------- */

/* Acknowledge the device (status read) and the bus master (IRQ bit, write 1
 * to clear), record both and wake the waiter if one is armed. */
static bool ata_irq_handler(void *ctx)
{
    struct ata_channel *ch = ctx;
    uint8_t bms = 0;

    if (ch->bm_port) {
        bms = inb((uint16_t)(ch->bm_port + ATA_BM_STATUS));
        if (!(bms & ATA_BM_ST_IRQ))
            return false; /* the other channel or another device on the line */
    }
    uint8_t st = ata_read_reg(ch, ATA_REG_STATUS);
    if (ch->bm_port)
        outb((uint16_t)(ch->bm_port + ATA_BM_STATUS), (uint8_t)((bms & ATA_BM_ST_KEEP) |
                                                                ATA_BM_ST_IRQ));
    spin_lock(&ch->irq_lock);
    bool armed = ch->irq_expected;
    if (armed) {
        ch->irq_expected = false;
        ch->irq_status = st;
        ch->irq_bm_status = bms;
        sem_up(&ch->irq_sem);
    }
    spin_unlock(&ch->irq_lock);
    /* Without a bus master there is no "mine" bit: claim what we waited for,
     * and on a legacy (unshared) line everything. */
    return ch->bm_port || armed || !ch->native;
}

void ata_irq_arm_locked(struct ata_channel *ch)
{
    lock_assert_held(&ch->lock);
    while (sem_trydown(&ch->irq_sem)) {
        /* drop a wake-up left over from a wait that timed out */
    }
    spin_lock(&ch->irq_lock);
    ch->irq_expected = true;
    spin_unlock(&ch->irq_lock);
}

int ata_irq_wait_locked(struct ata_channel *ch, uint32_t timeout_ms, uint8_t *status)
{
    lock_assert_held(&ch->lock);
    int rc = sem_down_timeout(&ch->irq_sem, timeout_ms);
    spin_lock(&ch->irq_lock);
    if (rc) {
        ch->irq_expected = false;
    } else {
        *status = ch->irq_status;
    }
    spin_unlock(&ch->irq_lock);
    return rc;
}

/* ---- setup, reset, selection ---------------------------------------------------------------- */

int ata_channel_start(struct ata_channel *ch)
{
    int rc;

    mutex_init(&ch->lock, ch->name);
    spin_init(&ch->irq_lock, ch->name);
    sem_init(&ch->irq_sem, 0);
    ch->selected = -1;
    for (unsigned i = 0; i < 2; i++) {
        ch->dev[i].ch = ch;
        ch->dev[i].slave = i;
    }
    /* 1. Bus-master memory: PRD table in one page, a 64 KiB-aligned bounce
     *    buffer so it is always one PRD entry. Without them: PIO only. */
    if (ch->bm_port) {
        if (dma_alloc(ATA_PRDT_ENTRIES * 8, 4096, 0, &ch->prdt) ||
            dma_alloc(ATA_BOUNCE_BYTES, ATA_BOUNCE_BYTES, 0, &ch->bounce)) {
            pr_warn("ata: %s: no DMA memory, PIO only", ch->name);
            dma_free(&ch->prdt);
            ch->bm_port = 0;
        }
    }
    /* 2. The interrupt line. */
    rc = irq_attach(ch->irq, ata_irq_handler, ch, ch->name, &ch->irq_handle);
    if (rc) {
        pr_err("ata: %s: cannot attach IRQ %u (%s)", ch->name, ch->irq, err_name(rc));
        dma_free(&ch->prdt);
        dma_free(&ch->bounce);
        return rc;
    }
    return 0;
}

int ata_channel_reset_locked(struct ata_channel *ch)
{
    lock_assert_held(&ch->lock);
    /* SRST for at least 5 us, then clear it; devices need up to 2 ms before
     * status is valid (ATA-7 vol. 2 §9.2). nIEN stays clear afterwards. */
    outb(ch->ctl_port, ATA_DC_SRST | ATA_DC_NIEN);
    udelay(10);
    outb(ch->ctl_port, ATA_DC_NIEN);
    sleep_ms(2);
    ch->selected = -1;
    ch->resets++;
    int st = ata_poll_locked(ch, ATA_SR_BSY, 0, ATA_RESET_TIMEOUT_MS);
    outb(ch->ctl_port, 0);
    if (st < 0) {
        pr_err("ata: %s: BSY stuck after reset (status 0x%02x)", ch->name, ata_alt_status(ch));
        return ERR_TIMEOUT;
    }
    return 0;
}

int ata_select_locked(struct ata_device *dev)
{
    struct ata_channel *ch = dev->ch;

    lock_assert_held(&ch->lock);
    if (ch->selected != (int)dev->slave) {
        write_reg(ch, ATA_REG_DEVICE, (uint8_t)(ATA_DEV_OBS | (dev->slave ? ATA_DEV_SLAVE : 0)));
        delay_400ns(ch);
        ch->selected = (int)dev->slave;
    }
    /* All ones is no valid status: nothing drives the bus any more (device
     * unplugged or dead). Fail now instead of after the BSY timeout. */
    if (ata_alt_status(ch) == ATA_STATUS_FLOATING) {
        if (dev->kind != ATA_KIND_NONE) { /* the probe expects empty positions */
            dev->errors++;
            pr_err("ata: %s: no device answers (status 0xff)", dev->name);
        }
        return ERR_NODEV;
    }
    if (ata_poll_locked(ch, ATA_SR_BSY | ATA_SR_DRQ, 0, ATA_READY_TIMEOUT_MS) < 0) {
        pr_err("ata: %s: device busy before command (status 0x%02x)", dev->name,
               ata_alt_status(ch));
        return ERR_TIMEOUT;
    }
    return 0;
}

void ata_issue_locked(struct ata_device *dev, const struct ata_taskfile *tf)
{
    struct ata_channel *ch = dev->ch;
    uint8_t device = (uint8_t)(ATA_DEV_OBS | (dev->slave ? ATA_DEV_SLAVE : 0));

    if (tf->use_lba) {
        device |= ATA_DEV_LBA;
        if (!tf->lba48)
            device |= (uint8_t)((tf->lba >> 24) & 0x0F);
    }
    /* LBA48: the "previous" (high-order) bytes go first (ATA-7 vol. 1 §6.20). */
    if (tf->lba48) {
        write_reg(ch, ATA_REG_FEATURES, 0);
        write_reg(ch, ATA_REG_COUNT, (uint8_t)(tf->count >> 8));
        write_reg(ch, ATA_REG_LBA_LOW, (uint8_t)(tf->lba >> 24));
        write_reg(ch, ATA_REG_LBA_MID, (uint8_t)(tf->lba >> 32));
        write_reg(ch, ATA_REG_LBA_HIGH, (uint8_t)(tf->lba >> 40));
    }
    write_reg(ch, ATA_REG_FEATURES, tf->features);
    write_reg(ch, ATA_REG_COUNT, (uint8_t)tf->count);
    write_reg(ch, ATA_REG_LBA_LOW, (uint8_t)tf->lba);
    write_reg(ch, ATA_REG_LBA_MID, (uint8_t)(tf->lba >> 8));
    write_reg(ch, ATA_REG_LBA_HIGH, (uint8_t)(tf->lba >> 16));
    write_reg(ch, ATA_REG_DEVICE, device);
    write_reg(ch, ATA_REG_COMMAND, tf->command);
    dev->commands++;
}

void ata_recover_locked(struct ata_channel *ch, const char *what)
{
    if (ch->bm_port)
        outb((uint16_t)(ch->bm_port + ATA_BM_CMD), 0);
    pr_warn("ata: %s: %s timed out (status 0x%02x), resetting channel", ch->name, what,
            ata_alt_status(ch));
    (void)ata_channel_reset_locked(ch);
}

/* Decode a final status; logs failures. 0, ERR_IO or ERR_NOTSUP. */
static int check_status(struct ata_device *dev, const struct ata_taskfile *tf, uint8_t st)
{
    uint8_t er = (st & ATA_SR_ERR) ? ata_read_reg(dev->ch, ATA_REG_ERROR) : 0;
    enum ata_fault f = ata_error_classify(st, er);

    dev->last_fault = f;
    if (f == ATA_FAULT_NONE)
        return 0;
    dev->errors++;
    pr_err("ata: %s: command 0x%02x at lba %llu failed: %s (status 0x%02x, error 0x%02x)",
           dev->name, tf->command, (unsigned long long)tf->lba, ata_fault_name(f), st, er);
    return ata_fault_to_err(f);
}

/* ---- protocols ------------------------------------------------------------------------------ */

/* PIO data-in of total_bytes in DRQ blocks of drq_bytes (the last one may be
 * shorter: READ MULTIPLE's final partial block). */
static int pio_in(struct ata_device *dev, const struct ata_taskfile *tf, uint8_t *p,
                  uint32_t total_bytes, uint32_t drq_bytes, uint32_t timeout_ms)
{
    struct ata_channel *ch = dev->ch;
    uint8_t st;
    int rc;

    /* 1. Select, arm, issue. */
    rc = ata_select_locked(dev);
    if (rc)
        return rc;
    ata_irq_arm_locked(ch);
    ata_issue_locked(dev, tf);
    /* 2. One interrupt per DRQ block: check it, re-arm before draining the
     *    data (reading the last word lets the device prepare the next block). */
    for (uint32_t done = 0; done < total_bytes;) {
        uint32_t n = MIN(drq_bytes, total_bytes - done);
        if (ata_irq_wait_locked(ch, timeout_ms, &st)) {
            ata_recover_locked(ch, "PIO read");
            return ERR_TIMEOUT;
        }
        rc = check_status(dev, tf, st);
        if (rc)
            return rc;
        if (!(st & ATA_SR_DRQ)) {
            pr_err("ata: %s: no data after interrupt (status 0x%02x, byte %lu of %lu)",
                   dev->name, st, (unsigned long)done, (unsigned long)total_bytes);
            return ERR_IO;
        }
        if (done + n < total_bytes)
            ata_irq_arm_locked(ch);
        insw(ch->cmd_port, p + done, n / 2);
        done += n;
    }
    /* 3. The device must not want to send more. */
    st = ata_alt_status(ch);
    return check_status(dev, tf, st);
}

int ata_pio_in_locked(struct ata_device *dev, const struct ata_taskfile *tf, void *buf,
                      uint32_t blocks, uint32_t block_bytes, uint32_t timeout_ms)
{
    return pio_in(dev, tf, buf, blocks * block_bytes, block_bytes, timeout_ms);
}

int ata_pio_in_multi_locked(struct ata_device *dev, const struct ata_taskfile *tf, void *buf,
                            uint32_t sectors, uint32_t sector_bytes, uint32_t per_block,
                            uint32_t timeout_ms)
{
    return pio_in(dev, tf, buf, sectors * sector_bytes, per_block * sector_bytes, timeout_ms);
}

/* PIO data-out of total_bytes in DRQ blocks of drq_bytes (last may be short). */
static int pio_out(struct ata_device *dev, const struct ata_taskfile *tf, const uint8_t *p,
                   uint32_t total_bytes, uint32_t drq_bytes)
{
    struct ata_channel *ch = dev->ch;
    uint8_t st;
    int rc;

    /* 1. Select and issue; the first block is requested by DRQ without an
     *    interrupt (PIO data-out protocol), so that one phase is polled. */
    rc = ata_select_locked(dev);
    if (rc)
        return rc;
    ata_issue_locked(dev, tf);
    rc = ata_poll_locked(ch, ATA_SR_BSY | ATA_SR_DRQ | ATA_SR_ERR, ATA_SR_DRQ,
                         ATA_READY_TIMEOUT_MS);
    if (rc < 0) {
        st = ata_alt_status(ch);
        if (!(st & ATA_SR_BSY) && (st & (ATA_SR_ERR | ATA_SR_DF)))
            return check_status(dev, tf, st);
        ata_recover_locked(ch, "PIO write (DRQ)");
        return ERR_TIMEOUT;
    }
    /* 2. Per DRQ block: arm, write it, wait for the interrupt that accepts it. */
    for (uint32_t done = 0; done < total_bytes;) {
        uint32_t n = MIN(drq_bytes, total_bytes - done);
        ata_irq_arm_locked(ch);
        outsw(ch->cmd_port, p + done, n / 2);
        done += n;
        if (ata_irq_wait_locked(ch, ATA_IO_TIMEOUT_MS, &st)) {
            ata_recover_locked(ch, "PIO write");
            return ERR_TIMEOUT;
        }
        rc = check_status(dev, tf, st);
        if (rc)
            return rc;
        if (done < total_bytes && !(st & ATA_SR_DRQ)) {
            pr_err("ata: %s: device stopped asking for data (status 0x%02x)", dev->name, st);
            return ERR_IO;
        }
    }
    return 0;
}

int ata_pio_out_locked(struct ata_device *dev, const struct ata_taskfile *tf, const void *buf,
                       uint32_t blocks, uint32_t block_bytes)
{
    return pio_out(dev, tf, buf, blocks * block_bytes, block_bytes);
}

int ata_pio_out_multi_locked(struct ata_device *dev, const struct ata_taskfile *tf,
                             const void *buf, uint32_t sectors, uint32_t sector_bytes,
                             uint32_t per_block)
{
    return pio_out(dev, tf, buf, sectors * sector_bytes, per_block * sector_bytes);
}

/* One bus-master transfer: PRD table, engine set up, command issued (and,
 * for a PACKET command, the CDB sent once the device asks for it), engine
 * started, completion interrupt. *st = final device status, *bms = the
 * engine status seen by the handler. Returns 0 (registers to be decoded by
 * the caller), ERR_INVAL/ERR_RANGE (buffer), ERR_TIMEOUT (channel reset). */
static int dma_run(struct ata_device *dev, const struct ata_taskfile *tf, const uint8_t *cdb,
                   uint64_t phys, uint32_t bytes, bool to_device, uint8_t *st, uint8_t *bms)
{
    struct ata_channel *ch = dev->ch;
    uint16_t bm = ch->bm_port;
    uint8_t dir = to_device ? 0 : ATA_BM_CMD_TO_MEMORY;
    unsigned entries;
    int rc;

    /* 1. PRD table for the buffer. */
    rc = ata_prd_build(phys, bytes, ch->prdt.virt, ATA_PRDT_ENTRIES, &entries);
    if (rc) {
        pr_err("ata: %s: cannot describe DMA buffer (phys 0x%llx, %lu bytes, %s)", dev->name,
               (unsigned long long)phys, (unsigned long)bytes, err_name(rc));
        return rc;
    }
    rc = ata_select_locked(dev);
    if (rc)
        return rc;
    /* 2. Engine stopped, table address, old IRQ/error bits cleared, direction. */
    outb((uint16_t)(bm + ATA_BM_CMD), 0);
    outl((uint16_t)(bm + ATA_BM_PRDT), (uint32_t)ch->prdt.phys);
    uint8_t old = inb((uint16_t)(bm + ATA_BM_STATUS));
    outb((uint16_t)(bm + ATA_BM_STATUS),
         (uint8_t)((old & ATA_BM_ST_KEEP) | ATA_BM_ST_IRQ | ATA_BM_ST_ERROR));
    outb((uint16_t)(bm + ATA_BM_CMD), dir);
    io_barrier(); /* the PRD table is in memory before the engine reads it */
    /* 3. Issue. A PACKET command first asks for its CDB by DRQ without an
     *    interrupt (ATA/ATAPI-7 vol. 2 §11.9, Packet DMA): poll, then send
     *    it with the channel armed; the engine starts after the CDB. */
    if (cdb) {
        ata_issue_locked(dev, tf);
        if (ata_poll_locked(ch, ATA_SR_BSY | ATA_SR_DRQ, ATA_SR_DRQ, ATA_READY_TIMEOUT_MS) < 0) {
            ata_recover_locked(ch, "PACKET (DMA)");
            return ERR_TIMEOUT;
        }
        ata_irq_arm_locked(ch);
        outsw(ch->cmd_port, cdb, ATAPI_PACKET_BYTES / 2);
    } else {
        ata_irq_arm_locked(ch);
        ata_issue_locked(dev, tf);
    }
    /* 4. Start the engine, sleep until the interrupt, stop the engine
     *    (required even after success: SFF-8038i §3.1). */
    outb((uint16_t)(bm + ATA_BM_CMD), (uint8_t)(dir | ATA_BM_CMD_START));
    rc = ata_irq_wait_locked(ch, ATA_IO_TIMEOUT_MS, st);
    outb((uint16_t)(bm + ATA_BM_CMD), dir);
    if (rc) {
        ata_recover_locked(ch, "DMA");
        return ERR_TIMEOUT;
    }
    spin_lock(&ch->irq_lock);
    *bms = ch->irq_bm_status;
    spin_unlock(&ch->irq_lock);
    return 0;
}

static int bm_error(struct ata_device *dev, uint8_t bms, uint64_t lba)
{
    dev->errors++;
    pr_err("ata: %s: bus-master error (bm status 0x%02x, lba %llu)", dev->name, bms,
           (unsigned long long)lba);
    return ERR_IO;
}

int ata_dma_locked(struct ata_device *dev, const struct ata_taskfile *tf, uint64_t phys,
                   uint32_t bytes, bool to_device)
{
    uint8_t st, bms;
    int rc = dma_run(dev, tf, NULL, phys, bytes, to_device, &st, &bms);

    if (rc)
        return rc;
    /* Device status first, then the engine's error bit. */
    rc = check_status(dev, tf, st);
    if (rc)
        return rc;
    return (bms & ATA_BM_ST_ERROR) ? bm_error(dev, bms, tf->lba) : 0;
}

int ata_dma_packet_locked(struct ata_device *dev, const uint8_t *cdb, uint64_t phys,
                          uint32_t bytes, uint8_t *err_reg)
{
    struct ata_taskfile tf = { .command = ATA_CMD_PACKET, .features = ATA_PACKET_FEAT_DMA };
    uint8_t st, bms;
    int rc = dma_run(dev, &tf, cdb, phys, bytes, false, &st, &bms);

    *err_reg = 0;
    if (rc)
        return rc;
    if (st & (ATA_SR_ERR | ATA_SR_DF)) {
        *err_reg = ata_read_reg(dev->ch, ATA_REG_ERROR);
        return ATAPI_CHECK_CONDITION;
    }
    if (bms & ATA_BM_ST_ERROR)
        return bm_error(dev, bms, 0);
    /* Still active after the interrupt: the device sent less than the PRD
     * table describes (SFF-8038i §3.2, "interrupt, active" = short). */
    if (bms & ATA_BM_ST_ACTIVE) {
        dev->errors++;
        pr_err("ata: %s: short DMA transfer (bm status 0x%02x, %lu bytes expected)", dev->name,
               bms, (unsigned long)bytes);
        return ERR_IO;
    }
    return 0;
}

int ata_nodata_locked(struct ata_device *dev, const struct ata_taskfile *tf,
                      uint32_t timeout_ms)
{
    struct ata_channel *ch = dev->ch;
    uint8_t st;
    int rc = ata_select_locked(dev);

    if (rc)
        return rc;
    ata_irq_arm_locked(ch);
    ata_issue_locked(dev, tf);
    if (ata_irq_wait_locked(ch, timeout_ms, &st)) {
        ata_recover_locked(ch, "command");
        return ERR_TIMEOUT;
    }
    return check_status(dev, tf, st);
}
