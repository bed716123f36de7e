// SPDX-License-Identifier: MIT
/* Device discovery on one channel: floating-bus check, software reset,
 * signature per position, IDENTIFY [PACKET] DEVICE, parse, register.
 * An empty position costs no timeout: a floating bus reads 0xFF, an empty
 * QEMU channel reads status 0, and an empty position behind a present
 * partner reports the signature 0xFF/0xFF, so IDENTIFY is only sent to a
 * position whose signature names a device.
 * Spec: ATA/ATAPI-7 vol. 2 §9.12 (signatures), vol. 1 §6.17-6.18. */
#include "drivers/ata/ata_priv.h"
#include "kernel/err.h"
#include "kernel/klog.h"
#include "kernel/kmem.h"
#include "kernel/lib/format.h"

static unsigned ata_cd_count; /* cd names handed out, probe order (single-threaded probe) */

/* Signature of the selected position after reset. */
static enum ata_kind probe_kind_locked(struct ata_device *dev)
{
    struct ata_channel *ch = dev->ch;

    if (ata_select_locked(dev))
        return ATA_KIND_NONE;
    uint8_t mid = ata_read_reg(ch, ATA_REG_LBA_MID);
    uint8_t high = ata_read_reg(ch, ATA_REG_LBA_HIGH);
    uint8_t st = ata_alt_status(ch);
    if (mid == ATA_SIG_ATAPI_MID && high == ATA_SIG_ATAPI_HIGH)
        return ATA_KIND_ATAPI; /* ATAPI devices keep DRDY clear: status 0 is fine */
    if (mid == ATA_SIG_ATA_MID && high == ATA_SIG_ATA_HIGH && st != 0 &&
        st != ATA_STATUS_FLOATING)
        return ATA_KIND_DISK;
    if (mid != ATA_SIG_ABSENT || high != ATA_SIG_ABSENT)
        pr_debug("ata: %s: no usable device (signature %02x/%02x, status 0x%02x)", dev->name,
                 mid, high, st);
    return ATA_KIND_NONE;
}

/* IDENTIFY the position as `kind`; 0 with dev->id filled, or ERR_*. */
static int identify_locked(struct ata_device *dev, enum ata_kind kind)
{
    struct ata_taskfile tf = {
        .command = kind == ATA_KIND_ATAPI ? ATA_CMD_IDENTIFY_PACKET : ATA_CMD_IDENTIFY,
    };
    uint8_t *raw = kmalloc(ATA_IDENTIFY_BYTES);
    int rc;

    if (!raw)
        return ERR_NOMEM;
    rc = ata_pio_in_locked(dev, &tf, raw, 1, ATA_IDENTIFY_BYTES, ATA_IDENTIFY_TIMEOUT_MS);
    if (rc == 0)
        rc = ata_identify_parse(dev->name, raw, kind == ATA_KIND_ATAPI, &dev->id);
    kfree(raw);
    return rc;
}

void ata_probe_channel(struct ata_channel *ch)
{
    enum ata_kind kinds[2] = { ATA_KIND_NONE, ATA_KIND_NONE };

    /* 1. A floating bus (no devices, pulled-up lines) reads 0xFF: done. */
    for (unsigned i = 0; i < 2; i++)
        ksnprintf(ch->dev[i].name, ATA_NAME_MAX, "hd%u", ch->index * 2 + i);
    if (ata_read_reg(ch, ATA_REG_STATUS) == ATA_STATUS_FLOATING) {
        pr_info("ata: %s: floating bus, no devices", ch->name);
        return;
    }
    mutex_lock(&ch->lock);
    /* 2. Reset both devices so that each shows its signature. */
    if (ata_channel_reset_locked(ch)) {
        mutex_unlock(&ch->lock);
        return;
    }
    /* 3. Signatures of both positions first: the task-file writes of an
     *    IDENTIFY reach both devices and would wipe the partner's signature. */
    for (unsigned i = 0; i < 2; i++)
        kinds[i] = probe_kind_locked(&ch->dev[i]);
    /* 4. IDENTIFY each device found; a failure leaves the position empty. */
    for (unsigned i = 0; i < 2; i++) {
        struct ata_device *dev = &ch->dev[i];
        if (kinds[i] == ATA_KIND_NONE)
            continue;
        int rc = identify_locked(dev, kinds[i]);
        if (rc) {
            pr_warn("ata: %s: IDENTIFY failed (%s), position ignored", dev->name, err_name(rc));
            kinds[i] = ATA_KIND_NONE;
            continue;
        }
        if (kinds[i] == ATA_KIND_ATAPI)
            ksnprintf(dev->name, ATA_NAME_MAX, "cd%u", ata_cd_count++);
        dev->use_dma = ch->bm_port && dev->id.has_dma && !ata_force_pio;
        if (kinds[i] == ATA_KIND_DISK)
            (void)ata_disk_set_multiple_locked(dev); /* refusal logged; PIO still works */
    }
    mutex_unlock(&ch->lock);
    /* 5. Register outside the channel lock (DiskAdd may call back). */
    for (unsigned i = 0; i < 2; i++) {
        struct ata_device *dev = &ch->dev[i];
        if (kinds[i] == ATA_KIND_NONE)
            continue;
        dev->kind = kinds[i];
        int rc = kinds[i] == ATA_KIND_DISK ? ata_disk_register(dev) : atapi_register(dev);
        if (rc)
            dev->kind = ATA_KIND_NONE;
    }
}

unsigned ata_cd_names_used(void)
{
    return ata_cd_count;
}
