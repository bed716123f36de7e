// SPDX-License-Identifier: MIT
/* PCI glue of the AHCI driver: match class 01:06:01, map ABAR (BAR5), take
 * the HBA from the BIOS (CAP2.BOH), switch on AHCI mode, attach the legacy
 * INTx line, then set up every implemented port, IDENTIFY its device and
 * register it. Also owns the controller table, the disk naming and
 * ahci_init().
 * Naming: ATA disks are sd0, sd1.. in the order found over all controllers
 * (KolibriOS kernel/trunk/blkdev/ahci.inc uses "sd" and one counter); ATAPI
 * drives take the next free cdN after the IDE driver's (ata_cd_names_used).
 * Spec: AHCI 1.3.1 §10.1.2 (HBA initialisation), §10.6.3 (BIOS/OS
 * handoff), §3.1.2 (GHC). */
#include "drivers/ahci/ahci.h"
#include "drivers/ahci/ahci_priv.h"
#include "drivers/ata/ata.h"
#include "kernel/err.h"
#include "kernel/irq.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/mm/paging.h"
#include "kernel/time.h"

#define HANDOFF_BB_WAIT_MS 25 /* §10.6.3: BIOS Busy may be set within 25 ms */

static struct {
    struct ahci_ctrl *ctrls[AHCI_MAX_CONTROLLERS]; /* written by the probe only */
    unsigned count;    /* controllers set up; probes run one at a time */
    unsigned sd_count; /* sd names handed out */
    unsigned cd_count; /* cd names handed out by this driver */
} ahci_state;

struct ahci_ctrl *ahci_ctrl_at(unsigned index)
{
    return index < ahci_state.count ? ahci_state.ctrls[index] : NULL;
}

/* Poll an HBA register until (reg & mask) == value. 0 or ERR_TIMEOUT. */
static int wait_hba(struct ahci_ctrl *c, enum ahci_hba_reg reg, uint32_t mask, uint32_t value,
                    uint32_t timeout_ms)
{
    uint64_t deadline = time_ms() + timeout_ms;

    while ((ahci_hba_read(c, reg) & mask) != value) {
        if (time_ms() > deadline)
            return ERR_TIMEOUT;
        sleep_ms(1);
    }
    return 0;
}

/* BIOS/OS handoff (§10.6.3): ask for ownership, wait for the BIOS to drop
 * it and to finish outstanding work. A BIOS that never lets go is logged
 * and overruled: the OS needs the controller either way. */
static void bios_handoff(struct ahci_ctrl *c)
{
    ahci_hba_write(c, AHCI_BOHC, ahci_hba_read(c, AHCI_BOHC) | AHCI_BOHC_OOS);
    if (wait_hba(c, AHCI_BOHC, AHCI_BOHC_BOS, 0, HANDOFF_BB_WAIT_MS) == 0)
        return;
    if (wait_hba(c, AHCI_BOHC, AHCI_BOHC_BB | AHCI_BOHC_BOS, 0, AHCI_HANDOFF_TIMEOUT_MS))
        pr_warn("ahci: %s: BIOS keeps ownership (BOHC 0x%08lx), taking over", c->name,
                (unsigned long)ahci_hba_read(c, AHCI_BOHC));
}

/* Name an identified port. */
static void name_port(struct ahci_port *p)
{
    if (p->kind == AHCI_DEV_ATA)
        ksnprintf(p->name, AHCI_NAME_MAX, "sd%u", ahci_state.sd_count++);
    else
        ksnprintf(p->name, AHCI_NAME_MAX, "cd%u", ata_cd_names_used() + ahci_state.cd_count++);
}

/* Set up one implemented port and register its device. */
static void probe_port(struct ahci_ctrl *c, unsigned n)
{
    struct ahci_port *p = kzalloc(sizeof(*p));
    int rc;

    if (!p) {
        pr_err("ahci: %s: port %u: out of memory", c->name, n);
        return;
    }
    p->ctrl = c;
    p->num = n;
    p->regs = c->abar + AHCI_PORT_BASE + n * AHCI_PORT_STRIDE;
    mutex_init(&p->lock, "ahci-port");
    spin_init(&p->irq_lock, "ahci-irq");
    sem_init(&p->irq_sem, 0);
    /* 1. Port memory, engine, link and signature. The handler may see the
     *    port from here on (its locks are ready). */
    c->ports[n] = p;
    if (ahci_port_setup(p) || (p->kind != AHCI_DEV_ATA && p->kind != AHCI_DEV_ATAPI))
        return;
    /* 2. IDENTIFY under the port mutex; a failure leaves the port empty. */
    mutex_lock(&p->lock);
    ksnprintf(p->name, AHCI_NAME_MAX, "%sp%u", c->name, n); /* for IDENTIFY log lines */
    rc = ahci_identify_locked(p);
    mutex_unlock(&p->lock);
    if (rc) {
        pr_warn("ahci: %s: port %u: IDENTIFY failed (%s), port ignored", c->name, n,
                err_name(rc));
        p->kind = AHCI_DEV_NONE;
        return;
    }
    /* 3. Name and register outside the port lock (DiskAdd may call back). */
    name_port(p);
    rc = p->kind == AHCI_DEV_ATA ? ahci_disk_register(p) : ahci_atapi_register(p);
    if (rc)
        p->kind = AHCI_DEV_NONE;
}

static int ahci_pci_probe(struct pci_device *pdev)
{
    const struct pci_bar *bar = &pdev->bars[AHCI_BAR_ABAR];
    struct ahci_ctrl *c;
    void *abar;
    char ver[16];
    int rc;

    /* 1. Room in the table, a memory BAR we can map. */
    if (ahci_state.count >= AHCI_MAX_CONTROLLERS) {
        pr_warn("ahci: %02x:%02x.%x: more than %d controllers, ignored", pdev->bus, pdev->dev,
                pdev->func, AHCI_MAX_CONTROLLERS);
        return ERR_NOSPC;
    }
    if ((bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) || bar->base == 0 ||
        bar->size_bytes < AHCI_PORT_BASE) {
        pr_warn("ahci: %02x:%02x.%x: ABAR unusable (%s, base 0x%llx, %llu bytes)", pdev->bus,
                pdev->dev, pdev->func, pci_bar_kind_name(bar->kind),
                (unsigned long long)bar->base, (unsigned long long)bar->size_bytes);
        return ERR_NODEV;
    }
    rc = mmio_map(bar->base, (size_t)MAX(bar->size_bytes, (uint64_t)AHCI_ABAR_BYTES), &abar);
    if (rc) {
        pr_err("ahci: %02x:%02x.%x: cannot map ABAR 0x%llx (%s)", pdev->bus, pdev->dev,
               pdev->func, (unsigned long long)bar->base, err_name(rc));
        return rc;
    }
    c = kzalloc(sizeof(*c));
    if (!c)
        return ERR_NOMEM;
    c->index = ahci_state.count;
    ksnprintf(c->name, sizeof(c->name), "ahci%u", c->index);
    c->pdev = pdev;
    c->abar = abar;
    /* 2. Memory decode, bus mastering, INTx allowed. */
    pci_enable_mem(pdev);
    pci_enable_bus_master(pdev);
    pci_write16(pdev, PCI_REG_COMMAND,
                (uint16_t)(pci_read16(pdev, PCI_REG_COMMAND) & ~PCI_COMMAND_INTX_DISABLE));
    /* 3. Capabilities, BIOS handoff, AHCI mode on (§10.1.2 step 1). */
    ahci_caps_decode(ahci_hba_read(c, AHCI_CAP), ahci_hba_read(c, AHCI_CAP2),
                     ahci_hba_read(c, AHCI_VS), &c->caps);
    if (c->caps.bios_handoff)
        bios_handoff(c);
    ahci_hba_write(c, AHCI_GHC, ahci_hba_read(c, AHCI_GHC) | AHCI_GHC_AE);
    c->pi = ahci_hba_read(c, AHCI_PI);
    if (c->caps.ports < AHCI_MAX_PORTS)
        c->pi &= (1u << c->caps.ports) - 1; /* PI beyond CAP.NP is a firmware bug */
    pr_info("ahci: %s: %02x:%02x.%x %04x:%04x, AHCI %s, %u ports (PI 0x%08lx), %u slots, "
            "NCQ %s, 64-bit %s", c->name, pdev->bus, pdev->dev, pdev->func, pdev->vendor_id,
            pdev->device_id, ahci_version_string(&c->caps, ver, sizeof(ver)), c->caps.ports,
            (unsigned long)c->pi, c->caps.slots, c->caps.ncq ? "yes" : "no",
            c->caps.addr64 ? "yes" : "no");
    /* 4. Interrupts: the legacy line; without one, commands are polled. */
    c->irq = PCI_IRQ_NONE;
    ahci_hba_write(c, AHCI_GHC, ahci_hba_read(c, AHCI_GHC) & ~AHCI_GHC_IE);
    if (pdev->irq_line < 16) {
        rc = irq_attach(pdev->irq_line, ahci_irq_handler, c, c->name, &c->irq_handle);
        if (rc == 0)
            c->irq = pdev->irq_line;
        else
            pr_warn("ahci: %s: cannot attach IRQ %u (%s), polling", c->name, pdev->irq_line,
                    err_name(rc));
    } else {
        pr_warn("ahci: %s: no IRQ line routed, polling", c->name);
    }
    ahci_hba_write(c, AHCI_IS, 0xFFFFFFFFu);
    if (c->irq != PCI_IRQ_NONE)
        ahci_hba_write(c, AHCI_GHC, ahci_hba_read(c, AHCI_GHC) | AHCI_GHC_IE);
    ahci_state.ctrls[ahci_state.count++] = c;
    /* 5. Ports in number order. */
    for (unsigned n = 0; n < AHCI_MAX_PORTS; n++) {
        if (c->pi & (1u << n))
            probe_port(c, n);
    }
    return 0;
}

static const struct pci_match ahci_pci_ids[] = {
    PCI_MATCH_CLASS(AHCI_PCI_CLASS, AHCI_PCI_SUBCLASS, AHCI_PCI_PROGIF),
    PCI_MATCH_END,
};

static const struct pci_driver ahci_pci_driver = {
    .name = "ahci",
    .ids = ahci_pci_ids,
    .probe = ahci_pci_probe,
};

void ahci_init(void)
{
    ahci_register_commands();
    int rc = pci_register_driver(&ahci_pci_driver);
    if (rc)
        pr_err("ahci: cannot register PCI driver (%s)", err_name(rc));
}
