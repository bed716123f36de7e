// SPDX-License-Identifier: MIT
/* Shell command of the IDE driver: `ata` lists channels and devices with
 * their IDENTIFY facts, `ata pio` / `ata dma` switch the transfer mode of
 * every device (ATA disks and ATAPI reads). The tray commands `eject` and
 * `load` are the block layer's (blkdev/disk_cmds.c, DISKFUNC LoadTray).
 * The command only reads the device records (constant after the probe) and
 * takes a channel mutex for anything a command can change. */
#include "drivers/ata/ata_priv.h"
#include "kernel/lib/kstring.h"
#include "kernel/print.h"
#include "kernel/shell/shell.h"

static void list_device(struct ata_device *dev)
{
    char mode[16];

    if (dev->kind == ATA_KIND_NONE) {
        kprintf("  %s: none\n", dev->slave ? "slave " : "master");
        return;
    }
    mutex_lock(&dev->ch->lock);
    ata_mode_name(dev, mode, sizeof(mode));
    bool present = dev->atapi.media.present;
    uint64_t media = dev->atapi.media.sectors;
    uint32_t multiple = dev->multiple_sectors;
    bool by_tur = dev->atapi.no_events, read12 = dev->atapi_read12;
    mutex_unlock(&dev->ch->lock);
    kprintf("  %s: %s \"%s\" serial \"%s\" firmware \"%s\"\n", dev->slave ? "slave " : "master",
            dev->name, dev->id.model, dev->id.serial, dev->id.firmware);
    if (dev->kind == ATA_KIND_DISK) {
        kprintf("    %llu sectors x %lu bytes, LBA48 %s, mode %s, write cache %s, "
                "max %lu sectors/command, PIO multiple %lu\n",
                (unsigned long long)dev->id.sectors, (unsigned long)dev->id.sector_bytes,
                dev->id.has_lba48 ? "yes" : "no", mode,
                dev->id.write_cache_supported ? (dev->id.write_cache_enabled ? "on" : "off")
                                              : "none",
                (unsigned long)dev->id.max_xfer_sectors, (unsigned long)multiple);
    } else {
        kprintf("    ATAPI type %u, media %s", dev->id.packet_type, present ? "present" : "none");
        if (present)
            kprintf(" (%llu sectors x 2048 bytes)", (unsigned long long)media);
        kprintf(", mode %s, %s, media poll by %s\n", mode, read12 ? "READ(12)" : "READ(10)",
                by_tur ? "TEST UNIT READY" : "GET EVENT STATUS");
    }
    kprintf("    commands %llu, retries %llu, errors %llu\n", (unsigned long long)dev->commands,
            (unsigned long long)dev->retries, (unsigned long long)dev->errors);
}

/* Switch every device (disks and ATAPI reads) to PIO or, where possible, DMA. */
static void set_mode(bool dma)
{
    ata_force_pio = !dma;
    for (unsigned i = 0; ata_channel_at(i); i++) {
        struct ata_channel *ch = ata_channel_at(i);
        mutex_lock(&ch->lock);
        for (unsigned d = 0; d < 2; d++) {
            struct ata_device *dev = &ch->dev[d];
            if (dev->kind != ATA_KIND_NONE)
                dev->use_dma = dma && ch->bm_port && dev->id.has_dma;
        }
        mutex_unlock(&ch->lock);
    }
}

static int cmd_ata(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "pio") == 0 || strcmp(argv[1], "dma") == 0)) {
        set_mode(strcmp(argv[1], "dma") == 0);
        kprintf("ata: mode %s\n", argv[1]);
        return 0;
    }
    if (argc != 1)
        return shell_error("usage: ata [pio|dma] (got '%s')", argv[1]);
    if (!ata_channel_at(0)) {
        kprintf("no IDE channels\n");
        return 0;
    }
    for (unsigned i = 0; ata_channel_at(i); i++) {
        struct ata_channel *ch = ata_channel_at(i);
        kprintf("%s: %s mode, cmd 0x%x, ctl 0x%x, bus master 0x%x, IRQ %u, resets %llu\n",
                ch->name, ch->native ? "native" : "compatibility", ch->cmd_port, ch->ctl_port,
                ch->bm_port, ch->irq, (unsigned long long)ch->resets);
        for (unsigned d = 0; d < 2; d++)
            list_device(&ch->dev[d]);
    }
    return 0;
}

static const struct shell_cmd ata_cmds[] = {
    { "ata", "[pio|dma]", "list IDE channels and devices, or set the transfer mode", cmd_ata },
};

void ata_register_commands(void)
{
    shell_register(ata_cmds, ARRAY_SIZE(ata_cmds));
}
