// SPDX-License-Identifier: MIT
/* Helpers shared by the host controller drivers: the common pipe fields,
 * the full-speed software pipe, the PCI class binding, the first probe
 * steps, the register handshake poll and the completion-wait step. Contract in
 * usb_hcd.h. No state of its own. */
#include "drivers/usb/usb_hcd.h"
#include "drivers/usb/defs.h"
#include "kernel/err.h"
#include "kernel/hwio.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"
#include "kernel/mm/paging.h"
#include "kernel/time.h"

/* Full speed allows 64-byte bulk and control packets at most (USB 2.0 §5.8.3). */
#define USB_HCD_FS_MAX_PACKET 64
#define USB_HCD_DEFAULT_MAX_PACKET 8

void usb_pipe_init(struct usb_pipe *p, const struct usb_device *dev,
                   const struct usb_endpoint *ep)
{
    p->dev = dev;
    p->address = dev->address;
    p->ep = ep ? ep->address & 0x0F : 0;
    p->low_speed = dev->speed == USB_SPEED_LOW;
    p->control = ep == NULL;
    p->dir_in = ep && (ep->address & USB_EP_DIR_IN);
    p->max_packet = ep ? ep->max_packet : dev->max_packet0;
    p->toggle = 0;
}

int usb_hcd_fs_pipe_open(struct usb_hc *hc, struct usb_device *dev,
                         const struct usb_endpoint *ep, struct usb_pipe **out)
{
    struct usb_pipe *p = kzalloc(sizeof(*p));

    (void)hc;
    *out = NULL;
    if (!p)
        return ERR_NOMEM;
    usb_pipe_init(p, dev, ep);
    if (p->max_packet == 0 || p->max_packet > USB_HCD_FS_MAX_PACKET)
        p->max_packet = p->max_packet ? USB_HCD_FS_MAX_PACKET : USB_HCD_DEFAULT_MAX_PACKET;
    *out = p;
    return 0;
}

/* No schedule state per pipe: transfers are not running when a pipe closes. */
void usb_hcd_fs_pipe_close(struct usb_hc *hc, struct usb_pipe *pipe)
{
    (void)hc;
    kfree(pipe);
}

void usb_hcd_pci_register(struct usb_hcd_pci *slot, const char *name, uint8_t prog_if,
                          int (*probe)(struct pci_device *dev))
{
    const struct pci_match usb_class = PCI_MATCH_CLASS(EHCI_PCI_CLASS, EHCI_PCI_SUBCLASS, 0);
    const struct pci_match end = PCI_MATCH_END;

    slot->ids[0] = usb_class;
    slot->ids[0].prog_if = prog_if;
    slot->ids[1] = end;
    slot->driver.name = name;
    slot->driver.ids = slot->ids;
    slot->driver.probe = probe;
    int rc = pci_register_driver(&slot->driver);
    if (rc)
        pr_err("%s: cannot register PCI driver (%s)", name, err_name(rc));
}

void usb_hcd_irq_attach(struct pci_device *pdev, const char *drv, const char *hc_name,
                        irq_handler_fn handler, void *ctx, struct irq_handler **out)
{
    *out = NULL;
    if (pdev->irq_line == PCI_IRQ_NONE || pdev->irq_line >= IRQ_LINES || !pdev->irq_pin)
        return;
    int rc = irq_attach(pdev->irq_line, handler, ctx, hc_name, out);
    if (rc) {
        pr_warn("%s: %s: IRQ %u not attached (%s), polling", drv, hc_name, pdev->irq_line,
                err_name(rc));
        *out = NULL;
    }
}

void usb_hcd_hc_init(struct usb_hc *hc, const char *drv, unsigned index,
                     const struct usb_hc_ops *ops, void *priv)
{
    ksnprintf(hc->name, sizeof(hc->name), "%s%u", drv, index);
    hc->ops = ops;
    hc->priv = priv;
}

int usb_hcd_check_room(const struct pci_device *pdev, const char *drv, unsigned count,
                       unsigned max)
{
    if (count < max)
        return 0;
    pr_warn("%s: %02x:%02x.%x: more than %u controllers, ignored", drv, pdev->bus, pdev->dev,
            pdev->func, max);
    return ERR_NOSPC;
}

int usb_hcd_map_mem_bar(struct pci_device *pdev, const struct pci_bar *bar, const char *drv,
                        uint64_t min_bytes, void **regs)
{
    if ((bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) || !bar->base ||
        bar->size_bytes < min_bytes) {
        pr_warn("%s: %02x:%02x.%x: no register BAR (%s, base 0x%llx)", drv, pdev->bus,
                pdev->dev, pdev->func, pci_bar_kind_name(bar->kind),
                (unsigned long long)bar->base);
        return ERR_NODEV;
    }
    int rc = mmio_map(bar->base, (size_t)bar->size_bytes, regs);
    if (rc)
        return rc;
    pci_enable_mem(pdev);
    pci_enable_bus_master(pdev);
    return 0;
}

int usb_hcd_wait_reg(volatile uint8_t *reg, uint32_t mask, uint32_t want, uint32_t timeout_ms)
{
    uint64_t end = time_ms() + timeout_ms;

    while ((mmio_read32(reg) & mask) != want) {
        if (time_ms() >= end)
            return ERR_TIMEOUT;
        sleep_ms(1);
    }
    return 0;
}

void usb_hcd_wait_event(struct semaphore *done, bool has_irq, uint32_t ms)
{
    if (has_irq)
        (void)sem_down_timeout(done, ms);
    else
        sleep_ms(1);
}

int usb_hcd_wait_slice(struct semaphore *done, bool has_irq, uint64_t end_ms)
{
    uint64_t now = time_ms();

    if (now >= end_ms)
        return ERR_TIMEOUT;
    usb_hcd_wait_event(done, has_irq, (uint32_t)MIN(end_ms - now,
                                                    (uint64_t)USB_HCD_WAIT_SLICE_MS));
    return 0;
}
