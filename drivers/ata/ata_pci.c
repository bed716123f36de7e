// SPDX-License-Identifier: MIT
/* PCI glue of the IDE driver: match class 01:01, work out each channel's
 * ports and IRQ from the programming interface (compatibility mode: the
 * legacy ports and IRQ 14/15; native mode: BAR0-3 and the PCI line), take
 * the bus-master block from BAR4, then start and probe both channels.
 * Also owns the channel table and ata_init().
 * Spec: PCI IDE Controller Specification rev 1.0 §2 (programming interface
 * byte, native/compatibility resources). */
#include "drivers/ata/ata.h"
#include "drivers/ata/ata_priv.h"
#include "kernel/boot_info.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/lib/format.h"
#include "kernel/lib/kstring.h"
#include "kernel/pci.h"

#define ATA_BAR_BM 4
#define ATA_OPTION_MAX 8

bool ata_force_pio;

static struct {
    struct ata_channel channels[ATA_MAX_CHANNELS]; /* written by the probe only */
    unsigned count;   /* channels set up; probes run one at a time in pci_init */
} ata_state;

struct ata_channel *ata_channel_at(unsigned index)
{
    return index < ata_state.count ? &ata_state.channels[index] : NULL;
}

/* Fill ports and IRQ of channel `n` (0 primary, 1 secondary); 0 or ERR_NODEV. */
static int channel_resources(struct pci_device *pdev, unsigned n, struct ata_channel *ch)
{
    /* 1. Compatibility mode: fixed ports and ISA IRQs. */
    if (!(pdev->prog_if & ATA_PROGIF_NATIVE(n))) {
        ch->cmd_port = n ? ATA_SEC_CMD_PORT : ATA_PRI_CMD_PORT;
        ch->ctl_port = n ? ATA_SEC_CTL_PORT : ATA_PRI_CTL_PORT;
        ch->irq = n ? ATA_SEC_IRQ : ATA_PRI_IRQ;
        ch->native = false;
        return 0;
    }
    /* 2. Native mode: two I/O BARs per channel and the routed PCI line. */
    const struct pci_bar *cmd = &pdev->bars[2 * n], *ctl = &pdev->bars[2 * n + 1];
    if (cmd->kind != PCI_BAR_IO || ctl->kind != PCI_BAR_IO || !cmd->base || !ctl->base ||
        pdev->irq_line == PCI_IRQ_NONE || pdev->irq_line >= 16) {
        pr_warn("ata: %02x:%02x.%x: native channel %u lacks resources (BAR %s/%s, IRQ %u)",
                pdev->bus, pdev->dev, pdev->func, n, pci_bar_kind_name(cmd->kind),
                pci_bar_kind_name(ctl->kind), pdev->irq_line);
        return ERR_NODEV;
    }
    ch->cmd_port = (uint16_t)cmd->base;
    ch->ctl_port = (uint16_t)(ctl->base + ATA_NATIVE_CTL_OFFSET);
    ch->irq = pdev->irq_line;
    ch->native = true;
    return 0;
}

static int ata_pci_probe(struct pci_device *pdev)
{
    const struct pci_bar *bm = &pdev->bars[ATA_BAR_BM];
    unsigned started = 0;

    /* 1. Room for two more channels, I/O decode and bus mastering on. */
    if (ata_state.count + 2 > ATA_MAX_CHANNELS) {
        pr_warn("ata: %02x:%02x.%x: more than %d channels, controller ignored", pdev->bus,
                pdev->dev, pdev->func, ATA_MAX_CHANNELS);
        return ERR_NOSPC;
    }
    pci_enable_io(pdev);
    bool has_bm = bm->kind == PCI_BAR_IO && bm->base != 0;
    if (has_bm)
        pci_enable_bus_master(pdev);
    pr_info("ata: %02x:%02x.%x: IDE controller %04x:%04x, prog-if 0x%02x, bus master %s",
            pdev->bus, pdev->dev, pdev->func, pdev->vendor_id, pdev->device_id,
            pdev->prog_if, has_bm ? "yes" : "no");
    /* 2. Each channel: resources, start (IRQ, DMA memory), probe devices. */
    for (unsigned n = 0; n < 2; n++) {
        struct ata_channel *ch = &ata_state.channels[ata_state.count];
        memset(ch, 0, sizeof(*ch));
        ch->index = ata_state.count;
        ksnprintf(ch->name, sizeof(ch->name), "ide%u", ch->index);
        if (channel_resources(pdev, n, ch))
            continue;
        if (has_bm)
            ch->bm_port = (uint16_t)(bm->base + n * ATA_BM_CHANNEL_STRIDE);
        if (ata_channel_start(ch))
            continue;
        pr_info("ata: %s: %s mode, ports 0x%x/0x%x, bus master 0x%x, IRQ %u", ch->name,
                ch->native ? "native" : "compatibility", ch->cmd_port, ch->ctl_port,
                ch->bm_port, ch->irq);
        ata_state.count++;
        started++;
        ata_probe_channel(ch);
    }
    return started ? 0 : ERR_NODEV;
}

static const struct pci_match ata_pci_ids[] = {
    PCI_MATCH_CLASS(0x01, 0x01, PCI_ANY),
    PCI_MATCH_END,
};

static const struct pci_driver ata_pci_driver = {
    .name = "ata",
    .ids = ata_pci_ids,
    .probe = ata_pci_probe,
};

void ata_init(void)
{
    char opt[ATA_OPTION_MAX];

    if (boot_cmdline_get("ata", opt, sizeof(opt))) {
        if (strcmp(opt, "pio") == 0) {
            ata_force_pio = true;
            pr_info("ata: PIO forced by the kernel command line");
        } else if (strcmp(opt, "dma") != 0) {
            pr_warn("ata: unknown option ata=%s (want pio or dma)", opt);
        }
    }
    ata_register_commands();
    int rc = pci_register_driver(&ata_pci_driver);
    if (rc)
        pr_err("ata: cannot register PCI driver (%s)", err_name(rc));
}
