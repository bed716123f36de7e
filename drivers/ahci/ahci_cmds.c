// SPDX-License-Identifier: MIT
/* Shell command of the AHCI driver: `ahci` lists each controller (PCI
 * location, AHCI version, ports, slots, NCQ and 64-bit capabilities, IRQ)
 * and each implemented port (link speed, device kind, name, model, serial,
 * capacity, counters); `ahci reset NAME` COMRESETs the port of a device
 * (the recovery path of a timeout, on demand). Device facts are constant
 * after the probe; link state is read live; counters are read and the
 * reset done under the port mutex. */
#include "drivers/ahci/ahci_priv.h"
#include "kernel/err.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"

static void list_port(struct ahci_port *p)
{
    uint32_t ssts = ahci_port_read(p, AHCI_PxSSTS);

    kprintf("  port %u: link %s, ", p->num, ahci_link_speed_name(ssts));
    if (p->kind != AHCI_DEV_ATA && p->kind != AHCI_DEV_ATAPI) {
        kprintf("%s\n", p->kind == AHCI_DEV_NONE ? "no device" : ahci_dev_kind_name(p->kind));
        return;
    }
    mutex_lock(&p->lock);
    uint64_t commands = p->commands, retries = p->retries, errors = p->errors;
    uint64_t resets = p->resets, media = p->atapi.media.sectors;
    bool present = p->atapi.media.present;
    mutex_unlock(&p->lock);
    kprintf("%s %s \"%s\" serial \"%s\" firmware \"%s\"\n", ahci_dev_kind_name(p->kind),
            p->name, p->id.model, p->id.serial, p->id.firmware);
    if (p->kind == AHCI_DEV_ATA) {
        uint64_t mib = p->id.sectors * p->id.sector_bytes / (1024 * 1024);
        kprintf("    %llu sectors x %lu bytes (%llu MiB), LBA48 %s, write cache %s\n",
                (unsigned long long)p->id.sectors, (unsigned long)p->id.sector_bytes,
                (unsigned long long)mib, p->id.has_lba48 ? "yes" : "no",
                p->id.write_cache_supported ? (p->id.write_cache_enabled ? "on" : "off")
                                            : "none");
    } else {
        kprintf("    ATAPI type %u, media %s", p->id.packet_type, present ? "present" : "none");
        if (present)
            kprintf(" (%llu sectors x 2048 bytes)", (unsigned long long)media);
        kprintf("\n");
    }
    kprintf("    commands %llu, retries %llu, errors %llu, resets %llu\n",
            (unsigned long long)commands, (unsigned long long)retries,
            (unsigned long long)errors, (unsigned long long)resets);
}

static struct ahci_port *find_port(const char *name)
{
    for (unsigned i = 0; ahci_ctrl_at(i); i++) {
        for (unsigned n = 0; n < AHCI_MAX_PORTS; n++) {
            struct ahci_port *p = ahci_ctrl_at(i)->ports[n];
            if (p && (p->kind == AHCI_DEV_ATA || p->kind == AHCI_DEV_ATAPI) &&
                kstrcasecmp(p->name, name) == 0)
                return p;
        }
    }
    return NULL;
}

static int cmd_reset(const char *name)
{
    struct ahci_port *p = find_port(name);
    if (!p)
        return shell_error("no AHCI device '%s'", name);
    mutex_lock(&p->lock);
    int rc = ahci_port_reset_locked(p, "shell request");
    mutex_unlock(&p->lock);
    if (rc)
        return shell_error("%s: port reset failed (%s)", p->name, err_name(rc));
    kprintf("%s: port %u reset\n", p->name, p->num);
    return 0;
}

static int cmd_ahci(int argc, char **argv)
{
    char ver[16];

    if (argc == 3 && strcmp(argv[1], "reset") == 0)
        return cmd_reset(argv[2]);
    if (argc != 1)
        return shell_error("usage: ahci [reset NAME] (got '%s')", argv[1]);
    if (!ahci_ctrl_at(0)) {
        kprintf("no AHCI controllers\n");
        return 0;
    }
    for (unsigned i = 0; ahci_ctrl_at(i); i++) {
        struct ahci_ctrl *c = ahci_ctrl_at(i);
        kprintf("%s: %02x:%02x.%x %04x:%04x, AHCI %s, %u ports (PI 0x%08lx), %u slots, "
                "NCQ %s, 64-bit %s, ",
                c->name, c->pdev->bus, c->pdev->dev, c->pdev->func, c->pdev->vendor_id,
                c->pdev->device_id, ahci_version_string(&c->caps, ver, sizeof(ver)),
                c->caps.ports, (unsigned long)c->pi, c->caps.slots, c->caps.ncq ? "yes" : "no",
                c->caps.addr64 ? "yes" : "no");
        if (c->irq == PCI_IRQ_NONE)
            kprintf("polled\n");
        else
            kprintf("IRQ %u\n", c->irq);
        for (unsigned n = 0; n < AHCI_MAX_PORTS; n++) {
            if (c->ports[n])
                list_port(c->ports[n]);
        }
    }
    return 0;
}

static const struct shell_cmd ahci_cmds[] = {
    { "ahci", "[reset NAME]", "list AHCI controllers, ports and devices, or reset a port",
      cmd_ahci },
};

void ahci_register_commands(void)
{
    shell_register(ahci_cmds, ARRAY_SIZE(ahci_cmds));
}
