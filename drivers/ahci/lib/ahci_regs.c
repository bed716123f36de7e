// SPDX-License-Identifier: MIT
/* AHCI register decoding (contract in ahci_regs.h). */
#include "drivers/ahci/lib/ahci_regs.h"
#include "drivers/ahci/defs.h"
#include "kernel/err.h"
#include "kernel/lib/format.h"

void ahci_caps_decode(uint32_t cap, uint32_t cap2, uint32_t vs, struct ahci_caps *out)
{
    out->ports = (cap & AHCI_CAP_NP_MASK) + 1;
    out->slots = ((cap >> AHCI_CAP_NCS_SHIFT) & 0x1F) + 1;
    out->iss = (cap >> AHCI_CAP_ISS_SHIFT) & 0xF;
    if (out->iss > 3)
        out->iss = 0;
    out->addr64 = (cap & AHCI_CAP_S64A) != 0;
    out->ncq = (cap & AHCI_CAP_SNCQ) != 0;
    out->staggered_spinup = (cap & AHCI_CAP_SSS) != 0;
    out->clo = (cap & AHCI_CAP_SCLO) != 0;
    out->bios_handoff = (cap2 & AHCI_CAP2_BOH) != 0;
    out->ver_major = vs >> 16;
    out->ver_minor = vs & 0xFFFF;
}

const char *ahci_version_string(const struct ahci_caps *caps, char *buf, size_t len)
{
    /* VS 15:8 is the minor digit, 7:0 the sub-minor (0x0301 = 1.3.1). */
    unsigned minor = (caps->ver_minor >> 8) & 0xFF, sub = caps->ver_minor & 0xFF;
    if (sub)
        ksnprintf(buf, len, "%u.%x.%x", caps->ver_major, minor, sub);
    else
        ksnprintf(buf, len, "%u.%x", caps->ver_major, minor);
    return buf;
}

enum ahci_dev_kind ahci_sig_decode(uint32_t sig)
{
    switch (sig) {
    case AHCI_SIG_ATA:
        return AHCI_DEV_ATA;
    case AHCI_SIG_ATAPI:
        return AHCI_DEV_ATAPI;
    case AHCI_SIG_SEMB:
        return AHCI_DEV_SEMB;
    case AHCI_SIG_PM:
        return AHCI_DEV_PM;
    default:
        return AHCI_DEV_UNKNOWN;
    }
}

const char *ahci_dev_kind_name(enum ahci_dev_kind kind)
{
    switch (kind) {
    case AHCI_DEV_NONE:
        return "none";
    case AHCI_DEV_ATA:
        return "ATA";
    case AHCI_DEV_ATAPI:
        return "ATAPI";
    case AHCI_DEV_SEMB:
        return "SEMB";
    case AHCI_DEV_PM:
        return "PM";
    case AHCI_DEV_UNKNOWN:
        break;
    }
    return "unknown";
}

bool ahci_link_is_up(uint32_t ssts)
{
    return (ssts & AHCI_SSTS_DET_MASK) == AHCI_SSTS_DET_PRESENT;
}

const char *ahci_link_speed_name(uint32_t ssts)
{
    if (!ahci_link_is_up(ssts))
        return "none";
    switch ((ssts >> AHCI_SSTS_SPD_SHIFT) & 0xF) {
    case 1:
        return "1.5 Gbps";
    case 2:
        return "3 Gbps";
    case 3:
        return "6 Gbps";
    default:
        return "unknown";
    }
}

void ahci_fault_decode(uint32_t pxis, uint32_t tfd, struct ahci_fault *out)
{
    out->status = (uint8_t)tfd;
    out->error = (uint8_t)(tfd >> AHCI_TFD_ERR_SHIFT);
    out->ata = ATA_FAULT_NONE;
    out->needs_reset = false;
    out->err = 0;
    out->what = "none";

    /* 1. Host-side failures: the HBA stopped the port (AHCI §6.1.2). */
    if (pxis & (AHCI_PxIS_HBFS | AHCI_PxIS_HBDS))
        out->what = "host bus error";
    else if (pxis & AHCI_PxIS_IFS)
        out->what = "interface fatal error";
    else if (pxis & AHCI_PxIS_OFS)
        out->what = "overflow";
    if (pxis & (AHCI_PxIS_HBFS | AHCI_PxIS_HBDS | AHCI_PxIS_IFS | AHCI_PxIS_OFS)) {
        out->err = ERR_IO;
        out->needs_reset = true;
        return;
    }
    /* 2. The device's own verdict, from the status and error bytes. */
    if ((pxis & AHCI_PxIS_TFES) || (out->status & AHCI_TFD_STS_ERR)) {
        out->ata = ata_error_classify(out->status, out->error);
        if (out->ata == ATA_FAULT_NONE)
            out->ata = ATA_FAULT_DEVICE; /* TFES without ERR/DF: still a failure */
        out->err = ata_fault_to_err(out->ata);
        out->needs_reset = (out->status & (AHCI_TFD_STS_BSY | AHCI_TFD_STS_DRQ)) != 0;
        out->what = ata_fault_name(out->ata);
        return;
    }
    /* 3. A non-fatal interface error (CRC, handshake): the command may
     *    have completed badly; repeat it. */
    if (pxis & AHCI_PxIS_INFS) {
        out->err = ERR_IO;
        out->what = "interface error";
    }
}
